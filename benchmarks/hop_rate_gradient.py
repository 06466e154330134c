#!/usr/bin/env python3
"""Does the matched MSD reach the hop rate of ``model.site_hops``? For one trained generator, the
derivative of ln E[MSD along each axis] at three lags of a 16-window stretch by the hop head's logit
(the bias every chain's hop probability shares), three ways, each the mean over ``--batches``
batches of 64 ions (+- its standard error):

- straight-through: what the training's gradient has without ``training.match_hop_expectation``;
- with the correction (``mdgan.model.hop_gradient``): what it has with the key;
- finite difference: E[MSD] at logit +- 0.25, each batch with the same random numbers, the answer.

The stretch starts after a burn-in of 4 windows from relaxed chains, as the training's does.

    python benchmarks/hop_rate_gradient.py results/validation/model/replica0/generator.pt [--checkpoint -1] [--batches 6]

About 1 min on one core (6 batches, 128-record windows).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from mdgan.model.check import destandardise
from mdgan.model.generator_file import load_generators
from mdgan.model.hop_gradient import hop_rate_surrogate
from mdgan.model.matching import displacement_products
from mdgan.model.noise import Noise, seeded_generator

STRETCH_WINDOWS, BURN_IN_WINDOWS, BATCH, STEP = 16, 4, 64, 0.25


def batch_msd(generator, stats: dict, seed: int, lags: tuple[int, ...], shift: float = 0.0, draws: list | None = None):
    """(lags, 3) MSD along x, y, z (A^2) of one batch's stretch, the hop logit shifted by ``shift``."""
    device = torch.device("cpu")
    noise = Noise(device, seeded_generator(device, seed))
    bias = generator.decoder.hop[-1].bias
    segments = stats["window_records"] // generator.segment_records
    std, mean = torch.tensor(stats["std_ang"]), torch.tensor(stats["mean_ang"])
    with torch.no_grad():
        state, _ = generator.rollout(generator.relax(BATCH, noise), segments * BURN_IN_WINDOWS, noise)
        bias[0] += shift
    try:
        with torch.set_grad_enabled(draws is not None):
            _, y = generator.rollout(state, segments * STRETCH_WINDOWS, noise, draws)
            return displacement_products(destandardise(y, mean, std).double(), lags)[:, :3]
    finally:
        with torch.no_grad():
            bias[0] -= shift


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("generator", type=Path, help="a trained generator.pt with model.site_hops")
    parser.add_argument("--checkpoint", type=int, default=-1, help="which saved checkpoint (-1: the last)")
    parser.add_argument("--batches", type=int, default=6)
    args = parser.parse_args()
    torch.set_num_threads(1)
    generators, stats = load_generators(args.generator, 10**9, torch.device("cpu"))
    iteration, generator = generators[args.checkpoint]
    if not generator.site_dim:
        raise SystemExit(f"{args.generator}: the generator has no model.site_hops")
    generator.train()
    window = stats["window_records"]
    lags = (window, 4 * window, STRETCH_WINDOWS * window)
    std = torch.tensor(stats["std_ang"], dtype=torch.float64)
    bias = generator.decoder.hop[-1].bias
    rows = {"straight-through": [], "with the correction": [], "finite difference": []}
    for seed in range(args.batches):
        draws: list = []
        msd = batch_msd(generator, stats, seed, lags, draws=draws)
        plain, corrected = np.zeros((len(lags), 3)), np.zeros((len(lags), 3))
        for i in range(len(lags)):
            for a in range(3):
                unit = torch.zeros(len(lags), 3, dtype=torch.float64)
                unit[i, a] = 1.0
                correction = hop_rate_surrogate(draws, generator.chains, generator.segment_records, unit, lags, std)
                g_plain, = torch.autograd.grad(msd[i, a], bias, retain_graph=True)
                g_correction, = torch.autograd.grad(correction, bias, retain_graph=True)
                plain[i, a] = g_plain[0].item() / msd[i, a].item()
                corrected[i, a] = plain[i, a] + g_correction[0].item() / msd[i, a].item()
        up = batch_msd(generator, stats, seed, lags, STEP).numpy()
        down = batch_msd(generator, stats, seed, lags, -STEP).numpy()
        rows["straight-through"].append(plain)
        rows["with the correction"].append(corrected)
        rows["finite difference"].append((up - down) / (2 * STEP) / msd.detach().numpy())
    dt_ps = float(stats["record_dt_ps"])
    print(f"{args.generator}, iteration {iteration}: d ln E[MSD] / d (hop logit), mean +- standard error over "
          f"{args.batches} batches of {BATCH} ions")
    header = "".join(f"{f'{a} @ {n * dt_ps:g} ps':>18}" for n in lags for a in "xyz")
    print(f"{'':22}{header}")
    for name, values in rows.items():
        values = np.array(values)
        mean, err = values.mean(axis=0), values.std(axis=0, ddof=1) / np.sqrt(len(values))
        cells = "".join(f"{m:>11.3f} +-{e:5.3f}" for m, e in zip(mean.ravel(), err.ravel()))
        print(f"{name:22}{cells}")


if __name__ == "__main__":
    main()
