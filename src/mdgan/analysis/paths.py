"""The stretches of ion paths the figures draw: z displacements over time, the first picoseconds in 3D."""

from __future__ import annotations

import warnings
from typing import Mapping

import numpy as np

from mdgan.analysis.series import GeneratedSeries
from mdgan.errors import InputError
from mdgan.extract import IonTracks


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
