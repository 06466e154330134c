"""Correlation of consecutive block displacements: exact on a hand example, 0 for a random walk, the
exact value and a calibrated error on the anisotropic hopping ground truth."""

from __future__ import annotations

import numpy as np
import pytest

from mdgan.analysis.block_correlation import block_correlation
from mdgan.validation.hopping import HoppingLattice, simulate


def test_hand_example_pools_tracks_of_any_length():
    # ion 0 along x: +1, -1, +1 per block of 2 records -> products -1, -1 over squares 1, 1
    a = np.zeros((1, 7, 3))
    a[0, :, 0] = [0, 0.5, 1, 0.5, 0, 0.5, 1]
    # ion 1 along x: +2, +2 (one pair): product 4 over square 4; shorter than a's, pooled with it
    b = np.zeros((1, 5, 3))
    b[0, :, 0] = [0, 1, 2, 3, 4]
    c, err = block_correlation([a, b], 2)
    assert c[0] == pytest.approx((-1 - 1 + 4) / (1 + 1 + 4))
    assert np.isnan(c[1:]).all()  # no motion along y, z: 0 / 0
    assert np.isfinite(err[0])
    with pytest.raises(ValueError, match="two blocks of 4 records"):
        block_correlation([b], 4)


def test_random_walk_is_uncorrelated():
    steps = np.random.default_rng(0).normal(size=(200, 2000, 3))
    c, err = block_correlation([np.cumsum(steps, axis=1)], 50)
    assert np.all(np.abs(c) < 3 * err)
    assert np.all(err < 0.03)


def test_anisotropic_hopping_exact_value_and_error_coverage():
    """The lattice's back-hops make c < 0; the jackknife error over ions covers the exact value."""
    lattice = HoppingLattice()
    msd = lattice.msd_ang2([5.0, 10.0])
    assert lattice.block_correlation(5.0) == pytest.approx((msd[1] - 2 * msd[0]) / (2 * msd[0]))
    assert np.all(lattice.block_correlation(5.0) < -0.1)
    times_ps = 0.1 * np.arange(1, 2001)  # 200 ps, blocks of 5 ps = 50 records
    z = []
    for seed in range(12):
        _, positions = simulate(lattice, 48, times_ps, np.random.default_rng(seed))
        c, err = block_correlation([positions.transpose(1, 0, 2)], 50)
        z.append((c - lattice.block_correlation(5.0)) / err)
    z = np.concatenate(z)
    assert 0.6 < np.sqrt(np.mean(z**2)) < 1.5
    assert np.mean(np.abs(z) < 2) > 0.85
