"""Every D of the diffusion table: each source over its own range and over one common range,
isotropic and along each axis.

Like for like: MD and MD-GAN are compared over the same lags. The common range is the intersection
of the sources' own fit ranges found automatically: where both are diffusive by construction. A range
given in the config is the user's choice of where to compare: the configured ranges (their
intersection, where several) are the common range, and ``diffusive`` says whether each source is
diffusive there. It must span ``min_span_decades`` and hold 3 lags of every source's
grid; otherwise there is no common range and the common-range D is NaN (fit_mode "none"). MD-GAN's D
over its own, usually longer, range is kept beside it ("own range").

Per axis: D along each axis is slope / 2 of the 1D MSD over the same range as the isotropic fit of
that source and kind of range; ``diffusive`` is judged on the 1D MSD itself.

Replicas: where a source's samples are grouped by replicate model (``mdgan.analysis.msd.by_replica``),
its error covers the replicas, and each replica's own D over the same ranges is listed beside it
("MD-GAN replica 0", ...), with its error over that replica's ions.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping, Sequence

import numpy as np

from mdgan.analysis.diffusion import COMMON_RANGE, ISOTROPIC, OWN_RANGE, DiffusionFit, fit_diffusion
from mdgan.analysis.msd import MSDSamples, replica_samples

INTERSECTION = "intersection"


def fit_range_of(fit: DiffusionFit) -> tuple[float, float] | None:
    """(lo, hi) ps of a fit, None where no range was found."""
    return None if fit.mode == "none" else (fit.fit_lo_ps, fit.fit_hi_ps)


def common_range(
    ranges: Sequence[tuple[float, float] | None], lag_grids_ps: Sequence[np.ndarray], min_span_decades: float
) -> tuple[float, float] | None:
    """The intersection of every source's range (lo, hi) ps, if each has one, it spans at least
    ``min_span_decades`` and it holds at least 3 lags of each grid (lags,) ps; else None."""
    if any(r is None for r in ranges):
        return None
    lo, hi = max(r[0] for r in ranges), min(r[1] for r in ranges)
    if hi <= lo or np.log10(hi / lo) < min_span_decades:
        return None
    for lags in lag_grids_ps:
        if np.count_nonzero((lags >= lo * (1 - 1e-9)) & (lags <= hi * (1 + 1e-9))) < 3:
            return None
    return lo, hi


def _no_fit(samples: MSDSamples, axis: str, fit: str) -> DiffusionFit:
    nan = float("nan")
    return DiffusionFit(nan, nan, nan, nan, diffusive=False, mode="none", loglog_slope=nan, axis=axis, fit=fit,
                        err_over=samples.err_over)


def fits_over(
    samples: MSDSamples, fit_range_ps: tuple[float, float] | None, fit: str, mode: str | None,
    tolerance: float, min_span_decades: float, half_width_decades: float,
) -> list[DiffusionFit]:
    """The isotropic fit (over ``fit_range_ps``, or the regime found where None), then one per axis over
    the isotropic fit's range; ``fit`` labels the kind of range, ``mode`` replaces the fits' mode."""
    iso = fit_diffusion(samples, fit_range_ps, tolerance, min_span_decades, half_width_decades)
    n_axes = 0 if samples.msd_axes_ang2 is None else len(samples.axes)
    if iso.mode == "none":
        return [dataclasses.replace(iso, fit=fit)] + [_no_fit(samples, samples.axes[k], fit) for k in range(n_axes)]
    found = (iso.fit_lo_ps, iso.fit_hi_ps)
    axes = [fit_diffusion(samples, found, tolerance, min_span_decades, half_width_decades, axis=k)
            for k in range(n_axes)]
    return [dataclasses.replace(f, fit=fit, mode=mode or iso.mode) for f in (iso, *axes)]


def diffusion_fits(
    samples: Mapping[str, MSDSamples],
    fit_ranges_ps: Mapping[str, Sequence[float] | None],
    tolerance: float,
    min_span_decades: float,
    half_width_decades: float,
) -> dict[tuple[str, str, str], DiffusionFit]:
    """(source, fit, axis) -> DiffusionFit: every source over the common range, then every source over
    its own range (see the module docstring); isotropic first, then the axes."""
    settings = (tolerance, min_span_decades, half_width_decades)
    own = {}
    for source, s in samples.items():
        given = fit_ranges_ps.get(source)
        own[source] = fits_over(s, None if given is None else tuple(given), OWN_RANGE, None, *settings)
    configured = [tuple(r) for r in (fit_ranges_ps.get(source) for source in samples) if r is not None]
    candidates = configured or [fit_range_of(fits[0]) for fits in own.values()]
    common = common_range(candidates, [s.lag_ps for s in samples.values()], min_span_decades)
    shared = {}
    for source, s in samples.items():
        if common is None:
            shared[source] = [_no_fit(s, f.axis, COMMON_RANGE) for f in own[source]]
        else:
            shared[source] = fits_over(s, common, COMMON_RANGE, INTERSECTION, *settings)
    fits = {(source, f.fit, f.axis): f for kind in (shared, own) for source in samples for f in kind[source]}
    for source, s in samples.items():
        fits |= replica_fits(source, replica_samples(s), fits, *settings)
    return fits


def replica_fits(
    source: str, replicas: Sequence[MSDSamples], fits: Mapping[tuple[str, str, str], DiffusionFit],
    tolerance: float, min_span_decades: float, half_width_decades: float,
) -> dict[tuple[str, str, str], DiffusionFit]:
    """("<source> replica r", fit, axis) -> D of each replicate model's ions (error over its ions) over
    the same common and own ranges as the pooled ``source`` in ``fits``."""
    out = {}
    for r, s in enumerate(replicas):
        for kind in (COMMON_RANGE, OWN_RANGE):
            pooled = fits[(source, kind, ISOTROPIC)]
            found = fit_range_of(pooled)
            axes = s.axes if s.msd_axes_ang2 is not None else ()
            rows = ([_no_fit(s, ISOTROPIC, kind)] + [_no_fit(s, a, kind) for a in axes] if found is None
                    else fits_over(s, found, kind, pooled.mode, tolerance, min_span_decades, half_width_decades))
            out |= {(f"{source} replica {r}", f.fit, f.axis): f for f in rows}
    return out
