"""A SIESTA MD run as one :class:`~mdgan.trajectory.Trajectory`: the fdf plus its output files.

Frame i (from 0) is trajectory record i+1 at t = (i+1) * MD.LengthTimeStep; the fdf start
geometry (t = 0) is not a frame. Ghost atoms (Z <= 0) are left out.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from mdgan.errors import InputError
from mdgan.io.ani import read_ani
from mdgan.io.fdf import parse_fdf
from mdgan.io.files import existing
from mdgan.io.siesta_input import DEFAULT_TIMESTEP_FS, SiestaInput, geometry_file, read_siesta_input, system_label
from mdgan.trajectory import Trajectory


def trajectory_files(label: str, run_dir: Path) -> dict[str, Path]:
    """The run's history files that exist (plain or .gz), by kind."""
    found = {}
    for kind, suffix in (("ani", ".ANI"),):
        path = existing(run_dir / f"{label}{suffix}")
        if path is not None:
            found[kind] = path
    return found


def siesta_input_files(path: str | Path) -> list[Path]:
    """Every file :func:`read_siesta_run` would open for this fdf (parses the fdf only)."""
    path = Path(path)
    fdf = parse_fdf(path)
    files = list(fdf.files) + [p for p in geometry_file(fdf, path.parent)[1:] if p is not None]
    files += trajectory_files(system_label(fdf), path.parent).values()
    return list(dict.fromkeys(files))


def read_siesta_run(path: str | Path, timestep_fs: float | None = None, temperature_k: float | None = None) -> Trajectory:
    """Read the run described by the ``.fdf`` at ``path`` from the files beside it."""
    path = Path(path)
    inp = read_siesta_input(path)
    files = trajectory_files(inp.label, path.parent)
    if "ani" not in files:
        raise InputError(
            f"{path}: no trajectory for SystemLabel {inp.label!r}: expected {path.parent / (inp.label + '.ANI')}"
        )
    positions, symbols = read_ani(files["ani"], inp.n_atoms)
    _check_symbols(symbols, inp, files["ani"])
    cells = np.broadcast_to(inp.cell_ang, (positions.shape[0], 3, 3)).copy()
    return _trajectory(inp, positions, cells, files["ani"], (), timestep_fs, temperature_k)


def _check_symbols(symbols: tuple[str, ...], inp: SiestaInput, source: Path) -> None:
    """Each atom's symbol in the trajectory must be its species label (first 2 characters) or element."""
    from ase.data import chemical_symbols

    for i, (symbol, label, z) in enumerate(zip(symbols, inp.species_labels, inp.numbers)):
        element = chemical_symbols[z] if 0 < z < len(chemical_symbols) else ""
        if symbol not in (label[:2].strip(), element):
            raise InputError(
                f"{source}: atom {i + 1} of the first record is {symbol!r}, but {inp.fdf_path} makes it species "
                f"{label!r} (Z={z}); the trajectory does not belong to this input"
            )


def _trajectory(
    inp: SiestaInput,
    positions: np.ndarray,
    cells: np.ndarray,
    source: Path,
    restarts: tuple[int, ...],
    timestep_fs: float | None,
    temperature_k: float | None,
) -> Trajectory:
    dt = _setting(inp.timestep_fs, timestep_fs, "MD.LengthTimeStep", "timestep_fs", inp.fdf_path)
    if dt is None:
        dt = DEFAULT_TIMESTEP_FS
    if dt <= 0:
        raise InputError(f"{inp.fdf_path}: MD.LengthTimeStep must be positive, got {dt} fs")
    temperature = _setting(inp.temperature_k, temperature_k, "the MD temperature", "temperature_k", inp.fdf_path)
    real = inp.numbers > 0
    n = positions.shape[0]
    return Trajectory(
        positions_ang=np.ascontiguousarray(positions[:, real]),
        cells_ang=cells,
        numbers=inp.numbers[real],
        time_ps=np.arange(1, n + 1) * dt / 1000.0,
        frame_dt_fs=float(dt),
        temperature_k=temperature,
        source=str(source),
        restarts=restarts,
    )


def _setting(in_input, argument, key: str, name: str, fdf_path: Path):
    """The fdf's value, else the argument; a disagreeing argument is reported."""
    if in_input is None:
        return None if argument is None else float(argument)
    if argument is not None and not np.isclose(in_input, float(argument), rtol=1e-6):
        warnings.warn(f"{fdf_path}: {key} gives {in_input}; the {name} argument {argument} is ignored", stacklevel=3)
    return float(in_input)
