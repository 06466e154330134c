"""The synthetic ground truth: its simulated dynamics match the exact D, and its files are SIESTA's."""

import math
import re

import numpy as np
import pytest

from mdgan.validation.synthetic import (
    CosineLattice,
    equilibrium_start,
    framework_positions,
    simulate,
    write_synthetic_run,
)

LATTICE = CosineLattice()  # the system of config/synthetic.yaml


@pytest.fixture(scope="module")
def long_run():
    """1,000 independent ions over 80 ps at 100 fs frames (20 steps of 5 fs each)."""
    rng = np.random.default_rng(7)
    start = equilibrium_start(LATTICE, 1000, rng)
    return start, simulate(LATTICE, start, 800, 100.0, 20, rng)


def test_lifson_jackson_numbers():
    # V0/kT = 0.125 eV / (k_B 600 K); D = D0 / I0(V0/kT)^2, hand-checked series of I0.
    beta_v0 = 0.125 / (8.617333262e-5 * 600)
    i0 = sum((beta_v0 / 2) ** (2 * m) / math.factorial(m) ** 2 for m in range(30))
    assert LATTICE.diffusion_ang2_ps() == pytest.approx(0.5 / i0**2, rel=1e-12)
    # Hops are rare against the vibration, and the default 2.56 ps window is shorter than a residence.
    assert LATTICE.residence_time_ps() > 100 * LATTICE.site_relaxation_time_ps()
    assert LATTICE.residence_time_ps() > 4 * 128 * 0.02


def test_simulated_diffusion_matches_the_exact_coefficient(long_run):
    start, frames = long_run
    # Slope of the per-ion MSD between 16 and 80 ps (both in the linear regime: the constant offset
    # of the caged part cancels), with its standard error over the independent ions.
    far = np.sum((frames[-1] - start) ** 2, axis=1)
    near = np.sum((frames[159] - start) ** 2, axis=1)
    slope = (far - near) / (6 * 64.0)
    d_hat, d_err = slope.mean(), slope.std(ddof=1) / np.sqrt(slope.size)
    d_true = LATTICE.diffusion_ang2_ps()
    assert d_err < 0.06 * d_true
    assert abs(d_hat - d_true) < 3 * d_err, (d_hat, d_err, d_true)


def test_vibration_in_a_site_and_equilibrium(long_run):
    start, frames = long_run
    k = LATTICE.wavenumber_per_ang
    # Boltzmann distribution around the sites at every time: <cos(k x)> = I1/I0 (start and end).
    for x in (start, frames[-1]):
        c = np.cos(k * x)
        assert abs(c.mean() - LATTICE.mean_cos()) < 4 * c.std() / np.sqrt(c.size)
    # Caged at short times: after 1 ps the MSD is far below free diffusion 6 D0 t.
    msd_1ps = np.mean(np.sum((frames[9] - start) ** 2, axis=1))
    assert msd_1ps < 0.3 * 6 * LATTICE.bare_diffusion_ang2_ps * 1.0


def test_simulation_is_seeded_and_starts_on_distinct_sites():
    rng = np.random.default_rng(3)
    start = equilibrium_start(LATTICE, 16, rng)
    sites = np.round(start / LATTICE.site_spacing_ang).astype(int) % LATTICE.sites_per_axis
    assert len({tuple(s) for s in sites}) == 16
    a = simulate(LATTICE, start, 50, 20.0, 4, np.random.default_rng(1), chunk_frames=16)
    b = simulate(LATTICE, start, 50, 20.0, 4, np.random.default_rng(1), chunk_frames=16)
    np.testing.assert_array_equal(a, b)
    # Framework atoms sit on potential maxima: every coordinate a half site off the lattice.
    frac = framework_positions(LATTICE) / LATTICE.site_spacing_ang
    np.testing.assert_allclose(frac % 1.0, 0.5)


ANI_ATOM = re.compile(r"^(Li|Zr)  ([ -]\s*-?\d+\.\d{6}){3}$")


def test_files_have_the_exact_siesta_layout(tmp_path):
    fdf = write_synthetic_run(tmp_path / "run", LATTICE, 4, 6, 20.0, 4, seed=11)
    text = fdf.read_text()
    for key in (
        "SystemLabel synth", "NumberOfAtoms 12", "NumberOfSpecies 2", "%block ChemicalSpeciesLabel",
        "LatticeConstant 1.0 Ang", "%block LatticeVectors", "AtomicCoordinatesFormat Ang",
        "%block AtomicCoordinatesAndAtomicSpecies", "MD.TypeOfRun", "MD.LengthTimeStep 20 fs",
        "MD.TargetTemperature 600 K",
    ):
        assert key in text
    lines = (tmp_path / "run/synth.ANI").read_text().split("\n")
    assert lines[-1] == "" and len(lines) == 6 * 14 + 1
    for f in range(6):
        block = lines[14 * f : 14 * f + 14]
        assert block[0] == "   12" and block[1] == ""  # (i5) count, an empty line
        for row in block[2:]:
            assert len(row) == 2 + 2 + 36 and ANI_ATOM.match(row), row  # (a2,2x,3f12.6)
        assert [r[:2] for r in block[2:]] == ["Li"] * 4 + ["Zr"] * 8
    # Same seed, same numbers as the simulation itself (to the file's 6 decimals).
    rng = np.random.default_rng(11)
    start = equilibrium_start(LATTICE, 4, rng)
    li = simulate(LATTICE, start, 6, 20.0, 4, rng)
    ani_li = np.array([[row.split()[1:] for row in lines[14 * f + 2 : 14 * f + 6]] for f in range(6)], float)
    np.testing.assert_allclose(ani_li, li, atol=6e-7)


def test_files_parse_through_the_reader(tmp_path):
    io = pytest.importorskip("mdgan.io")
    fdf = write_synthetic_run(tmp_path / "run", LATTICE, 4, 6, 20.0, 4, seed=11)
    traj = io.read_run(str(fdf))
    rng = np.random.default_rng(11)
    start = equilibrium_start(LATTICE, 4, rng)
    li = simulate(LATTICE, start, 6, 20.0, 4, rng)
    assert traj.n_frames == 6 and traj.frame_dt_fs == pytest.approx(20.0)
    assert traj.temperature_k == pytest.approx(600.0)
    assert list(traj.numbers) == [3] * 4 + [40] * 8
    np.testing.assert_allclose(traj.time_ps, 0.02 * np.arange(1, 7))
    np.testing.assert_allclose(traj.cells_ang[0], LATTICE.cell_ang)
    np.testing.assert_allclose(traj.positions_ang[:, :4], li, atol=6e-7)
