"""SIESTA standard output (``.out``) of MD runs: SIESTA 3.2, 4.x and 5.x.

Every MD step opens with a ``Begin MD step = N`` banner (3.2 prefixes ``siesta:``). Within a
step the first ``outcoor: Atomic coordinates (UNIT):`` block (only with ``WriteCoorStep``;
UNIT is Ang, Bohr, fractional or scaled) and the first ``outcell: Unit cell vectors (Ang):``
block give the geometry the step starts from: step k prints trajectory record k-1, so
step 1 prints the start geometry. Several runs may be concatenated in one file (restarts):
each begins with the ``WELCOME TO SIESTA`` banner. A step cut short at the end of a run (a
job killed mid-write) is dropped with a warning naming the file.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mdgan.errors import InputError
from mdgan.io.files import open_text, read_bytes
from mdgan.io.numbers import table
from mdgan.io.units import BOHR_ANG

_RUN = re.compile(rb"WELCOME TO SIESTA")
_STEP = re.compile(rb"Begin MD step\s*=\s*(\d+)")
_COORDS = re.compile(rb"^outcoor: Atomic coordinates \(([^)]*)\):[^\n]*\n", re.M)
_CELL = re.compile(rb"^outcell: Unit cell vectors \(Ang\):[^\n]*\n", re.M)
_NUMBER_ROW = re.compile(rb"^\s*[-+0-9.]")
_LABEL = re.compile(rb"System Label:\s*(\S+)")
_DUMP_START = "Dump of input data file"
_DUMP_END = "End of input data file"


@dataclass(frozen=True)
class SiestaStdout:
    """The MD steps found in a SIESTA ``.out``, in file order.

    steps: (steps,) MD step number of each ``Begin MD step`` block.
    runs: (steps,) index of the concatenated SIESTA run holding each step (0, 1, ...).
    positions_ang: (steps, atoms, 3) the step's outcoor geometry, Angstrom (None: no outcoor).
    cells_ang: (steps, 3, 3) the step's outcell rows, Angstrom (None: not read or none printed).
    label: the SystemLabel the output names (None if it names none).
    """

    path: Path
    steps: np.ndarray
    runs: np.ndarray
    positions_ang: np.ndarray | None
    cells_ang: np.ndarray | None
    label: str | None


def read_siesta_stdout(
    path: str | Path, n_atoms: int, lattice_constant_ang: float | None = None, geometry: bool = True
) -> SiestaStdout:
    """The MD steps of a SIESTA ``.out``; ``geometry=False`` only counts them (fast).

    A step whose outcoor or outcell block is incomplete (the file or run ends inside it) is
    dropped with a warning; an outcoor block of another atom count elsewhere raises InputError.
    """
    path = Path(path)
    text = read_bytes(path, "a SIESTA standard output (.out)")
    run_starts = np.array([m.start() for m in _RUN.finditer(text)] or [0])
    banners = list(_STEP.finditer(text))
    starts = np.array([m.start() for m in banners], dtype=np.int64)
    steps = np.array([int(m.group(1)) for m in banners], dtype=np.int64)
    runs = np.searchsorted(run_starts, starts, side="right") - 1
    runs = np.maximum(runs, 0)
    found_label = _LABEL.search(text)
    label = found_label.group(1).decode(errors="replace") if found_label else None
    if not geometry or starts.size == 0:
        return SiestaStdout(path, steps, runs, None, None, label)
    line_of = _line_numbers(text, starts)
    # each step's block ends at the next banner or at the start of the next run
    bounds = np.sort(np.concatenate([starts, run_starts, [len(text)]]))
    ends = bounds[np.searchsorted(bounds, starts, side="right")]
    coords = _first_in_block(_COORDS, text, starts, ends)
    cells = _first_in_block(_CELL, text, starts, ends)
    keep = np.ones(starts.size, dtype=bool)
    has_coords = any(m is not None for m in coords)

    cell_rows = [_rows(text, m, 3) if m is not None else [] for m in cells]
    coord_rows = [_rows(text, m, n_atoms + 1) if m is not None else [] for m in coords]
    for i in range(starts.size):
        n_rows = len(coord_rows[i])
        if coords[i] is not None and (n_rows > n_atoms or (n_rows < n_atoms and not _last_of_run(i, ends, run_starts, len(text)))):
            raise InputError(
                f"{path}, line {_line_numbers(text, np.array([coords[i].start()]))[0]}: the outcoor block of MD step "
                f"{steps[i]} lists {n_rows} atoms; the run's input has {n_atoms}"
            )
        if len(cell_rows[i]) < 3 or (has_coords and n_rows < n_atoms):
            keep[i] = False
            warnings.warn(
                f"{path}: MD step {steps[i]} (line {line_of[i]}) is cut short (the job ended while writing it); dropped it",
                stacklevel=2,
            )
    kept = np.flatnonzero(keep)
    cell_array = table(
        [r for i in kept for r in cell_rows[i]], 3, 3, lambda k: f"{path}, outcell of MD step {steps[kept[k // 3]]}", "a cell row (3 numbers)"
    ).reshape(-1, 3, 3)
    positions = None
    if has_coords:
        raw = table(
            [r for i in kept for r in coord_rows[i][:n_atoms]],
            6,
            3,
            lambda k: f"{path}, outcoor of MD step {steps[kept[k // n_atoms]]}, atom {k % n_atoms + 1}",
            "x y z species index label",
        ).reshape(-1, n_atoms, 3)
        units = [coords[i].group(1).decode(errors="replace") for i in kept]
        positions = _to_angstrom(raw, units, cell_array, lattice_constant_ang, path)
    return SiestaStdout(path, steps[kept], runs[kept], positions, cell_array, label)


def stdout_input(path: str | Path) -> str:
    """The fdf input SIESTA echoed between ``Dump of input data file`` and its end (first run).

    Reads only up to the end of the echo, so it stays cheap on long outputs.
    """
    collected: list[str] = []
    inside = False
    with open_text(path, "a SIESTA standard output (.out)") as stream:
        for line in stream:
            if _DUMP_START in line:
                inside = True
            elif _DUMP_END in line:
                return "".join(collected)
            elif inside:
                collected.append(line)
    raise InputError(
        f"{path}: no echoed input ('{_DUMP_START}' ... '{_DUMP_END}'); give the run's .fdf instead of its .out"
    )


def _line_numbers(text: bytes, offsets: np.ndarray) -> np.ndarray:
    """1-based line number of each (sorted) character offset."""
    newlines = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == ord("\n"))
    return np.searchsorted(newlines, offsets) + 1


def _first_in_block(pattern: re.Pattern, text: bytes, starts: np.ndarray, ends: np.ndarray) -> list:
    """The first match of ``pattern`` inside each [start, end) block, or None."""
    matches = list(pattern.finditer(text))
    found = [None] * starts.size
    if not matches:
        return found
    positions = np.array([m.start() for m in matches])
    first = np.searchsorted(positions, starts)
    for i, j in enumerate(first):
        if j < len(matches) and positions[j] < ends[i]:
            found[i] = matches[j]
    return found


def _rows(text: bytes, match: re.Match, limit: int) -> list[bytes]:
    """Up to ``limit`` numeric rows right after a block header (until a blank or other line)."""
    rows = []
    pos = match.end()
    while len(rows) < limit:
        end = text.find(b"\n", pos)
        if end == -1:  # the file ends inside the block: the unterminated row may be cut
            break
        row = text[pos:end]
        if not row.strip() or not _NUMBER_ROW.match(row):
            break
        rows.append(row)
        pos = end + 1
    return rows


def _last_of_run(i: int, ends: np.ndarray, run_starts: np.ndarray, size: int) -> bool:
    """Whether step i is the last of its run (or of the file): only there can a job have died."""
    return ends[i] == size or ends[i] in run_starts


def _to_angstrom(raw: np.ndarray, units: list[str], cells: np.ndarray, alat: float | None, path: Path) -> np.ndarray:
    out = np.empty_like(raw)
    for unit in set(units):
        rows = np.array([u == unit for u in units])
        key = unit.strip().lower()
        if key == "ang":
            out[rows] = raw[rows]
        elif key == "bohr":
            out[rows] = raw[rows] * BOHR_ANG
        elif key == "fractional":
            out[rows] = np.einsum("fai,fij->faj", raw[rows], cells[rows])
        elif key == "scaled" and alat is not None:
            out[rows] = raw[rows] * alat
        else:
            raise InputError(f"{path}: outcoor coordinates in {unit!r} cannot be converted (scaled needs LatticeConstant)")
    return out
