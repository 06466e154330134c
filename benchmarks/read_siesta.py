"""Time the SIESTA reader on the reference-case size: 3 runs x 10,000 frames x 100 atoms.

    PYTHONPATH=src python benchmarks/read_siesta.py [--frames 10000] [--atoms 100] [--runs 3]

Writes synthetic runs (a random walk in SIESTA's ANI and MD_CAR layouts) to a temporary folder
and prints one row per run and source: the seconds of input_files (DAG time) and read_run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from mdgan.io import input_files, read_run

SPECIES = [("Li", 3), ("S", 16), ("P", 15), ("Ge", 32)]


def write_run(folder: Path, n_frames: int, n_atoms: int, source: str) -> Path:
    rng = np.random.default_rng(0)
    kinds = rng.integers(0, len(SPECIES), n_atoms)
    cell = np.diag([12.0, 12.0, 13.0])
    start = rng.uniform(0, 1, (n_atoms, 3)) @ cell
    positions = start + np.cumsum(rng.normal(0, 0.05, (n_frames, n_atoms, 3)), axis=0)
    species_block = "".join(f"{i + 1} {z} {s}\n" for i, (s, z) in enumerate(SPECIES))
    atoms_block = "".join(f"{x:.6f} {y:.6f} {z:.6f} {k + 1}\n" for (x, y, z), k in zip(start, kinds))
    (folder / "bench.fdf").write_text(
        f"SystemLabel bench\nNumberOfAtoms {n_atoms}\n%block ChemicalSpeciesLabel\n{species_block}%endblock ChemicalSpeciesLabel\n"
        "LatticeConstant 1.0 Ang\n%block LatticeVectors\n12 0 0\n0 12 0\n0 0 13\n%endblock LatticeVectors\n"
        f"AtomicCoordinatesFormat Ang\n%block AtomicCoordinatesAndAtomicSpecies\n{atoms_block}"
        "%endblock AtomicCoordinatesAndAtomicSpecies\nMD.TypeOfRun Nose\nMD.LengthTimeStep 2.0 fs\nMD.TargetTemperature 600 K\n"
    )
    symbols = [SPECIES[k][0] for k in kinds]
    with open(folder / f"bench.{source}", "w") as out:
        if source == "ANI":
            for frame in positions:
                out.write(f"{n_atoms:5d}\n\n")
                out.writelines(f"{s:<2s}  {x:12.6f}{y:12.6f}{z:12.6f}\n" for s, (x, y, z) in zip(symbols, frame))
        else:
            counts = "".join(f"{c:6d}" for c in np.bincount(kinds, minlength=len(SPECIES)))
            cell_rows = "".join(f"{a:16.9f}{b:16.9f}{c:16.9f}\n" for a, b, c in cell)
            for frame in positions @ np.linalg.inv(cell):
                out.write(f"---bench---\n       1.0\n{cell_rows}{counts}\nDirect\n")
                out.writelines(f"{x:16.9f}{y:16.9f}{z:16.9f}\n" for x, y, z in frame)
    return folder / "bench.fdf"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--atoms", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'source':8s} {'run':>4s} {'frames':>7s} {'atoms':>6s} {'MB':>7s} {'input_files_s':>14s} {'read_run_s':>11s}")
    with tempfile.TemporaryDirectory() as tmp:
        for source in ("ANI", "MD_CAR"):
            first = write_run(Path(tmp), args.frames, args.atoms, source)
            for run in range(args.runs):
                folder = Path(tmp) / source / f"run{run + 1}"
                folder.mkdir(parents=True)
                for name in (first.name, f"bench.{source}"):
                    shutil.copyfile(first.parent / name, folder / name)
                fdf = folder / first.name
                t0 = time.perf_counter()
                input_files(fdf)
                t1 = time.perf_counter()
                traj = read_run(fdf)
                t2 = time.perf_counter()
                size = os.path.getsize(folder / f"bench.{source}") / 1e6
                print(f"{source:8s} {run + 1:4d} {traj.n_frames:7d} {traj.n_atoms:6d} {size:7.1f} {t1 - t0:14.4f} {t2 - t1:11.2f}")
            (Path(tmp) / f"bench.{source}").unlink()


if __name__ == "__main__":
    main()
