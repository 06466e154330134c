"""The workflow trains and generates end to end on a tiny input (train_mdgan, generate_mdgan only).

The MD tracks and windows are made in a temporary directory from arrays through the package's own
functions, so only this stage's rules run.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mdgan.extract import IonTracks, load_tracks, save_tracks
from mdgan.windows import build_dataset, save_dataset

REPO = Path(__file__).parents[1]
CONFIG = {
    "step_skip": 2,
    "window_records": 16,
    "model": {"latent_dim": 8, "latent_width": 16, "decoder_width": 16, "critic_width": 16,
              "critic_pointwise_width": 4, "relaxation_steps": 2},
    "training": {"iterations": 6, "batch_size": 8, "log_every": 3, "checkpoint_every": 2, "check_batch": 8,
                 "threads": 1},
    "generation": {"n_ions": 10, "n_steps": 101, "chunk_ions": 4, "rng_block_ions": 2, "checkpoints": 2,
                   "threads": 1},
}


def tiny_tracks(seed, n_frames=60, n_ions=3):
    rng = np.random.default_rng(seed)
    steps = np.cumsum(rng.normal(scale=0.05, size=(n_frames, n_ions, 3)), axis=0)
    cell = np.diag([8.7, 8.7, 12.7])
    return IonTracks(
        positions_ang=rng.uniform(0, 8, (1, n_ions, 3)) + np.cumsum(steps, axis=0),
        time_ps=(np.arange(n_frames) + 1) * 0.02,
        cell_ang=np.repeat(cell[None], n_frames, axis=0),
        frame_dt_fs=20.0, temperature_k=600.0, species="Li", source=f"synthetic {seed}",
    )


def run_snakemake(workdir, *targets):
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir), "--cores", "2",
           "--resources", "gpu=1", "--allowed-rules", "train_mdgan", "generate_mdgan", "--", *targets]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_workflow_trains_and_generates(tmp_path):
    runs = {"a": tiny_tracks(0), "b": tiny_tracks(1)}
    config = {"runs": {}, **CONFIG}
    for name, tracks in runs.items():
        (tmp_path / f"{name}.fdf").touch()  # the runs' inputs: only their existence is checked here
        config["runs"][name] = {"path": f"{name}.fdf"}
        save_tracks(tracks, tmp_path / "results" / "md" / name / "li_unwrapped.npz")
    dataset = build_dataset(runs, CONFIG["step_skip"], CONFIG["window_records"])
    save_dataset(dataset, tmp_path / "results/dataset/windows.npz", tmp_path / "results/dataset/standardization.json")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(config))

    done = run_snakemake(tmp_path, "results/generated/meta.json", "results/model/training_log.csv")
    assert done.returncode == 0, done.stderr[-3000:]

    log = pd.read_csv(tmp_path / "results/model/training_log.csv")
    assert list(log.columns) == ["iteration", "critic_loss", "generator_loss", "gradient_penalty", "wall_time_s",
                                 "msd_ratio_lag1", "msd_ratio_lag4", "msd_ratio_lag16"]
    assert log["iteration"].tolist() == [3, 6]
    assert (tmp_path / "results/model/state/state.pt").is_file()

    positions = np.load(tmp_path / "results/generated/positions.npy")
    assert positions.shape == (10, 101 // 2, 3) and positions.dtype == np.float32
    md = [load_tracks(tmp_path / "results" / "md" / name / "li_unwrapped.npz") for name in runs]
    for start in positions[:, 0].astype(np.float64):
        candidates = np.concatenate([(t.positions_ang % np.diag(t.cell_ang[0])).reshape(-1, 3) for t in md])
        assert np.linalg.norm(candidates - start, axis=1).min() < 1e-4
    meta = json.loads((tmp_path / "results/generated/meta.json").read_text())
    assert meta["n_records"] == 50 and meta["step_skip"] == 2 and meta["checkpoints"] == [4, 6]
    assert meta["record_dt_ps"] == pytest.approx(0.04)
