"""Windowing: counts and strides computed by hand, statistics from the training runs only."""

import numpy as np
import pytest

from mdgan.errors import InputError
from mdgan.extract import IonTracks
from mdgan.dataset import build_dataset, cut_windows, record_increments, step_skip_table, window_starts


def tracks_from(positions, frame_dt_fs=20.0):
    n = positions.shape[0]
    return IonTracks(
        positions_ang=positions,
        time_ps=frame_dt_fs / 1000 * np.arange(1, n + 1),
        cell_ang=np.repeat(np.eye(3)[None] * 10, n, axis=0),
        frame_dt_fs=frame_dt_fs,
        temperature_k=600.0,
        species="Li",
        source="test",
    )


def test_window_starts_by_hand():
    # 10 increments, windows of 4: starts 0..6; stride 3 -> 0, 3, 6; stride 4 -> 0, 4
    assert window_starts(10, 4, 1).tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert window_starts(10, 4, 3).tolist() == [0, 3, 6]
    assert window_starts(10, 4, 4).tolist() == [0, 4]
    assert window_starts(3, 4, 1).size == 0


def test_record_increments_use_every_step_skip_frame():
    positions = np.arange(11, dtype=float)[:, None, None] ** 2 * np.ones((1, 2, 3))
    inc = record_increments(positions, 3)  # records at frames 0, 3, 6, 9
    np.testing.assert_array_equal(inc[:, 0, 0], [9, 27, 45])


def test_cut_windows_values_and_order():
    inc = np.arange(10 * 2 * 3, dtype=float).reshape(10, 2, 3)
    w = cut_windows(inc, 4, 3)
    assert w.shape == (2 * 3, 4, 3)
    np.testing.assert_array_equal(w[1], inc[3:7, 0])  # ion 0, second window
    np.testing.assert_array_equal(w[5], inc[6:10, 1])  # ion 1, third window


def test_dataset_counts_standardisation_and_origin():
    rng = np.random.default_rng(0)
    runs = {
        "a": tracks_from(np.cumsum(rng.normal(0.1, 0.5, size=(41, 2, 3)), axis=0)),
        "b": tracks_from(np.cumsum(rng.normal(-0.2, 2.0, size=(21, 3, 3)), axis=0)),
    }
    ds = build_dataset(runs, step_skip=2, window_records=4, stride_records=2)
    # run a: 20 increments -> starts 0..16 step 2 = 9 per ion x 2 ions; run b: 10 -> 4 per ion x 3
    assert ds.windows.shape == (9 * 2 + 4 * 3, 4, 3) and ds.windows.dtype == np.float32
    pooled = np.concatenate([record_increments(t.positions_ang, 2).reshape(-1, 3) for t in runs.values()])
    np.testing.assert_allclose(ds.mean_ang, pooled.mean(axis=0))
    np.testing.assert_allclose(ds.std_ang, pooled.std(axis=0))
    run, ion, start = ds.origin[-1]
    expected = (record_increments(runs["b"].positions_ang, 2)[start : start + 4, ion] - ds.mean_ang) / ds.std_ang
    np.testing.assert_allclose(ds.windows[-1], expected, rtol=1e-5)
    assert (run, ion, start) == (1, 2, 6)
    assert ds.record_dt_ps == pytest.approx(0.04)
    # whole series: run a's 2 ions of 20 increments, then run b's 3 ions of 10, ion-major
    np.testing.assert_array_equal(ds.series_lengths, [20, 20, 10, 10, 10])
    assert ds.series.shape == (70, 3) and ds.series.dtype == np.float32
    np.testing.assert_allclose(ds.series[60:70], (record_increments(runs["b"].positions_ang, 2)[:, 2] - ds.mean_ang)
                               / ds.std_ang, rtol=1e-5)


def test_statistics_come_from_the_given_training_runs_only():
    rng = np.random.default_rng(1)
    train = {"a": tracks_from(np.cumsum(rng.normal(0, 1.0, size=(50, 2, 3)), axis=0))}
    held_out = tracks_from(np.cumsum(rng.normal(5, 9.0, size=(50, 2, 3)), axis=0))
    alone = build_dataset(train, 1, 8)
    assert np.allclose(alone.std_ang, record_increments(train["a"].positions_ang, 1).reshape(-1, 3).std(axis=0))
    both = build_dataset({**train, "held_out": held_out}, 1, 8)
    assert not np.allclose(alone.std_ang, both.std_ang)


def test_too_short_run_and_mismatched_interval_refused():
    short = {"a": tracks_from(np.zeros((10, 1, 3)))}
    with pytest.raises(InputError, match=r"run a .*10 frames give 9 increments.*needs 16.*at least 17 frames"):
        build_dataset(short, 1, 16)
    mixed = {"a": tracks_from(np.zeros((40, 1, 3)), 20.0), "b": tracks_from(np.zeros((40, 1, 3)), 4.0)}
    with pytest.raises(InputError, match="frame interval 4.0 fs differs"):
        build_dataset(mixed, 1, 8)


def test_step_skip_table_counts():
    runs = {"a": tracks_from(np.zeros((41, 2, 3))), "b": tracks_from(np.zeros((21, 1, 3)))}
    table = step_skip_table(runs, [1, 2, 4], window_records=8)
    # skip 1: a 40 inc -> 33 x 2, b 20 -> 13 x 1; skip 2: a 20 -> 13 x 2, b 10 -> 3; skip 4: a 10 -> 3 x 2, b 5 -> 0
    assert table["n_windows"].tolist() == [79, 29, 6]
    assert table["window_ps"].tolist() == pytest.approx([0.16, 0.32, 0.64])
