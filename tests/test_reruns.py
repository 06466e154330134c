"""Reruns: a change reruns exactly the jobs whose outputs depend on it; a killed job leaves no
half-written output and is redone by the next run.

The rerun tests work on the finished copy of the tiny workflow that tests/tiny_workflow.py makes
once per session (through SLURM where possible, else locally). Changes are `--configfile`
overlays, or input files and package code edited in the copy (and restored); what Snakemake would
run is read from a dry run's job list. "X onwards" is the set of jobs `--forcerun X` plans: X and
everything downstream of it, nothing upstream.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from tiny_workflow import TINY_CONFIG, TRAINING, copy_workflow, onwards, planned_jobs, snakemake, workflow_env

pytestmark = pytest.mark.slow

DATA_PATH = {"parse_run", "extract_species", "make_windows"}


def plan(tiny_run, tmp_path: Path | None = None, **changes) -> set[tuple[str, str]]:
    """Jobs a dry run of the finished copy plans with ``changes`` as a further config overlay."""
    configs = tiny_run.configs
    if changes:
        overlay = tmp_path / "change.yaml"
        overlay.write_text(yaml.safe_dump(changes))
        configs = (*configs, overlay)
    return planned_jobs(tiny_run.workdir, configs=configs)


def rules(jobs) -> set[str]:
    return {rule for rule, _ in jobs}


@contextlib.contextmanager
def edited(path: Path, edit):
    """``path`` with its text changed by ``edit`` for the duration; then the original bytes again.

    Snakemake 9 reruns for an input newer than the outputs only if its content changed (it compares
    checksums of files up to 1 MB), so a test must change content, not only touch the file.
    """
    original = path.read_bytes()
    try:
        path.write_text(edit(original.decode()))
        yield
    finally:
        path.write_bytes(original)


def nudge_last_coordinate(text: str) -> str:
    """The last digit of the last coordinate of an ANI one higher (mod 10): a re-exported run."""
    head, last = text.rstrip("\n").rsplit("\n", 1)
    return f"{head}\n{last[:-1]}{(int(last[-1]) + 1) % 10}\n"


def test_unchanged_config_reruns_nothing(tiny_run):
    assert plan(tiny_run) == set()


def test_training_hyperparameter_change_reruns_training_onwards(tiny_run, tmp_path):
    planned = plan(tiny_run, tmp_path, training={**TRAINING, "lr_critic": 2e-4})
    assert ("train_mdgan", "replica=0") in planned and not rules(planned) & DATA_PATH
    assert planned == onwards(tiny_run.workdir, "train_mdgan", tiny_run.configs)
    assert rules(planned) > {"train_mdgan", "generate_mdgan", "msd_generated", "diffusion", "figure_training"}


def test_threads_of_training_and_generation_rerun_nothing(tiny_run, tmp_path):
    """threads choose how training and generation run, not what they make (config/README.md)."""
    changed = {"training": {**TRAINING, "threads": 2}, "generation": {"threads": 2}}
    assert plan(tiny_run, tmp_path, **changed) == set()


def test_step_skip_change_reruns_windowing_onwards(tiny_run, tmp_path):
    planned = plan(tiny_run, tmp_path, step_skip=2)
    assert ("make_windows", "") in planned and not rules(planned) & {"parse_run", "extract_species"}
    assert planned == onwards(tiny_run.workdir, "make_windows", tiny_run.configs)


def test_changing_one_run_input_reruns_that_run_then_windowing_onwards(tiny_run):
    with edited(tiny_run.workdir / "tests/data/tiny/run2/lgps.ANI", nudge_last_coordinate):
        planned = plan(tiny_run)
    per_run = {job for job in planned if job[0] in {"parse_run", "extract_species"}}
    assert per_run == {("parse_run", "run=run2"), ("extract_species", "run=run2")}
    # the MD analysis reads the tracks directly: it reruns as well, as it must
    downstream = onwards(tiny_run.workdir, "make_windows", tiny_run.configs) | onwards(
        tiny_run.workdir, "extract_species", tiny_run.configs
    )
    assert planned - per_run == {job for job in downstream if job[0] not in {"parse_run", "extract_species"}}
    assert ("make_windows", "") in planned
    assert plan(tiny_run) == set()  # same content again: nothing to do


def test_touching_an_input_without_changing_it_reruns_nothing(tiny_run):
    os.utime(tiny_run.workdir / "tests/data/tiny/run2/lgps.ANI")
    assert plan(tiny_run) == set()


def test_editing_package_code_reruns_the_rules_that_run_it(tiny_run):
    """The package modules a script calls are inputs: dataset.py reruns the windowing onwards."""
    with edited(tiny_run.workdir / "src/mdgan/dataset.py", lambda text: text + "\n# edited\n"):
        planned = plan(tiny_run)
    assert ("make_windows", "") in planned and not rules(planned) & {"parse_run", "extract_species"}
    assert onwards(tiny_run.workdir, "make_windows", tiny_run.configs) <= planned


def test_editing_a_module_reached_only_through_imports_reruns_generation(tiny_run):
    """generate_mdgan runs model/matching.py through model/generation.py -> model/check.py: its own
    code inputs name the file, so it reruns even with the trained generator taken as it is."""
    only_generation = ("results/generated/meta.json", "--allowed-rules", "generate_mdgan")
    with edited(tiny_run.workdir / "src/mdgan/model/matching.py", lambda text: text + "\n# edited\n"):
        planned = planned_jobs(tiny_run.workdir, *only_generation, configs=tiny_run.configs)
    assert planned == {("generate_mdgan", "")}
    assert planned_jobs(tiny_run.workdir, *only_generation, configs=tiny_run.configs) == set()


# Loaded by every Python process of the run (PYTHONPATH): the first write to a file below
# MDGAN_TEST_HANG_BELOW writes half its bytes, leaves a marker and hangs until killed.
HANG_ON_WRITE = '''\
import builtins, io, os, time
_below, _marker, _open = os.environ["MDGAN_TEST_HANG_BELOW"], os.environ["MDGAN_TEST_HANG_MARKER"], io.open

class _Hanging:
    def __init__(self, f):
        self._f = f
    def write(self, data):
        self._f.write(data[: max(1, len(data) // 2)])
        self._f.flush()
        _open(_marker, "w").close()
        time.sleep(600)
    def __getattr__(self, name):
        return getattr(self._f, name)
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        self._f.close()

def _hanging_open(file, mode="r", *args, **kwargs):
    f = _open(file, mode, *args, **kwargs)
    if isinstance(file, (str, os.PathLike)) and set(mode) & set("wax") and os.path.abspath(file).startswith(_below):
        return _Hanging(f)
    return f

io.open = builtins.open = _hanging_open
'''


def test_job_killed_while_writing_leaves_no_output_and_is_redone(tmp_path):
    """A first run killed (SIGKILL, nothing cleans up) while make_windows writes its output."""
    workdir = copy_workflow(tmp_path / "killed")
    target = "results/dataset/windows.npz"
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HANG_ON_WRITE)
    marker = tmp_path / "writing"
    env = workflow_env(
        workdir,
        PYTHONPATH=f"{hook}{os.pathsep}{workdir / 'src'}",
        MDGAN_TEST_HANG_BELOW=str((workdir / target).parent),
        MDGAN_TEST_HANG_MARKER=str(marker),
    )
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", target, "--configfile", TINY_CONFIG]
    proc = subprocess.Popen(cmd, cwd=workdir, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, "the run ended before make_windows wrote anything"
            assert time.monotonic() < deadline, "make_windows never started writing"
            time.sleep(0.1)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    # Some bytes are on disk, but nothing under an output's name.
    written = sorted((workdir / target).parent.iterdir())
    assert all(path.name.startswith(".") for path in written), f"killed job left {written}"
    # The next run (after --unlock, as Snakemake asks after a killed run) redoes make_windows,
    # keeps the finished parsing and extraction, and writes complete output.
    assert snakemake(workdir, "--unlock").returncode == 0
    assert planned_jobs(workdir, target) == {("make_windows", "")}
    result = snakemake(workdir, target)
    assert result.returncode == 0, result.stderr[-4000:]
    with np.load(workdir / target) as windows:
        assert windows["windows"].shape == (480, 16, 3) and np.isfinite(windows["windows"]).all()
    assert planned_jobs(workdir, target) == set()
