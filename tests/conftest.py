"""Shared fixtures: paths of the repository and a runner of the workflow through the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
TINY_CONFIG = REPO / "tests" / "config" / "tiny.yaml"


def tiny_config(**overrides) -> dict:
    """The tiny test config with absolute run paths, top-level keys overridden."""
    config = yaml.safe_load(TINY_CONFIG.read_text())
    for run in config["runs"].values():
        run["path"] = str(REPO / run["path"])
    config.update(overrides)
    return config


def tiny_series_config(directory: Path, hot_k: float = 900.0, **overrides) -> dict:
    """The tiny config as a temperature series: run1, run2 as they are (600 K) and copies of run3 and
    run1 whose fdf says ``hot_k``, written under ``directory``."""
    import shutil

    config = tiny_config(**overrides)
    for name, source in (("run3", "run3"), ("run4", "run1")):
        run_dir = shutil.copytree(REPO / "tests" / "data" / "tiny" / source, directory / name)
        fdf = run_dir / "lgps.fdf"
        fdf.write_text(fdf.read_text().replace("600 K", f"{hot_k:g} K"))
        config["runs"][name] = {"path": str(fdf)}
    return config


def run_workflow(workdir: Path, config: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``snakemake`` on the repository's Snakefile in ``workdir`` with ``config``."""
    workdir.mkdir(parents=True, exist_ok=True)
    configfile = workdir / "config.yaml"
    configfile.write_text(yaml.safe_dump(config))
    cmd = [
        sys.executable, "-m", "snakemake",
        "--resources", "gpu=1",  # nargs: keep options after it, targets last
        "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(workdir),
        "--configfile", str(configfile),
        "--cores", "2",
        *args,
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-6000:]}")
    return result


@pytest.fixture
def workflow_runner():
    return run_workflow


# --- cluster and rerun tests (docs/cluster.md): one run of the tiny workflow shared by both ---
from tiny_workflow import slurm_test_cluster, tiny_run  # noqa: E402,F401  (session fixtures)
