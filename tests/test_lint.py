"""The workflow passes ``snakemake --lint`` and is formatted with the pinned snakefmt."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY_CONFIG = ROOT / "tests" / "config" / "tiny.yaml"
SNAKEFMT_VERSION = "2.1.0"  # pinned in pyproject.toml ([project.optional-dependencies] test)


def snakefiles() -> list[Path]:
    return [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]


def test_snakemake_lint_is_clean():
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint", "--configfile", str(TINY_CONFIG)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    # exit status 1 and the lints on stderr when there is anything to say
    assert result.returncode == 0 and "your workflow is in a good condition" in result.stderr, (
        f"snakemake --lint has something to say:\n{result.stdout}\n{result.stderr}"
    )


def test_snakefiles_are_formatted_with_pinned_snakefmt():
    snakefmt = shutil.which("snakefmt")
    assert snakefmt, 'snakefmt missing: pip install -e ".[test]"'
    version = subprocess.run([snakefmt, "--version"], capture_output=True, text=True).stdout
    assert SNAKEFMT_VERSION in version, f"snakefmt {SNAKEFMT_VERSION} is pinned, found {version.strip()}"
    # snakefmt formats shell: blocks with shfmt; without it those would go unchecked
    assert shutil.which("shfmt"), "shfmt missing (pip install shfmt-py)"
    result = subprocess.run(
        [snakefmt, "--check", *map(str, snakefiles())], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        diff = subprocess.run([snakefmt, "--diff", *map(str, snakefiles())], cwd=ROOT, capture_output=True, text=True)
        pytest.fail(f"Snakefiles not formatted (run: snakefmt Snakefile workflow/rules):\n{diff.stdout[-4000:]}")
