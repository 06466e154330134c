#!/usr/bin/env python3
"""Probe a training in progress: the latest saved state's generator against the training runs' MD.

Generates 256 ions x 2,048 records from ``results/validation/model/replica<r>/state/state.pt`` (replica
0 unless a second argument names another) of a workflow directory (as bench_fidelity.py --out makes
them) and prints, at a few lags, alpha2 and the MSD ratio, the largest axis correlation at 9.9 ps,
and the per-axis displacement |dx| in bands of site spacings: the share below 1 A (no hop on the
synthetic lattices' 2 A sites), 1-3 A (one hop), 3-5 A and beyond, with the RMS of the part below 1 A
(the width of the site's core, constant with lag when an ion is held in its site). Against the
training runs only: a probe, not a held-out measurement.

    python benchmarks/probe_training.py benchmarks/out/variant/synthetic [REPLICA]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from mdgan.dataset import load_standardization  # noqa: E402
from mdgan.model.matching import alpha2_from_moments  # noqa: E402
from mdgan.model.networks import Generator, segment_records  # noqa: E402
from mdgan.model.noise import Noise  # noqa: E402
from mdgan.model.settings import ModelSettings, settings_from_dict  # noqa: E402

LAGS_RECORDS = (16, 64, 128, 185, 495, 1024)
BAND_LAGS_RECORDS = (185, 495, 1024)
BAND_EDGES_ANG = (0.0, 1.0, 3.0, 5.0, np.inf)


def alpha2_msd(tracks: list[np.ndarray], lag: int) -> tuple[float, float]:
    r2 = np.concatenate([np.sum((p[lag:] - p[:-lag]) ** 2, axis=-1) for p in tracks if len(p) > lag])
    return float(r2.mean()), float(alpha2_from_moments(r2.mean(), np.mean(r2**2)))


def axis_msd(tracks: list[np.ndarray], lag: int, axis: int) -> float:
    return float(np.mean(np.concatenate([(p[lag:, axis] - p[:-lag, axis]) ** 2 for p in tracks if len(p) > lag])))


def bands(tracks: list[np.ndarray], lag: int) -> tuple[list[float], float]:
    dx = np.abs(np.concatenate([(p[lag:] - p[:-lag]).ravel() for p in tracks if len(p) > lag]))
    shares = [float(np.mean((dx >= a) & (dx < b))) for a, b in zip(BAND_EDGES_ANG[:-1], BAND_EDGES_ANG[1:])]
    return shares, float(np.sqrt(np.mean(dx[dx < 1.0] ** 2)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("work", type=Path, help="workflow directory holding config.yaml and results/validation")
    parser.add_argument("replica", type=int, nargs="?", default=0, help="replica whose state to probe (default 0)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    work, replica = args.work, args.replica
    config = yaml.safe_load((work / "config.yaml").read_text())
    model = settings_from_dict(ModelSettings, config.get("model"))
    stats = load_standardization(work / "results/validation/dataset/standardization.json")
    std_ang, mean_ang = np.asarray(stats["std_ang"]), np.asarray(stats["mean_ang"])
    data = np.load(work / "results/validation/dataset/windows.npz")
    ends = np.cumsum(data["series_lengths"])
    md = [np.cumsum(data["series"][e - n : e] * std_ang + mean_ang, axis=0) for e, n in zip(ends, data["series_lengths"])]
    state = torch.load(work / f"results/validation/model/replica{replica}/state/state.pt", map_location="cpu", weights_only=True)
    generator = Generator(model, segment_records(stats["window_records"], model.segments))
    generator.load_state_dict(state["generator"])
    generator.eval()
    torch.manual_seed(1)
    with torch.no_grad():
        noise = Noise(torch.device("cpu"))
        _, increments = generator.rollout(generator.relax(256, noise), 2048 // generator.segment_records, noise)
    generated = list(np.cumsum(increments.numpy().astype(np.float64) * std_ang, axis=1))  # zero mean
    dt_ps = stats["record_dt_ps"]
    md_stats = np.array([alpha2_msd(md, m) for m in LAGS_RECORDS])
    gen_stats = np.array([alpha2_msd(generated, m) for m in LAGS_RECORDS])
    print(f"iteration {state['iteration']}")
    print("lag (ps)          " + " ".join(f"{m * dt_ps:7.2f}" for m in LAGS_RECORDS))
    print("alpha2, MD        " + " ".join(f"{x:7.2f}" for x in md_stats[:, 1]))
    print("alpha2, MD-GAN    " + " ".join(f"{x:7.2f}" for x in gen_stats[:, 1]))
    print("MSD ratio         " + " ".join(f"{x:7.2f}" for x in gen_stats[:, 0] / md_stats[:, 0]))
    for m in BAND_LAGS_RECORDS:
        ratio = [axis_msd(generated, m, a) / axis_msd(md, m, a) for a in range(3)]
        print(f"MSD ratio x, y, z at {m * dt_ps:5.1f} ps: " + " ".join(f"{x:.2f}" for x in ratio))
    d = np.concatenate([p[495:] - p[:-495] for p in generated])
    c = np.corrcoef(d.T)
    print(f"axis correlation at {495 * dt_ps:.1f} ps: xy {c[0, 1]:.3f}, xz {c[0, 2]:.3f}, yz {c[1, 2]:.3f}")
    print("|dx| bands (A):     <1     1-3    3-5    >5   RMS of <1")
    for m in BAND_LAGS_RECORDS:
        for name, tracks in (("MD", md), ("MD-GAN", generated)):
            shares, core = bands(tracks, m)
            print(f"{m * dt_ps:5.1f} ps {name:7s}" + "".join(f" {x:6.3f}" for x in shares) + f"  {core:.2f}")


if __name__ == "__main__":
    main()
