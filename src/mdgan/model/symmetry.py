"""Crystal symmetry imposed on the generated ensemble: exchanges of axes that the crystal makes
equivalent (``generation.equivalent_axes``) and mirrors that reverse an axis
(``generation.mirror_axes``).

A generator trained on a few runs can give two equivalent axes different statistics, or make its ions
move along one diagonal (the runs' own sampling noise, or what it learned). Where a mirror of the
crystal exchanges axes (x <-> y in a tetragonal or cubic cell) or reverses one (x -> -x where a mirror
plane lies perpendicular to x), each generated trajectory so transformed is an equally valid one. Ion i
is shown through the i-th of those maps in turn, so the ensemble has no preferred direction among the
axes and no preferred diagonal: with x and y mirrored, a generator that moves along [110] gives ions
along [110] and [1-10] in equal shares, whose xy correlations cancel. Each map holds a (near-)equal
share of every checkpoint's ions.

A map is a signed permutation matrix M (3, 3): an ion's displacement shown is M @ its displacement as
the generator made it.
"""

from __future__ import annotations

import itertools

import numpy as np

from mdgan.errors import InputError

AXES = "xyz"


def axis_columns(axes: str, key: str) -> list[int]:
    """Sorted column indices of ``axes`` (distinct letters of 'xyz'); ``key`` the config key, for the error."""
    if len(set(axes)) != len(axes) or not set(axes) <= set(AXES):
        raise InputError(f"config key {key}: {axes!r}; expected distinct letters of 'xyz', "
                         "e.g. 'xy' or 'xyz', or '' for none")
    return sorted(AXES.index(a) for a in axes)


def axis_orders(equivalent_axes: str) -> np.ndarray:
    """(permutations, 3) column orders: every permutation of the ``equivalent_axes`` (letters of
    'xyz', e.g. 'xy'), the other axes in place; the identity first. '' gives the identity only."""
    columns = axis_columns(equivalent_axes, "generation.equivalent_axes")
    orders = []
    for permuted in itertools.permutations(columns):
        order = list(range(3))
        for column, source in zip(columns, permuted):
            order[column] = source
        orders.append(order)
    return np.array(orders, dtype=np.int64)


def axis_signs(mirror_axes: str) -> np.ndarray:
    """(2^len(mirror_axes), 3) signs +-1 of the axes: every combination of reversals of the
    ``mirror_axes``, the others +1; no reversal first."""
    columns = axis_columns(mirror_axes, "generation.mirror_axes")
    signs = []
    for flips in itertools.product((False, True), repeat=len(columns)):
        sign = np.ones(3)
        sign[[c for c, flip in zip(columns, flips) if flip]] = -1.0
        signs.append(sign)
    return np.array(signs)


def axis_maps(equivalent_axes: str = "", mirror_axes: str = "") -> np.ndarray:
    """(maps, 3, 3) signed permutation matrices: every permutation of the ``equivalent_axes`` with
    every reversal of the ``mirror_axes``, the permutation changing fastest; the identity first.
    Row k of a map takes the generator's column ``order[k]`` with sign ``sign[k]``."""
    maps = []
    for sign in axis_signs(mirror_axes):
        for order in axis_orders(equivalent_axes):
            m = np.zeros((3, 3))
            m[np.arange(3), order] = sign
            maps.append(m)
    return np.array(maps)


def ion_axis_maps(equivalent_axes: str, mirror_axes: str, first: int, stop: int) -> np.ndarray | None:
    """(stop - first, 3, 3) map of ions [first, stop): ion i takes map i mod the number of maps, so the
    output does not depend on how the ions are chunked. None when both settings are ''."""
    if not equivalent_axes and not mirror_axes:
        return None
    maps = axis_maps(equivalent_axes, mirror_axes)
    return maps[np.arange(first, stop) % len(maps)]


def generator_frame(shown: np.ndarray, maps: np.ndarray) -> np.ndarray:
    """(ions, 3) per-ion vectors put back into the axes the generator made them in, from the axes shown
    (ion i's shown vector is ``maps[i] @`` its made one; the maps are orthogonal)."""
    return np.einsum("ikj,ik->ij", maps, shown)


def generator_frame_displacement(positions_ang: np.ndarray, equivalent_axes: str, mirror_axes: str = "") -> np.ndarray:
    """(ions, 3) displacement (A) from the first to the last record of (ions, records, 3) generated
    positions, in the generator's own axes (the maps of :func:`ion_axis_maps` undone)."""
    displacement = np.asarray(positions_ang[:, -1], dtype=np.float64) - positions_ang[:, 0]
    maps = ion_axis_maps(equivalent_axes, mirror_axes, 0, displacement.shape[0])
    return displacement if maps is None else generator_frame(displacement, maps)


def generator_frame_msd(positions_ang: np.ndarray, equivalent_axes: str, mirror_axes: str = "") -> list[float]:
    """Mean squared displacement (A^2) along x, y, z over the whole series in the generator's own axes
    (:func:`generator_frame_displacement`): the asymmetry between equivalent axes that the maps
    averaged away."""
    made = generator_frame_displacement(positions_ang, equivalent_axes, mirror_axes)
    return (made**2).mean(axis=0).tolist()


def generator_frame_correlation(positions_ang: np.ndarray, equivalent_axes: str, mirror_axes: str = "") -> list[float]:
    """Correlation coefficients (about the origin) of the xy, xz and yz components of the whole-series
    displacement in the generator's own axes (:func:`generator_frame_displacement`): a preferred
    diagonal that the maps with ``mirror_axes`` averaged away."""
    made = generator_frame_displacement(positions_ang, equivalent_axes, mirror_axes)
    c = made.T @ made
    return [float(c[i, j] / np.sqrt(c[i, i] * c[j, j])) for i, j in ((0, 1), (0, 2), (1, 2))]
