"""The figures carry the plotted data, units on every axis, and files in both formats."""

import numpy as np
import pandas as pd
import pytest

from mdgan.analysis.diffusion import DiffusionFit
from mdgan.analysis.displacements import displacement_stats
from mdgan.analysis.figures import (
    paths_in_cell,
    plot_ion_paths,
    plot_msd,
    plot_training,
    plot_van_hove,
    plot_z_displacement,
    save_figure,
)
from mdgan.analysis.msd import MSDCurve


def line(ax, label):
    matches = [ln for ln in ax.get_lines() if ln.get_label() == label]
    assert matches, f"no line labelled {label!r}; have {[ln.get_label() for ln in ax.get_lines()]}"
    return matches[0]


def curve(lag_ps, factor):
    return MSDCurve(lag_ps=lag_ps, msd_ang2=factor * lag_ps, msd_err_ang2=0.05 * factor * lag_ps, n_ions=10)


def test_msd_figure_plots_both_curves_the_fits_the_local_D_and_the_window(tmp_path):
    md, gen = curve(np.geomspace(0.01, 10, 30), 1.0), curve(np.geomspace(0.01, 100, 40), 1.2)
    fits = {
        ("MD", "common range", "iso"): DiffusionFit(0.1, 0.01, 0.1, 5.0, True, "intersection", 1.0, 0.02,
                                                    fit="common range"),
        ("MD", "own range", "iso"): DiffusionFit(0.1, 0.01, 0.1, 5.0, True, "auto", 1.0, 0.02),
        ("MD-GAN", "common range", "iso"): DiffusionFit(0.12, 0.001, 0.1, 5.0, True, "intersection", 1.0, 0.0,
                                                        fit="common range"),
        ("MD-GAN", "own range", "iso"): DiffusionFit(*[np.nan] * 4, False, "none", np.nan),
    }
    fig = plot_msd(md, gen, window_ps=2.56, fits=fits, matched_ps=5.12)
    ax, ax_d = fig.axes
    md_line = line(ax, "MD (D = (1.00 ± 0.10)·10$^{-5}$ cm$^2$/s)")
    np.testing.assert_allclose(md_line.get_xdata(), md.lag_ps)
    np.testing.assert_allclose(md_line.get_ydata(), md.msd_ang2)
    gen_label = "MD-GAN (D = (1.20 ± 0.01)·10$^{-5}$ cm$^2$/s; own range: no diffusive regime)"
    np.testing.assert_allclose(line(ax, gen_label).get_ydata(), gen.msd_ang2)
    fit_line = line(ax, "MD fit, common range 0.1-5 ps")
    np.testing.assert_allclose(fit_line.get_ydata(), 0.02 + 0.6 * fit_line.get_xdata())
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax_d.get_xlabel() == "lag time t (ps)" and "Å" in ax.get_ylabel() and "cm" in ax_d.get_ylabel()
    # MSD = 1.2 t: the local D is 1.2 / 6 A^2/ps = 2e-5 cm^2/s at every lag
    np.testing.assert_allclose(line(ax_d, "MD-GAN local D(t)").get_ydata(), 2e-5, rtol=1e-9)
    np.testing.assert_allclose(line(ax_d, "MD D, common range").get_ydata(), 1e-5)
    for axis in (ax, ax_d):
        window = [p for p in axis.patches if p.get_label().startswith("training window")]
        assert len(window) == 1 and window[0].get_x() + window[0].get_width() == pytest.approx(2.56)
    matched = [p for p in ax.patches if p.get_label().startswith("matched")]
    assert len(matched) == 1 and matched[0].get_x() == pytest.approx(2.56)
    assert matched[0].get_x() + matched[0].get_width() == pytest.approx(5.12)
    save_figure(fig, tmp_path / "msd.png", tmp_path / "msd.pdf")
    assert (tmp_path / "msd.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "msd.pdf").read_bytes()[:4] == b"%PDF"


def test_z_displacement_shows_md_and_md_gan_over_the_md_span_then_the_whole_series():
    t_md = np.arange(50) * 0.02
    md = [(t_md, np.random.default_rng(0).normal(size=(50, 3))), (t_md, np.zeros((50, 2)))]
    t_gen = np.arange(200) * 0.02
    gen = np.random.default_rng(1).normal(size=(200, 5))
    fig = plot_z_displacement(md, t_gen, gen, axis_name="z (= c)")
    ax_md, ax_short, ax_long = fig.axes
    assert len(ax_md.get_lines()) == 5 and len(ax_short.get_lines()) == 5 and len(ax_long.get_lines()) == 5
    np.testing.assert_allclose(ax_md.get_lines()[1].get_ydata(), md[0][1][:, 1])
    # (b): MD-GAN over the MD's span, on the MD's scale
    np.testing.assert_allclose(ax_short.get_lines()[4].get_xdata(), t_gen[:50])
    assert ax_md.get_shared_x_axes().joined(ax_md, ax_short) and ax_md.get_shared_y_axes().joined(ax_md, ax_short)
    # (c): the whole generated series
    np.testing.assert_allclose(ax_long.get_lines()[4].get_xdata(), t_gen)
    np.testing.assert_allclose(ax_long.get_lines()[4].get_ydata(), gen[:, 4])
    assert ax_long.get_xlabel() == "time (ps)" and ax_md.get_ylabel() == "z (= c) displacement (Å)"
    assert ax_md.get_title(loc="left").startswith("(a) MD, 5 ions")
    assert ax_long.get_title(loc="left").startswith("(c) MD-GAN")


def test_long_traces_are_thinned_evenly():
    t = np.arange(10000) * 0.01
    fig = plot_z_displacement([(t[:100], np.zeros((100, 1)))], t, t[:, None], max_points_per_line=1000)
    np.testing.assert_allclose(fig.axes[2].get_lines()[0].get_xdata(), t[::10])


def test_ion_paths_start_inside_the_cell_and_keep_their_shape():
    cell = np.diag([8.0, 9.0, 12.0])
    paths = np.cumsum(np.random.default_rng(2).normal(size=(4, 51, 3)), axis=1) + np.array([20.0, -5.0, 3.0])
    inside = paths_in_cell(paths, cell)
    frac = inside[:, 0] @ np.linalg.inv(cell)
    assert np.all((frac >= 0) & (frac < 1))
    np.testing.assert_allclose(np.diff(inside, axis=1), np.diff(paths, axis=1))
    fig = plot_ion_paths(cell, paths, paths[:2], duration_ps=1.0)
    ax_md, ax_gen = fig.axes
    drawn = ax_md.get_lines()[-1].get_data_3d()
    np.testing.assert_allclose(np.column_stack(drawn), inside[-1])
    assert len(ax_gen.get_lines()) == 12 + 2  # 12 cell edges and two paths
    assert (ax_md.get_xlabel(), ax_md.get_ylabel(), ax_md.get_zlabel()) == ("x (Å)", "y (Å)", "z (Å)")
    limits = [np.array([ax.get_xlim3d(), ax.get_ylim3d(), ax.get_zlim3d()]) for ax in (ax_md, ax_gen)]
    np.testing.assert_allclose(limits[0], limits[1])  # one scale for both panels
    assert np.all(limits[0][:, 0] <= inside.min(axis=(0, 1))) and np.all(limits[0][:, 1] >= inside.max(axis=(0, 1)))


def test_van_hove_figure_plots_distributions_and_alpha2():
    rng = np.random.default_rng(3)
    md = displacement_stats(np.cumsum(rng.normal(size=(20, 300, 3)), axis=1), [1, 10, 100], [10, 100], 0.01)
    gen = displacement_stats(np.cumsum(rng.normal(size=(40, 600, 3)), axis=1), [1, 10, 100, 300], [10, 100], 0.01)
    fig = plot_van_hove(md, gen, window_ps=0.5)
    ax_vh, ax_a2 = fig.axes
    assert {ln.get_label() for ln in ax_vh.get_lines()} == {"MD, 0.1 ps", "MD-GAN, 0.1 ps", "MD, 1 ps", "MD-GAN, 1 ps"}
    vh = line(ax_vh, "MD, 1 ps")
    assert np.sum(vh.get_ydata() * np.diff(vh.get_xdata())[0]) == pytest.approx(1.0, abs=0.02)
    np.testing.assert_allclose(line(ax_a2, "MD-GAN").get_ydata(), gen.alpha2())
    np.testing.assert_allclose(line(ax_a2, "MD").get_xdata(), [0.01, 0.1, 1.0])
    assert "Å" in ax_vh.get_xlabel() and "Å" in ax_vh.get_ylabel()
    assert ax_a2.get_xlabel() == "lag time t (ps)" and "α" in ax_a2.get_ylabel()


def test_training_figure_plots_losses_and_msd_ratios():
    log = pd.DataFrame({"iteration": [0, 10, 20], "critic_loss": [-1.0, -0.5, -0.2], "generator_loss": [1.0, 0.4, 0.1],
                        "gradient_penalty": [0.3, 0.1, 0.0], "wall_time_s": [0, 1, 2],
                        "msd_ratio_lag8": [2.0, 1.5, 1.1]})
    fig = plot_training([log], record_dt_ps=0.04)
    ax_loss, ax_ratio = fig.axes
    np.testing.assert_allclose(line(ax_loss, "critic loss").get_ydata(), log.critic_loss)
    np.testing.assert_allclose(line(ax_ratio, "lag 8 records (0.32 ps)").get_ydata(), log.msd_ratio_lag8)
    assert ax_ratio.get_xlabel() == "iteration"
    assert all(ax.get_ylabel() for ax in fig.axes)
    # replicas: one line style each, labelled
    other = log.assign(msd_ratio_lag8=[1.8, 1.2, 0.9])
    ax_loss, ax_ratio = plot_training([log, other], record_dt_ps=0.04).axes
    second = line(ax_ratio, "lag 8 records (0.32 ps), replica 1")
    np.testing.assert_allclose(second.get_ydata(), other.msd_ratio_lag8)
    assert second.get_linestyle() == "--" and line(ax_ratio, "lag 8 records (0.32 ps), replica 0").get_linestyle() == "-"


def test_ion_paths_of_a_short_series_are_drawn_whole_with_a_warning():
    from mdgan.analysis.paths import first_paths

    positions = np.arange(2 * 11 * 3, dtype=float).reshape(2, 11, 3)
    np.testing.assert_array_equal(first_paths(positions, 1, 0.1, 0.5), positions[:1, :6])
    with pytest.warns(UserWarning, match="lasts 1 ps; drawing all of it"):
        paths = first_paths(positions, 2, 0.1, 5.0)
    np.testing.assert_array_equal(paths, positions)


def test_displacements_are_taken_along_the_c_axis_and_named_so():
    from mdgan.analysis.paths import c_axis, z_displacement_traces

    orthogonal = np.diag([8.9, 15.4, 22.3])
    axis, name = c_axis(orthogonal)
    np.testing.assert_allclose(axis, [0.0, 0.0, 1.0])
    assert name == "z (= c)"
    tilted = np.array([[5.0, 0.0, 0.0], [-2.5, 4.33, 0.0], [1.0, 1.0, 8.0]])  # c leans away from z
    axis, name = c_axis(tilted)
    np.testing.assert_allclose(axis, np.array([1.0, 1.0, 8.0]) / np.sqrt(66.0))
    assert name == "c"
    positions = np.zeros((3, 2, 3))
    positions[:, 0] = [[0, 0, 0], [1.0, 1.0, 8.0], [2.0, 2.0, 16.0]]

    class Run:  # what z_displacement_traces reads of IonTracks
        time_ps = np.array([0.5, 0.6, 0.7])
        positions_ang = positions

    ((time_ps, dc),) = z_displacement_traces({"run": Run()}, axis)
    np.testing.assert_allclose(time_ps, [0.0, 0.1, 0.2])
    np.testing.assert_allclose(dc[:, 0], [0.0, np.sqrt(66.0), 2 * np.sqrt(66.0)])
    np.testing.assert_allclose(dc[:, 1], 0.0)
