"""D per axis from counted hops: recovered from simulated trajectories, errors that cover, no hop from vibration."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mdgan.errors import InputError
from mdgan.validation.hop_estimate import estimate_from_hops, floor_draws, hops_from_positions
from mdgan.validation.hopping import HoppingLattice, equilibrium_start, hop_sequence, simulate

MODEL = HoppingLattice()  # the system of config/anisotropic_synthetic.yaml
EXACT = MODEL.diffusion_ang2_ps()


def test_simulated_trajectories_give_the_exact_d_per_axis():
    # 200 ions x 200 ps of 20 fs frames: about 4,000 hops, D per axis to 3-5 %
    _, positions = simulate(MODEL, 200, 0.02 * np.arange(1, 10001), np.random.default_rng(3))
    sequences, irregular = hops_from_positions(positions, MODEL.site_spacing_ang)
    estimate = estimate_from_hops(sequences, 200 * 200.0, MODEL.site_spacing_ang)
    assert estimate.hops_per_axis.sum() == pytest.approx(200 * 200.0 * MODEL.total_rate_per_ps, rel=0.05)
    assert irregular < 0.01 * estimate.hops_per_axis.sum()
    assert np.all(np.abs(estimate.D_axes_ang2_ps - EXACT) < 3 * estimate.D_axes_err_ang2_ps)
    assert np.all(estimate.D_axes_err_ang2_ps / EXACT < 0.06)
    assert abs(estimate.back_hop_probability - 0.3) < 3 * estimate.back_hop_probability_err
    assert abs(estimate.z_over_inplane - 3.0) < 3 * estimate.z_over_inplane_err


def test_a_vibration_across_the_midpoint_is_no_hop():
    # no hops (a negligible rate), the default vibration of 0.25 A rms: the midpoint 1 A away is 4 sigma
    still = HoppingLattice(inplane_rate_per_ps=0.0, z_rate_per_ps=1e-12)
    _, positions = simulate(still, 50, 0.02 * np.arange(1, 5001), np.random.default_rng(0))
    committed, _ = hops_from_positions(positions, still.site_spacing_ang)
    crossings, _ = hops_from_positions(positions, still.site_spacing_ang, commit_fraction=0.5)
    assert sum(map(len, committed)) == 0
    assert sum(map(len, crossings)) > 20  # nearest-site rounding counts every excursion twice


def test_an_unresolved_double_hop_is_irregular_and_ends_the_sequence():
    sites = np.array([[0, 0, 0], [1, 0, 0], [0, 0, 0], [2, 0, 0], [2, 1, 0], [2, 0, 0]], dtype=float)
    positions = (2.0 * sites)[:, None, :]  # one ion, (frames, 1, 3)
    sequences, irregular = hops_from_positions(positions, 2.0)
    assert irregular == 1
    assert [s.tolist() for s in sequences] == [[0, 1], [2, 3]]  # +x, -x | +y, -y


def test_errors_cover_the_spread_over_independent_training_parts():
    # 200 parts of the training size (48 ions x 50 ps): the 1-sigma error covers about 68 %
    rng = np.random.default_rng(5)
    z = []
    for _ in range(200):
        _, _, previous = equilibrium_start(MODEL, 48, rng)
        times, directions = hop_sequence(MODEL, previous, 50.0, rng)
        estimate = estimate_from_hops([d[t <= 50.0] for t, d in zip(times, directions)], 48 * 50.0, 2.0)
        z.append(np.r_[(estimate.D_axes_ang2_ps - EXACT) / estimate.D_axes_err_ang2_ps,
                       (estimate.z_over_inplane - 3.0) / estimate.z_over_inplane_err])
    within = np.mean(np.abs(np.array(z)) < 1, axis=0)
    assert np.all((within > 0.58) & (within < 0.80)), within


def test_floor_draws_scatter_about_the_exact_d():
    draws = floor_draws(MODEL, [(48, 50.0)], 200, np.random.default_rng(1))
    assert draws.shape == (200, 4)
    ratio = draws[:, :3] / EXACT
    assert np.all(np.abs(ratio.mean(axis=0) - 1) < 3 * ratio.std(axis=0) / np.sqrt(200))
    assert 0.1 < ratio[:, 2].std() < 0.25  # the training part pins D_z to about 15 %
    pooled = floor_draws(MODEL, [(48, 50.0), (16, 100.0)], 200, np.random.default_rng(2))
    assert pooled[:, 2].std() < ratio[:, 2].std() * EXACT[2]  # more ion-time, a narrower floor


def test_bad_input_is_named():
    with pytest.raises(InputError, match=r"\(frames, ions, 3\)"):
        hops_from_positions(np.zeros((10, 3)), 2.0)
    with pytest.raises(InputError, match="no hop along axis y"):
        estimate_from_hops([np.array([0, 1, 4, 5], dtype=np.int8)], 10.0, 2.0)


def test_data_floor_benchmark_reads_a_ground_truth(tmp_path):
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    subprocess.run([sys.executable, str(root / "resources/synthetic/make_anisotropic.py"), str(tmp_path),
                    "--scale", "0.5", "--alpha2-ions", "1000"], check=True, capture_output=True, env=env)
    out = subprocess.run([sys.executable, str(root / "benchmarks/data_floor.py"), "--runs", str(tmp_path),
                          "--draws", "20"], check=True, capture_output=True, text=True, env=env).stdout
    rows = {line.split("|")[1].strip(): line for line in out.splitlines() if line.startswith("| ")}
    assert {"training", "selection", "held-out", "training + selection"} <= set(rows)
    floor_row = next(line for line in out.splitlines() if line.startswith("| training |"))  # the floor table's
    floor_sd = float(floor_row.split("|")[3].split(",")[0])  # D_z over exact, 3 x 16 x 25 ps
    assert 0.12 < floor_sd < 0.4
    counted = [line for line in out.splitlines() if line.startswith("| held-out |")][-1]
    d_z, d_z_err = (float(v) for v in counted.split("|")[2].split("+-"))
    assert abs(d_z - 1) < 3 * d_z_err
