"""MD-GAN networks: latent step G_z, segment decoder G_x, critic D, and the generator pairing G_z with G_x.

Shapes: chain state (batch, chains * state_dim), chains = 1, or ``features`` with one chain per axis;
state_dim = latent_dim, plus the chain's share of the features with ``segment_feedback``, again
with ``site_hops`` (the offset in the site) and again with ``hop_memory`` (the last hop); segment
(batch, L, features); window (batch, K * L, features), all in standardised increment units.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from mdgan.model.layers import mlp
from mdgan.model.settings import ModelSettings
from mdgan.model.site_hops import SiteHopDecoder, direction_memory, remember_hop
from mdgan.model.symmetry import axis_columns


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
    c an optional condition of ``condition_dim``.

    With ``net_from_latent`` the segment's mean increment comes from (z_k, c) alone, through a head of
    its own, and the noise-driven part has zero mean over the segment: eps_k moves the ion within the
    segment but not from one segment boundary to the next."""

    def __init__(
        self, latent_dim: int, segment_records: int, features: int, width: int, layers: int, slope: float,
        condition_dim: int = 0, net_from_latent: bool = False,
    ):
        super().__init__()
        self.segment_shape = (segment_records, features)
        n = segment_records * features
        self.net = mlp(latent_dim + condition_dim + n, width, layers, n, slope)
        self.net_head = mlp(latent_dim + condition_dim, width, 1, features, slope) if net_from_latent else None

    def forward(self, z: torch.Tensor, eps: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        given = [z] if condition is None else [z, condition]
        y = self.net(torch.cat([*given, eps.flatten(1)], dim=-1)).view(-1, *self.segment_shape)
        if self.net_head is None:
            return y
        return y - y.mean(dim=1, keepdim=True) + self.net_head(torch.cat(given, dim=-1))[:, None, :]


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
    dynamics; joint moves along a diagonal path cannot be represented. With ``shared_axes`` (e.g.
    'xy') the chains of those axes get the same condition, so the generator makes them alike: the
    crystal's equivalent axes by construction.

    With ``segment_feedback`` G_z also sees the displacement its chain's last segment decoded to (the
    segment's sum / sqrt(L), standardised units), carried in the chain state after the latent. Without
    it the chain never learns where the decoder's noise took the ion and cannot undo an offset within
    a site (docs/validation.md, "Why the hops fade beyond the window"); with it the chain can integrate
    its own displacements.

    With ``net_displacement_from_latent`` each segment's net displacement is a function of the
    latent alone (:class:`SegmentDecoder`): the ion's position at every segment boundary is then
    known to the chain, which can hold it in its site, while the decoder's noise only moves it
    within a segment.

    With ``site_hops`` G_x is a :class:`~mdgan.model.site_hops.SiteHopDecoder`: each segment is a
    mean-reverting vibration about the ion's site plus at most one hop, drawn with a probability
    from the latent. The chain state carries the offset in the site after the latent; :meth:`step`
    then takes one U[0, 1] hop draw per chain. With ``hop_memory`` (and ``site_hops``) the state also
    carries the chain's last hop, which G_z and the hop head see: without it neither knows whether its
    chain hopped, so successive hops are independent given the latent and no back-hop can be learned.
    With ``ion_hop_memory`` (and ``axis_chains``) the memory is the ion's: its last hop along any axis,
    (x, y, z) in every chain of the ion, which sees it from its own axis first (the others in x, y, z
    order, so that chains of shared axes see alike). A chain then knows whether the ion's last hop was
    along its own axis, the hop a back-hop reverses, or along another, after which its own axis has
    no preferred direction."""

    def __init__(self, settings: ModelSettings, segment_records: int, features: int = 3):
        super().__init__()
        s = settings
        self.latent_dim = s.latent_dim
        self.chains = features if s.axis_chains else 1
        if s.site_hops and (s.segment_feedback or s.net_displacement_from_latent):
            raise ValueError("model.site_hops decodes its own segments: it excludes segment_feedback and "
                             "net_displacement_from_latent")
        if s.shared_axes and not s.axis_chains:
            raise ValueError("model.shared_axes shares the conditions of per-axis chains: it requires axis_chains")
        conditions = torch.eye(self.chains)
        if s.shared_axes:
            columns = axis_columns(s.shared_axes, "model.shared_axes")
            conditions[columns] = conditions[columns[0]].clone()
        self.register_buffer("conditions", conditions, persistent=False)  # (chains, chains), the axes' one-hots
        self.feedback_dim = features // self.chains if s.segment_feedback else 0
        if s.hop_memory and not s.site_hops:
            raise ValueError("model.hop_memory remembers the hops of model.site_hops: it requires site_hops")
        if s.ion_hop_memory and not (s.hop_memory and s.axis_chains):
            raise ValueError("model.ion_hop_memory shares the hop memory of per-axis chains: it requires "
                             "hop_memory and axis_chains")
        self.site_dim = features // self.chains if s.site_hops else 0
        self.ion_memory = s.ion_hop_memory
        self.memory_dim = (features if s.ion_hop_memory else self.site_dim) if s.hop_memory else 0
        own_axis_first = [[a] + [b for b in range(features) if b != a] for a in range(features)]
        self.register_buffer("memory_order", torch.tensor(own_axis_first), persistent=False)  # (3, 3) axes, own first
        self.state_dim = s.latent_dim + self.feedback_dim + self.site_dim + self.memory_dim
        self.relaxation_steps = s.relaxation_steps
        self.renewal_probability = 1.0 / (s.renewal_windows * s.segments) if s.renewal_windows > 0 else 0.0
        self.segment_records = segment_records
        self.features = features
        condition_dim = features if s.axis_chains else 0
        self.latent_step = LatentStep(s.latent_dim, s.latent_width, s.latent_layers, s.leaky_slope,
                                      condition_dim + self.feedback_dim + self.memory_dim)
        decoder_args = (s.latent_dim, segment_records, features // self.chains, s.decoder_width,
                        s.decoder_layers, s.leaky_slope, condition_dim)
        if s.hop_return_gain and not (s.hop_memory and s.axis_chains):
            raise ValueError("model.hop_return_gain tilts the hops of per-axis chains by their memory: it requires "
                             "hop_memory and axis_chains")
        self.decoder = (SiteHopDecoder(*decoder_args, memory_inputs=self.memory_dim, return_gain=s.hop_return_gain)
                        if s.site_hops else SegmentDecoder(*decoder_args, s.net_displacement_from_latent))

    def _condition(self, batch: int, like: torch.Tensor) -> torch.Tensor | None:
        """The one-hot axis of each of ``batch`` ions' chains (shared axes alike), (batch * chains,
        chains); None for one chain."""
        if self.chains == 1:
            return None
        return self.conditions.to(like.dtype).repeat(batch, 1)

    def _per_chain(self, x: torch.Tensor, width: int | None = None) -> torch.Tensor:
        """(batch, chains * width) -> (batch * chains, width); width the latent_dim unless given."""
        return x.reshape(-1, width or self.latent_dim)

    def _step_condition(self, condition: torch.Tensor | None, seen: torch.Tensor) -> torch.Tensor | None:
        """G_z's condition: the one-hot axis (if any), then what it sees of the carry (``seen``: the
        last segment's displacement if fed back, the last hop with ``hop_memory``)."""
        if seen.shape[-1] == 0:
            return condition
        return seen if condition is None else torch.cat([condition, seen], dim=-1)

    def _seen(self, carry: torch.Tensor) -> torch.Tensor:
        """The part of a chain's carry (state after the latent) that G_z sees: feedback, tanh of the
        last hop (bounded, as the hop head sees it; the ion's from the chain's own axis)."""
        last_hop = self._chain_view(carry[:, self.feedback_dim + self.site_dim :])
        return torch.cat([carry[:, : self.feedback_dim], torch.tanh(last_hop)], dim=-1)

    def _chain_view(self, last_hop: torch.Tensor) -> torch.Tensor:
        """The last hop as each chain sees it, (batch * chains, memory_dim): with ``ion_hop_memory``
        the ion's (x, y, z) reordered to the chain's own axis first, else as carried."""
        if not self.ion_memory:
            return last_hop
        order = self.memory_order.repeat(last_hop.shape[0] // self.chains, 1)
        return torch.gather(last_hop, 1, order)

    def _remember(self, last_hop: torch.Tensor, hop: torch.Tensor, hopped: torch.Tensor) -> torch.Tensor:
        """The carried last hop after a segment, (batch * chains, memory_dim): each chain's own, or with
        ``ion_hop_memory`` the ion's, the hops of this segment along every axis if any chain hopped,
        in every chain of the ion."""
        if not self.ion_memory:
            return remember_hop(last_hop, hop, hopped)
        batch = last_hop.shape[0] // self.chains
        hopped_ion = 1 - torch.prod(1 - hopped.view(batch, self.chains), dim=1)
        ion = remember_hop(last_hop.view(batch, self.chains, -1)[:, 0], hop.view(batch, self.chains), hopped_ion)
        return ion.repeat_interleave(self.chains, dim=0)

    def step(self, state: torch.Tensor, r: torch.Tensor, eps: torch.Tensor,
             hop_draw: torch.Tensor | None = None, hop_draws: list | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """One chain step: the next state and the segment it decodes to, (batch, L, features);
        ``hop_draw`` (batch, chains) ~ U[0, 1] with ``site_hops``; with ``hop_draws`` the segment's
        :class:`~mdgan.model.site_hops.HopDraws` (rows ion-major: ion * chains + chain) are appended."""
        batch = state.shape[0]
        condition = self._condition(batch, state)
        chains = self._per_chain(state, self.state_dim)
        z, carry = chains[:, : self.latent_dim], chains[:, self.latent_dim :]
        z = self.latent_step(z, self._per_chain(r), self._step_condition(condition, self._seen(carry)))
        eps_chains = eps if self.chains == 1 else eps.transpose(1, 2).reshape(batch * self.chains, self.segment_records, 1)
        if self.site_dim:
            at = self.feedback_dim + self.site_dim
            offset, last_hop = carry[:, self.feedback_dim : at], carry[:, at:]
            seen = self._chain_view(last_hop) if self.memory_dim else None
            y_chains, offset, hop, hopped = self.decoder(z, eps_chains, condition, offset, hop_draw.reshape(-1), seen,
                                                        hop_draws)
            if self.memory_dim:
                last_hop = self._remember(last_hop, hop, hopped)
            z = torch.cat([z, offset, last_hop] if self.memory_dim else [z, offset], dim=-1)
        else:
            y_chains = self.decoder(z, eps_chains, condition)
        y = y_chains if self.chains == 1 else y_chains.reshape(batch, self.chains, self.segment_records).transpose(1, 2)
        if self.feedback_dim:
            z = torch.cat([z, y_chains.sum(dim=1) / math.sqrt(self.segment_records)], dim=-1)
        return z.reshape(batch, -1), y

    def direction_memory(self, batch: int, noise, burn_in_segments: int) -> torch.Tensor:
        """(chains,) :func:`site_hops.direction_memory` of each axis's chains (one value with one chain)
        over ``batch`` ions in the states ``burn_in_segments`` chain steps after :meth:`relax`; needs
        ``model.hop_memory``."""
        if not self.memory_dim:
            raise ValueError("direction_memory needs model.hop_memory")
        state, _ = self.rollout(self.relax(batch, noise), burn_in_segments, noise)
        chains = self._per_chain(state, self.state_dim)
        condition = self._condition(batch, state)
        return torch.stack([
            direction_memory(self.decoder, chains[axis :: self.chains, : self.latent_dim],
                             None if condition is None else condition[axis :: self.chains])
            for axis in range(self.chains)])

    def relax(self, batch: int, noise) -> torch.Tensor:
        """Initial states: U[0, 1] pushed through G_z ``relaxation_steps`` times (a last segment of no
        displacement fed back, the ion at its site's centre), (batch, chains * state_dim)."""
        draws = [noise.uniform(batch, self.chains * self.latent_dim) for _ in range(self.relaxation_steps + 1)]
        condition = self._condition(batch, draws[0])
        z = self._relax_from([self._per_chain(r) for r in draws], condition)
        return self._with_carry(z, z.new_zeros(z.shape[0], self.state_dim - self.latent_dim)).reshape(batch, -1)

    def _with_carry(self, z: torch.Tensor, carry: torch.Tensor) -> torch.Tensor:
        """The latent and what the state carries after it (fed-back displacement, offset in the site)."""
        return z if carry.shape[-1] == 0 else torch.cat([z, carry], dim=-1)

    def _relax_from(self, draws: list[torch.Tensor], condition: torch.Tensor | None) -> torch.Tensor:
        """The first U[0, 1] draw pushed through G_z with each of the others as its noise; draws
        (chains, latent_dim) each, one row per chain, with the chains' conditions; the latents."""
        z = draws[0]
        condition = self._step_condition(condition, z.new_zeros(z.shape[0], self.feedback_dim + self.memory_dim))
        for r in draws[1:]:
            z = self.latent_step(z, r, condition)
        return z

    def renew(self, state: torch.Tensor, noise) -> torch.Tensor:
        """Each chain's latent replaced, with probability ``renewal_probability``, by a freshly relaxed
        one (:meth:`relax` from its own draws): a renewed chain forgets its past, so no state of a
        chain (a mobility, a site) outlives a renewal, and the memory of the chain is bounded by a
        geometric time of mean ``renewal_windows`` windows. The last segment's displacement (with
        ``segment_feedback``), the offset in the site (with ``site_hops``) and the last hop (with
        ``hop_memory``) are kept: they are the
        trajectory's, not the chain's memory. The draws are made for every chain, so that a chain's
        noise does not depend on which others renew."""
        batch = state.shape[0]
        renewed = noise.uniform(batch, self.chains) < self.renewal_probability
        draws = [noise.uniform(batch, self.chains * self.latent_dim) for _ in range(self.relaxation_steps + 1)]
        rows = renewed.flatten().nonzero().squeeze(1)
        if rows.numel() == 0:
            return state
        condition = self._condition(batch, state)
        fresh = self._relax_from([self._per_chain(r)[rows] for r in draws], None if condition is None else condition[rows])
        chains = self._per_chain(state, self.state_dim)
        fresh = self._with_carry(fresh, chains[rows, self.latent_dim :])
        return chains.index_put((rows,), fresh).reshape(batch, -1)

    def rollout(self, state: torch.Tensor, n_segments: int, noise,
                hop_draws: list | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``n_segments`` chain steps from ``state`` (each after a :meth:`renew` when renewal is on): the
        last state and the series (batch, n * L, features); with ``hop_draws`` (``site_hops``) each
        segment's hop decisions are appended to it, in order (:meth:`step`)."""
        batch = state.shape[0]
        segments = []
        for _ in range(n_segments):
            if self.renewal_probability > 0:
                state = self.renew(state, noise)
            r = noise.uniform(batch, self.chains * self.latent_dim)
            eps = noise.normal(batch, self.segment_records, self.features)
            hop_draw = noise.uniform(batch, self.chains) if self.site_dim else None
            state, y = self.step(state, r, eps, hop_draw, hop_draws)
            segments.append(y)
        return state, torch.cat(segments, dim=1)


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
