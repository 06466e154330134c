"""Mean squared displacement over all ions and all time origins, by FFT, streamed over ions; isotropic
and along three axes.

Every ion's time-averaged MSD (over all its origins, or over the origins in one time block) is one
sampling unit; units belong to independent groups (``group``) and the error of anything linear in the
pooled MSD (the MSD at one lag, a fitted slope) is the delete-one-group jackknife error
(``mdgan.analysis.uncertainty``). It carries the correlation between lags, between overlapping origins
and between the units of one group. Generated ions are independent: each is its own group ("ions").
MD ions of one run share the framework's history: the groups are whole runs ("runs (jackknife, N
runs)") or time blocks of the runs ("time blocks (jackknife, N blocks)"), chosen by
:func:`md_msd`.

Per axis: positions are projected on the orthonormal frame of ``mdgan.analysis.axes``; each unit's MSD
along the three axes is kept, their sum is the isotropic MSD.
"""

from __future__ import annotations

import dataclasses
import queue
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.fft

from mdgan.analysis.axes import CARTESIAN_AXES, common_frame
from mdgan.analysis.lags import LagPlan, generated_lag_steps, md_lag_steps
from mdgan.analysis.series import GeneratedSeries, ion_major
from mdgan.analysis.uncertainty import group_totals, linear_with_error, pooled_with_error
from mdgan.atomic_io import atomic_write, save_npz
from mdgan.errors import InputError
from mdgan.extract import IonTracks

OVER_IONS = "ions"
OVER_REPLICAS = "replicate models"


@dataclass(frozen=True)
class MSDSamples:
    """Time-averaged MSD of sampling units (ions, or time blocks of ions) at chosen lags.

    lag_steps: (lags,) int lags in steps of ``dt_ps``.
    msd_ang2: (units, lags) mean over the unit's origins, Angstrom^2 (0 where it has none).
    n_origins: (units, lags) origins behind each value (the weight when pooling).
    msd_axes_ang2: (units, lags, 3) the same along each of ``axes`` (their sum is msd_ang2), or None.
    axes: names of the three axes (``mdgan.analysis.axes``).
    group: (units,) int labels of the independent groups the error is taken over; None: each unit.
    err_over: what the error covers, in words ("ions", "runs (jackknife, 3 runs)", ...).
    """

    lag_steps: np.ndarray
    dt_ps: float
    msd_ang2: np.ndarray
    n_origins: np.ndarray
    msd_axes_ang2: np.ndarray | None = None
    axes: tuple[str, ...] = CARTESIAN_AXES
    group: np.ndarray | None = None
    err_over: str = OVER_IONS

    @property
    def lag_ps(self) -> np.ndarray:
        return self.lag_steps * self.dt_ps

    @property
    def n_ions(self) -> int:
        """Sampling units (rows): ions, or ions x time blocks."""
        return self.msd_ang2.shape[0]

    def at_lags(self, keep: np.ndarray) -> "MSDSamples":
        """The samples at the lags where the boolean ``keep`` (lags,) is true."""
        axes = None if self.msd_axes_ang2 is None else self.msd_axes_ang2[:, keep]
        return dataclasses.replace(self, lag_steps=self.lag_steps[keep], msd_ang2=self.msd_ang2[:, keep],
                                   n_origins=self.n_origins[:, keep], msd_axes_ang2=axes)

    def along(self, axis: int) -> "MSDSamples":
        """The 1D MSD along axis ``axis`` (0, 1, 2) as the samples' msd_ang2 (its D is slope / 2)."""
        if self.msd_axes_ang2 is None:
            raise InputError("these MSD samples hold no per-axis MSD")
        return dataclasses.replace(self, msd_ang2=self.msd_axes_ang2[:, :, axis], msd_axes_ang2=None,
                                   axes=(self.axes[axis],))


@dataclass(frozen=True)
class MSDCurve:
    """Pooled MSD: lag_ps, msd_ang2 and its 1-sigma error msd_err_ang2, all (lags,); the same along
    each of ``axes`` in msd_axes_ang2, msd_axes_err_ang2 (lags, axes); err_over: what the error covers."""

    lag_ps: np.ndarray
    msd_ang2: np.ndarray
    msd_err_ang2: np.ndarray
    n_ions: int
    axes: tuple[str, ...] = ()
    msd_axes_ang2: np.ndarray | None = None
    msd_axes_err_ang2: np.ndarray | None = None
    err_over: str = OVER_IONS


def block_edges(n_records: int, longest_lag: int, n_blocks: int) -> np.ndarray:
    """(n_blocks + 1,) origin indices cutting the origins of a series into consecutive blocks.

    The origins that reach the longest lag (0 .. n_records - longest_lag - 1) are cut into equal
    blocks; the later origins, which serve shorter lags only, join the last block. Every block thus
    holds origins at every lag.
    """
    reaching = n_records - longest_lag
    if reaching < n_blocks:
        raise InputError(
            f"{n_blocks} time blocks need at least as many origins at the longest lag ({longest_lag} of "
            f"{n_records} records leaves {reaching})"
        )
    edges = np.linspace(0, reaching, n_blocks + 1).round().astype(np.int64)
    edges[-1] = n_records
    return edges


def _chunk_sums(chunk: np.ndarray, frame: np.ndarray, lags: np.ndarray, edges: np.ndarray,
                work: np.ndarray) -> np.ndarray:
    """Sums over the origins k of each block of (x_{k+m} - x_k)^2 along each axis: (ions, blocks, lags, 3).

    With P the cumulative sum of x^2, sum_k x_k^2 + x_{k+m}^2 over the block's origins comes from P;
    sum_k x_k x_{k+m} is the correlation of the block's part of the series with the whole zero-padded
    series, from their spectra. ``work`` is a (>= ions, 3, n_fft) float64 buffer whose padding (beyond
    the records) is zero; ``frame`` (3, 3) rows the unit axis vectors.
    """
    n_ions, n_records, _ = chunk.shape
    x = work[:n_ions]
    series = x[:, :, :n_records]
    # float64, time last, relative to each ion's first position: the MSD is translation invariant
    # and small magnitudes keep the rounding of S1 - 2 S2 small
    np.subtract(chunk.transpose(0, 2, 1), chunk[:, :1, :].transpose(0, 2, 1), out=series, dtype=np.float64)
    if not np.array_equal(frame, np.eye(3)):
        series[...] = np.einsum("kc,nct->nkt", frame, series)
    cumulative = np.zeros((n_ions, 3, n_records + 1))
    np.square(series, out=cumulative[:, :, 1:])
    np.cumsum(cumulative[:, :, 1:], axis=2, out=cumulative[:, :, 1:])
    n_fft = x.shape[2]
    spectrum = scipy.fft.rfft(x, axis=2, workers=1)
    out = np.empty((n_ions, edges.size - 1, lags.size, 3))
    for b, (first, stop) in enumerate(zip(edges[:-1], edges[1:])):
        end = np.clip(np.minimum(stop, n_records - lags), first, None)
        s1 = (cumulative[:, :, end] - cumulative[:, :, [first]] + cumulative[:, :, end + lags]
              - cumulative[:, :, first + lags])
        if first == 0 and stop == n_records:  # one block: |X|^2 in place, as complex (no conversion)
            as_real = spectrum.view(np.float64)
            np.square(as_real, out=as_real)
            as_real[..., 0::2] += as_real[..., 1::2]
            as_real[..., 1::2] = 0.0
            cross = spectrum
        else:
            part = np.zeros_like(x)
            part[:, :, first:stop] = series[:, :, first:stop]
            cross = np.conj(scipy.fft.rfft(part, axis=2, workers=1)) * spectrum
        s2 = scipy.fft.irfft(cross, n=n_fft, axis=2, workers=1, overwrite_x=True)[:, :, lags]
        out[:, b] = (s1 - 2.0 * s2).transpose(0, 2, 1)
    return out


def msd_samples(
    positions_ang, lag_steps: np.ndarray, dt_ps: float, chunk_ions: int = 64, workers: int = 1,
    frame: np.ndarray | None = None, axes: tuple[str, ...] = CARTESIAN_AXES, n_blocks: int = 1,
) -> MSDSamples:
    """Per-ion MSD over all time origins at ``lag_steps``, isotropic and along three axes, streamed
    over ions in chunks.

    positions_ang: (ions, records, 3) unwrapped, any array-like that slices along ions (a
    memory-mapped .npy, a transposed view of MD frames). frame: (3, 3) rows the orthonormal axis
    vectors named ``axes`` (None: Cartesian x, y, z). n_blocks > 1 cuts the origins into that many
    time blocks (``block_edges``): the units are then (ion, block) pairs, ion-major, each block its own
    group ("time blocks"). ``workers`` threads each hold one chunk at a time (a zero-padded float64 copy
    and its spectrum: about 150 bytes per ion-record of the chunk); the result is the same for any
    chunking and thread count. No BLAS call: thread pools of BLAS libraries would compete.
    """
    n_ions, n_records, n_dims = positions_ang.shape
    lags = np.asarray(lag_steps, dtype=np.int64)
    if n_dims != 3:
        raise InputError(f"positions must be (ions, records, 3), got {positions_ang.shape}")
    if lags.size == 0 or lags.min() < 1 or lags.max() >= n_records:
        raise InputError(f"lags must lie in 1..{n_records - 1} for a series of {n_records} records")
    frame = np.eye(3) if frame is None else np.asarray(frame, dtype=np.float64)
    edges = block_edges(n_records, int(lags.max()), n_blocks)
    chunk_ions = max(1, min(chunk_ions, n_ions))
    # circular correlation of the zero-padded series equals the linear one up to the longest lag
    n_fft = scipy.fft.next_fast_len(n_records + int(lags.max()), real=True)
    sums = np.empty((n_ions, n_blocks, lags.size, 3), dtype=np.float64)
    buffers: queue.SimpleQueue = queue.SimpleQueue()
    n_threads = max(1, min(workers, -(-n_ions // chunk_ions)))
    for _ in range(n_threads):
        buffers.put(np.zeros((chunk_ions, 3, n_fft), dtype=np.float64))

    def run(start: int) -> None:
        work = buffers.get()
        try:
            chunk = np.asarray(positions_ang[start : start + chunk_ions])
            sums[start : start + chunk_ions] = _chunk_sums(chunk, frame, lags, edges, work)
        finally:
            buffers.put(work)

    with ThreadPoolExecutor(n_threads) as pool:
        for _ in pool.map(run, range(0, n_ions, chunk_ions)):
            pass
    ends = np.minimum(edges[1:, None], n_records - lags[None, :])
    counts = np.clip(ends - edges[:-1, None], 0, None)  # (blocks, lags)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_axis = np.where(counts[None, :, :, None] > 0, sums / counts[None, :, :, None], 0.0)
    per_axis = per_axis.reshape(n_ions * n_blocks, lags.size, 3)
    blocked = n_blocks > 1
    return MSDSamples(
        lag_steps=lags, dt_ps=float(dt_ps), msd_ang2=per_axis.sum(axis=2),
        n_origins=np.tile(counts, (n_ions, 1)), msd_axes_ang2=per_axis, axes=tuple(axes),
        group=np.tile(np.arange(n_blocks), n_ions) if blocked else None,
        err_over=f"time blocks (jackknife, {n_blocks} blocks)" if blocked else OVER_IONS,
    )


def _group_labels(s: MSDSamples) -> np.ndarray:
    return np.arange(s.n_ions) if s.group is None else s.group


def pool_samples(samples: Sequence[MSDSamples], group_by_run: bool = False) -> MSDSamples:
    """Units of several runs together (each keeps its own origin counts as weights).

    The runs' groups stay apart (run 2's blocks or ions are not run 1's); ``group_by_run`` makes each
    run one group instead ("runs (jackknife, N runs)").
    """
    first = samples[0]
    for s in samples[1:]:
        if not np.allclose(s.lag_ps, first.lag_ps, rtol=1e-9):
            raise InputError("runs to pool must share their lags in ps (same frame interval and lag grid)")
        if s.axes != first.axes:
            raise InputError(f"runs to pool must share their axes, got {first.axes} and {s.axes}")
    with_axes = all(s.msd_axes_ang2 is not None for s in samples)
    if group_by_run:
        group = np.concatenate([np.full(s.n_ions, r) for r, s in enumerate(samples)])
        err_over = f"runs (jackknife, {len(samples)} runs)"
    else:
        offsets = np.cumsum([0] + [int(_group_labels(s).max()) + 1 for s in samples[:-1]])
        group = np.concatenate([_group_labels(s) + o for s, o in zip(samples, offsets)])
        blocks = sum(int(_group_labels(s).max()) + 1 for s in samples)
        err_over = first.err_over if first.group is None else f"time blocks (jackknife, {blocks} blocks)"
    return MSDSamples(
        lag_steps=first.lag_steps,
        dt_ps=first.dt_ps,
        msd_ang2=np.concatenate([s.msd_ang2 for s in samples]),
        n_origins=np.concatenate([s.n_origins for s in samples]),
        msd_axes_ang2=np.concatenate([s.msd_axes_ang2 for s in samples]) if with_axes else None,
        axes=first.axes,
        group=None if first.group is None and not group_by_run else group,
        err_over=err_over,
    )


def _totals(samples: MSDSamples) -> tuple[np.ndarray, np.ndarray]:
    return group_totals(samples.msd_ang2, samples.n_origins, samples.group)


def linear_estimate(samples: MSDSamples, coefficients: np.ndarray) -> tuple[float, float]:
    """A quantity linear in the pooled MSD, ``sum_m c_m MSD(m)``, and its 1-sigma error over the
    samples' groups (``mdgan.analysis.uncertainty.linear_with_error``)."""
    return linear_with_error(*_totals(samples), np.asarray(coefficients, dtype=np.float64))


def _pooled(samples: MSDSamples) -> tuple[np.ndarray, np.ndarray]:
    return pooled_with_error(*_totals(samples))


def msd_curve(samples: MSDSamples) -> MSDCurve:
    """Pooled MSD at each lag with its 1-sigma error over the samples' groups, isotropic and per axis."""
    pooled, err = _pooled(samples)
    axes_msd = axes_err = None
    if samples.msd_axes_ang2 is not None:
        per_axis = [_pooled(samples.along(k)) for k in range(len(samples.axes))]
        axes_msd = np.stack([p for p, _ in per_axis], axis=1)
        axes_err = np.stack([e for _, e in per_axis], axis=1)
    return MSDCurve(lag_ps=samples.lag_ps, msd_ang2=pooled, msd_err_ang2=err, n_ions=samples.n_ions,
                    axes=samples.axes if axes_msd is not None else (), msd_axes_ang2=axes_msd,
                    msd_axes_err_ang2=axes_err, err_over=samples.err_over)


def write_curve_csv(curve: MSDCurve, path: str | Path) -> None:
    """``lag_ps, msd_ang2, msd_err_ang2`` (the contract's msd CSV), then ``msd_<axis>_ang2,
    msd_<axis>_err_ang2`` for each axis and ``err_over`` (what the errors cover), written atomically."""
    columns = {"lag_ps": curve.lag_ps, "msd_ang2": curve.msd_ang2, "msd_err_ang2": curve.msd_err_ang2}
    for k, name in enumerate(curve.axes):
        columns[f"msd_{name}_ang2"] = curve.msd_axes_ang2[:, k]
        columns[f"msd_{name}_err_ang2"] = curve.msd_axes_err_ang2[:, k]
    columns["err_over"] = curve.err_over
    with atomic_write(path) as tmp:
        pd.DataFrame(columns).to_csv(tmp, index=False, float_format="%.10g")


def read_curve_csv(path: str | Path, n_ions: int = 0) -> MSDCurve:
    """An MSD CSV as written by ``write_curve_csv`` (the per-axis columns where present)."""
    frame = pd.read_csv(path)
    missing = {"lag_ps", "msd_ang2", "msd_err_ang2"} - set(frame.columns)
    if missing:
        raise InputError(f"{path}: missing columns {sorted(missing)}")
    axes = tuple(c[len("msd_"):-len("_err_ang2")] for c in frame.columns
                 if c.startswith("msd_") and c.endswith("_err_ang2") and c != "msd_err_ang2")
    return MSDCurve(
        lag_ps=frame["lag_ps"].to_numpy(),
        msd_ang2=frame["msd_ang2"].to_numpy(),
        msd_err_ang2=frame["msd_err_ang2"].to_numpy(),
        n_ions=n_ions,
        axes=axes,
        msd_axes_ang2=np.stack([frame[f"msd_{a}_ang2"] for a in axes], axis=1) if axes else None,
        msd_axes_err_ang2=np.stack([frame[f"msd_{a}_err_ang2"] for a in axes], axis=1) if axes else None,
        err_over=str(frame["err_over"].iloc[0]) if "err_over" in frame else OVER_IONS,
    )


def save_samples(samples: MSDSamples, path: str | Path) -> None:
    """Everything ``load_samples`` needs to rebuild the samples (npz, written atomically)."""
    optional = {} if samples.msd_axes_ang2 is None else {"msd_axes_ang2": samples.msd_axes_ang2}
    if samples.group is not None:
        optional["group"] = samples.group
    save_npz(
        path,
        lag_steps=samples.lag_steps,
        dt_ps=np.float64(samples.dt_ps),
        msd_ang2=samples.msd_ang2,
        n_origins=samples.n_origins,
        axes=np.array(samples.axes),
        err_over=np.array(samples.err_over),
        **optional,
    )


def load_samples(path: str | Path) -> MSDSamples:
    with np.load(path) as data:
        return MSDSamples(
            lag_steps=data["lag_steps"],
            dt_ps=float(data["dt_ps"]),
            msd_ang2=data["msd_ang2"],
            n_origins=data["n_origins"],
            msd_axes_ang2=data["msd_axes_ang2"] if "msd_axes_ang2" in data else None,
            axes=tuple(str(a) for a in data["axes"]),
            group=data["group"] if "group" in data else None,
            err_over=str(data["err_over"]),
        )


MIN_RUNS_FOR_JACKKNIFE = 3


def md_msd(runs: Mapping[str, IonTracks], plan: LagPlan, n_lags: int, chunk_ions: int, workers: int,
           time_blocks: int) -> MSDSamples:
    """Per-ion MSDs of every MD run (all origins within each run), isotropic and along the cell's axes
    (``mdgan.analysis.axes``), pooled over runs.

    Ions of one run share the framework's history, so the error is a jackknife over runs where there
    are at least ``MIN_RUNS_FOR_JACKKNIFE``, else over ``time_blocks`` time blocks of every run.
    """
    lags = md_lag_steps(runs, plan, n_lags)
    frame, axes = common_frame([t.cell_ang for t in runs.values()])
    by_run = len(runs) >= MIN_RUNS_FOR_JACKKNIFE
    return pool_samples(
        [msd_samples(ion_major(t), lags, plan.frame_dt_ps, chunk_ions, workers, frame, axes,
                     1 if by_run else time_blocks) for t in runs.values()],
        group_by_run=by_run,
    )


def generated_msd(series: GeneratedSeries, plan: LagPlan, n_lags: int, max_lag_fraction: float,
                  chunk_ions: int, workers: int, md_cells_ang: list[np.ndarray]) -> MSDSamples:
    """Per-ion MSDs of the generated series at log-spaced record lags plus the comparison lags, along
    the MD cells' axes. The error is over ions, or over replicate models where the series holds two or
    more (``meta["replicas"]``, :func:`by_replica`)."""
    lags = generated_lag_steps(series, plan, n_lags, max_lag_fraction)
    frame, axes = common_frame(md_cells_ang)
    samples = msd_samples(series.positions_ang, lags, series.record_dt_ps, chunk_ions, workers, frame, axes)
    return by_replica(samples, series.replica_ions)


def by_replica(samples: MSDSamples, replica_ions: Sequence[tuple[int, int]]) -> MSDSamples:
    """Generated samples whose groups are the replicate models ([first, stop) ions each): the error
    then covers another training seed giving another generator, not only the sampling of ions. With
    fewer than two replicas, the samples as they are (error over ions)."""
    if len(replica_ions) < 2:
        return samples
    group = np.full(samples.n_ions, -1)
    for r, (first, stop) in enumerate(replica_ions):
        group[first:stop] = r
    if np.any(group < 0):
        raise InputError(f"replica ion ranges {list(replica_ions)} do not cover the {samples.n_ions} generated ions")
    return dataclasses.replace(samples, group=group,
                               err_over=f"{OVER_REPLICAS} (jackknife, {len(replica_ions)} replicas)")


def replica_samples(samples: MSDSamples) -> list[MSDSamples]:
    """Each replicate model's ions of :func:`by_replica` samples, with the error over its ions; empty
    for samples not grouped by replica."""
    if not samples.err_over.startswith(OVER_REPLICAS):
        return []
    parts = []
    for r in np.unique(samples.group):
        keep = samples.group == r
        axes = None if samples.msd_axes_ang2 is None else samples.msd_axes_ang2[keep]
        parts.append(dataclasses.replace(samples, msd_ang2=samples.msd_ang2[keep], n_origins=samples.n_origins[keep],
                                         msd_axes_ang2=axes, group=None, err_over=OVER_IONS))
    return parts
