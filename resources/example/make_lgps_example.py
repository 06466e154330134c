#!/usr/bin/env python3
"""Turn the LGPS DiffusionAnalyzer JSON into SIESTA-format runs (fdf + ANI).

The 1000 stored frames (20 fs apart) are cut into consecutive runs. Run r starts (fdf
coordinates, t = 0) from the last frame of run r-1 (frame 0 for the first run) and its ANI
holds the next ``frames_per_run`` frames, so that ANI record k is at t = k * 20 fs, as SIESTA
writes it. The fdf's MD.LengthTimeStep is the 20 fs frame interval (10 VASP steps of 2 fs).

    python resources/example/make_lgps_example.py DiffusionAnalyzer.json resources/example/lgps_600K
    python resources/example/make_lgps_example.py DiffusionAnalyzer.json tests/data/tiny --runs 3 --frames-per-run 40
"""

import argparse

from pymatgen_json import read_diffusion_analyzer
from mdgan.io.siesta_export import write_siesta_run

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("json", help="pymatgen DiffusionAnalyzer JSON")
parser.add_argument("outdir", help="directory receiving run1/, run2/, ...")
parser.add_argument("--runs", type=int, default=3)
parser.add_argument("--frames-per-run", type=int, default=None, help="default: all frames split evenly")
parser.add_argument("--label", default="lgps")
args = parser.parse_args()

data = read_diffusion_analyzer(args.json)
n_frames = data.positions_ang.shape[0]
per_run = args.frames_per_run or (n_frames - 1) // args.runs
if 1 + args.runs * per_run > n_frames:
    parser.error(f"{args.runs} runs x {per_run} frames need {1 + args.runs * per_run} frames; the file has {n_frames}")
for r in range(args.runs):
    first = r * per_run
    fdf = write_siesta_run(
        f"{args.outdir}/run{r + 1}",
        args.label,
        data.numbers,
        start_positions_ang=data.positions_ang[first],
        frames_ang=data.positions_ang[first + 1 : first + 1 + per_run],
        cell_ang=data.cell_ang,
        timestep_fs=data.frame_dt_fs,
        temperature_k=data.temperature_k,
        comment=(
            f"Li10GeP2S12 (LGPS) AIMD at {data.temperature_k:g} K (VASP, Materials Virtual Lab), part {r + 1} of {args.runs}.\n"
            f"Converted by resources/example/make_lgps_example.py: frames {first + 1}-{first + per_run} of the source.\n"
            f"MD.LengthTimeStep is the {data.frame_dt_fs:g} fs interval between stored frames, not the 2 fs MD step."
        ),
    )
    print(fdf)
