"""Reruns: a change reruns exactly the jobs whose outputs depend on it; a killed job leaves no
half-written output and is redone by the next run.

Each test works on a copy of the workflow, the package and the tiny data in a temporary directory
(run once per module); changes are `--configfile` overlays, touched files or edited code in the
copy, and what Snakemake would run is read from a dry run's job list. "X onwards" is the set of
jobs `--forcerun X` plans: X and everything downstream of it, nothing upstream.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COPIED = ("Snakefile", "workflow", "config", "envs", "profiles", "src", "tests/data/tiny", "tests/config/tiny.yaml")
TINY_CONFIG = "tests/config/tiny.yaml"

pytestmark = pytest.mark.slow


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


def snakemake(workdir: Path, *args: str, configs: tuple[Path, ...] = (), env=None, timeout=300):
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", TINY_CONFIG, *map(str, configs), *args]
    return subprocess.run(
        cmd, cwd=workdir, env=env or workflow_env(workdir), capture_output=True, text=True, timeout=timeout
    )


def planned_jobs(workdir: Path, *args: str, configs: tuple[Path, ...] = ()) -> set[tuple[str, str]]:
    """(rule, wildcards) of every job a dry run would execute, the target rule `all` left out."""
    result = snakemake(workdir, "--dry-run", *args, configs=configs)
    assert result.returncode == 0 and "Error" not in result.stderr, result.stderr[-3000:]
    jobs, rule = set(), None
    for line in (result.stdout + result.stderr).splitlines():
        if match := re.match(r"(?:local)?rule (\w+):$", line):
            if rule is not None:
                jobs.add((rule, ""))
            rule = match.group(1)
        elif rule is not None and (match := re.match(r"\s+wildcards: (.*)$", line)):
            jobs.add((rule, match.group(1)))
            rule = None
        elif rule is not None and not line.startswith((" ", "\t")):
            jobs.add((rule, ""))
            rule = None
    return {job for job in jobs if job[0] != "all"}


@functools.cache
def onwards(workdir: Path, rule: str) -> frozenset[tuple[str, str]]:
    """The jobs of ``rule`` and everything downstream of them (in an up-to-date ``workdir``)."""
    return frozenset(planned_jobs(workdir, "--forcerun", rule))


def overlay(tmp_path: Path, **config) -> Path:
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def done_workflow(tmp_path_factory) -> Path:
    """A copy of the workflow after a complete run of its default target on the tiny data."""
    workdir = copy_workflow(tmp_path_factory.mktemp("reruns"))
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-4000:]
    return workdir


def test_unchanged_config_reruns_nothing(done_workflow):
    assert planned_jobs(done_workflow) == set()


def test_step_skip_change_reruns_windowing_onwards(done_workflow, tmp_path):
    configs = (overlay(tmp_path, step_skip=2),)
    planned = planned_jobs(done_workflow, configs=configs)
    assert ("make_windows", "") in planned
    assert not {rule for rule, _ in planned} & {"parse_run", "extract_species"}
    assert planned == onwards(done_workflow, "make_windows")


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


def test_changing_one_run_input_reruns_that_run_then_windowing_onwards(done_workflow):
    with edited(done_workflow / "tests/data/tiny/run2/lgps.ANI", nudge_last_coordinate):
        planned = planned_jobs(done_workflow)
    expected = {("parse_run", "run=run2"), ("extract_species", "run=run2")} | onwards(done_workflow, "make_windows")
    assert planned == expected
    assert planned_jobs(done_workflow) == set()  # same content again: nothing to do


def test_touching_an_input_without_changing_it_reruns_nothing(done_workflow):
    ani = done_workflow / "tests/data/tiny/run2/lgps.ANI"
    os.utime(ani)
    assert planned_jobs(done_workflow) == set()


def test_editing_package_code_reruns_the_rules_that_run_it(done_workflow):
    """The package modules a script calls are inputs: windows.py reruns windowing onwards only."""
    with edited(done_workflow / "src/mdgan/windows.py", lambda text: text + "\n# edited\n"):
        planned = planned_jobs(done_workflow)
    assert planned == onwards(done_workflow, "make_windows")


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


def test_job_killed_while_writing_leaves_no_output_and_is_redone(done_workflow, tmp_path):
    """A first run killed (SIGKILL, nothing cleans up) while make_windows writes its output."""
    workdir = copy_workflow(tmp_path / "killed")
    target = workdir / "results/dataset/windows.npz"
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HANG_ON_WRITE)
    marker = tmp_path / "writing"
    env = workflow_env(
        workdir,
        PYTHONPATH=f"{hook}{os.pathsep}{workdir / 'src'}",
        MDGAN_TEST_HANG_BELOW=str(target.parent),
        MDGAN_TEST_HANG_MARKER=str(marker),
    )
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", TINY_CONFIG]
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
    assert not any(target.parent.glob("[!.]*")), f"killed job left {sorted(target.parent.iterdir())}"
    # The next run (after --unlock, as Snakemake asks after a killed run) redoes make_windows and
    # what follows, keeps the finished parsing and extraction, and writes complete output.
    assert snakemake(workdir, "--unlock").returncode == 0
    planned = planned_jobs(workdir)
    assert ("make_windows", "") in planned
    assert not {rule for rule, _ in planned} & {"parse_run", "extract_species"}
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-4000:]
    with np.load(target) as redone, np.load(done_workflow / "results/dataset/windows.npz") as reference:
        for key in reference.files:
            np.testing.assert_array_equal(redone[key], reference[key])
    assert planned_jobs(workdir) == set()
