"""Physical check during training: MSD of generated windows against the training data's, per lag."""

from __future__ import annotations

import numpy as np
import torch

from mdgan.model.matching import displacement_moments
from mdgan.model.networks import Generator
from mdgan.model.noise import Noise, seeded_generator


def check_lags(lags: tuple[int, ...], window_records: int) -> tuple[int, ...]:
    """Lags (records) clipped to the window, duplicates dropped, ascending."""
    return tuple(sorted({min(int(n), window_records) for n in lags}))


def msd_by_lag(increments_ang: torch.Tensor, lags: tuple[int, ...]) -> torch.Tensor:
    """MSD (A^2) at each lag over every ion and time origin of (batch, records, 3) increments.

    Returns per-lag sums over origins and ions and the counts, (2, lags) float64, so batches add up.
    """
    r2, _ = displacement_moments(increments_ang.double(), lags)
    rows, records = increments_ang.shape[:2]
    counts = torch.tensor([rows * (records - n + 1) for n in lags], dtype=torch.float64, device=r2.device)
    return torch.stack([r2 * counts, counts])


def destandardise(windows: torch.Tensor, mean_ang: torch.Tensor, std_ang: torch.Tensor) -> torch.Tensor:
    """Standardised increments back to A per record (per-component mean and std, shape (3,))."""
    return torch.addcmul(mean_ang, windows, std_ang)


def data_msd(
    windows: torch.Tensor, mean_ang: torch.Tensor, std_ang: torch.Tensor, lags: tuple[int, ...], chunk: int = 4096
) -> np.ndarray:
    """MSD (A^2) of the training windows (standardised, (windows, records, 3)) at each lag."""
    total = sum(
        msd_by_lag(destandardise(windows[i : i + chunk], mean_ang, std_ang), lags)
        for i in range(0, windows.shape[0], chunk)
    )
    return (total[0] / total[1]).cpu().numpy()


@torch.no_grad()
def generator_msd(
    generator: Generator,
    mean_ang: torch.Tensor,
    std_ang: torch.Tensor,
    lags: tuple[int, ...],
    batch: int,
    n_segments: int,
    seed: tuple[int, ...],
) -> np.ndarray:
    """MSD (A^2) at each lag of ``batch`` freshly relaxed chains of ``n_segments`` segments.

    Draws from its own generator seeded by ``seed`` so the training's random stream is untouched.
    """
    device = mean_ang.device
    noise = Noise(device, seeded_generator(device, *seed))
    z = generator.relax(batch, noise)
    _, series = generator.rollout(z, n_segments, noise)
    total = msd_by_lag(destandardise(series, mean_ang, std_ang), lags)
    return (total[0] / total[1]).cpu().numpy()
