"""SIESTA ``Label.ANI``: one xyz record per MD step, Cartesian Angstrom, no cell.

Each record is an ``(i5)`` atom count, a comment line (empty from SIESTA), then per atom
``(a2,2x,3f12.6)``: symbol and x y z. The fields are fixed-width: a coordinate <= -1000 A
fills its 12 columns and touches its neighbour, so a file whose atom lines all have that
width is cut by column, never split on blanks. Other xyz layouts are split on blanks.

Appended histories (restarts) carry no marker and read as one series. A record with fewer
atom lines than the count (a job killed mid-write) is dropped with a warning naming the file.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from mdgan.errors import InputError
from mdgan.io.files import read_bytes, split_lines
from mdgan.io.numbers import fixed_fields

FIELD = 12
FIXED_WIDTH = 4 + 3 * FIELD


def read_ani(path: str | Path, n_atoms: int | None = None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Positions (frames, atoms, 3) in Angstrom and the symbols of the first record.

    ``n_atoms``: the run's atom count; a record count line that disagrees raises InputError.
    """
    path = Path(path)
    lines = split_lines(read_bytes(path, "an xyz trajectory (SIESTA .ANI)"))
    count_tokens = lines[0].split()
    try:
        n = int(count_tokens[0]) if len(count_tokens) == 1 else -1
    except ValueError:
        n = -1
    if n <= 0:
        raise InputError(f"{path}, line 1: expected the atom count of the first record, found {lines[0][:40]!r}")
    if n_atoms is not None and n != n_atoms:
        raise InputError(f"{path}, line 1: the record holds {n} atoms, but the run's input has {n_atoms}")
    starts = _record_starts(lines, n, path)
    if starts.size == 0:
        raise InputError(f"{path}: no complete record of {n} atoms (a count line, a comment line, {n} atom lines)")
    atom_rows = (starts[:, None] + 2 + np.arange(n)).ravel()
    atom_lines = [lines[i] for i in atom_rows]
    positions = _coordinates(atom_lines, atom_rows, n, path)
    symbols = tuple(line.split()[0].decode(errors="replace") if line.split() else "" for line in atom_lines[:n])
    return positions.reshape(starts.size, n, 3), symbols


def _is_count(line: bytes, n_bytes: bytes) -> bool:
    return len(line) <= 16 and line.strip() == n_bytes


def _record_starts(lines: list[bytes], n: int, path: Path) -> np.ndarray:
    """First line of every complete record; incomplete ones are dropped with a warning."""
    n_bytes = str(n).encode()
    size = n + 2
    n_lines = len(lines)
    regular = n_lines % size == 0 and all(_is_count(lines[s], n_bytes) for s in range(0, n_lines, size))
    if regular:
        return np.arange(0, n_lines, size)
    starts = []
    s = 0
    while s < n_lines:
        if not _is_count(lines[s], n_bytes):
            raise InputError(f"{path}, line {s + 1}: expected the atom count {n} of record {len(starts)}, found {lines[s][:40]!r}")
        end = s + size
        if end == n_lines or (end < n_lines and _is_count(lines[end], n_bytes)):
            starts.append(s)
            s = end
            continue
        following = next((i for i in range(s + 2, min(end, n_lines)) if _is_count(lines[i], n_bytes)), None)
        if following is None and end < n_lines:
            raise InputError(
                f"{path}, line {end + 1}: record {len(starts)} (line {s + 1}) should end after {n} atoms; "
                f"expected the next count line {n}, found {lines[end][:40]!r}"
            )
        stop = n_lines if following is None else following
        where = "at the end of the file" if following is None else f"before line {stop + 1} (a restart appended after a killed run)"
        warnings.warn(
            f"{path}: record {len(starts)} at line {s + 1} holds {max(stop - s - 2, 0)} of {n} atom lines "
            f"{where}; dropped it",
            stacklevel=3,
        )
        s = stop
    return np.array(starts, dtype=np.int64)


def _coordinates(atom_lines: list[bytes], rows: np.ndarray, n: int, path: Path) -> np.ndarray:
    """(lines, 3) float64 from the atom lines (cut by column when they all have SIESTA's width)."""
    widths = np.fromiter(map(len, atom_lines), dtype=np.int64, count=len(atom_lines))
    values = None
    try:
        if np.all(widths == FIXED_WIDTH):
            values = fixed_fields(atom_lines, 4, FIELD, 3)
            if values is None:
                grid = np.frombuffer(b"".join(atom_lines), dtype=np.uint8).reshape(-1, FIXED_WIDTH)
                values = np.ascontiguousarray(grid[:, 4:]).view(f"S{FIELD}").astype(np.float64)
        else:
            tokens = [line.split() for line in atom_lines]
            if all(len(t) >= 4 for t in tokens):
                values = np.array([t[1:4] for t in tokens]).astype(np.float64)
    except ValueError:
        values = None
    if values is None or not np.all(np.isfinite(values)):
        bad = _first_bad(atom_lines, values)
        raise InputError(
            f"{path}, line {rows[bad] + 1} (record {bad // n}, atom {bad % n + 1}): expected a symbol and 3 finite "
            f"numbers x y z, found {atom_lines[bad].decode(errors='replace')!r}"
        )
    return values


def _first_bad(atom_lines: list[bytes], values: np.ndarray | None) -> int:
    if values is not None:
        return int(np.flatnonzero(~np.all(np.isfinite(values), axis=1))[0])
    for i, line in enumerate(atom_lines):
        text = line.decode(errors="replace")
        if len(text.rstrip()) == FIXED_WIDTH:
            fields = [text[4 + k * FIELD : 4 + (k + 1) * FIELD] for k in range(3)]
        else:
            fields = text.split()[1:4]
        try:
            if len(fields) < 3 or not np.all(np.isfinite([float(f) for f in fields])):
                return i
        except ValueError:
            return i
    return 0


def count_records(path: str | Path, n_atoms: int) -> int:
    """Complete records in an ANI of ``n_atoms`` atoms, from its line count (cheap cross-check)."""
    return read_bytes(path, "an xyz trajectory (SIESTA .ANI)").count(b"\n") // (n_atoms + 2)
