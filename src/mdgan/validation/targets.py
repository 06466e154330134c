"""The fidelity targets of the validation, evaluated on a comparison table (``comparison.csv``)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _rows(table: pd.DataFrame, quantity: str) -> pd.DataFrame:
    return table[table["quantity"] == quantity]


def msd_deviation(table: pd.DataFrame, name: str, lo_ps: float, hi_ps: float) -> tuple[float, float, float]:
    """Largest |MSD ratio - 1| of generator ``name`` over compared lags in [lo_ps, hi_ps], and the
    shortest and longest lag that range holds (NaN where it holds none)."""
    msd = _rows(table, "msd_ang2")
    inside = msd[(msd["lag_ps"] >= lo_ps * (1 - 1e-9)) & (msd["lag_ps"] <= hi_ps * (1 + 1e-9))]
    if inside.empty:
        return float("nan"), float("nan"), float("nan")
    return float(np.max(np.abs(inside[f"{name}_ratio"] - 1.0))), float(inside["lag_ps"].min()), float(inside["lag_ps"].max())


def d_deviation(table: pd.DataFrame, name: str) -> tuple[float, str]:
    """|D / reference - 1| of generator ``name`` against the exact D where known, else the held-out MD's D."""
    truth = _rows(table, "D_truth_cm2_s")
    row = truth if not truth.empty else _rows(table, "D_cm2_s")
    reference = "exact D" if not truth.empty else "held-out MD's D"
    return float(abs(row[f"{name}_ratio"].iloc[0] - 1.0)), reference


def wasserstein_beyond_window(table: pd.DataFrame, name: str, other: str) -> tuple[int, int]:
    """At how many compared lags beyond the training window ``name``'s Wasserstein distance to the MD
    is below ``other``'s, and how many such lags there are."""
    w = _rows(table, "wasserstein_ang")
    beyond = w[w["region"] == "beyond window"]
    return int(np.sum(beyond[name] < beyond[other])), len(beyond)


def targets_table(
    table: pd.DataFrame,
    window_ps: float,
    record_dt_ps: float,
    case: str,
    generators: tuple[str, ...] = ("mdgan", "baseline"),
) -> pd.DataFrame:
    """Rows (case, target, generator, value, threshold, met, note) for the issue's targets.

    case "synthetic": D within 10% of the exact D; MSD within 15% at every lag from one record to
    100 x the window; Wasserstein distance below the baseline's at every lag beyond the window.
    case "lgps": MSD within 25% over 0.1-5 ps.
    """
    rows = []
    if case == "synthetic":
        for g in generators:
            dev, reference = d_deviation(table, g)
            rows.append({"target": "D within 10%", "generator": g, "value": dev, "threshold": 0.10,
                         "note": f"|D/D_ref - 1| against the {reference}"})
            dev, lo, hi = msd_deviation(table, g, record_dt_ps, 100 * window_ps)
            rows.append({"target": "MSD within 15%, 1 record to 100 x window", "generator": g, "value": dev,
                         "threshold": 0.15, "note": f"max |ratio - 1| over {lo:.3g}-{hi:.4g} ps "
                         f"(100 x window = {100 * window_ps:.4g} ps)"})
        for g in (g for g in generators if g != "baseline" and "baseline" in generators):
            below, total = wasserstein_beyond_window(table, g, "baseline")
            rows.append({"target": "Wasserstein below baseline beyond window", "generator": g,
                         "value": below / total if total else float("nan"), "threshold": 1.0,
                         "note": f"{below} of {total} lags beyond the window"})
    elif case == "lgps":
        for g in generators:
            dev, lo, hi = msd_deviation(table, g, 0.1, 5.0)
            rows.append({"target": "MSD within 25%, 0.1-5 ps", "generator": g, "value": dev, "threshold": 0.25,
                         "note": f"max |ratio - 1| over {lo:.3g}-{hi:.3g} ps"})
    else:
        raise ValueError(f"unknown case {case!r} (synthetic or lgps)")
    out = pd.DataFrame(rows)
    fraction = out["target"].str.startswith("Wasserstein")
    out["met"] = np.where(fraction, out["value"] >= out["threshold"], out["value"] <= out["threshold"])
    out.insert(0, "case", case)
    return out
