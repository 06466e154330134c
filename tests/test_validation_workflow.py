"""The validation protocol runs through Snakemake on the tiny LGPS cut, and bad splits are refused."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import run_workflow, tiny_config

TINY_VALIDATION = {
    "enabled": True,
    "split": {
        "training": ["run1"],
        "selection": [{"run": "run2", "stop": 0.5}],
        "heldout": [{"run": "run2", "start": 0.5}, "run3"],
    },
    "training": {"iterations": 4, "checkpoint_every": 2, "keep_checkpoints": 2, "replicas": 2},
    "generation": {"n_ions": 16, "n_steps": 64},
    "checkpoint_selection": {"method": "msd", "pool": 1, "n_ions": 8},
    "baseline": {"order": 0},  # the 48-frame cut is too short for a stationary AR fit
    "comparison": {"n_lags": 8, "distribution_lags": 4, "max_lag_fraction": 0.5},
}


def validation_config(**overrides):
    config = tiny_config()
    config["validation"] = {**TINY_VALIDATION, **overrides}
    return config


@pytest.mark.slow
def test_protocol_runs_on_the_tiny_config(tmp_path):
    run_workflow(tmp_path, validation_config(), "results/validation/comparison.csv")
    v = tmp_path / "results/validation"
    stats = json.loads((v / "dataset/standardization.json").read_text())
    assert stats["runs"] == ["run1"]  # trained on the training part only
    best_scores = []
    for replica in (0, 1):  # two replicate models, seeds 0 and 1, each with its own checkpoint choice
        model = v / f"model/replica{replica}"
        scores = pd.read_csv(model / "checkpoint_scores.csv")
        assert scores["iteration"].tolist() == [2, 4] and scores["selected"].sum() == 1
        assert (scores[["rms_alpha2_diff", "max_abs_alpha2_diff"]] >= 0).all().all()  # the shape, beside the MSD
        # and per axis: the isotropic ratio lies between the axes' ratios at each lag
        assert (scores["rms_log_msd_per_axis_ratio"] >= scores["rms_log_msd_ratio"] / np.sqrt(3) - 1e-12).all()
        best = scores.loc[scores["rms_log_msd_ratio"].idxmin(), "iteration"]
        best_scores.append(scores["rms_log_msd_ratio"].min())
        selected = torch.load(model / "selected_generator.pt", weights_only=True)
        assert selected["checkpoint_iterations"] == [best]
        assert selected["training"]["seed"] == replica
    meta = json.loads((v / "generated/meta.json").read_text())
    assert [r["ions"] for r in meta["replicas"]] == [[0, 8], [8, 16]]
    for series in ("generated", "baseline"):
        positions = np.load(v / series / "positions.npy")
        assert positions.shape == (16, 64, 3) and positions.dtype == np.float32
    table = pd.read_csv(v / "comparison.csv")
    assert set(table["quantity"]) == {"D_cm2_s", "D_x_cm2_s", "D_y_cm2_s", "D_z_cm2_s", "msd_ang2",
                                      "wasserstein_ang", "alpha2", "axis_correlation"}  # no exact D given: no D_truth rows
    msd = table[table["quantity"] == "msd_ang2"]
    # held-out pieces: run2 frames 24-47 (24 frames) and run3 (48): lags to half of 48 records
    assert msd["lag_records"].min() == 1 and msd["lag_records"].max() == 23
    assert np.all(np.isfinite(msd[["heldout", "mdgan_ratio", "baseline_ratio"]]))
    # run1 (48 frames) supports every compared lag: the training part's MD beside the generators
    assert np.all(np.isfinite(msd["training_md_ratio"]))
    summary = json.loads((v / "summary.json").read_text())
    assert summary["training_pieces"] == ["run1"]
    assert [f["axis"] for f in summary["axis_fits"]["heldout"]] == ["x", "y", "z"]
    assert (v / "fidelity.png").stat().st_size > 0 and (v / "summary.json").is_file()
    # the MD-GAN errors cover the two replicas; each replica's D and selection score beside them
    assert summary["fits"]["mdgan"]["err_over"] == "replicate models (jackknife, 2 replicas)"
    assert summary["fits"]["baseline"]["err_over"] == "ions"
    assert len(summary["replica_fits"]) == 2
    replicas = pd.read_csv(v / "replicas.csv").set_index("quantity")
    assert replicas.loc["selection_score", ["replica0", "replica1"]].tolist() == pytest.approx(best_scores)
    assert {"replica0_ratio", "replica1_ratio", "replica_ratio_sd"} <= set(replicas.columns)


def test_overlapping_split_is_refused(tmp_path):
    bad = validation_config(split={"training": ["run1"], "selection": [{"run": "run2", "stop": 0.6}],
                                   "heldout": [{"run": "run2", "start": 0.5}, "run3"]})
    result = run_workflow(tmp_path, bad, "-n", check=False)
    assert result.returncode != 0
    assert "selection piece run2[0:0.6] and heldout piece run2[0.5:1] share frames" in result.stdout + result.stderr


def test_validation_rules_pass_lint(tmp_path):
    import os
    import subprocess
    import sys

    import yaml

    from conftest import REPO

    configfile = tmp_path / "config.yaml"
    configfile.write_text(yaml.safe_dump(validation_config()))
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint", "--configfile", str(configfile)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO / "src")}, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0 and "your workflow is in a good condition" in result.stderr, result.stderr
