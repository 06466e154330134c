"""Per-axis analysis frame and its names from the cell; per-axis D of an anisotropic random walk."""

import numpy as np
import pytest

from mdgan.analysis.axes import cell_frame, common_frame
from mdgan.analysis.diffusion import fit_diffusion
from mdgan.analysis.lags import log_lags
from mdgan.analysis.msd import msd_samples
from mdgan.errors import InputError


def hexagonal(a, c):
    return np.array([[a, 0.0, 0.0], [-a / 2, a * np.sqrt(3) / 2, 0.0], [0.0, 0.0, c]])


def test_orthogonal_cell_along_x_y_z_is_the_cartesian_frame():
    frame, names = cell_frame(np.diag([8.7, 8.7, 12.6]))
    assert names == ("x", "y", "z")
    np.testing.assert_array_equal(frame, np.eye(3))
    frames = np.repeat(np.diag([8.7, 8.7, 12.6])[None], 5, axis=0) * np.linspace(0.99, 1.01, 5)[:, None, None]
    assert cell_frame(frames)[1] == ("x", "y", "z")  # a cell that breathes (NPT) keeps its axes


def test_rotated_orthogonal_cell_is_named_a_b_c():
    turn = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # a along y, b along -x
    frame, names = cell_frame(np.diag([5.0, 6.0, 7.0]) @ turn)
    assert names == ("a", "b", "c")
    np.testing.assert_allclose(frame, turn, atol=1e-12)


def test_hexagonal_cell_axes_are_a_the_in_plane_normal_to_a_and_c():
    frame, names = cell_frame(hexagonal(8.8, 22.0))
    assert names == ("a", "b_perp", "c")
    np.testing.assert_allclose(frame, np.eye(3), atol=1e-12)  # a along x, c along z: b_perp is y
    np.testing.assert_allclose(frame @ frame.T, np.eye(3), atol=1e-12)


def test_monoclinic_cell_has_b_and_the_normal_to_the_ab_plane():
    beta = np.radians(100.0)
    cell = np.array([[6.0, 0.0, 0.0], [0.0, 7.0, 0.0], [8.0 * np.cos(beta), 0.0, 8.0 * np.sin(beta)]])
    frame, names = cell_frame(cell)
    assert names == ("a", "b", "c_perp")
    np.testing.assert_allclose(frame[2], [0.0, 0.0, 1.0], atol=1e-12)


def test_runs_with_differently_oriented_cells_are_refused():
    assert common_frame([np.eye(3) * 5, np.eye(3) * 6])[1] == ("x", "y", "z")
    with pytest.raises(InputError, match="different directions"):
        common_frame([np.eye(3) * 5, hexagonal(5.0, 6.0)])
    with pytest.raises(InputError, match="zero volume"):
        cell_frame(np.zeros((3, 3)))


@pytest.mark.parametrize("cell", [np.diag([10.0, 10.0, 10.0]), hexagonal(10.0, 10.0)], ids=["orthogonal", "hexagonal"])
def test_per_axis_D_of_an_anisotropic_random_walk(cell):
    """D_x = D_y = 0.1, D_z = 0.4 Angstrom^2/ps: each axis' D (slope / 2 of its 1D MSD) within its
    error of the truth, the isotropic D about their mean."""
    rng = np.random.default_rng(11)
    D, dt = np.array([0.1, 0.1, 0.4]), 0.01
    walks = np.cumsum(rng.normal(size=(200, 1000, 3)) * np.sqrt(2 * D * dt), axis=1)
    frame, names = cell_frame(cell)
    samples = msd_samples(walks, log_lags(500, 50), dt, frame=frame, axes=names)
    fits = [fit_diffusion(samples, (0.1, 4.0), axis=k) for k in range(3)]
    assert [f.axis for f in fits] == list(names)
    for fit, truth in zip(fits, D):
        assert fit.diffusive and abs(fit.D_ang2_ps - truth) < 3 * fit.D_err_ang2_ps
        assert fit.D_err_ang2_ps < 0.1 * truth
    iso = fit_diffusion(samples, (0.1, 4.0))
    assert iso.axis == "iso"
    # each fit weighs its lags by its own errors, so the mean of the axes is close to, not equal to, iso
    assert iso.D_ang2_ps == pytest.approx(np.mean([f.D_ang2_ps for f in fits]), rel=0.01)
    assert abs(iso.D_ang2_ps - D.mean()) < 3 * iso.D_err_ang2_ps
