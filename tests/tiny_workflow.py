"""One complete run of the tiny workflow in a copy of the project, shared by the cluster and rerun tests.

Where a SLURM test cluster can be started (tests/slurm_cluster.py) the run goes through it with
the cluster profile, and its training job is cancelled once on purpose (test_cluster.py checks the
retry and the resumption); elsewhere the same run is made locally. Either way the rerun tests
then ask dry runs of the finished copy what a change would rerun. Sharing the one run keeps the
suite to a few minutes. The session fixtures are registered in conftest.py.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

import slurm_cluster

ROOT = Path(__file__).resolve().parents[1]
COPIED = ("Snakefile", "workflow", "config", "envs", "profiles", "src", "tests/data/tiny", "tests/config/tiny.yaml")
TINY_CONFIG = "tests/config/tiny.yaml"
GPU_RULES = {"train_mdgan", "generate_mdgan"}
RUN_TIMEOUT_S = 600
# Training of the shared run: long enough (seconds to tens of seconds) to be cancelled mid-way.
TRAINING = {"iterations": 400, "checkpoint_every": 10, "log_every": 100}


def copy_workflow(dest: Path) -> Path:
    """The workflow, its package, envs, profiles and the tiny data, copied to ``dest``."""
    for name in COPIED:
        source, target = ROOT / name, dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(source, target)
    return dest


def workflow_env(workdir: Path, **extra: str) -> dict[str, str]:
    """Environment for Snakemake in a copy: its scripts import the copy's package."""
    return {**os.environ, "PYTHONPATH": str(workdir / "src"), **extra}


def snakemake(workdir: Path, *args: str, configs=(), env=None, timeout=RUN_TIMEOUT_S):
    """``snakemake`` (local profile) on the tiny config plus overlays, in ``workdir``.

    ``args`` (targets, options) come first: after ``--configfile`` a target would be read as one
    more config file.
    """
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *args, "--configfile", TINY_CONFIG, *map(str, configs)]
    return subprocess.run(
        cmd, cwd=workdir, env=env or workflow_env(workdir), capture_output=True, text=True, timeout=timeout
    )


def planned_jobs(workdir: Path, *args: str, configs=()) -> set[tuple[str, str]]:
    """(rule, wildcards) of every job a dry run would execute, the target rule `all` left out."""
    result = snakemake(workdir, "--dry-run", *args, configs=configs)
    assert result.returncode == 0 and "Error" not in result.stderr, result.stderr[-3000:]
    jobs, rule = set(), None
    for line in (result.stdout + result.stderr).splitlines():
        if match := re.match(r"\s*(?:local)?rule (\w+):$", line):
            if rule is not None:
                jobs.add((rule, ""))
            rule = match.group(1)
        elif rule is not None and (match := re.match(r"\s+wildcards: (.*)$", line)):
            jobs.add((rule, match.group(1)))
            rule = None
        elif rule is not None and not line.startswith((" ", "\t")):
            jobs.add((rule, ""))
            rule = None
    if rule is not None:
        jobs.add((rule, ""))
    return {job for job in jobs if job[0] != "all"}


@functools.cache
def onwards(workdir: Path, rule: str, configs: tuple = ()) -> frozenset[tuple[str, str]]:
    """The jobs of ``rule`` and everything downstream of them (in an up-to-date ``workdir``)."""
    return frozenset(planned_jobs(workdir, "--forcerun", rule, configs=configs))


@dataclass(frozen=True)
class TinyRun:
    """A finished run of the tiny workflow's default target."""

    workdir: Path
    configs: tuple[Path, ...]  # overlays on the tiny config, as given to the run
    cluster: slurm_cluster.SlurmCluster | None  # None: run locally
    wall_s: float
    cancelled_training_job: str | None  # SLURM job id of the training attempt cancelled on purpose


@pytest.fixture(scope="session")
def slurm_test_cluster(tmp_path_factory):
    """A running one-node SLURM cluster; the test is skipped, with the reason, where none can start."""
    reason = slurm_cluster.unavailable_reason()
    if reason:
        pytest.skip(f"no SLURM test cluster: {reason}")
    cluster = slurm_cluster.start_cluster(tmp_path_factory.mktemp("slurm"))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def tiny_run(request, tmp_path_factory) -> TinyRun:
    """The tiny workflow run to the end: through SLURM where possible (see module doc), else locally."""
    workdir = copy_workflow(tmp_path_factory.mktemp("tiny-run"))
    overlay = workdir / "overlay.yaml"
    overlay.write_text(yaml.safe_dump({"training": TRAINING}))
    if slurm_cluster.unavailable_reason() is None:
        return run_on_cluster(workdir, (overlay,), request.getfixturevalue("slurm_test_cluster"))
    start = time.monotonic()
    result = snakemake(workdir, configs=(overlay,))
    assert result.returncode == 0, result.stderr[-6000:]
    return TinyRun(workdir, (overlay,), None, time.monotonic() - start, None)


def write_test_profile(workdir: Path, cluster: slurm_cluster.SlurmCluster) -> Path:
    """profiles/slurm with the test cluster's overrides, as a workflow profile in ``workdir``."""
    profile = yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text())
    profile["seconds-between-status-checks"] = 1
    profile["slurm-init-seconds-before-status-checks"] = 1
    profile["cores"] = cluster.cpus  # the most CPUs one job may ask for: the node's
    profile["default-resources"]["mem_mb"] = 500
    for rule, resources in profile["set-resources"].items():
        resources["mem_mb"] = 500
        if rule in GPU_RULES:
            resources["slurm_partition"] = "gpu"
    path = workdir / "profiles" / "slurm-test" / "config.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(profile))
    return path.parent


def scheduler_jobs(cluster, workdir: Path | None = None) -> list[dict[str, str]]:
    """The SLURM jobs (those submitted from ``workdir``, where given), oldest first, with `rule` (or
    group) and `wildcards` from the job comment."""
    jobs = []
    for job in cluster.jobs():
        if workdir is not None and Path(job.get("WorkDir", "")).resolve() != Path(workdir).resolve():
            continue
        comment = job.get("Comment", "")
        assert comment.startswith("rule_"), f"job {job['JobId']} without the plugin's rule comment: {job}"
        rule, _, wildcards = comment[len("rule_"):].partition("_wildcards_")
        jobs.append({**job, "rule": rule, "wildcards": wildcards})
    return sorted(jobs, key=lambda job: int(job["JobId"]))


def cancel_training_once_it_saved_state(cluster, workdir: Path, proc: subprocess.Popen) -> str:
    """Wait for the training's saved state, then scancel its SLURM job; the job id."""
    state = workdir / "results/model/replica0/state/state.pt"
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline and proc.poll() is None:
        if state.exists():
            running = [j for j in scheduler_jobs(cluster, workdir) if j["rule"] == "train_mdgan" and j["JobState"] == "RUNNING"]
            assert running, "the training finished before it could be killed: raise TRAINING['iterations']"
            cluster.run("scancel", running[0]["JobId"])
            return running[0]["JobId"]
        time.sleep(0.2)
    raise AssertionError("the training never saved a state")


def run_on_cluster(workdir: Path, configs: tuple[Path, ...], cluster, cancel_training: bool = True) -> TinyRun:
    """The default target through SLURM with the cluster profile; training cancelled once (where
    ``cancel_training``)."""
    profile = write_test_profile(workdir, cluster)
    cmd = [
        "timeout", "-k", "15", str(RUN_TIMEOUT_S),
        sys.executable, "-m", "snakemake", "--workflow-profile", str(profile),
        "--configfile", TINY_CONFIG, *map(str, configs),
    ]
    env = {**workflow_env(workdir), "SLURM_CONF": cluster.env["SLURM_CONF"], "PATH": cluster.env["PATH"]}
    log = workdir / "snakemake.out"
    start = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            cancelled = cancel_training_once_it_saved_state(cluster, workdir, proc) if cancel_training else None
        finally:
            proc.wait()
    wall_s = time.monotonic() - start
    print(f"\nSLURM run of the tiny workflow: {wall_s:.1f} s wall, exit {proc.returncode}; scheduler records:")
    for job in scheduler_jobs(cluster, workdir):
        print("  " + " ".join(f"{key}={job.get(key)}" for key in (
            "JobId", "rule", "wildcards", "JobState", "Partition", "TresPerJob", "NumCPUs", "MinMemoryNode",
            "TimeLimit", "StartTime", "EndTime")))
    assert proc.returncode == 0, f"snakemake through SLURM failed ({proc.returncode}):\n{log.read_text()[-6000:]}"
    return TinyRun(workdir, configs, cluster, wall_s, cancelled)
