#!/usr/bin/env python3
"""Does the selection part's score rank the checkpoints by their long-time D? Every saved checkpoint of
every replica of a validation run, its selection-part scores (checkpoint_scores.csv) beside its D per
axis from a fresh batch of generated ions, over the exact D per axis where the config gives it
(``validation.ground_truth_D_axes_cm2_s``), else over the held-out MD's (comparison.csv).

Each checkpoint generates ``--ions`` ions of the validation's length (its ``generation`` settings, seed
0); D along each axis is the slope / 2 of a straight-line fit to that axis' MSD over ``--fit-ps`` (error
over the ions). Then, for each score column, Spearman's rank correlation over all checkpoints between
the score and the D's largest |ln(D / reference)| over the normal axis, the in-plane mean and their
ratio, and the same for the sum that each checkpoint-selection method ranks by
(``mdgan.validation.ranking.SCORED_BY``): a score that ranks the D has a clearly positive one. Beside
them, ``matched_inplane`` and ``matched_z``: the generated MSD at the longest lag the training matched
(``training.match_windows`` windows) over the training runs' MSD there, the matching's own target; 1
where the checkpoint holds what it was trained to hold. With ``model.hop_memory``, ``memory_<axis>``:
how the direction of a chain's next hop follows its last (``Generator.direction_memory`` over 256
chains after 4,096 records; -1 always back, 0 none, +1 always on; the hopping lattice's exact value is
-p_back on every axis). Reads a validation run as bench_fidelity.py --out makes it:

    python benchmarks/checkpoint_d.py benchmarks/out/variant/anisotropic [--ions 256] [--fit-ps 50 250] [--no-renewal]

The anisotropic case's 24 checkpoints (3 replicas x 8) at 256 ions x 500 ps: 12 min on one core beside
three other jobs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from mdgan.analysis.diffusion import fit_diffusion  # noqa: E402
from mdgan.analysis.msd import msd_samples  # noqa: E402
from mdgan.model.device import choose_device  # noqa: E402
from mdgan.model.generation import generate_positions  # noqa: E402
from mdgan.model.generator_file import load_generators  # noqa: E402
from mdgan.model.matching import match_lags, match_target  # noqa: E402
from mdgan.model.noise import Noise, seeded_generator  # noqa: E402
from mdgan.model.settings import GenerationSettings, settings_from_dict  # noqa: E402
from mdgan.validation.comparison import axis_d_quantity  # noqa: E402
from mdgan.validation.ranking import SCORED_BY  # noqa: E402

def reference_d(work: Path, config: dict) -> tuple[np.ndarray, str]:
    """The exact D per axis (x, y, z; cm^2/s) where the config gives it, else the held-out MD's."""
    exact = config["validation"].get("ground_truth_D_axes_cm2_s")
    if exact:
        return np.array([exact[a] for a in "xyz"]), "exact D"
    table = pd.read_csv(work / "results/validation/comparison.csv").set_index("quantity")
    return np.array([table.loc[axis_d_quantity(a), "heldout"] for a in "xyz"]), "held-out MD's D"


def matched_msd_axes(work: Path, config: dict) -> tuple[int, np.ndarray]:
    """The longest lag the training matched (records) and the training runs' MSD along x, y, z there
    (A^2), as the training computed its target (``mdgan.model.matching.match_target``)."""
    t = config["training"]
    lag = match_lags(int(config["window_records"]) * int(t["match_windows"]), int(t["match_lags"]))[-1]
    dataset = work / "results/validation/dataset"
    stats = json.loads((dataset / "standardization.json").read_text())
    with np.load(dataset / "windows.npz") as windows:
        target = match_target(windows["series"], windows["series_lengths"], np.asarray(stats["mean_ang"]),
                              np.asarray(stats["std_ang"]), (lag,))
    return lag, target.msd_axes_ang2.numpy()[0]


def checkpoint_d(generator, stats: dict, settings: GenerationSettings, fit_ps: tuple[float, float],
                 device, match_lag: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """D along x, y, z (cm^2/s) and their errors over the ions, from ``settings.n_ions`` generated ions,
    and their MSD along x, y, z at ``match_lag`` records (A^2, every origin)."""
    dt_ps = float(stats["record_dt_ps"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "positions.npy"
        n_records, _ = generate_positions([generator], stats, np.zeros((settings.n_ions, 3)), settings, path,
                                          device, progress=False)
        lo, hi = (max(1, round(t / dt_ps)) for t in fit_ps)
        if hi >= n_records:
            raise SystemExit(f"--fit-ps {fit_ps[1]} ps lies beyond the {n_records * dt_ps:g} ps generated")
        lags = np.unique(np.round(np.geomspace(lo, hi, 12)).astype(np.int64))
        positions = np.load(path, mmap_mode="r")
        samples = msd_samples(positions, lags, dt_ps)
        msd_at_match = np.mean((positions[:, match_lag:] - positions[:, :-match_lag]) ** 2, axis=(0, 1))
    fits = [fit_diffusion(samples, fit_range_ps=fit_ps, axis=k) for k in range(3)]
    return np.array([f.D_cm2_s for f in fits]), np.array([f.D_err_cm2_s for f in fits]), msd_at_match


BURN_IN_RECORDS = 4096  # chain steps before the hop memory is read: 82 ps at 20 fs records


def hop_memory(generator, device) -> dict[str, float]:
    """memory_<axis> of each chain axis (``Generator.direction_memory``), empty without hop memory."""
    if not generator.memory_dim:
        return {}
    noise = Noise(device, seeded_generator(device, 0))
    with torch.inference_mode():
        memory = generator.direction_memory(256, noise, BURN_IN_RECORDS // generator.segment_records)
    axes = "xyz" if len(memory) == 3 else ["all"]
    return {f"memory_{a}": float(m) for a, m in zip(axes, memory)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workdir", type=Path, help="a validation working directory (bench_fidelity.py --out DIR/<case>)")
    parser.add_argument("--ions", type=int, default=256, help="generated ions per checkpoint")
    parser.add_argument("--fit-ps", type=float, nargs=2, default=(50.0, 250.0), help="lags of the D fit, ps")
    parser.add_argument("--no-renewal", action="store_true",
                        help="generate with latent renewal off (model.renewal_windows), to see what it forgets")
    args = parser.parse_args()
    config = yaml.safe_load((args.workdir / "config.yaml").read_text())
    reference, what = reference_d(args.workdir, config)
    generation = {**config["generation"], **config["validation"].get("generation", {}), "n_ions": args.ions}
    settings = settings_from_dict(GenerationSettings, generation)
    device = choose_device("auto")
    match_lag, target = matched_msd_axes(args.workdir, config)
    rows = []
    for model in sorted((args.workdir / "results/validation/model").glob("replica*")):
        scores = pd.read_csv(model / "checkpoint_scores.csv").set_index("iteration")
        generators, stats = load_generators(model / "generator.pt", 10**9, device)
        for iteration, generator in generators:
            if args.no_renewal:
                generator.renewal_probability = 0.0
            d, err, msd = checkpoint_d(generator, stats, settings, tuple(args.fit_ps), device, match_lag)
            memory = hop_memory(generator, device)
            ratio = d / reference
            inplane = (d[0] + d[1]) / (reference[0] + reference[1])
            rows.append({"replica": model.name, "iteration": iteration,
                         **{f"D_{a}": r for a, r in zip("xyz", ratio)},
                         "D_inplane": inplane, "ratio": ratio[2] / inplane,
                         "D_err_max": float(np.max(err / reference)),
                         "matched_inplane": (msd[0] + msd[1]) / (target[0] + target[1]), "matched_z": msd[2] / target[2],
                         **memory, **scores.loc[iteration].to_dict()})
    table = pd.DataFrame(rows)
    table["worst_log_D"] = np.abs(np.log(table[["D_z", "D_inplane", "ratio"]])).max(axis=1)
    shown = ["replica", "iteration", "D_x", "D_y", "D_z", "D_inplane", "ratio", "D_err_max", "worst_log_D",
             "matched_inplane", "matched_z", *[c for c in table.columns if c.startswith("memory_")],
             *[c for c in table.columns if c.startswith("rms_")], "selected"]
    print(f"D over the {what}, fitted over {args.fit_ps[0]:g}-{args.fit_ps[1]:g} ps, {args.ions} ions per checkpoint;"
          f" matched_*: the generated MSD in-plane and along z at the longest matched lag ({match_lag} records)"
          " over the training runs' there, the statistic matching's target")
    print(table[shown].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\nSpearman rank correlation with worst_log_D over the {len(table)} checkpoints:")
    scores = {c: table[c] for c in table.columns if c.startswith("rms_")}
    scores |= {f"method {m}": table[cols].sum(axis=1) for m, cols in SCORED_BY.items() if set(cols) <= set(table)}
    for name, score in scores.items():
        print(f"  {name:40s} {score.rank().corr(table['worst_log_D'].rank()):+.2f}")


if __name__ == "__main__":
    main()
