"""Arrhenius fit of D over temperatures: exact recovery, error coverage on data with a known answer
(stated errors right and 3x too small), the points from diffusion tables, the fit table, the figure."""

import numpy as np
import pandas as pd
import pytest

from mdgan.analysis.arrhenius import (
    BOLTZMANN_EV_PER_K,
    FIT_COLUMNS,
    arrhenius_fit_table,
    arrhenius_points,
    fit_arrhenius,
)
from mdgan.analysis.arrhenius_figure import plot_arrhenius
from mdgan.analysis.conductivity import nernst_einstein_S_per_cm
from mdgan.analysis.diffusion import COMMON_RANGE, OWN_RANGE, DiffusionFit
from mdgan.analysis.tables import diffusion_row, write_csv
from mdgan.errors import InputError

EA_EV, D0_CM2_S = 0.25, 1e-3
TEMPERATURES_K = np.array([500.0, 600.0, 750.0, 1000.0])


def arrhenius_ln_D(temperature_k):
    return np.log(D0_CM2_S) - EA_EV / (BOLTZMANN_EV_PER_K * np.asarray(temperature_k))


def test_exact_arrhenius_law_is_recovered_and_extrapolated_exactly():
    D = np.exp(arrhenius_ln_D(TEMPERATURES_K))
    fit = fit_arrhenius("MD", TEMPERATURES_K, D, 0.01 * D)
    assert fit.Ea_eV == pytest.approx(EA_EV, rel=1e-9)
    assert fit.prefactor_cm2_s == pytest.approx(D0_CM2_S, rel=1e-9)
    assert fit.n_points == 4 and fit.temperatures_k == (500.0, 600.0, 750.0, 1000.0)
    assert fit.chi2_reduced == pytest.approx(0.0, abs=1e-12) and fit.err_scale == 1.0 and fit.note == ""
    ln_D, ln_D_err = fit.ln_D(np.array([300.0, 500.0]))
    np.testing.assert_allclose(ln_D, arrhenius_ln_D([300.0, 500.0]), rtol=1e-12)
    # unscaled covariance: sigma_lnD = 0.01 at every point; the error grows away from the data
    assert ln_D_err[1] < 0.01 < ln_D_err[0]
    assert fit.Ea_err_eV == pytest.approx(BOLTZMANN_EV_PER_K * 0.01 / np.std(1 / TEMPERATURES_K) / 2, rel=1e-9)


def coverage(temperature_k, rel_noise, understated, n_sets=2000, seed=20250601):
    """1- and 2-sigma coverage of Ea and of ln D at 300 K over ``n_sets`` data sets with ln D noise
    ``rel_noise`` and stated errors ``understated`` times too small; also the 2-sigma coverage of Ea
    without the Birge scaling."""
    rng = np.random.default_rng(seed)
    true_ln_D = arrhenius_ln_D(temperature_k)
    z_Ea, z_300, z_Ea_unscaled = [], [], []
    for noise in rng.normal(scale=rel_noise, size=(n_sets, len(temperature_k))):
        D = np.exp(true_ln_D + noise)
        fit = fit_arrhenius("MD", temperature_k, D, D * rel_noise / understated)
        ln_D, ln_D_err = fit.ln_D(300.0)
        z_Ea.append((fit.Ea_eV - EA_EV) / fit.Ea_err_eV)
        z_300.append((ln_D - arrhenius_ln_D(300.0)) / ln_D_err)
        z_Ea_unscaled.append(z_Ea[-1] * fit.err_scale)
    z_Ea, z_300, z_Ea_unscaled = (np.abs(z) for z in (z_Ea, z_300, z_Ea_unscaled))
    return np.mean(z_Ea < 1), np.mean(z_Ea < 2), np.mean(z_300 < 1), np.mean(z_300 < 2), np.mean(z_Ea_unscaled < 2)


def test_errors_cover_the_true_Ea_and_the_extrapolated_D_as_claimed():
    """Stated errors right (7% in D), 4 temperatures: the Birge scaling only ever widens, so the
    coverage is a little above the nominal 68/95% (measured 74/97% for Ea and ln D at 300 K)."""
    ea_1, ea_2, x_1, x_2, _ = coverage(TEMPERATURES_K, 0.07, understated=1)
    for one, two in ((ea_1, ea_2), (x_1, x_2)):
        assert 0.66 <= one <= 0.80
        assert 0.93 <= two <= 0.99


@pytest.mark.parametrize("temperature_k, lo2, hi2", [
    (TEMPERATURES_K, 0.78, 0.90),  # 2 degrees of freedom: measured 84-85%
    (np.array([500.0, 600.0, 700.0, 850.0, 1000.0]), 0.82, 0.92),  # 3: measured 87%
])
def test_birge_scaling_restores_coverage_when_stated_errors_are_3x_too_small(temperature_k, lo2, hi2):
    """Without the scaling the 2-sigma interval covers Ea in about half the data sets (|z| < 2/3);
    with it, like a Student-t interval of n - 2 degrees of freedom: better, still short of 95%."""
    ea_1, ea_2, x_1, x_2, ea_2_unscaled = coverage(temperature_k, 0.07, understated=3)
    assert ea_2_unscaled < 0.6
    assert lo2 <= ea_2 <= hi2 and lo2 <= x_2 <= hi2
    assert 0.52 <= ea_1 <= 0.70 and 0.52 <= x_1 <= 0.70


def test_two_points_pass_through_and_fewer_give_a_nan_fit_and_bad_values_are_refused():
    D = np.exp(arrhenius_ln_D(TEMPERATURES_K[:2])) * np.array([1.1, 0.9])
    two = fit_arrhenius("MD", TEMPERATURES_K[:2], D, 0.05 * D)
    np.testing.assert_allclose(two.ln_D(TEMPERATURES_K[:2])[0], np.log(D), rtol=1e-12)
    assert np.isnan(two.chi2_reduced) and two.err_scale == 1.0 and "2 temperatures" in two.note
    one = fit_arrhenius("MD", [500.0], [1e-5], [1e-6])
    assert np.isnan(one.Ea_eV) and np.isnan(one.ln_D(300.0)[0]) and one.n_points == 1
    assert one.note.startswith("fewer than 2 temperatures")
    with pytest.raises(InputError, match="positive finite"):
        fit_arrhenius("MD", TEMPERATURES_K[:2], [1e-5, -1e-5], [1e-6, 1e-6])


def fit_of(D_cm2_s, D_err_cm2_s=None, axis="iso", fit=OWN_RANGE, mode="auto", diffusive=True):
    """A DiffusionFit from D in cm^2/s (error 5% unless given); mode "none" is the no-regime row."""
    if mode == "none":
        return DiffusionFit(*[np.nan] * 4, diffusive=False, mode="none", loglog_slope=np.nan, axis=axis, fit=fit)
    err = 0.05 * D_cm2_s if D_err_cm2_s is None else D_err_cm2_s
    return DiffusionFit(D_cm2_s * 1e4, err * 1e4, 1.0, 3.0, diffusive, mode, 1.0, 0.1, axis=axis, fit=fit,
                        err_over="ions")


def diffusion_csv(tmp_path, temperature_k, rows):
    """``pd.read_csv`` of a diffusion.csv written by the real writer from (source, DiffusionFit) rows."""
    path = tmp_path / f"diffusion_{temperature_k:g}.csv"
    frame = pd.DataFrame([diffusion_row(s, f, 1e-3 * f.D_cm2_s, 1e-4 * f.D_cm2_s) for s, f in rows])
    write_csv(frame, path)
    return pd.read_csv(path)


def table_at(tmp_path, temperature_k, md, gen):
    """MD and MD-GAN rows over the own range (iso, x, y, z: D_z = 3 D_iso - D_x - D_y) and a common
    range row that must not be picked."""
    rows = []
    for source, fit in (("MD", md), ("MD-GAN", gen)):
        rows.append((source, fit_of(0.5 * fit.D_cm2_s if fit.mode != "none" else 1.0, fit=COMMON_RANGE)))
        rows.append((source, fit))
        for k, axis in enumerate("xyz"):
            rows.append((source, fit_of((k + 1) * 1e-6, axis=axis) if fit.mode != "none"
                         else fit_of(np.nan, axis=axis, mode="none")))
    return diffusion_csv(tmp_path, temperature_k, rows)


def test_points_list_every_temperature_and_leave_out_the_ones_without_a_usable_D(tmp_path):
    D = np.exp(arrhenius_ln_D(TEMPERATURES_K))
    tables = {
        1000.0: table_at(tmp_path, 1000, fit_of(D[3]), fit_of(1.1 * D[3])),
        500.0: table_at(tmp_path, 500, fit_of(np.nan, mode="none"), fit_of(1.1 * D[0])),
        600.0: table_at(tmp_path, 600, fit_of(D[1], mode="config", diffusive=False), fit_of(1.1 * D[1], 0.0)),
        750.0: table_at(tmp_path, 750, fit_of(D[2]), fit_of(-1e-7)),
    }
    points = arrhenius_points(tables)
    assert list(points.columns) == [
        "temperature_k", "source", "D_cm2_s", "D_err_cm2_s", "sigma_S_per_cm", "sigma_err_S_per_cm",
        "fit_lo_ps", "fit_hi_ps", "err_over", "D_x_cm2_s", "D_x_err_cm2_s", "D_y_cm2_s", "D_y_err_cm2_s",
        "D_z_cm2_s", "D_z_err_cm2_s", "in_fit", "excluded_reason",
    ]
    assert points["temperature_k"].tolist() == [500, 500, 600, 600, 750, 750, 1000, 1000]
    assert points["source"].tolist() == ["MD", "MD-GAN"] * 4
    np.testing.assert_allclose(points.loc[points["source"] == "MD", "D_cm2_s"].iloc[1:], D[1:], rtol=1e-5)
    np.testing.assert_allclose(points["D_y_cm2_s"].iloc[1], 2e-6, rtol=1e-5)
    assert np.isnan(points["D_x_cm2_s"].iloc[0])
    assert points["in_fit"].tolist() == [False, True, False, False, True, False, True, True]
    reasons = points["excluded_reason"].tolist()
    assert reasons[0] == "no diffusive regime in the MSD (fit_mode none): no D"
    assert reasons[2].startswith("the MSD is not diffusive over the fit range 1-3 ps (diffusive False")
    assert reasons[3] == "no positive error of D (D_err_cm2_s = 0)"
    assert reasons[5].startswith("D = -1e-07 cm^2/s <= 0")
    assert reasons[1] == reasons[4] == reasons[6] == reasons[7] == "" and points["err_over"].iloc[1] == "ions"
    common = arrhenius_points(tables, sources=("MD",), fit=COMMON_RANGE)
    assert common["in_fit"].all() and len(common) == 4
    missing = arrhenius_points({500.0: tables[500.0]}, sources=("MD-GAN replica 0",))
    assert missing["excluded_reason"].iloc[0] == "no own range row for this source in the diffusion table"
    with pytest.raises(InputError, match="750 K: missing columns"):
        arrhenius_points({750.0: tables[750.0].drop(columns="fit_mode")})


def points_frame(D_by_source, in_fit=None):
    """A points table at TEMPERATURES_K: source -> D (4,), error 5%."""
    rows = []
    for source, D in D_by_source.items():
        for k, (t, d) in enumerate(zip(TEMPERATURES_K, D)):
            use = True if in_fit is None else in_fit[source][k]
            rows.append({"temperature_k": t, "source": source, "D_cm2_s": d, "D_err_cm2_s": 0.05 * d,
                         "in_fit": use, "excluded_reason": "" if use else "no diffusive regime"})
    return pd.DataFrame(rows)


def test_fit_table_extrapolates_D_and_sigma_and_lists_sources_without_a_fit():
    D = np.exp(arrhenius_ln_D(TEMPERATURES_K))
    points = points_frame({"MD": D, "MD-GAN": 1.2 * D},
                          in_fit={"MD": [True] * 4, "MD-GAN": [False, False, False, True]})
    table, fits = arrhenius_fit_table(points, 300.0, density_per_ang3=0.02, charge_e=1.0)
    assert list(table.columns) == FIT_COLUMNS
    assert FIT_COLUMNS[:9] == [
        "source", "Ea_eV", "Ea_err_eV", "prefactor_cm2_s", "T_extrapolated_k", "D_extrapolated_cm2_s",
        "D_extrapolated_err_cm2_s", "sigma_extrapolated_S_per_cm", "sigma_extrapolated_err_S_per_cm",
    ]
    md, gen = table.iloc[0], table.iloc[1]
    assert md["source"] == "MD" and md["Ea_eV"] == pytest.approx(EA_EV, rel=1e-9)
    D300 = np.exp(arrhenius_ln_D(300.0))
    assert md["D_extrapolated_cm2_s"] == pytest.approx(D300, rel=1e-9)
    _, ln_err = fits["MD"].ln_D(300.0)
    assert md["D_extrapolated_err_cm2_s"] == pytest.approx(D300 * ln_err, rel=1e-9)
    assert md["D_extrapolated_lo2_cm2_s"] == pytest.approx(D300 * np.exp(-2 * ln_err), rel=1e-9)
    assert md["D_extrapolated_hi2_cm2_s"] == pytest.approx(D300 * np.exp(2 * ln_err), rel=1e-9)
    sigma = nernst_einstein_S_per_cm(D300, 0.02, 1.0, 300.0)
    assert md["sigma_extrapolated_S_per_cm"] == pytest.approx(sigma, rel=1e-9)
    assert md["sigma_extrapolated_err_S_per_cm"] == pytest.approx(sigma * ln_err, rel=1e-9)
    assert md["temperatures_k"] == "500;600;750;1000" and md["n_temperatures"] == 4 and md["err_scale"] == 1.0
    assert gen["source"] == "MD-GAN" and gen["n_temperatures"] == 1 and gen["temperatures_k"] == "1000"
    assert np.isnan(gen[["Ea_eV", "D_extrapolated_cm2_s", "sigma_extrapolated_S_per_cm"]].astype(float)).all()
    assert gen["note"] == "fewer than 2 temperatures with a diffusive D and a positive error: no fit"


def test_arrhenius_figure_draws_points_fits_bands_and_a_temperature_axis():
    D = np.exp(arrhenius_ln_D(TEMPERATURES_K))
    points = points_frame({"MD": D, "MD-GAN": 1.2 * D},
                          in_fit={"MD": [False, True, True, True], "MD-GAN": [True] * 4})
    _, fits = arrhenius_fit_table(points, 300.0, 0.02, 1.0)
    fig = plot_arrhenius(points, fits, 300.0)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "1000 / T (K$^{-1}$)" and ax.get_ylabel() == "D (cm$^2$/s)"
    assert ax.get_yscale() == "log"
    top = [a for a in fig.axes[0].child_axes if a.get_xlabel() == "temperature T (K)"]
    assert len(top) == 1
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    ea_err = fits["MD"].Ea_err_eV
    assert 0.005 < ea_err < 0.05 and f"MD fit: E$_a$ = (0.250 ± {ea_err:.3f}) eV, 2σ band" in labels
    assert "MD, left out of the fit (500 K)" in labels
    md_fit = [ln for ln in ax.get_lines() if ln.get_label().startswith("MD fit")][0]
    assert md_fit.get_xdata().min() == pytest.approx(1.0) and md_fit.get_xdata().max() == pytest.approx(1000 / 300)
    np.testing.assert_allclose(md_fit.get_ydata(), np.exp(arrhenius_ln_D(1000 / md_fit.get_xdata())), rtol=1e-9)
    assert sum(label.endswith("(2σ bar)") for label in labels) == 2
    # one source only, its fit NaN: points, no line, no error
    only = points_frame({"MD-GAN": D}, in_fit={"MD-GAN": [True, False, False, False]})
    _, nan_fits = arrhenius_fit_table(only, 300.0, 0.02, 1.0)
    fig = plot_arrhenius(only, nan_fits, 300.0)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("MD-GAN (no fit: fewer than 2 temperatures")
    assert not [ln for ln in ax.get_lines() if "fit:" in ln.get_label() and "no fit" not in ln.get_label()]
