"""What a SIESTA run's fdf input says: atoms, cell, start geometry, time step, temperature.

Plain data out of :class:`mdgan.io.fdf.Fdf`; every value keeps SIESTA's defaults
(coordinates in Bohr, ``MD.LengthTimeStep`` 1 fs, ``SystemLabel`` siesta).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mdgan.errors import InputError
from mdgan.io.fdf import Fdf, FdfLine, normalize, parse_fdf
from mdgan.io.files import existing, plain_name
from mdgan.io.numbers import parse_floats, parse_int
from mdgan.io.struct import Geometry, read_struct, read_xv
from mdgan.io.units import BOHR_ANG, LENGTH_ANG, TEMPERATURE_K, TIME_FS

DEFAULT_TIMESTEP_FS = 1.0
VARIABLE_CELL_RUNS = {"parrinellorahman", "noseparrinellorahman"}
COORDINATE_FORMATS = {
    "bohr": "bohr",
    "notscaledcartesianbohr": "bohr",
    "ang": "ang",
    "notscaledcartesianang": "ang",
    "scaledcartesian": "scaled",
    "fractional": "fractional",
    "scaledbylatticevectors": "fractional",
}
_TRUE = {"t", "true", ".true.", "yes", "y"}
_FALSE = {"f", "false", ".false.", "no", "n"}


@dataclass(frozen=True)
class SiestaInput:
    """A SIESTA run as its input describes it.

    numbers: (atoms,) atomic numbers of every atom in input order; <= 0 marks a ghost.
    species_labels: (atoms,) the species label of every atom (``Li.gga``).
    cell_ang: (3, 3) lattice vectors as rows, Angstrom (the start cell).
    start_positions_ang: (atoms, 3) the start geometry (t = 0, not a frame), Angstrom.
    timestep_fs: ``MD.LengthTimeStep`` (None where the input does not set it).
    temperature_k: ``MD.TargetTemperature``, else ``MD.InitialTemperature`` (None if neither).
    lattice_constant_ang: ``LatticeConstant`` (for ``ScaledCartesian`` coordinates).
    geometry_source: the file the cell and start geometry came from (fdf, STRUCT_IN or XV).
    """

    fdf_path: Path
    label: str
    numbers: np.ndarray
    species_labels: tuple[str, ...]
    cell_ang: np.ndarray
    start_positions_ang: np.ndarray
    lattice_constant_ang: float | None
    timestep_fs: float | None
    temperature_k: float | None
    run_type: str
    variable_cell: bool
    geometry_source: Path

    @property
    def n_atoms(self) -> int:
        return self.numbers.shape[0]


def read_siesta_input(path: str | Path) -> SiestaInput:
    """Read a SIESTA ``.fdf`` (with its includes and STRUCT_IN / XV where it asks for them)."""
    path = Path(path)
    return interpret_fdf(parse_fdf(path), path, path.parent)


def system_label(fdf: Fdf) -> str:
    values = fdf.values("SystemLabel")
    return values[0] if values else "siesta"


def geometry_file(fdf: Fdf, run_dir: Path) -> tuple[str, Path | None]:
    """Where the run's atoms and cell come from: ("struct", STRUCT_IN), ("xv", XV) or ("fdf", None).

    ``MD.UseStructFile`` names ``Label.STRUCT_IN`` (None here if it is missing). With
    ``MD.UseSaveXV`` the ``Label.XV`` is used only where the fdf has no coordinates block:
    SIESTA rewrites the XV at every step, so after a run it holds the last geometry, not the start.
    """
    label = system_label(fdf)
    if logical(fdf, ("MD.UseStructFile", "UseStructFile"), False):
        return "struct", existing(run_dir / f"{label}.STRUCT_IN")
    if logical(fdf, ("MD.UseSaveXV", "UseSaveXV"), False) and fdf.block("AtomicCoordinatesAndAtomicSpecies") is None:
        found = existing(run_dir / f"{label}.XV")
        if found is not None:
            return "xv", found
    return "fdf", None


def _read_geometry_file(fdf: Fdf, fdf_path: Path, run_dir: Path) -> tuple[Geometry | None, Path | None]:
    kind, path = geometry_file(fdf, run_dir)
    if kind == "struct":
        if path is None:
            expected = run_dir / f"{system_label(fdf)}.STRUCT_IN"
            raise InputError(f"{fdf_path}: MD.UseStructFile is set but {expected} does not exist")
        return read_struct(path), path
    if kind == "xv":
        return read_xv(path), path
    return None, None


def interpret_fdf(fdf: Fdf, fdf_path: Path, run_dir: Path) -> SiestaInput:
    """The run described by parsed fdf input; ``run_dir`` holds the run's other files."""
    label = system_label(fdf)
    species = _species(fdf, fdf_path)
    alat = physical(fdf, ("LatticeConstant",), LENGTH_ANG, "bohr", "a length")
    lattice_constant = None if alat is None else alat[0]
    geometry, geometry_source = _read_geometry_file(fdf, fdf_path, run_dir)
    if geometry is not None:
        species_index = geometry.species
        cell = geometry.cell_ang
        positions = geometry.positions_ang
        _check_atom_count(fdf, fdf_path, species_index.size, geometry_source)
    else:
        species_index, positions_raw, block_line = _coordinates(fdf, fdf_path)
        _check_atom_count(fdf, fdf_path, species_index.size, block_line.where)
        cell = _cell(fdf, fdf_path, lattice_constant)
        positions = _to_angstrom(positions_raw, _coordinate_format(fdf), cell, lattice_constant, block_line)
        geometry_source = fdf_path

    numbers, labels = [], []
    for i, isa in enumerate(species_index):
        if isa not in species:
            raise InputError(
                f"{geometry_source}: atom {i + 1} has species index {isa}, but %block ChemicalSpeciesLabel "
                f"in {fdf_path} defines only {sorted(species)}"
            )
        numbers.append(species[isa][0])
        labels.append(species[isa][1])
    numbers = np.array(numbers, dtype=np.int64)
    if geometry is not None and np.any(geometry.numbers != numbers):
        bad = int(np.flatnonzero(geometry.numbers != numbers)[0])
        raise InputError(
            f"{geometry_source}: atom {bad + 1} has atomic number {geometry.numbers[bad]}, but its species "
            f"{species_index[bad]} is Z={numbers[bad]} in %block ChemicalSpeciesLabel of {fdf_path}"
        )

    timestep = physical(fdf, ("MD.LengthTimeStep",), TIME_FS, "fs", "a time")
    temperature = fdf_temperature_k(fdf)
    run_type_values = fdf.values("MD.TypeOfRun")
    run_type = normalize(run_type_values[0]) if run_type_values else "verlet"
    return SiestaInput(
        fdf_path=fdf_path,
        label=label,
        numbers=numbers,
        species_labels=tuple(labels),
        cell_ang=cell,
        start_positions_ang=positions,
        lattice_constant_ang=lattice_constant,
        timestep_fs=None if timestep is None else timestep[0],
        temperature_k=temperature,
        run_type=run_type,
        variable_cell=_variable_cell(fdf, run_type),
        geometry_source=geometry_source,
    )


def fdf_temperature_k(fdf: Fdf) -> float | None:
    """The MD temperature, K: ``MD.TargetTemperature``, else ``MD.InitialTemperature`` (None if neither)."""
    temperature = physical(fdf, ("MD.TargetTemperature",), TEMPERATURE_K, "k", "a temperature") or physical(
        fdf, ("MD.InitialTemperature",), TEMPERATURE_K, "k", "a temperature"
    )
    return None if temperature is None else temperature[0]


def logical(fdf: Fdf, names: tuple[str, ...], default: bool) -> bool:
    """An fdf logical; a label given without value means true."""
    entry = fdf.label(*names)
    if entry is None:
        return default
    tokens = entry.text.split()[1:]
    if not tokens:
        return True
    word = tokens[0].lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise InputError(f"{entry.where}: expected a logical (T/F, true/false, yes/no) for {names[0]}, found {word!r}")


def physical(
    fdf: Fdf, names: tuple[str, ...], units: dict[str, float], default_unit: str, what: str
) -> tuple[float, FdfLine] | None:
    """A physical value converted with ``units`` (unit name -> factor), or None if absent."""
    entry = fdf.label(*names)
    if entry is None:
        return None
    tokens = entry.text.split()[1:]
    if not tokens:
        raise InputError(f"{entry.where}: {names[0]} needs a value ({what})")
    value = parse_floats(tokens[:1], entry.where, f"{what} for {names[0]}")[0]
    unit = tokens[1].lower() if len(tokens) > 1 else default_unit
    if unit not in units:
        raise InputError(
            f"{entry.where}: unknown unit {tokens[1]!r} for {names[0]}; expected one of {sorted(units)}"
        )
    return value * units[unit], entry


def _species(fdf: Fdf, fdf_path: Path) -> dict[int, tuple[int, str]]:
    found = fdf.block("ChemicalSpeciesLabel")
    if found is None or not found[1]:
        raise InputError(f"{fdf_path}: no %block ChemicalSpeciesLabel (species index, atomic number, label)")
    start, rows = found
    species = {}
    for row in rows:
        tokens = row.text.split()
        if len(tokens) < 3:
            raise InputError(f"{row.where}: expected 'index Z label' in ChemicalSpeciesLabel, found {row.text!r}")
        index = parse_int(tokens[0], row.where, "a species index")
        z = parse_int(tokens[1], row.where, "an atomic number")
        if z > 118:
            raise InputError(f"{row.where}: atomic number {z} (synthetic species) is not supported")
        species[index] = (z, tokens[2])
    declared = fdf.values("NumberOfSpecies")
    if declared:
        entry = fdf.label("NumberOfSpecies")
        n = parse_int(declared[0], entry.where, "the number of species")
        if n != len(species):
            raise InputError(
                f"{entry.where}: NumberOfSpecies is {n} but %block ChemicalSpeciesLabel ({start.where}) "
                f"lists {len(species)}"
            )
    return species


def _coordinates(fdf: Fdf, fdf_path: Path) -> tuple[np.ndarray, np.ndarray, FdfLine]:
    found = fdf.block("AtomicCoordinatesAndAtomicSpecies")
    if found is None or not found[1]:
        raise InputError(
            f"{fdf_path}: no %block AtomicCoordinatesAndAtomicSpecies (and no MD.UseStructFile / "
            "MD.UseSaveXV with an existing STRUCT_IN / XV)"
        )
    start, rows = found
    species = np.empty(len(rows), dtype=np.int64)
    positions = np.empty((len(rows), 3))
    for i, row in enumerate(rows):
        tokens = row.text.split()
        if len(tokens) < 4:
            raise InputError(f"{row.where}: expected 'x y z species' in AtomicCoordinatesAndAtomicSpecies")
        positions[i] = parse_floats(tokens[:3], row.where, "3 coordinates")
        species[i] = parse_int(tokens[3], row.where, "a species index")
    return species, positions, start


def _check_atom_count(fdf: Fdf, fdf_path: Path, n_atoms: int, counted_in) -> None:
    declared = fdf.values("NumberOfAtoms")
    if declared:
        entry = fdf.label("NumberOfAtoms")
        n = parse_int(declared[0], entry.where, "the number of atoms")
        if n != n_atoms:
            raise InputError(f"{entry.where}: NumberOfAtoms is {n} but {counted_in} holds {n_atoms} atoms")


def _cell(fdf: Fdf, fdf_path: Path, lattice_constant: float | None) -> np.ndarray:
    vectors = fdf.block("LatticeVectors")
    parameters = fdf.block("LatticeParameters")
    if vectors is None and parameters is None and lattice_constant is None:
        raise InputError(
            f"{fdf_path}: no lattice: expected LatticeConstant with %block LatticeVectors or "
            "%block LatticeParameters (or MD.UseStructFile / MD.UseSaveXV with the file present)"
        )
    if lattice_constant is None:
        start = (vectors or parameters)[0]
        raise InputError(f"{start.where}: the lattice block needs LatticeConstant (value and unit)")
    if vectors is not None:
        start, rows = vectors
        if len(rows) < 3:
            raise InputError(f"{start.where}: %block LatticeVectors needs 3 rows, found {len(rows)}")
        cell = np.stack([parse_floats(row.text.split()[:3], row.where, "a lattice vector (3 numbers)") for row in rows[:3]])
        return cell * lattice_constant
    if parameters is not None:
        start, rows = parameters
        if not rows:
            raise InputError(f"{start.where}: %block LatticeParameters is empty; expected a b c alpha beta gamma")
        values = parse_floats(rows[0].text.split()[:6], rows[0].where, "a b c alpha beta gamma")
        if values.size < 6:
            raise InputError(f"{rows[0].where}: expected a b c alpha beta gamma, found {rows[0].text!r}")
        return cell_from_parameters(*(values[:3] * lattice_constant), *values[3:])
    return np.eye(3) * lattice_constant


def cell_from_parameters(a: float, b: float, c: float, alpha: float, beta: float, gamma: float) -> np.ndarray:
    """Lattice vectors (rows) from lengths and angles in degrees: a along x, b in the xy plane."""
    ca, cb, cg = np.cos(np.radians([alpha, beta, gamma]))
    sg = np.sin(np.radians(gamma))
    cx = cb
    cy = (ca - cb * cg) / sg
    cz = np.sqrt(max(1.0 - cx**2 - cy**2, 0.0))
    return np.array([[a, 0.0, 0.0], [b * cg, b * sg, 0.0], [c * cx, c * cy, c * cz]])


def _coordinate_format(fdf: Fdf) -> tuple[str, FdfLine | None]:
    entry = fdf.label("AtomicCoordinatesFormat")
    if entry is None:
        return "bohr", None
    tokens = entry.text.split()[1:]
    key = normalize(tokens[0]) if tokens else ""
    if key not in COORDINATE_FORMATS:
        raise InputError(
            f"{entry.where}: unknown AtomicCoordinatesFormat {' '.join(tokens)!r}; expected Bohr, Ang, "
            "ScaledCartesian or Fractional"
        )
    return COORDINATE_FORMATS[key], entry


def _to_angstrom(raw: np.ndarray, fmt: tuple[str, FdfLine | None], cell: np.ndarray, alat: float | None, block: FdfLine) -> np.ndarray:
    kind, entry = fmt
    if kind == "bohr":
        return raw * BOHR_ANG
    if kind == "ang":
        return raw.copy()
    if kind == "fractional":
        return raw @ cell
    if alat is None:
        raise InputError(f"{entry.where if entry else block.where}: ScaledCartesian coordinates need LatticeConstant")
    return raw * alat


def _variable_cell(fdf: Fdf, run_type: str) -> bool:
    if run_type in VARIABLE_CELL_RUNS:
        return True
    if run_type == "anneal":
        option = fdf.values("MD.AnnealOption")
        return normalize(option[0]) in {"pressure", "temperatureandpressure"} if option else True
    return logical(fdf, ("MD.VariableCell",), False)


def fdf_stem(path: Path) -> str:
    """The fdf's file name without ``.fdf`` (and ``.gz``)."""
    name = plain_name(path)
    return name[:-4] if name.lower().endswith(".fdf") else name
