"""The parsed MD run that travels between the readers and the Li extraction."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mdgan.atomic_io import atomic_write


@dataclass(frozen=True)
class Trajectory:
    """All atoms of one MD run.

    positions_ang: (frames, atoms, 3) Cartesian positions, Angstrom (wrapped or not).
    cells_ang: (frames, 3, 3) lattice vectors as rows, Angstrom.
    numbers: (atoms,) atomic numbers.
    time_ps: (frames,) time of each frame from the run's start, ps.
    frame_dt_fs: time between frames, fs.
    temperature_k: nominal temperature, K (None if unknown).
    source: the file the frames were read from.
    restarts: frame indices at which a restarted segment begins (empty: none).
    """

    positions_ang: np.ndarray
    cells_ang: np.ndarray
    numbers: np.ndarray
    time_ps: np.ndarray
    frame_dt_fs: float
    temperature_k: float | None
    source: str
    restarts: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        n_frames, n_atoms = self.positions_ang.shape[:2]
        if self.positions_ang.shape != (n_frames, n_atoms, 3):
            raise ValueError(f"positions_ang must be (frames, atoms, 3), got {self.positions_ang.shape}")
        if self.cells_ang.shape != (n_frames, 3, 3):
            raise ValueError(f"cells_ang must be ({n_frames}, 3, 3), got {self.cells_ang.shape}")
        if self.numbers.shape != (n_atoms,):
            raise ValueError(f"numbers must be ({n_atoms},), got {self.numbers.shape}")
        if self.time_ps.shape != (n_frames,):
            raise ValueError(f"time_ps must be ({n_frames},), got {self.time_ps.shape}")

    @property
    def n_frames(self) -> int:
        return self.positions_ang.shape[0]

    @property
    def n_atoms(self) -> int:
        return self.positions_ang.shape[1]


def write_ase_trajectory(traj: Trajectory, path: str | Path) -> None:
    """Write every frame as an ASE ``.traj`` file, atomically (no partial file on failure)."""
    from ase import Atoms
    from ase.io.trajectory import Trajectory as AseTrajectory

    info_common = {
        "frame_dt_fs": float(traj.frame_dt_fs),
        "temperature_k": None if traj.temperature_k is None else float(traj.temperature_k),
        "source": traj.source,
        "restarts": [int(r) for r in traj.restarts],
    }
    with atomic_write(path) as tmp:
        with AseTrajectory(str(tmp), "w") as out:
            for i in range(traj.n_frames):
                atoms = Atoms(
                    numbers=traj.numbers,
                    positions=traj.positions_ang[i],
                    cell=traj.cells_ang[i],
                    pbc=True,
                )
                atoms.info = {**info_common, "time_ps": float(traj.time_ps[i])}
                out.write(atoms)


def read_ase_trajectory(path: str | Path) -> Trajectory:
    """Read a ``.traj`` written by :func:`write_ase_trajectory`."""
    from ase.io.trajectory import Trajectory as AseTrajectory

    with AseTrajectory(str(path), "r") as frames:
        atoms_list = list(frames)
    if not atoms_list:
        raise ValueError(f"{path}: trajectory holds no frame")
    info = atoms_list[0].info
    return Trajectory(
        positions_ang=np.stack([a.get_positions() for a in atoms_list]),
        cells_ang=np.stack([np.asarray(a.get_cell()) for a in atoms_list]),
        numbers=atoms_list[0].get_atomic_numbers(),
        time_ps=np.array([a.info["time_ps"] for a in atoms_list]),
        frame_dt_fs=float(info["frame_dt_fs"]),
        temperature_k=info.get("temperature_k"),
        source=str(info.get("source", path)),
        restarts=tuple(info.get("restarts", ())),
    )
