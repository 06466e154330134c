"""D per axis from counted hops on the anisotropic lattice (:mod:`mdgan.validation.hopping`): the data floor.

Within the model family of ``HoppingLattice`` (Poisson waiting times, a back-hop probability), a set
of trajectories determines D best through its hops, not through the slope of its MSD: the rate along
each axis from the number of hops per ion-time, the back-hop probability from how often a hop reverses
the one before, D_alpha = a^2 k_alpha (1 - p_back) / (1 + p_back). Its spread over independent
training parts of one size is the floor of any model trained on such a part: a generator that
learned its training data perfectly reproduces that part's D, not the exact one.

Units: positions and spacing in Angstrom, times in ps, D in A^2/ps. Errors are 1 sigma, from Poisson
counts of hops (overdispersed along an axis by the back-hops' memory) and binomial counts of reversals
(delta method); they cover the spread over independent parts (tests/test_validation_hop_estimate.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mdgan.errors import InputError
from mdgan.validation.hopping import HoppingLattice, equilibrium_start, hop_sequence

COMMIT_FRACTION = 0.3  # an ion is in a site once within 0.3 a of its centre along every axis


@dataclass(frozen=True)
class HopEstimate:
    """D along x, y, z from counted hops, (3,) A^2/ps, with its 1-sigma error; the back-hop
    probability; the hops along each axis (3,); D_z over the in-plane D (mean of x and y) and its error."""

    D_axes_ang2_ps: np.ndarray
    D_axes_err_ang2_ps: np.ndarray
    back_hop_probability: float
    back_hop_probability_err: float
    hops_per_axis: np.ndarray
    z_over_inplane: float
    z_over_inplane_err: float


def hops_from_positions(positions_ang: np.ndarray, site_spacing_ang: float,
                        commit_fraction: float = COMMIT_FRACTION) -> tuple[list[np.ndarray], int]:
    """Hop sequences of unwrapped positions (frames, ions, 3) on a simple cubic lattice of sites at
    integer multiples of ``site_spacing_ang``: (sequences of direction indices into
    ``hopping.DIRECTIONS``, one or more per ion, the number of irregular site changes).

    An ion is assigned a site only when it is within ``commit_fraction`` of the spacing from its centre
    along every axis, and keeps it until it reaches another: a vibration that crosses the midpoint and
    returns is no hop. A change by more than one neighbour step between two assignments (two hops
    faster than the frames resolve) is irregular: not counted, and it ends the ion's sequence there.
    """
    positions = np.asarray(positions_ang, dtype=float)
    if positions.ndim != 3 or positions.shape[2] != 3:
        raise InputError(f"positions must be (frames, ions, 3) Angstrom, got shape {positions.shape}")
    nearest = np.rint(positions / site_spacing_ang)
    inside = np.all(np.abs(positions / site_spacing_ang - nearest) < commit_fraction, axis=2)
    sequences, irregular = [], 0
    for ion in range(positions.shape[1]):
        sites = nearest[inside[:, ion], ion].astype(np.int64)
        steps = np.diff(sites, axis=0)
        steps = steps[np.any(steps != 0, axis=1)]
        unit = np.abs(steps).sum(axis=1) == 1
        irregular += int((~unit).sum())
        for run in np.split(steps, np.flatnonzero(~unit)):
            run = run[np.abs(run).sum(axis=1) == 1]
            if len(run):
                axis = np.abs(run).argmax(axis=1)
                sequences.append((2 * axis + (run[np.arange(len(run)), axis] < 0)).astype(np.int8))
    return sequences, irregular


def estimate_from_hops(sequences: list[np.ndarray], ion_time_ps: float, site_spacing_ang: float) -> HopEstimate:
    """D per axis of ions that made the hop ``sequences`` (direction indices, consecutive hops of one
    ion each) over ``ion_time_ps`` (the sum of every ion's observed time, ps)."""
    if not ion_time_ps > 0:
        raise InputError(f"ion_time_ps must be positive, got {ion_time_ps}")
    hops = np.concatenate([np.asarray(s, dtype=np.int64) for s in sequences]) if sequences else np.zeros(0, int)
    counts = np.bincount(hops, minlength=6).astype(float)
    per_axis = counts.reshape(3, 2).sum(axis=1)
    if per_axis.min() < 1:
        raise InputError(f"no hop along axis {'xyz'[int(per_axis.argmin())]}: D cannot be counted")
    rates = per_axis / (2.0 * ion_time_ps)  # to each of the two neighbours along the axis, 1/ps
    pairs = sum(max(len(s) - 1, 0) for s in sequences)
    reversals = sum(int(np.sum((np.asarray(s[1:]) ^ 1) == np.asarray(s[:-1]))) for s in sequences)
    pi = counts / counts.sum()
    chance = float(np.sum(pi * pi[np.arange(6) ^ 1]))  # reversal probability without memory
    fraction = reversals / pairs if pairs else chance
    p = (fraction - chance) / (1.0 - chance)
    p_err = np.sqrt(fraction * (1.0 - fraction) / pairs) / (1.0 - chance) if pairs else np.inf
    D = site_spacing_ang**2 * rates * (1.0 - p) / (1.0 + p)
    # back-hops make the axis of successive hops a Markov chain of eigenvalue p: its counts are
    # overdispersed by (1 + p) / (1 - p) in the share of the hops they take
    memory = (1.0 + max(p, 0.0)) / (1.0 - max(p, 0.0))
    share = per_axis / per_axis.sum()
    count_variance = (1.0 - share) * memory + share  # Var(N_alpha) / N_alpha
    relative = np.sqrt(count_variance / per_axis + (2.0 / (1.0 - p**2) * p_err) ** 2)
    inplane_hops = per_axis[0] + per_axis[1]
    ratio = 2.0 * rates[2] / (rates[0] + rates[1])
    ratio_err = ratio * np.sqrt(memory * (1.0 / per_axis[2] + 1.0 / inplane_hops))
    return HopEstimate(D, D * relative, float(p), float(p_err), per_axis, float(ratio), float(ratio_err))


def floor_draws(model: HoppingLattice, parts: Sequence[tuple[int, float]], n_draws: int,
                rng: np.random.Generator) -> np.ndarray:
    """(n_draws, 4) D_x, D_y, D_z (A^2/ps) and D_z / D_in-plane counted from the exact hops of
    ``n_draws`` independent draws of ``parts``, (ions, duration ps) observed from equilibrium, pooled."""
    out = np.empty((n_draws, 4))
    ion_time = sum(n_ions * duration for n_ions, duration in parts)
    for i in range(n_draws):
        sequences = []
        for n_ions, duration in parts:
            _, _, previous = equilibrium_start(model, n_ions, rng)
            times, directions = hop_sequence(model, previous, duration, rng)
            sequences += [d[t <= duration] for t, d in zip(times, directions)]
        estimate = estimate_from_hops(sequences, ion_time, model.site_spacing_ang)
        out[i, :3], out[i, 3] = estimate.D_axes_ang2_ps, estimate.z_over_inplane
    return out
