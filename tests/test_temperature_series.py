"""A temperature series through the workflow: the runs grouped by temperature, one model and one
analysis per temperature under results/<T>K/, the Arrhenius tables and figure over them.

The tiny runs at two temperatures (tests/conftest.py, tiny_series_config) run once, through the SLURM
test cluster with the cluster profile where one can start (tests/slurm_cluster.py: a node with two
fake GPUs; the data path and the MD analysis made locally first), else locally. On the cluster the
scheduler's records must show the two temperatures' trainings, each holding one GPU, running at the
same time.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import slurm_cluster
from conftest import run_workflow, tiny_config, tiny_series_config
from tiny_workflow import TinyRun, copy_workflow, run_on_cluster, scheduler_jobs, snakemake

CONDITIONS = {"600K": ["run1", "run2"], "900K": ["run3", "run4"]}
TRAINING = {"iterations": 600, "checkpoint_every": 100, "log_every": 200}
# made locally before the cluster run, so that the two trainings are the only jobs ready when it starts:
# on the 2-CPU test node the data path and the MD analysis would otherwise hold CPUs and stagger them
PREPARED = [f"results/{name}/{product}" for name in CONDITIONS
            for product in ("dataset/windows.npz", "analysis/msd_md.csv", "analysis/displacements_md.npz")]
FIT_COLUMNS = ["source", "Ea_eV", "Ea_err_eV", "prefactor_cm2_s", "T_extrapolated_k", "D_extrapolated_cm2_s",
               "D_extrapolated_err_cm2_s", "sigma_extrapolated_S_per_cm", "sigma_extrapolated_err_S_per_cm"]


@pytest.fixture(scope="module")
def series_run(request, tmp_path_factory) -> TinyRun:
    workdir = copy_workflow(tmp_path_factory.mktemp("series-run"))
    config = tiny_series_config(workdir / "series-data")
    overlay = workdir / "series.yaml"
    overlay.write_text(yaml.safe_dump({"runs": config["runs"], "training": TRAINING}))
    if slurm_cluster.unavailable_reason() is None:
        cluster = request.getfixturevalue("slurm_test_cluster")
        prepared = snakemake(workdir, *PREPARED, configs=(overlay,))
        assert prepared.returncode == 0, prepared.stderr[-6000:]
        return run_on_cluster(workdir, (overlay,), cluster, cancel_training=False)
    start = time.monotonic()
    result = snakemake(workdir, configs=(overlay,))
    assert result.returncode == 0, result.stderr[-6000:]
    return TinyRun(workdir, (overlay,), None, time.monotonic() - start, None)


@pytest.mark.slow
def test_each_temperature_has_its_own_windows_model_and_analysis(series_run):
    results = series_run.workdir / "results"
    assert not (results / "dataset").exists() and not (results / "model").exists()
    for name, runs in CONDITIONS.items():
        stats = json.loads((results / name / "dataset/standardization.json").read_text())
        assert stats["runs"] == runs
        assert (results / name / "model/replica0/generator.pt").is_file()
        assert (results / name / "generated/positions.npy").is_file()
        conditions = pd.read_csv(results / name / "analysis/conditions.csv")
        listed = {s.removeprefix("MD run ") for s in conditions["section"] if s.startswith("MD run ")}
        assert listed == set(runs)
        temperatures = conditions.loc[conditions["quantity"].str.contains("temperature", case=False), "value"]
        assert any(name.removesuffix("K") in str(v) for v in temperatures), temperatures.tolist()
        for figure in ("msd", "z_displacement", "ion_paths", "van_hove", "training"):
            assert (results / name / f"figures/{figure}.png").stat().st_size > 1000
        assert (results / name / "logs/make_windows.log").is_file()


@pytest.mark.slow
def test_arrhenius_tables_list_every_temperature_and_source(series_run):
    results = series_run.workdir / "results"
    points = pd.read_csv(results / "arrhenius/arrhenius.csv")
    assert list(points.columns[:4]) == ["temperature_k", "source", "D_cm2_s", "D_err_cm2_s"]
    assert [(t, s) for t, s in zip(points["temperature_k"], points["source"])] == [
        (600.0, "MD"), (600.0, "MD-GAN"), (900.0, "MD"), (900.0, "MD-GAN")
    ]
    assert {"D_x_cm2_s", "D_y_cm2_s", "D_z_cm2_s"} <= set(points.columns)
    # each row is its temperature's own-range D from that temperature's diffusion table
    for (t, source), row in points.set_index(["temperature_k", "source"]).iterrows():
        table = pd.read_csv(results / f"{t:.0f}K/analysis/diffusion.csv")
        own = table[(table["source"] == source) & (table["fit"] == "own range") & (table["axis"] == "iso")].iloc[0]
        np.testing.assert_allclose(row["D_cm2_s"], own["D_cm2_s"], equal_nan=True)
        # the tiny runs (1 ps) reach no diffusive regime: listed, left out of the fit, with the reason
        if not own["diffusive"]:
            assert not row["in_fit"] and isinstance(row["excluded_reason"], str) and row["excluded_reason"]
    fit = pd.read_csv(results / "arrhenius/arrhenius_fit.csv")
    assert list(fit.columns[: len(FIT_COLUMNS)]) == FIT_COLUMNS
    assert fit["source"].tolist() == ["MD", "MD-GAN"] and (fit["T_extrapolated_k"] == 300).all()
    for name in ("arrhenius.png", "arrhenius.pdf"):
        assert (results / "figures" / name).stat().st_size > 1000


@pytest.mark.slow
def test_the_report_groups_the_series_by_temperature(series_run):
    result = snakemake(series_run.workdir, "--report", "results/report.html", configs=series_run.configs)
    assert result.returncode == 0, result.stderr[-4000:]
    html = (series_run.workdir / "results/report.html").read_text(errors="replace")
    assert "600K" in html and "900K" in html and "Temperature series" in html


@pytest.mark.cluster
@pytest.mark.slow
def test_two_temperatures_train_at_once_on_two_gpus(series_run):
    if series_run.cluster is None:
        pytest.skip("ran locally: no SLURM test cluster")
    jobs = scheduler_jobs(series_run.cluster, series_run.workdir)
    trainings = [job for job in jobs if job["rule"] == "train_mdgan"]
    # the plugin's job comment joins the wildcards' values: condition, replica
    assert sorted(job["wildcards"] for job in trainings) == ["600K_0", "900K_0"], [job["wildcards"] for job in trainings]
    assert all(job["JobState"] == "COMPLETED" and job["TresPerJob"] == "gres:gpu:1" for job in trainings)
    start = [datetime.fromisoformat(job["StartTime"]) for job in trainings]
    end = [datetime.fromisoformat(job["EndTime"]) for job in trainings]
    assert max(start) < min(end), f"the trainings did not overlap: {list(zip(start, end))}"


def test_one_temperature_keeps_the_single_layout(tmp_path):
    result = run_workflow(tmp_path, tiny_config(), "--dry-run")
    assert "condition=" not in result.stdout and "results/600K" not in result.stdout
    assert "results/dataset/windows.npz" in result.stdout and "results/arrhenius" not in result.stdout


def test_validation_on_a_series_is_refused_with_the_temperatures(tmp_path):
    config = tiny_series_config(tmp_path, validation={"enabled": True})
    result = run_workflow(tmp_path, config, "--dry-run", check=False)
    assert result.returncode != 0
    message = result.stdout + result.stderr
    assert "validation.enabled" in message and "600K, 900K" in message
