"""The tiny workflow through a real SLURM scheduler with the cluster profile (profiles/slurm).

A one-node cluster with a fake GPU (tests/slurm_cluster.py) runs the whole default target of the
tiny config once (tests/tiny_workflow.py, shared with the rerun tests), submitted with
`--workflow-profile` pointing at a copy of profiles/slurm with test overrides (fast status checks,
the node's size, small memory, the GPU rules sent to the `gpu` partition). Training runs long
enough (a config overlay) to be killed on the cluster: as soon as it has saved its state its SLURM
job is cancelled (`scancel`, as a preemption or a time limit would); the profile's `retries` must
submit it again and the new attempt must resume from the saved state. The tests check every
output's content, and from the scheduler's own records that every job ran as a SLURM job, that
exactly the training and generation jobs asked for a GPU (and went to the GPU partition), and that
the killed training was retried. Skipped, with the reason, where no cluster can be started (not
root, packages missing: .ci/install-slurm.sh).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from test_envs import workflow_rules
from tiny_workflow import GPU_RULES, ROOT, TINY_CONFIG, TRAINING, TinyRun, scheduler_jobs

@pytest.fixture
def cluster_run(slurm_test_cluster, tiny_run) -> TinyRun:
    assert tiny_run.cluster is slurm_test_cluster
    return tiny_run


def read_ani(path: Path):
    import ase.io

    images = ase.io.read(path, ":", format="xyz")
    return np.array([a.get_positions() for a in images]), images[0].get_atomic_numbers()


def mean_msd(positions: np.ndarray, lag: int) -> float:
    """MSD (Angstrom^2) at ``lag`` records of (records, ions, 3) paths: over origins, then ions."""
    steps = positions[lag:] - positions[:-lag]
    return float((steps**2).sum(-1).mean(0).mean())


@pytest.mark.cluster
@pytest.mark.slow
def test_every_output_is_complete_and_right(cluster_run):
    workdir = cluster_run.workdir
    results = workdir / "results"
    config = yaml.safe_load((workdir / TINY_CONFIG).read_text())
    runs, checked = list(config["runs"]), set()

    # parsing and extraction: the ANI's frames; Li tracks up to one common drift shift per frame
    from ase.io.trajectory import Trajectory

    tracks = {}
    for run in runs:
        frames, numbers = read_ani(workdir / f"tests/data/tiny/{run}/lgps.ANI")
        with Trajectory(str(results / f"md/{run}/trajectory.traj")) as traj:
            np.testing.assert_allclose(np.stack([a.get_positions() for a in traj]), frames, atol=1e-6)
            assert (traj[0].get_atomic_numbers() == numbers).all()
        tracks[run] = np.load(results / f"md/{run}/li_unwrapped.npz")
        li, positions = frames[:, numbers == 3], tracks[run]["positions_ang"]
        assert positions.shape == li.shape == (48, 20, 3)
        np.testing.assert_allclose(positions - positions[:, :1], li - li[:, :1], atol=2e-6)
        np.testing.assert_allclose(tracks[run]["time_ps"], 0.02 * np.arange(1, 49))
        checked |= {f"md/{run}/trajectory.traj", f"md/{run}/li_unwrapped.npz"}
    md = np.concatenate([tracks[run]["positions_ang"] for run in runs], axis=1)  # (48, 60, 3)

    # windows: 47 increments, window 16, stride 4 -> 8 per ion; they undo to the MD increments
    stats = json.loads((results / "dataset/standardization.json").read_text())
    with np.load(results / "dataset/windows.npz") as windows:
        assert windows["windows"].shape == (480, 16, 3)
        run, ion, start = windows["origin"][123]
        increments = np.diff(tracks[runs[run]]["positions_ang"], axis=0)[start : start + 16, ion]
        undone = windows["windows"][123] * stats["std_ang"] + np.asarray(stats["mean_ang"])
        np.testing.assert_allclose(undone, increments, atol=1e-5)
    assert stats["runs"] == runs and stats["n_windows"] == 480
    assert pd.read_csv(results / "dataset/step_skip_table.csv")["n_windows"].tolist() == [480, 120]
    checked |= {"dataset/windows.npz", "dataset/standardization.json", "dataset/step_skip_table.csv"}

    # training: all iterations (partly before the kill, partly resumed), the generator, the state
    import torch

    log = pd.read_csv(results / "model/replica0/training_log.csv")
    n = TRAINING["iterations"]
    assert log["iteration"].tolist() == list(range(TRAINING["log_every"], n + 1, TRAINING["log_every"]))
    assert np.isfinite(log.drop(columns="iteration").to_numpy()).all()
    generator = torch.load(results / "model/replica0/generator.pt", map_location="cpu", weights_only=True)
    assert generator["model"]["latent_dim"] == config["model"]["latent_dim"]
    assert generator["checkpoint_iterations"][-1] == n and len(generator["checkpoints"]) >= 2
    assert torch.load(results / "model/replica0/state/state.pt", map_location="cpu", weights_only=True)["iteration"] == n
    checked |= {"model/replica0/training_log.csv", "model/replica0/generator.pt", "model/replica0/state/state.pt"}

    # generation: n_ions x n_steps records, starting inside the MD cell
    meta = json.loads((results / "generated/meta.json").read_text())
    generated = np.load(results / "generated/positions.npy")
    n_ions, n_steps = config["generation"]["n_ions"], config["generation"]["n_steps"]
    assert (meta["n_ions"], meta["n_steps"], meta["record_dt_ps"]) == (n_ions, n_steps, 0.02)
    assert generated.shape == (n_ions, meta["n_records"], 3) and np.isfinite(generated).all()
    frac = generated[:, 0] @ np.linalg.inv(tracks[runs[0]]["cell_ang"][0])
    assert ((frac > -1e-6) & (frac < 1 + 1e-6)).all()
    checked |= {"generated/meta.json", "generated/positions.npy"}

    # analysis: MSDs agree with the MSD computed here from the tracks and the generated paths
    lags = json.loads((results / "analysis/lags.json").read_text())
    assert lags["record_dt_ps"] == pytest.approx(0.02) and lags["window_ps"] == pytest.approx(16 * 0.02)
    for source, paths in (("md", md), ("generated", generated.transpose(1, 0, 2))):
        msd = pd.read_csv(results / f"analysis/msd_{source}.csv")
        with np.load(results / f"analysis/msd_{source}_ions.npz") as ions:
            assert ions["msd_ang2"].shape == (paths.shape[1], len(msd))
            np.testing.assert_allclose(ions["msd_ang2"].mean(0), msd["msd_ang2"], rtol=1e-6)
            first = int(ions["lag_steps"][0])
        assert msd["msd_ang2"].iloc[0] == pytest.approx(mean_msd(paths, first), rel=1e-6)
        assert (np.diff(msd["lag_ps"]) > 0).all() and (msd["msd_err_ang2"] >= 0).all()
        with np.load(results / f"analysis/displacements_{source}.npz") as disp:
            r2 = disp["sum_r2_ang2"] / disp["count"]
            lag = int(disp["lag_steps"][0])
            assert r2[0] == pytest.approx(mean_msd(paths, lag), rel=1e-6)
        checked |= {f"analysis/msd_{source}.csv", f"analysis/msd_{source}_ions.npz", f"analysis/displacements_{source}.npz"}
    diffusion = pd.read_csv(results / "analysis/diffusion.csv")
    diffusion = diffusion[diffusion["axis"] == "iso"].set_index("source")
    assert set(diffusion.index) == {"MD", "MD-GAN"}
    # a D only where the MSD reached a diffusive regime (the tiny runs are 1 ps: none), positive
    assert (diffusion["D_cm2_s"].notna() == diffusion["diffusive"]).all()
    assert (diffusion.loc[diffusion["diffusive"], "D_cm2_s"] > 0).all()
    comparison = pd.read_csv(results / "analysis/comparison.csv")
    msd_rows = comparison[comparison["quantity"] == "msd_ang2"]
    assert len(msd_rows) > 0 and np.isfinite(msd_rows[["md", "generated", "ratio"]].to_numpy()).all()
    np.testing.assert_allclose(msd_rows["ratio"], msd_rows["generated"] / msd_rows["md"], rtol=1e-4)
    conditions = pd.read_csv(results / "analysis/conditions.csv")
    for run in runs:
        assert f"MD run {run}" in set(conditions["section"])
    checked |= {"analysis/lags.json", "analysis/diffusion.csv", "analysis/comparison.csv", "analysis/conditions.csv"}

    # figures: PNGs that decode to a drawn (not blank) image, PDFs that are complete files
    from matplotlib.image import imread

    for png in results.glob("figures/*.png"):
        image = imread(png)
        assert image.shape[0] > 100 and image.shape[1] > 100 and image.std() > 0.01, png
        pdf = png.with_suffix(".pdf").read_bytes()
        assert pdf.startswith(b"%PDF") and b"%%EOF" in pdf[-1024:], png.with_suffix(".pdf")
        checked |= {f"figures/{png.name}", f"figures/{png.stem}.pdf"}
    assert len(list(results.glob("figures/*.png"))) == 5

    produced = {
        str(path.relative_to(results)) for path in results.rglob("*")
        if path.is_file() and path.parts[len(results.parts)] not in {"logs", "benchmarks"}
    }
    assert produced == checked, f"outputs without a content check: {sorted(produced - checked)}"


@pytest.mark.cluster
@pytest.mark.slow
def test_every_job_ran_through_slurm_and_only_gpu_rules_asked_for_a_gpu(cluster_run):
    jobs = scheduler_jobs(cluster_run.cluster, cluster_run.workdir)
    rules = [job["rule"] for job in jobs if job["JobState"] == "COMPLETED"]
    # groups of the profile (each one SLURM job, named by the group and its rules): the data path,
    # the MD analysis, the analysis of the generated trajectories
    assert sorted(rules) == sorted([
        "md_extract_species_make_windows_parse_run", "md_analysis_analysis_lags_displacements_md_msd_md",
        "train_mdgan", "generate_mdgan", rules[-1]
    ]), rules
    assert rules[-1].startswith("analysis_comparison_conditions_table_")
    for job in jobs:
        asks_gpu = "gpu" in (job.get("TresPerJob") or "")
        assert asks_gpu == (job["rule"] in GPU_RULES), f"{job['rule']}: TresPerJob={job.get('TresPerJob')}"
        assert job["Partition"] == ("gpu" if job["rule"] in GPU_RULES else "cpu"), job
        if asks_gpu:
            assert job["TresPerJob"] == "gres:gpu:1"
    assert all(job["JobState"] == "COMPLETED" for job in jobs if job["rule"] != "train_mdgan")
    # the job-completion log, the scheduler's second record, says the same
    # (of this run's jobs: the temperature-series test submits to the same cluster)
    ours = {job["JobId"] for job in jobs}
    recorded = {job["JobId"]: (job["JobState"], job["Partition"])
                for job in cluster_run.cluster.completed_jobs() if job["JobId"] in ours}
    assert recorded == {job["JobId"]: (job["JobState"], job["Partition"]) for job in jobs}


@pytest.mark.cluster
@pytest.mark.slow
def test_training_killed_on_the_cluster_is_retried_and_resumes(cluster_run):
    attempts = [job for job in scheduler_jobs(cluster_run.cluster, cluster_run.workdir) if job["rule"] == "train_mdgan"]
    assert [job["JobState"] for job in attempts] == ["CANCELLED", "COMPLETED"]
    assert attempts[0]["JobId"] == cluster_run.cancelled_training_job
    # the profile scales the time limit with the attempt (runtime: 240 * attempt minutes)
    assert [job["TimeLimit"] for job in attempts] == ["04:00:00", "08:00:00"]
    # the second attempt started from the state the first one saved, not from scratch
    log = (cluster_run.workdir / "results/logs/train_mdgan/replica0.log").read_text()
    resumed = re.search(rf"resuming from iteration (\d+) of {TRAINING['iterations']}", log)
    assert resumed and 0 < int(resumed.group(1)) < TRAINING["iterations"], log[-2000:]


def test_slurm_profile_names_existing_rules_and_every_gpu_rule():
    """Static: the profile's groups and per-rule resources name rules of the workflow, and the
    rules that ask for a GPU are exactly those the profile gives a GPU (and a partition slot)."""
    profile = yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text())
    rules = {rule.name: rule for rule in workflow_rules()}
    named = set(profile["groups"]) | set(profile["set-resources"])
    assert named <= set(rules), f"profiles/slurm names no such rules: {sorted(named - set(rules))}"
    gpu_rules = {name for name, rule in rules.items()
                 if re.search(r"\bgpu\s*=\s*(?:1\b|gpu_tokens\()", rule.resources)}
    assert {name for name, res in profile["set-resources"].items() if res.get("gpu")} == gpu_rules
    assert GPU_RULES <= gpu_rules and not gpu_rules & set(profile["groups"])
    assert set(profile["group-components"]) == set(profile["groups"].values())
