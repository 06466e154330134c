"""Comparison with the held-out MD, targets and figure, on the synthetic system (no model needed)."""

import numpy as np
import pytest

from mdgan.errors import InputError
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
    correlation = table[table["quantity"] == "axis_correlation"]  # the lattice's axes move independently
    assert len(correlation) == len(msd) and correlation[["exact", "baseline"]].max().max() < 0.1
    assert correlation["heldout"].iloc[:15].max() < 0.1  # the held-out MD's few ions: noisy at long lags


def test_targets_and_figure_read_the_table(comparison):
    table, grid, _, _ = comparison
    window_ps = grid.window_records * grid.record_dt_ps
    targets = targets_table(table, window_ps, grid.record_dt_ps, "synthetic", ("exact", "baseline"))
    by = targets.set_index(["target", "generator"])
    assert by.loc[("D within 5%", "exact"), "met"] and not by.loc[("D within 5%", "baseline"), "met"]
    assert not by.loc[("MSD within 10%, 1 record to 100 x window", "baseline"), "met"]
    alpha = table[table["quantity"] == "alpha2"]  # the Gaussian baseline misses the hops' alpha2
    assert by.loc[("alpha2 within 0.15 at every compared lag", "baseline"), "value"] == pytest.approx(
        np.max(np.abs(alpha["baseline"] - alpha["heldout"])))
    assert not by.loc[("alpha2 within 0.15 at every compared lag", "baseline"), "met"]
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
    assert targets["generator"].tolist() == ["walk", "training MD (perfect model)", "walk"]
    assert "not a generator" in targets["note"].iloc[1]
    alpha = table[(table["quantity"] == "alpha2") & (table["region"] != "inside window")]
    spread = alpha[np.isfinite(alpha["training_md"])]
    assert len(spread) and len(spread) < len(alpha)  # the training run supports only the shorter lags
    alpha2_row = targets.iloc[2]
    assert alpha2_row["target"] == "alpha2 beyond the window within the MD's run-to-run spread"
    assert alpha2_row["value"] == pytest.approx(np.max(np.abs(alpha["walk"] - alpha["heldout"])))
    assert alpha2_row["threshold"] == pytest.approx(np.max(np.abs(spread["training_md"] - spread["heldout"])))
    assert alpha2_row["met"] == (alpha2_row["value"] <= alpha2_row["threshold"])
    inside = (msd["lag_ps"] >= 0.1) & np.isfinite(msd["training_md_ratio"])  # supported lags only, no NaN
    assert targets["value"].iloc[1] == pytest.approx(np.max(np.abs(msd.loc[inside, "training_md_ratio"] - 1)))
    assert targets_table(plain, window_ps, grid.record_dt_ps, "lgps", ("walk",))["generator"].tolist() == ["walk"]
    ratio_ax = plot_fidelity(table, window_ps).axes[1]
    line = [l for l in ratio_ax.get_lines() if l.get_label() == "training MD (perfect model)"]
    assert len(line) == 1 and line[0].get_linewidth() < 1
    np.testing.assert_allclose(line[0].get_ydata(), msd["training_md_ratio"])
    plain_labels = [l.get_label() for l in plot_fidelity(plain, window_ps).axes[1].get_lines()]
    assert "training MD (perfect model)" not in plain_labels


# Per-axis D: Gaussian walks three times as fast along z (exact D per axis), and the targets on them.
STEP_ANG = np.array([0.3, 0.3, 0.3 * np.sqrt(3.0)])  # per frame (40 fs): D = step^2 / (2 x 0.04 ps)
EXACT_AXES = dict(zip("xyz", STEP_ANG**2 / 0.08 * 1e-4))  # cm^2/s: 1.125e-4 in-plane, 3.375e-4 along z


def anisotropic_walk(n_ions, n_frames, seed):
    x = np.cumsum(np.random.default_rng(seed).normal(0.0, 1.0, (n_frames, n_ions, 3)) * STEP_ANG, axis=0)
    cells = np.repeat(10.0 * np.eye(3)[None], n_frames, axis=0)
    return IonTracks(x, 0.04 * np.arange(n_frames), cells, 40.0, 600.0, "Li", f"anisotropic walk {seed}")


@pytest.fixture(scope="module")
def axes_comparison():
    heldout = {"h1": anisotropic_walk(16, 401, 11), "h2": anisotropic_walk(8, 201, 12)}
    training = {"t1": anisotropic_walk(8, 161, 13)}
    stats = {"step_skip": 2, "record_dt_ps": 0.08, "window_records": 8}
    grid = lag_grid(heldout, stats, n_lags=12, n_distribution_lags=4, max_lag_fraction=0.5)
    h = heldout_stats(heldout, grid, FIT)
    positions = anisotropic_walk(64, 801, 14).positions_ang[::2].transpose(1, 0, 2)
    generated = {"walk": generated_stats(positions, grid, FIT, 0.5)}
    t = training_stats(training, grid, FIT, 0.5)
    table = fidelity_table(h, generated, grid, 2.25e-4, t, truth_D_axes_cm2_s=EXACT_AXES)
    plain = fidelity_table(h, generated, grid, 2.25e-4, t)
    return table, plain, grid, h, generated["walk"], t


def test_per_axis_d_rows_over_each_sources_isotropic_range(axes_comparison):
    table, plain, grid, heldout, walk_stats, training = axes_comparison
    assert grid.axes == ("x", "y", "z")
    by = table.set_index("quantity")
    quantities = table["quantity"].tolist()
    assert quantities[:8] == ["D_cm2_s", "D_truth_cm2_s", "D_x_cm2_s", "D_y_cm2_s", "D_z_cm2_s",
                              "D_truth_x_cm2_s", "D_truth_y_cm2_s", "D_truth_z_cm2_s"]
    for name, source in (("heldout", heldout), ("walk", walk_stats), ("training_md", training)):
        np.testing.assert_allclose(source.msd.lag_ps, grid.lag_ps)  # 2 frames a record: lags in ps, not frames
        assert [f.axis for f in source.axis_fits] == ["x", "y", "z"]
        for f in source.axis_fits:  # the isotropic fit's range, the main analysis' rule
            assert (f.fit_lo_ps, f.fit_hi_ps) == (source.fit.fit_lo_ps, source.fit.fit_hi_ps)
            assert by.loc[f"D_{f.axis}_cm2_s", name] == pytest.approx(f.D_cm2_s)
            assert by.loc[f"D_{f.axis}_cm2_s", f"{name}_err"] == pytest.approx(f.D_err_cm2_s)
        # the three axes' D average to about the isotropic D (the same range, other weights)
        assert np.mean([f.D_cm2_s for f in source.axis_fits]) == pytest.approx(source.fit.D_cm2_s, rel=0.05)
    for axis, exact in EXACT_AXES.items():
        d, truth = by.loc[f"D_{axis}_cm2_s"], by.loc[f"D_truth_{axis}_cm2_s"]
        assert truth["heldout"] == exact and truth["heldout_err"] == 0.0
        assert d["walk_ratio"] == pytest.approx(d["walk"] / d["heldout"])
        assert truth["walk"] == d["walk"] and truth["walk_ratio"] == pytest.approx(d["walk"] / exact)
        for name in ("heldout", "walk", "training_md"):  # the exact process: D per axis within 4 sigma
            assert abs(d[name] - exact) < 4 * d[f"{name}_err"], (axis, name)
    assert by.loc["D_z_cm2_s", "walk"] / by.loc["D_x_cm2_s", "walk"] == pytest.approx(3.0, rel=0.25)
    # without the key: the same table less the exact per-axis rows
    assert "D_truth_x_cm2_s" not in plain["quantity"].tolist()
    assert plain.equals(table[~table["quantity"].str.startswith("D_truth_")
                              | (table["quantity"] == "D_truth_cm2_s")].reset_index(drop=True))


def test_exact_d_of_an_axis_the_comparison_lacks_is_refused(axes_comparison):
    _, _, grid, heldout, walk_stats, _ = axes_comparison
    with pytest.raises(InputError, match="ground_truth_D_axes_cm2_s"):
        fidelity_table(heldout, {"walk": walk_stats}, grid, truth_D_axes_cm2_s={"c_perp": 1e-5})
    subset = fidelity_table(heldout, {"walk": walk_stats}, grid, truth_D_axes_cm2_s={"z": EXACT_AXES["z"]})
    assert [q for q in subset["quantity"] if q.startswith("D_truth")] == ["D_truth_z_cm2_s"]


def test_anisotropic_targets_on_the_walks(axes_comparison):
    table, plain, grid, _, _, _ = axes_comparison
    window_ps = grid.window_records * grid.record_dt_ps
    by = table.set_index("quantity")
    targets = targets_table(table, window_ps, grid.record_dt_ps, "anisotropic", ("walk",))
    t = targets.set_index(["target", "generator"])
    inplane = (by.loc["D_x_cm2_s", "walk"] + by.loc["D_y_cm2_s", "walk"]) / 2
    exact_inplane = EXACT_AXES["x"]
    assert t.loc[("D in-plane within 10%", "walk"), "value"] == pytest.approx(abs(inplane / exact_inplane - 1))
    assert t.loc[("D_z within 10%", "walk"), "value"] == pytest.approx(abs(by.loc["D_z_cm2_s", "walk"] / EXACT_AXES["z"] - 1))
    ratio = by.loc["D_z_cm2_s", "walk"] / inplane
    assert t.loc[("D_z / D in-plane within 10%", "walk"), "value"] == pytest.approx(abs(ratio / 3.0 - 1))
    assert "exact D" in t.loc[("D_z within 10%", "walk"), "note"]
    # no exact per-axis D: the held-out MD's is the reference
    held = targets_table(plain, window_ps, grid.record_dt_ps, "anisotropic", ("walk",)).set_index(["target", "generator"])
    assert held.loc[("D_z within 10%", "walk"), "value"] == pytest.approx(abs(by.loc["D_z_cm2_s", "walk_ratio"] - 1))
    assert "held-out MD" in held.loc[("D_z within 10%", "walk"), "note"]
    alpha = table[table["quantity"] == "alpha2"]
    value = t.loc[("alpha2 within 0.15 at every compared lag", "walk"), "value"]
    assert value == pytest.approx(np.max(np.abs(alpha["walk"] - alpha["heldout"])))
    supported = np.isfinite(alpha["training_md"])
    assert supported.any() and not supported.all()  # the training MD: the lags it supports
    assert t.loc[("alpha2 within 0.15 at every compared lag", "training MD (perfect model)"), "value"] == pytest.approx(
        np.max(np.abs(alpha["training_md"] - alpha["heldout"])[supported]))


def hand_table(truth: bool) -> "pd.DataFrame":
    """A comparison table by hand: per-axis D, MSD at three lags, Wasserstein beyond the window, alpha2."""
    import pandas as pd

    d = lambda axis, h, m, b: {"quantity": f"D_{axis}_cm2_s", "region": "diffusive regime", "lag_ps": np.nan,
                               "heldout": h, "mdgan": m, "baseline": b, "mdgan_ratio": m / h, "baseline_ratio": b / h}
    rows = [d("x", 1.2, 1.1, 2.0), d("y", 1.2, 0.9, 2.0), d("z", 3.0, 3.15, 2.0)]
    if truth:
        rows += [{**d(a, v, m, b), "quantity": f"D_truth_{a}_cm2_s"}
                 for a, v, m, b in (("x", 1.0, 1.1, 2.0), ("y", 1.0, 0.9, 2.0), ("z", 3.0, 3.15, 2.0))]
    for lag, region, rm, rb in ((0.1, "inside window", 1.05, 1.0), (10.0, "beyond matched", 0.9, 1.5)):
        rows.append({"quantity": "msd_ang2", "region": region, "lag_ps": lag, "heldout": 1.0, "mdgan": rm,
                     "baseline": rb, "mdgan_ratio": rm, "baseline_ratio": rb, "training_md_ratio": 1.0})
    rows.append({"quantity": "wasserstein_ang", "region": "beyond matched", "lag_ps": 10.0, "heldout": 0.01,
                 "mdgan": 0.1, "baseline": 0.2})
    for lag, h, m, b, tr in ((0.1, 0.5, 0.4, 0.0, 0.45), (1.0, 1.0, 0.8, 0.0, np.nan), (10.0, 0.2, 0.25, 0.0, np.nan)):
        rows.append({"quantity": "alpha2", "region": "", "lag_ps": lag, "heldout": h, "mdgan": m, "baseline": b,
                     "training_md": tr})
    return pd.DataFrame(rows)


def test_anisotropic_targets_on_a_hand_made_table():
    t = targets_table(hand_table(truth=True), 1.0, 0.1, "anisotropic").set_index(["target", "generator"])
    expected = {  # (mdgan, baseline): against the exact D, in-plane = (D_x + D_y) / 2
        "D_z within 10%": (0.05, 1 / 3),
        "D in-plane within 10%": (0.0, 1.0),
        "D_z / D in-plane within 10%": (0.05, 2 / 3),
        "alpha2 within 0.15 at every compared lag": (0.2, 1.0),
    }
    for target, values in expected.items():
        for generator, value in zip(("mdgan", "baseline"), values):
            assert t.loc[(target, generator), "value"] == pytest.approx(value), (target, generator)
    assert t.loc[("D_z within 10%", "mdgan"), "met"] and not t.loc[("D_z within 10%", "baseline"), "met"]
    assert t.loc[("D_z / D in-plane within 10%", "mdgan"), "met"]
    assert not t.loc[("alpha2 within 0.15 at every compared lag", "mdgan"), "met"]
    reference = t.loc[("alpha2 within 0.15 at every compared lag", "training MD (perfect model)")]
    assert reference["value"] == pytest.approx(0.05) and "1 lags" in reference["note"]
    assert t.loc[("Wasserstein below baseline beyond window", "mdgan"), "value"] == 1.0
    assert t.loc[("MSD within 10%, 1 record to 100 x window", "mdgan"), "value"] == pytest.approx(0.1)
    # no exact per-axis D: against the held-out MD's (in-plane 1.2, z 3.0, ratio 2.5)
    h = targets_table(hand_table(truth=False), 1.0, 0.1, "anisotropic").set_index(["target", "generator"])
    assert h.loc[("D in-plane within 10%", "mdgan"), "value"] == pytest.approx(1 / 6)
    assert h.loc[("D_z / D in-plane within 10%", "mdgan"), "value"] == pytest.approx(3.15 / 2.5 - 1)
    assert "held-out MD" in h.loc[("D_z within 10%", "mdgan"), "note"]
    with pytest.raises(ValueError, match="per-axis D"):
        targets_table(hand_table(True)[lambda f: f["quantity"] != "D_y_cm2_s"], 1.0, 0.1, "anisotropic")
    with pytest.raises(ValueError, match="unknown case"):
        targets_table(hand_table(True), 1.0, 0.1, "cubic")


def test_the_schema_takes_exact_d_per_axis():
    import yaml
    from pathlib import Path

    import jsonschema

    root = Path(__file__).resolve().parents[1]
    schema = yaml.safe_load((root / "workflow/schemas/config.schema.yaml").read_text())
    key = schema["properties"]["validation"]["properties"]["ground_truth_D_axes_cm2_s"]
    overlay = yaml.safe_load((root / "config/anisotropic_synthetic.yaml").read_text())
    jsonschema.validate(overlay["validation"]["ground_truth_D_axes_cm2_s"], key)
    jsonschema.validate(None, key)
    assert key["default"] is None
    for bad in ({"w": 1e-6}, {"z": "fast"}, [1e-6]):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, key)


def test_anisotropic_d_targets_carry_errors_and_say_when_undecided():
    """Without replicas the per-axis errors combine as independent; with a replica table the errors are
    the replicas' spread (t-scaled standard error), and a threshold within two errors is undecided."""
    import pandas as pd
    from mdgan.analysis.uncertainty import t_factor

    table = hand_table(truth=True)
    by_axis = {"D_x_cm2_s": 0.011, "D_y_cm2_s": 0.009, "D_z_cm2_s": 0.3}
    table["mdgan_err"] = table["quantity"].map(by_axis)
    t = targets_table(table, 1.0, 0.1, "anisotropic").set_index(["target", "generator"])
    z = t.loc[("D_z within 10%", "mdgan")]
    assert z["value_err"] == pytest.approx(0.1) and z["verdict"] == "undecided"  # 0.3 / 3.0 of the exact D
    inplane = t.loc[("D in-plane within 10%", "mdgan")]
    assert inplane["value_err"] == pytest.approx(np.hypot(0.011, 0.009) / 2)  # in-plane D 1.0 = exact
    assert inplane["verdict"] == "met" and "independent" in inplane["note"]
    ratio = t.loc[("D_z / D in-plane within 10%", "mdgan")]
    assert ratio["value_err"] == pytest.approx(1.05 * np.hypot(0.3 / 3.15, np.hypot(0.011, 0.009) / 2))
    baseline = t.loc[("D_z within 10%", "baseline")]
    assert np.isnan(baseline["value_err"]) and baseline["verdict"] == "missed"  # no baseline errors in the table
    alpha2 = t.loc[("alpha2 within 0.15 at every compared lag", "mdgan")]
    assert np.isnan(alpha2["value_err"]) and alpha2["verdict"] == "missed"

    d = {"x": [1.0, 1.2, 1.1], "y": [1.0, 0.8, 0.9], "z": [3.0, 3.6, 2.85]}  # cm^2/s, replicas 0, 1, 2
    replicas = pd.DataFrame([{"quantity": f"D_{a}_cm2_s", **{f"replica{r}": v for r, v in enumerate(values)}}
                             for a, values in d.items()])
    r = targets_table(table, 1.0, 0.1, "anisotropic", replicas=replicas).set_index(["target", "generator"])
    normal = np.array(d["z"])
    expected = 1.05 * normal.std(ddof=1) / np.sqrt(3) * t_factor(2) / normal.mean()
    assert r.loc[("D_z within 10%", "mdgan"), "value_err"] == pytest.approx(expected)
    assert r.loc[("D in-plane within 10%", "mdgan"), "value_err"] == pytest.approx(0.0)  # x + y alike in all
    assert "3 replicate models" in r.loc[("D_z within 10%", "mdgan"), "note"]
    assert np.isnan(r.loc[("D_z within 10%", "baseline"), "value_err"])  # the baseline is one model


def test_synthetic_d_target_takes_the_tables_error():
    table = hand_table(truth=False)
    table.loc[0, "quantity"] = "D_cm2_s"
    table["mdgan_ratio_err"] = np.where(table["quantity"] == "D_cm2_s", 0.04, np.nan)
    t = targets_table(table, 1.0, 0.1, "synthetic").set_index(["target", "generator"])
    row = t.loc[("D within 5%", "mdgan")]  # ratio 1.1 / 1.2
    assert row["value"] == pytest.approx(1 / 12) and row["value_err"] == pytest.approx(0.04)
    assert row["verdict"] == "undecided"
