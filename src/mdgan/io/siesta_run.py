"""A SIESTA MD run as one :class:`~mdgan.trajectory.Trajectory`: the input plus its output files.

The input is an ``.fdf`` (atoms, cell, time step, temperature; history files named by its
SystemLabel beside it) or a ``.out`` that echoes its input. Positions come from the first of

1. ``Label.MD_CAR``: positions and the cell of every record (9 digits);
2. ``Label.ANI``: positions (6 digits); the cell from the fdf, or for a variable-cell run from
   the ``.out`` outcell blocks;
3. the ``.out`` outcoor blocks (``WriteCoorStep``) with the outcell block of the same step.

Frame i (from 0) is trajectory record i+1 at t = (i+1) * MD.LengthTimeStep; the start
geometry (t = 0, the outcoor of MD step 1) is not a frame. Restarts (appended histories,
concatenated ``.out`` runs) are joined in file order, time running on; ``restarts`` holds
the first frame of every appended run, from the ``.MDE`` headers or the ``.out`` runs. The
frame counts of all files present are compared and a disagreement is reported as a warning.
Ghost atoms (Z <= 0) are left out.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mdgan.errors import InputError
from mdgan.io.ani import count_records, read_ani
from mdgan.io.fdf import Fdf, parse_fdf, parse_fdf_text
from mdgan.io.files import existing, plain_name, read_head
from mdgan.io.mdcar import read_md_car
from mdgan.io.mde import read_mde
from mdgan.io.siesta_input import (
    DEFAULT_TIMESTEP_FS,
    SiestaInput,
    fdf_stem,
    geometry_file,
    interpret_fdf,
    system_label,
)
from mdgan.io.siesta_out import SiestaStdout, read_siesta_stdout, stdout_input
from mdgan.trajectory import Trajectory


@dataclass(frozen=True)
class RunFiles:
    """The files of one SIESTA run (None where absent); ``input`` is the .fdf or the .out."""

    input: Path
    fdf: Fdf
    md_car: Path | None
    ani: Path | None
    mde: Path | None
    stdout: Path | None

    @property
    def run_dir(self) -> Path:
        return self.input.parent


def is_stdout(path: Path) -> bool:
    """Whether ``path`` is a SIESTA standard output rather than an fdf (by name, else by content)."""
    name = plain_name(path).lower()
    if name.endswith(".out"):
        return True
    if name.endswith(".fdf"):
        return False
    return "WELCOME TO SIESTA" in read_head(path, 65536, "a SIESTA .fdf or .out")


def locate(path: str | Path) -> RunFiles:
    """Parse the run's input (the fdf, or the input a .out echoes) and find its files (cheap)."""
    path = Path(path)
    if is_stdout(path):
        fdf = parse_fdf_text(stdout_input(path), path, path.parent)
        stdout = path
    else:
        fdf = parse_fdf(path)
        stdout = None
    label = system_label(fdf)
    run_dir = path.parent
    if stdout is None:
        stdout = _find_stdout(run_dir, label, fdf_stem(path))
    return RunFiles(
        input=path,
        fdf=fdf,
        md_car=existing(run_dir / f"{label}.MD_CAR"),
        ani=existing(run_dir / f"{label}.ANI"),
        mde=existing(run_dir / f"{label}.MDE"),
        stdout=stdout,
    )


def _find_stdout(run_dir: Path, label: str, stem: str) -> Path | None:
    """``Label.out`` or ``<fdf name>.out``, else the only ``*.out`` in the folder (each may be .gz)."""
    for name in (f"{label}.out", f"{stem}.out"):
        found = existing(run_dir / name)
        if found is not None:
            return found
    outs = [p for p in sorted(run_dir.iterdir()) if p.is_file() and plain_name(p).lower().endswith(".out")]
    return outs[0] if len(outs) == 1 else None


def siesta_input_files(path: str | Path) -> list[Path]:
    """Every file :func:`read_siesta_run` would open for this run (parses the input only)."""
    run = locate(path)
    files = [run.input, *run.fdf.files]
    files += [p for p in geometry_file(run.fdf, run.run_dir)[1:] if p is not None]
    files += [p for p in (run.md_car, run.ani, run.mde, run.stdout) if p is not None]
    return list(dict.fromkeys(files))


def read_siesta_run(path: str | Path, timestep_fs: float | None = None, temperature_k: float | None = None) -> Trajectory:
    """Read the run whose ``.fdf`` (or input-echoing ``.out``) is at ``path``."""
    run = locate(path)
    inp = interpret_fdf(run.fdf, run.input, run.run_dir)
    stdout = _read_stdout(run, inp)
    mde = read_mde(run.mde) if run.mde is not None else None

    if run.md_car is not None:
        cells, positions = read_md_car(run.md_car, inp.n_atoms)
        source = run.md_car
        if run.ani is not None:
            n_records = positions.shape[0]
            _compare(run.ani, count_records(run.ani, inp.n_atoms), "records", source, n_records, n_records)
    elif run.ani is not None:
        positions, symbols = read_ani(run.ani, inp.n_atoms)
        _check_symbols(symbols, inp, run.ani)
        source = run.ani
        positions, cells = _ani_cells(positions, inp, stdout, run)
    elif stdout is not None and stdout.positions_ang is not None:
        # outcoor of step k is record k-1: drop the start geometry (step 1 of the first run)
        positions, cells, source = stdout.positions_ang[1:], stdout.cells_ang[1:], stdout.path
    else:
        raise InputError(
            f"{run.input}: no trajectory for SystemLabel {system_label(run.fdf)!r} in {run.run_dir}: expected "
            f"{system_label(run.fdf)}.MD_CAR, {system_label(run.fdf)}.ANI or a .out with outcoor blocks "
            f"(WriteCoorStep T){'' if run.stdout is None else f'; {run.stdout.name} has none'}"
        )
    n_frames = positions.shape[0]
    if n_frames == 0:
        raise InputError(f"{source}: no complete frame after the start geometry")
    restarts = _restarts(mde, stdout, n_frames)
    _cross_check(source, n_frames, mde, run, stdout)
    return _trajectory(inp, positions, cells, source, restarts, timestep_fs, temperature_k)


def _read_stdout(run: RunFiles, inp: SiestaInput) -> SiestaStdout | None:
    """The .out, with its geometry only where the trajectory or the cells must come from it."""
    if run.stdout is None:
        return None
    need_geometry = run.md_car is None and (run.ani is None or inp.variable_cell)
    stdout = read_siesta_stdout(run.stdout, inp.n_atoms, inp.lattice_constant_ang, geometry=need_geometry)
    if stdout.label is not None and stdout.label != inp.label:
        warnings.warn(
            f"{run.stdout}: written for SystemLabel {stdout.label!r}, not {inp.label!r} of {run.input}; not used",
            stacklevel=3,
        )
        return None
    return stdout


def _ani_cells(positions: np.ndarray, inp: SiestaInput, stdout: SiestaStdout | None, run: RunFiles):
    """Cells for ANI frames: the fdf cell, or per frame from the .out for a variable-cell run."""
    n_frames = positions.shape[0]
    if not inp.variable_cell:
        return positions, np.broadcast_to(inp.cell_ang, (n_frames, 3, 3)).copy()
    if stdout is None or stdout.cells_ang is None or stdout.cells_ang.shape[0] < 2:
        raise InputError(
            f"{run.input}: MD.TypeOfRun {inp.run_type} changes the cell, but there is no {inp.label}.MD_CAR "
            f"and no .out with the outcell of every step beside it: the cell of each ANI frame is unknown"
        )
    # outcell of step k is the cell of record k-1; record i+1 (frame i) is in step i+2
    cells = stdout.cells_ang[1:]
    if cells.shape[0] < n_frames - 1:
        raise InputError(
            f"{stdout.path}: holds the cells of {cells.shape[0]} records, {run.ani} has {n_frames}: the .out "
            "does not cover the whole trajectory (write WriteMDHistory T to get the MD_CAR)"
        )
    if cells.shape[0] < n_frames:
        warnings.warn(
            f"{run.ani}: the cell of the last record is printed in no MD step of {stdout.path}; dropped that frame",
            stacklevel=3,
        )
        positions = positions[: cells.shape[0]]
    return positions, cells[: positions.shape[0]]


def _restarts(mde, stdout: SiestaStdout | None, n_frames: int) -> tuple[int, ...]:
    """First frame of each appended run: MDE segments, else the runs of a concatenated .out."""
    if mde is not None:
        starts = mde[1][1:]
    elif stdout is not None and stdout.runs.size:
        starts = tuple(int(i) for i in np.flatnonzero(np.diff(stdout.runs)) + 1)
    else:
        starts = ()
    return tuple(int(s) for s in starts if 0 < s < n_frames)


def _cross_check(source: Path, n_frames: int, mde, run: RunFiles, stdout: SiestaStdout | None) -> None:
    """Report files whose number of MD steps does not fit the frames read.

    Record k is written at the end of MD step k, after its MDE row and its .out banner, so a run
    killed inside a step leaves one MDE row or .out step more than records (one per run).
    """
    from_stdout = stdout is not None and source == stdout.path
    if mde is not None:
        rows, runs = mde[0].size, len(mde[1])
        if from_stdout:  # n_frames + 1 steps printed their geometry; the last ones may lack their row
            _compare(run.mde, rows, "MD steps", source, n_frames + 1 - runs, n_frames + 1)
        else:
            _compare(run.mde, rows, "MD steps", source, n_frames, n_frames + runs)
    if stdout is not None and not from_stdout:
        runs = int(stdout.runs.max(initial=0)) + 1
        _compare(stdout.path, stdout.steps.size, "MD steps", source, n_frames, n_frames + runs)


def _compare(path: Path, count: int, what: str, source: Path, low: int, high: int) -> None:
    if not low <= count <= high:
        expected = f"{low}" if low == high else f"{low} to {high}"
        warnings.warn(
            f"frame counts disagree: {path} has {count} {what}, expected {expected} for the frames read "
            f"from {source}; is it from another run or a partial copy?",
            stacklevel=3,
        )


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
        cells_ang=np.ascontiguousarray(cells),
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
