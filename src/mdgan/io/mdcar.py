"""SIESTA ``Label.MD_CAR``: one VASP-like record per MD step, with the cell of that step.

Record: ``---Label---``, a scale (1.0), 3 cell rows (Angstrom), the atom count of every species
INDEX (not element: species are taken from the fdf), ``Direct``, then one fractional row per atom
in input order (not wrapped). Appended histories read as one series; a record cut short (a job
killed mid-write) is dropped with a warning naming the file.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from mdgan.errors import InputError
from mdgan.io.files import read_bytes, split_lines
from mdgan.io.numbers import fixed_fields, table


def read_md_car(path: str | Path, n_atoms: int) -> tuple[np.ndarray, np.ndarray]:
    """Cells (frames, 3, 3) and Cartesian positions (frames, atoms, 3), Angstrom."""
    path = Path(path)
    lines = split_lines(read_bytes(path, "a SIESTA MD_CAR file"))
    header = lines[0].strip()
    if not (header.startswith(b"---") and header.endswith(b"---")):
        raise InputError(f"{path}, line 1: expected the record header '---Label---', found {lines[0][:40]!r}")
    direct = next((i for i in range(5, min(len(lines), 12)) if lines[i].strip().lower() in (b"direct", b"d")), None)
    if direct is None:
        raise InputError(f"{path}: expected 'Direct' after the cell and the species counts of record 0")
    counts = b" ".join(lines[5:direct]).split()
    try:
        total = sum(int(c) for c in counts)
    except ValueError:
        raise InputError(f"{path}, line 6: expected the atom count of every species, found {b' '.join(counts)!r}") from None
    if total != n_atoms:
        raise InputError(f"{path}, line 6: the species counts add up to {total} atoms, but the run's input has {n_atoms}")
    size = direct + 1 + n_atoms
    starts = _record_starts(lines, header, size, path)
    if not starts:
        raise InputError(f"{path}: no complete record ({size} lines of {n_atoms} atoms)")
    starts = np.array(starts)
    scale_rows = [lines[s + 1] for s in starts]
    scales = table(scale_rows, 1, 1, lambda i: f"{path}, line {starts[i] + 2}", "the scale factor")[:, 0]
    cell_idx = (starts[:, None] + 2 + np.arange(3)).ravel()
    cells = table([lines[i] for i in cell_idx], 3, 3, lambda i: f"{path}, line {cell_idx[i] + 1}", "a cell row (3 numbers)")
    cells = cells.reshape(-1, 3, 3) * scales[:, None, None]
    atom_idx = (starts[:, None] + direct + 1 + np.arange(n_atoms)).ravel()
    rows = [lines[i] for i in atom_idx]
    frac = fixed_fields(rows, 0, 16, 3)  # SIESTA writes (3f16.9)
    if frac is None:
        frac = table(rows, 3, 3, lambda i: _where_atom(path, atom_idx, i, n_atoms), "3 fractional coordinates")
    frac = frac.reshape(-1, n_atoms, 3)
    return cells, np.einsum("fai,fij->faj", frac, cells)


def _where_atom(path: Path, atom_idx: np.ndarray, i: int, n_atoms: int) -> str:
    return f"{path}, line {atom_idx[i] + 1} (record {i // n_atoms}, atom {i % n_atoms + 1})"


def _record_starts(lines: list[bytes], header: bytes, size: int, path: Path) -> list[int]:
    n_lines = len(lines)
    if n_lines % size == 0 and all(lines[s].strip() == header for s in range(0, n_lines, size)):
        return list(range(0, n_lines, size))
    starts, s = [], 0
    while s < n_lines:
        if lines[s].strip() != header:
            raise InputError(f"{path}, line {s + 1}: expected the record header {header.decode()!r}, found {lines[s][:40]!r}")
        end = s + size
        if end == n_lines or (end < n_lines and lines[end].strip() == header):
            starts.append(s)
            s = end
            continue
        following = next((i for i in range(s + 1, min(end, n_lines)) if lines[i].strip() == header), None)
        if following is None and end < n_lines:
            raise InputError(
                f"{path}, line {end + 1}: record {len(starts)} (line {s + 1}) should end after {size} lines; "
                f"expected the next header, found {lines[end][:40]!r}"
            )
        stop = n_lines if following is None else following
        where = "at the end of the file" if following is None else f"before line {stop + 1} (a restart appended after a killed run)"
        warnings.warn(f"{path}: record {len(starts)} at line {s + 1} holds {stop - s} of {size} lines {where}; dropped it", stacklevel=3)
        s = stop
    return starts
