"""Mobile-ion tracks from a parsed run: species selection, unwrapping, framework drift removal."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mdgan.atomic_io import save_npz
from mdgan.errors import InputError
from mdgan.trajectory import Trajectory


@dataclass(frozen=True)
class IonTracks:
    """Unwrapped positions of the mobile ions of one run.

    positions_ang: (frames, ions, 3) unwrapped Cartesian positions, Angstrom.
    time_ps: (frames,) time from the run's start, ps.
    cell_ang: (frames, 3, 3) lattice vectors as rows, Angstrom.
    """

    positions_ang: np.ndarray
    time_ps: np.ndarray
    cell_ang: np.ndarray
    frame_dt_fs: float
    temperature_k: float | None
    species: str
    source: str

    @property
    def n_frames(self) -> int:
        return self.positions_ang.shape[0]

    @property
    def n_ions(self) -> int:
        return self.positions_ang.shape[1]


def unwrap_positions(positions_ang: np.ndarray, cells_ang: np.ndarray) -> np.ndarray:
    """Continuous paths from positions that may jump across periodic boundaries.

    Each step between consecutive frames is replaced by its minimum image in the cell of
    the later frame (fractional components wrapped into [-0.5, 0.5)), then accumulated from
    the first frame. Works on wrapped and on already unwrapped input, in any (skewed,
    time-dependent) cell, as long as no atom moves half a cell between frames. In a fluctuating
    cell this Cartesian scheme keeps true displacements, where rescaling unwrapped fractional
    coordinates would inflate them (von Buelow, Bullerjahn, Hummer, J. Chem. Phys. 153, 021101, 2020).

    positions_ang: (frames, atoms, 3); cells_ang: (frames, 3, 3) rows are lattice vectors.
    Returns (frames, atoms, 3) float64.
    """
    positions = np.asarray(positions_ang, dtype=np.float64)
    cells = np.asarray(cells_ang, dtype=np.float64)
    steps = np.diff(positions, axis=0)  # (frames-1, atoms, 3)
    later_cells = cells[1:]
    frac = np.einsum("fai,fij->faj", steps, np.linalg.inv(later_cells))
    frac -= np.round(frac)
    steps = np.einsum("faj,fjk->fak", frac, later_cells)
    unwrapped = np.empty_like(positions)
    unwrapped[0] = positions[0]
    np.cumsum(steps, axis=0, out=unwrapped[1:])
    unwrapped[1:] += positions[0]
    return unwrapped


def framework_drift(unwrapped_ang: np.ndarray, masses: np.ndarray) -> np.ndarray:
    """Displacement of the mass-weighted centre of the given atoms from frame 0, (frames, 3)."""
    com = np.einsum("fai,a->fi", unwrapped_ang, masses) / masses.sum()
    return com - com[0]


def atomic_number(symbol: str) -> int:
    from ase.data import atomic_numbers

    if symbol not in atomic_numbers:
        raise InputError(f"config key species: {symbol!r} is not a chemical symbol")
    return atomic_numbers[symbol]


def extract_species(traj: Trajectory, species: str, remove_drift: bool = True) -> IonTracks:
    """Unwrapped tracks of every atom of ``species`` (selected by atomic number).

    With ``remove_drift`` the centre-of-mass drift of all other atoms (the framework) is
    subtracted from the ions' paths.
    """
    from ase.data import atomic_masses

    z = atomic_number(species)
    selected = traj.numbers == z
    if not selected.any():
        found = sorted(set(int(n) for n in traj.numbers))
        raise InputError(
            f"{traj.source}: no atom of species {species} (Z={z}); the run has atomic numbers {found}"
        )
    unwrapped = unwrap_positions(traj.positions_ang, traj.cells_ang)
    ions = unwrapped[:, selected]
    if remove_drift and (~selected).any():
        masses = atomic_masses[traj.numbers[~selected]]
        ions = ions - framework_drift(unwrapped[:, ~selected], masses)[:, None, :]
    return IonTracks(
        positions_ang=ions,
        time_ps=np.asarray(traj.time_ps, dtype=np.float64),
        cell_ang=np.asarray(traj.cells_ang, dtype=np.float64),
        frame_dt_fs=float(traj.frame_dt_fs),
        temperature_k=traj.temperature_k,
        species=species,
        source=traj.source,
    )


def save_tracks(tracks: IonTracks, path: str | Path) -> None:
    """Write the tracks as the contract's ``li_unwrapped.npz``."""
    save_npz(
        path,
        positions_ang=tracks.positions_ang,
        time_ps=tracks.time_ps,
        cell_ang=tracks.cell_ang,
        frame_dt_fs=np.float64(tracks.frame_dt_fs),
        temperature_k=np.float64(np.nan if tracks.temperature_k is None else tracks.temperature_k),
        species=np.str_(tracks.species),
        source=np.str_(tracks.source),
    )


def load_tracks(path: str | Path) -> IonTracks:
    """Read a ``li_unwrapped.npz``."""
    with np.load(path) as data:
        temperature = float(data["temperature_k"])
        return IonTracks(
            positions_ang=data["positions_ang"],
            time_ps=data["time_ps"],
            cell_ang=data["cell_ang"],
            frame_dt_fs=float(data["frame_dt_fs"]),
            temperature_k=None if np.isnan(temperature) else temperature,
            species=str(data["species"]),
            source=str(data["source"]),
        )
