"""Displacement moments (alpha2), self van Hove function, Wasserstein distance, comparison table."""

import numpy as np
import pytest

from mdgan.analysis.comparison import comparison_table
from mdgan.analysis.diffusion import fit_diffusion
from mdgan.analysis.displacements import (
    combine_stats,
    displacement_stats,
    load_stats,
    save_stats,
    van_hove_self,
    wasserstein_ang,
    wasserstein_floor_ang,
)
from mdgan.analysis.lags import log_lags
from mdgan.analysis.msd import msd_curve, msd_samples
from mdgan.errors import InputError


def walks(seed, n_ions, n_records, scale=0.1):
    return np.cumsum(np.random.default_rng(seed).normal(scale=scale, size=(n_ions, n_records, 3)), axis=1)


def test_moments_match_the_definition_with_all_origins():
    x = walks(0, 5, 40)
    stats = displacement_stats(x, [1, 3, 10], [3], dt_ps=0.01, max_origins_per_ion=1000, chunk_ions=2)
    for j, m in enumerate([1, 3, 10]):
        r2 = np.sum((x[:, m:] - x[:, :-m]) ** 2, axis=-1)
        assert stats.count[j] == r2.size
        assert stats.msd_ang2[j] == pytest.approx(r2.mean())
        expected = 3 * np.mean(r2**2) / (5 * r2.mean() ** 2) - 1
        assert stats.alpha2()[j] == pytest.approx(expected)
        drift = np.linalg.norm(np.mean(x[:, m:] - x[:, :-m], axis=(0, 1)))
        assert stats.mean_displacement_ang[j] == pytest.approx(drift)
    r = np.sqrt(np.sum((x[:, 3:] - x[:, :-3]) ** 2, axis=-1)).ravel()
    np.testing.assert_allclose(np.sort(stats.samples_at(0.03)), np.sort(r), rtol=1e-6)


def test_gaussian_walk_has_alpha2_zero_and_hopping_has_positive_alpha2():
    gauss = displacement_stats(walks(1, 400, 200), [5, 20], [], 0.01)
    np.testing.assert_allclose(gauss.alpha2(), 0.0, atol=0.03)
    rng = np.random.default_rng(2)
    hops = np.cumsum(rng.normal(size=(400, 200, 3)) * (rng.random((400, 200, 1)) < 0.02), axis=1)
    assert np.all(displacement_stats(hops, [5, 20], [], 0.01).alpha2() > 0.5)


def test_origins_are_thinned_evenly_and_runs_combine(tmp_path):
    x = walks(3, 4, 1000)
    stats = displacement_stats(x, [10], [10], 0.02, max_origins_per_ion=50)
    assert stats.count[0] == 4 * 50 and stats.samples_ang[0].size == 200
    both = combine_stats([stats, stats])
    assert both.count[0] == 400 and both.samples_ang[0].size == 400
    assert both.alpha2()[0] == pytest.approx(stats.alpha2()[0])
    capped = displacement_stats(x, [10], [10], 0.02, max_origins_per_ion=50, max_samples_per_lag=100)
    assert capped.count[0] == 200 and capped.samples_ang[0].size == 4 * 25
    save_stats(both, tmp_path / "d.npz")
    again = load_stats(tmp_path / "d.npz")
    np.testing.assert_array_equal(again.samples_at(0.2), both.samples_at(0.2))
    with pytest.raises(InputError, match="no displacement samples"):
        again.samples_at(0.4)


def test_van_hove_is_a_normalised_density_of_the_displacement_length():
    r = np.sqrt(np.sum(np.random.default_rng(4).normal(size=(20000, 3)) ** 2, axis=1))
    edges = np.linspace(0, 8, 81)
    density = van_hove_self(r, edges)
    assert np.sum(density * np.diff(edges)) == pytest.approx(1.0, abs=1e-3)
    centres = 0.5 * (edges[1:] + edges[:-1])  # Maxwell distribution of |r| for unit Gaussian components
    np.testing.assert_allclose(density, np.sqrt(2 / np.pi) * centres**2 * np.exp(-centres**2 / 2), atol=0.03)


def test_wasserstein_distance_of_shifted_samples_is_the_shift():
    a = np.random.default_rng(5).random(1000)
    assert wasserstein_ang(a, a) == 0.0
    assert wasserstein_ang(a, a + 0.25) == pytest.approx(0.25)


def test_comparison_of_statistically_equal_series_gives_ratios_near_one():
    md, gen = walks(6, 60, 600), walks(7, 600, 3000)
    lags_ps = np.array([0.1, 0.5, 2.0])
    md_s = msd_samples(md, log_lags(300, 40, np.array([10, 50, 200])), 0.01)
    gen_s = msd_samples(gen, log_lags(1500, 40, np.array([10, 50, 200])), 0.01)
    md_d = displacement_stats(md, [10, 50, 200], [10, 50, 200], 0.01)
    gen_d = displacement_stats(gen, [10, 50, 200], [10, 50, 200], 0.01)
    z_md, z_gen = fit_diffusion(md_s, axis=2), fit_diffusion(gen_s, axis=2)
    table = comparison_table(msd_curve(md_s), msd_curve(gen_s), fit_diffusion(md_s), fit_diffusion(gen_s), md_d,
                             gen_d, lags_ps, window_ps=0.2, matched_ps=0.5, axis_fits={"z": (z_md, z_gen)})
    z = table[table.quantity == "D_z_cm2_s"].iloc[0]
    assert z.region == "common range" and z.md == pytest.approx(z_md.D_cm2_s) and abs(z.ratio - 1) < 3 * z.ratio_err
    d = table[table.quantity == "D_cm2_s"].iloc[0]
    assert abs(d.ratio - 1) < 3 * d.ratio_err
    msd = table[table.quantity == "msd_ang2"]
    assert list(msd.region) == ["inside window", "matched", "beyond matched"]
    drift = table[table.quantity == "mean_displacement_ang"]  # free walks: no drift beyond sampling noise
    assert np.all(drift.md < 3 * drift.md_err) and np.all(drift.generated < 3 * drift.generated_err)
    assert np.all(np.abs(msd.ratio - 1) < 4 * msd.ratio_err)
    w = table[table.quantity == "wasserstein_ang"]
    assert np.all(w.generated < 3 * w.md)  # within a few times the MD's own sampling noise


def test_mean_displacement_error_is_the_noise_over_ions_and_a_drift_stands_out():
    rng = np.random.default_rng(4)
    steps = rng.normal(0.0, 0.1, (2000, 300, 3))
    free = np.cumsum(steps, axis=1)
    stats = displacement_stats(free, [100], [100], 0.01, max_origins_per_ion=50)
    # one origin-averaged displacement per ion: its spread over ions / sqrt(ions), three components
    per_ion = np.stack([free[:, o + 100] - free[:, o] for o in np.unique(np.round(np.linspace(0, 199, 50)).astype(int))]
                       ).mean(axis=0)
    expected = np.sqrt(np.sum(per_ion.var(axis=0, ddof=1)) / 2000)
    assert stats.mean_displacement_err_ang[0] == pytest.approx(expected, rel=1e-6)
    assert stats.mean_displacement_ang[0] < 3 * stats.mean_displacement_err_ang[0]
    drifting = displacement_stats(free + np.arange(300)[None, :, None] * [0.0, 0.0, 0.005], [100], [100], 0.01)
    assert drifting.mean_displacement_ang[0] > 10 * drifting.mean_displacement_err_ang[0]
    pooled = combine_stats([stats, stats])
    assert pooled.n_ions == 4000


def test_wasserstein_floor_is_the_noise_of_a_perfect_generator_of_that_many_ions():
    """Ions whose samples are strongly correlated (one ion-level scale each): a perfect generator's
    distance to the MD is set by the numbers of ions, which the ion bootstrap reproduces."""
    rng = np.random.default_rng(5)

    def ions(n, per_ion=50):
        scale = rng.gamma(4.0, 0.25, size=n)  # per-ion mobility, shared by all its samples
        samples = np.abs(rng.normal(size=(n, per_ion))) * scale[:, None]
        return samples.ravel(), np.repeat(np.arange(n, dtype=np.int32), per_ion)

    md, md_ions = ions(40)
    floors = {}
    for n_gen in (40, 4000):
        perfect = np.mean([wasserstein_ang(ions(n_gen)[0], ions(40)[0]) for _ in range(40)])
        floors[n_gen] = wasserstein_floor_ang(md, md_ions, n_gen, n_draws=64)
        assert floors[n_gen] == pytest.approx(perfect, rel=0.5)
    assert floors[4000] < 0.85 * floors[40]  # a large ensemble leaves only the MD's own noise
    # an iid bootstrap of samples would ignore the correlation and be far too strict
    iid = wasserstein_ang(md[rng.integers(md.size, size=md.size)], md)
    assert iid < 0.5 * floors[40]


def test_axis_correlation_sees_diagonal_motion_that_each_axis_alone_hides(tmp_path):
    rng = np.random.default_rng(11)
    steps = rng.normal(size=(40, 300, 3))
    diagonal = steps.copy()
    diagonal[..., 1] = (steps[..., 0] + steps[..., 1]) / np.sqrt(2)  # same variance along y, tied to x
    lags, sample_lags = np.array([1, 10, 50]), np.array([10])
    free = displacement_stats(steps.cumsum(axis=1), lags, sample_lags, 0.1)
    tied = displacement_stats(diagonal.cumsum(axis=1), lags, sample_lags, 0.1)
    assert np.all(free.axis_correlation() < 0.08)
    np.testing.assert_allclose(tied.axis_correlation(), 1 / np.sqrt(2), atol=0.08)
    np.testing.assert_allclose(tied.msd_ang2, free.msd_ang2, rtol=0.15)  # per-axis variances alike
    save_stats(tied, tmp_path / "s.npz")
    np.testing.assert_allclose(load_stats(tmp_path / "s.npz").axis_correlation(), tied.axis_correlation())
    pooled = combine_stats([free, free])
    np.testing.assert_allclose(pooled.axis_correlation(), free.axis_correlation())
