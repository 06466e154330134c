"""Diffusive regime, D and its uncertainty (coverage over synthetic replicas), conductivity."""

import numpy as np
import pytest

from mdgan.analysis.conductivity import ion_density_per_ang3, nernst_einstein_S_per_cm
from mdgan.analysis.diffusion import find_diffusive_range, fit_diffusion, local_loglog_slope
from mdgan.analysis.lags import log_lags
from mdgan.analysis.msd import MSDSamples, msd_samples
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
