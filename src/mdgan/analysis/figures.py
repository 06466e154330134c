"""Figures comparing MD with MD-GAN. Every function returns the Figure (tests read its data);
``save_figure`` writes PNG and PDF. Matplotlib's Agg backend: no display needed."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from mdgan.atomic_io import atomic_write  # noqa: E402
from mdgan.analysis.diffusion import (  # noqa: E402
    ANG2_PER_PS_IN_CM2_PER_S,
    COMMON_RANGE,
    ISOTROPIC,
    OWN_RANGE,
    DiffusionFit,
    local_D_ang2_ps,
)
from mdgan.analysis.displacements import DisplacementStats, van_hove_self  # noqa: E402
from mdgan.analysis.msd import MSDCurve  # noqa: E402

MD_COLOR = "#1f4e9c"
GEN_COLOR = "#d9541e"
WINDOW_COLOR = "0.85"
MATCHED_COLOR = "0.94"
ANGSTROM2 = "Å$^2$"


def _d_text(fit: DiffusionFit) -> str:
    """``D = (2.69 ± 0.41)·10^-4 cm^2/s``: value and error on one power of ten."""
    note = "" if fit.diffusive else ", not diffusive"
    exponent = int(np.floor(np.log10(abs(fit.D_cm2_s)))) if fit.D_cm2_s else 0
    scale = 10.0**exponent
    return f"D = ({fit.D_cm2_s / scale:.2f} ± {fit.D_err_cm2_s / scale:.2f})·10$^{{{exponent}}}$ cm$^2$/s{note}"


def _same_range(a: DiffusionFit | None, b: DiffusionFit | None) -> bool:
    return a is not None and b is not None and a.mode != "none" and b.mode != "none" and (
        (a.fit_lo_ps, a.fit_hi_ps) == (b.fit_lo_ps, b.fit_hi_ps))


def _diffusion_label(name: str, common: DiffusionFit | None, own: DiffusionFit | None) -> str:
    """Legend of a source: D over the common range, then over its own range where that differs."""
    parts = []
    if common is not None:
        parts.append("no common range" if common.mode == "none" else _d_text(common))
    if own is not None and not _same_range(own, common):
        parts.append("own range: " + ("no diffusive regime" if own.mode == "none" else _d_text(own)))
    return f"{name} ({'; '.join(parts)})" if parts else name


def shade_regions(ax, window_ps: float, matched_ps: float = 0.0) -> None:
    """The training window grey and the matched stretch (lags statistic matching fitted) lighter:
    what lies right of both is the only prediction (mdgan.analysis.lags.REGIONS)."""
    left = ax.get_xlim()[0] if ax.get_xscale() == "log" else 0.0
    ax.axvspan(left, window_ps, color=WINDOW_COLOR, zorder=0, label=f"training window ({window_ps:.3g} ps)")
    if matched_ps > window_ps:
        ax.axvspan(window_ps, matched_ps, color=MATCHED_COLOR, zorder=0,
                   label=f"matched to the training MD (to {matched_ps:.3g} ps)")


def plot_msd(
    md: MSDCurve,
    generated: MSDCurve,
    window_ps: float,
    fits: Mapping[tuple[str, str, str], DiffusionFit] | None = None,
    matched_ps: float = 0.0,
) -> Figure:
    """(a) MSD of MD and MD-GAN on log-log axes, 1-sigma bands, fitted diffusive lines, training window
    grey and the matched stretch (``matched_ps``) lighter; (b) the local D(t) = (dMSD/dt) / 6 of both
    (cm^2/s), where it settles, with the fitted D.

    ``fits`` maps (source, fit, axis) to the diffusion fits (``mdgan.analysis.tables.read_diffusion_csv``):
    the isotropic ones over the common range are drawn dashed, MD-GAN's own range dotted.
    """
    fits = fits or {}
    fig, (ax, ax_d) = plt.subplots(2, 1, figsize=(6.4, 7.6), sharex=True, height_ratios=(3, 2),
                                   layout="constrained")
    for name, curve, color in (("MD", md, MD_COLOR), ("MD-GAN", generated, GEN_COLOR)):
        common, own = fits.get((name, COMMON_RANGE, ISOTROPIC)), fits.get((name, OWN_RANGE, ISOTROPIC))
        ax.plot(curve.lag_ps, curve.msd_ang2, color=color, lw=1.8, label=_diffusion_label(name, common, own))
        lo, hi = curve.msd_ang2 - curve.msd_err_ang2, curve.msd_ang2 + curve.msd_err_ang2
        ax.fill_between(curve.lag_ps, np.clip(lo, curve.msd_ang2 * 1e-3, None), hi, color=color, alpha=0.25, lw=0)
        local = local_D_ang2_ps(curve.lag_ps, curve.msd_ang2) * ANG2_PER_PS_IN_CM2_PER_S
        ax_d.plot(curve.lag_ps, local, color=color, lw=1.4, label=f"{name} local D(t)")
        for fit, style, what in ((common, "--", "common range"), (own if name == "MD-GAN" else None, ":", "own range")):
            if fit is None or fit.mode == "none" or (fit is own and _same_range(own, common)):
                continue
            t = np.geomspace(fit.fit_lo_ps, fit.fit_hi_ps, 50)
            ax.plot(t, fit.intercept_ang2 + 6 * fit.D_ang2_ps * t, color=color, ls=style, lw=1.2,
                    label=f"{name} fit, {what} {fit.fit_lo_ps:.3g}-{fit.fit_hi_ps:.3g} ps")
            ax_d.plot(t[[0, -1]], [fit.D_cm2_s] * 2, color=color, ls=style, lw=1.6, label=f"{name} D, {what}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(min(md.lag_ps.min(), generated.lag_ps.min()), max(md.lag_ps.max(), generated.lag_ps.max()))
    for axis in (ax, ax_d):
        shade_regions(axis, window_ps, matched_ps)
        axis.grid(True, which="major", alpha=0.3)
    ax.set_ylabel(f"mean squared displacement ({ANGSTROM2})")
    ax.set_title("(a) mean squared displacement", loc="left")
    ax.legend(fontsize="x-small", loc="upper left")
    ax_d.set_yscale("log")  # the early decay and the plateau both readable; noise below zero is not drawn
    ax_d.set_xlabel("lag time t (ps)")
    ax_d.set_ylabel("local D(t) = (dMSD/dt) / 6 (cm$^2$/s)")
    ax_d.set_title("(b) local diffusion coefficient", loc="left")
    ax_d.legend(fontsize="x-small", loc="lower right")  # the short lags lie low and to the left, the plateau above
    return fig


def _thin(n: int, max_points: int) -> slice:
    return slice(None, None, max(1, int(np.ceil(n / max_points))))


def plot_z_displacement(
    md_traces: Sequence[tuple[np.ndarray, np.ndarray]],
    generated_time_ps: np.ndarray,
    generated_dz_ang: np.ndarray,
    axis_name: str = "z",
    max_points_per_line: int = 4000,
) -> Figure:
    """Displacement along one axis (``axis_name``) of every ion: (a) MD, one (time_ps (frames,),
    dz_ang (frames, ions)) per run, and (b) MD-GAN, dz_ang (records, ions), side by side over the
    MD's time span on one scale; (c) MD-GAN over its whole length. Long traces are thinned evenly in
    time to at most ``max_points_per_line`` points for drawing."""
    fig = plt.figure(figsize=(8.0, 6.8), layout="constrained")
    grid = fig.add_gridspec(2, 2)
    ax_md = fig.add_subplot(grid[0, 0])
    ax_short = fig.add_subplot(grid[0, 1], sharex=ax_md, sharey=ax_md)
    ax_long = fig.add_subplot(grid[1, :])
    n_md, md_span_ps = 0, 0.0
    for time_ps, dz in md_traces:
        s = _thin(time_ps.size, max_points_per_line)
        ax_md.plot(time_ps[s], dz[s], lw=0.6, alpha=0.8)
        n_md += dz.shape[1]
        md_span_ps = max(md_span_ps, float(time_ps[-1]))
    within = generated_time_ps <= md_span_ps * (1 + 1e-9)
    s = _thin(int(within.sum()), max_points_per_line)
    ax_short.plot(generated_time_ps[within][s], generated_dz_ang[within][s], lw=0.6, alpha=0.8)
    s = _thin(generated_time_ps.size, max_points_per_line)
    ax_long.plot(generated_time_ps[s], generated_dz_ang[s], lw=0.6, alpha=0.8)
    ax_long.axvspan(0.0, md_span_ps, color=WINDOW_COLOR, zorder=0, label=f"the MD's span ({md_span_ps:.3g} ps)")
    ax_long.legend(fontsize="small", loc="upper left")
    n_gen = generated_dz_ang.shape[1]
    ax_md.set_title(f"(a) MD, {n_md} ions", loc="left")
    ax_short.set_title(f"(b) MD-GAN, {n_gen} ions, same span", loc="left")
    ax_long.set_title(f"(c) MD-GAN, {n_gen} ions, whole series", loc="left")
    for ax in (ax_md, ax_short, ax_long):
        ax.grid(True, alpha=0.3)
        ax.set_xlabel("time (ps)")
    for ax in (ax_md, ax_long):
        ax.set_ylabel(f"{axis_name} displacement (Å)")
    return fig


def paths_in_cell(paths_ang: np.ndarray, cell_ang: np.ndarray) -> np.ndarray:
    """Shift each path (ions, steps, 3) by the lattice vector that puts its first point in the cell."""
    frac0 = paths_ang[:, 0] @ np.linalg.inv(cell_ang)
    shift = -np.floor(frac0) @ cell_ang
    return paths_ang + shift[:, None, :]


UNIT_CUBE_CORNERS = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)], dtype=float)


def _draw_cell(ax, cell_ang: np.ndarray) -> None:
    for a in range(8):
        for b in range(a + 1, 8):
            if np.sum(np.abs(UNIT_CUBE_CORNERS[a] - UNIT_CUBE_CORNERS[b])) == 1:
                edge = UNIT_CUBE_CORNERS[[a, b]] @ cell_ang
                ax.plot(edge[:, 0], edge[:, 1], edge[:, 2], color="0.5", lw=0.8)


def plot_ion_paths(
    cell_ang: np.ndarray, md_paths_ang: np.ndarray, generated_paths_ang: np.ndarray, duration_ps: float
) -> Figure:
    """Paths (ions, steps, 3) over ``duration_ps`` drawn in 3D inside the cell (3, 3): (a) MD,
    (b) MD-GAN. Each path starts inside the cell; lines are the paths themselves (3D Line objects).
    Both panels share their axis limits (the cell and every path), so they are drawn to one scale."""
    fig = plt.figure(figsize=(11.0, 5.2), layout="constrained")
    panels = (("(a) MD", paths_in_cell(md_paths_ang, cell_ang)),
              ("(b) MD-GAN", paths_in_cell(generated_paths_ang, cell_ang)))
    points = np.concatenate([UNIT_CUBE_CORNERS @ cell_ang] + [paths.reshape(-1, 3) for _, paths in panels])
    low, high = points.min(axis=0), points.max(axis=0)
    for index, (title, paths) in enumerate(panels):
        ax = fig.add_subplot(1, 2, index + 1, projection="3d")
        _draw_cell(ax, cell_ang)
        colors = plt.cm.viridis(np.linspace(0, 1, max(1, paths.shape[0])))
        for path, color in zip(paths, colors):
            ax.plot(path[:, 0], path[:, 1], path[:, 2], color=color, lw=1.0)
        ax.set(xlim=(low[0], high[0]), ylim=(low[1], high[1]), zlim=(low[2], high[2]))
        ax.set_box_aspect(high - low, zoom=0.9)  # zoomed out a little: the x label stays inside the figure
        for axis in (ax.xaxis, ax.yaxis):  # the cell's short edges: few ticks, so their labels do not overlap
            axis.set_major_locator(MaxNLocator(4))
        ax.set_xlabel("x (Å)")
        ax.set_ylabel("y (Å)")
        ax.set_zlabel("z (Å)")
        ax.set_title(f"{title}, {paths.shape[0]} ions, {duration_ps:g} ps", loc="left")
    return fig


def plot_van_hove(
    md: DisplacementStats, generated: DisplacementStats, window_ps: float, n_bins: int = 80, matched_ps: float = 0.0
) -> Figure:
    """(a) self van Hove 4 pi r^2 G_s(r, t) at the sample lags, MD solid, MD-GAN dashed;
    (b) non-Gaussian parameter alpha2(t), MD against MD-GAN, training window grey, matched stretch
    lighter."""
    fig, (ax_vh, ax_a2) = plt.subplots(1, 2, figsize=(11.0, 4.6), layout="constrained")
    r_max = max(float(np.quantile(s, 0.995)) for s in (*md.samples_ang, *generated.samples_ang) if s.size)
    edges = np.linspace(0.0, r_max, n_bins + 1)
    centres = 0.5 * (edges[1:] + edges[:-1])
    colors = plt.cm.plasma(np.linspace(0.0, 0.85, max(1, md.sample_lag_ps.size)))
    for lag, color in zip(md.sample_lag_ps, colors):
        ax_vh.plot(centres, van_hove_self(md.samples_at(lag), edges), color=color, lw=1.8, label=f"MD, {lag:.3g} ps")
        ax_vh.plot(centres, van_hove_self(generated.samples_at(lag), edges), color=color, lw=1.4, ls="--",
                   label=f"MD-GAN, {lag:.3g} ps")
    ax_vh.set_xlabel("displacement |Δr| (Å)")
    ax_vh.set_ylabel("4πr$^2$ G$_s$(r, t) (Å$^{-1}$)")
    ax_vh.set_title("(a) self van Hove function", loc="left")
    ax_vh.legend(fontsize="x-small", ncol=2)
    ax_a2.plot(md.lag_ps, md.alpha2(), color=MD_COLOR, lw=1.8, marker="o", ms=3, label="MD")
    ax_a2.plot(generated.lag_ps, generated.alpha2(), color=GEN_COLOR, lw=1.8, marker="s", ms=3, label="MD-GAN")
    ax_a2.axhline(0.0, color="k", lw=0.6)
    ax_a2.set_xscale("log")
    ax_a2.set_xlim(min(md.lag_ps.min(), generated.lag_ps.min()), max(md.lag_ps.max(), generated.lag_ps.max()))
    shade_regions(ax_a2, window_ps, matched_ps)
    ax_a2.set_xlabel("lag time t (ps)")
    ax_a2.set_ylabel("non-Gaussian parameter α$_2$ (dimensionless)")
    ax_a2.set_title("(b) non-Gaussian parameter", loc="left")
    low, high = ax_a2.get_ylim()
    ax_a2.set_ylim(low, high + 0.5 * (high - low))  # headroom: the legend sits above the curves
    ax_a2.legend(fontsize="small", loc="upper right")
    for ax in (ax_vh, ax_a2):
        ax.grid(True, alpha=0.3)
    return fig


def msd_ratio_columns(log: pd.DataFrame) -> dict[str, int]:
    """Training-log columns ``msd_ratio_lag<N>`` -> N (lag in records)."""
    out = {}
    for column in log.columns:
        if column.startswith("msd_ratio_lag") and column[len("msd_ratio_lag"):].isdigit():
            out[column] = int(column[len("msd_ratio_lag"):])
    return out


REPLICA_STYLES = ("-", "--", ":", "-.")


def plot_training(logs: Sequence[pd.DataFrame], record_dt_ps: float) -> Figure:
    """(a) critic loss, generator loss and gradient penalty against iteration; (b) the logged MSD
    ratios (generated / training data) at their lags, with the ideal ratio 1. One training log per
    replica: same colour per quantity, one line style per replica."""
    fig, (ax_loss, ax_ratio) = plt.subplots(2, 1, figsize=(7.0, 6.4), sharex=True, layout="constrained")
    ratios = msd_ratio_columns(logs[0]) if logs else {}
    for replica, log in enumerate(logs):
        style = REPLICA_STYLES[replica % len(REPLICA_STYLES)]
        suffix = f", replica {replica}" if len(logs) > 1 else ""
        for k, column in enumerate(("critic_loss", "generator_loss", "gradient_penalty")):
            if column in log:
                ax_loss.plot(log["iteration"], log[column], lw=1.0, ls=style, color=f"C{k}",
                             label=column.replace("_", " ") + suffix)
        for k, (column, lag) in enumerate(ratios.items()):
            if column in log:
                label = f"lag {lag} records ({lag * record_dt_ps:.3g} ps){suffix}"
                ax_ratio.plot(log["iteration"], log[column], lw=1.0, ls=style, marker=".", color=f"C{k}", label=label)
    ax_loss.set_ylabel("loss (critic output units)")
    ax_loss.set_title("(a) WGAN-GP losses", loc="left")
    ax_loss.legend(fontsize="small")
    ax_ratio.axhline(1.0, color="k", lw=0.8, ls="--")
    if not ratios:
        ax_ratio.text(0.5, 0.5, "no MSD ratio in the training log", ha="center", va="center",
                      transform=ax_ratio.transAxes)
    else:
        ax_ratio.legend(fontsize="x-small", ncol=1 + (len(logs) > 1))
    ax_ratio.set_ylabel("MSD ratio, generated / training (–)")
    ax_ratio.set_xlabel("iteration")
    ax_ratio.set_title("(b) MSD ratio during training", loc="left")
    for ax in (ax_loss, ax_ratio):
        ax.grid(True, alpha=0.3)
    return fig


def save_figure(fig: Figure, png_path: str | Path, pdf_path: str | Path, dpi: int = 150) -> None:
    """Write the figure as PNG and PDF (each atomically) and close it."""
    for path in (png_path, pdf_path):
        with atomic_write(path) as tmp:
            fig.savefig(tmp, dpi=dpi)
    plt.close(fig)
