"""WGAN-GP losses (Gulrajani et al. 2017) as MD-GAN uses them."""

from __future__ import annotations

import torch
from torch import nn


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """E[(||grad D(x_hat)|| - 1)^2] at x_hat = alpha * real + (1 - alpha) * fake.

    alpha: (batch,) in [0, 1], one per sample; the norm is over all of a sample's entries.
    Built with ``create_graph`` so the critic's step differentiates through it.
    """
    a = alpha.view(-1, *([1] * (real.dim() - 1)))
    x_hat = (a * real + (1 - a) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    norm = grad.flatten(1).norm(dim=1)
    return ((norm - 1) ** 2).mean()


def critic_loss(
    critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, alpha: torch.Tensor, gp_weight: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """L_D = E[D(fake)] - E[D(real)] + gp_weight * penalty; returns (L_D, weighted penalty)."""
    penalty = gp_weight * gradient_penalty(critic, real, fake, alpha)
    scores = critic(torch.cat([fake, real]))  # one pass over both halves
    return scores[: fake.shape[0]].mean() - scores[fake.shape[0] :].mean() + penalty, penalty


def generator_loss(critic: nn.Module, fake: torch.Tensor) -> torch.Tensor:
    """L_G = -E[D(fake)] (no penalty term)."""
    return -critic(fake).mean()
