"""G_x of ``model.site_hops``: a chain's segment as a vibration in its site plus at most one hop.

Shapes: latent z (chains, latent_dim); noise eps (chains, L, f) and hop draw (chains,) ~ U[0, 1];
the offset in the site u (chains, f), carried from segment to segment in the chain state; with hop
memory, the last hop m the hop head sees (chains, m_dim): the chain's own (m_dim = f) or its ion's
along every axis (m_dim = 3), carried in the chain state and updated by :func:`remember_hop`;
increments (chains, L, f); f the features one chain decodes (3, or 1 with one chain per axis).
Standardised increment units throughout; m in units of the hop length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from mdgan.model.layers import mlp

# Adam moves a parameter by about its learning rate per step; these parameters move this many times
# faster, so that a reversion time or a hop length can change by a factor of e within a few hundred steps.
FAST = 10.0


@dataclass(frozen=True)
class HopDraws:
    """One segment's hop decision per chain, as :mod:`mdgan.model.hop_gradient` needs it: the hop
    probability p (rows,; with its gradient), whether the chain hopped (rows,; 0 / 1, detached), the
    direction preference q (rows,; with its gradient) and the drawn sign (rows,; +-1, detached), the
    squared jump the hop has or would have had (rows, f; standardised units^2, detached) and the
    record within the segment where its ramp is centred (rows,; detached)."""

    probability: torch.Tensor
    occurred: torch.Tensor
    direction: torch.Tensor
    sign: torch.Tensor
    jump_sq: torch.Tensor
    centre_records: torch.Tensor


class SiteHopDecoder(nn.Module):
    """Increments y_t = (u_t - u_{t-1}) + b J (ramp_t - ramp_{t-1}), t = 1..L.

    - Vibration: u_t = a u_{t-1} + w_t with w = MLP(z, c, eps) and a = exp(-1 / tau), tau (records)
      learned. u reverts to the site's centre whatever the decoder makes, and the decoder does not
      see u, so it cannot undo the reversion: between hops the ion's displacement stays bounded.
    - Hop: b = m s, m = 1 with probability p = sigmoid(head(z, c)) (a hop), s = +1 with probability
      (1 + q) / 2, else -1 (its sign), q = tanh(head(z, c) / 10); straight-through gradients to p
      through m and to q through s, so a hop's probability feels what the hop adds whichever its sign;
      the jump J = head(z, c) is spread over the records by a logistic ramp of centre L sigmoid(head)
      and width 0.5 + softplus(head) records, normalised to end within the segment. Diffusion beyond
      the site is hops alone. A fresh decoder hops both ways alike (q near 0); a learned q lets
      the chain's memory prefer a back-hop.
    - With ``memory_inputs`` the hop head also sees tanh(m), m the jump of the last hop in units of
      the hop length (0 before the first; :func:`remember_hop` keeps it until the next hop), so the
      probability, direction and length of a hop can depend on the last one (a return to the site the
      ion came from). tanh bounds the loop from one hop's length to the next, which can otherwise grow
      without limit (it did on the reference case).
    - With ``return_gain`` one more parameter g, shared by every chain this decoder serves, adds
      FAST g tanh(m) sign(J) to q's logit (:meth:`direction`): g < 0 sends the next hop back along the
      last one's axis. An axis whose chain hops rarely within a matched stretch learns the return from
      the axes that hop often.
    """

    def __init__(self, latent_dim: int, segment_records: int, features: int, width: int, layers: int,
                 slope: float, condition_dim: int = 0, initial_hop_probability: float = 0.02,
                 initial_hop_length: float = 8.0, initial_tau_records: float = 4.0, memory_inputs: int = 0,
                 return_gain: bool = False):
        super().__init__()
        self.segment_shape = (segment_records, features)
        n = segment_records * features
        self.vibration = mlp(latent_dim + condition_dim + n, width, layers, n, slope)
        self.memory_inputs = memory_inputs
        self.hop = mlp(latent_dim + condition_dim + memory_inputs, width, 1, 4 + features, slope)
        with torch.no_grad():
            self.hop[-1].bias[0] = math.log(initial_hop_probability / (1 - initial_hop_probability))
        self.log_hop_length = nn.Parameter(torch.tensor(math.log(initial_hop_length) / FAST))
        self.log_tau = nn.Parameter(torch.tensor(math.log(initial_tau_records) / FAST))
        # one gain for every chain that decodes with this decoder (all axes): 0, no tilt, when fresh
        self.return_gain = nn.Parameter(torch.zeros(())) if return_gain and memory_inputs else None

    def direction(self, head: torch.Tensor, last_hop: torch.Tensor | None) -> torch.Tensor:
        """q = tanh(head / 10), the preference of a hop for its jump as the head gives it (+1) over the
        reverse (-1), (chains,); with ``return_gain`` g the logit gains FAST g tanh(m) sign(jump): the
        last hop m along the chain's own axis tilts the next one's displacement by one gain for all axes."""
        logit = head[:, 1] / FAST
        if self.return_gain is not None and last_hop is not None:
            logit = logit + FAST * self.return_gain * torch.tanh(last_hop[:, 0]) * torch.sign(head[:, 4]).detach()
        return torch.tanh(logit)

    def reversion(self) -> torch.Tensor:
        """a = exp(-1 / tau), the offset's decay per record."""
        return torch.exp(-torch.exp(-FAST * self.log_tau))

    def forward(self, z: torch.Tensor, eps: torch.Tensor, condition: torch.Tensor | None,
                offset: torch.Tensor, draw: torch.Tensor, last_hop: torch.Tensor | None = None,
                draws: list[HopDraws] | None = None,
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """The segment's increments (chains, L, f), the offset u_L it ends at (chains, f), its hop in
        units of the hop length (chains, f; 0 without one) and whether it hopped (chains,; 0 / 1 with
        the gradient of its probability); ``last_hop`` m (chains, memory_inputs) before it. With
        ``draws``, the segment's :class:`HopDraws` are appended to it."""
        L, f = self.segment_shape
        given = z if condition is None else torch.cat([z, condition], dim=-1)
        w = self.vibration(torch.cat([given, eps.flatten(1)], dim=-1)).view(-1, L, f)
        t = torch.arange(L + 1, dtype=z.dtype, device=z.device)
        powers = self.reversion() ** t  # a^0 .. a^L
        lag = torch.arange(L, device=z.device)
        kernel = torch.tril(powers[(lag[:, None] - lag[None, :]).clamp(min=0)])  # u_t = a^t u_0 + sum_{s<=t} a^(t-s) w_s
        u = powers[1:, None] * offset[:, None, :] + torch.einsum("ts,csf->ctf", kernel, w)
        vibration = torch.diff(torch.cat([offset[:, None, :], u], dim=1), dim=1)

        head = self.hop(given if last_hop is None else torch.cat([given, torch.tanh(last_hop)], dim=-1))
        p = torch.sigmoid(head[:, 0])
        q = self.direction(head, last_hop)
        event = draw < p
        # the draw, uniform again given the event, gives the sign: the same hops as one draw against
        # p (1 + q) / 2 and p, and a sign also where no hop was made, whose gradient p then feels
        sign_draw = torch.where(event, draw / p, (draw - p) / (1 - p)).detach()
        sign = 2 * straight_through(sign_draw < (1 + q) / 2, (1 + q) / 2) - 1
        occurred = straight_through(event, p)
        hopped = occurred * sign.detach() + occurred.detach() * (sign - sign.detach())
        centre = L * torch.sigmoid(head[:, 2])
        width = 0.5 + nn.functional.softplus(head[:, 3])
        ramp = torch.sigmoid((t[None, :] - 0.5 - centre[:, None]) / width[:, None])  # at record edges
        ramp = (ramp - ramp[:, :1]) / (ramp[:, -1:] - ramp[:, :1])
        hop_length = torch.exp(FAST * self.log_hop_length)
        hop = head[:, 4:] * hopped[:, None]  # in units of the hop length
        jump = hop_length * hop
        if draws is not None:
            draws.append(HopDraws(p, occurred.detach(), q, sign.detach(), (hop_length * head[:, 4:]).detach() ** 2,
                                  centre.detach()))
        return vibration + torch.diff(ramp, dim=1)[:, :, None] * jump[:, None, :], u[:, -1], hop, occurred


def direction_memory(decoder: SiteHopDecoder, z: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
    """How the direction of a chain's next hop follows its last, for chains in latent states ``z``
    (rows, latent_dim) with ``condition``: the mean over the rows, weighted by each row's hop
    probability, of the next hop's expected direction times the last hop's, for a last hop of +1 and of
    -1 hop length along the chain's own axis, averaged over the two. -1: always back to the site it
    came from; 0: no memory; +1: always on in the same direction. On the hopping lattice of
    :mod:`mdgan.validation.hopping` the exact value is -p_back along every axis (the next hop along
    an axis reverses the last one along it with probability (1 + p_back) / 2)."""
    if decoder.memory_inputs == 0:
        raise ValueError("the decoder has no hop memory (model.hop_memory)")
    given = z if condition is None else torch.cat([z, condition], dim=-1)
    follows = []
    for sign in (1.0, -1.0):
        last = torch.zeros(z.shape[0], decoder.memory_inputs, dtype=z.dtype, device=z.device)
        last[:, 0] = sign
        head = decoder.hop(torch.cat([given, torch.tanh(last)], dim=-1))
        p = torch.sigmoid(head[:, 0])
        direction = decoder.direction(head, last) * torch.sign(head[:, 4])  # E[sign of the next hop | a hop]
        follows.append(sign * (p * direction).sum() / p.sum())
    return (follows[0] + follows[1]) / 2


def remember_hop(last_hop: torch.Tensor, hop: torch.Tensor, hopped: torch.Tensor) -> torch.Tensor:
    """The last hop after a segment: its hop if it hopped, else the last hop before it (kept until the
    next); last_hop and hop (rows, m), hopped (rows,) 0 / 1."""
    return hop + (1 - hopped)[:, None] * last_hop


def straight_through(event: torch.Tensor, probability: torch.Tensor) -> torch.Tensor:
    """The event as 0 / 1 forward, with the gradient of its probability backward."""
    return event.to(probability.dtype) + (probability - probability.detach())  # exactly the event forward
