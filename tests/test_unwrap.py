"""Unwrapping across periodic boundaries and framework drift removal."""

import numpy as np
import pytest

from mdgan.errors import InputError
from mdgan.extract import extract_species, unwrap_positions
from mdgan.trajectory import Trajectory

SKEWED_CELL = np.array([[5.0, 0.0, 0.0], [2.0, 4.5, 0.0], [1.0, -1.5, 6.0]])


def wrap(positions, cells):
    """Wrap Cartesian positions into the cell of each frame (fractional in [0, 1))."""
    frac = np.einsum("fai,fij->faj", positions, np.linalg.inv(cells))
    return np.einsum("faj,fjk->fak", frac % 1.0, cells)


def test_hand_built_path_crossing_a_skewed_cell_several_times():
    # One atom moving steadily along a direction that crosses every face of a skewed cell
    # several times: 40 steps of (0.9, 0.7, -0.8) A, far more than one cell in every direction.
    steps = np.tile([0.9, 0.7, -0.8], (40, 1))
    truth = ([0.3, 0.2, 0.1] + np.concatenate([np.zeros((1, 3)), np.cumsum(steps, axis=0)]))[:, None, :]
    cells = np.repeat(SKEWED_CELL[None], len(truth), axis=0)
    wrapped = wrap(truth, cells)
    assert np.abs(wrapped - truth).max() > 10  # it really was wrapped many times
    np.testing.assert_allclose(unwrap_positions(wrapped, cells), truth, atol=1e-9)


def test_unwrapped_input_stays_unchanged_in_a_changing_cell():
    rng = np.random.default_rng(0)
    truth = np.cumsum(rng.normal(0, 0.3, size=(200, 4, 3)), axis=0)
    scale = 1 + 0.02 * np.sin(np.arange(200) / 10)
    cells = SKEWED_CELL[None] * scale[:, None, None]
    np.testing.assert_allclose(unwrap_positions(truth, cells), truth, atol=1e-9)
    # Wrapped in a fluctuating cell, each recovered step is the true step up to the image shift
    # n * (L_t - L_{t-1}) of the wrapping: Cartesian minimum image (the scheme of von Buelow et al.)
    # does not inflate displacements the way scaling unwrapped fractional coordinates would.
    recovered_steps = np.diff(unwrap_positions(wrap(truth, cells), cells), axis=0)
    cell_change = np.abs(np.diff(cells, axis=0)).sum(axis=1).max()
    images = np.abs(np.floor(np.einsum("fai,fij->faj", truth, np.linalg.inv(cells)))).max()
    assert np.abs(recovered_steps - np.diff(truth, axis=0)).max() <= images * cell_change + 1e-9


def make_trajectory(positions, numbers, cell=SKEWED_CELL):
    n = len(positions)
    return Trajectory(
        positions_ang=positions,
        cells_ang=np.repeat(cell[None], n, axis=0),
        numbers=np.asarray(numbers),
        time_ps=0.02 * np.arange(1, n + 1),
        frame_dt_fs=20.0,
        temperature_k=600.0,
        source="test.fdf",
    )


def test_framework_drift_is_removed_from_the_ions():
    rng = np.random.default_rng(1)
    n = 100
    li = np.cumsum(rng.normal(0, 0.2, size=(n, 2, 3)), axis=0)
    framework = np.array([[0.0, 0.0, 0.0], [2.0, 2.0, 2.0]])[None] + rng.normal(0, 0.05, size=(n, 2, 3))
    drift = np.outer(np.arange(n), [0.01, -0.02, 0.03])[:, None, :]
    traj = make_trajectory(np.concatenate([li, framework], axis=1) + drift, [3, 3, 16, 16])
    tracks = extract_species(traj, "Li", remove_drift=True)
    framework_com_noise = framework.mean(axis=1, keepdims=True) - framework[0].mean(axis=0)
    np.testing.assert_allclose(tracks.positions_ang, li - framework_com_noise, atol=1e-9)
    kept = extract_species(traj, "Li", remove_drift=False)
    np.testing.assert_allclose(kept.positions_ang, li + drift, atol=1e-9)


def test_species_selected_by_atomic_number_and_missing_species_refused():
    positions = np.zeros((3, 3, 3)) + np.arange(3)[None, :, None]
    traj = make_trajectory(positions, [16, 3, 16])
    tracks = extract_species(traj, "Li")
    assert tracks.n_ions == 1 and tracks.n_frames == 3
    with pytest.raises(InputError, match=r"test.fdf: no atom of species Na \(Z=11\)"):
        extract_species(traj, "Na")
    with pytest.raises(InputError, match="not a chemical symbol"):
        extract_species(traj, "Xx")
