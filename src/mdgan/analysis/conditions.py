"""The report's table of calculation conditions: MD runs, training data, generation, machine and
wall time of each stage (from Snakemake's ``benchmark:`` files)."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from mdgan.errors import InputError
from mdgan.extract import IonTracks


def file_format_name(run_format: str | None) -> str:
    """The layout of a run's files: SIESTA's (fdf input, no format given), else the ASE format.

    Says nothing of the program that made the forces: files in SIESTA's layout may hold any MD.
    """
    return "SIESTA (fdf + trajectory files)" if run_format is None else f"ASE format {run_format!r}"


def force_method(method: str | None, run: str) -> str:
    """Where a run's forces came from, as the config states it (``runs.<run>.method``)."""
    return method if method else f"not stated (config key runs.{run}.method)"


def machine_description() -> str:
    """Host, CPU model and core count of the machine running this code."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{platform.node()}: {model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def read_benchmarks(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Concatenated Snakemake benchmark tsv files (columns s, max_rss, ...), one row per job."""
    frames = []
    for path in paths:
        frame = pd.read_csv(path, sep="\t")
        if "s" not in frame:
            raise InputError(f"{path}: not a Snakemake benchmark file (no column 's')")
        frames.append(frame.assign(file=str(path)))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["s", "max_rss", "file"])


def _fmt(value, digits: int = 4) -> str:
    if isinstance(value, (float, np.floating)):
        return "n/a" if not np.isfinite(value) else f"{value:.{digits}g}"
    return str(value)


def conditions_table(
    runs: Mapping[str, IonTracks],
    run_formats: Mapping[str, str | None],
    run_methods: Mapping[str, str | None],
    standardization: Mapping,
    generation_meta: Mapping,
    stage_benchmarks: Mapping[str, Sequence[str | Path]],
    charge_e: float,
) -> pd.DataFrame:
    """Rows (section, quantity, value) describing how every number of the report was made.

    run_formats and run_methods: per run, the config's ``format`` and ``method`` (None where unset).
    """
    rows: list[tuple[str, str, str]] = []
    for name, tracks in runs.items():
        section = f"MD run {name}"
        duration_ps = tracks.n_frames * tracks.frame_dt_fs / 1000.0
        rows += [
            (section, "forces (method)", force_method(run_methods.get(name), name)),
            (section, "file format", file_format_name(run_formats.get(name))),
            (section, "source", tracks.source),
            (section, "steps (frames)", _fmt(tracks.n_frames)),
            (section, "time step between frames (fs)", _fmt(tracks.frame_dt_fs)),
            (section, "duration (ps)", _fmt(duration_ps)),
            (section, "temperature (K)", _fmt(np.nan if tracks.temperature_k is None else tracks.temperature_k)),
            (section, f"{tracks.species} ions", _fmt(tracks.n_ions)),
        ]
    n_in = sum(t.n_ions for t in runs.values())
    species = next(iter(runs.values())).species
    window_ps = standardization["window_records"] * standardization["record_dt_ps"]
    rows += [
        ("Training data", "species (charge, e)", f"{species} ({_fmt(charge_e)})"),
        ("Training data", "input trajectories", f"{n_in} ({len(runs)} runs)"),
        ("Training data", "step skip (frames per record)", _fmt(standardization["step_skip"])),
        ("Training data", "record interval (ps)", _fmt(standardization["record_dt_ps"])),
        ("Training data", "window (records / ps)", f"{standardization['window_records']} / {_fmt(window_ps)}"),
        ("Training data", "windows", _fmt(standardization.get("n_windows", "n/a"))),
    ]
    meta = generation_meta
    n_records = meta.get("n_records")
    record_dt = meta.get("record_dt_ps")
    duration = float(n_records) * float(record_dt) if n_records and record_dt else np.nan
    rows += [
        ("Generation", "generated trajectories", _fmt(meta.get("n_ions", "n/a"))),
        ("Generation", "replicate generators (ions each)",
         ", ".join(f"{r['ions'][1] - r['ions'][0]}" for r in meta["replicas"]) if "replicas" in meta else "n/a"),
        ("Generation", "steps (frames)", _fmt(meta.get("n_steps", "n/a"))),
        ("Generation", "records", _fmt(n_records if n_records is not None else "n/a")),
        ("Generation", "duration (ps)", _fmt(duration)),
        ("Generation", "checkpoints (training iterations)", _fmt(meta.get("checkpoints", "n/a"))),
        ("Generation", "seed", _fmt(meta.get("seed", "n/a"))),
        ("Generation", "device", _fmt(meta.get("device", "n/a"))),
        ("Generation", "wall time (s)", _fmt(float(meta["wall_time_s"])) if "wall_time_s" in meta else "n/a"),
    ]
    rows.append(("Machine", "this report built on", machine_description()))
    for stage, paths in stage_benchmarks.items():
        bench = read_benchmarks(paths)
        if bench.empty:
            continue
        jobs = len(bench)
        rss = pd.to_numeric(bench.get("max_rss"), errors="coerce").max() if "max_rss" in bench else np.nan
        value = f"{_fmt(float(bench['s'].sum()))} s in {jobs} job{'s' if jobs > 1 else ''}"
        if np.isfinite(rss):
            value += f", peak RSS {_fmt(float(rss))} MB"
        rows.append(("Wall time per stage", stage, value))
    return pd.DataFrame(rows, columns=["section", "quantity", "value"])
