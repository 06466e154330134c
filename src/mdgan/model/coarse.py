"""Multi-resolution (coarse) critics: WGAN-GP critics on block sums of increments over long stretches.

The window critic sees ``window_records`` records at full resolution; beyond that, statistic matching
constrains only the MSD and alpha2 of the continuation, so the *shape* of the motion past a window
(a hop's non-Gaussian signature) is free. A coarse critic sees a stretch of ``coarse_critic_windows``
consecutive windows summed over blocks of ``f`` records: a (batch, stretch // f, 3) series of coarse
steps, in which a hop is one step whose distribution the critic judges (its pointwise branch sees
every coarse step, its global branch the whole coarse stretch).

Real stretches are drawn from the training runs' whole series (``windows.npz: series``, the source of
statistic matching's long real statistics); generated ones are the generator's own continuation, the
stretch the generator step rolls out (the critic steps roll out the same length). Real and generated
block sums are standardised by the same affine map: per factor and component, the mean and std of the
real block sums.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from mdgan.errors import InputError
from mdgan.model.losses import critic_loss, generator_loss
from mdgan.model.networks import Critic
from mdgan.model.settings import ModelSettings, TrainingSettings

KEY = "config key training."


def coarse_stretch_records(training: TrainingSettings, window_records: int) -> int:
    """Records of one coarse sample; checks the coarse-critic settings (errors name the config key).

    Checked whether the lever is on or off, so that a bad value is never silently ignored.
    """
    t = training
    if not t.coarse_critic_weight >= 0:
        raise InputError(f"{KEY}coarse_critic_weight: {t.coarse_critic_weight}; expected a number >= 0")
    if not (isinstance(t.coarse_critic_windows, int) and t.coarse_critic_windows >= 1):
        raise InputError(f"{KEY}coarse_critic_windows: {t.coarse_critic_windows!r}; expected an integer >= 1")
    records = t.coarse_critic_windows * window_records
    factors = list(t.coarse_critic_factors)
    if len(set(factors)) != len(factors):
        raise InputError(f"{KEY}coarse_critic_factors: {factors} repeats a factor")
    for f in factors:
        if not (isinstance(f, (int, np.integer)) and f >= 1):
            raise InputError(f"{KEY}coarse_critic_factors: {f!r}; expected integers >= 1")
        if records % f:
            raise InputError(
                f"{KEY}coarse_critic_factors: factor {f} does not divide the coarse stretch of "
                f"{t.coarse_critic_windows} windows x {window_records} records = {records} records "
                "(training.coarse_critic_windows x window_records)"
            )
    return records


def stretch_starts(lengths: np.ndarray, stretch_records: int) -> np.ndarray:
    """First record, in the concatenated series, of every stretch of ``stretch_records`` records that
    lies within one track (every origin of every track long enough), (stretches,) int64."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.size == 0 or lengths.max() < stretch_records:
        longest = int(lengths.max()) if lengths.size else 0
        raise InputError(
            f"{KEY}coarse_critic_windows: the coarse critics need a training track of {stretch_records} "
            f"records; the longest has {longest}: lower coarse_critic_windows or set coarse_critic_factors to []"
        )
    ends = np.cumsum(lengths)
    return np.concatenate(
        [np.arange(end - n, end - stretch_records + 1) for end, n in zip(ends, lengths) if n >= stretch_records]
    )


def block_sums(series: torch.Tensor, factor: int) -> torch.Tensor:
    """(batch, records, F) -> (batch, records // factor, F): sums over consecutive blocks of ``factor``."""
    batch, records, features = series.shape
    return series.reshape(batch, records // factor, factor, features).sum(dim=2)


def block_sum_moments(
    series: np.ndarray, lengths: np.ndarray, factor: int, min_records: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std, per component, of the non-overlapping ``factor``-record block sums of every track
    of at least ``min_records`` records (the tracks coarse samples are drawn from), float64 (F,)."""
    ends = np.cumsum(np.asarray(lengths, dtype=np.int64))
    sums = []
    for end, n in zip(ends, lengths):
        if n >= min_records:
            track = series[end - n : end - n + (n // factor) * factor].astype(np.float64)
            sums.append(track.reshape(-1, factor, track.shape[-1]).sum(axis=1))
    pooled = np.concatenate(sums)
    std = pooled.std(axis=0)
    if np.any(std <= 0):
        raise InputError(f"{KEY}coarse_critic_factors: block sums over {factor} records do not vary")
    return pooled.mean(axis=0), std


class CoarseCritics:
    """One critic per factor (the window critic's architecture, sized from the model settings, over
    stretch // f coarse records), their common optimiser (the critics' parameters are disjoint, so one
    Adam or RMSprop over all equals one per critic), and the real stretches they are shown.

    series: (records, F) standardised increments of all tracks one after the other; lengths: (tracks,).
    """

    def __init__(
        self,
        model: ModelSettings,
        training: TrainingSettings,
        window_records: int,
        series: np.ndarray,
        lengths: np.ndarray,
        device: torch.device,
        make_optimizer,
    ):
        t = training
        self.factors = tuple(int(f) for f in t.coarse_critic_factors)
        self.records = coarse_stretch_records(t, window_records)
        self.weight = t.coarse_critic_weight
        self.gp_weight = t.gp_weight
        starts = stretch_starts(lengths, self.records)
        features = series.shape[-1]
        moments = [block_sum_moments(series, lengths, f, self.records) for f in self.factors]
        self.mean = [torch.as_tensor(m, dtype=torch.float32, device=device) for m, _ in moments]
        self.std = [torch.as_tensor(s, dtype=torch.float32, device=device) for _, s in moments]
        self.series = torch.from_numpy(np.ascontiguousarray(series, dtype=np.float32)).to(device)
        self.starts = torch.from_numpy(starts).to(device)
        self.offsets = torch.arange(self.records, device=device)
        self.critics = nn.ModuleDict(
            {
                f"x{f}": Critic(
                    self.records // f,
                    features,
                    model.critic_width,
                    model.critic_layers,
                    model.critic_pointwise_width,
                    model.leaky_slope,
                )
                for f in self.factors
            }
        ).to(device)
        self.optimizer = make_optimizer(self.critics.parameters(), t.optimizer, t.lr_critic, t.betas)

    def view(self, stretch: torch.Tensor, i: int) -> torch.Tensor:
        """The first ``records`` records of a (batch, >= records, F) stretch, block-summed over factor i
        and standardised: (batch, records // f, F)."""
        sums = block_sums(stretch[:, : self.records], self.factors[i])
        return (sums - self.mean[i]) / self.std[i]

    def real(self, batch: int) -> torch.Tensor:
        """``batch`` real stretches (batch, records, F), each at a uniformly drawn origin of a track."""
        picked = self.starts[torch.randint(self.starts.shape[0], (batch,), device=self.starts.device)]
        return self.series[picked[:, None] + self.offsets]

    def critic_step(self, fake: torch.Tensor) -> torch.Tensor:
        """One step of every coarse critic on fresh real stretches and the generated ``fake`` (detached,
        (batch, >= records, F)); returns (factors, 2): each critic's loss and weighted penalty."""
        batch = fake.shape[0]
        real = self.real(batch)
        losses, out = [], []
        for i, critic in enumerate(self.critics.values()):
            alpha = torch.rand(batch, device=fake.device)
            loss, penalty = critic_loss(critic, self.view(real, i), self.view(fake, i), alpha, self.gp_weight)
            losses.append(loss)
            out.append(torch.stack([loss.detach(), penalty.detach()]))
        self.optimizer.zero_grad(set_to_none=True)
        torch.stack(losses).sum().backward()
        self.optimizer.step()
        return torch.stack(out)

    def generator_terms(self, stretch: torch.Tensor) -> torch.Tensor:
        """(factors,) -E[D_f(coarse view of the generated stretch)], differentiable in the generator."""
        self.critics.requires_grad_(False)
        terms = torch.stack([generator_loss(c, self.view(stretch, i)) for i, c in enumerate(self.critics.values())])
        self.critics.requires_grad_(True)
        return terms


def coarse_log_columns(factors: tuple[int, ...]) -> list[str]:
    """Training-log columns of the coarse critics, three per factor (the order of their loss sums)."""
    return [f"coarse{f}_{name}" for f in factors for name in ("critic_loss", "generator_loss", "gradient_penalty")]
