"""Any trajectory ASE reads (``format:`` in the config): extxyz, vasp-xdatcar, traj, ...

The time step and temperature come from the file's ``info`` (``frame_dt_fs`` /
``timestep_fs``, ``temperature_k``, ``time_ps``; what :mod:`mdgan.trajectory` writes) or
else from the arguments. Without per-frame times, the first stored frame is t = 0.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from mdgan.errors import InputError
from mdgan.io.files import existing, read_head
from mdgan.trajectory import Trajectory


def known_formats() -> list[str]:
    from ase.io.formats import ioformats

    return sorted(ioformats)


def check_format(path: str | Path, format: str) -> None:
    if format not in known_formats():
        raise InputError(
            f"{path}: format {format!r} is not a format ASE reads; use 'siesta' for a SIESTA .fdf or one of "
            f"{', '.join(known_formats())}"
        )


def read_ase(
    path: str | Path, format: str, timestep_fs: float | None = None, temperature_k: float | None = None
) -> Trajectory:
    """All frames of ``path`` read by ``ase.io.read(path, ':', format=format)``."""
    import ase.io

    check_format(path, format)
    path = Path(path)
    found = existing(path)
    if found is None:
        raise InputError(f"{path}: no such file; expected a trajectory in ASE format {format!r}")
    if not read_head(found, 4096, f"a trajectory in ASE format {format!r}").strip():
        raise InputError(f"{found}: file is empty; expected a trajectory in ASE format {format!r}")
    try:
        frames = ase.io.read(str(found), index=":", format=format)
    except Exception as err:  # ASE raises many types for malformed input
        raise InputError(f"{found}: ASE could not read it as {format!r}: {err}") from err
    if not isinstance(frames, list):
        frames = [frames]
    if not frames:
        raise InputError(f"{found}: ASE found no frame in it (format {format!r})")
    numbers = frames[0].get_atomic_numbers()
    for i, atoms in enumerate(frames):
        if len(atoms) != numbers.size or np.any(atoms.get_atomic_numbers() != numbers):
            raise InputError(
                f"{found}, frame {i}: {len(atoms)} atoms {_formula(atoms)}; frame 0 has {numbers.size} "
                f"({_formula(frames[0])}); every frame must hold the same atoms"
            )
    positions = np.stack([atoms.get_positions() for atoms in frames])
    cells = np.stack([np.asarray(atoms.get_cell()) for atoms in frames])
    bad = np.flatnonzero(~np.all(np.isfinite(positions), axis=(1, 2)))
    if bad.size:
        raise InputError(f"{found}, frame {bad[0]}: positions hold a non-finite number; expected finite x y z")
    flat = np.flatnonzero(np.abs(np.linalg.det(cells)) < 1e-9)
    if flat.size:
        raise InputError(f"{found}, frame {flat[0]}: no (or a degenerate) cell; a periodic cell is expected")
    info = frames[0].info
    dt = _from_file_or_argument(info, ("frame_dt_fs", "timestep_fs"), timestep_fs, "timestep_fs", found)
    if dt is None:
        raise InputError(
            f"{found}: the file carries no time step; give the run's timestep_fs (fs between stored frames)"
        )
    if dt <= 0:
        raise InputError(f"{found}: the time step must be positive, got {dt} fs")
    temperature = _from_file_or_argument(info, ("temperature_k",), temperature_k, "temperature_k", found)
    if all("time_ps" in atoms.info for atoms in frames):
        time_ps = np.array([float(atoms.info["time_ps"]) for atoms in frames])
    else:
        time_ps = np.arange(len(frames)) * dt / 1000.0
    restarts = tuple(int(r) for r in info.get("restarts", ()))
    return Trajectory(
        positions_ang=positions,
        cells_ang=cells,
        numbers=numbers.astype(np.int64),
        time_ps=time_ps,
        frame_dt_fs=float(dt),
        temperature_k=None if temperature is None else float(temperature),
        source=str(found),
        restarts=restarts,
    )


def _from_file_or_argument(info: dict, keys: tuple[str, ...], argument, name: str, path: Path):
    in_file = next((info[k] for k in keys if info.get(k) is not None), None)
    if in_file is None:
        return argument
    if argument is not None and not np.isclose(float(in_file), float(argument), rtol=1e-6):
        warnings.warn(f"{path}: the file gives {name} = {in_file}; the argument {argument} is ignored", stacklevel=3)
    return float(in_file)


def _formula(atoms) -> str:
    return atoms.get_chemical_formula()
