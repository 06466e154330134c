"""The validation figure, drawn from the comparison table alone (``validation/comparison.csv``)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from mdgan.analysis.figures import shade_regions  # noqa: E402
from mdgan.validation.comparison import TRAINING_MD, TRAINING_MD_LABEL  # noqa: E402

HELDOUT_COLOR = "#1f4e9c"
COLORS = {"mdgan": "#d9541e", "baseline": "#3a9a4a"}
LABELS = {"mdgan": "MD-GAN", "baseline": "baseline"}
TRAINING_COLOR = "0.45"


def generator_names(table: pd.DataFrame) -> list[str]:
    """The generators in a comparison table (columns ``<name>_ratio``; not the training part's MD)."""
    names = [c[: -len("_ratio")] for c in table.columns if c.endswith("_ratio") and not c.endswith("_err")]
    return [n for n in names if n != TRAINING_MD]


def plot_fidelity(
    table: pd.DataFrame, window_ps: float, msd_tolerance: float = 0.15, matched_ps: float = 0.0
) -> Figure:
    """Four panels against the held-out MD: (a) MSD, (b) MSD ratio with the +-tolerance band,
    (c) Wasserstein distance of |dr| per lag with the MD's own floor, (d) alpha2. Where the table
    holds the training part's MD, (b) shows its ratio too: what a perfect model of it would score."""
    names = generator_names(table)
    msd = table[table["quantity"] == "msd_ang2"]
    wass = table[table["quantity"] == "wasserstein_ang"]
    alpha = table[table["quantity"] == "alpha2"]
    truth = table.loc[table["quantity"] == "D_truth_cm2_s", "heldout"]
    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5), layout="constrained")
    (a, b), (c, d) = axes
    t = msd["lag_ps"].to_numpy()

    a.plot(t, msd["heldout"], color=HELDOUT_COLOR, lw=2, label="held-out MD")
    a.fill_between(t, msd["heldout"] - msd["heldout_err"], msd["heldout"] + msd["heldout_err"],
                   color=HELDOUT_COLOR, alpha=0.25, lw=0)
    for n in names:
        a.plot(t, msd[n], color=COLORS.get(n), lw=1.5, label=LABELS.get(n, n))
    if len(truth) and np.isfinite(truth.iloc[0]):
        a.plot(t, 6 * truth.iloc[0] * 1e4 * t, color="k", ls=":", lw=1, label="6 D t, exact D")
    a.set(xscale="log", yscale="log", xlabel="lag t (ps)", ylabel="MSD (Å$^2$)", title="(a) mean squared displacement")

    b.axhspan(1 - msd_tolerance, 1 + msd_tolerance, color="0.9", zorder=0, label=f"±{msd_tolerance:.0%}")
    rel = (msd["heldout_err"] / msd["heldout"]).to_numpy()
    b.fill_between(t, 1 - rel, 1 + rel, color=HELDOUT_COLOR, alpha=0.25, lw=0, label="held-out MD, 1σ")
    b.axhline(1.0, color=HELDOUT_COLOR, lw=1)
    for n in names:
        b.plot(t, msd[f"{n}_ratio"], color=COLORS.get(n), lw=1.5, label=LABELS.get(n, n))
    reference = [TRAINING_MD] if f"{TRAINING_MD}_ratio" in msd else []
    if reference:
        b.plot(t, msd[f"{TRAINING_MD}_ratio"], color=TRAINING_COLOR, lw=0.8, label=TRAINING_MD_LABEL)
    b.set(xscale="log", xlabel="lag t (ps)", ylabel="MSD / held-out MSD", title="(b) MSD ratio")
    ratios = msd[[f"{n}_ratio" for n in names + reference]].to_numpy()
    finite = ratios[np.isfinite(ratios)]
    low, high = (finite.min(), finite.max()) if finite.size else (1.0, 1.0)
    b.set_ylim(max(0.0, min(1 - 1.5 * msd_tolerance, low - 0.05)), min(3.0, max(1 + 1.5 * msd_tolerance, high + 0.05)))

    tw = wass["lag_ps"].to_numpy()
    c.plot(tw, wass["heldout"], color=HELDOUT_COLOR, marker="o", lw=1.5, label="floor: a perfect generator of as many ions")
    for n in names:
        c.plot(tw, wass[n], color=COLORS.get(n), marker="o", lw=1.5, label=LABELS.get(n, n))
    c.set(xscale="log", yscale="log", xlabel="lag t (ps)", ylabel="Wasserstein-1 distance of |Δr| (Å)",
          title="(c) self van Hove: distance to the held-out MD")

    d.axhline(0.0, color="0.5", lw=0.8)
    d.plot(alpha["lag_ps"], alpha["heldout"], color=HELDOUT_COLOR, lw=2, label="held-out MD")
    for n in names:
        d.plot(alpha["lag_ps"], alpha[n], color=COLORS.get(n), lw=1.5, label=LABELS.get(n, n))
    d.set(xscale="log", xlabel="lag t (ps)", ylabel="non-Gaussian parameter α$_2$", title="(d) α$_2$(t)")

    for ax in axes.ravel():
        shade_regions(ax, window_ps, matched_ps)
        ax.legend(fontsize=8)
    return fig
