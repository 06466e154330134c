"""Mean squared displacement over all ions and all time origins, by FFT, streamed over ions.

Uncertainty: every ion's time-averaged MSD (over all its origins) is one sample and the ions are
treated as independent. The error of any pooled quantity that is linear in the MSD (the MSD at one
lag, a fitted slope) is the standard error over ions of that quantity's per-ion contributions
(a linearised, i.e. infinitesimal-jackknife, estimate). It carries the strong correlation between
lags and between overlapping origins of one ion automatically, which naive least-squares errors
miss. Generated ions are independent by construction; MD ions of one run interact, so the MD
error is a lower bound when their motion is correlated.
"""

from __future__ import annotations

import queue
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.fft

from mdgan.analysis.lags import LagPlan, generated_lag_steps, md_lag_steps
from mdgan.analysis.series import GeneratedSeries, ion_major
from mdgan.atomic_io import atomic_write, save_npz
from mdgan.errors import InputError
from mdgan.extract import IonTracks


@dataclass(frozen=True)
class MSDSamples:
    """Per-ion time-averaged MSD at chosen lags.

    lag_steps: (lags,) int lags in steps of ``dt_ps``.
    msd_ang2: (ions, lags) mean over all origins of each ion, Angstrom^2.
    n_origins: (ions, lags) origins behind each value (the weight when pooling runs).
    """

    lag_steps: np.ndarray
    dt_ps: float
    msd_ang2: np.ndarray
    n_origins: np.ndarray

    @property
    def lag_ps(self) -> np.ndarray:
        return self.lag_steps * self.dt_ps

    @property
    def n_ions(self) -> int:
        return self.msd_ang2.shape[0]


@dataclass(frozen=True)
class MSDCurve:
    """Pooled MSD: lag_ps, msd_ang2 and its 1-sigma error msd_err_ang2, all (lags,)."""

    lag_ps: np.ndarray
    msd_ang2: np.ndarray
    msd_err_ang2: np.ndarray
    n_ions: int


def _chunk_msd(chunk: np.ndarray, lags: np.ndarray, work: np.ndarray) -> np.ndarray:
    """Per-ion MSD of one chunk (ions, records, 3) at ``lags``: (ions, lags) float64.

    MSD(m) = [S1(m) - 2 S2(m)] / (T - m) with S1(m) = sum_k |x_{k+m}|^2 + |x_k|^2 from
    cumulative sums and S2(m) = sum_k x_k . x_{k+m} from the power spectrum of the
    zero-padded series. ``work`` is a (>= ions, 3, n_fft) float64 buffer whose padding
    (beyond the records) is zero.
    """
    n_ions, n_records, _ = chunk.shape
    x = work[:n_ions]
    series = x[:, :, :n_records]
    # float64 copy, time last, relative to each ion's first position: the MSD is translation
    # invariant and small magnitudes keep the rounding of S1 - 2 S2 small
    np.subtract(chunk.transpose(0, 2, 1), chunk[:, :1, :].transpose(0, 2, 1), out=series, dtype=np.float64)
    csum = np.cumsum(np.einsum("nct,nct->nt", series, series), axis=1)
    total = csum[:, -1:]
    prefix = csum[:, lags - 1]  # sum_{k < m}
    suffix = total - csum[:, n_records - lags - 1]  # sum_{k >= T - m}
    s1 = 2.0 * total - prefix - suffix
    n_fft = x.shape[2]
    spectrum = scipy.fft.rfft(x, axis=2, workers=1)
    as_real = spectrum.view(np.float64)
    np.square(as_real, out=as_real)
    power = as_real[:, 0]
    power += as_real[:, 1]
    power += as_real[:, 2]  # (ions, n_fft + 2): |X|^2 summed over components, interleaved
    power = power[:, 0::2] + power[:, 1::2]
    s2 = scipy.fft.irfft(power, n=n_fft, axis=1, workers=1)[:, lags]
    return (s1 - 2.0 * s2) / (n_records - lags)


def msd_samples(
    positions_ang, lag_steps: np.ndarray, dt_ps: float, chunk_ions: int = 64, workers: int = 1
) -> MSDSamples:
    """Per-ion MSD over all time origins at ``lag_steps``, streamed over ions in chunks.

    positions_ang: (ions, records, 3) unwrapped, any array-like that slices along ions
    (a memory-mapped .npy, a transposed view of MD frames). ``workers`` threads each hold one
    chunk at a time (a zero-padded float64 copy and its spectrum: about 80 bytes per
    ion-record of the chunk); the result is the same for any chunking and thread count.
    No BLAS call: thread pools of BLAS libraries would compete with these threads.
    """
    n_ions, n_records, n_dims = positions_ang.shape
    lags = np.asarray(lag_steps, dtype=np.int64)
    if n_dims != 3:
        raise InputError(f"positions must be (ions, records, 3), got {positions_ang.shape}")
    if lags.size == 0 or lags.min() < 1 or lags.max() >= n_records:
        raise InputError(f"lags must lie in 1..{n_records - 1} for a series of {n_records} records")
    chunk_ions = max(1, min(chunk_ions, n_ions))
    # circular correlation of the zero-padded series equals the linear one up to the longest lag
    n_fft = scipy.fft.next_fast_len(n_records + int(lags.max()), real=True)
    out = np.empty((n_ions, lags.size), dtype=np.float64)
    buffers: queue.SimpleQueue = queue.SimpleQueue()
    n_threads = max(1, min(workers, -(-n_ions // chunk_ions)))
    for _ in range(n_threads):
        buffers.put(np.zeros((chunk_ions, 3, n_fft), dtype=np.float64))

    def run(start: int) -> None:
        work = buffers.get()
        try:
            chunk = np.asarray(positions_ang[start : start + chunk_ions])
            out[start : start + chunk_ions] = _chunk_msd(chunk, lags, work)
        finally:
            buffers.put(work)

    with ThreadPoolExecutor(n_threads) as pool:
        for _ in pool.map(run, range(0, n_ions, chunk_ions)):
            pass
    origins = np.broadcast_to(n_records - lags, out.shape).copy()
    return MSDSamples(lag_steps=lags, dt_ps=float(dt_ps), msd_ang2=out, n_origins=origins)


def pool_samples(samples: Sequence[MSDSamples]) -> MSDSamples:
    """Ions of several runs together (each keeps its own origin counts as weights)."""
    first = samples[0]
    for s in samples[1:]:
        if not np.allclose(s.lag_ps, first.lag_ps, rtol=1e-9):
            raise InputError("runs to pool must share their lags in ps (same frame interval and lag grid)")
    return MSDSamples(
        lag_steps=first.lag_steps,
        dt_ps=first.dt_ps,
        msd_ang2=np.concatenate([s.msd_ang2 for s in samples]),
        n_origins=np.concatenate([s.n_origins for s in samples]),
    )


def normalised_weights(samples: MSDSamples) -> np.ndarray:
    """(ions, lags) weight of each ion in the pooled MSD at each lag: its share of the origins."""
    w = samples.n_origins.astype(np.float64)
    return w / w.sum(axis=0, keepdims=True)


def linear_estimate(samples: MSDSamples, coefficients: np.ndarray) -> tuple[float, float]:
    """A quantity linear in the pooled MSD, ``sum_m c_m MSD(m)``, and its standard error over ions.

    The pooled MSD is the origin-weighted mean over ions, so the quantity is a sum of independent
    per-ion contributions; its variance is estimated from their scatter about the pooled value
    (n/(n-1) times the sum of squared residual contributions).
    """
    n = samples.n_ions
    w = normalised_weights(samples)
    pooled = (w * samples.msd_ang2).sum(axis=0)
    estimate = float(pooled @ coefficients)
    residual = (w * (samples.msd_ang2 - pooled)) @ coefficients
    if n < 2:
        return estimate, float("nan")
    return estimate, float(np.sqrt(n / (n - 1) * np.sum(residual**2)))


def msd_curve(samples: MSDSamples) -> MSDCurve:
    """Pooled MSD at each lag with its standard error over ions."""
    n = samples.n_ions
    w = normalised_weights(samples)
    pooled = (w * samples.msd_ang2).sum(axis=0)
    if n < 2:
        err = np.full(pooled.shape, np.nan)
    else:
        err = np.sqrt(n / (n - 1) * np.sum((w * (samples.msd_ang2 - pooled)) ** 2, axis=0))
    return MSDCurve(lag_ps=samples.lag_ps, msd_ang2=pooled, msd_err_ang2=err, n_ions=n)


def write_curve_csv(curve: MSDCurve, path: str | Path) -> None:
    """``lag_ps, msd_ang2, msd_err_ang2`` (the contract's msd CSV), written atomically."""
    frame = pd.DataFrame({"lag_ps": curve.lag_ps, "msd_ang2": curve.msd_ang2, "msd_err_ang2": curve.msd_err_ang2})
    with atomic_write(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.10g")


def read_curve_csv(path: str | Path, n_ions: int = 0) -> MSDCurve:
    frame = pd.read_csv(path)
    missing = {"lag_ps", "msd_ang2", "msd_err_ang2"} - set(frame.columns)
    if missing:
        raise InputError(f"{path}: missing columns {sorted(missing)}")
    return MSDCurve(
        lag_ps=frame["lag_ps"].to_numpy(),
        msd_ang2=frame["msd_ang2"].to_numpy(),
        msd_err_ang2=frame["msd_err_ang2"].to_numpy(),
        n_ions=n_ions,
    )


def save_samples(samples: MSDSamples, path: str | Path) -> None:
    save_npz(
        path,
        lag_steps=samples.lag_steps,
        dt_ps=np.float64(samples.dt_ps),
        msd_ang2=samples.msd_ang2,
        n_origins=samples.n_origins,
    )


def load_samples(path: str | Path) -> MSDSamples:
    with np.load(path) as data:
        return MSDSamples(
            lag_steps=data["lag_steps"],
            dt_ps=float(data["dt_ps"]),
            msd_ang2=data["msd_ang2"],
            n_origins=data["n_origins"],
        )


def md_msd(runs: Mapping[str, IonTracks], plan: LagPlan, n_lags: int, chunk_ions: int, workers: int) -> MSDSamples:
    """Per-ion MSDs of every MD run (all origins within each run), pooled over runs."""
    lags = md_lag_steps(runs, plan, n_lags)
    return pool_samples(
        [msd_samples(ion_major(t), lags, plan.frame_dt_ps, chunk_ions, workers) for t in runs.values()]
    )


def generated_msd(series: GeneratedSeries, plan: LagPlan, n_lags: int, max_lag_fraction: float,
                  chunk_ions: int, workers: int) -> MSDSamples:
    """Per-ion MSDs of the generated series at log-spaced record lags plus the comparison lags."""
    lags = generated_lag_steps(series, plan, n_lags, max_lag_fraction)
    return msd_samples(series.positions_ang, lags, series.record_dt_ps, chunk_ions, workers)
