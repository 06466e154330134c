"""The anisotropic hopping ground truth: exact D per axis against simulation, its pieces, and its SIESTA files."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats

from mdgan.validation.hopping import HoppingLattice, hop_sequence, simulate, vibration_path

ROOT = Path(__file__).resolve().parents[1]
MODEL = HoppingLattice()  # the system of config/anisotropic_synthetic.yaml
MODELS = {
    "default": MODEL,
    "uncorrelated": HoppingLattice(back_hop_probability=0.0),
    "strong back-hops, slow z": HoppingLattice(inplane_rate_per_ps=0.05, z_rate_per_ps=0.01, back_hop_probability=0.6),
}


def green_kubo_d_ang2_ps(model: HoppingLattice) -> np.ndarray:
    """D per axis by linear algebra on the direction chain: (K a^2 / 2) sum_m <v(d_0) v(d_m)>, m in Z."""
    t, pi = model.direction_transition_matrix(), model.direction_probabilities()
    fundamental = np.linalg.inv(np.eye(6) - t + np.outer(np.ones(6), pi))  # sum_{m>=0} (T^m - 1 pi^T)
    d = []
    for axis in range(3):
        v = np.zeros(6)
        v[2 * axis], v[2 * axis + 1] = 1.0, -1.0
        d.append(model.total_rate_per_ps * model.site_spacing_ang**2 / 2 * pi @ (v * (2 * fundamental @ v - v)))
    return np.array(d)


def test_exact_numbers_of_the_default_model():
    # K = 4 x 0.01 + 2 x 0.03 = 0.1/ps; D_alpha = a^2 k_alpha (1 - p) / (1 + p) = 4 k_alpha x 0.7 / 1.3.
    assert MODEL.residence_time_ps() == pytest.approx(10.0)
    np.testing.assert_allclose(MODEL.diffusion_ang2_ps(), [0.04 * 0.7 / 1.3, 0.04 * 0.7 / 1.3, 0.12 * 0.7 / 1.3])
    summary = MODEL.summary()
    assert summary["D_z_over_D_inplane"] == pytest.approx(3.0)
    assert summary["D_cm2_s"] == pytest.approx(1e-4 * (2 * 0.04 + 0.12) / 3 * 0.7 / 1.3)
    assert summary["fraction_of_hops_along_z"] == pytest.approx(0.6)


@pytest.mark.parametrize("name", MODELS)
def test_closed_form_d_equals_linear_algebra_on_the_direction_chain(name):
    model = MODELS[name]
    np.testing.assert_allclose(model.diffusion_ang2_ps(), green_kubo_d_ang2_ps(model), rtol=1e-12)
    t = model.direction_transition_matrix()
    np.testing.assert_allclose(t.sum(axis=1), 1.0)
    np.testing.assert_allclose(model.direction_probabilities() @ t, model.direction_probabilities())
    # the exact MSD: single hops at short times, slope 2 D at long times, plus the vibration plateau
    msd = model.msd_ang2([1e-6, 1e4, 1e4 + 1])
    rates = np.array([model.inplane_rate_per_ps] * 2 + [model.z_rate_per_ps])
    np.testing.assert_allclose(msd[0], 2 * model.site_spacing_ang**2 * rates * 1e-6 + 2e-5 * 0.25**2, rtol=1e-4)
    np.testing.assert_allclose((msd[2] - msd[1]) / 2, model.diffusion_ang2_ps(), rtol=1e-9)


def test_uncorrelated_hops_give_the_lattice_walk():
    model = MODELS["uncorrelated"]
    a2 = model.site_spacing_ang**2
    np.testing.assert_allclose(model.diffusion_ang2_ps(), [a2 * 0.01, a2 * 0.01, a2 * 0.03])  # 2 x k a^2 / 2


@pytest.mark.parametrize("name", MODELS)
def test_simulated_diffusion_matches_the_exact_d_per_axis(name):
    model = MODELS[name]
    start, (near, far) = simulate(model, 4000, [50.0, 1000.0], np.random.default_rng(5))
    # per-ion slope of the squared displacement per axis between 50 and 1000 ps (the correlated
    # transient has decayed by exp(-50 K (1 + p_back)) < 1e-2): the constant offset cancels
    slope = ((far - start) ** 2 - (near - start) ** 2) / (2 * 950.0)
    d_hat, d_err = slope.mean(axis=0), slope.std(axis=0, ddof=1) / np.sqrt(len(slope))
    d_true = model.diffusion_ang2_ps()
    assert np.all(d_err < 0.05 * d_true)
    assert np.all(np.abs(d_hat - d_true) < 4 * d_err), (d_hat, d_err, d_true)
    # and the exact MSD at 50 ps, transient included
    sq = (near - start) ** 2
    msd_err = sq.std(axis=0, ddof=1) / np.sqrt(len(sq))
    assert np.all(np.abs(sq.mean(axis=0) - model.msd_ang2([50.0])[0]) < 4 * msd_err)


def test_waiting_times_are_exponential_and_directions_follow_the_chain():
    rng = np.random.default_rng(2)
    previous = rng.choice(6, size=2000, p=MODEL.direction_probabilities())
    times, directions = hop_sequence(MODEL, previous, 200.0, rng)
    assert np.all(times[:, -1] > 200.0)
    waits = np.diff(times, axis=1, prepend=0.0).ravel()
    assert abs(waits.mean() - 10.0) < 4 * 10.0 / np.sqrt(waits.size)
    assert stats.kstest(waits, "expon", args=(0, 10.0)).pvalue > 1e-3
    along_z = np.mean(directions >= 4)
    assert abs(along_z - 0.6) < 4 * np.sqrt(0.24 / directions.size)
    # back to the previous site with probability p + (1 - p) pi_reverse, averaged over pi
    pi = MODEL.direction_probabilities()
    expected = 0.3 + 0.7 * np.sum(pi**2)
    back = np.mean(directions[:, 1:] == (directions[:, :-1] ^ 1))
    assert abs(back - expected) < 4 * np.sqrt(expected * (1 - expected) / directions[:, 1:].size)


def test_vibration_is_stationary_with_the_ou_correlation():
    rng = np.random.default_rng(4)
    start = rng.normal(0.0, 0.25, size=(20000, 3))
    path = vibration_path(MODEL, start, np.array([0.1, 0.12, 5.0]), rng)
    n = start.size
    for u in (start, *path):
        assert abs(u.var() / 0.25**2 - 1) < 4 * np.sqrt(2 / n)
    corr = np.mean(start * path[0]) / 0.25**2
    assert abs(corr - np.exp(-1.0)) < 4 / np.sqrt(n)
    corr_20fs = np.mean(path[0] * path[1]) / 0.25**2
    assert abs(corr_20fs - np.exp(-0.2)) < 4 / np.sqrt(n)


def test_simulation_is_seeded_and_starts_on_distinct_sites():
    a = simulate(MODEL, 48, [0.02, 0.04], np.random.default_rng(1))
    b = simulate(MODEL, 48, [0.02, 0.04], np.random.default_rng(1))
    np.testing.assert_array_equal(a[1], b[1])
    sites = np.round(a[0] / MODEL.site_spacing_ang).astype(int) % MODEL.sites_per_axis
    assert len({tuple(s) for s in sites}) == 48
    with pytest.raises(ValueError):
        simulate(MODEL, 4, [0.04, 0.02], np.random.default_rng(1))
    with pytest.raises(ValueError):
        HoppingLattice(back_hop_probability=1.0)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The default plan at 1 % of its frames, a small alpha2 reference."""
    out = tmp_path_factory.mktemp("anisotropic")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    script = ROOT / "resources/synthetic/make_anisotropic.py"
    result = subprocess.run([sys.executable, str(script), str(out), "--scale", "0.01", "--alpha2-ions", "400"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return out, json.loads((out / "ground_truth.json").read_text())


def test_make_anisotropic_writes_the_plan_and_its_ground_truth(generated):
    out, truth = generated
    assert truth["model"] == json.loads(json.dumps(MODEL.summary()))
    plan = {"train_1": (16, 25), "train_2": (16, 25), "train_3": (16, 25), "select": (16, 50),
            "reference_1": (48, 320), "reference_2": (48, 320)}
    assert {name: (run["ions"], run["frames"]) for name, run in truth["runs"].items()} == plan
    seeds = [run["seed"] for run in truth["runs"].values()] + [truth["alpha2_reference"]["seed"]]
    assert len(set(seeds)) == len(seeds)
    table = truth["alpha2_reference"]
    assert table["n_ions"] == 400 and len(table["alpha2_3d"]) == len(table["lag_ps"]) == len(table["alpha2_z_err"])
    assert "x 2.153846e-06, y 2.153846e-06, z 6.461538e-06" in (out / "train_1/synth.fdf").read_text()


def test_runs_read_back_as_simulated(generated):
    io = pytest.importorskip("mdgan.io")
    out, truth = generated
    run = truth["runs"]["select"]
    traj = io.read_run(run["path"])
    assert traj.n_frames == 50 and traj.frame_dt_fs == pytest.approx(20.0)
    assert traj.temperature_k == pytest.approx(600.0)
    assert list(traj.numbers) == [3] * 16 + [40] * 8
    np.testing.assert_allclose(traj.cells_ang[0], MODEL.cell_ang)
    start, li = simulate(MODEL, 16, 0.02 * np.arange(1, 51), np.random.default_rng(run["seed"]))
    np.testing.assert_allclose(traj.positions_ang[:, :16], li, atol=6e-7)


def test_the_config_points_at_the_plan_and_the_exact_isotropic_d():
    config = yaml.safe_load((ROOT / "config/anisotropic_synthetic.yaml").read_text())
    assert config["validation"]["ground_truth_D_cm2_s"] == pytest.approx(MODEL.summary()["D_cm2_s"], rel=1e-12)
    axes = config["validation"]["ground_truth_D_axes_cm2_s"]
    assert list(axes) == ["x", "y", "z"]
    np.testing.assert_allclose(list(axes.values()), MODEL.summary()["D_axes_cm2_s"], rtol=1e-12)
    for name, run in config["runs"].items():
        assert run["path"] == f"resources/synthetic/anisotropic/{name}/synth.fdf"
    split = config["validation"]["split"]
    assert sorted(split["training"] + split["selection"] + split["heldout"]) == sorted(config["runs"])
