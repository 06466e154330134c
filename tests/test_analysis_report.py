"""The report's table of calculation conditions, and the analysis rules building the report."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mdgan.analysis.conditions import conditions_table, read_benchmarks
from mdgan.atomic_io import save_json
from mdgan.errors import InputError
from mdgan.extract import IonTracks, save_tracks

REPO = Path(__file__).resolve().parents[1]
BENCH_HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def fake_tracks(seed, n_frames=300, n_ions=6, source="run.fdf"):
    rng = np.random.default_rng(seed)
    cell = np.diag([8.0, 8.0, 12.0])
    start = rng.random((n_ions, 3)) @ cell
    positions = start + np.cumsum(rng.normal(scale=0.1, size=(n_frames, n_ions, 3)), axis=0)
    return IonTracks(positions_ang=positions, time_ps=np.arange(1, n_frames + 1) * 0.02,
                     cell_ang=np.repeat(cell[None], n_frames, 0), frame_dt_fs=20.0, temperature_k=600.0,
                     species="Li", source=source)


def write_bench(path, seconds, rss):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BENCH_HEADER + f"{seconds}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t50\t1\n")


STANDARDIZATION = {"mean_ang": [0.0] * 3, "std_ang": [0.1] * 3, "record_dt_ps": 0.04, "step_skip": 2,
                   "window_records": 32, "n_windows": 123}
META = {"n_ions": 64, "n_steps": 2000, "n_records": 1000, "record_dt_ps": 0.04, "seed": 7, "wall_time_s": 3.5,
        "device": "cuda:0 (NVIDIA T1000)",
        "replicas": [{"replica": 0, "checkpoints": [2000], "ions": [0, 32]},
                     {"replica": 1, "checkpoints": [2000], "ions": [32, 64]}]}


def test_conditions_table_lists_runs_training_generation_and_stage_times(tmp_path):
    runs = {"a": fake_tracks(0, source="a/x.fdf"), "b": fake_tracks(1, source="b/x.traj")}
    write_bench(tmp_path / "parse/a.tsv", 2.5, 100.0)
    write_bench(tmp_path / "parse/b.tsv", 1.5, 300.0)
    write_bench(tmp_path / "train.tsv", 3600, 2048.0)
    stages = {"parse MD runs": [tmp_path / "parse/a.tsv", tmp_path / "parse/b.tsv"],
              "train MD-GAN": [tmp_path / "train.tsv"]}
    methods = {"a": "CHGNet 0.3.0 universal potential (stand-in for SIESTA DFT)", "b": None}
    table = conditions_table(runs, {"a": None, "b": "traj"}, methods, STANDARDIZATION, META, stages, charge_e=1)
    value = dict(zip(zip(table.section, table.quantity), table.value))
    # the force method as the config wrote it, never inferred from the file format
    assert value[("MD run a", "forces (method)")] == "CHGNet 0.3.0 universal potential (stand-in for SIESTA DFT)"
    assert value[("MD run b", "forces (method)")] == "not stated (config key runs.b.method)"
    assert value[("MD run a", "file format")] == "SIESTA (fdf + trajectory files)"
    assert value[("MD run b", "file format")] == "ASE format 'traj'"
    assert value[("MD run a", "steps (frames)")] == "300"
    assert value[("MD run a", "time step between frames (fs)")] == "20"
    assert value[("MD run a", "temperature (K)")] == "600"
    assert value[("Training data", "input trajectories")] == "12 (2 runs)"
    assert value[("Training data", "window (records / ps)")] == "32 / 1.28"
    assert value[("Generation", "generated trajectories")] == "64"
    assert value[("Generation", "duration (ps)")] == "40"
    assert value[("Generation", "device")] == "cuda:0 (NVIDIA T1000)"
    assert value[("Generation", "replicate generators (ions each)")] == "32, 32"
    assert value[("Wall time per stage", "parse MD runs")] == "4 s in 2 jobs, peak RSS 300 MB"
    assert value[("Wall time per stage", "train MD-GAN")] == "3600 s in 1 job, peak RSS 2048 MB"
    assert ("Machine", "this report built on") in value


def test_benchmark_files_are_checked(tmp_path):
    (tmp_path / "bad.tsv").write_text("x\ty\n1\t2\n")
    with pytest.raises(InputError, match="bad.tsv"):
        read_benchmarks([tmp_path / "bad.tsv"])


def analysis_rules():
    names = []
    for name in ("analysis.smk", "report.smk"):
        names += re.findall(r"^rule (\w+):", (REPO / "workflow/rules" / name).read_text(), flags=re.M)
    return names


@pytest.mark.slow
def test_analysis_rules_build_every_output_and_the_report_names_every_figure(tmp_path):
    """The analysis and report rules on stand-in upstream files (MD tracks, windows' statistics,
    generated series, training log, benchmarks), then ``snakemake --report``."""
    runs = {}
    for k in range(2):
        path = tmp_path / f"run{k}.fdf"
        path.write_text("stand-in\n")
        runs[f"run{k}"] = {"path": str(path)}
        save_tracks(fake_tracks(k, source=str(path)), tmp_path / f"results/md/run{k}/li_unwrapped.npz")
        write_bench(tmp_path / f"results/benchmarks/parse_run/run{k}.tsv", 1.0, 50.0)
        write_bench(tmp_path / f"results/benchmarks/extract_species/run{k}.tsv", 0.5, 50.0)
    for stage in ("make_windows", "train_mdgan/replica0", "generate_mdgan"):  # upstream stages' benchmark files
        write_bench(tmp_path / f"results/benchmarks/{stage}.tsv", 0.5, 80.0)
    save_json(tmp_path / "results/dataset/standardization.json", STANDARDIZATION)
    generated = fake_tracks(5, n_frames=1000, n_ions=64).positions_ang.transpose(1, 0, 2).astype(np.float32)
    (tmp_path / "results/generated").mkdir(parents=True)
    np.save(tmp_path / "results/generated/positions.npy", generated)
    save_json(tmp_path / "results/generated/meta.json", META)
    (tmp_path / "results/model/replica0").mkdir(parents=True)
    pd.DataFrame({"iteration": [0, 100], "critic_loss": [-1.0, -0.1], "generator_loss": [1.0, 0.1],
                  "gradient_penalty": [0.1, 0.0], "wall_time_s": [0.0, 9.0], "msd_ratio_lag4": [1.5, 1.1]}
                 ).to_csv(tmp_path / "results/model/replica0/training_log.csv", index=False)
    config = {"runs": runs, "step_skip": 2, "window_records": 32,
              "analysis": {"figures": {"dpi": 60}, "diffusion": {"fit_range_ps": {"md": [0.2, 2.0]}}}}
    (tmp_path / "config").mkdir()
    (tmp_path / "config/config.yaml").write_text(json.dumps(config))
    figures = ["msd", "z_displacement", "ion_paths", "van_hove", "training"]
    targets = [f"results/figures/{f}.{ext}" for f in figures for ext in ("png", "pdf")]
    targets += ["results/analysis/diffusion.csv", "results/analysis/comparison.csv", "results/analysis/conditions.csv"]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1"}
    base = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(tmp_path), "--cores", "2",
            "--allowed-rules", *analysis_rules(), "--"]
    done = subprocess.run([*base[:-1], "--", *targets], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    diffusion = pd.read_csv(tmp_path / "results/analysis/diffusion.csv")
    assert list(diffusion.columns[:7]) == ["source", "D_cm2_s", "D_err_cm2_s", "fit_lo_ps", "fit_hi_ps", "diffusive",
                                           "sigma_S_per_cm"]
    # common range first, then each source's own; isotropic, then along x, y, z (the cell is orthogonal)
    # and then each replicate generator's rows (the stand-in meta.json holds two replicas)
    assert list(zip(diffusion.fit, diffusion.source, diffusion.axis))[::4] == [
        ("common range", "MD", "iso"), ("common range", "MD-GAN", "iso"), ("own range", "MD", "iso"),
        ("own range", "MD-GAN", "iso"), ("common range", "MD-GAN replica 0", "iso"),
        ("own range", "MD-GAN replica 0", "iso"), ("common range", "MD-GAN replica 1", "iso"),
        ("own range", "MD-GAN replica 1", "iso")]
    assert list(diffusion.axis[:4]) == ["iso", "x", "y", "z"]
    own = diffusion[diffusion.fit == "own range"].set_index(["source", "axis"])
    assert own.loc[("MD", "iso"), "fit_mode"] == "config"
    # 2 runs: the MD errors are a jackknife over 4 time blocks of each; the generated ions are independent
    assert set(diffusion[diffusion.source == "MD"].err_over) == {"time blocks (jackknife, 8 blocks)"}
    assert set(diffusion[diffusion.source == "MD-GAN"].err_over) == {"replicate models (jackknife, 2 replicas)"}
    assert set(diffusion[diffusion.source.str.startswith("MD-GAN replica")].err_over) == {"ions"}
    for name in ("msd_md", "msd_generated"):
        columns = list(pd.read_csv(tmp_path / f"results/analysis/{name}.csv").columns)
        assert columns == ["lag_ps", "msd_ang2", "msd_err_ang2", "msd_x_ang2", "msd_x_err_ang2", "msd_y_ang2",
                           "msd_y_err_ang2", "msd_z_ang2", "msd_z_err_ang2", "err_over"]
    report = tmp_path / "results/report.html"
    done = subprocess.run([*base[:-1], "--report", str(report), "--", *targets], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    page = report.read_text()
    for name in figures:
        assert f"{name}.png" in page
        assert (REPO / f"workflow/report/{name}.rst").is_file()
    assert "conditions.csv" in page and "comparison.csv" in page and "diffusion.csv" in page
