"""A moving average of the generator's weights (``training.generator_ema``), the network checkpointed.

A GAN's generator wanders from iteration to iteration around what the critic allows; its long-lag
statistics (the MSD beyond the window, hence D) move with it. The exponential moving average of its
weights over the last ~1 / (1 - decay) iterations averages that wandering out (Yazici et al. 2019,
"The unusual effectiveness of averaging in GAN training"). The live generator trains as before; the
average is what the checkpoints, the training log's MSD check and generation see.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


def ema_decay(decay: float, updates: int) -> float:
    """The decay of the ``updates``-th update (1, 2, ...): min(decay, (1 + n) / (10 + n)), so that early
    averages span about the last tenth of the iterations, not the initial weights (as TensorFlow's
    ExponentialMovingAverage with ``num_updates``)."""
    return min(decay, (1 + updates) / (10 + updates))


def average_copy(generator: nn.Module) -> nn.Module:
    """A frozen copy of ``generator`` to hold the average (on the same device)."""
    return copy.deepcopy(generator).requires_grad_(False)


@torch.no_grad()
def update_average(average: nn.Module, live: nn.Module, decay: float) -> None:
    """average <- decay * average + (1 - decay) * live, for every parameter; buffers are copied."""
    for a, w in zip(average.parameters(), live.parameters(), strict=True):
        a.lerp_(w, 1.0 - decay)
    for a, b in zip(average.buffers(), live.buffers(), strict=True):
        a.copy_(b)
