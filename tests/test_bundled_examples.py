"""The bundled examples run: the reference case (config/config.yaml, LZP at 1773 K) and the LGPS example
(config/lgps.yaml) through parsing, Li extraction, windowing and the lag plan; the whole DAG plans."""

import json

import numpy as np
import pytest
import yaml

from conftest import REPO, run_workflow
from mdgan.extract import load_tracks

pytestmark = pytest.mark.slow


def bundled_config(overlay: str | None = None) -> dict:
    """config/config.yaml, overlaid as ``--configfile`` would (runs replaced), with absolute run paths."""
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    if overlay:
        extra = yaml.safe_load((REPO / overlay).read_text())
        for key, value in extra.items():
            if isinstance(value, dict) and key != "runs":
                config[key] = {**config.get(key, {}), **value}
            else:
                config[key] = value
    for run in config["runs"].values():
        run["path"] = str(REPO / run["path"])
    return config


def test_the_reference_case_parses_into_12_li_per_run_with_8_fs_records(tmp_path):
    config = bundled_config()
    run_workflow(tmp_path, config, "results/dataset/windows.npz", "results/analysis/lags.json")
    for run in ("run1", "run2", "run3"):
        tracks = load_tracks(tmp_path / f"results/md/{run}/li_unwrapped.npz")
        assert tracks.positions_ang.shape == (1499, 12, 3)  # the 1,499 ANI frames
        assert tracks.frame_dt_fs == pytest.approx(4.0) and tracks.temperature_k == pytest.approx(1773.0)
        assert np.allclose(tracks.cell_ang[0], np.diag(np.diag(tracks.cell_ang[0])), atol=1e-5)  # c along z
    stats = json.loads((tmp_path / "results/dataset/standardization.json").read_text())
    assert stats["record_dt_ps"] == pytest.approx(0.008) and stats["window_records"] == 128
    plan = json.loads((tmp_path / "results/analysis/lags.json").read_text())
    assert plan["window_ps"] == pytest.approx(1.024) and plan["matched_ps"] == pytest.approx(2.048)
    result = run_workflow(tmp_path, config, "--dry-run")
    assert "train_mdgan" in result.stdout and "replica=1" in result.stdout  # two replicas planned


def test_the_lgps_example_still_runs_with_its_own_step_skip(tmp_path):
    config = bundled_config("config/lgps.yaml")
    assert config["runs"]["run1"]["path"].endswith("lgps_600K/run1/lgps.fdf")
    run_workflow(tmp_path, config, "results/dataset/windows.npz", "results/analysis/lags.json")
    tracks = load_tracks(tmp_path / "results/md/run2/li_unwrapped.npz")
    assert tracks.positions_ang.shape[1] == 20 and tracks.frame_dt_fs == pytest.approx(20.0)
    stats = json.loads((tmp_path / "results/dataset/standardization.json").read_text())
    assert stats["step_skip"] == 1 and stats["record_dt_ps"] == pytest.approx(0.02)
    run_workflow(tmp_path, config, "--dry-run")
