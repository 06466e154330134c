"""Self-diffusion coefficient from the MSD's diffusive regime, with an honest uncertainty.

D = slope / (2 d) of MSD(t) = 2 d D t + c (d = 3 for the isotropic MSD, d = 1 for the MSD along one
axis), fitted only where the MSD is diffusive: where the local log-log slope d ln MSD / d ln t stays
within ``tolerance`` of 1 for at least ``min_span_decades``. Where no such stretch exists (ballistic
or caged, sub-diffusive motion) no fit is forced: D is NaN and ``diffusive`` is False. A configured
range replaces the search (and is checked the same way).

The fit is weighted least squares (weights 1 / err^2 of each lag) on the pooled MSD. The slope is a
linear function of the per-unit MSDs, so its error is the jackknife error over the samples' independent
groups (``mdgan.analysis.msd.linear_estimate``): ions for generated series, runs or time blocks for MD.
Like kinisi, an estimate always comes with an uncertainty that accounts for the correlation between
lags, here measured from the scatter of independent groups instead of modelled. A naive least-squares
error treats the correlated lags as independent and is far too small.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from mdgan.errors import InputError
from mdgan.analysis.msd import MSDSamples, linear_estimate, msd_curve

ANG2_PER_PS_IN_CM2_PER_S = 1e-4
OWN_RANGE = "own range"
COMMON_RANGE = "common range"
ISOTROPIC = "iso"


@dataclass(frozen=True)
class DiffusionFit:
    """D (Angstrom^2/ps) with its 1-sigma error over the fit range [fit_lo_ps, fit_hi_ps].

    diffusive: whether the local log-log slope in the range is within tolerance of 1.
    mode: "auto" (range found), "config" (range given), "none" (no diffusive regime, no fit).
    loglog_slope: mean local log-log slope over the range (NaN without a range).
    intercept_ang2: the fitted line's MSD at t = 0, Angstrom^2 (to draw the fit).
    axis: "iso" (3D MSD, D = slope / 6) or the axis name (1D MSD, D = slope / 2).
    fit: "own range" (the source's own regime) or "common range" (one range for MD and MD-GAN).
    err_over: what the error covers ("ions", "runs (jackknife, 3 runs)", "time blocks (...)").
    """

    D_ang2_ps: float
    D_err_ang2_ps: float
    fit_lo_ps: float
    fit_hi_ps: float
    diffusive: bool
    mode: str
    loglog_slope: float
    intercept_ang2: float = float("nan")
    axis: str = "iso"
    fit: str = OWN_RANGE
    err_over: str = "ions"

    @property
    def D_cm2_s(self) -> float:
        return self.D_ang2_ps * ANG2_PER_PS_IN_CM2_PER_S

    @property
    def D_err_cm2_s(self) -> float:
        return self.D_err_ang2_ps * ANG2_PER_PS_IN_CM2_PER_S


def local_loglog_slope(lag_ps: np.ndarray, msd_ang2: np.ndarray, half_width_decades: float = 0.1) -> np.ndarray:
    """d ln MSD / d ln t at each lag: least-squares slope over lags within +-half_width_decades
    (at least the two neighbours). Non-positive MSD values give NaN."""
    log_t = np.log10(lag_ps)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_m = np.where(msd_ang2 > 0, np.log10(msd_ang2), np.nan)
    slopes = np.full(log_t.size, np.nan)
    for j in range(log_t.size):
        near = np.abs(log_t - log_t[j]) <= half_width_decades
        near[max(0, j - 1) : j + 2] = True
        t, m = log_t[near], log_m[near]
        if t.size >= 2 and np.all(np.isfinite(m)):
            dt = t - t.mean()
            slopes[j] = np.sum(dt * (m - m.mean())) / np.sum(dt**2)
    return slopes


def local_D_ang2_ps(lag_ps: np.ndarray, msd_ang2: np.ndarray, dims: int = 3) -> np.ndarray:
    """Local diffusion coefficient (dMSD/dt) / (2 dims), Angstrom^2/ps, at each lag (lags,): the
    derivative by second-order finite differences on the (uneven) lag grid. It settles at D where the
    motion is diffusive."""
    return np.gradient(msd_ang2, lag_ps) / (2 * dims)


def find_diffusive_range(
    lag_ps: np.ndarray,
    msd_ang2: np.ndarray,
    tolerance: float = 0.1,
    min_span_decades: float = 0.5,
    half_width_decades: float = 0.1,
) -> tuple[float, float] | None:
    """The longest stretch of lags (in log time) where |local slope - 1| <= tolerance, if it spans
    at least ``min_span_decades``; None if there is no diffusive regime."""
    slopes = local_loglog_slope(lag_ps, msd_ang2, half_width_decades)
    ok = np.abs(slopes - 1.0) <= tolerance
    best, best_span = None, -np.inf
    j = 0
    while j < ok.size:
        if not ok[j]:
            j += 1
            continue
        k = j
        while k + 1 < ok.size and ok[k + 1]:
            k += 1
        span = np.log10(lag_ps[k] / lag_ps[j])
        if span >= min_span_decades and span > best_span:
            best, best_span = (float(lag_ps[j]), float(lag_ps[k])), span
        j = k + 1
    return best


def _select_lags(samples: MSDSamples, lo_ps: float, hi_ps: float) -> MSDSamples:
    return samples.at_lags((samples.lag_ps >= lo_ps * (1 - 1e-9)) & (samples.lag_ps <= hi_ps * (1 + 1e-9)))


def fit_line(samples: MSDSamples) -> tuple[float, float, float]:
    """Slope (Angstrom^2/ps) of a weighted straight-line fit to the pooled MSD over all lags of
    ``samples``, its 1-sigma error over the samples' groups, and the intercept (Angstrom^2).

    The weights are 1 / err^2 with err the error over units (every ion or ion time block its own
    group): its many degrees of freedom give weights that do not follow the noise of a few runs, whose
    scatter would otherwise tie the weights to the data they weigh.
    """
    curve = msd_curve(samples)
    t = curve.lag_ps
    err = msd_curve(dataclasses.replace(samples, group=None)).msd_err_ang2
    weights = 1.0 / err**2 if np.all(np.isfinite(err)) and np.all(err > 0) else np.ones_like(t)
    t_mean = np.sum(weights * t) / np.sum(weights)
    coefficients = weights * (t - t_mean) / np.sum(weights * (t - t_mean) ** 2)
    slope, slope_err = linear_estimate(samples, coefficients)
    intercept = float(np.sum(weights * curve.msd_ang2) / np.sum(weights) - slope * t_mean)
    return slope, slope_err, intercept


def fit_diffusion(
    samples: MSDSamples,
    fit_range_ps: tuple[float, float] | None = None,
    tolerance: float = 0.1,
    min_span_decades: float = 0.5,
    half_width_decades: float = 0.1,
    axis: int | None = None,
) -> DiffusionFit:
    """D from the diffusive regime of pooled per-unit MSDs (see the module docstring): isotropic, or
    along axis ``axis`` (0, 1, 2 of ``samples.axes``) from its 1D MSD over the same kind of range."""
    name, dims = ISOTROPIC, 3
    if axis is not None:
        samples, name, dims = samples.along(axis), samples.axes[axis], 1
    curve = msd_curve(samples)
    slopes = local_loglog_slope(curve.lag_ps, curve.msd_ang2, half_width_decades)
    if fit_range_ps is None:
        found = find_diffusive_range(curve.lag_ps, curve.msd_ang2, tolerance, min_span_decades, half_width_decades)
        if found is None:
            nan = float("nan")
            return DiffusionFit(nan, nan, nan, nan, diffusive=False, mode="none", loglog_slope=nan, axis=name,
                                err_over=samples.err_over)
        lo, hi, mode = *found, "auto"
    else:
        lo, hi = (float(v) for v in fit_range_ps)
        mode = "config"
    selected = _select_lags(samples, lo, hi)
    if selected.lag_steps.size < 3:
        raise InputError(
            f"diffusion fit range {lo:.4g}-{hi:.4g} ps holds {selected.lag_steps.size} lags of the MSD grid "
            f"({curve.lag_ps.min():.4g}-{curve.lag_ps.max():.4g} ps); it needs at least 3"
        )
    in_range = (curve.lag_ps >= lo * (1 - 1e-9)) & (curve.lag_ps <= hi * (1 + 1e-9))
    mean_slope = float(np.nanmean(slopes[in_range]))
    slope, slope_err, intercept = fit_line(selected)
    return DiffusionFit(
        D_ang2_ps=slope / (2 * dims),
        D_err_ang2_ps=slope_err / (2 * dims),
        fit_lo_ps=float(selected.lag_ps.min()),
        fit_hi_ps=float(selected.lag_ps.max()),
        diffusive=bool(np.all(np.abs(slopes[in_range] - 1.0) <= tolerance)),
        mode=mode,
        loglog_slope=mean_slope,
        intercept_ang2=intercept,
        axis=name,
        err_over=samples.err_over,
    )
