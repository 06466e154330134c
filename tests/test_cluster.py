"""The tiny workflow through a real SLURM scheduler with the cluster profile (profiles/slurm).

A one-node cluster with a fake GPU (tests/slurm_cluster.py) runs the whole default target of the
tiny config once, submitted with `--workflow-profile` pointing at a copy of profiles/slurm with
test overrides (fast status checks, small memory, the GPU rules sent to the `gpu` partition).
During that run one job crashes on its first attempt (a fault hook makes its first write fail) and
must be retried by the profile's `retries`. The tests then check every output's content, and from
the scheduler's own records that every job ran as a SLURM job, that exactly the training and
generation jobs asked for a GPU (and went to the GPU partition), and that the crashed job was
submitted again. Skipped, with the reason, where no cluster can be started (not root, packages
missing: .ci/install-slurm.sh).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import slurm_cluster
from test_reruns import TINY_CONFIG, copy_workflow

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
GPU_RULES = {"train_mdgan", "generate_mdgan"}
RUN_TIMEOUT_S = 600
# The job whose first attempt crashes: extraction of run2.
CRASH_RULE, CRASH_WILDCARDS = "extract_species", "run2"  # as in the job comment

# Loaded by every Python process of the run through PYTHONPATH (SLURM exports the environment to
# the jobs): the first process that opens a file matching MDGAN_TEST_CRASH_GLOB for writing exits
# with status 1, leaving a marker so that the next attempt runs normally.
CRASH_ONCE = '''\
import builtins, fnmatch, io, os
_glob, _marker, _open = os.environ["MDGAN_TEST_CRASH_GLOB"], os.environ["MDGAN_TEST_CRASH_MARKER"], io.open

def _crashing_open(file, mode="r", *args, **kwargs):
    if (isinstance(file, (str, os.PathLike)) and set(mode) & set("wax")
            and fnmatch.fnmatch(os.path.abspath(file), _glob) and not os.path.exists(_marker)):
        _open(_marker, "w").close()
        os._exit(1)
    return _open(file, mode, *args, **kwargs)

io.open = builtins.open = _crashing_open
'''


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    reason = slurm_cluster.unavailable_reason()
    if reason:
        pytest.skip(f"no SLURM test cluster: {reason}")
    cluster = slurm_cluster.start_cluster(tmp_path_factory.mktemp("slurm"))
    yield cluster
    cluster.stop()


def test_profile(workdir: Path, cluster: slurm_cluster.SlurmCluster) -> Path:
    """profiles/slurm with the test cluster's overrides, as a workflow profile in ``workdir``."""
    profile = yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text())
    profile["seconds-between-status-checks"] = 1
    profile["slurm-init-seconds-before-status-checks"] = 1
    profile["max-threads"] = cluster.cpus  # the node has few CPUs; rules asking more get these
    profile["default-resources"]["mem_mb"] = 500
    for rule, resources in profile["set-resources"].items():
        resources["mem_mb"] = 500
        if rule in GPU_RULES:
            resources["slurm_partition"] = "gpu"
    path = workdir / "profiles" / "slurm-test" / "config.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(profile))
    return path.parent


test_profile.__test__ = False  # a helper, not a test


@pytest.fixture(scope="module")
def cluster_run(cluster, tmp_path_factory):
    """The tiny workflow's default target run through SLURM; (workdir, result, wall seconds)."""
    workdir = copy_workflow(tmp_path_factory.mktemp("cluster-run"))
    hook = workdir / "fault-hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(CRASH_ONCE)
    env = {
        **cluster.env,
        "PYTHONPATH": f"{hook}{os.pathsep}{workdir / 'src'}",
        "MDGAN_TEST_CRASH_GLOB": str(workdir / "results/md/run2/*li_unwrapped*"),
        "MDGAN_TEST_CRASH_MARKER": str(workdir / "crashed-once"),
    }
    profile = test_profile(workdir, cluster)
    cmd = [
        "timeout", "-k", "15", str(RUN_TIMEOUT_S),
        sys.executable, "-m", "snakemake", "--workflow-profile", str(profile), "--configfile", TINY_CONFIG,
    ]
    start = time.monotonic()
    result = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True)
    wall_s = time.monotonic() - start
    print(f"\nSLURM run of the tiny workflow: {wall_s:.1f} s wall, exit {result.returncode}")
    for job in cluster.jobs():
        print("  " + " ".join(f"{key}={job.get(key)}" for key in
                             ("JobId", "Comment", "JobState", "Partition", "TresPerJob", "NumCPUs", "TimeLimit", "RunTime")))
    assert result.returncode == 0, f"snakemake through SLURM failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    return workdir, result, wall_s


def scheduler_jobs(cluster) -> list[dict[str, str]]:
    """The run's SLURM jobs with `rule` and `wildcards` parsed from the plugin's job comment."""
    jobs = []
    for job in cluster.jobs():
        comment = job.get("Comment", "")
        assert comment.startswith("rule_"), f"job {job['JobId']} without the plugin's rule comment: {job}"
        rule, _, wildcards = comment[len("rule_"):].partition("_wildcards_")
        jobs.append({**job, "rule": rule, "wildcards": wildcards})
    return jobs


def read_ani(path: Path):
    import ase.io

    images = ase.io.read(path, ":", format="xyz")
    return np.array([a.get_positions() for a in images]), images[0].get_atomic_numbers()


def test_every_output_is_complete_and_right(cluster_run):
    workdir, _, _ = cluster_run
    results = workdir / "results"
    config = yaml.safe_load((workdir / TINY_CONFIG).read_text())
    runs = list(config["runs"])
    checked = set()

    for run in runs:
        # all atoms of every frame, as read from the run's ANI
        from ase.io.trajectory import Trajectory

        frames, numbers = read_ani(workdir / f"tests/data/tiny/{run}/lgps.ANI")
        with Trajectory(str(results / f"md/{run}/trajectory.traj")) as traj:
            positions = np.stack([atoms.get_positions() for atoms in traj])
            assert (traj[0].get_atomic_numbers() == numbers).all()
        np.testing.assert_allclose(positions, frames, atol=1e-6)
        # Li tracks: the ANI's Li rows up to one common drift shift per frame
        tracks = np.load(results / f"md/{run}/li_unwrapped.npz")
        li = frames[:, numbers == 3]
        assert tracks["positions_ang"].shape == li.shape == (48, 20, 3)
        relative = tracks["positions_ang"] - tracks["positions_ang"][:, :1]
        np.testing.assert_allclose(relative, li - li[:, :1], atol=2e-6)
        np.testing.assert_allclose(tracks["time_ps"], 0.02 * np.arange(1, 49))
        checked |= {f"md/{run}/trajectory.traj", f"md/{run}/li_unwrapped.npz"}

    # windows: 47 increments, window 16, stride 4 -> 8 windows per ion, 3 runs x 20 ions
    stats = json.loads((results / "dataset/standardization.json").read_text())
    with np.load(results / "dataset/windows.npz") as windows:
        assert windows["windows"].shape == (480, 16, 3)
        run, ion, start = windows["origin"][123]
        li = np.load(results / f"md/{runs[run]}/li_unwrapped.npz")["positions_ang"]
        increments = np.diff(li, axis=0)[start : start + 16, ion]
        undone = windows["windows"][123] * stats["std_ang"] + np.asarray(stats["mean_ang"])
        np.testing.assert_allclose(undone, increments, atol=1e-5)
    assert stats["runs"] == runs and stats["n_windows"] == 480
    table = pd.read_csv(results / "dataset/step_skip_table.csv")
    assert table["n_windows"].tolist() == [480, 120]
    checked |= {"dataset/windows.npz", "dataset/standardization.json", "dataset/step_skip_table.csv"}

    produced = {
        str(path.relative_to(results)) for path in results.rglob("*")
        if path.is_file() and path.parts[len(results.parts)] not in {"logs", "benchmarks"}
    }
    assert produced == checked, f"outputs without a content check: {sorted(produced - checked)}"
    # every job left its log and benchmark
    assert (results / "logs/make_windows.log").stat().st_size > 0
    assert len(list((results / "benchmarks").rglob("*.tsv"))) == 2 * len(runs) + 1


def test_every_job_ran_through_slurm_and_only_gpu_rules_asked_for_a_gpu(cluster_run, cluster):
    workdir, result, _ = cluster_run
    jobs = scheduler_jobs(cluster)
    assert all(job["JobState"] == "COMPLETED" for job in jobs if job["rule"] != CRASH_RULE or
               job["wildcards"] != CRASH_WILDCARDS), [j for j in jobs if j["JobState"] != "COMPLETED"]
    done = Counter(job["rule"] for job in jobs if job["JobState"] == "COMPLETED")
    assert done == Counter({"parse_run": 3, "extract_species": 3, "make_windows": 1, "train_mdgan": 1,
                            "generate_mdgan": 1}), done
    for job in jobs:
        asks_gpu = "gpu" in job.get("TresPerJob", "")
        assert asks_gpu == (job["rule"] in GPU_RULES), f"{job['rule']}: TresPerJob={job.get('TresPerJob')}"
        assert job["Partition"] == ("gpu" if job["rule"] in GPU_RULES else "cpu"), job
        if asks_gpu:
            assert job["TresPerJob"] == "gres:gpu:1"


def test_job_crashed_on_the_cluster_is_retried(cluster_run, cluster):
    workdir, _, _ = cluster_run
    attempts = sorted(
        (job for job in scheduler_jobs(cluster) if (job["rule"], job["wildcards"]) == (CRASH_RULE, CRASH_WILDCARDS)),
        key=lambda job: int(job["JobId"]),
    )
    assert [job["JobState"] for job in attempts] == ["FAILED", "COMPLETED"]
    assert attempts[0]["ExitCode"] == "1:0"
    # the profile scales the time limit with the attempt (runtime: 30 * attempt minutes)
    assert [job["TimeLimit"] for job in attempts] == ["00:30:00", "01:00:00"]
    assert (workdir / "crashed-once").exists()
