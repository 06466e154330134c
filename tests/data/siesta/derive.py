"""Regenerate the derived fixtures in tests/data/siesta/derived/ from the genuine files.

    python tests/data/siesta/derive.py

derived/md_nose_ani/ is the genuine SIESTA 5.1 MgCO3 Nose run (MgCO3_md_nose_siesta5) with an
``md_nose.ANI`` that SIESTA would have written had ``WriteCoorStep`` been off: record k is the
MD_CAR frame k (fractional x cell), written as SIESTA writes ANI records ((i5), an empty line,
(a2,2x,3f12.6) with the species label). The MD_CAR is left out so that the ANI is the
trajectory; RUN.out (gzip-compressed) and the MDE stay for the cross-checks.
``converter_shape.fdf`` describes the same run with the keys the project's example converter
writes (LatticeConstant 1.0 Ang, LatticeVectors, AtomicCoordinatesFormat Ang, ...).
Only numpy is used, so that the fixture does not depend on the reader under test.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
GENUINE = HERE / "MgCO3_md_nose_siesta5"
TARGET = HERE / "derived" / "md_nose_ani"
LABELS = {1: "Mg", 2: "C", 3: "O"}
SPECIES = [1, 1, 2, 2, 3, 3, 3, 3, 3, 3]  # md_nose.fdf, AtomicCoordinatesAndAtomicSpecies


def md_car_frames(path: Path, n_atoms: int) -> tuple[np.ndarray, np.ndarray]:
    """Cells (frames, 3, 3) and fractional positions (frames, atoms, 3) of a 3-species MD_CAR."""
    lines = path.read_text().splitlines()
    size = 7 + n_atoms
    frames = [lines[i : i + size] for i in range(0, len(lines), size)]
    cells = np.array([[row.split() for row in f[2:5]] for f in frames], dtype=float)
    frac = np.array([[row.split() for row in f[7:]] for f in frames], dtype=float)
    return cells, frac


def ani_text(symbols: list[str], positions: np.ndarray) -> str:
    out = []
    for frame in positions:
        out.append(f"{len(symbols):5d}\n\n")
        out.extend(f"{s:<2s}  {x:12.6f}{y:12.6f}{z:12.6f}\n" for s, (x, y, z) in zip(symbols, frame))
    return "".join(out)


def converter_shape_fdf(cell: np.ndarray, start_ang: np.ndarray) -> str:
    rows = "\n".join(f"  {a:.9f} {b:.9f} {c:.9f}" for a, b, c in cell)
    atoms = "\n".join(f"  {x:.9f} {y:.9f} {z:.9f} {s}" for (x, y, z), s in zip(start_ang, SPECIES))
    return f"""# The SIESTA 5.1 MgCO3 Nose run (md_nose.fdf) in the key shape of the example converter.
SystemLabel md_nose
NumberOfAtoms 10
NumberOfSpecies 3
%block ChemicalSpeciesLabel
  1 12 Mg
  2 6 C
  3 8 O
%endblock ChemicalSpeciesLabel
LatticeConstant 1.0 Ang
%block LatticeVectors
{rows}
%endblock LatticeVectors
AtomicCoordinatesFormat Ang
%block AtomicCoordinatesAndAtomicSpecies
{atoms}
%endblock AtomicCoordinatesAndAtomicSpecies
MD.TypeOfRun Nose
MD.LengthTimeStep 1.0 fs
MD.TargetTemperature 600 K
"""


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    cells, frac = md_car_frames(GENUINE / "md_nose.MD_CAR", len(SPECIES))
    positions = np.einsum("fai,fij->faj", frac, cells)
    symbols = [LABELS[s] for s in SPECIES]
    (TARGET / "md_nose.ANI").write_text(ani_text(symbols, positions))
    for name in ("md_nose.fdf", "md_nose.MDE"):
        shutil.copyfile(GENUINE / name, TARGET / name)
    (TARGET / "RUN.out.gz").write_bytes(gzip.compress((GENUINE / "RUN.out").read_bytes(), mtime=0))
    start_frac = np.array(
        [
            [0.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.25, 0.25, 0.25], [-0.25, -0.25, -0.25],
            [0.5274, -0.0274, 0.25], [0.25, 0.5274, -0.0274], [-0.0274, 0.25, 0.5274],
            [-0.5274, 0.0274, -0.25], [-0.25, -0.5274, 0.0274], [0.0274, -0.25, -0.5274],
        ]
    )  # md_nose.fdf, Fractional
    (TARGET / "converter_shape.fdf").write_text(converter_shape_fdf(cells[0], start_frac @ cells[0]))


if __name__ == "__main__":
    main()
