"""Comparison with the held-out MD, targets and figure, on the synthetic system (no model needed)."""

import numpy as np
import pytest

from mdgan.extract import IonTracks
from mdgan.validation.baseline import fit_ar, write_positions
from mdgan.validation.compare import fidelity_table, generated_stats, heldout_stats, lag_grid
from mdgan.validation.figures import plot_fidelity
from mdgan.validation.split import Piece, part_tracks
from mdgan.validation.synthetic import CosineLattice, equilibrium_start, simulate
from mdgan.validation.targets import targets_table
from mdgan.windows import build_dataset, standardization_dict

# A faster-hopping variant of the synthetic system: the diffusive regime within a short run.
LATTICE = CosineLattice(barrier_ev=0.15)
FIT = {"slope_tolerance": 0.15, "min_span_decades": 0.5, "slope_half_width_decades": 0.1}


def tracks(n_ions, n_frames, seed):
    rng = np.random.default_rng(seed)
    x = simulate(LATTICE, equilibrium_start(LATTICE, n_ions, rng), n_frames, 40.0, 4, rng)
    cells = np.repeat(LATTICE.cell_ang[None], n_frames, axis=0)
    return IonTracks(x, 0.04 * np.arange(1, n_frames + 1), cells, 40.0, 600.0, "Li", f"seed {seed}")


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    runs = {"a": tracks(32, 3000, 1), "b": tracks(32, 3000, 2)}
    training = part_tracks([Piece("a", 0.0, 0.5)], runs)
    heldout = part_tracks([Piece("a", 0.5, 1.0), Piece("b")], runs)
    dataset = build_dataset(training, step_skip=2, window_records=32, stride_records=4)
    stats = standardization_dict(dataset)
    grid = lag_grid(heldout, stats, n_lags=20, n_distribution_lags=6, max_lag_fraction=0.8)
    h, first, second = heldout_stats(heldout, grid, FIT)
    # "generators": the exact process itself (independent ions) and a Gaussian baseline
    exact = tracks(256, 4000, 3).positions_ang[::2].transpose(1, 0, 2).astype(np.float32)
    path = tmp_path_factory.mktemp("baseline") / "positions.npy"
    write_positions(path, fit_ar(dataset.windows, 0, stats), np.zeros((256, 3)), 2000, seed=0)
    generated = {
        "exact": generated_stats(exact, grid, FIT, 0.5),
        "baseline": generated_stats(np.load(path, mmap_mode="r"), grid, FIT, 0.5),
    }
    table = fidelity_table(h, (first, second), generated, grid, LATTICE.diffusion_ang2_ps() * 1e-4)
    return table, grid, stats, h


def test_lags_cover_one_record_to_a_fraction_of_the_longest_heldout_piece(comparison):
    _, grid, stats, heldout = comparison
    assert grid.msd[0] == 1 and grid.step_skip == 2
    assert grid.msd.max() == int(0.8 * 1499)  # longest piece: 3000 frames = 1500 records
    assert set(grid.distribution) <= set(grid.msd) and grid.distribution.size == 6
    assert grid.lag_ps[0] == pytest.approx(stats["record_dt_ps"]) == pytest.approx(0.08)
    # Lags beyond the shorter piece (750 records) pool the longer piece's ions only.
    short = grid.msd >= 750
    assert short.any() and np.all(heldout.msd.n_origins[:32, short] == 0)
    assert np.all(heldout.msd.n_origins[32:, short] > 0) and np.all(heldout.msd.n_origins[:32, ~short] > 0)
    assert np.all(np.isfinite(heldout.curve.msd_ang2))


def test_the_exact_process_matches_and_the_gaussian_baseline_does_not(comparison):
    table, _, _, _ = comparison
    msd = table[table["quantity"] == "msd_ang2"]
    pull = (msd["exact_ratio"] - 1) / msd["exact_ratio_err"]
    assert np.all(np.abs(pull) < 4), pull.to_numpy()
    assert msd["baseline_ratio"].iloc[-1] > 1.5  # independent increments: no cage, far too fast
    d = table[table["quantity"] == "D_cm2_s"].iloc[0]
    assert abs(d["exact_ratio"] - 1) < 4 * d["exact_ratio_err"]
    truth = table[table["quantity"] == "D_truth_cm2_s"].iloc[0]
    assert truth["heldout"] == pytest.approx(LATTICE.diffusion_ang2_ps() * 1e-4)
    assert abs(d["heldout"] / truth["heldout"] - 1) < 4 * d["heldout_err"] / d["heldout"]
    w = table[table["quantity"] == "wasserstein_ang"]
    beyond = w[w["region"] == "beyond window"]
    assert len(beyond) >= 2 and np.all(beyond["exact"] < beyond["baseline"])
    alpha = table[table["quantity"] == "alpha2"]
    assert alpha["heldout"].max() > 0.3 and np.abs(alpha["baseline"]).max() < 0.1


def test_targets_and_figure_read_the_table(comparison):
    table, grid, _, _ = comparison
    window_ps = grid.window_records * grid.record_dt_ps
    targets = targets_table(table, window_ps, grid.record_dt_ps, "synthetic", ("exact", "baseline"))
    by = targets.set_index(["target", "generator"])
    assert by.loc[("D within 10%", "exact"), "met"] and not by.loc[("D within 10%", "baseline"), "met"]
    assert not by.loc[("MSD within 15%, 1 record to 100 x window", "baseline"), "met"]
    fig = plot_fidelity(table, window_ps)
    msd_ax, ratio_ax, w_ax, alpha_ax = fig.axes[:4]
    heldout_line = msd_ax.get_lines()[0]
    msd = table[table["quantity"] == "msd_ang2"]
    np.testing.assert_allclose(heldout_line.get_xdata(), msd["lag_ps"])
    np.testing.assert_allclose(heldout_line.get_ydata(), msd["heldout"])
    assert [l.get_label() for l in ratio_ax.get_lines()][-2:] == ["exact", "baseline"]
    assert "Wasserstein" in w_ax.get_ylabel() and "lag" in alpha_ax.get_xlabel()
