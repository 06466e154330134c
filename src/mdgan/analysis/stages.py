"""What each analysis rule computes, from loaded inputs (the workflow scripts only read and write)."""

from __future__ import annotations

import warnings
from typing import Mapping

import numpy as np
import pandas as pd

from mdgan.errors import InputError
from mdgan.extract import IonTracks
from mdgan.analysis.axes import common_frame
from mdgan.analysis.conductivity import ion_density_per_ang3, nernst_einstein_S_per_cm
from mdgan.analysis.diffusion import DiffusionFit
from mdgan.analysis.diffusion_fits import diffusion_fits
from mdgan.analysis.displacements import DisplacementStats, combine_stats, displacement_stats
from mdgan.analysis.lags import LagPlan, log_lags, max_lag_steps, plan_lags, steps_for
from mdgan.analysis.msd import MSDSamples, msd_samples, pool_samples
from mdgan.analysis.series import GeneratedSeries, frame_dt_ps, ion_major, md_temperature_k
from mdgan.analysis.tables import DIFFUSION_COLUMNS, diffusion_row

MIN_RUNS_FOR_JACKKNIFE = 3


def plan_for_runs(runs: Mapping[str, IonTracks], standardization: Mapping, max_lag_fraction: float,
                  requested_ps: list[float] | None) -> LagPlan:
    """The lag plan of the MD runs and the training windows (``standardization.json``)."""
    return plan_lags(
        frame_dt_ps=frame_dt_ps(runs),
        shortest_run_frames=min(t.n_frames for t in runs.values()),
        record_dt_ps=float(standardization["record_dt_ps"]),
        window_records=int(standardization["window_records"]),
        max_lag_fraction=max_lag_fraction,
        requested_ps=requested_ps,
    )


def md_lag_steps(runs: Mapping[str, IonTracks], plan: LagPlan, n_lags: int) -> np.ndarray:
    """Log-spaced frame lags up to the plan's longest MD lag, plus the comparison lags."""
    return log_lags(
        int(round(plan.md_max_lag_ps / plan.frame_dt_ps)), n_lags, steps_for(plan.compare_lags_ps, plan.frame_dt_ps)
    )


def generated_lag_steps(series: GeneratedSeries, plan: LagPlan, n_lags: int, max_lag_fraction: float) -> np.ndarray:
    """Log-spaced record lags over the generated series, plus the comparison lags."""
    if not np.isclose(series.record_dt_ps, plan.record_dt_ps, rtol=1e-6):
        raise InputError(
            f"generated record_dt_ps {series.record_dt_ps} differs from the training data's {plan.record_dt_ps}"
        )
    longest = max_lag_steps(series.n_records, max_lag_fraction)
    compare = steps_for(plan.compare_lags_ps, plan.record_dt_ps)
    if compare.max() > longest:
        raise InputError(
            f"the generated series ({series.n_records} records) is too short for the comparison lag "
            f"{compare.max() * plan.record_dt_ps} ps at analysis.max_lag_fraction {max_lag_fraction}"
        )
    return log_lags(longest, n_lags, compare)


def md_msd(runs: Mapping[str, IonTracks], plan: LagPlan, n_lags: int, chunk_ions: int, workers: int,
           time_blocks: int) -> MSDSamples:
    """Per-ion MSDs of every MD run (all origins within each run), isotropic and along the cell's axes
    (``mdgan.analysis.axes``), pooled over runs.

    Ions of one run share the framework's history, so the error is a jackknife over runs where there
    are at least ``MIN_RUNS_FOR_JACKKNIFE``, else over ``time_blocks`` time blocks of every run.
    """
    lags = md_lag_steps(runs, plan, n_lags)
    frame, axes = common_frame([t.cell_ang for t in runs.values()])
    by_run = len(runs) >= MIN_RUNS_FOR_JACKKNIFE
    return pool_samples(
        [msd_samples(ion_major(t), lags, plan.frame_dt_ps, chunk_ions, workers, frame, axes,
                     1 if by_run else time_blocks) for t in runs.values()],
        group_by_run=by_run,
    )


def generated_msd(series: GeneratedSeries, plan: LagPlan, n_lags: int, max_lag_fraction: float,
                  chunk_ions: int, workers: int, md_cells_ang: list[np.ndarray]) -> MSDSamples:
    """Per-ion MSDs of the generated series along the MD cells' axes; the error is over ions."""
    lags = generated_lag_steps(series, plan, n_lags, max_lag_fraction)
    frame, axes = common_frame(md_cells_ang)
    return msd_samples(series.positions_ang, lags, series.record_dt_ps, chunk_ions, workers, frame, axes)


def md_displacements(runs: Mapping[str, IonTracks], plan: LagPlan, n_lags: int, max_origins: int,
                     chunk_ions: int, max_samples_per_lag: int) -> DisplacementStats:
    lags = md_lag_steps(runs, plan, n_lags)
    sample_lags = steps_for(plan.compare_lags_ps, plan.frame_dt_ps)
    return combine_stats(
        [displacement_stats(ion_major(t), lags, sample_lags, plan.frame_dt_ps, max_origins, chunk_ions,
                            max_samples_per_lag) for t in runs.values()]
    )


def generated_displacements(series: GeneratedSeries, plan: LagPlan, n_lags: int, max_lag_fraction: float,
                            max_origins: int, chunk_ions: int, max_samples_per_lag: int) -> DisplacementStats:
    lags = generated_lag_steps(series, plan, n_lags, max_lag_fraction)
    sample_lags = steps_for(plan.compare_lags_ps, plan.record_dt_ps)
    return displacement_stats(series.positions_ang, lags, sample_lags, series.record_dt_ps, max_origins, chunk_ions,
                              max_samples_per_lag)


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


def z_displacement_traces(runs: Mapping[str, IonTracks]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(time from the first frame, ps; z(t) - z(0), Angstrom (frames, ions)) of each run."""
    return [(t.time_ps - t.time_ps[0], t.positions_ang[:, :, 2] - t.positions_ang[:1, :, 2]) for t in runs.values()]


def generated_z_displacement(series: GeneratedSeries, n_ions: int) -> tuple[np.ndarray, np.ndarray]:
    """Time (ps) and z(t) - z(0) (records, ions) of the first ``n_ions`` generated ions (all of
    them where fewer were generated)."""
    z = np.asarray(series.positions_ang[:n_ions, :, 2], dtype=np.float64)
    return np.arange(series.n_records) * series.record_dt_ps, (z - z[:, :1]).T


def first_paths(positions_ion_major, n_ions: int, dt_ps: float, duration_ps: float) -> np.ndarray:
    """The first ``duration_ps`` of the first ``n_ions`` paths: (ions, steps + 1, 3) float64.

    A series shorter than ``duration_ps`` gives all of it, with a warning.
    """
    steps = int(round(duration_ps / dt_ps))
    if steps < 1:
        raise InputError(
            f"ion path duration {duration_ps} ps is shorter than one step of {dt_ps} ps "
            "(config analysis.figures.ion_paths_ps)"
        )
    available = positions_ion_major.shape[1] - 1
    if steps > available:
        warnings.warn(
            f"ion paths: {duration_ps} ps asked for (config analysis.figures.ion_paths_ps), the series "
            f"lasts {available * dt_ps:.3g} ps; drawing all of it"
        )
        steps = available
    return np.asarray(positions_ion_major[:n_ions, : steps + 1], dtype=np.float64)
