"""The stretches of ion paths the figures draw: displacements along c over time, the first picoseconds in 3D."""

from __future__ import annotations

import warnings
from typing import Mapping

import numpy as np

from mdgan.analysis.series import GeneratedSeries
from mdgan.errors import InputError
from mdgan.extract import IonTracks


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
