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

Replicate models: where the MD-GAN series comes from two or more (``meta["replicas"]``), its MSD and D
errors are a jackknife over the replicas (``mdgan.analysis.msd.by_replica``: another training seed, not
only other ions), and each replica's own D is fitted over the same lags (``SourceStats.replica_fits``).

Per axis (``mdgan.analysis.axes``: x, y, z for an orthogonal cell, the held-out pieces' cell frame
otherwise): every source's D along each axis, over the range of its own isotropic fit (the rule of the
main analysis, ``mdgan.analysis.diffusion_fits.fits_over``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from mdgan.analysis.axes import CARTESIAN_AXES, common_frame
from mdgan.analysis.comparison import ratio_with_error
from mdgan.analysis.diffusion import OWN_RANGE, DiffusionFit
from mdgan.analysis.diffusion_fits import fits_over
from mdgan.analysis.displacements import (
    DisplacementStats,
    combine_stats,
    displacement_stats,
    wasserstein_ang,
    wasserstein_floor_ang,
)
from mdgan.analysis.lags import lag_region, log_lags, max_lag_steps
from mdgan.analysis.msd import MSDCurve, MSDSamples, by_replica, msd_curve, msd_samples, pool_samples, replica_samples
from mdgan.analysis.series import ion_major
from mdgan.errors import InputError
from mdgan.extract import IonTracks

TRAINING_MD = "training_md"  # the comparison table's name for the training part's own MD
TRAINING_MD_LABEL = "training MD (perfect model)"  # its label in the figure and the targets
D_QUANTITY, D_TRUTH_QUANTITY = "D_cm2_s", "D_truth_cm2_s"


def axis_d_quantity(axis: str) -> str:
    """The table's quantity of D along ``axis``: ``D_<axis>_cm2_s``."""
    return f"D_{axis}_cm2_s"


def axis_truth_quantity(axis: str) -> str:
    """The table's quantity of the exact D along ``axis``: ``D_truth_<axis>_cm2_s``."""
    return f"D_truth_{axis}_cm2_s"


def table_axes(table: pd.DataFrame) -> list[str]:
    """The axes with a per-axis D row in a comparison table, in the table's order."""
    names = [q[len("D_"):-len("_cm2_s")] for q in table["quantity"].unique()
             if q.startswith("D_") and q.endswith("_cm2_s") and q not in (D_QUANTITY, D_TRUTH_QUANTITY)]
    return [n for n in names if not n.startswith("truth_")]


@dataclass(frozen=True)
class LagGrid:
    """Record lags of the comparison: ``msd`` (every compared lag) and ``distribution`` (a subset);
    ``frame`` (3, 3) rows the unit vectors of the per-axis MSD's ``axes`` (None: Cartesian x, y, z)."""

    msd: np.ndarray
    distribution: np.ndarray
    record_dt_ps: float
    step_skip: int
    window_records: int
    frame: np.ndarray | None = field(default=None, compare=False)
    axes: tuple[str, ...] = CARTESIAN_AXES

    @property
    def lag_ps(self) -> np.ndarray:
        return self.msd * self.record_dt_ps


@dataclass(frozen=True)
class SourceStats:
    """What the comparison needs of one series: per-ion MSDs, displacement statistics, D; ``axis_fits``:
    D along each axis over the isotropic fit's range (none where the MSD has no per-axis part);
    ``replica_fits``: per replicate model its (isotropic, *per-axis) fits over its own ions (none for a
    series without replicas, such as the baseline's)."""

    msd: MSDSamples
    displacements: DisplacementStats
    fit: DiffusionFit
    axis_fits: tuple[DiffusionFit, ...] = ()
    replica_fits: tuple[tuple[DiffusionFit, ...], ...] = ()

    @property
    def curve(self) -> MSDCurve:
        return msd_curve(self.msd)


def lag_grid(
    pieces: Mapping[str, IonTracks], standardization: Mapping, n_lags: int, n_distribution_lags: int,
    max_lag_fraction: float,
) -> LagGrid:
    """Log-spaced record lags from 1 to ``max_lag_fraction`` of the longest piece's records; the
    per-axis frame of the pieces' cells (``mdgan.analysis.axes.common_frame``)."""
    step_skip = int(standardization["step_skip"])
    longest_records = (max(t.n_frames for t in pieces.values()) - 1) // step_skip + 1
    longest = max_lag_steps(longest_records, max_lag_fraction)
    distribution = log_lags(longest, n_distribution_lags)
    msd = log_lags(longest, n_lags, distribution)
    frame, axes = common_frame([t.cell_ang for t in pieces.values()])
    return LagGrid(msd, distribution, float(standardization["record_dt_ps"]), step_skip,
                   int(standardization["window_records"]), frame, axes)


def _fits(samples: MSDSamples, fit_settings: Mapping) -> tuple[DiffusionFit, tuple[DiffusionFit, ...]]:
    """D in the automatically found diffusive regime, and along each axis over that regime;
    ``fit_settings``: the config's analysis.diffusion keys slope_tolerance, min_span_decades,
    slope_half_width_decades."""
    iso, *axes = fits_over(samples, None, OWN_RANGE, None, fit_settings["slope_tolerance"],
                           fit_settings["min_span_decades"], fit_settings["slope_half_width_decades"])
    return iso, tuple(axes)


def _padded_msd(positions_ang, lag_steps: np.ndarray, dt_ps: float, grid: LagGrid) -> MSDSamples:
    """Per-ion MSDs at the lags the series is long enough for; zero weight (no origin) at the others."""
    fits = lag_steps < positions_ang.shape[1]
    msd = np.zeros((positions_ang.shape[0], lag_steps.size))
    msd_axes = np.zeros((*msd.shape, 3))
    origins = np.zeros(msd.shape, dtype=np.int64)
    if fits.any():
        s = msd_samples(positions_ang, lag_steps[fits], dt_ps, frame=grid.frame, axes=grid.axes)
        msd[:, fits], origins[:, fits], msd_axes[:, fits] = s.msd_ang2, s.n_origins, s.msd_axes_ang2
    return MSDSamples(lag_steps, dt_ps, msd, origins, msd_axes, grid.axes)


def _padded_displacements(positions_ang, lag_steps, sample_lag_steps, dt_ps, max_origins) -> DisplacementStats:
    """Displacement statistics at the lags the series is long enough for; none at the others."""
    n_records = positions_ang.shape[1]
    fits, sample_fits = lag_steps < n_records, sample_lag_steps < n_records
    s = displacement_stats(positions_ang, lag_steps[fits], sample_lag_steps[sample_fits], dt_ps, max_origins)
    count, r2, r4 = (np.zeros(lag_steps.size) for _ in range(3))
    outer = np.zeros((lag_steps.size, 3, 3))
    count[fits], r2[fits], r4[fits], outer[fits] = s.count, s.sum_r2_ang2, s.sum_r4_ang4, s.sum_outer_ang2
    samples, sample_ions = iter(s.samples_ang), iter(s.samples_ion)
    return DisplacementStats(
        lag_steps, dt_ps, count, r2, r4, sample_lag_steps,
        tuple(next(samples) if ok else np.empty(0, np.float32) for ok in sample_fits),
        tuple(next(sample_ions) if ok else np.empty(0, np.int32) for ok in sample_fits),
        n_ions=s.n_ions, sum_outer_ang2=outer,
    )


def pieces_msd(pieces: Mapping[str, IonTracks], grid: LagGrid) -> MSDSamples:
    """Per-ion MSDs of MD pieces at the grid's record lags (all frames as origins), pieces pooled."""
    frame_dt_ps = grid.record_dt_ps / grid.step_skip
    return pool_samples([_padded_msd(ion_major(t), grid.msd * grid.step_skip, frame_dt_ps, grid)
                         for t in pieces.values()])


def pieces_displacements(
    pieces: Mapping[str, IonTracks], grid: LagGrid, max_origins: int = 500, samples: bool = True
) -> DisplacementStats:
    """Displacement moments of MD pieces at the grid's record lags (and |dr| samples at its
    distribution lags unless ``samples`` is False), up to ``max_origins`` origins per ion, pieces pooled."""
    frame_lags = grid.msd * grid.step_skip
    frame_dt_ps = grid.record_dt_ps / grid.step_skip
    sample_lags = grid.distribution * grid.step_skip if samples else np.empty(0, np.int64)
    return combine_stats([
        _padded_displacements(ion_major(t), frame_lags, sample_lags, frame_dt_ps, max_origins) for t in pieces.values()
    ])


def heldout_stats(
    pieces: Mapping[str, IonTracks], grid: LagGrid, fit_settings: Mapping, max_origins: int = 500
) -> SourceStats:
    """Statistics of the held-out MD (pieces pooled, all origins within each piece)."""
    msd = pieces_msd(pieces, grid)
    return SourceStats(msd, pieces_displacements(pieces, grid, max_origins), *_fits(msd, fit_settings))


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
    # frame lags with the frame interval, as the held-out MD's (record lags with it would halve every lag
    # in ps and double D where step_skip is 2)
    msd = MSDSamples(pooled.lag_steps, pooled.dt_ps, np.where(keep, pooled.msd_ang2, 0.0), np.where(keep, pooled.n_origins, 0),
                     np.where(keep[:, None], pooled.msd_axes_ang2, 0.0), pooled.axes)
    supported = msd.n_origins.sum(axis=0) > 0
    if supported.sum() >= 3:
        fit, axis_fits = _fits(msd.at_lags(supported), fit_settings)
    else:
        nan = float("nan")
        fit = DiffusionFit(nan, nan, nan, nan, diffusive=False, mode="none", loglog_slope=nan)
        axis_fits = tuple(replace(fit, axis=a) for a in msd.axes)
    d = combine_stats([
        _padded_displacements(ion_major(t), frame_lags, grid.distribution * grid.step_skip, frame_dt_ps, max_origins)
        for t in pieces.values()
    ])
    sample_keep = np.isin(grid.distribution, grid.msd[keep])
    displacements = replace(
        d, count=np.where(keep, d.count, 0.0), sum_r2_ang2=np.where(keep, d.sum_r2_ang2, 0.0),
        sum_r4_ang4=np.where(keep, d.sum_r4_ang4, 0.0), sum_dr_ang=None,
        sum_outer_ang2=np.where(keep[:, None, None], d.sum_outer_ang2, 0.0),
        samples_ang=tuple(x if ok else np.empty(0, np.float32) for x, ok in zip(d.samples_ang, sample_keep)),
        samples_ion=tuple(x if ok else np.empty(0, np.int32) for x, ok in zip(d.samples_ion, sample_keep)),
    )
    return SourceStats(msd, displacements, fit, axis_fits)


def generated_stats(positions_ang, grid: LagGrid, fit_settings: Mapping, fit_max_lag_fraction: float,
                    max_origins: int = 200, replica_ions: Sequence[tuple[int, int]] = ()) -> SourceStats:
    """Statistics of a generated (ions, records, 3) series at the grid's lags; D is fitted on
    log-spaced lags over its own span (``fit_max_lag_fraction`` of it), where it may be diffusive.
    ``replica_ions``: [first, stop) ions of each replicate model (``meta["replicas"]``); with two or
    more, errors are over the replicas and each replica's D is fitted over its own ions (with one, the
    replica's fits are the series')."""
    n_records = positions_ang.shape[1]
    if grid.msd.max() >= n_records:
        raise InputError(
            f"the generated series has {n_records} records, the held-out MD is compared up to "
            f"{grid.msd.max()} records: raise validation.generation.n_steps"
        )
    longest = max(max_lag_steps(n_records, fit_max_lag_fraction), int(grid.msd.max()))
    fit_lags = log_lags(longest, grid.msd.size, grid.msd)
    msd_all = msd_samples(positions_ang, fit_lags, grid.record_dt_ps, frame=grid.frame, axes=grid.axes)
    msd_all = by_replica(msd_all, replica_ions)
    keep = np.isin(fit_lags, grid.msd)
    msd = replace(msd_all.at_lags(keep), lag_steps=grid.msd)
    disp = displacement_stats(positions_ang, grid.msd, grid.distribution, grid.record_dt_ps, max_origins)
    fit, axis_fits = _fits(msd_all, fit_settings)
    if len(replica_ions) >= 2:
        replica_fits = tuple((iso, *axes) for iso, axes in (_fits(s, fit_settings) for s in replica_samples(msd_all)))
    else:
        replica_fits = ((fit, *axis_fits),) if replica_ions else ()
    return SourceStats(msd, disp, fit, axis_fits, replica_fits)


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    """Wasserstein distance of two |dr| sample sets; NaN where one is empty (lag not supported)."""
    return wasserstein_ang(a, b) if a.size and b.size else float("nan")


def _d_row(quantity: str, reference: float, reference_err: float, fits: Mapping[str, DiffusionFit]) -> dict:
    """One D row: ``heldout`` the reference (the held-out MD's D, or an exact one with error 0), then per
    source its D, error and ratio to the reference (NaN where a source has no such fit)."""
    row = {"quantity": quantity, "lag_ps": np.nan, "lag_records": np.nan, "region": "diffusive regime",
           "heldout": reference, "heldout_err": reference_err}
    for name, f in fits.items():
        d, err = (np.nan, np.nan) if f is None else (f.D_cm2_s, f.D_err_cm2_s)
        row[name], row[f"{name}_err"] = d, err
        row[f"{name}_ratio"], row[f"{name}_ratio_err"] = (
            float(v) for v in ratio_with_error(np.nan if reference is None else reference, reference_err, d, err)
        )
    return row


Fits = tuple[DiffusionFit, tuple[DiffusionFit, ...]]  # one source's isotropic fit and its per-axis fits


def _axis_fit(axis_fits: Sequence[DiffusionFit], axis: str) -> DiffusionFit | None:
    return next((f for f in axis_fits if f.axis == axis), None)


def d_rows(heldout: SourceStats, fits: Mapping[str, Fits], truth_D_cm2_s: float | None = None,
           truth_D_axes_cm2_s: Mapping[str, float] | None = None) -> list[dict]:
    """The table's D rows for sources ``fits`` (name -> (isotropic fit, per-axis fits)): ``D_cm2_s``
    against the held-out MD's D; ``D_truth_cm2_s`` against ``truth_D_cm2_s`` (if given);
    ``D_<axis>_cm2_s`` for every axis of the held-out MD's per-axis fits; ``D_truth_<axis>_cm2_s`` for
    every axis given an exact D (cm^2/s)."""
    rows = [_d_row(D_QUANTITY, heldout.fit.D_cm2_s, heldout.fit.D_err_cm2_s, {n: f[0] for n, f in fits.items()})]
    if truth_D_cm2_s is not None:
        rows.append(_d_row(D_TRUTH_QUANTITY, truth_D_cm2_s, 0.0, {n: f[0] for n, f in fits.items()}))
    axes = [f.axis for f in heldout.axis_fits]
    truth = dict(truth_D_axes_cm2_s or {})
    unknown = sorted(set(truth) - set(axes))
    if unknown:
        raise InputError(
            f"validation.ground_truth_D_axes_cm2_s names axes {unknown}; the comparison's axes are {axes}"
        )
    for axis in axes:
        h = _axis_fit(heldout.axis_fits, axis)
        rows.append(_d_row(axis_d_quantity(axis), h.D_cm2_s, h.D_err_cm2_s,
                           {n: _axis_fit(f[1], axis) for n, f in fits.items()}))
    for axis in (a for a in axes if a in truth):
        rows.append(_d_row(axis_truth_quantity(axis), float(truth[axis]), 0.0,
                           {n: _axis_fit(f[1], axis) for n, f in fits.items()}))
    return rows


def fidelity_table(
    heldout: SourceStats,
    generated: Mapping[str, SourceStats],
    grid: LagGrid,
    truth_D_cm2_s: float | None = None,
    training: SourceStats | None = None,
    matched_records: int = 0,
    truth_D_axes_cm2_s: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Rows per quantity and lag; columns ``heldout``/``heldout_err`` and, per generator name,
    ``<name>``, ``<name>_err``, ``<name>_ratio``, ``<name>_ratio_err`` (generated / held-out).

    msd_ang2 at every lag; D_cm2_s (each series' own diffusive regime, NaN where none);
    D_truth_cm2_s (the known D in ``heldout``, ratios against it); ``D_<axis>_cm2_s`` for each axis
    (each series' D along it over its own isotropic fit's range, ratios to the held-out MD's) and
    ``D_truth_<axis>_cm2_s`` for each axis of ``truth_D_axes_cm2_s`` (axis -> exact D, cm^2/s, ratios
    against it); wasserstein_ang at the
    distribution lags (``heldout`` is the floor: what a perfect generator with as many ions as the
    largest generated set would show, ``<name>`` the distance to the MD, ``<name>_ratio`` distance /
    floor); alpha2 and axis_correlation (the largest |correlation| between two components of the
    displacement, :meth:`DisplacementStats.axis_correlation`) at every lag (no errors).
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
    correlation = pd.DataFrame({**base, "quantity": "axis_correlation",
                                "heldout": heldout.displacements.axis_correlation(), "heldout_err": np.nan})
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
            correlation[name], correlation[f"{name}_err"] = g.displacements.axis_correlation(), np.nan
        correlation[f"{name}_ratio"], correlation[f"{name}_ratio_err"] = np.nan, np.nan
        msd[name], msd[f"{name}_err"] = c.msd_ang2, c.msd_err_ang2
        msd[f"{name}_ratio"], msd[f"{name}_ratio_err"] = ratio_with_error(h.msd_ang2, h.msd_err_ang2, c.msd_ang2, c.msd_err_ang2)
        alpha[f"{name}_ratio"], alpha[f"{name}_ratio_err"] = np.nan, np.nan
        distance = np.array([
            _distance(g.displacements.samples_at(lag), heldout.displacements.samples_at(lag)) for lag in dist_ps
        ])
        wass[name], wass[f"{name}_err"] = distance, np.nan
        wass[f"{name}_ratio"], wass[f"{name}_ratio_err"] = distance / floor, np.nan
    rows = d_rows(heldout, {name: (g.fit, g.axis_fits) for name, g in sources.items()}, truth_D_cm2_s,
                  truth_D_axes_cm2_s)
    return pd.concat([pd.DataFrame(rows), msd, wass, alpha, correlation], ignore_index=True)
