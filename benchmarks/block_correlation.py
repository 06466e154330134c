#!/usr/bin/env python3
"""Memory of the hops beyond the matched stretch: the correlation of an ion's displacements in two
consecutive blocks of time, along each axis, MD-GAN against the held-out and the training MD.

c(B) per axis with its jackknife error over ions (mdgan.analysis.block_correlation says what it is
and how its error was checked): 0 for a random walk, negative while back-hops are remembered, positive
for a direction an ion keeps. On the anisotropic ground truth (resources/synthetic/anisotropic) the
exact c(B) from its exact MSD is printed too. Reads the results of a validation run (as
bench_fidelity.py --out makes them):

    python benchmarks/block_correlation.py benchmarks/out/variant/anisotropic [--blocks-ps 5 10 20 50]

The error's coverage on the ground truth itself (SETS independent sets of 48 ions x 640 ps, 20 fs
frames, as its held-out runs; about 4 s of CPU per 10 sets):

    python benchmarks/block_correlation.py --coverage 40 [--blocks-ps 5 20]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from mdgan.analysis.block_correlation import block_correlation  # noqa: E402
from mdgan.analysis.series import frame_dt_ps, ion_major, open_generated  # noqa: E402
from mdgan.extract import load_tracks  # noqa: E402
from mdgan.validation.hopping import HoppingLattice, simulate  # noqa: E402

COVERAGE_FRAME_DT_PS = 0.02  # the ground truth's held-out runs: 32,000 frames of 20 fs


def md_positions(work: Path, runs: list[str]) -> tuple[list[np.ndarray], float]:
    """Ion-major unwrapped Li positions of ``runs`` and their common frame interval (ps)."""
    tracks = {run: load_tracks(work / "results/md" / run / "li_unwrapped.npz") for run in runs}
    return [ion_major(t) for t in tracks.values()], frame_dt_ps(tracks)


def ground_truth_lattice(config: dict) -> HoppingLattice | None:
    """The anisotropic ground truth's lattice when the held-out runs are its, else None."""
    run = config["runs"][config["validation"]["split"]["heldout"][0]]["path"]
    truth = Path(run).parents[1] / "ground_truth.json"
    model = json.loads(truth.read_text()).get("model", {}) if truth.is_file() else {}
    if "back_hop_probability" not in model:
        return None
    return HoppingLattice(**{k: v for k, v in model.items() if k in HoppingLattice.__dataclass_fields__})


def coverage(sets: int, blocks_ps: list[float]) -> None:
    """Print, per block length, the RMS of (c - exact) / error and the share within 1 and 2 errors."""
    lattice = HoppingLattice()
    times_ps = COVERAGE_FRAME_DT_PS * np.arange(1, 32001)
    z = {b: [] for b in blocks_ps}
    for seed in range(sets):
        _, positions = simulate(lattice, 48, times_ps, np.random.default_rng(seed))
        for b in blocks_ps:
            c, err = block_correlation([positions.transpose(1, 0, 2)], int(round(b / COVERAGE_FRAME_DT_PS)))
            z[b].append((c - lattice.block_correlation(b)) / err)
    print("block (ps)  values  RMS z  |z| < 1  |z| < 2")
    for b, values in z.items():
        v = np.concatenate(values)
        print(f"{b:10.1f}  {v.size:6d}  {np.sqrt(np.mean(v**2)):5.2f}  {np.mean(np.abs(v) < 1):7.2f}  "
              f"{np.mean(np.abs(v) < 2):7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workdir", type=Path, nargs="?", help="a validation run's working directory")
    parser.add_argument("--blocks-ps", type=float, nargs="+", default=[5.0, 10.0, 20.0, 50.0])
    parser.add_argument("--coverage", type=int, metavar="SETS", help="check the error on the ground truth instead")
    args = parser.parse_args()
    if args.coverage:
        coverage(args.coverage, args.blocks_ps)
        return
    if args.workdir is None:
        parser.error("give a workdir or --coverage SETS")
    work = args.workdir
    config = yaml.safe_load((work / "config.yaml").read_text())
    split = config["validation"]["split"]
    generated = open_generated(work / "results/validation/generated/positions.npy",
                               work / "results/validation/generated/meta.json")
    sources = {"MD-GAN": ([generated.positions_ang], generated.record_dt_ps),
               "held-out MD": md_positions(work, split["heldout"]),
               "training MD": md_positions(work, split["training"])}
    lattice = ground_truth_lattice(config)
    print("block (ps)  source         c_x              c_y              c_z")
    for block_ps in args.blocks_ps:
        if lattice is not None:
            exact = lattice.block_correlation(block_ps)
            print(f"{block_ps:10.1f}  {'exact':13s}  " + "  ".join(f"{v:+.3f}         " for v in exact))
        for name, (tracks, dt_ps) in sources.items():
            try:
                c, err = block_correlation(tracks, int(round(block_ps / dt_ps)))
            except ValueError:
                print(f"{block_ps:10.1f}  {name:13s}  (runs shorter than two blocks)")
                continue
            print(f"{block_ps:10.1f}  {name:13s}  " + "  ".join(f"{v:+.3f} +- {e:.3f}" for v, e in zip(c, err)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
