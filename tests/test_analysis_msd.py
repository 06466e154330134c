"""FFT MSD against the O(T^2) definition, pooling of runs, errors over ions, lag grids."""

import numpy as np
import pytest

from mdgan.analysis.lags import REGIONS, comparison_lags_ps, lag_region, log_lags, plan_lags, steps_for
from mdgan.analysis.msd import (
    block_edges,
    linear_estimate,
    load_samples,
    msd_curve,
    msd_samples,
    pool_samples,
    read_curve_csv,
    save_samples,
    write_curve_csv,
)
from mdgan.analysis.uncertainty import t_factor
from mdgan.errors import InputError


def direct_msd(path, lags):
    """The definition: mean over all origins of |r(t0 + m) - r(t0)|^2, per lag, O(T^2)."""
    return np.array([np.mean(np.sum((path[m:] - path[:-m]) ** 2, axis=-1)) for m in lags])


@pytest.mark.parametrize("n_records", [2, 17, 200, 257])
def test_fft_msd_equals_direct_definition(n_records):
    rng = np.random.default_rng(n_records)
    positions = 50.0 + np.cumsum(rng.normal(size=(7, n_records, 3)), axis=1)  # far from the origin
    lags = np.arange(1, n_records)
    samples = msd_samples(positions, lags, dt_ps=0.004, chunk_ions=3)  # chunks of 3, 3, 1 ions
    expected = np.array([direct_msd(p, lags) for p in positions])
    np.testing.assert_allclose(samples.msd_ang2, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(samples.n_origins[0], n_records - lags)
    np.testing.assert_allclose(samples.lag_ps, lags * 0.004)


def test_fft_msd_reads_float32_memmap_and_transposed_views(tmp_path):
    rng = np.random.default_rng(1)
    frames = np.cumsum(rng.normal(size=(300, 5, 3)), axis=0)  # MD layout (frames, ions, 3)
    path = tmp_path / "positions.npy"
    np.save(path, frames.transpose(1, 0, 2).astype(np.float32))
    lags = log_lags(150, 20)
    from_view = msd_samples(frames.transpose(1, 0, 2), lags, 0.01)
    from_file = msd_samples(np.load(path, mmap_mode="r"), lags, 0.01, chunk_ions=2, workers=2)
    np.testing.assert_allclose(from_file.msd_ang2, from_view.msd_ang2, rtol=1e-5)
    as_float64 = np.load(path).astype(np.float64)  # float32 input is computed in float64
    expected = np.array([direct_msd(p, lags) for p in as_float64])
    np.testing.assert_allclose(from_file.msd_ang2, expected, rtol=1e-10)


def test_pooled_runs_are_weighted_by_origins_and_error_is_the_jackknife_over_ions():
    rng = np.random.default_rng(2)
    short = np.cumsum(rng.normal(size=(4, 100, 3)), axis=1)
    long = np.cumsum(rng.normal(size=(6, 400, 3)), axis=1)
    lags = np.array([1, 5, 20, 50])
    pooled = pool_samples([msd_samples(short, lags, 0.01), msd_samples(long, lags, 0.01)])
    curve = msd_curve(pooled)
    for j, m in enumerate(lags):
        sums = sum(np.sum((p[m:] - p[:-m]) ** 2) for run in (short, long) for p in run)
        origins = 4 * (100 - m) + 6 * (400 - m)
        assert curve.msd_ang2[j] == pytest.approx(sums / origins, rel=1e-10)
    equal = msd_samples(long, lags, 0.01)
    # the standard error over ions, widened to a 68% interval for 6 ions (Student's t, 5 dof)
    expected_err = equal.msd_ang2.std(axis=0, ddof=1) / np.sqrt(equal.n_ions) * t_factor(5)
    np.testing.assert_allclose(msd_curve(equal).msd_err_ang2, expected_err, rtol=1e-10)
    value, err = linear_estimate(equal, np.eye(lags.size)[2])
    assert value == pytest.approx(msd_curve(equal).msd_ang2[2])
    assert err == pytest.approx(expected_err[2])


def test_pooling_refuses_runs_with_different_lag_times():
    x = np.cumsum(np.ones((2, 50, 3)), axis=1)
    with pytest.raises(InputError, match="share their lags"):
        pool_samples([msd_samples(x, [1, 2], 0.01), msd_samples(x, [1, 2], 0.02)])


def test_bad_lags_are_refused():
    with pytest.raises(InputError, match="lags must lie"):
        msd_samples(np.zeros((2, 10, 3)), [10], 0.01)


def test_samples_and_curve_round_trip(tmp_path):
    x = np.cumsum(np.random.default_rng(3).normal(size=(3, 60, 3)), axis=1)
    samples = msd_samples(x, log_lags(30, 10), 0.02)
    save_samples(samples, tmp_path / "s.npz")
    again = load_samples(tmp_path / "s.npz")
    np.testing.assert_array_equal(again.msd_ang2, samples.msd_ang2)
    write_curve_csv(msd_curve(samples), tmp_path / "msd.csv")
    curve = read_curve_csv(tmp_path / "msd.csv")
    np.testing.assert_allclose(curve.msd_ang2, msd_curve(samples).msd_ang2, rtol=1e-9)


def test_log_lags_are_unique_sorted_and_include_extras():
    lags = log_lags(1000, 30, extra=np.array([64, 5000]))
    assert lags[0] == 1 and lags[-1] == 1000
    assert np.all(np.diff(lags) > 0)
    assert 64 in lags and 5000 not in lags


def test_comparison_lags_are_whole_records_inside_and_beyond_the_window():
    lags = comparison_lags_ps(window_ps=2.56, record_dt_ps=0.04, max_lag_ps=6.0)
    np.testing.assert_allclose(lags, [0.32, 1.28, 2.56, 5.12])  # 4 windows (10.24 ps) is beyond the MD
    assert np.all(np.isclose(lags / 0.04, np.round(lags / 0.04)))
    # the MD reaches beyond the window, but not to 2 windows: its longest lag is compared too
    np.testing.assert_allclose(comparison_lags_ps(2.56, 0.02, 3.33), [0.32, 1.28, 2.56, 3.32])
    np.testing.assert_allclose(comparison_lags_ps(2.56, 0.02, 3.33, requested_ps=[1.0]), [1.0])
    with pytest.raises(InputError, match="compare_lags_ps"):
        comparison_lags_ps(2.56, 0.04, 0.01)
    with pytest.raises(InputError, match="whole multiples"):
        steps_for([0.05], 0.04)


def test_the_longest_md_lag_is_compared_when_it_lies_beyond_the_matched_stretch():
    """The reference case: 1.024 ps windows, matching over 2 (2.048 ps), MD lags to 3 ps: 2 windows is
    a matched lag, so the MD's longest lag is added as the one prediction."""
    lags = comparison_lags_ps(1.024, 0.008, 2.992, matched_ps=2.048)
    np.testing.assert_allclose(lags, [0.128, 0.512, 1.024, 2.048, 2.992])
    assert [lag_region(lag, 1.024, 2.048) for lag in lags] == [
        "inside window", "inside window", "inside window", "matched", "beyond matched"]
    # without matching the same lags are inside the window or beyond it (nothing matched)
    assert [lag_region(lag, 1.024, 0.0) for lag in lags[2:]] == ["inside window", "beyond matched", "beyond matched"]
    assert set(REGIONS) == {"inside window", "matched", "beyond matched"}


def test_lag_plan_round_trips(tmp_path):
    plan = plan_lags(frame_dt_ps=0.02, shortest_run_frames=1001, record_dt_ps=0.04, window_records=64,
                     max_lag_fraction=0.5, matched_windows=2)
    assert plan.window_ps == pytest.approx(2.56)
    assert plan.md_max_lag_ps == pytest.approx(10.0)
    assert plan.matched_ps == pytest.approx(5.12) and plan.region(5.12) == "matched"
    assert plan.region(5.2) == "beyond matched" and plan.region(2.56) == "inside window"
    plan.to_json(tmp_path / "lags.json")
    assert type(plan).from_json(tmp_path / "lags.json") == plan


def test_time_blocks_split_the_origins_and_pool_back_to_the_whole_run():
    rng = np.random.default_rng(7)
    positions = np.cumsum(rng.normal(size=(3, 120, 3)), axis=1)
    lags = np.array([1, 7, 30, 60])
    whole = msd_samples(positions, lags, 0.01)
    blocked = msd_samples(positions, lags, 0.01, chunk_ions=2, n_blocks=4)
    edges = block_edges(120, 60, 4)
    np.testing.assert_array_equal(edges, [0, 15, 30, 45, 120])  # 60 origins reach lag 60; the rest join the last
    assert blocked.msd_ang2.shape == (12, 4) and blocked.err_over == "time blocks (jackknife, 4 blocks)"
    np.testing.assert_array_equal(blocked.group, np.tile(np.arange(4), 3))
    for unit in range(12):
        ion, block = divmod(unit, 4)
        for j, m in enumerate(lags):
            origins = np.arange(edges[block], min(edges[block + 1], 120 - m))
            d = positions[ion, origins + m] - positions[ion, origins]
            assert blocked.n_origins[unit, j] == origins.size
            np.testing.assert_allclose(blocked.msd_axes_ang2[unit, j], np.mean(d**2, axis=0), rtol=1e-9)
    np.testing.assert_allclose(msd_curve(blocked).msd_ang2, msd_curve(whole).msd_ang2, rtol=1e-10)
    with pytest.raises(InputError, match="time blocks"):
        block_edges(120, 118, 4)


def test_per_axis_msd_follows_the_frame_and_adds_up_to_the_isotropic_one(tmp_path):
    rng = np.random.default_rng(8)
    positions = np.cumsum(rng.normal(size=(4, 80, 3)) * [1.0, 2.0, 0.5], axis=1)
    lags = np.array([1, 5, 20])
    turn = np.array([[np.cos(0.3), np.sin(0.3), 0.0], [-np.sin(0.3), np.cos(0.3), 0.0], [0.0, 0.0, 1.0]])
    samples = msd_samples(positions, lags, 0.01, frame=turn, axes=("a", "b", "c"))
    projected = positions @ turn.T
    for k in range(3):
        expected = np.array([direct_msd(p[:, k : k + 1], lags) for p in projected])
        np.testing.assert_allclose(samples.msd_axes_ang2[:, :, k], expected, rtol=1e-9)
    np.testing.assert_allclose(samples.msd_axes_ang2.sum(axis=2), samples.msd_ang2, rtol=1e-12)
    np.testing.assert_allclose(samples.msd_ang2, np.array([direct_msd(p, lags) for p in positions]), rtol=1e-9)
    curve = msd_curve(samples)
    assert curve.axes == ("a", "b", "c") and curve.msd_axes_ang2.shape == (3, 3)
    write_curve_csv(curve, tmp_path / "msd.csv")
    again = read_curve_csv(tmp_path / "msd.csv")
    assert again.axes == ("a", "b", "c") and again.err_over == "ions"
    np.testing.assert_allclose(again.msd_axes_err_ang2, curve.msd_axes_err_ang2, rtol=1e-9)
    save_samples(samples, tmp_path / "s.npz")
    loaded = load_samples(tmp_path / "s.npz")
    assert loaded.axes == samples.axes and loaded.group is None
    np.testing.assert_array_equal(loaded.msd_axes_ang2, samples.msd_axes_ang2)


def test_pooling_by_run_makes_each_run_one_group():
    x = np.cumsum(np.random.default_rng(9).normal(size=(2, 60, 3)), axis=1)
    runs = [msd_samples(x, [1, 4], 0.01) for _ in range(3)]
    by_run = pool_samples(runs, group_by_run=True)
    np.testing.assert_array_equal(by_run.group, [0, 0, 1, 1, 2, 2])
    assert by_run.err_over == "runs (jackknife, 3 runs)"
    blocks = pool_samples([msd_samples(x, [1, 4], 0.01, n_blocks=2) for _ in range(2)])
    np.testing.assert_array_equal(blocks.group, [0, 1, 0, 1, 2, 3, 2, 3])
    assert blocks.err_over == "time blocks (jackknife, 4 blocks)"
    # identical runs: deleting any one changes nothing, so the error over runs is zero
    assert np.allclose(msd_curve(by_run).msd_err_ang2, 0.0)
