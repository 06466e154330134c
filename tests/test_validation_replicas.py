"""Replicate models in the validation: errors over replicas, each replica's D, the plan's seeds."""

import numpy as np
import pandas as pd
import pytest

from mdgan.analysis.uncertainty import t_factor
from mdgan.extract import IonTracks
from mdgan.validation.comparison import fidelity_table, generated_stats, heldout_stats, lag_grid
from mdgan.validation.replicas import SELECTION_SCORE, replica_table, table_replicas
from mdgan.workflow.validation import validation_plan

FIT = {"slope_tolerance": 0.15, "min_span_decades": 0.5, "slope_half_width_decades": 0.1}
STEP_ANG = np.array([0.3, 0.3, 0.3 * np.sqrt(3.0)])  # per frame (40 fs): D = step^2 / (2 x 0.04 ps)
EXACT_AXES = dict(zip("xyz", STEP_ANG**2 / 0.08 * 1e-4))  # cm^2/s
EXACT = float(np.mean(list(EXACT_AXES.values())))


def walk(n_ions, n_frames, seed, scale=1.0):
    x = np.cumsum(np.random.default_rng(seed).normal(0.0, 1.0, (n_frames, n_ions, 3)) * STEP_ANG * scale, axis=0)
    cells = np.repeat(10.0 * np.eye(3)[None], n_frames, axis=0)
    return IonTracks(x, 0.04 * np.arange(n_frames), cells, 40.0, 600.0, "Li", f"walk {seed}")


def records(tracks):
    return tracks.positions_ang[::2].transpose(1, 0, 2)


@pytest.fixture(scope="module")
def replicas():
    """Two "replicas": the exact walk and one whose D is 40 % higher, 64 ions each, side by side."""
    heldout = {"h": walk(24, 401, 1)}
    stats = {"step_skip": 2, "record_dt_ps": 0.08, "window_records": 8}
    grid = lag_grid(heldout, stats, n_lags=12, n_distribution_lags=4, max_lag_fraction=0.5)
    positions = np.concatenate([records(walk(64, 801, 2)), records(walk(64, 801, 3, np.sqrt(1.4)))])
    two = generated_stats(positions, grid, FIT, 0.5, replica_ions=[(0, 64), (64, 128)])
    pooled = generated_stats(positions, grid, FIT, 0.5)
    one = generated_stats(positions, grid, FIT, 0.5, replica_ions=[(0, 128)])
    return heldout_stats(heldout, grid, FIT), grid, two, pooled, one


def test_errors_cover_the_replicas_and_each_replica_has_its_own_d(replicas):
    _, _, two, pooled, _ = replicas
    assert two.fit.err_over == "replicate models (jackknife, 2 replicas)"
    assert all(f.err_over == two.fit.err_over for f in two.axis_fits)
    assert len(two.replica_fits) == 2
    for fits in two.replica_fits:
        assert [f.axis for f in fits] == ["iso", "x", "y", "z"] and {f.err_over for f in fits} == {"ions"}
    d0, d1 = (fits[0].D_cm2_s for fits in two.replica_fits)
    assert d1 / d0 == pytest.approx(1.4, rel=0.1)
    assert d0 == pytest.approx(EXACT, rel=0.1)
    # the pooled D sits between them; with two replicas the jackknife error is about half their difference
    # (times Student's t for one degree of freedom, 1.84), far more than the error over 128 ions of one
    # process would say
    assert d0 < two.fit.D_cm2_s < d1
    assert two.fit.D_err_cm2_s == pytest.approx((d1 - d0) / 2 * t_factor(1), rel=0.25)
    assert two.fit.D_err_cm2_s > 3 * pooled.fit.D_err_cm2_s
    assert pooled.replica_fits == () and pooled.fit.err_over == "ions"
    # the MSD per lag carries the same grouping: its errors too cover the replicas
    assert np.all(two.curve.msd_err_ang2[1:] > pooled.curve.msd_err_ang2[1:])


def test_one_replica_is_the_series_itself(replicas):
    _, _, _, pooled, one = replicas
    assert one.fit == pooled.fit and one.replica_fits == ((pooled.fit, *pooled.axis_fits),)


def test_replica_table_lists_each_replica_beside_the_ensemble(replicas):
    heldout, grid, two, _, _ = replicas
    table = replica_table(heldout, two, [0.3, 0.2], EXACT, EXACT_AXES)
    by = table.set_index("quantity")
    assert table["quantity"].tolist() == ["D_cm2_s", "D_truth_cm2_s", "D_x_cm2_s", "D_y_cm2_s", "D_z_cm2_s",
                                          "D_truth_x_cm2_s", "D_truth_y_cm2_s", "D_truth_z_cm2_s", SELECTION_SCORE]
    truth = by.loc["D_truth_cm2_s"]
    assert truth["heldout"] == EXACT and truth["mdgan"] == pytest.approx(two.fit.D_cm2_s)
    assert truth["mdgan_err"] == pytest.approx(two.fit.D_err_cm2_s)
    for r, fits in enumerate(two.replica_fits):
        assert truth[f"replica{r}"] == pytest.approx(fits[0].D_cm2_s)
        assert truth[f"replica{r}_err"] == pytest.approx(fits[0].D_err_cm2_s)
        assert truth[f"replica{r}_ratio"] == pytest.approx(fits[0].D_cm2_s / EXACT)
        z = by.loc["D_truth_z_cm2_s"]
        assert z[f"replica{r}_ratio"] == pytest.approx(fits[3].D_cm2_s / EXACT_AXES["z"])
    ratios = [truth["replica0_ratio"], truth["replica1_ratio"]]
    assert truth["replica_ratio_mean"] == pytest.approx(np.mean(ratios))
    assert truth["replica_ratio_sd"] == pytest.approx(np.std(ratios, ddof=1))
    # the ensemble's jackknife error is about the standard error of the replicas' mean (times t)
    assert truth["mdgan_ratio_err"] == pytest.approx(truth["replica_ratio_sd"] / np.sqrt(2) * t_factor(1), rel=0.25)
    assert table_replicas(table) == ["replica0", "replica1"]
    assert by.loc[SELECTION_SCORE, ["replica0", "replica1"]].tolist() == [0.3, 0.2]
    assert np.isnan(by.loc[SELECTION_SCORE, "heldout"])
    with pytest.raises(ValueError, match="1 selection scores for 2 replicas"):
        replica_table(heldout, two, [0.3])


def test_a_single_replica_table_has_no_spread(replicas):
    heldout, _, _, _, one = replicas
    table = replica_table(heldout, one, [0.25]).set_index("quantity")
    assert table.loc["D_cm2_s", "replica0"] == table.loc["D_cm2_s", "mdgan"]
    assert np.isnan(table.loc["D_cm2_s", "replica_ratio_sd"])
    assert table.loc[SELECTION_SCORE, "replica0"] == 0.25


def test_fidelity_table_is_unchanged_by_the_replicas_grouping_but_for_errors(replicas):
    heldout, grid, two, pooled, _ = replicas
    a = fidelity_table(heldout, {"mdgan": two}, grid, EXACT)
    b = fidelity_table(heldout, {"mdgan": pooled}, grid, EXACT)
    pd.testing.assert_frame_equal(a.drop(columns=[c for c in a if c.endswith("_err")]),
                                  b.drop(columns=[c for c in b if c.endswith("_err")]))


def plan_config(validation_training):
    runs = {name: {"path": f"{name}.fdf"} for name in ("run1", "run2", "run3")}
    return {
        "runs": runs,
        "training": {"seed": 5, "replicas": 2, "iterations": 100, "device": "auto", "threads": 1},
        "generation": {"n_ions": 64, "n_steps": 100, "device": "auto", "threads": 1},
        "validation": {"split": {"training": ["run1"], "selection": ["run2"], "heldout": ["run3"]},
                       "training": validation_training, "generation": {"n_ions": 32, "n_steps": None}},
    }


def test_plan_seeds_each_replica_with_seed_plus_replica():
    plan = validation_plan(plan_config({"replicas": 3, "iterations": 40}), "results")
    assert [t["seed"] for t in plan["replica_training"]] == [5, 6, 7]
    for t in plan["replica_training"]:
        assert t["iterations"] == 40 and not {"replicas", "device", "threads"} & set(t)
    # without the key the validation trains as many replicas as the main workflow
    assert len(validation_plan(plan_config({}), "results")["replica_training"]) == 2
    with pytest.raises(ValueError, match="validation.training.replicas: at least 1"):
        validation_plan(plan_config({"replicas": 0}), "results")


def test_the_error_over_replicas_covers_the_seed_spread_as_often_as_it_claims():
    """200 validations of 3 replicas x 16 ions, each replica's D off by a seed effect (20 % SD, more
    than its ions' own scatter): the 1-sigma error over replicas covers the mean D over seeds in 60-76 %
    of them; the error over ions alone, blind to the seed effect, in far fewer."""
    rng = np.random.default_rng(7)
    stats = {"step_skip": 1, "record_dt_ps": 0.04, "window_records": 8}
    grid = lag_grid({"h": walk(4, 257, 0)}, stats, n_lags=10, n_distribution_lags=2, max_lag_fraction=0.5)
    z_replicas, z_ions = [], []
    for _ in range(200):
        scales = np.sqrt(1.0 + 0.2 * rng.normal(size=3))
        steps = rng.normal(size=(3, 16, 256, 3)) * STEP_ANG * scales[:, None, None, None]
        positions = np.cumsum(steps, axis=2).reshape(48, 256, 3)
        for z, ions in ((z_replicas, [(0, 16), (16, 32), (32, 48)]), (z_ions, ())):
            fit = generated_stats(positions, grid, FIT, 0.5, max_origins=4, replica_ions=ions).fit
            z.append((fit.D_cm2_s - EXACT) / fit.D_err_cm2_s)
    assert 0.60 <= np.mean(np.abs(z_replicas) < 1) <= 0.76
    assert np.mean(np.abs(z_ions) < 1) < 0.45
