"""Statistic matching beyond the window: MSD and alpha2 of long generated stretches against the
training runs' own, at lags up to ``match_windows`` windows.

The critic sees one window at a time, so nothing in the adversarial loss constrains correlations
between segments further apart than a window: the MSD beyond it drifts (over-diffusion). The training
runs are usually several windows long; their MSD and non-Gaussian parameter at longer lags are known
and cheap to compare with those of a stretch the latent chain rolls out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from mdgan.errors import InputError


@dataclass(frozen=True)
class MatchTarget:
    """The training runs' statistics at ``lags`` (records, ascending): MSD (A^2) and alpha2(t)."""

    lags: tuple[int, ...]
    msd_ang2: torch.Tensor
    alpha2: torch.Tensor


def match_lags(stretch_records: int, n_lags: int) -> tuple[int, ...]:
    """About ``n_lags`` log-spaced integer lags from 1 to ``stretch_records``, distinct, ascending."""
    return tuple(np.unique(np.geomspace(1, stretch_records, n_lags).round().astype(int)).tolist())


def displacement_moments(increments_ang: torch.Tensor, lags: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """<r^2> (A^2) and <r^4> (A^4) at each lag over every origin and row of (rows, records, 3) increments.

    Differentiable; lags must not exceed ``records``.
    """
    pos = torch.nn.functional.pad(increments_ang.cumsum(dim=1), (0, 0, 1, 0))
    r2 = [((pos[:, n:] - pos[:, :-n]) ** 2).sum(dim=-1) for n in lags]
    return torch.stack([x.mean() for x in r2]), torch.stack([(x**2).mean() for x in r2])


def alpha2_from_moments(r2: torch.Tensor, r4: torch.Tensor) -> torch.Tensor:
    """Non-Gaussian parameter in 3D: 3 <r^4> / (5 <r^2>^2) - 1."""
    return 3.0 * r4 / (5.0 * r2**2) - 1.0


def match_target(
    series: np.ndarray, lengths: np.ndarray, mean_ang: np.ndarray, std_ang: np.ndarray, lags: tuple[int, ...]
) -> MatchTarget:
    """MSD and alpha2 of the training tracks at ``lags``, every origin of every track long enough.

    series: (records, 3) standardised increments of all tracks one after the other; lengths: (tracks,).
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.size == 0 or lengths.max() < lags[-1]:
        longest = int(lengths.max()) if lengths.size else 0
        raise InputError(
            f"config keys training.match_windows: statistic matching needs a training track of {lags[-1]} "
            f"records; the longest has {longest}: lower match_windows or set match_weight and "
            "match_alpha2_weight to 0"
        )
    ends = np.cumsum(lengths)
    sums = np.zeros((2, len(lags)))
    counts = np.zeros(len(lags))
    for start, end in zip(ends - lengths, ends):
        inc = torch.from_numpy(series[start:end].astype(np.float64) * std_ang + mean_ang)
        usable = [i for i, n in enumerate(lags) if n <= inc.shape[0]]
        if not usable:
            continue
        r2, r4 = displacement_moments(inc[None], tuple(lags[i] for i in usable))
        n_origins = np.array([inc.shape[0] - lags[i] + 1 for i in usable])
        sums[0, usable] += r2.numpy() * n_origins
        sums[1, usable] += r4.numpy() * n_origins
        counts[usable] += n_origins
    r2, r4 = torch.from_numpy(sums[0] / counts), torch.from_numpy(sums[1] / counts)
    return MatchTarget(lags=tuple(lags), msd_ang2=r2, alpha2=alpha2_from_moments(r2, r4))


def matching_loss(
    stretch_ang: torch.Tensor, target: MatchTarget, msd_weight: float, alpha2_weight: float
) -> torch.Tensor:
    """msd_weight * mean over lags of ln(MSD_gen / MSD_target)^2 + alpha2_weight * mean (alpha2 difference)^2.

    stretch_ang: (batch, records, 3) generated increments in A per record, records >= the longest lag.
    """
    r2, r4 = displacement_moments(stretch_ang.double(), target.lags)
    msd_target = target.msd_ang2.to(r2.device)
    loss = msd_weight * torch.log(r2 / msd_target).pow(2).mean()
    if alpha2_weight > 0:
        alpha2_target = target.alpha2.to(r2.device)
        loss = loss + alpha2_weight * (alpha2_from_moments(r2, r4) - alpha2_target).pow(2).mean()
    return loss.float()
