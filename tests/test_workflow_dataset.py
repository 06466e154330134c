"""The workflow through Snakemake up to the training windows, on the tiny LGPS cut."""

import json

import numpy as np
import pandas as pd
import pytest

from conftest import REPO, run_workflow, tiny_config
pytestmark = pytest.mark.slow


def read_ani(path):
    """Frames (frames, atoms, 3) and atomic numbers of an ANI, through ASE's xyz reader."""
    import ase.io

    images = ase.io.read(path, ":", format="xyz")
    return np.array([a.get_positions() for a in images]), images[0].get_atomic_numbers()


def test_dataset_from_three_siesta_runs(tmp_path):
    run_workflow(tmp_path, tiny_config(), "results/dataset/windows.npz")
    results = tmp_path / "results"

    # Li tracks: 20 Li x 48 frames per run, times (i+1) x 20 fs, the run's own unwrapped positions.
    tracks = np.load(results / "md/run2/li_unwrapped.npz")
    assert tracks["positions_ang"].shape == (48, 20, 3)
    np.testing.assert_allclose(tracks["time_ps"], 0.02 * np.arange(1, 49))
    assert float(tracks["frame_dt_fs"]) == 20.0 and str(tracks["species"]) == "Li"
    # Drift removal only shifts all ions together: relative vectors equal the ANI's to its 6 decimals.
    frames, numbers = read_ani(REPO / "tests/data/tiny/run2/lgps.ANI")
    li_rows = frames[:, numbers == 3]
    relative = tracks["positions_ang"] - tracks["positions_ang"][:, :1]
    np.testing.assert_allclose(relative, li_rows - li_rows[:, :1], atol=2e-6)

    # Windows: 48 frames -> 47 increments; window 16, stride 4 -> starts 0..28 = 8 per ion; 3 runs x 20 ions.
    windows = np.load(results / "dataset/windows.npz")
    assert windows["windows"].shape == (3 * 20 * 8, 16, 3) and windows["windows"].dtype == np.float32
    stats = json.loads((results / "dataset/standardization.json").read_text())
    assert stats["record_dt_ps"] == pytest.approx(0.02) and stats["window_records"] == 16
    assert stats["runs"] == ["run1", "run2", "run3"] and stats["ions_per_run"] == [20, 20, 20]
    # Standardised windows undo to the MD increments of the recorded origin.
    run, ion, start = windows["origin"][-1]
    li = np.load(results / f"md/run{run + 1}/li_unwrapped.npz")["positions_ang"]
    increments = np.diff(li, axis=0)[start : start + 16, ion]
    np.testing.assert_allclose(windows["windows"][-1] * stats["std_ang"] + stats["mean_ang"], increments, atol=1e-5)
    # The windows of all increments of all runs are standardised: mean 0, std 1 up to window overlap.
    assert np.abs(windows["windows"].mean(axis=(0, 1))).max() < 0.1

    table = pd.read_csv(results / "dataset/step_skip_table.csv")
    assert table["n_windows"].tolist() == [480, 3 * 20 * 2]  # skip 2: 23 increments -> starts 0, 4


def test_wrapped_input_gives_the_unwrapped_truth(tmp_path):
    """A wrapped copy of a run (positions folded into the cell) unwraps to the same tracks."""
    from mdgan.io.siesta_export import write_siesta_run

    source = REPO / "tests/data/tiny/run1"
    frames, numbers = read_ani(source / "lgps.ANI")
    cell = np.array([[8.729014, 0.018257, 0.0], [0.018257, 8.729014, 0.0], [0.0, 0.0, 12.735865]])
    wrapped = (frames @ np.linalg.inv(cell)) % 1.0 @ cell
    assert np.abs(wrapped - frames).max() > 1.0
    write_siesta_run(tmp_path / "wrapped", "lgps", numbers, wrapped[0], wrapped, cell, 20.0, 600.0)
    config = tiny_config()
    config["runs"] = {"plain": {"path": str(source / "lgps.fdf")}, "wrapped": {"path": str(tmp_path / "wrapped/lgps.fdf")}}
    run_workflow(tmp_path / "wd", config, "results/md/plain/li_unwrapped.npz", "results/md/wrapped/li_unwrapped.npz")
    plain = np.load(tmp_path / "wd/results/md/plain/li_unwrapped.npz")["positions_ang"]
    unwrapped = np.load(tmp_path / "wd/results/md/wrapped/li_unwrapped.npz")["positions_ang"]
    # Same steps; the copy starts from the wrapped first frame, so compare displacements.
    np.testing.assert_allclose(unwrapped - unwrapped[0], plain - plain[0], atol=1e-5)
