"""Displacement distributions: self van Hove function, non-Gaussian parameter, Wasserstein distance.

Displacements dr = r(t0 + t) - r(t0) of every ion, over up to ``max_origins_per_ion`` time origins
per ion spread evenly over the series (all origins when the series is short). Moments (for alpha2)
are accumulated over all ions; the radial displacements |dr| are kept at a few ``sample_lags``
(for the van Hove function and distances between distributions), at most ``max_samples_per_lag``
of them (fewer origins per ion, still every ion).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from scipy.stats import wasserstein_distance

from mdgan.analysis.lags import LagPlan, generated_lag_steps, md_lag_steps, steps_for
from mdgan.analysis.series import GeneratedSeries, ion_major
from mdgan.atomic_io import save_npz
from mdgan.errors import InputError
from mdgan.extract import IonTracks


@dataclass(frozen=True)
class DisplacementStats:
    """Displacement moments at ``lag_steps`` and radial samples at ``sample_lag_steps``.

    count, sum_r2_ang2, sum_r4_ang4: (lags,) number of displacements and sums of |dr|^2, |dr|^4.
    samples_ang: one 1-D float32 array of |dr| (Angstrom) per sample lag.
    samples_ion: beside each, the int32 index of the ion every sample comes from (ions of pooled
    series numbered on): the independent units for a bootstrap.
    sum_dr_ang: (lags, 3) sum of the displacement vectors (a drift shows here), or None.
    n_ions, sum_sq_ion_mean_dr_ang2: the ions and, (lags, 3), the sum over ions of the square of each
    ion's mean displacement over its origins: the standard error of the mean displacement over ions.
    sum_outer_ang2: (lags, 3, 3) sum of the displacement's outer products dr_i dr_j, or None.
    """

    lag_steps: np.ndarray
    dt_ps: float
    count: np.ndarray
    sum_r2_ang2: np.ndarray
    sum_r4_ang4: np.ndarray
    sample_lag_steps: np.ndarray
    samples_ang: tuple[np.ndarray, ...]
    samples_ion: tuple[np.ndarray, ...]
    sum_dr_ang: np.ndarray | None = None
    n_ions: int = 0
    sum_sq_ion_mean_dr_ang2: np.ndarray | None = None
    sum_outer_ang2: np.ndarray | None = None

    @property
    def lag_ps(self) -> np.ndarray:
        return self.lag_steps * self.dt_ps

    @property
    def sample_lag_ps(self) -> np.ndarray:
        return self.sample_lag_steps * self.dt_ps

    @property
    def msd_ang2(self) -> np.ndarray:
        return self.sum_r2_ang2 / self.count

    @property
    def mean_displacement_ang(self) -> np.ndarray:
        """Length of the mean displacement vector at each lag, Angstrom (0 without drift; NaN
        where the vector sums were not kept)."""
        if self.sum_dr_ang is None:
            return np.full(self.count.shape, np.nan)
        return np.linalg.norm(self.sum_dr_ang / self.count[:, None], axis=1)

    @property
    def mean_displacement_err_ang(self) -> np.ndarray:
        """The length the mean displacement vector has from sampling noise alone, Angstrom: the
        root sum of its three components' standard errors over ions (NaN where not kept). A mean
        displacement well above it is a drift."""
        if self.sum_dr_ang is None or self.sum_sq_ion_mean_dr_ang2 is None or self.n_ions < 2:
            return np.full(self.count.shape, np.nan)
        mean = self.sum_dr_ang / self.count[:, None]
        variance = (self.sum_sq_ion_mean_dr_ang2 / self.n_ions - mean**2) * self.n_ions / (self.n_ions - 1)
        return np.sqrt(np.clip(variance, 0.0, None).sum(axis=1) / self.n_ions)

    def alpha2(self, dims: int = 3) -> np.ndarray:
        """Non-Gaussian parameter d <r^4> / ((d + 2) <r^2>^2) - 1 at each lag (0 for a Gaussian)."""
        r2 = self.sum_r2_ang2 / self.count
        r4 = self.sum_r4_ang4 / self.count
        return dims * r4 / ((dims + 2) * r2**2) - 1.0

    def axis_correlation(self) -> np.ndarray:
        """Largest |correlation coefficient| between two Cartesian components of the displacement at
        each lag (about the origin), 0 when the axes move independently: a value near 1 means ions move
        along diagonals, a preferred direction that statistics along each axis do not show. NaN
        where the outer products were not kept."""
        if self.sum_outer_ang2 is None:
            return np.full(self.count.shape, np.nan)
        c = self.sum_outer_ang2 / self.count[:, None, None]
        scale = np.sqrt(np.einsum("lii->li", c))
        coefficients = c / (scale[:, :, None] * scale[:, None, :])
        return np.abs(coefficients[:, [0, 0, 1], [1, 2, 2]]).max(axis=1)

    def _sample_index(self, lag_ps: float) -> int:
        match = np.flatnonzero(np.isclose(self.sample_lag_ps, lag_ps, rtol=1e-6))
        if match.size == 0:
            raise InputError(f"no displacement samples at lag {lag_ps} ps (have {list(self.sample_lag_ps)})")
        return int(match[0])

    def samples_at(self, lag_ps: float) -> np.ndarray:
        """The |dr| samples at the sample lag equal to ``lag_ps``."""
        return self.samples_ang[self._sample_index(lag_ps)]

    def sample_ions_at(self, lag_ps: float) -> np.ndarray:
        """The ion index of each sample of :meth:`samples_at`."""
        return self.samples_ion[self._sample_index(lag_ps)]


def _origins(n_records: int, lag: int, max_origins: int) -> np.ndarray:
    n = n_records - lag
    return np.unique(np.round(np.linspace(0, n - 1, min(n, max_origins))).astype(np.int64))


def displacement_stats(
    positions_ang,
    lag_steps: np.ndarray,
    sample_lag_steps: np.ndarray,
    dt_ps: float,
    max_origins_per_ion: int = 500,
    chunk_ions: int = 256,
    max_samples_per_lag: int = 1_000_000,
) -> DisplacementStats:
    """Moments at ``lag_steps`` and |dr| samples at ``sample_lag_steps`` of (ions, records, 3)
    unwrapped positions (any array-like sliceable along ions), streamed over ion chunks."""
    n_ions, n_records, _ = positions_ang.shape
    lags = np.asarray(lag_steps, dtype=np.int64)
    sample_lags = np.asarray(sample_lag_steps, dtype=np.int64)
    every = np.union1d(lags, sample_lags)
    if every.size == 0 or every.min() < 1 or every.max() >= n_records:
        raise InputError(f"displacement lags must lie in 1..{n_records - 1} for a series of {n_records} records")
    origins = {int(m): _origins(n_records, int(m), max_origins_per_ion) for m in lags}
    sample_origins_per_ion = max(1, min(max_origins_per_ion, max_samples_per_lag // n_ions))
    sample_origins = {int(m): _origins(n_records, int(m), sample_origins_per_ion) for m in sample_lags}
    count = np.zeros(lags.size)
    sum_r2 = np.zeros(lags.size)
    sum_r4 = np.zeros(lags.size)
    sum_dr = np.zeros((lags.size, 3))
    sum_sq_ion_mean = np.zeros((lags.size, 3))
    sum_outer = np.zeros((lags.size, 3, 3))
    samples: dict[int, list[np.ndarray]] = {int(m): [] for m in sample_lags}
    samples_ion: dict[int, list[np.ndarray]] = {int(m): [] for m in sample_lags}
    for start in range(0, n_ions, chunk_ions):
        chunk = np.asarray(positions_ang[start : start + chunk_ions], dtype=np.float64)
        for m in sample_lags:
            o = sample_origins[int(m)]
            r2 = np.sum((chunk[:, o + m] - chunk[:, o]) ** 2, axis=-1)
            samples[int(m)].append(np.sqrt(r2).ravel().astype(np.float32))
            samples_ion[int(m)].append(np.repeat(np.arange(start, start + len(chunk), dtype=np.int32), o.size))
        for j, m in enumerate(lags):
            o = origins[int(m)]
            dr = chunk[:, o + m] - chunk[:, o]
            r2 = np.sum(dr**2, axis=-1)
            sum_dr[j] += dr.sum(axis=(0, 1))
            sum_sq_ion_mean[j] += np.sum(dr.mean(axis=1) ** 2, axis=0)
            flat = dr.reshape(-1, 3)
            sum_outer[j] += flat.T @ flat
            count[j] += r2.size
            sum_r2[j] += r2.sum()
            sum_r4[j] += np.sum(r2**2)
    return DisplacementStats(
        lag_steps=lags,
        dt_ps=float(dt_ps),
        count=count,
        sum_r2_ang2=sum_r2,
        sum_r4_ang4=sum_r4,
        sum_dr_ang=sum_dr,
        n_ions=int(n_ions),
        sum_sq_ion_mean_dr_ang2=sum_sq_ion_mean,
        sum_outer_ang2=sum_outer,
        sample_lag_steps=sample_lags,
        samples_ang=tuple(np.concatenate(samples[int(m)]) for m in sample_lags),
        samples_ion=tuple(np.concatenate(samples_ion[int(m)]) for m in sample_lags),
    )


def combine_stats(stats: Sequence[DisplacementStats]) -> DisplacementStats:
    """Pool several series (runs) that share their lags in ps: moments add, samples join."""
    first = stats[0]
    for s in stats[1:]:
        same_lags = np.allclose(s.lag_ps, first.lag_ps, rtol=1e-9)
        if not (same_lags and np.allclose(s.sample_lag_ps, first.sample_lag_ps, rtol=1e-9)):
            raise InputError("series to pool must share their displacement lags in ps")
    return DisplacementStats(
        lag_steps=first.lag_steps,
        dt_ps=first.dt_ps,
        count=np.sum([s.count for s in stats], axis=0),
        sum_r2_ang2=np.sum([s.sum_r2_ang2 for s in stats], axis=0),
        sum_r4_ang4=np.sum([s.sum_r4_ang4 for s in stats], axis=0),
        sum_dr_ang=(
            None if any(s.sum_dr_ang is None for s in stats) else np.sum([s.sum_dr_ang for s in stats], axis=0)
        ),
        n_ions=sum(s.n_ions for s in stats),
        sum_sq_ion_mean_dr_ang2=(
            None if any(s.sum_sq_ion_mean_dr_ang2 is None for s in stats)
            else np.sum([s.sum_sq_ion_mean_dr_ang2 for s in stats], axis=0)
        ),
        sum_outer_ang2=(
            None if any(s.sum_outer_ang2 is None for s in stats) else np.sum([s.sum_outer_ang2 for s in stats], axis=0)
        ),
        sample_lag_steps=first.sample_lag_steps,
        samples_ang=tuple(np.concatenate(group) for group in zip(*(s.samples_ang for s in stats))),
        samples_ion=tuple(
            np.concatenate([ions + offset for ions, offset in zip(group, np.cumsum([0] + [s.n_ions for s in stats]))])
            for group in zip(*(s.samples_ion for s in stats))
        ),
    )


def van_hove_self(samples_ang: np.ndarray, bin_edges_ang: np.ndarray) -> np.ndarray:
    """Radial self van Hove distribution 4 pi r^2 G_s(r, t) (1/Angstrom) on the given bins:
    the probability density of |dr|, normalised over all samples (also those beyond the bins)."""
    counts, _ = np.histogram(samples_ang, bins=bin_edges_ang)
    return counts / (samples_ang.size * np.diff(bin_edges_ang))


def wasserstein_ang(samples_a: np.ndarray, samples_b: np.ndarray) -> float:
    """Wasserstein-1 (earth mover's) distance between two |dr| distributions, Angstrom."""
    return float(wasserstein_distance(samples_a, samples_b))


def wasserstein_floor_ang(
    md_samples: np.ndarray, md_sample_ions: np.ndarray, n_generated_ions: int, n_draws: int = 16, seed: int = 0
) -> float:
    """The Wasserstein-1 distance, Angstrom, that a perfect generator of ``n_generated_ions`` ions would
    show against the MD's |dr| samples: the mean over ``n_draws`` bootstrap pairs, each a draw of
    ``n_generated_ions`` MD ions and one of as many ions as the MD has, with replacement, every drawn
    ion bringing all its samples. Ions are the independent units (the samples of one ion overlap in
    time), so both sides carry the sampling noise of their own number of ions."""
    ions, per_sample = np.unique(md_sample_ions, return_inverse=True)
    rng = np.random.default_rng(seed)
    distances = []
    for _ in range(n_draws):
        generated_weights = rng.multinomial(n_generated_ions, np.full(ions.size, 1.0 / ions.size))[per_sample]
        md_weights = rng.multinomial(ions.size, np.full(ions.size, 1.0 / ions.size))[per_sample]
        distances.append(wasserstein_distance(md_samples, md_samples, generated_weights, md_weights))
    return float(np.mean(distances))


def save_stats(stats: DisplacementStats, path: str | Path) -> None:
    arrays = {f"samples_{i}": s for i, s in enumerate(stats.samples_ang)}
    arrays |= {f"samples_ion_{i}": s for i, s in enumerate(stats.samples_ion)}
    if stats.sum_dr_ang is not None:
        arrays["sum_dr_ang"] = stats.sum_dr_ang
    if stats.sum_sq_ion_mean_dr_ang2 is not None:
        arrays["sum_sq_ion_mean_dr_ang2"] = stats.sum_sq_ion_mean_dr_ang2
    if stats.sum_outer_ang2 is not None:
        arrays["sum_outer_ang2"] = stats.sum_outer_ang2
    save_npz(
        path,
        lag_steps=stats.lag_steps,
        dt_ps=np.float64(stats.dt_ps),
        count=stats.count,
        sum_r2_ang2=stats.sum_r2_ang2,
        sum_r4_ang4=stats.sum_r4_ang4,
        sample_lag_steps=stats.sample_lag_steps,
        n_ions=np.int64(stats.n_ions),
        **arrays,
    )


def load_stats(path: str | Path) -> DisplacementStats:
    with np.load(path) as data:
        sample_lags = data["sample_lag_steps"]
        return DisplacementStats(
            lag_steps=data["lag_steps"],
            dt_ps=float(data["dt_ps"]),
            count=data["count"],
            sum_r2_ang2=data["sum_r2_ang2"],
            sum_r4_ang4=data["sum_r4_ang4"],
            sum_dr_ang=data["sum_dr_ang"] if "sum_dr_ang" in data else None,
            n_ions=int(data["n_ions"]) if "n_ions" in data else 0,
            sum_sq_ion_mean_dr_ang2=data["sum_sq_ion_mean_dr_ang2"] if "sum_sq_ion_mean_dr_ang2" in data else None,
            sum_outer_ang2=data["sum_outer_ang2"] if "sum_outer_ang2" in data else None,
            sample_lag_steps=sample_lags,
            samples_ang=tuple(data[f"samples_{i}"] for i in range(sample_lags.size)),
            samples_ion=tuple(data[f"samples_ion_{i}"] for i in range(sample_lags.size)),
        )


def md_displacements(runs: Mapping[str, IonTracks], plan: LagPlan, n_lags: int, max_origins: int,
                     chunk_ions: int, max_samples_per_lag: int) -> DisplacementStats:
    """Displacement moments of every MD run at its log-spaced lags, |dr| samples at the comparison
    lags, runs combined."""
    lags = md_lag_steps(runs, plan, n_lags)
    sample_lags = steps_for(plan.compare_lags_ps, plan.frame_dt_ps)
    return combine_stats(
        [displacement_stats(ion_major(t), lags, sample_lags, plan.frame_dt_ps, max_origins, chunk_ions,
                            max_samples_per_lag) for t in runs.values()]
    )


def generated_displacements(series: GeneratedSeries, plan: LagPlan, n_lags: int, max_lag_fraction: float,
                            max_origins: int, chunk_ions: int, max_samples_per_lag: int) -> DisplacementStats:
    """Displacement moments of the generated series at its log-spaced lags, |dr| samples at the
    comparison lags."""
    lags = generated_lag_steps(series, plan, n_lags, max_lag_fraction)
    sample_lags = steps_for(plan.compare_lags_ps, plan.record_dt_ps)
    return displacement_stats(series.positions_ang, lags, sample_lags, series.record_dt_ps, max_origins, chunk_ions,
                              max_samples_per_lag)
