"""The workflow trains and generates end to end on the tiny LGPS cut (tests/config/tiny.yaml)."""

import copy
import json
import re

import numpy as np
import pandas as pd
import pytest

from conftest import run_workflow, tiny_config
from mdgan.extract import load_tracks

pytestmark = pytest.mark.slow


def wrapped(positions_ang, cell_ang):
    frac = positions_ang @ np.linalg.inv(cell_ang)
    return (frac - np.floor(frac)) @ cell_ang


def test_workflow_trains_and_generates(tmp_path):
    config = tiny_config()
    run_workflow(tmp_path, config, "results/generated/meta.json", "results/model/replica0/training_log.csv")
    results = tmp_path / "results"

    log = pd.read_csv(results / "model/replica0/training_log.csv")
    assert list(log.columns) == ["iteration", "critic_loss", "generator_loss", "gradient_penalty", "wall_time_s",
                                 "msd_ratio_lag1", "msd_ratio_lag4", "msd_ratio_lag16"]  # 64 clipped to the window
    assert log["iteration"].tolist() == [3, 6]
    assert np.isfinite(log.to_numpy()).all()
    assert (results / "model/replica0/state/state.pt").is_file()
    assert "train: 100%" in (results / "logs/train_mdgan/replica0.log").read_text()

    g = config["generation"]
    positions = np.load(results / "generated/positions.npy")
    assert positions.shape == (g["n_ions"], g["n_steps"] // config["step_skip"], 3)
    assert positions.dtype == np.float32 and np.isfinite(positions).all()
    md = [load_tracks(results / f"md/{run}/li_unwrapped.npz") for run in config["runs"]]
    candidates = np.concatenate([wrapped(t.positions_ang.reshape(-1, 3), t.cell_ang[0]) for t in md])
    for start in positions[:, 0].astype(np.float64):
        assert np.linalg.norm(candidates - start, axis=1).min() < 1e-4  # float32 of an MD Li position
    meta = json.loads((results / "generated/meta.json").read_text())
    assert meta["n_records"] == positions.shape[1] and meta["n_ions"] == g["n_ions"]
    assert meta["checkpoints"] == [4, 6] and meta["record_dt_ps"] == pytest.approx(0.02)

    # Reruns: threads are no trigger; a generation setting reruns generation only.
    targets = ("results/generated/meta.json", "results/model/replica0/training_log.csv")
    moved = copy.deepcopy(config)
    moved["training"]["threads"] = moved["generation"]["threads"] = 2
    assert planned_rules(tmp_path, moved, targets) == set()
    longer = copy.deepcopy(config)
    longer["generation"]["n_steps"] = 202
    assert planned_rules(tmp_path, longer, targets) == {"generate_mdgan"}


def planned_rules(workdir, config, targets):
    """Rules a dry run in ``workdir`` with ``config`` would run."""
    result = run_workflow(workdir, config, "--dry-run", *targets)
    return set(re.findall(r"^(?:local)?rule (\w+):$", result.stdout + result.stderr, flags=re.M))


def test_replicas_train_as_separate_jobs_with_their_own_seeds(tmp_path):
    """training.replicas: 2 trains two generators (seed, seed + 1), each generating half the ions; a
    third replica added later trains alone, leaving the first two as they are."""
    import torch

    config = tiny_config()
    config["training"] = {**config["training"], "replicas": 2, "seed": 5}
    run_workflow(tmp_path, config, "results/generated/meta.json")
    results = tmp_path / "results"
    saved = [torch.load(results / f"model/replica{r}/generator.pt", weights_only=True) for r in (0, 1)]
    assert [s["training"]["seed"] for s in saved] == [5, 6]
    first = [k for k in saved[0]["checkpoints"][-1] if k.endswith("weight")][0]
    assert not torch.equal(saved[0]["checkpoints"][-1][first], saved[1]["checkpoints"][-1][first])
    meta = json.loads((results / "generated/meta.json").read_text())
    n = config["generation"]["n_ions"]
    assert [r["ions"] for r in meta["replicas"]] == [[0, n // 2], [n // 2, n]]
    more = copy.deepcopy(config)
    more["training"]["replicas"] = 3
    result = run_workflow(tmp_path, more, "--dry-run", "results/generated/meta.json")
    planned = re.findall(r"^(?:local)?rule (\w+):\n(?:.*\n)*?\s+wildcards: replica=(\d+)", result.stdout, flags=re.M)
    assert [r for rule, r in planned if rule == "train_mdgan"] == ["2"]
