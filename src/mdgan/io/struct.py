"""SIESTA single-geometry files of one layout: ``Label.STRUCT_IN/OUT`` and ``Label.XV``.

Both hold 3 cell lines, the atom count, then per atom ``isa Z c1 c2 c3 [...]``:
STRUCT: cell in Angstrom, fractional coordinates; XV: cell and Cartesian coordinates in
Bohr (followed by velocities, ignored).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mdgan.errors import InputError
from mdgan.io.files import read_text
from mdgan.io.numbers import parse_floats, parse_int
from mdgan.io.units import BOHR_ANG


@dataclass(frozen=True)
class Geometry:
    """cell_ang (3, 3) rows; species (atoms,) 1-based species index; numbers (atoms,); positions_ang (atoms, 3)."""

    cell_ang: np.ndarray
    species: np.ndarray
    numbers: np.ndarray
    positions_ang: np.ndarray


def read_struct(path: str | Path) -> Geometry:
    """A ``STRUCT_IN`` / ``STRUCT_OUT`` file."""
    cell, species, numbers, coords = _read(path, "a SIESTA STRUCT file", "Ang", "fractional coordinates")
    return Geometry(cell, species, numbers, coords @ cell)


def read_xv(path: str | Path) -> Geometry:
    """An ``XV`` file (velocities dropped)."""
    cell, species, numbers, coords = _read(path, "a SIESTA XV file", "Bohr", "x y z (Bohr)")
    return Geometry(cell * BOHR_ANG, species, numbers, coords * BOHR_ANG)


def _read(path, what: str, cell_unit: str, coords_what: str):
    lines = read_text(path, what).splitlines()
    if len(lines) < 4:
        raise InputError(f"{path}: expected 3 cell lines and an atom count, found {len(lines)} lines")
    cell = np.stack(
        [parse_floats(lines[i].split()[:3], f"{path}, line {i + 1}", f"a cell vector ({cell_unit})") for i in range(3)]
    )
    count = lines[3].split()
    n_atoms = parse_int(count[0] if count else "", f"{path}, line 4", "the number of atoms")
    if len(lines) < 4 + n_atoms:
        raise InputError(f"{path}: expected {n_atoms} atom lines after line 4, found {len(lines) - 4}")
    species = np.empty(n_atoms, dtype=np.int64)
    numbers = np.empty(n_atoms, dtype=np.int64)
    coords = np.empty((n_atoms, 3))
    for i in range(n_atoms):
        where = f"{path}, line {5 + i}"
        tokens = lines[4 + i].split()
        if len(tokens) < 5:
            raise InputError(f"{where}: expected 'isa Z' and 3 coordinates, found {lines[4 + i]!r}")
        species[i] = parse_int(tokens[0], where, "a species index")
        numbers[i] = parse_int(tokens[1], where, "an atomic number")
        coords[i] = parse_floats(tokens[2:5], where, coords_what)
    return cell, species, numbers, coords
