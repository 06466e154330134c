"""The AR(p) / Gaussian baseline: Yule-Walker fit on windows, stationary generation, output layout."""

import numpy as np
import pytest

from mdgan.validation.baseline import (
    fit_ar,
    generate_increments,
    model_autocovariance,
    pooled_autocovariance,
    write_positions,
)
from mdgan.dataset import cut_windows

PHI = np.array([[0.6, -0.3], [1.2, -0.5], [-0.4, 0.2]])  # stationary AR(2) per component


def ar2_windows(n_series=48, n_steps=3000, window=128, stride=16, seed=0):
    """Standardised windows cut from AR(2) series (steps, series, 3) with PHI, and the scale used."""
    rng = np.random.default_rng(seed)
    e = rng.standard_normal((n_steps + 200, n_series, 3))
    x = np.zeros_like(e)
    for t in range(2, len(e)):
        x[t] = PHI[:, 0] * x[t - 1] + PHI[:, 1] * x[t - 2] + e[t]
    x = x[200:] * [0.1, 0.2, 0.3] + [0.0, 0.01, -0.02]  # Angstrom per record
    mean, std = x.reshape(-1, 3).mean(axis=0), x.reshape(-1, 3).std(axis=0)
    return ((cut_windows(x, window, stride) - mean) / std).astype(np.float32), mean, std


def stats(mean, std):
    return {"mean_ang": mean, "std_ang": std, "record_dt_ps": 0.02, "step_skip": 1}


@pytest.fixture(scope="module")
def ar2():
    return ar2_windows()


@pytest.mark.parametrize("method", ["least-squares", "yule-walker"])
def test_fit_recovers_a_known_ar2(ar2, method):
    windows, mean, std = ar2
    model = fit_ar(windows, 2, stats(mean, std), method)
    np.testing.assert_allclose(model.coefficients, PHI, atol=0.03)
    # Innovation std in standardised units: 1 / std of the unit-noise AR(2) process.
    true_var = np.array([
        (1 - b) / ((1 + b) * ((1 - b) ** 2 - a**2)) for a, b in PHI
    ])
    np.testing.assert_allclose(model.noise_std, 1 / np.sqrt(true_var), rtol=0.05)
    # A higher order finds nothing beyond lag 2.
    model4 = fit_ar(windows, 4, stats(mean, std), method)
    assert np.abs(model4.coefficients[:, 2:]).max() < 0.03
    # The model's own stationary autocovariance: the windows' at lags 0..p (exactly for Yule-Walker).
    exact = method == "yule-walker"
    np.testing.assert_allclose(model4.autocovariance, pooled_autocovariance(windows, 4),
                               rtol=1e-9 if exact else 0.0, atol=0.0 if exact else 0.02)


def test_pooled_autocovariance_equals_the_direct_sum():
    rng = np.random.default_rng(1)
    w = rng.standard_normal((5, 7, 3))
    x = w - w.mean(axis=(0, 1))
    direct = [[np.mean(x[:, : 7 - h, c] * x[:, h:, c]) for h in range(4)] for c in range(3)]
    np.testing.assert_allclose(pooled_autocovariance(w, 3, chunk=2), direct, rtol=1e-12)


def sample_autocovariance(x, max_lag):
    """(3, max_lag + 1) from increments (series, steps, 3)."""
    x = x - x.mean(axis=(0, 1))
    n = x.shape[1]
    return np.array([[np.mean(x[:, : n - h, c] * x[:, h:, c]) for h in range(max_lag + 1)] for c in range(3)])


def test_generated_increments_have_the_fitted_autocorrelation(ar2):
    windows, mean, std = ar2
    model = fit_ar(windows, 4, stats(mean, std))
    x = generate_increments(model, seed=5, ions=range(300), n_increments=3000)
    assert np.abs(mean).max() > 0.005  # the data's sample mean is not re-added: no shared drift
    assert np.abs(x.mean(axis=(0, 1))).max() < 0.01 * std.max()
    generated = sample_autocovariance(x, 12) / std[:, None] ** 2
    fitted = model_autocovariance(model, 12)
    np.testing.assert_allclose(generated, fitted, atol=0.02)
    # The fitted autocovariance is close to the training windows' own, also beyond p.
    np.testing.assert_allclose(fitted, pooled_autocovariance(windows, 12), atol=0.03)
    # Stationary from the first record: no transient in the variance of the first increments.
    np.testing.assert_allclose(x[:, :3].var(axis=0) / std**2, np.repeat(fitted[None, :, 0], 3, axis=0), rtol=0.2)


def test_gaussian_baseline_is_white_with_the_training_variance(ar2):
    windows, mean, std = ar2
    model = fit_ar(windows, 0, stats(mean, std))
    assert model.order == 0
    x = generate_increments(model, seed=2, ions=range(200), n_increments=2000)
    acov = sample_autocovariance(x, 2) / std[:, None] ** 2
    np.testing.assert_allclose(acov[:, 0], 1.0, rtol=0.02)
    assert np.abs(acov[:, 1:]).max() < 0.01


def test_positions_are_streamed_in_chunks_from_the_start_positions(ar2, tmp_path):
    windows, mean, std = ar2
    model = fit_ar(windows, 3, stats(mean, std))
    start = np.random.default_rng(0).uniform(0, 8, size=(7, 3))
    write_positions(tmp_path / "a.npy", model, start, n_records=50, seed=9, chunk_ions=3)
    write_positions(tmp_path / "b.npy", model, start, n_records=50, seed=9, chunk_ions=100)
    a, b = np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy")
    assert a.shape == (7, 50, 3) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a[:, 0], start, atol=1e-5)
    steps = generate_increments(model, 9, range(7), 49)
    np.testing.assert_allclose(np.diff(a, axis=1), steps, atol=1e-4)
    assert not list(tmp_path.glob(".*partial*"))


def test_generate_writes_the_mdgan_layout_from_a_saved_model(ar2, tmp_path):
    from mdgan.validation.baseline import generate_baseline, load_model, save_model

    windows, mean, std = ar2
    save_model(tmp_path / "model.json", fit_ar(windows, 2, {**stats(mean, std), "step_skip": 2}))
    model = load_model(tmp_path / "model.json")
    np.testing.assert_allclose(model.coefficients, PHI, atol=0.03)
    start = np.zeros((5, 3))
    meta = generate_baseline(model, start, n_steps=41, seed=1, path=tmp_path / "positions.npy")
    positions = np.load(tmp_path / "positions.npy")
    assert positions.shape == (5, 20, 3) and positions.dtype == np.float32  # 41 frames // skip 2
    assert meta["n_records"] == 20 and meta["n_ions"] == 5 and meta["generator"] == "AR(2)"
    assert meta["record_dt_ps"] == 0.02 and meta["step_skip"] == 2
    with pytest.raises(Exception, match="order 128"):
        fit_ar(windows, 128, stats(mean, std))


def test_least_squares_fits_smooth_increments_where_yule_walker_fails():
    """Nearly integrated increments (lag-1 correlation 0.999, like 20 fs LGPS records): the pooled
    autocovariance is not positive definite at order 3, the regression inside the windows is."""
    rng = np.random.default_rng(4)
    e = rng.standard_normal((40, 600, 3))
    x = np.zeros_like(e)
    for t in range(2, 600):
        x[:, t] = 1.95 * x[:, t - 1] - 0.9506 * x[:, t - 2] + e[:, t]
    x = x[:, 100:].transpose(1, 0, 2)
    mean, std = x.reshape(-1, 3).mean(axis=0), x.reshape(-1, 3).std(axis=0)
    windows = (cut_windows(x, 64, 8) - mean) / std
    model = fit_ar(windows, 3, stats(mean, std), "least-squares")
    np.testing.assert_allclose(model.coefficients[:, :2], [[1.95, -0.9506]] * 3, atol=0.02)
    with pytest.raises(Exception, match="yule-walker fit"):
        fit_ar(windows, 3, stats(mean, std), "yule-walker")
