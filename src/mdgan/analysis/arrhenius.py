"""Arrhenius fit of D over the MD temperatures and its extrapolation, e.g. to room temperature.

ln D = ln D0 - Ea / (k_B T): D and D0 in cm^2/s, T in K, Ea in eV, k_B = 8.617333262e-5 eV/K. The fit
is weighted least squares of ln D against 1/T with sigma_lnD = D_err / D (first order) and covariance
(X^T W X)^-1 of (ln D0, slope), slope = d ln D / d(1/T) = -Ea / k_B in K.

What the errors cover: each D's error (over ions, runs, time blocks or replicate models, see
``mdgan.analysis.uncertainty``) and, with more than 2 temperatures, the scatter of the points about the
line: the covariance is scaled by max(1, chi2_reduced) (the Birge ratio squared). Where each temperature
has its own independently trained model, that scatter carries the model-to-model spread that a single
temperature's error cannot see. With 2 points the line passes through both and nothing checks the
stated errors; with 2 degrees of freedom (4 temperatures) the scaled errors still cover less than they
claim when the stated errors are too small (a Student-t interval with few degrees of freedom). The
extrapolated D's error is first order (D sigma_lnD), its 2-sigma band exp(ln D +- 2 sigma_lnD); the
conductivity (Nernst-Einstein) carries D's relative error only, not the density's.

Points without a usable D are listed with the reason and left out of the fit; a source with fewer than
2 usable temperatures gets a fit of NaNs with a note, not an exception, so that the table still lists it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.constants import physical_constants

from mdgan.analysis.conductivity import nernst_einstein_S_per_cm
from mdgan.analysis.diffusion import COMMON_RANGE, ISOTROPIC, OWN_RANGE
from mdgan.analysis.tables import DIFFUSION_COLUMNS
from mdgan.errors import InputError

BOLTZMANN_EV_PER_K = physical_constants["Boltzmann constant in eV/K"][0]
POINT_COLUMNS = [
    "temperature_k", "source", "D_cm2_s", "D_err_cm2_s", "sigma_S_per_cm", "sigma_err_S_per_cm", "fit_lo_ps",
    "fit_hi_ps", "err_over",
]
FIT_COLUMNS = [
    "source", "Ea_eV", "Ea_err_eV", "prefactor_cm2_s", "T_extrapolated_k", "D_extrapolated_cm2_s",
    "D_extrapolated_err_cm2_s", "sigma_extrapolated_S_per_cm", "sigma_extrapolated_err_S_per_cm",
    "D_extrapolated_lo2_cm2_s", "D_extrapolated_hi2_cm2_s", "prefactor_err_cm2_s", "n_temperatures",
    "temperatures_k", "chi2_reduced", "err_scale", "note",
]


def exclusion_reason(row: pd.Series | None, fit: str) -> str:
    """Why a diffusion-table row (None: no row) cannot enter the fit; "" where it can."""
    if row is None:
        return f"no {fit} row for this source in the diffusion table"
    D, err = row["D_cm2_s"], row["D_err_cm2_s"]
    if row["fit_mode"] == "none":
        what = "no common fit range of the sources" if fit == COMMON_RANGE else "no diffusive regime in the MSD"
        return f"{what} (fit_mode none): no D"
    if not np.isfinite(D):
        return "D is not finite"
    if D <= 0:
        return f"D = {D:.3g} cm^2/s <= 0: no logarithm"
    if not bool(row["diffusive"]):
        return f"the MSD is not diffusive over the fit range {row['fit_lo_ps']:.3g}-{row['fit_hi_ps']:.3g} ps " \
               f"(diffusive False, fit_mode {row['fit_mode']})"
    if not (np.isfinite(err) and err > 0):
        return f"no positive error of D (D_err_cm2_s = {err:.3g})"
    return ""


def arrhenius_points(
    diffusion_by_temperature: Mapping[float, pd.DataFrame],
    sources: Sequence[str] = ("MD", "MD-GAN"),
    fit: str = OWN_RANGE,
) -> pd.DataFrame:
    """One row per temperature (K) and source (in the order of ``sources``) from each temperature's
    diffusion table (``pd.read_csv`` of ``diffusion.csv``), ``fit`` range: the isotropic D and sigma,
    then D along each axis of the tables, ``in_fit`` and ``excluded_reason`` ("" where in the fit)."""
    axes: list[str] = []
    selected = {}
    for temperature_k, table in diffusion_by_temperature.items():
        missing = set(DIFFUSION_COLUMNS) - set(table.columns)
        if missing:
            raise InputError(f"diffusion table at {temperature_k:g} K: missing columns {sorted(missing)}")
        selected[float(temperature_k)] = rows = table[table["fit"] == fit]
        axes = list(dict.fromkeys([*axes, *rows.loc[rows["axis"] != ISOTROPIC, "axis"].astype(str)]))
    out = []
    for temperature_k in sorted(selected):
        rows = selected[temperature_k]
        for source in sources:
            mine = rows[rows["source"] == source]
            iso = mine[mine["axis"] == ISOTROPIC]
            row = iso.iloc[0] if len(iso) else None
            point = {"temperature_k": temperature_k, "source": source}
            point |= {c: np.nan if row is None else row[c] for c in POINT_COLUMNS[2:-1]}
            point["err_over"] = "" if row is None else str(row["err_over"])
            for axis in axes:
                along = mine[mine["axis"] == axis]
                point[f"D_{axis}_cm2_s"] = along["D_cm2_s"].iloc[0] if len(along) else np.nan
                point[f"D_{axis}_err_cm2_s"] = along["D_err_cm2_s"].iloc[0] if len(along) else np.nan
            reason = exclusion_reason(row, fit)
            out.append(point | {"in_fit": not reason, "excluded_reason": reason})
    axis_columns = [c for a in axes for c in (f"D_{a}_cm2_s", f"D_{a}_err_cm2_s")]
    return pd.DataFrame(out, columns=[*POINT_COLUMNS, *axis_columns, "in_fit", "excluded_reason"])


@dataclass(frozen=True)
class ArrheniusFit:
    """ln D = ln_prefactor + slope / T (D in cm^2/s, T in K, slope = -Ea / k_B in K).

    covariance: 2x2 of (ln_prefactor, slope) as rows, scaled by err_scale^2 = max(1, chi2_reduced)
    with more than 2 points (err_scale 1, chi2_reduced NaN with 2). Ea_eV, Ea_err_eV: activation energy
    and its 1-sigma error; prefactor_cm2_s: D0 (its error in the table is first order). NaN values
    where there was no fit (fewer than 2 temperatures); ``note`` says why, or what the errors rest on.
    """

    source: str
    ln_prefactor: float
    slope: float
    covariance: tuple[tuple[float, float], tuple[float, float]]
    Ea_eV: float
    Ea_err_eV: float
    prefactor_cm2_s: float
    n_points: int
    temperatures_k: tuple[float, ...]
    chi2_reduced: float
    err_scale: float
    note: str = ""

    def ln_D(self, temperature_k: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fitted ln D (D in cm^2/s) at temperature_k (K, any shape) and its 1-sigma error, same shape."""
        x = 1.0 / np.asarray(temperature_k, dtype=np.float64)
        cov = np.asarray(self.covariance)
        variance = cov[0, 0] + 2 * x * cov[0, 1] + x**2 * cov[1, 1]
        return self.ln_prefactor + self.slope * x, np.sqrt(np.maximum(variance, 0.0))


def fit_arrhenius(
    source: str, temperature_k: np.ndarray, D_cm2_s: np.ndarray, D_err_cm2_s: np.ndarray
) -> ArrheniusFit:
    """Weighted least-squares Arrhenius fit of D (cm^2/s) with 1-sigma errors at temperatures (K), all
    (points,): see the module docstring. Fewer than 2 distinct temperatures give a NaN fit with a note;
    a non-positive or non-finite D, error or temperature is refused (``arrhenius_points`` filters them)."""
    t, D, err = (np.asarray(v, dtype=np.float64).ravel() for v in (temperature_k, D_cm2_s, D_err_cm2_s))
    if not (t.size == D.size == err.size):
        raise InputError(f"{source}: {t.size} temperatures, {D.size} D values and {err.size} errors")
    bad = ~(np.isfinite(t) & np.isfinite(D) & np.isfinite(err) & (t > 0) & (D > 0) & (err > 0))
    if bad.any():
        raise InputError(f"{source}: the Arrhenius fit needs positive finite T, D and D errors; "
                         f"not at {t[bad].tolist()} K")
    temperatures = tuple(float(v) for v in t)
    if np.unique(t).size < 2:
        nan = float("nan")
        return ArrheniusFit(source, nan, nan, ((nan, nan), (nan, nan)), nan, nan, nan, t.size, temperatures,
                            nan, nan, "fewer than 2 temperatures with a diffusive D and a positive error: no fit")
    x, y, w = 1.0 / t, np.log(D), (D / err) ** 2
    x_mean = np.sum(w * x) / np.sum(w)
    s_xx = np.sum(w * (x - x_mean) ** 2)
    slope = float(np.sum(w * (x - x_mean) * y) / s_xx)
    ln_prefactor = float(np.sum(w * y) / np.sum(w) - slope * x_mean)
    dof = t.size - 2
    chi2_reduced = float(np.sum(w * (y - ln_prefactor - slope * x) ** 2) / dof) if dof else float("nan")
    scale2 = max(1.0, chi2_reduced) if dof else 1.0
    # (X^T W X)^-1 from the centred sums: var(mean ln D) = 1 / sum w, uncorrelated with the slope
    cov = scale2 * np.array([[1 / np.sum(w) + x_mean**2 / s_xx, -x_mean / s_xx], [-x_mean / s_xx, 1 / s_xx]])
    if not dof:
        note = "2 temperatures: the line passes through both; errors from the stated errors only"
    elif scale2 > 1:
        note = f"errors scaled by the Birge ratio {np.sqrt(scale2):.3g}: they cover the scatter about the line"
    else:
        note = ""
    return ArrheniusFit(
        source=source,
        ln_prefactor=ln_prefactor,
        slope=slope,
        covariance=tuple(tuple(float(v) for v in row) for row in cov),
        Ea_eV=-slope * BOLTZMANN_EV_PER_K,
        Ea_err_eV=float(np.sqrt(cov[1, 1])) * BOLTZMANN_EV_PER_K,
        prefactor_cm2_s=float(np.exp(ln_prefactor)),
        n_points=t.size,
        temperatures_k=temperatures,
        chi2_reduced=chi2_reduced,
        err_scale=float(np.sqrt(scale2)),
        note=note,
    )


def arrhenius_fits(points: pd.DataFrame) -> dict[str, ArrheniusFit]:
    """Source -> its Arrhenius fit over the rows of ``points`` (``arrhenius_points``) with in_fit."""
    fits = {}
    for source in points["source"].unique():
        used = points[(points["source"] == source) & points["in_fit"].astype(bool)]
        fits[source] = fit_arrhenius(source, used["temperature_k"], used["D_cm2_s"], used["D_err_cm2_s"])
    return fits


def arrhenius_fit_table(
    points: pd.DataFrame, T_extrapolated_k: float, density_per_ang3: float, charge_e: float
) -> tuple[pd.DataFrame, dict[str, ArrheniusFit]]:
    """One Arrhenius fit per source of ``points`` (``arrhenius_points``, rows with in_fit) and its D and
    Nernst-Einstein conductivity at T_extrapolated_k (K), with the ion density (1/Angstrom^3) and charge
    (e); columns FIT_COLUMNS. Also source -> ArrheniusFit."""
    rows, fits = [], arrhenius_fits(points)
    for source, fit in fits.items():
        ln_D, ln_D_err = (float(v) for v in fit.ln_D(T_extrapolated_k))
        D = np.exp(ln_D)
        sigma = nernst_einstein_S_per_cm(D, density_per_ang3, charge_e, T_extrapolated_k)
        rows.append({
            "source": source,
            "Ea_eV": fit.Ea_eV,
            "Ea_err_eV": fit.Ea_err_eV,
            "prefactor_cm2_s": fit.prefactor_cm2_s,
            "T_extrapolated_k": float(T_extrapolated_k),
            "D_extrapolated_cm2_s": D,
            "D_extrapolated_err_cm2_s": D * ln_D_err,
            "sigma_extrapolated_S_per_cm": sigma,
            "sigma_extrapolated_err_S_per_cm": abs(sigma) * ln_D_err,
            "D_extrapolated_lo2_cm2_s": np.exp(ln_D - 2 * ln_D_err),
            "D_extrapolated_hi2_cm2_s": np.exp(ln_D + 2 * ln_D_err),
            "prefactor_err_cm2_s": fit.prefactor_cm2_s * np.sqrt(fit.covariance[0][0]),
            "n_temperatures": fit.n_points,
            "temperatures_k": ";".join(f"{v:g}" for v in fit.temperatures_k),
            "chi2_reduced": fit.chi2_reduced,
            "err_scale": fit.err_scale,
            "note": fit.note,
        })
    return pd.DataFrame(rows, columns=FIT_COLUMNS), fits
