"""How checkpoints are ranked by their selection-part scores (the columns of checkpoint_scores.csv,
``mdgan.validation.selection``): method "msd" by the RMS ln MSD ratio, "msd_alpha2" by the sum of the
MSD and alpha2 RMS values, "msd_alpha2_axes" adds the axis correlation's; "msd_per_axis_alpha2" and
"msd_per_axis_alpha2_axes" take the MSD along each axis in place of the isotropic one (a replica whose
motion prefers an axis scores worse); "final" takes the last ones.
Plain tables, no model: the comparison reads each replica's score with it."""

from __future__ import annotations

import pandas as pd

from mdgan.errors import InputError


SCORED_BY = {  # method -> the columns of checkpoint_scores it sums (smallest wins)
    "msd": ["rms_log_msd_ratio"],
    "msd_alpha2": ["rms_log_msd_ratio", "rms_alpha2_diff"],
    "msd_alpha2_axes": ["rms_log_msd_ratio", "rms_alpha2_diff", "rms_axis_correlation_diff"],
    "msd_per_axis_alpha2": ["rms_log_msd_per_axis_ratio", "rms_alpha2_diff"],
    "msd_per_axis_alpha2_axes": ["rms_log_msd_per_axis_ratio", "rms_alpha2_diff", "rms_axis_correlation_diff"],
}


def choose(scores: pd.DataFrame, method: str, pool: int) -> list[int]:
    """Iterations to generate from, in training order: the last ``pool`` ("final"), or the ``pool`` with
    the smallest sum of the score columns ``SCORED_BY[method]`` (all dimensionless: 0.1 is a 10 % MSD,
    an alpha2 or an axis correlation off by 0.1)."""
    if method == "final":
        chosen = scores["iteration"].iloc[-pool:]
    elif method in SCORED_BY:
        total = scores[SCORED_BY[method]].sum(axis=1)
        chosen = scores.loc[total.nsmallest(pool).index, "iteration"]
    else:
        raise InputError(f"config key validation.checkpoint_selection.method: unknown method {method!r}")
    return sorted(int(i) for i in chosen)


def selection_score(scores: pd.DataFrame, method: str) -> float:
    """The selection part's score of the chosen checkpoints (``selected`` rows of a checkpoint_scores
    table): the mean over them of the sum of ``SCORED_BY[method]`` (for "final", of the MSD score)."""
    chosen = scores[scores["selected"].astype(bool)]
    return float(chosen[SCORED_BY.get(method, SCORED_BY["msd"])].sum(axis=1).mean())
