"""Read a serialised pymatgen ``DiffusionAnalyzer`` (JSON) without pymatgen."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ase.data import atomic_numbers

from mdgan.errors import InputError


@dataclass(frozen=True)
class DiffusionAnalyzerData:
    """numbers: (atoms,); positions_ang: (frames, atoms, 3) unwrapped; cell_ang: (3, 3) rows.

    frame_dt_fs = time_step * step_skip of the analyzer (MD steps between stored frames).
    """

    numbers: np.ndarray
    positions_ang: np.ndarray
    cell_ang: np.ndarray
    frame_dt_fs: float
    temperature_k: float


def read_diffusion_analyzer(path: str | Path) -> DiffusionAnalyzerData:
    """Frames rebuilt as ``structure.cart_coords[i] + displacements[i][t]``."""
    data = json.loads(Path(path).read_text())
    try:
        structure = data["structure"]
        sites = structure["sites"]
        numbers = np.array([atomic_numbers[s["species"][0]["element"]] for s in sites])
        start = np.array([s["xyz"] for s in sites], dtype=np.float64)
        displacements = np.asarray(data["displacements"], dtype=np.float64)  # (atoms, frames, 3)
        cell = np.asarray(structure["lattice"]["matrix"], dtype=np.float64)
        frame_dt_fs = float(data["time_step"]) * float(data["step_skip"])
        temperature_k = float(data["temperature"])
    except (KeyError, IndexError, TypeError) as exc:
        raise InputError(f"{path}: not a pymatgen DiffusionAnalyzer JSON (missing {exc})") from exc
    if displacements.shape[0] != len(sites) or displacements.ndim != 3:
        raise InputError(f"{path}: displacements must be (atoms={len(sites)}, frames, 3), got {displacements.shape}")
    positions = start[None, :, :] + displacements.transpose(1, 0, 2)
    return DiffusionAnalyzerData(numbers, positions, cell, frame_dt_fs, temperature_k)
