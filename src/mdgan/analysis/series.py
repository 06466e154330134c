"""The series the analysis reads: MD runs (frames, ions, 3) and the generated (ions, records, 3) file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from mdgan.errors import InputError
from mdgan.extract import IonTracks


@dataclass(frozen=True)
class GeneratedSeries:
    """positions_ang: (ions, records, 3) unwrapped, memory-mapped; record_dt_ps; meta: meta.json."""

    positions_ang: np.ndarray
    record_dt_ps: float
    meta: dict

    @property
    def n_ions(self) -> int:
        return self.positions_ang.shape[0]

    @property
    def n_records(self) -> int:
        return self.positions_ang.shape[1]

    @property
    def replica_ions(self) -> list[tuple[int, int]]:
        """[first, stop) ions of each replicate model (``meta["replicas"]``; none for a baseline)."""
        return [tuple(r["ions"]) for r in self.meta.get("replicas", [])]


def ion_major(tracks: IonTracks) -> np.ndarray:
    """A run's positions as (ions, frames, 3) (a view, no copy)."""
    return tracks.positions_ang.transpose(1, 0, 2)


def frame_dt_ps(runs: Mapping[str, IonTracks]) -> float:
    """The common time between frames of all runs, ps; runs that disagree are refused."""
    dts = {name: t.frame_dt_fs for name, t in runs.items()}
    first = next(iter(dts.values()))
    for name, dt in dts.items():
        if not np.isclose(dt, first, rtol=1e-6):
            raise InputError(f"run {name} ({runs[name].source}): frame interval {dt} fs differs from {first} fs")
    return first / 1000.0


def md_temperature_k(runs: Mapping[str, IonTracks]) -> float:
    """The runs' common temperature, K (mean if they differ by <1%); missing or disagreeing ones are refused."""
    temps = {name: t.temperature_k for name, t in runs.items()}
    missing = [n for n, t in temps.items() if t is None]
    if missing:
        raise InputError(
            f"runs {missing}: no temperature in {[runs[n].source for n in missing]}; "
            f"set runs.<name>.temperature_k in the config"
        )
    values = np.array(list(temps.values()), dtype=np.float64)
    if np.ptp(values) > 0.01 * values.mean():
        raise InputError(f"the runs were made at different temperatures {temps} K; analyse them separately")
    return float(values.mean())


def open_generated(positions_path: str | Path, meta_path: str | Path) -> GeneratedSeries:
    """Memory-map ``generated/positions.npy`` and check it against ``meta.json``."""
    meta = json.loads(Path(meta_path).read_text())
    try:
        positions = np.load(positions_path, mmap_mode="r")
    except (ValueError, OSError) as err:
        raise InputError(f"{positions_path}: not a readable .npy array ({err})") from err
    if positions.ndim != 3 or positions.shape[2] != 3:
        raise InputError(f"{positions_path}: expected (ions, records, 3) positions, got shape {positions.shape}")
    if not np.issubdtype(positions.dtype, np.floating):
        raise InputError(f"{positions_path}: expected floating-point positions, got {positions.dtype}")
    for key, size in (("n_ions", positions.shape[0]), ("n_records", positions.shape[1])):
        if key in meta and int(meta[key]) != size:
            raise InputError(f"{meta_path}: {key} = {meta[key]} but {positions_path} holds {size}")
    dt = meta.get("record_dt_ps")
    if dt is None or not float(dt) > 0:
        raise InputError(f"{meta_path}: record_dt_ps must be a positive number, got {dt!r}")
    return GeneratedSeries(positions_ang=positions, record_dt_ps=float(dt), meta=meta)
