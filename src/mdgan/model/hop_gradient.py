"""The matched MSD's gradient to each hop's probability and sign (``training.match_hop_expectation``).

A hop of ``model.site_hops`` is a discrete event m (0 / 1, probability p). Its straight-through
gradient gives p the loss's derivative at the drawn outcome, f'(m). The MSD is quadratic in m,
f(m) = A + B m + C m^2, and what moves its expectation with p is f(1) - f(0) = B + C =
f'(m) + (1 - 2 m) C. Where no hop was drawn (m = 0, most segments) the straight-through estimate
misses C, the hop's own squared jump, which for a rare hop is most of f(1) - f(0): the matched MSD
then hardly sets the hop rate. The same holds for a hop's sign s (+-1, E[s] = q): f(s) = A' + B s +
C s^2 with the same C, what moves E[f] with q is (f(1) - f(-1)) / 2 = B, and the straight-through
estimate B + 2 C s carries a bias 2 C q that pulls q to 0 where the MSD is too high (against a
return to the last site) and away from it where too low. :func:`hop_rate_surrogate` adds (1 - 2 m) C
to each hop probability's gradient and -2 C s to each drawn hop's direction preference's, which
makes both the local expectation gradient (Titsias and Lazaro-Gredilla 2015) of the MSD term, exact
for one decision with the others held. The alpha2, van Hove and adversarial terms keep the
straight-through estimate.

Shapes: rows = ions x chains, ion-major; S segments of L records; records T = S L; lags in records.
"""

from __future__ import annotations

import torch

from mdgan.model.site_hops import HopDraws


def straddle_counts(records: torch.Tensor, n_records: int, lag: int) -> torch.Tensor:
    """How many displacements over ``lag`` records of a T = ``n_records`` record series (origins
    0..T - lag) hold the increment at index ``records`` (any shape, 0..T - 1): same shape."""
    return torch.minimum(records, torch.full_like(records, n_records - lag)) - (records - lag + 1).clamp_min(0) + 1


def jump_sq_axes(draws: HopDraws, chains: int, std_ang: torch.Tensor) -> torch.Tensor:
    """(rows, 3) each decision's squared jump along x, y, z in A^2: a chain decodes every axis
    (f = 3) or its own, axis = chain (f = 1, one chain per axis); std_ang (3,) the standardisation."""
    jump_sq = draws.jump_sq.to(std_ang.dtype)
    if jump_sq.shape[1] == 1:
        axis = torch.arange(jump_sq.shape[0], device=jump_sq.device) % chains
        jump_sq = jump_sq * torch.nn.functional.one_hot(axis, 3).to(jump_sq.dtype)
    return jump_sq * std_ang**2


def hop_rate_surrogate(draws: list[HopDraws], chains: int, segment_records: int, msd_gradient: torch.Tensor,
                       lags: tuple[int, ...], std_ang: torch.Tensor) -> torch.Tensor:
    """A term of value 0 whose gradient with respect to each hop probability p is (1 - 2 m) C and with
    respect to each direction preference q of a drawn hop -2 C s, C the coefficient of m^2 in the MSD
    term: sum over lags n and axes a of ``msd_gradient`` (lags, 3; the term's derivative by the MSD
    along a at n, A^-2) x the squared jump along a (A^2) x the share of the stretch's displacements
    over n records that hold the hop (its ramp taken as a step at its centre record), over the rows.
    ``draws``: the stretch's segments in order (``Generator.rollout``)."""
    p = torch.stack([d.probability for d in draws], dim=1).double()  # (rows, S)
    occurred = torch.stack([d.occurred for d in draws], dim=1).double()
    jump_sq = torch.stack([jump_sq_axes(d, chains, std_ang.double()) for d in draws], dim=1)  # (rows, S, 3)
    centre = torch.stack([d.centre_records for d in draws], dim=1)
    rows, n_segments = p.shape
    n_records = n_segments * segment_records
    start = torch.arange(n_segments, device=p.device) * segment_records
    records = start + centre.floor().long().clamp(0, segment_records - 1)  # (rows, S) the jump's increment
    ions = rows // chains
    curvature = torch.zeros_like(p)
    for i, lag in enumerate(lags):
        share = straddle_counts(records, n_records, lag).double() / (ions * (n_records - lag + 1))
        curvature += share * (jump_sq @ msd_gradient[i].double())
    q = torch.stack([d.direction for d in draws], dim=1).double()
    sign = torch.stack([d.sign for d in draws], dim=1).double()
    rate = (p - p.detach()) * ((1 - 2 * occurred) * curvature).detach()
    direction = (q - q.detach()) * (-2 * sign * occurred * curvature).detach()
    return (rate + direction).sum().float()
