"""MD-GAN speed and memory: training iterations/s and generated ion-records/s for the default and full
model sizes, and peak anonymous memory (RssAnon) of generation.

    PYTHONPATH=src python benchmarks/bench_model.py [--threads 2] [--quick]

Sizes come from config/config.yaml (default) and config/full.yaml (full). Training runs on synthetic
windows shaped like the default workflow's (12,300 windows of 128 records); generation uses untrained
networks (speed does not depend on the weights) and writes to a temporary directory. Each generation
case runs in a fresh process that samples its own RssAnon (which excludes the memory-mapped output).
Rates are given per wall-clock second and per CPU second of the process (all its threads): on a
shared machine the first depends on the other load, the second much less.
"""

from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the workflow's scripts, before torch loads OpenMP

import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from mdgan.model.generation import generate_positions
from mdgan.model.networks import build_networks
from mdgan.model.settings import GenerationSettings, ModelSettings, TrainingSettings, settings_from_dict
from mdgan.model.training import train

REPO = Path(__file__).parents[1]
STATS = {"mean_ang": [0.0, 0.0, 0.0], "std_ang": [0.017, 0.017, 0.017], "step_skip": 2, "record_dt_ps": 0.04,
         "window_records": 128}


def sizes(name: str) -> tuple[ModelSettings, TrainingSettings, GenerationSettings]:
    """Model, training and generation settings of config/config.yaml, overlaid by config/full.yaml for 'full'."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    if name == "full":
        for key, section in yaml.safe_load((REPO / "config" / "full.yaml").read_text()).items():
            if isinstance(section, dict):
                config.setdefault(key, {}).update(section)
    return (settings_from_dict(ModelSettings, config.get("model")),
            settings_from_dict(TrainingSettings, config.get("training")),
            settings_from_dict(GenerationSettings, config.get("generation")))


LEVERS = {  # levers off by default (model or training keys)
    "van Hove matching (weight 30)": {"match_van_hove_weight": 30.0},
    "cross-axis matching (weight 30)": {"match_cross_axis_weight": 30.0},
    "log van Hove matching (weight 30)": {"match_van_hove_log_weight": 30.0},
    "latent renewal (8 windows)": {"renewal_windows": 8.0},
    "one latent chain per axis": {"axis_chains": True},
    "one chain per axis with segment feedback": {"axis_chains": True, "segment_feedback": True},
    "one chain per axis, net displacement from the latent": {"axis_chains": True, "net_displacement_from_latent": True},
    "one chain per axis, site and hops": {"axis_chains": True, "site_hops": True},
    "one chain per axis, site and hops, hop memory": {"axis_chains": True, "site_hops": True, "hop_memory": True},
    "the same, x and y chains shared": {"axis_chains": True, "site_hops": True, "hop_memory": True,
                                        "shared_axes": "xy"},
    "generator weight average (decay 0.99)": {"generator_ema": 0.99},
}


def training_rate(name: str, n_short: int, n_long: int, **changes) -> tuple[float, float]:
    """Iterations per wall-clock second and per CPU second (all threads), from the difference of two
    fresh runs (removes set-up and warm-up); ``changes`` to the size's model or training settings."""
    model, training, _ = sizes(name)
    model = ModelSettings(**{**model.__dict__, **{k: v for k, v in changes.items() if hasattr(model, k)}})
    training = TrainingSettings(**{**training.__dict__, **{k: v for k, v in changes.items() if hasattr(training, k)}})
    windows = np.random.default_rng(0).normal(size=(12_300, 128, 3)).astype(np.float32)
    track = 128 * training.match_windows  # consecutive windows as the whole series, for statistic matching
    n_tracks = windows.shape[0] * 128 // track
    series = (windows.reshape(-1, 3)[: n_tracks * track], np.full(n_tracks, track))
    wall, cpu = [], []
    for n in (n_short, n_long):
        t = TrainingSettings(**{**training.__dict__, "iterations": n, "checkpoint_every": 10**9, "log_every": 10**9})
        with tempfile.TemporaryDirectory() as state_dir:
            w0, c0 = time.perf_counter(), time.process_time()
            train(windows, STATS, model, t, state_dir, torch.device("cpu"), progress=False, series=series)
            wall.append(time.perf_counter() - w0)
            cpu.append(time.process_time() - c0)
    return (n_long - n_short) / (wall[1] - wall[0]), (n_long - n_short) / (cpu[1] - cpu[0])


def rss_anon_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
    raise RuntimeError("no RssAnon in /proc/self/status")


def generation_case(name: str, n_ions: int, n_records: int) -> dict:
    """Generate n_ions x n_records (step skip 2) in this process; seconds and peak RssAnon (MB)."""
    model, _, generation = sizes(name)
    torch.manual_seed(0)
    generator = build_networks(model, STATS["window_records"])[0].eval()
    settings = GenerationSettings(**{**generation.__dict__, "n_ions": n_ions, "n_steps": 2 * n_records})
    peak = [rss_anon_kb()]
    running = True

    def sample():
        while running:
            peak[0] = max(peak[0], rss_anon_kb())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with tempfile.TemporaryDirectory(dir=REPO / "benchmarks") as out:
        w0, c0 = time.perf_counter(), time.process_time()
        generate_positions([generator], STATS, np.zeros((n_ions, 3)), settings, Path(out) / "positions.npy",
                           torch.device("cpu"), progress=False)
        seconds, cpu_seconds = time.perf_counter() - w0, time.process_time() - c0
    running = False
    sampler.join()
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "peak_rss_anon_mb": peak[0] / 1024}


def run_case(name: str, n_ions: int, n_records: int, threads: int) -> dict:
    """One generation case in a fresh process, so its peak memory is its own."""
    cmd = [sys.executable, __file__, "--case", name, str(n_ions), str(n_records), "--threads", str(threads)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="fewer iterations and records (a smoke run)")
    parser.add_argument("--case", nargs=3, metavar=("SIZE", "IONS", "RECORDS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.case:
        print(json.dumps(generation_case(args.case[0], int(args.case[1]), int(args.case[2]))))
        return

    q = args.quick
    rows = []
    for name, (n_short, n_long) in {"default": (3, 10 if q else 40), "full": (1, 2 if q else 3)}.items():
        per_wall_s, per_cpu_s = training_rate(name, n_short, n_long)
        rows.append((f"training, {name} size", f"{per_wall_s:.2f} it/s", f"{per_cpu_s:.2f} it/s", ""))
    for lever, changes in LEVERS.items():
        per_wall_s, per_cpu_s = training_rate("default", 3, 10 if q else 40, **changes)
        rows.append((f"training, default size, {lever}", f"{per_wall_s:.2f} it/s", f"{per_cpu_s:.2f} it/s", ""))
    cases = [("default", 8192, 12_500), ("default", 8192, 25_000), ("full", 512, 2_048)]
    if q:
        cases = [("default", 1024, 2_048), ("full", 128, 512)]
    for name, n_ions, n_records in cases:
        r = run_case(name, n_ions, n_records, args.threads)
        rows.append((f"generation, {name} size, {n_ions} ions x {n_records} records",
                     f"{n_ions * n_records / r['seconds'] / 1e6:.2f} M ion-records/s ({r['seconds']:.0f} s)",
                     f"{n_ions * n_records / r['cpu_seconds'] / 1e6:.2f} M ion-records/s ({r['cpu_seconds']:.0f} s)",
                     f"{r['peak_rss_anon_mb']:.0f} MB"))
    header = ("case", "per wall-clock second", "per CPU second (all threads)", "peak RssAnon")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{args.threads} threads, torch {torch.__version__}, load average at the end {load} (shared machine)")
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))


if __name__ == "__main__":
    main()
