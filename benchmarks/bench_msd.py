"""MSD of a generated-size series: time and peak anonymous memory, and a check against tidynamics.

Writes a float32 (ions, records, 3) random walk as .npy (default 8,192 x 25,000: 2.5 GB) under
/tmp, reads it once so the page cache is warm, then times ``mdgan.analysis.msd.msd_samples`` on the
memory-mapped file while a thread samples RssAnon from /proc/self/status. tidynamics (all lags,
one ion at a time) runs on a subset of ions; the table gives the speed ratio per ion-record and the
largest relative difference of the two MSDs at the analysis lags. The file is deleted afterwards
unless --keep.

    PYTHONPATH=src python benchmarks/bench_msd.py [--ions 8192] [--records 25000] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import threading
import time
from pathlib import Path

import numpy as np

from mdgan.analysis.lags import log_lags, max_lag_steps
from mdgan.analysis.msd import msd_samples


def rss_anon_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError("no RssAnon in /proc/self/status")


class PeakRss:
    """Samples RssAnon every few milliseconds while the block runs."""

    def __enter__(self):
        self.peak = rss_anon_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_anon_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_anon_mb())


def write_walks(path: Path, n_ions: int, n_records: int, chunk: int = 256, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n_ions, n_records, 3))
    for start in range(0, n_ions, chunk):
        stop = min(start + chunk, n_ions)
        steps = rng.standard_normal((stop - start, n_records, 3), dtype=np.float32) * np.float32(0.05)
        steps[:, 0] = rng.random((stop - start, 3), dtype=np.float32) * np.float32(10.0)
        out[start:stop] = np.cumsum(steps, axis=1)
    out.flush()
    del out


def warm_cache(path: Path) -> None:
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ions", type=int, default=8192)
    parser.add_argument("--records", type=int, default=25000)
    parser.add_argument("--n-lags", type=int, default=100)
    parser.add_argument("--chunk-ions", type=int, default=64)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--subset-ions", type=int, default=32, help="ions for the tidynamics comparison")
    parser.add_argument("--path", type=Path, default=Path("/tmp/bench_msd_positions.npy"))
    parser.add_argument("--keep", action="store_true", help="keep the positions file")
    args = parser.parse_args()

    if not args.path.exists():
        t0 = time.perf_counter()
        write_walks(args.path, args.ions, args.records)
        print(f"wrote {args.path} in {time.perf_counter() - t0:.1f} s")
    try:
        warm_cache(args.path)
        positions = np.load(args.path, mmap_mode="r")
        n_ions, n_records, _ = positions.shape
        file_mb = args.path.stat().st_size / 2**20
        lags = log_lags(max_lag_steps(n_records, 0.5), args.n_lags)

        base_mb = rss_anon_mb()
        load_before = os.getloadavg()[0]
        with PeakRss() as rss:
            t0, c0 = time.perf_counter(), time.process_time()
            ours = msd_samples(positions, lags, 0.004, args.chunk_ions, args.workers)
            ours_s, ours_cpu_s = time.perf_counter() - t0, time.process_time() - c0

        import tidynamics

        subset = np.asarray(positions[: args.subset_ions], dtype=np.float64)
        t0 = time.perf_counter()
        reference = np.array([tidynamics.msd(p)[lags] for p in subset])
        tidy_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        msd_samples(subset, lags, 0.004, args.chunk_ions, args.workers)
        ours_subset_s = time.perf_counter() - t0
        rel = np.max(np.abs(ours.msd_ang2[: args.subset_ions] / reference - 1.0))

        per_ion_record_ours = ours_s / (n_ions * n_records)
        per_ion_record_tidy = tidy_s / (args.subset_ions * n_records)
        rows = [
            ("machine", f"{cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"),
            ("series", f"{n_ions} ions x {n_records} records float32 ({file_mb:.0f} MiB file, page cache warm)"),
            ("lags", f"{lags.size} log-spaced, 1..{lags.max()} records"),
            ("FFT workers / chunk", f"{args.workers} / {args.chunk_ions} ions"),
            ("MSD wall time", f"{ours_s:.1f} s (target <= 15 s)"),
            ("MSD CPU time", f"{ours_cpu_s:.1f} s over {args.workers} threads; load average before {load_before:.1f}"),
            ("peak RssAnon",
             f"{rss.peak:.0f} MiB = {rss.peak / file_mb:.2f} x file (target <= 1.5; before {base_mb:.0f} MiB)"),
            ("throughput", f"{n_ions * n_records / ours_s / 1e6:.1f} M ion-records/s"),
            (f"tidynamics, {args.subset_ions} ions", f"{tidy_s:.2f} s (all lags, float64)"),
            (f"ours, same {args.subset_ions} ions", f"{ours_subset_s:.2f} s"),
            ("speed ratio per ion-record",
             f"{per_ion_record_tidy / per_ion_record_ours:.1f} x (tidynamics time / ours, full run)"),
            ("largest relative difference",
             f"{rel:.1e} (ours vs tidynamics, {args.subset_ions} ions x {lags.size} lags)"),
        ]
        width = max(len(k) for k, _ in rows)
        print(f"| {'quantity'.ljust(width)} | value |")
        print(f"|{'-' * (width + 2)}|-------|")
        for key, value in rows:
            print(f"| {key.ljust(width)} | {value} |")
    finally:
        if not args.keep:
            args.path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
