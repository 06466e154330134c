"""Generated series (MD-GAN, baseline) against the held-out MD: MSD ratio at every lag, D, van Hove
Wasserstein distance per lag, alpha2; one wide table with the generators side by side.

Lags are whole records (``step_skip`` frames of the MD), log-spaced from one record to the longest
lag the held-out MD supports (``max_lag_fraction`` of its longest piece); at each lag, the pieces
long enough for it are pooled (a shorter piece's ions get zero weight there). The floor for
distributions is the Wasserstein distance a perfect generator with the generators' number of ions
would show against the held-out MD (ion bootstrap, mdgan.analysis.displacements.wasserstein_floor_ang).

The training part's own MD, through the same statistics (``training_stats``), is what a perfect model
of the training part would score: its ratio to the held-out MD is the run-to-run scatter that no
generator trained on that part can be expected to beat. Lags longer than it supports are NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

import numpy as np
import pandas as pd

from mdgan.analysis.comparison import ratio_with_error
from mdgan.analysis.diffusion import DiffusionFit, fit_diffusion
from mdgan.analysis.displacements import (
    DisplacementStats,
    combine_stats,
    displacement_stats,
    wasserstein_ang,
    wasserstein_floor_ang,
)
from mdgan.analysis.lags import lag_region, log_lags, max_lag_steps
from mdgan.analysis.msd import MSDCurve, MSDSamples, msd_curve, msd_samples, pool_samples
from mdgan.analysis.series import ion_major
from mdgan.errors import InputError
from mdgan.extract import IonTracks

TRAINING_MD = "training_md"  # the comparison table's name for the training part's own MD
TRAINING_MD_LABEL = "training MD (perfect model)"  # its label in the figure and the targets


@dataclass(frozen=True)
class LagGrid:
    """Record lags of the comparison: ``msd`` (every compared lag) and ``distribution`` (a subset)."""

    msd: np.ndarray
    distribution: np.ndarray
    record_dt_ps: float
    step_skip: int
    window_records: int

    @property
    def lag_ps(self) -> np.ndarray:
        return self.msd * self.record_dt_ps


@dataclass(frozen=True)
class SourceStats:
    """What the comparison needs of one series: per-ion MSDs, displacement statistics, D."""

    msd: MSDSamples
    displacements: DisplacementStats
    fit: DiffusionFit

    @property
    def curve(self) -> MSDCurve:
        return msd_curve(self.msd)


def lag_grid(
    pieces: Mapping[str, IonTracks], standardization: Mapping, n_lags: int, n_distribution_lags: int,
    max_lag_fraction: float,
) -> LagGrid:
    """Log-spaced record lags from 1 to ``max_lag_fraction`` of the longest piece's records."""
    step_skip = int(standardization["step_skip"])
    longest_records = (max(t.n_frames for t in pieces.values()) - 1) // step_skip + 1
    longest = max_lag_steps(longest_records, max_lag_fraction)
    distribution = log_lags(longest, n_distribution_lags)
    msd = log_lags(longest, n_lags, distribution)
    return LagGrid(msd, distribution, float(standardization["record_dt_ps"]), step_skip,
                   int(standardization["window_records"]))


def _fit(samples: MSDSamples, fit_settings: Mapping) -> DiffusionFit:
    """D in the automatically found diffusive regime; ``fit_settings``: the config's analysis.diffusion
    keys slope_tolerance, min_span_decades, slope_half_width_decades."""
    return fit_diffusion(samples, None, fit_settings["slope_tolerance"], fit_settings["min_span_decades"],
                         fit_settings["slope_half_width_decades"])


def _padded_msd(positions_ang, lag_steps: np.ndarray, dt_ps: float) -> MSDSamples:
    """Per-ion MSDs at the lags the series is long enough for; zero weight (no origin) at the others."""
    fits = lag_steps < positions_ang.shape[1]
    msd = np.zeros((positions_ang.shape[0], lag_steps.size))
    origins = np.zeros(msd.shape, dtype=np.int64)
    if fits.any():
        s = msd_samples(positions_ang, lag_steps[fits], dt_ps)
        msd[:, fits], origins[:, fits] = s.msd_ang2, s.n_origins
    return MSDSamples(lag_steps, dt_ps, msd, origins)


def _padded_displacements(positions_ang, lag_steps, sample_lag_steps, dt_ps, max_origins) -> DisplacementStats:
    """Displacement statistics at the lags the series is long enough for; none at the others."""
    n_records = positions_ang.shape[1]
    fits, sample_fits = lag_steps < n_records, sample_lag_steps < n_records
    s = displacement_stats(positions_ang, lag_steps[fits], sample_lag_steps[sample_fits], dt_ps, max_origins)
    count, r2, r4 = (np.zeros(lag_steps.size) for _ in range(3))
    count[fits], r2[fits], r4[fits] = s.count, s.sum_r2_ang2, s.sum_r4_ang4
    samples, sample_ions = iter(s.samples_ang), iter(s.samples_ion)
    return DisplacementStats(
        lag_steps, dt_ps, count, r2, r4, sample_lag_steps,
        tuple(next(samples) if ok else np.empty(0, np.float32) for ok in sample_fits),
        tuple(next(sample_ions) if ok else np.empty(0, np.int32) for ok in sample_fits),
        n_ions=s.n_ions,
    )


def pieces_msd(pieces: Mapping[str, IonTracks], grid: LagGrid) -> MSDSamples:
    """Per-ion MSDs of MD pieces at the grid's record lags (all frames as origins), pieces pooled."""
    frame_dt_ps = grid.record_dt_ps / grid.step_skip
    return pool_samples([_padded_msd(ion_major(t), grid.msd * grid.step_skip, frame_dt_ps) for t in pieces.values()])


def heldout_stats(
    pieces: Mapping[str, IonTracks], grid: LagGrid, fit_settings: Mapping, max_origins: int = 500
) -> SourceStats:
    """Statistics of the held-out MD (pieces pooled, all origins within each piece)."""
    frame_lags = grid.msd * grid.step_skip
    frame_dt_ps = grid.record_dt_ps / grid.step_skip
    sample_lags = grid.distribution * grid.step_skip
    msd = pieces_msd(pieces, grid)
    displacements = combine_stats([
        _padded_displacements(ion_major(t), frame_lags, sample_lags, frame_dt_ps, max_origins) for t in pieces.values()
    ])
    return SourceStats(msd, displacements, _fit(msd, fit_settings))


def training_stats(
    pieces: Mapping[str, IonTracks], grid: LagGrid, fit_settings: Mapping, max_lag_fraction: float = 1.0,
    max_origins: int = 500,
) -> SourceStats:
    """Statistics of the training part's MD at the grid's lags, as for the held-out MD: a perfect
    model of the training part. It supports lags up to ``max_lag_fraction`` of its longest piece
    (the rule that sets the held-out MD's longest lag); beyond, the MSD, alpha2 and displacement
    samples are missing (NaN in the table). D is fitted over the lags it supports."""
    longest_records = (max(t.n_frames for t in pieces.values()) - 1) // grid.step_skip + 1
    keep = grid.msd <= max_lag_steps(longest_records, max_lag_fraction)
    frame_lags = grid.msd * grid.step_skip
    frame_dt_ps = grid.record_dt_ps / grid.step_skip
    pooled = pieces_msd(pieces, grid)
    msd = MSDSamples(grid.msd, pooled.dt_ps, np.where(keep, pooled.msd_ang2, 0.0), np.where(keep, pooled.n_origins, 0))
    supported = msd.n_origins.sum(axis=0) > 0
    if supported.sum() >= 3:
        fit = _fit(MSDSamples(msd.lag_steps[supported], msd.dt_ps, msd.msd_ang2[:, supported],
                              msd.n_origins[:, supported]), fit_settings)
    else:
        nan = float("nan")
        fit = DiffusionFit(nan, nan, nan, nan, diffusive=False, mode="none", loglog_slope=nan)
    d = combine_stats([
        _padded_displacements(ion_major(t), frame_lags, grid.distribution * grid.step_skip, frame_dt_ps, max_origins)
        for t in pieces.values()
    ])
    sample_keep = np.isin(grid.distribution, grid.msd[keep])
    displacements = replace(
        d, count=np.where(keep, d.count, 0.0), sum_r2_ang2=np.where(keep, d.sum_r2_ang2, 0.0),
        sum_r4_ang4=np.where(keep, d.sum_r4_ang4, 0.0), sum_dr_ang=None,
        samples_ang=tuple(x if ok else np.empty(0, np.float32) for x, ok in zip(d.samples_ang, sample_keep)),
        samples_ion=tuple(x if ok else np.empty(0, np.int32) for x, ok in zip(d.samples_ion, sample_keep)),
    )
    return SourceStats(msd, displacements, fit)


def generated_stats(positions_ang, grid: LagGrid, fit_settings: Mapping, fit_max_lag_fraction: float,
                    max_origins: int = 200) -> SourceStats:
    """Statistics of a generated (ions, records, 3) series at the grid's lags; D is fitted on
    log-spaced lags over its own span (``fit_max_lag_fraction`` of it), where it may be diffusive."""
    n_records = positions_ang.shape[1]
    if grid.msd.max() >= n_records:
        raise InputError(
            f"the generated series has {n_records} records, the held-out MD is compared up to "
            f"{grid.msd.max()} records: raise validation.generation.n_steps"
        )
    longest = max(max_lag_steps(n_records, fit_max_lag_fraction), int(grid.msd.max()))
    fit_lags = log_lags(longest, grid.msd.size, grid.msd)
    msd_all = msd_samples(positions_ang, fit_lags, grid.record_dt_ps)
    keep = np.isin(fit_lags, grid.msd)
    msd = MSDSamples(grid.msd, grid.record_dt_ps, msd_all.msd_ang2[:, keep], msd_all.n_origins[:, keep])
    disp = displacement_stats(positions_ang, grid.msd, grid.distribution, grid.record_dt_ps, max_origins)
    return SourceStats(msd, disp, _fit(msd_all, fit_settings))


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    """Wasserstein distance of two |dr| sample sets; NaN where one is empty (lag not supported)."""
    return wasserstein_ang(a, b) if a.size and b.size else float("nan")


def fidelity_table(
    heldout: SourceStats,
    generated: Mapping[str, SourceStats],
    grid: LagGrid,
    truth_D_cm2_s: float | None = None,
    training: SourceStats | None = None,
    matched_records: int = 0,
) -> pd.DataFrame:
    """Rows per quantity and lag; columns ``heldout``/``heldout_err`` and, per generator name,
    ``<name>``, ``<name>_err``, ``<name>_ratio``, ``<name>_ratio_err`` (generated / held-out).

    msd_ang2 at every lag; D_cm2_s (each series' own diffusive regime, NaN where none);
    D_truth_cm2_s (the known D in ``heldout``, ratios against it); wasserstein_ang at the
    distribution lags (``heldout`` is the floor: what a perfect generator with as many ions as the
    largest generated set would show, ``<name>`` the distance to the MD, ``<name>_ratio`` distance /
    floor); alpha2 at every lag (no errors).
    ``training`` (the training part's MD, ``training_stats``), if given, adds the same four columns
    named ``training_md`` (a perfect model of the training part), NaN at lags it does not support.
    ``region`` (mdgan.analysis.lags.REGIONS): inside the window, matched (up to ``matched_records``,
    the stretch statistic matching fitted to the training part) or beyond matched.
    """
    window = grid.window_records

    def regions(lags: np.ndarray) -> list[str]:
        return [lag_region(float(lag), window, matched_records) for lag in lags]

    base = {
        "quantity": "msd_ang2",
        "lag_ps": grid.lag_ps,
        "lag_records": grid.msd,
        "region": regions(grid.msd),
    }
    h = heldout.curve
    msd = pd.DataFrame({**base, "heldout": h.msd_ang2, "heldout_err": h.msd_err_ang2})
    alpha = pd.DataFrame({**base, "quantity": "alpha2", "heldout": heldout.displacements.alpha2(),
                          "heldout_err": np.nan})
    d_row = {"quantity": "D_cm2_s", "lag_ps": np.nan, "lag_records": np.nan, "region": "diffusive regime",
             "heldout": heldout.fit.D_cm2_s, "heldout_err": heldout.fit.D_err_cm2_s}
    truth_row = {**d_row, "quantity": "D_truth_cm2_s", "heldout": truth_D_cm2_s, "heldout_err": 0.0}
    dist_ps = grid.distribution * grid.record_dt_ps
    held = heldout.displacements
    n_generated_ions = max((s.displacements.n_ions for s in generated.values()), default=held.n_ions)
    floor = np.array([wasserstein_floor_ang(held.samples_ang[i], held.samples_ion[i], n_generated_ions)
                      if held.samples_ang[i].size else np.nan for i in range(grid.distribution.size)])
    wass = pd.DataFrame({
        "quantity": "wasserstein_ang", "lag_ps": dist_ps, "lag_records": grid.distribution,
        "region": regions(grid.distribution),
        "heldout": floor, "heldout_err": np.nan,
    })
    sources = dict(generated)
    if training is not None:
        sources[TRAINING_MD] = training
    for name, g in sources.items():
        with np.errstate(divide="ignore", invalid="ignore"):  # unsupported lags (training part): NaN
            c = g.curve
            alpha[name], alpha[f"{name}_err"] = g.displacements.alpha2(), np.nan
        msd[name], msd[f"{name}_err"] = c.msd_ang2, c.msd_err_ang2
        msd[f"{name}_ratio"], msd[f"{name}_ratio_err"] = ratio_with_error(h.msd_ang2, h.msd_err_ang2, c.msd_ang2, c.msd_err_ang2)
        alpha[f"{name}_ratio"], alpha[f"{name}_ratio_err"] = np.nan, np.nan
        d_row[name], d_row[f"{name}_err"] = g.fit.D_cm2_s, g.fit.D_err_cm2_s
        d_row[f"{name}_ratio"], d_row[f"{name}_ratio_err"] = (
            float(v) for v in ratio_with_error(heldout.fit.D_cm2_s, heldout.fit.D_err_cm2_s, g.fit.D_cm2_s, g.fit.D_err_cm2_s)
        )
        truth_row[name], truth_row[f"{name}_err"] = g.fit.D_cm2_s, g.fit.D_err_cm2_s
        truth = np.nan if truth_D_cm2_s is None else truth_D_cm2_s
        truth_row[f"{name}_ratio"], truth_row[f"{name}_ratio_err"] = (
            float(v) for v in ratio_with_error(truth, 0.0, g.fit.D_cm2_s, g.fit.D_err_cm2_s)
        )
        distance = np.array([
            _distance(g.displacements.samples_at(lag), heldout.displacements.samples_at(lag)) for lag in dist_ps
        ])
        wass[name], wass[f"{name}_err"] = distance, np.nan
        wass[f"{name}_ratio"], wass[f"{name}_ratio_err"] = distance / floor, np.nan
    blocks = [pd.DataFrame([d_row])]
    if truth_D_cm2_s is not None:
        blocks.append(pd.DataFrame([truth_row]))
    return pd.concat(blocks + [msd, wass, alpha], ignore_index=True)
