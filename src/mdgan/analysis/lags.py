"""Lag grids: log-spaced integer lags, the lags at which generated and MD series are compared, and
the region each lag lies in, and the lag plan shared by the analysis rules (``analysis/lags.json``).

Regions: ``inside window`` (lags the critic saw within one training window), ``matched`` (lags up to
the stretch whose MSD and alpha2 statistic matching fitted to the training runs: ``match_windows``
windows; empty when matching is off) and ``beyond matched``. Only the last region is a prediction.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from mdgan.analysis.series import GeneratedSeries, frame_dt_ps
from mdgan.atomic_io import save_json
from mdgan.errors import InputError
from mdgan.extract import IonTracks


def log_lags(max_lag: int, n_lags: int, extra: np.ndarray | None = None) -> np.ndarray:
    """About ``n_lags`` integer lags from 1 to ``max_lag``, evenly spaced in log, plus ``extra``.

    Returns a sorted array of unique positive int64 lags (in steps of the series).
    """
    if max_lag < 1:
        raise InputError(f"the series is too short for any lag (longest lag {max_lag} steps)")
    lags = np.round(np.geomspace(1, max_lag, max(2, n_lags))).astype(np.int64)
    if extra is not None:
        lags = np.concatenate([lags, np.asarray(extra, dtype=np.int64)])
    lags = np.unique(lags)
    return lags[(lags >= 1) & (lags <= max_lag)]


def steps_for(lag_ps: np.ndarray, dt_ps: float) -> np.ndarray:
    """Lags in ps as whole steps of ``dt_ps``; a lag that is not a whole number of steps is refused."""
    steps = np.asarray(lag_ps, dtype=np.float64) / dt_ps
    rounded = np.round(steps)
    if np.any(np.abs(steps - rounded) > 1e-6 * np.maximum(1.0, rounded)):
        raise InputError(f"lags {list(np.asarray(lag_ps))} ps are not whole multiples of the step {dt_ps} ps")
    return rounded.astype(np.int64)


REGIONS = ("inside window", "matched", "beyond matched")


def lag_region(lag_ps: float, window_ps: float, matched_ps: float) -> str:
    """The region (one of REGIONS) of a lag, ps, given the training window and the matched stretch."""
    tol = 1 + 1e-9
    if lag_ps <= window_ps * tol:
        return REGIONS[0]
    return REGIONS[1] if lag_ps <= matched_ps * tol else REGIONS[2]


def comparison_lags_ps(
    window_ps: float,
    record_dt_ps: float,
    max_lag_ps: float,
    requested_ps: list[float] | None = None,
    window_fractions: tuple[float, ...] = (0.125, 0.5, 1.0, 2.0, 4.0),
    matched_ps: float = 0.0,
) -> np.ndarray:
    """Lags (ps) at which generated and MD series are compared, as whole records.

    Default: the given fractions of the training window (inside and beyond it), plus the longest
    lag the MD supports when it lies beyond the window and the matched stretch and no fraction
    does (the one lag that is a prediction); ``requested_ps`` replaces them. Each lag is rounded to
    a whole number of records; lags beyond ``max_lag_ps`` or below one record are dropped.
    """
    wanted = np.asarray(
        requested_ps if requested_ps is not None else [f * window_ps for f in window_fractions], dtype=np.float64
    )
    records = np.unique(np.round(wanted / record_dt_ps).astype(np.int64))
    lags = records[records >= 1] * record_dt_ps
    kept = lags[lags <= max_lag_ps * (1 + 1e-9)]
    longest = np.floor(max_lag_ps / record_dt_ps * (1 + 1e-9)) * record_dt_ps
    reach_ps = max(window_ps, matched_ps) * (1 + 1e-9)
    if requested_ps is None and longest > reach_ps and not np.any(kept > reach_ps):
        kept = np.append(kept, longest)
    if kept.size == 0:
        raise InputError(
            f"no comparison lag fits: requested {list(wanted)} ps, the MD supports lags up to "
            f"{max_lag_ps:.4g} ps in steps of {record_dt_ps:.4g} ps (config analysis.compare_lags_ps)"
        )
    return kept


@dataclass(frozen=True)
class LagPlan:
    """Time scales every analysis rule shares (all ps): the MD frame interval, the record interval
    and training window, the longest MD lag analysed, the lags where MD and MD-GAN are compared and
    the stretch statistic matching fitted (``matched_ps``, 0 without matching)."""

    frame_dt_ps: float
    record_dt_ps: float
    window_ps: float
    md_max_lag_ps: float
    compare_lags_ps: tuple[float, ...]
    matched_ps: float = 0.0

    def region(self, lag_ps: float) -> str:
        return lag_region(lag_ps, self.window_ps, self.matched_ps)

    def to_json(self, path: str | Path) -> None:
        save_json(path, {**asdict(self), "compare_lags_ps": list(self.compare_lags_ps)})

    @classmethod
    def from_json(cls, path: str | Path) -> "LagPlan":
        data = json.loads(Path(path).read_text())
        return cls(**{**data, "compare_lags_ps": tuple(data["compare_lags_ps"])})


def max_lag_steps(n_records: int, max_lag_fraction: float) -> int:
    """The longest lag analysed in a series of ``n_records``: that fraction of its span, at least 1."""
    return max(1, int(max_lag_fraction * (n_records - 1)))


def plan_lags(
    frame_dt_ps: float,
    shortest_run_frames: int,
    record_dt_ps: float,
    window_records: int,
    max_lag_fraction: float,
    requested_ps: list[float] | None = None,
    matched_windows: int = 0,
) -> LagPlan:
    """The shared lag plan from the MD runs' frame interval and length and the training windows;
    ``matched_windows``: the windows statistic matching spans (0 when it is off)."""
    md_max_lag_ps = max_lag_steps(shortest_run_frames, max_lag_fraction) * frame_dt_ps
    window_ps = window_records * record_dt_ps
    matched_ps = matched_windows * window_ps
    compare = comparison_lags_ps(window_ps, record_dt_ps, md_max_lag_ps, requested_ps, matched_ps=matched_ps)
    return LagPlan(
        frame_dt_ps=float(frame_dt_ps),
        record_dt_ps=float(record_dt_ps),
        window_ps=float(window_ps),
        md_max_lag_ps=float(md_max_lag_ps),
        compare_lags_ps=tuple(round(float(v), 12) for v in compare),
        matched_ps=float(matched_ps),
    )


def plan_for_runs(runs: Mapping[str, IonTracks], standardization: Mapping, max_lag_fraction: float,
                  requested_ps: list[float] | None, matched_windows: int = 0) -> LagPlan:
    """The lag plan of the MD runs and the training windows (``standardization.json``);
    ``matched_windows``: the windows statistic matching spans (0 when it is off)."""
    return plan_lags(
        frame_dt_ps=frame_dt_ps(runs),
        shortest_run_frames=min(t.n_frames for t in runs.values()),
        record_dt_ps=float(standardization["record_dt_ps"]),
        window_records=int(standardization["window_records"]),
        max_lag_fraction=max_lag_fraction,
        requested_ps=requested_ps,
        matched_windows=matched_windows,
    )


def md_lag_steps(runs: Mapping[str, IonTracks], plan: LagPlan, n_lags: int) -> np.ndarray:
    """Log-spaced frame lags up to the plan's longest MD lag, plus the comparison lags."""
    return log_lags(
        int(round(plan.md_max_lag_ps / plan.frame_dt_ps)), n_lags, steps_for(plan.compare_lags_ps, plan.frame_dt_ps)
    )


def generated_lag_steps(series: GeneratedSeries, plan: LagPlan, n_lags: int, max_lag_fraction: float) -> np.ndarray:
    """Log-spaced record lags over the generated series, plus the comparison lags."""
    if not np.isclose(series.record_dt_ps, plan.record_dt_ps, rtol=1e-6):
        raise InputError(
            f"generated record_dt_ps {series.record_dt_ps} differs from the training data's {plan.record_dt_ps}"
        )
    longest = max_lag_steps(series.n_records, max_lag_fraction)
    compare = steps_for(plan.compare_lags_ps, plan.record_dt_ps)
    if compare.max() > longest:
        raise InputError(
            f"the generated series ({series.n_records} records) is too short for the comparison lag "
            f"{compare.max() * plan.record_dt_ps} ps at analysis.max_lag_fraction {max_lag_fraction}"
        )
    return log_lags(longest, n_lags, compare)
