"""Equivalent axes: the generated ensemble made symmetric under exchanges of axes that the crystal makes
equivalent (``generation.equivalent_axes``).

A generator trained on a few runs can give two equivalent axes different statistics (the runs' own
sampling noise, or what it learned). Where a mirror of the crystal exchanges axes (x <-> y in a
tetragonal or cubic cell), each generated trajectory with its axes exchanged is an equally valid one,
so ion i takes the i-th of the exchanges in turn: the ensemble has no preferred direction among those
axes, each exchange holding an equal share of every checkpoint's ions.
"""

from __future__ import annotations

import itertools

import numpy as np

from mdgan.errors import InputError

AXES = "xyz"


def axis_orders(equivalent_axes: str) -> np.ndarray:
    """(permutations, 3) column orders: every permutation of the ``equivalent_axes`` (letters of
    'xyz', e.g. 'xy'), the other axes in place; the identity first. '' gives the identity only."""
    if len(set(equivalent_axes)) != len(equivalent_axes) or not set(equivalent_axes) <= set(AXES):
        raise InputError(f"config key generation.equivalent_axes: {equivalent_axes!r}; expected distinct "
                         "letters of 'xyz', e.g. 'xy' or 'xyz', or '' for none")
    columns = sorted(AXES.index(a) for a in equivalent_axes)
    orders = []
    for permuted in itertools.permutations(columns):
        order = list(range(3))
        for column, source in zip(columns, permuted):
            order[column] = source
        orders.append(order)
    return np.array(orders, dtype=np.int64)


def ion_axis_orders(equivalent_axes: str, first: int, stop: int) -> np.ndarray:
    """(stop - first, 3) column order of ions [first, stop): ion i takes order i mod the number of
    permutations, so the output does not depend on how the ions are chunked."""
    orders = axis_orders(equivalent_axes)
    return orders[np.arange(first, stop) % len(orders)]


def generator_frame(shown: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """(ions, 3) per-ion vectors put back into the axes the generator made them in, from the axes shown
    (column ``k`` of ion i shows the generator's column ``orders[i, k]``)."""
    made = np.empty_like(shown)
    np.put_along_axis(made, orders, shown, axis=1)
    return made


def generator_frame_msd(positions_ang: np.ndarray, equivalent_axes: str) -> list[float]:
    """Mean squared displacement (A^2) along x, y, z from the first to the last record over all ions of
    (ions, records, 3) generated positions, in the generator's own axes: the asymmetry between
    equivalent axes that :func:`ion_axis_orders` averaged away."""
    displacement = np.asarray(positions_ang[:, -1], dtype=np.float64) - positions_ang[:, 0]
    made = generator_frame(displacement, ion_axis_orders(equivalent_axes, 0, displacement.shape[0]))
    return (made**2).mean(axis=0).tolist()
