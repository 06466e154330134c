"""What each analysis rule computes, from loaded inputs (the workflow scripts only read and write)."""

from __future__ import annotations

import warnings
from typing import Mapping

import numpy as np
import pandas as pd

from mdgan.errors import InputError
from mdgan.extract import IonTracks
from mdgan.analysis.conductivity import ion_density_per_ang3, nernst_einstein_S_per_cm
from mdgan.analysis.diffusion import DiffusionFit, fit_diffusion
from mdgan.analysis.displacements import DisplacementStats, combine_stats, displacement_stats
from mdgan.analysis.lags import LagPlan, log_lags, max_lag_steps, plan_lags, steps_for
from mdgan.analysis.msd import MSDSamples, msd_samples, pool_samples
from mdgan.analysis.series import GeneratedSeries, frame_dt_ps, ion_major, md_temperature_k
from mdgan.analysis.tables import DIFFUSION_COLUMNS, diffusion_row


def plan_for_runs(runs: Mapping[str, IonTracks], standardization: Mapping, max_lag_fraction: float,
                  requested_ps: list[float] | None, matched_windows: int = 0) -> LagPlan:
    """The lag plan of the MD runs and the training windows (``standardization.json``);
    ``matched_windows``: the windows statistic matching spans (0 when it is off)."""
    return plan_lags(
        frame_dt_ps=frame_dt_ps(runs),
        shortest_run_frames=min(t.n_frames for t in runs.values()),
        record_dt_ps=float(standardization["record_dt_ps"]),
        window_records=int(standardization["window_records"]),
        max_lag_fraction=max_lag_fraction,
        requested_ps=requested_ps,
        matched_windows=matched_windows,
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


def md_msd(runs: Mapping[str, IonTracks], plan: LagPlan, n_lags: int, chunk_ions: int, workers: int) -> MSDSamples:
    """Per-ion MSDs of every MD run (all origins within each run), pooled over runs."""
    lags = md_lag_steps(runs, plan, n_lags)
    return pool_samples(
        [msd_samples(ion_major(t), lags, plan.frame_dt_ps, chunk_ions, workers) for t in runs.values()]
    )


def generated_msd(series: GeneratedSeries, plan: LagPlan, n_lags: int, max_lag_fraction: float,
                  chunk_ions: int, workers: int) -> MSDSamples:
    lags = generated_lag_steps(series, plan, n_lags, max_lag_fraction)
    return msd_samples(series.positions_ang, lags, series.record_dt_ps, chunk_ions, workers)


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
) -> tuple[pd.DataFrame, dict[str, DiffusionFit]]:
    """D and Nernst-Einstein conductivity for each source ("MD", "MD-GAN"), with the MD cell's ion
    density and temperature (generated ions move in the material they were trained on)."""
    density = md_ion_density_per_ang3(runs)
    temperature = md_temperature_k(runs)
    rows, fits = [], {}
    for source, s in samples.items():
        fit_range = fit_ranges_ps.get(source)
        fit = fit_diffusion(s, None if fit_range is None else tuple(fit_range), tolerance, min_span_decades,
                            half_width_decades)
        if fit.mode == "none":
            sigma = sigma_err = float("nan")
        else:
            sigma = nernst_einstein_S_per_cm(fit.D_cm2_s, density, charge_e, temperature)
            sigma_err = abs(sigma) * fit.D_err_ang2_ps / abs(fit.D_ang2_ps)
        rows.append(diffusion_row(source, fit, sigma, sigma_err))
        fits[source] = fit
    return pd.DataFrame(rows, columns=DIFFUSION_COLUMNS), fits


def c_axis(cell_ang: np.ndarray) -> tuple[np.ndarray, str]:
    """Unit vector along a cell's c axis (rows of ``cell_ang`` (3, 3) are a, b, c, Angstrom) and
    its name for labels: "z (= c)" when c lies along z (within 0.1 degree), else "c"."""
    unit = np.asarray(cell_ang[2], dtype=np.float64) / np.linalg.norm(cell_ang[2])
    return unit, "z (= c)" if unit[2] > np.cos(np.radians(0.1)) else "c"


def z_displacement_traces(runs: Mapping[str, IonTracks], axis: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(time from the first frame, ps; displacement along the unit vector ``axis``, Angstrom
    (frames, ions)) of each run."""
    return [(t.time_ps - t.time_ps[0], (t.positions_ang - t.positions_ang[:1]) @ axis) for t in runs.values()]


def generated_z_displacement(series: GeneratedSeries, n_ions: int, axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Time (ps) and the displacement along the unit vector ``axis`` (records, ions) of the first
    ``n_ions`` generated ions (all of them where fewer were generated)."""
    r = np.asarray(series.positions_ang[:n_ions], dtype=np.float64)
    return np.arange(series.n_records) * series.record_dt_ps, ((r - r[:, :1]) @ axis).T


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
