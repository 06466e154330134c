"""Arrhenius plot: D of each source against 1000/T with its fit extrapolated (``mdgan.analysis.arrhenius``).
Returns the Figure; ``mdgan.analysis.figures.save_figure`` writes it."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mdgan.analysis.arrhenius import ArrheniusFit
from mdgan.analysis.figures import GEN_COLOR, MD_COLOR, plt  # pyplot on the Agg backend

COLORS = {"MD": MD_COLOR, "MD-GAN": GEN_COLOR}
LEFT_OUT_COLOR = "0.6"


def _inverse_kilo(value: np.ndarray) -> np.ndarray:
    """1000 / value: 1000/T (1/K) <-> T (K); infinite at 0."""
    with np.errstate(divide="ignore"):
        return 1000.0 / np.asarray(value, dtype=np.float64)


def _fit_label(source: str, fit: ArrheniusFit) -> str:
    return f"{source} fit: E$_a$ = ({fit.Ea_eV:.3f} ± {fit.Ea_err_eV:.3f}) eV, 2σ band"


def plot_arrhenius(points: pd.DataFrame, fits: Mapping[str, ArrheniusFit], T_extrapolated_k: float) -> Figure:
    """D (cm^2/s, log axis) against 1000/T (1/K), temperature (K) on the top axis: each source's points
    (``mdgan.analysis.arrhenius.arrhenius_points``) with 1-sigma error bars, those left out of the fit
    hollow and grey (their temperatures in the legend); each fit in ``fits`` as a line over its
    temperatures and T_extrapolated_k with its 2-sigma band, and the extrapolated D with its 2-sigma error
    bar. A source without a fit (NaN) gets its points only."""
    fig, ax = plt.subplots(figsize=(6.4, 4.8), layout="constrained")
    for k, source in enumerate(points["source"].unique()):
        color = COLORS.get(source, f"C{k + 2}")
        mine = points[points["source"] == source]
        used, left_out = mine[mine["in_fit"].astype(bool)], mine[~mine["in_fit"].astype(bool)]
        fit = fits.get(source)
        has_fit = fit is not None and np.isfinite(fit.slope)
        label = source if has_fit else f"{source} (no fit: {fit.note if fit else 'none given'})"
        ax.errorbar(_inverse_kilo(used["temperature_k"]), used["D_cm2_s"], yerr=used["D_err_cm2_s"], fmt="o",
                    color=color, capsize=3, label=label)
        if len(left_out):
            drawn = left_out[left_out["D_cm2_s"] > 0]
            temperatures = ", ".join(f"{v:g}" for v in left_out["temperature_k"])
            ax.errorbar(_inverse_kilo(drawn["temperature_k"]), drawn["D_cm2_s"], yerr=drawn["D_err_cm2_s"].abs(),
                        fmt="o", mfc="none", color=LEFT_OUT_COLOR, mec=color, capsize=3,
                        label=f"{source}, left out of the fit ({temperatures} K)")
        if not has_fit:
            continue
        span_k = [*fit.temperatures_k, T_extrapolated_k]
        temperature_k = 1000.0 / np.linspace(1000.0 / max(span_k), 1000.0 / min(span_k), 100)
        ln_D, ln_D_err = fit.ln_D(temperature_k)
        ax.plot(_inverse_kilo(temperature_k), np.exp(ln_D), color=color, lw=1.4, label=_fit_label(source, fit))
        ax.fill_between(_inverse_kilo(temperature_k), np.exp(ln_D - 2 * ln_D_err), np.exp(ln_D + 2 * ln_D_err),
                        color=color, alpha=0.2, lw=0)
        ln_x, ln_x_err = (float(v) for v in fit.ln_D(T_extrapolated_k))
        D = np.exp(ln_x)
        ax.errorbar([1000.0 / T_extrapolated_k], [D], yerr=[[D - np.exp(ln_x - 2 * ln_x_err)],
                    [np.exp(ln_x + 2 * ln_x_err) - D]], fmt="D", color=color, mfc="white", capsize=4,
                    label=f"{source} at {T_extrapolated_k:g} K: D = {D:.2e} cm$^2$/s (2σ bar)")
    ax.set_yscale("log")
    ax.set_xlabel("1000 / T (K$^{-1}$)")
    ax.set_ylabel("D (cm$^2$/s)")
    top = ax.secondary_xaxis("top", functions=(_inverse_kilo, _inverse_kilo))
    top.set_xticks(sorted({*points["temperature_k"], T_extrapolated_k}))
    top.set_xlabel("temperature T (K)")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="x-small", loc="upper right")
    return fig
