"""Diffusive regime, D and its uncertainty (coverage over synthetic replicas), conductivity."""

import dataclasses

import numpy as np
import pytest

from mdgan.analysis.conductivity import ion_density_per_ang3, nernst_einstein_S_per_cm
from mdgan.analysis.diffusion import find_diffusive_range, fit_diffusion, local_D_ang2_ps, local_loglog_slope
from mdgan.analysis.diffusion_fits import common_range, diffusion_fits
from mdgan.analysis.lags import log_lags
from mdgan.analysis.msd import MSDSamples, by_replica, msd_samples, pool_samples
from mdgan.errors import InputError


def random_walks(rng, n_paths, n_records, D_ang2_ps, dt_ps):
    """Gaussian random walks in 3D with diffusion coefficient D: (paths, records, 3)."""
    steps = rng.normal(scale=np.sqrt(2 * D_ang2_ps * dt_ps), size=(n_paths, n_records, 3))
    return np.cumsum(steps, axis=1)


def replica(samples, index, n_ions):
    cut = slice(index * n_ions, (index + 1) * n_ions)
    return MSDSamples(samples.lag_steps, samples.dt_ps, samples.msd_ang2[cut], samples.n_origins[cut])


def test_uncertainty_covers_the_true_D_as_often_as_it_claims():
    """100 independent replicas (64 ions x 512 records each): the 1-sigma interval must cover the
    true D in 60-76% of them and the 2-sigma interval in 90-99%."""
    rng = np.random.default_rng(20240501)
    n_replicas, n_ions, n_records, D, dt = 100, 64, 512, 0.5, 0.01
    walks = random_walks(rng, n_replicas * n_ions, n_records, D, dt)
    samples = msd_samples(walks, log_lags(n_records // 2, 60), dt, chunk_ions=1024)
    z = []
    for r in range(n_replicas):
        fit = fit_diffusion(replica(samples, r, n_ions))
        assert fit.mode == "auto" and fit.diffusive
        z.append((fit.D_ang2_ps - D) / fit.D_err_ang2_ps)
    z = np.abs(np.array(z))
    assert 0.60 <= np.mean(z < 1) <= 0.76
    assert 0.90 <= np.mean(z < 2) <= 0.99


def correlated_runs(rng, n_runs, n_ions, n_records, D_ion, D_shared, dt_ps):
    """(runs * ions, records, 3) random walks, ion-major by run: each ion's own walk (D_ion) plus one
    walk shared by all ions of its run (D_shared), as the framework's history is. True D = sum."""
    own = random_walks(rng, n_runs * n_ions, n_records, D_ion, dt_ps)
    shared = random_walks(rng, n_runs, n_records, D_shared, dt_ps)
    return own + np.repeat(shared, n_ions, axis=0)


def rows(samples, first, stop, **changes):
    keep = slice(first, stop)
    group = None if samples.group is None else samples.group[keep]
    return dataclasses.replace(samples, msd_ang2=samples.msd_ang2[keep], n_origins=samples.n_origins[keep],
                               msd_axes_ang2=samples.msd_axes_ang2[keep], group=group, **changes)


def coverage(z):
    z = np.abs(np.asarray(z))
    return np.mean(z < 1), np.mean(z < 2)


def test_errors_over_runs_and_time_blocks_cover_the_true_D_when_ions_of_a_run_are_correlated():
    """Ions of one run share a random walk (half of D). Over 300 replicas of 8 runs x 6 ions the
    jackknife over runs covers the true D as claimed (1 sigma 60-76%, 2 sigma 90-99%), the error over
    ions does not; over 200 replicas of 2 runs (6 ions, 1024 records each) the jackknife over 4 time
    blocks per run does too, for a fit range inside a block (blocks of 2.3 ps, fit to 1 ps)."""
    rng = np.random.default_rng(20261130)
    D, dt, fit_range = 0.5, 0.01, (0.05, 1.0)
    n_rep, n_runs, n_ions = 300, 8, 6
    walks = correlated_runs(rng, n_rep * n_runs, n_ions, 256, D / 2, D / 2, dt)
    samples = msd_samples(walks, log_lags(128, 40), dt, chunk_ions=1024)
    by_run, over_ions = [], []
    per_replica = n_runs * n_ions
    for r in range(n_rep):
        replica_ions = rows(samples, r * per_replica, (r + 1) * per_replica)
        replica_runs = dataclasses.replace(replica_ions, group=np.repeat(np.arange(n_runs), n_ions))
        for out, s in ((by_run, replica_runs), (over_ions, replica_ions)):
            fit = fit_diffusion(s, fit_range)
            out.append((fit.D_ang2_ps - D) / fit.D_err_ang2_ps)
    one_sigma, two_sigma = coverage(by_run)
    assert 0.60 <= one_sigma <= 0.76 and 0.90 <= two_sigma <= 0.99, (one_sigma, two_sigma)
    one_sigma, two_sigma = coverage(over_ions)
    assert one_sigma < 0.60 and two_sigma < 0.90, (one_sigma, two_sigma)  # ions of a run are not independent

    n_rep, n_runs, n_blocks = 200, 2, 4
    walks = correlated_runs(rng, n_rep * n_runs, n_ions, 1024, D / 2, D / 2, dt)
    runs = msd_samples(walks, log_lags(102, 40), dt, chunk_ions=1024, n_blocks=n_blocks)
    per_run = n_ions * n_blocks
    z = []
    for r in range(n_rep):
        replica = pool_samples([rows(runs, (r * n_runs + k) * per_run, (r * n_runs + k + 1) * per_run)
                                for k in range(n_runs)])
        assert replica.err_over == "time blocks (jackknife, 8 blocks)"
        fit = fit_diffusion(replica, fit_range)
        z.append((fit.D_ang2_ps - D) / fit.D_err_ang2_ps)
    one_sigma, two_sigma = coverage(z)
    assert 0.60 <= one_sigma <= 0.76 and 0.90 <= two_sigma <= 0.99, (one_sigma, two_sigma)


def test_ballistic_motion_has_slope_two_and_no_diffusive_regime():
    t = np.arange(400)
    velocities = np.random.default_rng(4).normal(size=(10, 1, 3))
    paths = velocities * t[None, :, None]  # r = v t
    samples = msd_samples(paths, log_lags(200, 40), 0.001)
    curve_msd = (samples.msd_ang2).mean(axis=0)
    np.testing.assert_allclose(local_loglog_slope(samples.lag_ps, curve_msd), 2.0, atol=1e-9)
    fit = fit_diffusion(samples)
    assert fit.mode == "none" and not fit.diffusive and np.isnan(fit.D_ang2_ps)


def test_caged_motion_has_no_diffusive_regime():
    """Ions vibrating about fixed sites (an Ornstein-Uhlenbeck process): the MSD saturates."""
    rng = np.random.default_rng(5)
    x = np.zeros((20, 2000, 3))
    for k in range(1, 2000):
        x[:, k] = 0.9 * x[:, k - 1] + rng.normal(scale=0.1, size=(20, 3))
    fit = fit_diffusion(msd_samples(x, log_lags(1000, 60), 0.01))
    assert fit.mode == "none" and np.isnan(fit.D_cm2_s)


def test_diffusive_regime_after_a_ballistic_start_is_found_and_fitted():
    """Ballistic below 0.1 ps, diffusive (slope 1) above: MSD = 6 D t^2 / tau for t < tau, else 6 D (t - tau/2)."""
    tau, D = 0.1, 0.3
    lag_ps = np.geomspace(0.001, 100, 200)
    msd = np.where(lag_ps < tau, 6 * D * lag_ps**2 / (2 * tau), 6 * D * (lag_ps - tau / 2))
    lo, hi = find_diffusive_range(lag_ps, msd)
    assert 0.1 < lo < 1.0 and hi == pytest.approx(100)


def test_configured_range_forces_the_fit_and_reports_whether_it_is_diffusive():
    rng = np.random.default_rng(6)
    samples = msd_samples(random_walks(rng, 50, 1000, 0.2, 0.01), log_lags(500, 50), 0.01)
    fit = fit_diffusion(samples, fit_range_ps=(0.1, 2.0))
    assert fit.mode == "config" and fit.diffusive
    assert fit.fit_lo_ps >= 0.1 and fit.fit_hi_ps <= 2.0
    assert abs(fit.D_ang2_ps - 0.2) < 4 * fit.D_err_ang2_ps
    assert fit.D_cm2_s == pytest.approx(fit.D_ang2_ps * 1e-4)
    with pytest.raises(InputError, match="at least 3"):
        fit_diffusion(samples, fit_range_ps=(0.1, 0.11))


def test_local_D_settles_at_D_where_the_msd_is_diffusive():
    lag_ps = np.geomspace(0.001, 100, 200)
    msd = np.where(lag_ps < 0.1, 6 * 0.3 * lag_ps**2 / 0.2, 6 * 0.3 * (lag_ps - 0.05))
    local = local_D_ang2_ps(lag_ps, msd)
    np.testing.assert_allclose(local[lag_ps > 0.2], 0.3, rtol=1e-9)
    assert np.all(local[lag_ps < 0.05] < 0.3)


def test_common_range_is_the_intersection_when_it_spans_enough():
    grid = np.geomspace(0.01, 100, 100)
    assert common_range([(0.5, 3.2), (0.8, 50.0)], [grid, grid], 0.5) == (0.8, 3.2)
    assert common_range([(0.5, 3.2), (1.5, 50.0)], [grid, grid], 0.5) is None  # 0.33 decades
    assert common_range([(0.5, 3.2), None], [grid, grid], 0.5) is None
    assert common_range([(0.5, 3.2), (0.8, 50.0)], [grid, np.array([0.01, 1.0, 100])], 0.5) is None


def test_diffusion_fits_compare_over_one_range_and_keep_each_own_range():
    """MD diffusive from 0.1 ps on over its short span, MD-GAN over a longer one: the common range is
    the MD's (inside MD-GAN's), MD-GAN's own range reaches further; per-axis rows over the same ranges."""
    rng = np.random.default_rng(12)
    md = msd_samples(random_walks(rng, 64, 600, 0.2, 0.01), log_lags(300, 50), 0.01)
    gen = msd_samples(random_walks(rng, 64, 4000, 0.2, 0.01), log_lags(2000, 60), 0.01)
    fits = diffusion_fits({"MD": md, "MD-GAN": gen}, {"MD": None, "MD-GAN": None}, 0.1, 0.5, 0.1)
    assert list(fits)[:8] == [(s, "common range", a) for s in ("MD", "MD-GAN") for a in ("iso", "x", "y", "z")]
    assert len(fits) == 16
    md_own, gen_own = fits[("MD", "own range", "iso")], fits[("MD-GAN", "own range", "iso")]
    md_common, gen_common = fits[("MD", "common range", "iso")], fits[("MD-GAN", "common range", "iso")]
    assert gen_own.fit_hi_ps > md_own.fit_hi_ps
    lo, hi = max(md_own.fit_lo_ps, gen_own.fit_lo_ps), min(md_own.fit_hi_ps, gen_own.fit_hi_ps)
    for fit in (md_common, gen_common):
        assert fit.mode == "intersection" and fit.fit == "common range"
        assert lo * (1 - 1e-9) <= fit.fit_lo_ps and fit.fit_hi_ps <= hi * (1 + 1e-9)
        assert abs(fit.D_ang2_ps - 0.2) < 3 * fit.D_err_ang2_ps
    z_md = fits[("MD", "common range", "z")]
    assert (z_md.fit_lo_ps, z_md.fit_hi_ps) == (md_common.fit_lo_ps, md_common.fit_hi_ps)
    assert abs(z_md.D_ang2_ps - 0.2) < 3 * z_md.D_err_ang2_ps and z_md.err_over == "ions"
    # no common range where the MD has no diffusive regime: NaN, said so
    one_axis = np.tile(np.minimum(md.lag_ps, 0.05) ** 2, (64, 1))  # ballistic, then caged
    caged = MSDSamples(md.lag_steps, md.dt_ps, 3 * one_axis, md.n_origins, np.repeat(one_axis[:, :, None], 3, axis=2))
    none = diffusion_fits({"MD": caged, "MD-GAN": gen}, {}, 0.1, 0.5, 0.1)
    assert none[("MD-GAN", "common range", "iso")].mode == "none"
    assert np.isnan(none[("MD-GAN", "common range", "x")].D_cm2_s)
    assert none[("MD-GAN", "own range", "iso")].mode == "auto"
    # a configured MD range is where the comparison is made: both fitted there, flagged if not diffusive
    given = diffusion_fits({"MD": caged, "MD-GAN": gen}, {"MD": [0.5, 2.5]}, 0.1, 0.5, 0.1)
    for source in ("MD", "MD-GAN"):
        fit = given[(source, "common range", "iso")]
        assert 0.5 <= fit.fit_lo_ps < 0.6 and 2.2 < fit.fit_hi_ps <= 2.5 and fit.mode == "intersection"
    assert not given[("MD", "common range", "iso")].diffusive and given[("MD-GAN", "common range", "iso")].diffusive
    assert given[("MD-GAN", "own range", "iso")].mode == "auto"


def test_replicate_models_carry_their_spread_in_the_error_and_get_a_row_each():
    """Two replicas whose D differ by 20%: the pooled error over replicas covers the difference (the
    error over ions does not), and each replica's D is listed with its own error over ions."""
    rng = np.random.default_rng(13)
    walks = np.concatenate([random_walks(rng, 200, 3000, 0.2, 0.01), random_walks(rng, 200, 3000, 0.24, 0.01)])
    lags = log_lags(1500, 50)
    plain = msd_samples(walks, lags, 0.01)
    grouped = by_replica(plain, [(0, 200), (200, 400)])
    assert grouped.err_over == "replicate models (jackknife, 2 replicas)"
    fits = diffusion_fits({"MD-GAN": grouped}, {}, 0.1, 0.5, 0.1)
    ions_only = diffusion_fits({"MD-GAN": plain}, {}, 0.1, 0.5, 0.1)
    pooled = fits[("MD-GAN", "own range", "iso")]
    assert pooled.D_err_ang2_ps > 3 * ions_only[("MD-GAN", "own range", "iso")].D_err_ang2_ps
    first, second = fits[("MD-GAN replica 0", "own range", "iso")], fits[("MD-GAN replica 1", "own range", "iso")]
    assert abs(first.D_ang2_ps - 0.2) < 4 * first.D_err_ang2_ps and abs(second.D_ang2_ps - 0.24) < 4 * second.D_err_ang2_ps
    assert first.err_over == "ions" and (first.fit_lo_ps, first.fit_hi_ps) == (pooled.fit_lo_ps, pooled.fit_hi_ps)
    assert ("MD-GAN replica 1", "common range", "z") in fits
    assert abs(pooled.D_ang2_ps - 0.22) < pooled.D_err_ang2_ps


def test_nernst_einstein_conductivity():
    # 20 ions in 1000 A^3 at 600 K, D = 1e-5 cm^2/s, charge 1:
    # n = 2e28 m^-3; sigma = n e^2 D / kT = 2e28 * (1.602e-19)^2 * 1e-9 / (1.381e-23 * 600) = 61.96 S/m
    density = ion_density_per_ang3(20, np.diag([10.0, 10.0, 10.0]))
    assert density == pytest.approx(0.02)
    sigma = nernst_einstein_S_per_cm(1e-5, density, 1.0, 600.0)
    assert sigma == pytest.approx(0.6196, rel=1e-3)
    assert nernst_einstein_S_per_cm(1e-5, density, 2.0, 600.0) == pytest.approx(4 * sigma)
    with pytest.raises(InputError, match="temperature"):
        nernst_einstein_S_per_cm(1e-5, density, 1.0, 0.0)
