"""Comparison with the held-out MD, targets and figure, on the synthetic system (no model needed)."""

import numpy as np
import pytest

from mdgan.extract import IonTracks
from mdgan.validation.baseline import fit_ar, write_positions
from mdgan.validation.comparison import fidelity_table, generated_stats, heldout_stats, lag_grid, training_stats
from mdgan.validation.figures import plot_fidelity
from mdgan.validation.split import Piece, part_tracks
from mdgan.validation.synthetic import CosineLattice, equilibrium_start, simulate
from mdgan.validation.targets import targets_table
from mdgan.dataset import build_dataset, standardization_dict

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
    h = heldout_stats(heldout, grid, FIT)
    # "generators": the exact process itself (independent ions) and a Gaussian baseline
    exact = tracks(256, 4000, 3).positions_ang[::2].transpose(1, 0, 2).astype(np.float32)
    path = tmp_path_factory.mktemp("baseline") / "positions.npy"
    write_positions(path, fit_ar(dataset.windows, 0, stats), np.zeros((256, 3)), 2000, seed=0)
    generated = {
        "exact": generated_stats(exact, grid, FIT, 0.5),
        "baseline": generated_stats(np.load(path, mmap_mode="r"), grid, FIT, 0.5),
    }
    table = fidelity_table(h, generated, grid, LATTICE.diffusion_ang2_ps() * 1e-4)
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
    beyond = w[w["region"] == "beyond matched"]
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


def walk(n_ions, n_frames, seed):
    """Gaussian random-walk tracks, 40 fs frames."""
    x = np.cumsum(np.random.default_rng(seed).normal(0.0, 0.3, (n_frames, n_ions, 3)), axis=0)
    cells = np.repeat(10.0 * np.eye(3)[None], n_frames, axis=0)
    return IonTracks(x, 0.04 * np.arange(n_frames), cells, 40.0, 600.0, "Li", f"walk {seed}")


def direct_msd(pieces, frame_lag):
    """Mean |dr|^2 over every ion and origin of the pieces long enough for ``frame_lag`` (NaN if none)."""
    d2 = [np.sum((t.positions_ang[frame_lag:] - t.positions_ang[:-frame_lag]) ** 2, axis=-1).ravel()
          for t in pieces.values() if t.n_frames > frame_lag]
    return np.concatenate(d2).mean() if d2 else np.nan


TRAINING_FRAMES = 61  # the longer training piece: lags of at most 60 frames


@pytest.fixture(scope="module")
def walk_comparison():
    """Random walks: held-out pieces of 201 and 121 frames, training pieces of 41 and 61, one generator."""
    heldout = {"h1": walk(8, 201, 1), "h2": walk(4, 121, 2)}
    training = {"t1": walk(6, 41, 3), "t2": walk(4, TRAINING_FRAMES, 4)}
    stats = {"step_skip": 2, "record_dt_ps": 0.08, "window_records": 8}
    grid = lag_grid(heldout, stats, n_lags=12, n_distribution_lags=4, max_lag_fraction=0.8)
    h = heldout_stats(heldout, grid, FIT)
    generated = {"walk": generated_stats(walk(16, 401, 5).positions_ang[::2].transpose(1, 0, 2), grid, FIT, 0.5)}
    plain = fidelity_table(h, generated, grid)
    table = fidelity_table(h, generated, grid, training=training_stats(training, grid, FIT))
    return table, plain, grid, heldout, training


def test_training_md_is_missing_beyond_its_pieces_and_exact_within(walk_comparison):
    table, plain, grid, heldout, training = walk_comparison
    assert not [c for c in plain.columns if c.startswith("training_md")]
    assert table.drop(columns=[c for c in table.columns if c.startswith("training_md")]).equals(plain)
    msd = table[table["quantity"] == "msd_ang2"]
    frame_lags = grid.msd * grid.step_skip
    supported = frame_lags < TRAINING_FRAMES
    assert supported.any() and not supported.all()
    expected = [direct_msd(training, m) / direct_msd(heldout, m) for m in frame_lags]
    np.testing.assert_allclose(msd["training_md_ratio"], expected, rtol=1e-9)  # NaN exactly where unsupported
    assert np.all(np.isnan(msd.loc[~supported, ["training_md", "training_md_err", "training_md_ratio_err"]]))
    assert np.all(np.isfinite(msd.loc[supported, ["training_md_err", "training_md_ratio_err"]]))
    d = table[table["quantity"] == "D_cm2_s"].iloc[0]  # the same walk: D over lags in ps (2 frames a record)
    assert abs(d["training_md_ratio"] - 1) < 3 * d["training_md_ratio_err"]
    alpha = table[table["quantity"] == "alpha2"]
    assert np.array_equal(np.isfinite(alpha["training_md"].to_numpy()), supported)
    w = table[table["quantity"] == "wasserstein_ang"]
    assert np.array_equal(np.isfinite(w["training_md"].to_numpy()), grid.distribution * grid.step_skip < TRAINING_FRAMES)
    # the held-out MD's rule for its longest lag applies too: half of the longest piece's 30 record lags
    h = heldout_stats(heldout, grid, FIT)
    half = fidelity_table(h, {}, grid, training=training_stats(training, grid, FIT, 0.5))
    ratio = half.loc[half["quantity"] == "msd_ang2", "training_md_ratio"].to_numpy()
    assert np.array_equal(np.isfinite(ratio), grid.msd <= 15)
    np.testing.assert_allclose(ratio[grid.msd <= 15], np.asarray(expected)[grid.msd <= 15], rtol=1e-9)


def test_training_md_in_the_targets_and_the_figure(walk_comparison):
    table, plain, grid, _, _ = walk_comparison
    msd = table[table["quantity"] == "msd_ang2"]
    window_ps = grid.window_records * grid.record_dt_ps
    targets = targets_table(table, window_ps, grid.record_dt_ps, "lgps", ("walk",))
    assert targets["generator"].tolist() == ["walk", "training MD (perfect model)"]
    assert "not a generator" in targets["note"].iloc[1]
    inside = (msd["lag_ps"] >= 0.1) & np.isfinite(msd["training_md_ratio"])  # supported lags only, no NaN
    assert targets["value"].iloc[1] == pytest.approx(np.max(np.abs(msd.loc[inside, "training_md_ratio"] - 1)))
    assert targets_table(plain, window_ps, grid.record_dt_ps, "lgps", ("walk",))["generator"].tolist() == ["walk"]
    ratio_ax = plot_fidelity(table, window_ps).axes[1]
    line = [l for l in ratio_ax.get_lines() if l.get_label() == "training MD (perfect model)"]
    assert len(line) == 1 and line[0].get_linewidth() < 1
    np.testing.assert_allclose(line[0].get_ydata(), msd["training_md_ratio"])
    plain_labels = [l.get_label() for l in plot_fidelity(plain, window_ps).axes[1].get_lines()]
    assert "training MD (perfect model)" not in plain_labels
