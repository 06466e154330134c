"""Training windows: standardised per-record increments cut from every run and ion."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mdgan.atomic_io import save_json, save_npz
from mdgan.errors import InputError
from mdgan.extract import IonTracks


@dataclass(frozen=True)
class WindowDataset:
    """Standardised increment windows and what is needed to undo the standardisation.

    windows: (windows, window_records, 3) float32, (increment - mean_ang) / std_ang.
    origin: (windows, 3) int: run index, ion index, first record of each window.
    series: (records, 3) float32, every (run, ion) track's whole standardised increment series, one
    after the other; series_lengths: (tracks,) int, their lengths (run-major, then ion). They let the
    training compare statistics at lags longer than a window.
    mean_ang, std_ang: (3,) per-component mean and std of the increments, Angstrom per record.
    """

    windows: np.ndarray
    origin: np.ndarray
    series: np.ndarray
    series_lengths: np.ndarray
    mean_ang: np.ndarray
    std_ang: np.ndarray
    record_dt_ps: float
    step_skip: int
    window_records: int
    stride_records: int
    runs: list[str]
    ions_per_run: list[int]


def record_increments(positions_ang: np.ndarray, step_skip: int) -> np.ndarray:
    """Increments between records (every ``step_skip``-th frame): (records-1, ions, 3)."""
    return np.diff(positions_ang[::step_skip], axis=0)


def window_starts(n_increments: int, window_records: int, stride_records: int) -> np.ndarray:
    """First increment of every window of ``window_records`` increments, ``stride_records`` apart."""
    if n_increments < window_records:
        return np.empty(0, dtype=np.int64)
    return np.arange(0, n_increments - window_records + 1, stride_records, dtype=np.int64)


def cut_windows(increments: np.ndarray, window_records: int, stride_records: int) -> np.ndarray:
    """All windows of one run: (windows, window_records, 3), ion-major (all of ion 0 first)."""
    starts = window_starts(increments.shape[0], window_records, stride_records)
    view = np.lib.stride_tricks.sliding_window_view(increments, window_records, axis=0)
    # view: (n_inc - W + 1, ions, 3, W) -> pick starts, order ion-major, records before xyz
    picked = view[starts].transpose(1, 0, 3, 2)
    return picked.reshape(-1, window_records, 3)


def check_frame_interval(tracks: dict[str, IonTracks]) -> float:
    """The common frame interval of all runs, fs; runs that disagree are refused."""
    intervals = {run: t.frame_dt_fs for run, t in tracks.items()}
    first = next(iter(intervals.values()))
    for run, dt in intervals.items():
        if not np.isclose(dt, first, rtol=1e-6):
            raise InputError(
                f"run {run} ({tracks[run].source}): frame interval {dt} fs differs from "
                f"{first} fs of the other runs; all runs must share one"
            )
    return first


def build_dataset(
    tracks: dict[str, IonTracks], step_skip: int, window_records: int, stride_records: int = 1
) -> WindowDataset:
    """Windows from every run and ion; mean and std from exactly these (training) runs."""
    if step_skip < 1 or window_records < 1 or stride_records < 1:
        raise InputError("step_skip, window_records and stride_records must be positive")
    frame_dt_fs = check_frame_interval(tracks)
    increments = {}
    for run, t in tracks.items():
        inc = record_increments(t.positions_ang, step_skip)
        if inc.shape[0] < window_records:
            raise InputError(
                f"run {run} ({t.source}): {t.n_frames} frames give {inc.shape[0]} increments at "
                f"step_skip {step_skip}; one window needs {window_records} "
                f"(at least {window_records * step_skip + 1} frames)"
            )
        increments[run] = inc
    pooled = np.concatenate([inc.reshape(-1, 3) for inc in increments.values()])
    mean = pooled.mean(axis=0)
    std = pooled.std(axis=0)
    if np.any(std <= 0):
        raise InputError("the increments do not vary along some axis: nothing moves")
    windows, origins, series = [], [], []
    for run_index, (run, inc) in enumerate(increments.items()):
        series.append(((inc.transpose(1, 0, 2).reshape(-1, 3) - mean) / std).astype(np.float32))
        w = cut_windows(inc, window_records, stride_records)
        starts = window_starts(inc.shape[0], window_records, stride_records)
        ions = np.repeat(np.arange(inc.shape[1]), starts.size)
        origins.append(np.column_stack([np.full(ions.size, run_index), ions, np.tile(starts, inc.shape[1])]))
        windows.append(((w - mean) / std).astype(np.float32))
    return WindowDataset(
        windows=np.concatenate(windows),
        origin=np.concatenate(origins).astype(np.int64),
        series=np.concatenate(series),
        series_lengths=np.concatenate([np.full(inc.shape[1], inc.shape[0]) for inc in increments.values()]),
        mean_ang=mean,
        std_ang=std,
        record_dt_ps=step_skip * frame_dt_fs / 1000.0,
        step_skip=step_skip,
        window_records=window_records,
        stride_records=stride_records,
        runs=list(tracks),
        ions_per_run=[t.n_ions for t in tracks.values()],
    )


def standardization_dict(dataset: WindowDataset) -> dict:
    return {
        "mean_ang": dataset.mean_ang.tolist(),
        "std_ang": dataset.std_ang.tolist(),
        "record_dt_ps": dataset.record_dt_ps,
        "step_skip": dataset.step_skip,
        "window_records": dataset.window_records,
        "stride_records": dataset.stride_records,
        "runs": dataset.runs,
        "ions_per_run": dataset.ions_per_run,
        "n_windows": int(dataset.windows.shape[0]),
    }


def save_dataset(dataset: WindowDataset, windows_path: str | Path, stats_path: str | Path) -> None:
    """Write ``windows.npz`` (windows, origin, series, series_lengths) and ``standardization.json``."""
    save_npz(
        windows_path,
        windows=dataset.windows,
        origin=dataset.origin,
        series=dataset.series,
        series_lengths=dataset.series_lengths,
    )
    save_json(stats_path, standardization_dict(dataset))


def load_standardization(path: str | Path) -> dict:
    import json

    stats = json.loads(Path(path).read_text())
    stats["mean_ang"] = np.asarray(stats["mean_ang"])
    stats["std_ang"] = np.asarray(stats["std_ang"])
    return stats


def step_skip_table(
    tracks: dict[str, IonTracks], step_skips: list[int], window_records: int, stride_records: int = 1
) -> pd.DataFrame:
    """How many windows each step skip would give from the same runs, and how long they last."""
    frame_dt_fs = check_frame_interval(tracks)
    rows = []
    for s in step_skips:
        n = 0
        for t in tracks.values():
            n_inc = len(range(0, t.n_frames, s)) - 1
            n += window_starts(n_inc, window_records, stride_records).size * t.n_ions
        rows.append(
            {
                "step_skip": s,
                "record_dt_ps": s * frame_dt_fs / 1000.0,
                "window_ps": window_records * s * frame_dt_fs / 1000.0,
                "n_windows": n,
            }
        )
    return pd.DataFrame(rows)
