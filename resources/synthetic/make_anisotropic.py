#!/usr/bin/env python3
"""Write the anisotropic hopping ground truth as SIESTA-format runs (fdf + ANI), its exact D per axis and alpha2.

Li hopping between the sites of a cubic lattice, faster along z, with back-hop correlation and a
vibration in each site (mdgan.validation.hopping): exact D_alpha = a^2 k_alpha (1 - p_back) / (1 + p_back).
Default plan (config/anisotropic_synthetic.yaml), frames 20 fs apart:

    train_1..3    16 Li x  2,500 frames (50 ps)   training part
    select        16 Li x  5,000 frames (100 ps)  selection part (checkpoints, switches)
    reference_1,2 48 Li x 32,000 frames (640 ps)  held-out part

ground_truth.json beside the runs holds the model, its exact D per axis, the runs and alpha2(t) (no
closed form) from a reference simulation of --alpha2-ions independent ions made by the same code:

    python resources/synthetic/make_anisotropic.py                  # -> resources/synthetic/anisotropic/
    python resources/synthetic/make_anisotropic.py OUT --scale 0.01 --alpha2-ions 1000   # a short version (tests)
"""

import argparse
from pathlib import Path

import numpy as np

from mdgan.atomic_io import save_json
from mdgan.validation.hopping import HoppingLattice, alpha2_reference, write_hopping_run

PLAN = {  # run -> (ions, frames)
    "train_1": (16, 2500),
    "train_2": (16, 2500),
    "train_3": (16, 2500),
    "select": (16, 5000),
    "reference_1": (48, 32000),
    "reference_2": (48, 32000),
}
ALPHA2_LAGS_PS = [0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 320]

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("outdir", nargs="?", default=str(Path(__file__).parent / "anisotropic"))
parser.add_argument("--seed", type=int, default=20250612)
parser.add_argument("--scale", type=float, default=1.0, help="multiply every run's frames (default 1)")
parser.add_argument("--frame-dt-fs", type=float, default=20.0)
parser.add_argument("--alpha2-ions", type=int, default=100000, help="ions of the alpha2 reference (default 100,000)")
args = parser.parse_args()

model = HoppingLattice()
seeds = [int(s) for s in np.random.SeedSequence(args.seed).generate_state(len(PLAN) + 1)]
runs = {}
for (run, (n_ions, n_frames)), seed in zip(PLAN.items(), seeds):
    n_frames = max(2, int(round(n_frames * args.scale)))
    fdf = write_hopping_run(Path(args.outdir) / run, model, n_ions, n_frames, args.frame_dt_fs, seed)
    runs[run] = {"path": str(fdf), "ions": n_ions, "frames": n_frames, "seed": seed}
    print(fdf)
alpha2 = alpha2_reference(model, args.alpha2_ions, ALPHA2_LAGS_PS, np.random.default_rng(seeds[-1]))
alpha2["seed"] = seeds[-1]
save_json(
    Path(args.outdir) / "ground_truth.json",
    {
        "description": "anisotropic correlated hopping with vibration (mdgan.validation.hopping); NOT a SIESTA run",
        "model": model.summary(),
        "frame_dt_fs": args.frame_dt_fs,
        "base_seed": args.seed,
        "runs": runs,
        "alpha2_reference": alpha2,
    },
)
truth = model.summary()
print(
    f"exact D (cm^2/s): in-plane {truth['D_inplane_cm2_s']:.4e}, z {truth['D_z_cm2_s']:.4e}, "
    f"isotropic {truth['D_cm2_s']:.4e}, D_z/D_xy {truth['D_z_over_D_inplane']:.3f}; "
    f"residence {truth['residence_time_ps']:.2f} ps"
)
print(f"{'lag (ps)':>9} {'alpha2_3d':>15} {'alpha2_inplane':>15} {'alpha2_z':>15}")
for i, lag in enumerate(alpha2["lag_ps"]):
    cells = [f"{alpha2[k][i]:7.3f}+-{alpha2[k + '_err'][i]:.3f}" for k in ("alpha2_3d", "alpha2_inplane", "alpha2_z")]
    print(f"{lag:9g} " + " ".join(f"{c:>15}" for c in cells))
