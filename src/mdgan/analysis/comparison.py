"""Generated series against the MD it was trained on: D, MSD ratios, alpha2, axis correlation, Wasserstein
distances."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from mdgan.errors import InputError
from mdgan.analysis.diffusion import DiffusionFit
from mdgan.analysis.displacements import DisplacementStats, wasserstein_ang, wasserstein_floor_ang
from mdgan.analysis.lags import lag_region
from mdgan.analysis.msd import MSDCurve

COLUMNS = ["quantity", "lag_ps", "region", "md", "md_err", "generated", "generated_err", "ratio", "ratio_err"]


def ratio_with_error(a, a_err, b, b_err) -> tuple[np.ndarray, np.ndarray]:
    """b / a and its 1-sigma error for independent errors (floats or arrays; NaN where a is 0)."""
    a, a_err, b, b_err = (np.asarray(v, dtype=np.float64) for v in (a, a_err, b, b_err))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = b / a
        return ratio, np.abs(ratio) * np.hypot(a_err / a, b_err / b)


def _at(lag_ps: np.ndarray, values: np.ndarray, lag: float, what: str) -> float:
    hit = np.flatnonzero(np.isclose(lag_ps, lag, rtol=1e-6))
    if hit.size == 0:
        raise InputError(f"{what} has no value at lag {lag} ps: the lag grids must include the comparison lags")
    return float(values[hit[0]])


def _d_row(quantity: str, md_fit: DiffusionFit, generated_fit: DiffusionFit) -> dict:
    ratio, ratio_err = map(float, ratio_with_error(md_fit.D_cm2_s, md_fit.D_err_cm2_s, generated_fit.D_cm2_s,
                                                   generated_fit.D_err_cm2_s))
    return {"quantity": quantity, "lag_ps": np.nan, "region": "common range", "md": md_fit.D_cm2_s,
            "md_err": md_fit.D_err_cm2_s, "generated": generated_fit.D_cm2_s,
            "generated_err": generated_fit.D_err_cm2_s, "ratio": ratio, "ratio_err": ratio_err}


def comparison_table(
    md_msd: MSDCurve,
    generated_msd: MSDCurve,
    md_fit: DiffusionFit,
    generated_fit: DiffusionFit,
    md_displacements: DisplacementStats,
    generated_displacements: DisplacementStats,
    lags_ps: np.ndarray,
    window_ps: float,
    matched_ps: float = 0.0,
    axis_fits: Mapping[str, tuple[DiffusionFit, DiffusionFit]] | None = None,
) -> pd.DataFrame:
    """One row per quantity and lag; ``ratio`` is generated / MD, errors are 1 sigma.

    region (mdgan.analysis.lags.REGIONS): ``inside window``, ``matched`` (up to ``matched_ps``, the
    stretch statistic matching fitted to the training runs) or ``beyond matched``: only the last is
    a prediction.
    quantity D_cm2_s: from each fit, over the same (common) range for both (NaN where there is none);
    D_<axis>_cm2_s: the same along each axis of ``axis_fits`` (axis -> (MD fit, MD-GAN fit)).
    msd_ang2: pooled MSD.
    alpha2: non-Gaussian parameter (no error, no ratio).
    axis_correlation: the largest |correlation| between two Cartesian components of the displacement
    (DisplacementStats.axis_correlation; about 0 where the axes move independently; no error, no ratio).
    mean_displacement_ang: length of the mean displacement vector (a drift; ~0 without one), its
    error the length sampling noise over ions alone gives it.
    wasserstein_ang: ``generated`` is the Wasserstein-1 distance between the generated and the MD
    |dr| distributions; ``md`` the floor: what a perfect generator with the same number of samples
    would show (bootstrap, mdgan.analysis.displacements.wasserstein_floor_ang); ``ratio`` is
    generated / floor.
    """
    rows = [_d_row("D_cm2_s", md_fit, generated_fit)]
    rows += [_d_row(f"D_{axis}_cm2_s", md, gen) for axis, (md, gen) in (axis_fits or {}).items()]
    md_alpha2, gen_alpha2 = md_displacements.alpha2(), generated_displacements.alpha2()
    md_correlation, gen_correlation = md_displacements.axis_correlation(), generated_displacements.axis_correlation()
    for lag in np.asarray(lags_ps, dtype=np.float64):
        region = lag_region(lag, window_ps, matched_ps)
        md_value = _at(md_msd.lag_ps, md_msd.msd_ang2, lag, "the MD MSD")
        md_err = _at(md_msd.lag_ps, md_msd.msd_err_ang2, lag, "the MD MSD")
        gen_value = _at(generated_msd.lag_ps, generated_msd.msd_ang2, lag, "the generated MSD")
        gen_err = _at(generated_msd.lag_ps, generated_msd.msd_err_ang2, lag, "the generated MSD")
        r, r_err = map(float, ratio_with_error(md_value, md_err, gen_value, gen_err))
        rows.append(dict(quantity="msd_ang2", lag_ps=lag, region=region, md=md_value, md_err=md_err,
                         generated=gen_value, generated_err=gen_err, ratio=r, ratio_err=r_err))
        rows.append(dict(quantity="alpha2", lag_ps=lag, region=region,
                         md=_at(md_displacements.lag_ps, md_alpha2, lag, "the MD alpha2"), md_err=np.nan,
                         generated=_at(generated_displacements.lag_ps, gen_alpha2, lag, "the generated alpha2"),
                         generated_err=np.nan, ratio=np.nan, ratio_err=np.nan))
        rows.append(dict(quantity="axis_correlation", lag_ps=lag, region=region,
                         md=_at(md_displacements.lag_ps, md_correlation, lag, "the MD axis correlation"), md_err=np.nan,
                         generated=_at(generated_displacements.lag_ps, gen_correlation, lag,
                                       "the generated axis correlation"),
                         generated_err=np.nan, ratio=np.nan, ratio_err=np.nan))
        rows.append(dict(quantity="mean_displacement_ang", lag_ps=lag, region=region,
                         md=_at(md_displacements.lag_ps, md_displacements.mean_displacement_ang, lag, "the MD drift"),
                         md_err=_at(md_displacements.lag_ps, md_displacements.mean_displacement_err_ang, lag,
                                    "the MD drift"),
                         generated=_at(generated_displacements.lag_ps, generated_displacements.mean_displacement_ang,
                                       lag, "the generated drift"),
                         generated_err=_at(generated_displacements.lag_ps,
                                           generated_displacements.mean_displacement_err_ang, lag, "the generated drift"),
                         ratio=np.nan, ratio_err=np.nan))
        md_samples = md_displacements.samples_at(lag)
        generated_samples = generated_displacements.samples_at(lag)
        floor = wasserstein_floor_ang(md_samples, md_displacements.sample_ions_at(lag), generated_displacements.n_ions)
        distance = wasserstein_ang(generated_samples, md_samples)
        rows.append(dict(quantity="wasserstein_ang", lag_ps=lag, region=region, md=floor, md_err=np.nan,
                         generated=distance, generated_err=np.nan, ratio=distance / floor if floor > 0 else np.nan,
                         ratio_err=np.nan))
    return pd.DataFrame(rows, columns=COLUMNS)
