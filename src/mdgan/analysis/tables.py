"""CSV tables of the analysis: atomic writing, and the diffusion table (``analysis/diffusion.csv``):
D fitted to each source's MSD and its Nernst-Einstein conductivity."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from mdgan.analysis.conductivity import ion_density_per_ang3, nernst_einstein_S_per_cm
from mdgan.analysis.diffusion import ANG2_PER_PS_IN_CM2_PER_S, DiffusionFit
from mdgan.analysis.diffusion_fits import diffusion_fits
from mdgan.analysis.msd import MSDSamples
from mdgan.analysis.series import md_temperature_k
from mdgan.atomic_io import atomic_write
from mdgan.errors import InputError
from mdgan.extract import IonTracks

DIFFUSION_COLUMNS = [
    "source", "D_cm2_s", "D_err_cm2_s", "fit_lo_ps", "fit_hi_ps", "diffusive", "sigma_S_per_cm",
    "sigma_err_S_per_cm", "fit", "axis", "err_over", "fit_mode", "loglog_slope", "intercept_ang2",
]


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """``frame`` as CSV without index, written atomically."""
    with atomic_write(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")


def diffusion_row(source: str, fit: DiffusionFit, sigma_S_per_cm: float, sigma_err_S_per_cm: float) -> dict:
    """One row of the diffusion table: the contract's columns, then which fit it is (``fit``: common
    or own range; ``axis``: iso or an axis name; ``err_over``: what the error covers) and its details."""
    return {
        "source": source,
        "D_cm2_s": fit.D_cm2_s,
        "D_err_cm2_s": fit.D_err_cm2_s,
        "fit_lo_ps": fit.fit_lo_ps,
        "fit_hi_ps": fit.fit_hi_ps,
        "diffusive": fit.diffusive,
        "sigma_S_per_cm": sigma_S_per_cm,
        "sigma_err_S_per_cm": sigma_err_S_per_cm,
        "fit": fit.fit,
        "axis": fit.axis,
        "err_over": fit.err_over,
        "fit_mode": fit.mode,
        "loglog_slope": fit.loglog_slope,
        "intercept_ang2": fit.intercept_ang2,
    }


def read_diffusion_csv(path: str | Path) -> dict[tuple[str, str, str], DiffusionFit]:
    """(source, fit, axis) -> DiffusionFit from a diffusion table."""
    frame = pd.read_csv(path)
    missing = set(DIFFUSION_COLUMNS) - set(frame.columns)
    if missing:
        raise InputError(f"{path}: missing columns {sorted(missing)}")
    fits = {}
    for row in frame.itertuples(index=False):
        fits[(row.source, row.fit, row.axis)] = DiffusionFit(
            D_ang2_ps=row.D_cm2_s / ANG2_PER_PS_IN_CM2_PER_S,
            D_err_ang2_ps=row.D_err_cm2_s / ANG2_PER_PS_IN_CM2_PER_S,
            fit_lo_ps=float(row.fit_lo_ps),
            fit_hi_ps=float(row.fit_hi_ps),
            diffusive=bool(row.diffusive),
            mode=str(row.fit_mode),
            loglog_slope=float(row.loglog_slope),
            intercept_ang2=float(row.intercept_ang2) if np.isfinite(row.intercept_ang2) else float("nan"),
            axis=str(row.axis),
            fit=str(row.fit),
            err_over=str(row.err_over),
        )
    return fits


def md_ion_density_per_ang3(runs: Mapping[str, IonTracks]) -> float:
    """Mean over runs of (ions / mean cell volume)."""
    return float(np.mean([ion_density_per_ang3(t.n_ions, t.cell_ang) for t in runs.values()]))


def diffusion_table(
    samples: Mapping[str, MSDSamples],
    runs: Mapping[str, IonTracks],
    charge_e: float,
    fit_ranges_ps: Mapping[str, list[float] | None],
    tolerance: float,
    min_span_decades: float,
    half_width_decades: float,
) -> tuple[pd.DataFrame, dict[tuple[str, str, str], DiffusionFit]]:
    """D and Nernst-Einstein conductivity for each source ("MD", "MD-GAN") over the common and its own
    range, isotropic and per axis (``mdgan.analysis.diffusion_fits``), with the MD cell's ion density
    and temperature (generated ions move in the material they were trained on). Along an axis sigma is
    that diagonal element of the conductivity tensor."""
    density = md_ion_density_per_ang3(runs)
    temperature = md_temperature_k(runs)
    fits = diffusion_fits(samples, fit_ranges_ps, tolerance, min_span_decades, half_width_decades)
    rows = []
    for (source, _, _), fit in fits.items():
        if fit.mode == "none":
            sigma = sigma_err = float("nan")
        else:
            sigma = nernst_einstein_S_per_cm(fit.D_cm2_s, density, charge_e, temperature)
            sigma_err = abs(sigma) * fit.D_err_ang2_ps / abs(fit.D_ang2_ps)
        rows.append(diffusion_row(source, fit, sigma, sigma_err))
    return pd.DataFrame(rows, columns=DIFFUSION_COLUMNS), fits
