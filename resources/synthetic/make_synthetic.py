#!/usr/bin/env python3
"""Write the synthetic Li-like ground truth as SIESTA-format runs (fdf + ANI) and its known D.

Overdamped Langevin Li in a separable cosine potential (mdgan.validation.synthetic): vibration in a
site, rare hops, normal diffusion with the exact Lifson-Jackson D. Default plan (config/synthetic.yaml):

    train_1..3    16 Li x  2,500 frames (50 ps)   training part: ~20 windows of 2.56 ps each
    select        16 Li x  5,000 frames (100 ps)  selection part (checkpoints, switches)
    reference_1,2 48 Li x 32,000 frames (640 ps)  held-out part: MSD to 100 x the window (256 ps)

Frames are 20 fs apart (4 Euler-Maruyama steps of 5 fs). Takes about 10 s on one core:

    python resources/synthetic/make_synthetic.py                 # -> resources/synthetic/data/
    python resources/synthetic/make_synthetic.py OUT --scale 0.1 # a short version (tests)
"""

import argparse
from pathlib import Path

import numpy as np

from mdgan.atomic_io import save_json
from mdgan.validation.synthetic import CosineLattice, write_synthetic_run

PLAN = {  # run -> (ions, frames)
    "train_1": (16, 2500),
    "train_2": (16, 2500),
    "train_3": (16, 2500),
    "select": (16, 5000),
    "reference_1": (48, 32000),
    "reference_2": (48, 32000),
}

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("outdir", nargs="?", default=str(Path(__file__).parent / "data"))
parser.add_argument("--seed", type=int, default=20250607)
parser.add_argument("--scale", type=float, default=1.0, help="multiply every run's frames (default 1)")
parser.add_argument("--frame-dt-fs", type=float, default=20.0)
parser.add_argument("--substeps", type=int, default=4)
args = parser.parse_args()

lattice = CosineLattice()
seeds = np.random.SeedSequence(args.seed).generate_state(len(PLAN))
runs = {}
for (run, (n_ions, n_frames)), seed in zip(PLAN.items(), seeds):
    n_frames = max(2, int(round(n_frames * args.scale)))
    fdf = write_synthetic_run(
        Path(args.outdir) / run, lattice, n_ions, n_frames, args.frame_dt_fs, args.substeps, int(seed)
    )
    runs[run] = {"path": str(fdf), "ions": n_ions, "frames": n_frames, "seed": int(seed)}
    print(fdf)
save_json(
    Path(args.outdir) / "ground_truth.json",
    {"lattice": lattice.summary(), "frame_dt_fs": args.frame_dt_fs, "substeps": args.substeps,
     "base_seed": args.seed, "runs": runs},
)
