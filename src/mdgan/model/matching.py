"""Statistic matching beyond the window: MSD, alpha2 and (optionally) the per-axis displacement
distribution of long generated stretches against the training runs' own, at lags up to
``match_windows`` windows.

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


VAN_HOVE_LEVELS = 32  # quantile levels of each axis's displacement: Phi(z), 32 normal scores z in [-3, 3]
VAN_HOVE_ABS_LEVELS = 16  # levels of each axis's |displacement|: 2 Phi(z) - 1, 16 scores z in (0, 3]
VAN_HOVE_ORIGIN_STRIDE = 4  # generated displacements from every 4th origin: a quarter of the sorting


@dataclass(frozen=True)
class MatchTarget:
    """The training runs' statistics at ``lags`` (records, ascending): MSD (A^2), alpha2(t),
    ``msd_axes_ang2`` (lags, 3): the MSD along x, y and z (A^2), ``alpha2_axes`` (lags,): alpha2 of the
    displacement with each axis scaled to unit variance (:func:`alpha2_scaled_axes`),
    ``axis_correlation`` (lags, 3): the correlation coefficients of the displacement's xy, xz and yz
    components and, for van Hove matching, ``quantiles_ang`` (lags, VAN_HOVE_LEVELS, 3): quantiles of
    the displacement along each axis (A), the self van Hove function per axis; for log van Hove
    matching ``abs_quantiles_ang`` (lags, VAN_HOVE_ABS_LEVELS, 3): quantiles of its magnitude |dx|,
    |dy|, |dz| (A)."""

    lags: tuple[int, ...]
    msd_ang2: torch.Tensor
    alpha2: torch.Tensor
    quantiles_ang: torch.Tensor | None = None
    abs_quantiles_ang: torch.Tensor | None = None
    axis_correlation: torch.Tensor | None = None
    msd_axes_ang2: torch.Tensor | None = None
    alpha2_axes: torch.Tensor | None = None


def quantile_levels(dtype=torch.float64, device=None) -> torch.Tensor:
    """The VAN_HOVE_LEVELS probability levels, (levels,): the normal distribution function at scores
    evenly spaced from -3 to 3 (0.00135 to 0.99865), so that the tails, where a hop between sites
    lands, hold as many levels as the core (evenly spaced levels put one level in the outer 3 %)."""
    return torch.special.ndtr(torch.linspace(-3.0, 3.0, VAN_HOVE_LEVELS, dtype=dtype, device=device))


def abs_quantile_levels(dtype=torch.float64, device=None) -> torch.Tensor:
    """The VAN_HOVE_ABS_LEVELS probability levels of a displacement's magnitude, (levels,): 2 Phi(z) - 1
    at scores z evenly spaced from 3/16 to 3 (0.149 to 0.9973), the levels of |x| that
    :func:`quantile_levels` gives x, folded; none at 0, where ln |x| has no floor."""
    z = torch.linspace(3.0 / VAN_HOVE_ABS_LEVELS, 3.0, VAN_HOVE_ABS_LEVELS, dtype=dtype, device=device)
    return 2.0 * torch.special.ndtr(z) - 1.0


def match_lags(stretch_records: int, n_lags: int) -> tuple[int, ...]:
    """About ``n_lags`` log-spaced integer lags from 1 to ``stretch_records``, distinct, ascending."""
    return tuple(np.unique(np.geomspace(1, stretch_records, n_lags).round().astype(int)).tolist())


def positions_from_increments(increments_ang: torch.Tensor) -> torch.Tensor:
    """(rows, records + 1, 3) positions from 0 of (rows, records, 3) increments."""
    return torch.nn.functional.pad(increments_ang.cumsum(dim=1), (0, 0, 1, 0))


def displacement_moments(increments_ang: torch.Tensor, lags: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """<r^2> (A^2) and <r^4> (A^4) at each lag over every origin and row of (rows, records, 3) increments.

    Differentiable; lags must not exceed ``records``.
    """
    pos = positions_from_increments(increments_ang)
    r2 = [((pos[:, n:] - pos[:, :-n]) ** 2).sum(dim=-1) for n in lags]
    return torch.stack([x.mean() for x in r2]), torch.stack([(x**2).mean() for x in r2])


AXIS_PAIRS = ((0, 1), (0, 2), (1, 2))


def displacement_products(increments_ang: torch.Tensor, lags: tuple[int, ...]) -> torch.Tensor:
    """(lags, 6) mean over every origin and row of the displacement's products x^2, y^2, z^2, xy, xz,
    yz (A^2) of (rows, records, 3) increments. Differentiable."""
    pos = positions_from_increments(increments_ang)
    rows = []
    for n in lags:
        d = pos[:, n:] - pos[:, :-n]
        rows.append(torch.cat([(d**2).mean(dim=(0, 1)), torch.stack([(d[..., i] * d[..., j]).mean() for i, j in AXIS_PAIRS])]))
    return torch.stack(rows)


def squared_products(increments_ang: torch.Tensor, lags: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean over every origin and row of (rows, records, 3) increments, in one pass: the MSD along each
    axis, <x_i^2> (lags, 3; A^2), and the products of the displacement's squared components,
    <x_i^2 x_j^2> (lags, 3, 3; A^4). Differentiable."""
    pos = positions_from_increments(increments_ang)
    msd_axes, products = [], []
    for n in lags:
        d2 = ((pos[:, n:] - pos[:, :-n]) ** 2).reshape(-1, 3)
        msd_axes.append(d2.mean(dim=0))
        products.append(d2.T @ d2 / d2.shape[0])
    return torch.stack(msd_axes), torch.stack(products)


def alpha2_scaled_axes(msd_axes: torch.Tensor, squared: torch.Tensor) -> torch.Tensor:
    """(lags,) the 3D non-Gaussian parameter of the displacement with each axis scaled to unit
    variance, <r~^4> / 15 - 1 with r~^2 = sum_i x_i^2 / <x_i^2>, from the MSD along each axis (lags, 3)
    and the products of their squares (lags, 3, 3), both from :func:`squared_products`. It is 0.6 x the
    axes' mean 1D alpha2 (<x^4> / (3 <x^2>^2) - 1: heavy tails along an axis) + 0.4 x their mean
    <x^2 y^2> / (<x^2> <y^2>) - 1 (ions that move far along one axis move far along the others: ions of
    different mobility). Where the axes' MSDs are equal it is the 3D alpha2; unlike that it is 0 for every
    Gaussian, also one whose axes have different variances (3D alpha2 of variances 1 : 3 : 1: 0.13), so
    a generator cannot meet it by moving faster along one axis."""
    return (squared / (msd_axes[:, :, None] * msd_axes[:, None, :])).sum(dim=(1, 2)) / 15.0 - 1.0


def axis_correlation(products: torch.Tensor) -> torch.Tensor:
    """(lags, 3) correlation coefficients of the xy, xz, yz displacement components from
    :func:`displacement_products` (about the origin: the mean displacement is zero)."""
    return torch.stack([products[:, 3 + k] / torch.sqrt(products[:, i] * products[:, j])
                        for k, (i, j) in enumerate(AXIS_PAIRS)], dim=1)


def displacement_quantiles(increments_ang: torch.Tensor, lags: tuple[int, ...], origin_stride: int = 1,
                           magnitude: bool = False) -> torch.Tensor:
    """Quantiles (A) of the displacement along each axis at each lag (with ``magnitude``, of |dx|, |dy|,
    |dz| at :func:`abs_quantile_levels`), over every ``origin_stride``-th origin of every row of
    (rows, records, 3) increments: (lags, levels, 3). Differentiable."""
    pos = positions_from_increments(increments_ang)
    levels = (abs_quantile_levels if magnitude else quantile_levels)(pos.dtype, pos.device)
    s = origin_stride
    displacements = ((pos[:, n::s] - pos[:, :-n:s]).reshape(-1, 3) for n in lags)
    return torch.stack([torch.quantile(d.abs() if magnitude else d, levels, dim=0) for d in displacements])


def alpha2_from_moments(r2: torch.Tensor, r4: torch.Tensor) -> torch.Tensor:
    """Non-Gaussian parameter in 3D: 3 <r^4> / (5 <r^2>^2) - 1."""
    return 3.0 * r4 / (5.0 * r2**2) - 1.0


def match_target(
    series: np.ndarray,
    lengths: np.ndarray,
    mean_ang: np.ndarray,
    std_ang: np.ndarray,
    lags: tuple[int, ...],
    van_hove: bool = False,
    van_hove_log: bool = False,
) -> MatchTarget:
    """MSD and alpha2 (with ``van_hove`` the per-axis displacement quantiles, with ``van_hove_log``
    those of its magnitude) of the training tracks at ``lags``, every origin of every track long enough.

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
    product_sums = np.zeros((len(lags), 6))
    squared_sums = np.zeros((len(lags), 3, 3))
    counts = np.zeros(len(lags))
    displacements: list[list[np.ndarray]] = [[] for _ in lags]
    for start, end in zip(ends - lengths, ends):
        inc = torch.from_numpy(series[start:end].astype(np.float64) * std_ang + mean_ang)
        usable = [i for i, n in enumerate(lags) if n <= inc.shape[0]]
        if not usable:
            continue
        if van_hove or van_hove_log:
            pos = positions_from_increments(inc[None])[0].numpy()
            for i in usable:
                displacements[i].append(pos[lags[i]:] - pos[: -lags[i]])
        r2, r4 = displacement_moments(inc[None], tuple(lags[i] for i in usable))
        n_origins = np.array([inc.shape[0] - lags[i] + 1 for i in usable])
        sums[0, usable] += r2.numpy() * n_origins
        sums[1, usable] += r4.numpy() * n_origins
        product_sums[usable] += displacement_products(inc[None], tuple(lags[i] for i in usable)).numpy() * n_origins[:, None]
        track_squared = squared_products(inc[None], tuple(lags[i] for i in usable))[1].numpy()
        squared_sums[usable] += track_squared * n_origins[:, None, None]
        counts[usable] += n_origins
    r2, r4 = torch.from_numpy(sums[0] / counts), torch.from_numpy(sums[1] / counts)
    quantiles = abs_quantiles = None  # numpy: torch.quantile refuses inputs over 2^24 values
    pooled = [np.concatenate(d) for d in displacements] if van_hove or van_hove_log else []
    if van_hove:
        levels = quantile_levels().numpy()
        quantiles = torch.from_numpy(np.stack([np.quantile(d, levels, axis=0) for d in pooled]))
    if van_hove_log:
        levels = abs_quantile_levels().numpy()
        abs_quantiles = torch.from_numpy(np.stack([np.quantile(np.abs(d), levels, axis=0) for d in pooled]))
    products = torch.from_numpy(product_sums / counts[:, None])
    squared = torch.from_numpy(squared_sums / counts[:, None, None])
    return MatchTarget(lags=tuple(lags), msd_ang2=r2, alpha2=alpha2_from_moments(r2, r4), quantiles_ang=quantiles,
                       abs_quantiles_ang=abs_quantiles, axis_correlation=axis_correlation(products),
                       msd_axes_ang2=products[:, :3], alpha2_axes=alpha2_scaled_axes(products[:, :3], squared))


def van_hove_distance(quantiles_ang: torch.Tensor, target_ang: torch.Tensor) -> torch.Tensor:
    """Mean over lags and axes of the mean squared difference of generated and target quantiles of the
    per-axis displacement ((lags, levels, 3); a 2-Wasserstein distance whose levels weigh the tails as
    much as the core), each divided by the target's mean squared quantile along that axis at that lag:
    dimensionless, 0 when equal, (s - 1)^2 for a distribution scaled by s."""
    w2 = (quantiles_ang - target_ang).pow(2).mean(dim=1)
    return (w2 / target_ang.pow(2).mean(dim=1)).mean()


LOG_VAN_HOVE_FLOOR_ANG = 1e-6  # a generated quantile below this counts as this: ln 0 has no gradient


def log_van_hove_distance(abs_quantiles_ang: torch.Tensor, target_ang: torch.Tensor) -> torch.Tensor:
    """Mean over lags, levels and axes of ln(generated / target quantile of |displacement|)^2
    ((lags, levels, 3)): dimensionless, 0 when equal, (ln s)^2 for a distribution scaled by s at every
    level. Each level counts by its relative error, so the core of a site (an ion that has not hopped:
    small |dx|) weighs as much as a hop, where :func:`van_hove_distance` divides by the mean square,
    which the hops dominate."""
    return torch.log(abs_quantiles_ang.clamp_min(LOG_VAN_HOVE_FLOOR_ANG) / target_ang).pow(2).mean()


def msd_term(msd_ang2: torch.Tensor, target: MatchTarget, weight: float) -> torch.Tensor:
    """weight * mean over lags of ln(MSD_gen / MSD_target)^2: ``msd_ang2`` (lags,) the total MSD, or
    (lags, 3) the MSD along each axis (mean over lags and axes against ``target.msd_axes_ang2``)."""
    reference = target.msd_ang2 if msd_ang2.dim() == 1 else target.msd_axes_ang2
    return weight * torch.log(msd_ang2 / reference.to(msd_ang2.device)).pow(2).mean()


def msd_term_gradient(stretch_ang: torch.Tensor, target: MatchTarget, weight: float,
                      msd_per_axis: bool = False) -> torch.Tensor:
    """(lags, 3) the derivative of :func:`matching_loss`'s MSD term by the generated MSD along each
    axis at each lag (A^-2), for the (batch, records, 3) stretch; detached."""
    msd_axes = displacement_products(stretch_ang.detach().double(), target.lags)[:, :3].requires_grad_()
    term = msd_term(msd_axes if msd_per_axis else msd_axes.sum(dim=1), target, weight)
    return torch.autograd.grad(term, msd_axes)[0]


def matching_loss(
    stretch_ang: torch.Tensor,
    target: MatchTarget,
    msd_weight: float,
    alpha2_weight: float,
    van_hove_weight: float = 0.0,
    cross_axis_weight: float = 0.0,
    van_hove_log_weight: float = 0.0,
    msd_per_axis: bool = False,
    alpha2_axes: bool = False,
) -> torch.Tensor:
    """msd_weight * mean over lags of ln(MSD_gen / MSD_target)^2 (with ``msd_per_axis``, mean over lags
    and axes of ln(MSD_gen / MSD_target along that axis)^2: an axis whose MSD is a small part of the
    total counts as much as the others) + alpha2_weight * mean (alpha2 difference)^2
    + van_hove_weight * :func:`van_hove_distance` (needs ``target.quantiles_ang``; the generated
    quantiles from every VAN_HOVE_ORIGIN_STRIDE-th origin) + cross_axis_weight * mean over lags and
    axis pairs of the squared difference of the displacement components' correlation coefficients
    (:func:`axis_correlation`): per-axis statistics cannot see axes that move together, i.e. a
    preferred diagonal direction; + van_hove_log_weight * :func:`log_van_hove_distance` (needs
    ``target.abs_quantiles_ang``). With ``alpha2_axes`` the alpha2 term compares
    :func:`alpha2_scaled_axes` (``target.alpha2_axes``) instead of the 3D alpha2, which a generator can
    raise by giving one axis a larger MSD than the others.

    stretch_ang: (batch, records, 3) generated increments in A per record, records >= the longest lag.
    """
    r2, r4 = displacement_moments(stretch_ang.double(), target.lags)
    loss = msd_term(displacement_products(stretch_ang.double(), target.lags)[:, :3] if msd_per_axis else r2,
                    target, msd_weight)
    if alpha2_weight > 0 and alpha2_axes:
        alpha2 = alpha2_scaled_axes(*squared_products(stretch_ang.double(), target.lags))
        loss = loss + alpha2_weight * (alpha2 - target.alpha2_axes.to(r2.device)).pow(2).mean()
    elif alpha2_weight > 0:
        alpha2_target = target.alpha2.to(r2.device)
        loss = loss + alpha2_weight * (alpha2_from_moments(r2, r4) - alpha2_target).pow(2).mean()
    if van_hove_weight > 0:
        quantiles = displacement_quantiles(stretch_ang.double(), target.lags, VAN_HOVE_ORIGIN_STRIDE)
        loss = loss + van_hove_weight * van_hove_distance(quantiles, target.quantiles_ang.to(quantiles.device))
    if van_hove_log_weight > 0:
        abs_quantiles = displacement_quantiles(stretch_ang.double(), target.lags, VAN_HOVE_ORIGIN_STRIDE, magnitude=True)
        loss = loss + van_hove_log_weight * log_van_hove_distance(abs_quantiles,
                                                                  target.abs_quantiles_ang.to(abs_quantiles.device))
    if cross_axis_weight > 0:
        correlation = axis_correlation(displacement_products(stretch_ang.double(), target.lags))
        loss = loss + cross_axis_weight * (correlation - target.axis_correlation.to(correlation.device)).pow(2).mean()
    return loss.float()
