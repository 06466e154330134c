#!/usr/bin/env python3
"""Write a temperature series of the synthetic ground truth (SIESTA-format runs) for an Arrhenius analysis.

The system of make_synthetic.py (mdgan.validation.synthetic: 0.25 eV barrier, D0 = 0.5 A^2/ps at
600 K) at several temperatures, the bare diffusion following Einstein's D0 = kT / friction (D0 ~ T;
CosineLattice.at_temperature). Default plan: 500, 600, 750, 1000 K, at each

    t<T>K_1..3    16 Li x 5,000 frames of 20 fs (100 ps)

seeds independent per run (one SeedSequence). ground_truth.json beside the runs holds the lattice
per temperature, the runs and the exact Arrhenius result (exact_arrhenius) for an extrapolation to
300 K. Takes about 10 s on one core, about 60 MB:

    python resources/synthetic/make_arrhenius.py                     # -> resources/synthetic/arrhenius/
    python resources/synthetic/make_arrhenius.py OUT --scale 0.01    # a short version (tests)
"""

import argparse
from pathlib import Path

import numpy as np

from mdgan.atomic_io import save_json
from mdgan.validation.synthetic import ANG2_PS_TO_CM2_S, CosineLattice, exact_arrhenius, write_synthetic_run

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("outdir", nargs="?", default=str(Path(__file__).parent / "arrhenius"))
parser.add_argument("--temperatures", type=float, nargs="+", default=[500.0, 600.0, 750.0, 1000.0], help="K")
parser.add_argument("--runs", type=int, default=3, help="runs per temperature (default 3)")
parser.add_argument("--ions", type=int, default=16, help="Li per run (default 16)")
parser.add_argument("--frames", type=int, default=5000, help="frames per run (default 5000)")
parser.add_argument("--scale", type=float, default=1.0, help="multiply every run's frames (default 1)")
parser.add_argument("--extrapolate", type=float, default=300.0, help="T_extrapolated, K (default 300)")
parser.add_argument("--seed", type=int, default=20250610)
parser.add_argument("--frame-dt-fs", type=float, default=20.0)
parser.add_argument("--substeps", type=int, default=4)
args = parser.parse_args()

temperatures = sorted(set(args.temperatures))
if len(temperatures) < 2 or args.runs < 1 or args.ions < 1:
    parser.error("need at least 2 distinct temperatures, 1 run and 1 ion")
reference = CosineLattice()
lattices = {t: CosineLattice.at_temperature(t, reference) for t in temperatures}
n_frames = max(2, int(round(args.frames * args.scale)))
seeds = iter(np.random.SeedSequence(args.seed).generate_state(len(temperatures) * args.runs))
runs = {}
for t, lattice in lattices.items():
    for k in range(1, args.runs + 1):
        run, seed = f"t{t:g}K_{k}", int(next(seeds))
        fdf = write_synthetic_run(
            Path(args.outdir) / run, lattice, args.ions, n_frames, args.frame_dt_fs, args.substeps, seed
        )
        runs[run] = {"path": str(fdf), "temperature_k": t, "ions": args.ions, "frames": n_frames, "seed": seed}
        print(fdf)
arrhenius = exact_arrhenius(lattices.values(), args.extrapolate)
save_json(
    Path(args.outdir) / "ground_truth.json",
    {
        "description": "synthetic temperature series, D0 = kT / friction (mdgan.validation.synthetic)",
        "reference_lattice": reference.summary(),
        "friction_ev_ps_per_ang2": reference.friction_ev_ps_per_ang2,
        "frame_dt_fs": args.frame_dt_fs,
        "substeps": args.substeps,
        "base_seed": args.seed,
        "lattices": {f"{t:g}": lattice.summary() for t, lattice in lattices.items()},
        "runs": runs,
        "arrhenius": arrhenius,
    },
)
print(f"\n{'T (K)':>8} {'D0 (A^2/ps)':>12} {'D_exact (cm^2/s)':>17} {'residence (ps)':>15}")
for t, lattice in lattices.items():
    d = lattice.diffusion_ang2_ps() * ANG2_PS_TO_CM2_S
    print(f"{t:8g} {lattice.bare_diffusion_ang2_ps:12.4f} {d:17.4e} {lattice.residence_time_ps():15.2f}")
print(
    f"exact Ea over {', '.join(f'{t:g}' for t in temperatures)} K: {arrhenius['Ea_eV']:.4f} eV "
    f"(prefactor {arrhenius['prefactor_cm2_s']:.4e} cm^2/s; barrier {reference.barrier_ev:g} eV)\n"
    f"at {args.extrapolate:g} K: D_exact {arrhenius['D_exact_extrapolated_cm2_s']:.4e}, "
    f"the line {arrhenius['D_line_extrapolated_cm2_s']:.4e} cm^2/s "
    f"(ln D_exact - ln D_line = {arrhenius['ln_D_exact_minus_line_extrapolated']:+.3f})"
)
