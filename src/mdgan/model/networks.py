"""MD-GAN networks: latent step G_z, segment decoder G_x, critic D, and the generator pairing G_z with G_x.

Shapes: latent z (batch, chains * latent_dim), chains = 1, or ``features`` with one chain per axis;
segment (batch, L, features); window (batch, K * L, features), all in standardised increment units.
"""

from __future__ import annotations

import torch
from torch import nn

from mdgan.model.settings import ModelSettings


def mlp(n_in: int, width: int, layers: int, n_out: int, slope: float) -> nn.Sequential:
    """``layers`` hidden Linear + LeakyReLU(slope) layers of ``width``, then a linear output.

    He (Kaiming) initialisation for the LeakyReLU layers and a variance-preserving output layer, zero
    biases: unit-variance inputs give outputs of about unit variance from the start, so a fresh
    decoder already makes increments of the data's (standardised) scale.
    """
    modules: list[nn.Module] = []
    for i in range(layers):
        layer = nn.Linear(n_in if i == 0 else width, width)
        nn.init.kaiming_normal_(layer.weight, a=slope, nonlinearity="leaky_relu")
        modules += [layer, nn.LeakyReLU(slope)]
    out = nn.Linear(width if layers else n_in, n_out)
    nn.init.kaiming_normal_(out.weight, nonlinearity="linear")
    modules.append(out)
    for m in modules:
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.bias)
    return nn.Sequential(*modules)


class LatentStep(nn.Module):
    """G_z: z_{k+1} = standardise(MLP([z_k, r_k, c])), r_k ~ U[0, 1]^latent_dim, c an optional
    condition of ``condition_dim`` (the one-hot axis of a per-axis chain).

    The output is standardised per sample over the latent dimensions (LayerNorm without affine).
    """

    def __init__(self, latent_dim: int, width: int, layers: int, slope: float, condition_dim: int = 0):
        super().__init__()
        self.net = mlp(2 * latent_dim + condition_dim, width, layers, latent_dim, slope)
        self.norm = nn.LayerNorm(latent_dim, elementwise_affine=False)

    def forward(self, z: torch.Tensor, r: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        parts = [z, r] if condition is None else [z, r, condition]
        return self.norm(self.net(torch.cat(parts, dim=-1)))


class SegmentDecoder(nn.Module):
    """G_x: (z_k, eps_k, c) -> segment Y_k of (L, features); eps_k ~ N(0, I) of shape (L, features);
    c an optional condition of ``condition_dim``."""

    def __init__(
        self, latent_dim: int, segment_records: int, features: int, width: int, layers: int, slope: float,
        condition_dim: int = 0,
    ):
        super().__init__()
        self.segment_shape = (segment_records, features)
        n = segment_records * features
        self.net = mlp(latent_dim + condition_dim + n, width, layers, n, slope)

    def forward(self, z: torch.Tensor, eps: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        parts = [z, eps.flatten(1)] if condition is None else [z, condition, eps.flatten(1)]
        y = self.net(torch.cat(parts, dim=-1))
        return y.view(-1, *self.segment_shape)


class Critic(nn.Module):
    """D: a score per window from a global dense branch over the whole window and a pointwise branch
    (the same MLP on every record, averaged over records), joined by an MLP head. No normalisation
    layers, as the gradient penalty requires."""

    def __init__(self, window_records: int, features: int, width: int, layers: int, pointwise_width: int, slope: float):
        super().__init__()
        self.global_branch = mlp(window_records * features, width, layers - 1, width, slope)
        self.pointwise_branch = mlp(features, pointwise_width, 1, pointwise_width, slope)
        self.head = nn.Sequential(nn.LeakyReLU(slope), mlp(width + pointwise_width, width, 1, 1, slope))

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        g = self.global_branch(window.flatten(1))
        p = self.pointwise_branch(window).mean(dim=1)
        return self.head(torch.cat([g, p], dim=-1)).squeeze(-1)


class Generator(nn.Module):
    """G_z and G_x together; draws nothing itself (noise comes in, so callers own the randomness).

    With ``axis_chains`` every ion runs one chain per Cartesian axis: the same G_z and G_x, told the
    axis by a one-hot condition, decode each chain into that axis's increments alone. The axes then
    move independently by construction (no shared hop, no diagonal), while each axis keeps its own
    dynamics; joint moves along a diagonal path cannot be represented."""

    def __init__(self, settings: ModelSettings, segment_records: int, features: int = 3):
        super().__init__()
        s = settings
        self.latent_dim = s.latent_dim
        self.chains = features if s.axis_chains else 1
        self.relaxation_steps = s.relaxation_steps
        self.renewal_probability = 1.0 / (s.renewal_windows * s.segments) if s.renewal_windows > 0 else 0.0
        self.segment_records = segment_records
        self.features = features
        condition_dim = features if s.axis_chains else 0
        self.latent_step = LatentStep(s.latent_dim, s.latent_width, s.latent_layers, s.leaky_slope, condition_dim)
        self.decoder = SegmentDecoder(
            s.latent_dim, segment_records, features // self.chains, s.decoder_width, s.decoder_layers,
            s.leaky_slope, condition_dim,
        )

    def _condition(self, batch: int, like: torch.Tensor) -> torch.Tensor | None:
        """The one-hot axis of each of ``batch`` ions' chains, (batch * chains, chains); None for one chain."""
        if self.chains == 1:
            return None
        return torch.eye(self.chains, dtype=like.dtype, device=like.device).repeat(batch, 1)

    def _per_chain(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, chains * latent_dim) -> (batch * chains, latent_dim)."""
        return x.reshape(-1, self.latent_dim)

    def step(self, z: torch.Tensor, r: torch.Tensor, eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One chain step: the next latent and the segment it decodes to, (batch, L, features)."""
        batch = z.shape[0]
        condition = self._condition(batch, z)
        z = self.latent_step(self._per_chain(z), self._per_chain(r), condition)
        if self.chains == 1:
            return z, self.decoder(z, eps)
        eps_chains = eps.transpose(1, 2).reshape(batch * self.chains, self.segment_records, 1)
        y = self.decoder(z, eps_chains, condition).reshape(batch, self.chains, self.segment_records)
        return z.reshape(batch, -1), y.transpose(1, 2)

    def relax(self, batch: int, noise) -> torch.Tensor:
        """Initial latents: U[0, 1] pushed through G_z ``relaxation_steps`` times, (batch, chains * latent_dim)."""
        draws = [noise.uniform(batch, self.chains * self.latent_dim) for _ in range(self.relaxation_steps + 1)]
        condition = self._condition(batch, draws[0])
        return self._relax_from([self._per_chain(r) for r in draws], condition).reshape(batch, -1)

    def _relax_from(self, draws: list[torch.Tensor], condition: torch.Tensor | None) -> torch.Tensor:
        """The first U[0, 1] draw pushed through G_z with each of the others as its noise; draws
        (chains, latent_dim) each, one row per chain, with the chains' conditions."""
        z = draws[0]
        for r in draws[1:]:
            z = self.latent_step(z, r, condition)
        return z

    def renew(self, z: torch.Tensor, noise) -> torch.Tensor:
        """Each chain's latent replaced, with probability ``renewal_probability``, by a freshly relaxed
        one (:meth:`relax` from its own draws): a renewed chain forgets its past, so no state of a
        chain (a mobility, a site) outlives a renewal, and the memory of the chain is bounded by a
        geometric time of mean ``renewal_windows`` windows. The draws are made for every chain, so
        that a chain's noise does not depend on which others renew."""
        batch = z.shape[0]
        renewed = noise.uniform(batch, self.chains) < self.renewal_probability
        draws = [noise.uniform(batch, self.chains * self.latent_dim) for _ in range(self.relaxation_steps + 1)]
        rows = renewed.flatten().nonzero().squeeze(1)
        if rows.numel() == 0:
            return z
        condition = self._condition(batch, z)
        fresh = self._relax_from([self._per_chain(r)[rows] for r in draws], None if condition is None else condition[rows])
        return self._per_chain(z).index_put((rows,), fresh).reshape(batch, -1)

    def rollout(self, z: torch.Tensor, n_segments: int, noise) -> tuple[torch.Tensor, torch.Tensor]:
        """``n_segments`` chain steps from ``z`` (each after a :meth:`renew` when renewal is on): the
        last latent and the series (batch, n * L, features)."""
        batch = z.shape[0]
        segments = []
        for _ in range(n_segments):
            if self.renewal_probability > 0:
                z = self.renew(z, noise)
            r = noise.uniform(batch, self.chains * self.latent_dim)
            eps = noise.normal(batch, self.segment_records, self.features)
            z, y = self.step(z, r, eps)
            segments.append(y)
        return z, torch.cat(segments, dim=1)


def segment_records(window_records: int, segments: int) -> int:
    """L = window_records / K; the window must split into K whole segments."""
    if segments < 1 or window_records % segments:
        raise ValueError(f"window_records {window_records} does not split into {segments} segments")
    return window_records // segments


def build_networks(settings: ModelSettings, window_records: int, features: int = 3) -> tuple[Generator, Critic]:
    """Fresh generator and critic for windows of ``window_records`` records."""
    L = segment_records(window_records, settings.segments)
    generator = Generator(settings, L, features)
    critic = Critic(
        window_records,
        features,
        settings.critic_width,
        settings.critic_layers,
        settings.critic_pointwise_width,
        settings.leaky_slope,
    )
    return generator, critic
