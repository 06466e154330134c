"""The synthetic temperature series: D0 ~ T (Einstein), the exact Arrhenius numbers, its files and benchmark."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import special, stats

from mdgan.validation.synthetic import BOLTZMANN_EV_K, CosineLattice, arrhenius_line, exact_arrhenius

ROOT = Path(__file__).resolve().parents[1]
SERIES_K = (500.0, 600.0, 750.0, 1000.0)


def test_the_600_k_lattice_is_unchanged():
    lattice = CosineLattice.at_temperature(600.0)
    assert lattice == CosineLattice()
    assert (lattice.barrier_ev, lattice.bare_diffusion_ang2_ps, lattice.temperature_k) == (0.25, 0.5, 600.0)
    assert lattice.diffusion_ang2_ps() * 1e-4 == pytest.approx(5.236e-6, rel=1e-4)  # README's number


def test_bare_diffusion_scales_with_temperature():
    reference = CosineLattice()
    for t in SERIES_K:
        lattice = CosineLattice.at_temperature(t)
        assert lattice.temperature_k == t
        assert lattice.bare_diffusion_ang2_ps == pytest.approx(0.5 * t / 600.0, rel=1e-15)
        assert lattice.friction_ev_ps_per_ang2 == pytest.approx(reference.friction_ev_ps_per_ang2, rel=1e-14)
        # potential and geometry untouched
        assert (lattice.barrier_ev, lattice.site_spacing_ang, lattice.sites_per_axis) == (0.25, 2.0, 4)
    # another reference: its own D0 and temperature set the friction
    other = CosineLattice(barrier_ev=0.4, bare_diffusion_ang2_ps=1.0, temperature_k=800.0)
    assert CosineLattice.at_temperature(400.0, other).bare_diffusion_ang2_ps == pytest.approx(0.5)
    assert CosineLattice.at_temperature(400.0, other).barrier_ev == 0.4
    with pytest.raises(ValueError):
        CosineLattice.at_temperature(0.0)


def test_the_line_through_exact_arrhenius_data_is_exact():
    t = np.array([450.0, 520.0, 800.0, 1300.0])
    ea, prefactor = arrhenius_line(t, 3.2e-3 * np.exp(-0.41 / (BOLTZMANN_EV_K * t)))
    assert ea == pytest.approx(0.41, rel=1e-12)
    assert prefactor == pytest.approx(3.2e-3, rel=1e-10)
    with pytest.raises(ValueError):
        arrhenius_line([500.0, 500.0], [1.0, 2.0])


def test_exact_arrhenius_matches_a_direct_scipy_computation():
    got = exact_arrhenius(SERIES_K, 300.0)
    t = np.array(SERIES_K + (300.0,))
    d = 0.5 * t / 600.0 / special.i0(0.125 / (8.617333262e-5 * t)) ** 2 * 1e-4  # cm^2/s
    line = stats.linregress(1.0 / t[:-1], np.log(d[:-1]))
    np.testing.assert_allclose(got["D_exact_cm2_s"], d[:-1], rtol=1e-13)
    assert got["Ea_eV"] == pytest.approx(-line.slope * 8.617333262e-5, rel=1e-12)
    assert got["prefactor_cm2_s"] == pytest.approx(np.exp(line.intercept), rel=1e-11)
    assert got["D_exact_extrapolated_cm2_s"] == pytest.approx(d[-1], rel=1e-13)
    d_line = np.exp(line.intercept + line.slope / 300.0)
    assert got["D_line_extrapolated_cm2_s"] == pytest.approx(d_line, rel=1e-11)
    # The numbers the README states: the range's Ea below the barrier, the curvature at 300 K.
    assert got["Ea_eV"] == pytest.approx(0.2383, abs=1e-4)
    assert got["ln_D_exact_minus_line_extrapolated"] == pytest.approx(-0.136, abs=1e-3)
    # Lattices give the same as their temperatures; the fit depends on the range.
    assert exact_arrhenius([CosineLattice.at_temperature(x) for x in SERIES_K], 300.0) == got
    assert exact_arrhenius(SERIES_K[1:], 300.0)["Ea_eV"] != pytest.approx(got["Ea_eV"], rel=1e-3)


def test_high_barrier_limit_is_arrhenius_with_the_barrier():
    # I0(x) ~ e^x / sqrt(2 pi x): D -> (D0/T)_ref (pi E_b / k) exp(-E_b / kT), corrections O((kT)^2 / E_b^2).
    reference = CosineLattice(barrier_ev=3.0)
    got = exact_arrhenius([500.0, 750.0, 1000.0], 300.0, reference)
    assert got["Ea_eV"] == pytest.approx(3.0, rel=1e-3)
    expected_prefactor = 0.5 / 600.0 * np.pi * 3.0 / BOLTZMANN_EV_K * 1e-4
    # the next term of I0, -kT / (2 E_b) in ln D (about 0.01 here), shifts the line's intercept by ~2 %
    assert got["prefactor_cm2_s"] == pytest.approx(expected_prefactor, rel=0.03)
    assert got["prefactor_cm2_s"] < expected_prefactor


def test_exact_arrhenius_rejects_mixed_series():
    with pytest.raises(ValueError):
        exact_arrhenius([600.0], 300.0)
    with pytest.raises(ValueError):  # a different friction
        exact_arrhenius([CosineLattice(), CosineLattice(temperature_k=700.0)], 300.0)


def run_script(script, *args):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run([sys.executable, str(ROOT / script), *map(str, args)], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    """The default series at 1 % of its frames (50 frames per run)."""
    out = tmp_path_factory.mktemp("arrhenius")
    stdout = run_script("resources/synthetic/make_arrhenius.py", out, "--scale", "0.01")
    return out, stdout


def test_make_arrhenius_writes_the_series_and_its_ground_truth(series):
    out, stdout = series
    truth = json.loads((out / "ground_truth.json").read_text())
    names = [f"t{t}K_{k}" for t in (500, 600, 750, 1000) for k in (1, 2, 3)]
    assert sorted(truth["runs"]) == sorted(names)  # save_json sorts keys
    seeds = [run["seed"] for run in truth["runs"].values()]
    assert len(set(seeds)) == len(seeds)
    for name, run in truth["runs"].items():
        assert Path(run["path"]) == out / name / "synth.fdf" and Path(run["path"]).is_file()
        assert (run["ions"], run["frames"]) == (16, 50)
        assert truth["lattices"][f"{run['temperature_k']:g}"]["temperature_k"] == run["temperature_k"]
    assert truth["lattices"]["600"] == CosineLattice().summary()
    assert truth["lattices"]["1000"]["bare_diffusion_ang2_ps"] == pytest.approx(0.5 * 1000 / 600)
    expected = exact_arrhenius(SERIES_K, 300.0)
    for key in ("Ea_eV", "prefactor_cm2_s", "D_exact_extrapolated_cm2_s", "D_line_extrapolated_cm2_s"):
        assert truth["arrhenius"][key] == pytest.approx(expected[key], rel=1e-12)
    assert truth["arrhenius"]["T_extrapolated_k"] == 300.0
    # the printed table: one row per temperature with D_exact and the residence time
    assert "     500       0.4167        2.0514e-06           32.50" in stdout
    assert "exact Ea over 500, 600, 750, 1000 K: 0.2383 eV" in stdout


def test_the_reader_gets_each_runs_temperature_from_its_fdf(series):
    io = pytest.importorskip("mdgan.io")
    out, _ = series
    for name, t in (("t500K_2", 500.0), ("t750K_1", 750.0), ("t1000K_3", 1000.0)):
        traj = io.read_run(str(out / name / "synth.fdf"))
        assert traj.temperature_k == pytest.approx(t)
        assert traj.n_frames == 50 and traj.frame_dt_fs == pytest.approx(20.0)
        assert list(traj.numbers) == [3] * 16 + [40] * 8


POINT_COLUMNS = "temperature_k,source,D_cm2_s,D_err_cm2_s,in_fit,excluded_reason,n_runs"
FIT_COLUMNS = (
    "source,Ea_eV,Ea_err_eV,prefactor_cm2_s,T_extrapolated_k,D_extrapolated_cm2_s,D_extrapolated_err_cm2_s,"
    "sigma_extrapolated_S_per_cm,sigma_extrapolated_err_S_per_cm,D_extrapolated_lo2_cm2_s,D_extrapolated_hi2_cm2_s"
)


def write_results(directory, gan_ea_factor, gan_band):
    """Hand-made workflow results: MD fits all four temperatures, MD-GAN leaves 500 K out."""
    directory.mkdir()
    exact = exact_arrhenius(SERIES_K, 300.0)
    rows = [POINT_COLUMNS]
    for t, d in zip(SERIES_K, exact["D_exact_cm2_s"]):
        rows.append(f"{t},MD,{d * 1.05},{d * 0.1},True,,3")
        rows.append(f"{t},MD-GAN,{d * 0.9},{d * 0.05},{t != 500.0},{'too few hops' if t == 500.0 else ''},3")
    (directory / "arrhenius.csv").write_text("\n".join(rows) + "\n")
    ea_gan = exact_arrhenius(SERIES_K[1:], 300.0)["Ea_eV"] * gan_ea_factor  # the range MD-GAN used
    d300 = exact["D_exact_extrapolated_cm2_s"]
    lo, hi = (d300 * f for f in gan_band)
    fits = [
        FIT_COLUMNS,
        f"MD,{exact['Ea_eV'] * 1.2},0.01,5e-4,300,{d300 * 3},{d300},1e-9,1e-10,{d300 * 2},{d300 * 4}",
        f"MD-GAN,{ea_gan},0.008,5e-4,300,{d300},{d300 * 0.2},1e-9,1e-10,{lo},{hi}",
    ]
    (directory / "arrhenius_fit.csv").write_text("\n".join(fits) + "\n")
    return directory


def bench(series, results):
    out, _ = series
    return run_script("benchmarks/bench_arrhenius.py", "--points", results / "arrhenius.csv",
                      "--fit", results / "arrhenius_fit.csv", "--truth", out / "ground_truth.json")


def test_benchmark_reports_pass_and_fail(series, tmp_path):
    good = bench(series, write_results(tmp_path / "good", 1.04, (0.7, 1.4)))
    assert "target MD-GAN Ea within 5% of the exact Ea over its range: PASS (+4.00%)" in good
    assert "target MD-GAN exact D at 300 K inside its 2-sigma band: PASS" in good
    # per temperature: the exact D and the ratios; 500 K marked as left out of MD-GAN's fit
    assert "    500       2.0514e-06" in good and "1.050" in good and "0.900" in good
    assert "* not in the fit: MD-GAN 500 K: too few hops" in good
    # each source against the exact line over its own points
    assert "fit over 500, 600, 750, 1000 K" in good and "fit over 600, 750, 1000 K" in good
    assert "exact over the same temperatures 0.2383 eV: relative error +20.00%" in good
    assert "exact over the same temperatures 0.2363 eV: relative error +4.00%" in good
    assert "reference (no target): Ea outside 5%; exact D at 300 K outside the 2-sigma band" in good
    assert good.count("PASS") == 2 and "FAIL" not in good

    bad = bench(series, write_results(tmp_path / "bad", 0.94, (1.05, 1.6)))
    assert "target MD-GAN Ea within 5% of the exact Ea over its range: FAIL (-6.00%)" in bad
    assert "target MD-GAN exact D at 300 K inside its 2-sigma band: FAIL" in bad


def test_benchmark_exits_0_without_its_inputs(tmp_path):
    stdout = run_script("benchmarks/bench_arrhenius.py", "--points", tmp_path / "no.csv", "--fit",
                        tmp_path / "no.csv", "--truth", tmp_path / "no.json")
    assert "cannot read the inputs" in stdout and stdout.count("FAIL") == 2
