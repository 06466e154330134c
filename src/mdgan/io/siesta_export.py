"""Write a trajectory as SIESTA MD input and output: an ``.fdf`` and its ``.ANI``.

Used to turn trajectories from other codes (the bundled LGPS example, synthetic systems)
into the files a SIESTA user has, so that they travel through the whole workflow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from ase.data import chemical_symbols

from mdgan.atomic_io import atomic_write


def species_table(numbers: np.ndarray) -> list[tuple[int, int, str]]:
    """(species index from 1, Z, label) in order of first appearance."""
    table = []
    for z in dict.fromkeys(int(n) for n in numbers):
        table.append((len(table) + 1, z, chemical_symbols[z]))
    return table


def fdf_text(
    label: str,
    numbers: np.ndarray,
    start_positions_ang: np.ndarray,
    cell_ang: np.ndarray,
    timestep_fs: float,
    temperature_k: float,
    n_steps: int,
    comment: str = "",
) -> str:
    """The fdf of a fixed-cell Nose MD run starting from ``start_positions_ang`` (atoms, 3)."""
    table = species_table(numbers)
    index_of = {z: i for i, z, _ in table}
    lines = [f"# {line}" for line in comment.splitlines()]
    lines += [
        f"SystemLabel {label}",
        f"NumberOfAtoms {len(numbers)}",
        f"NumberOfSpecies {len(table)}",
        "%block ChemicalSpeciesLabel",
        *(f"  {i} {z} {sym}" for i, z, sym in table),
        "%endblock ChemicalSpeciesLabel",
        "LatticeConstant 1.0 Ang",
        "%block LatticeVectors",
        *("  " + " ".join(f"{x:.9f}" for x in row) for row in cell_ang),
        "%endblock LatticeVectors",
        "AtomicCoordinatesFormat Ang",
        "%block AtomicCoordinatesAndAtomicSpecies",
        *(
            f"  {x:.6f} {y:.6f} {z:.6f} {index_of[int(n)]}"
            for (x, y, z), n in zip(start_positions_ang, numbers)
        ),
        "%endblock AtomicCoordinatesAndAtomicSpecies",
        "MD.TypeOfRun Nose",
        "MD.InitialTimeStep 1",
        f"MD.FinalTimeStep {n_steps}",
        f"MD.LengthTimeStep {timestep_fs:g} fs",
        f"MD.InitialTemperature {temperature_k:g} K",
        f"MD.TargetTemperature {temperature_k:g} K",
        "WriteMDXmol T",
    ]
    return "\n".join(lines) + "\n"


def ani_text(numbers: np.ndarray, positions_ang: np.ndarray) -> str:
    """ANI frames as SIESTA writes them: ``(i5)`` count, an empty line, ``(a2,2x,3f12.6)`` rows."""
    symbols = [chemical_symbols[int(n)] for n in numbers]
    n_atoms = len(symbols)
    row_format = "".join(f"{s:<2s}  %12.6f%12.6f%12.6f\n" for s in symbols)
    header = f"{n_atoms:5d}\n\n"
    return "".join(header + row_format % tuple(frame.ravel()) for frame in positions_ang)


def write_siesta_run(
    directory: str | Path,
    label: str,
    numbers: np.ndarray,
    start_positions_ang: np.ndarray,
    frames_ang: np.ndarray,
    cell_ang: np.ndarray,
    timestep_fs: float,
    temperature_k: float,
    comment: str = "",
) -> Path:
    """Write ``<label>.fdf`` and ``<label>.ANI`` into ``directory``; return the fdf path.

    start_positions_ang: (atoms, 3) the geometry at t = 0 (the fdf's coordinates);
    frames_ang: (frames, atoms, 3) ANI record k (from 1) is the geometry at t = k * timestep_fs.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    fdf = directory / f"{label}.fdf"
    with atomic_write(fdf) as tmp:
        tmp.write_text(
            fdf_text(label, numbers, start_positions_ang, cell_ang, timestep_fs, temperature_k, len(frames_ang), comment)
        )
    with atomic_write(directory / f"{label}.ANI") as tmp:
        tmp.write_text(ani_text(numbers, frames_ang))
    return fdf
