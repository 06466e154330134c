"""Whole SIESTA runs: source priority, frame offset, stdout variants, variable cells, restarts,
truncation, gzip and frame-count cross-checks, on genuine files and copies derived in tmp_path."""

import gzip
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from mdgan.errors import InputError
from mdgan.io import input_files, read_run
from mdgan.io.mdcar import read_md_car
from mdgan.io.siesta_out import read_siesta_stdout

DATA = Path(__file__).parent / "data" / "siesta"
MGCO3 = DATA / "MgCO3_md_nose_siesta5"
ANI_RUN = DATA / "derived" / "md_nose_ani"
SUITE = DATA / "siesta4_test_suite_md"
SI64 = DATA / "Si64_anneal_siesta3_truncated"


def copy(tmp_path: Path, folder: Path, *names: str) -> Path:
    for name in names:
        shutil.copyfile(folder / name, tmp_path / name)
    return tmp_path


def test_md_car_is_the_source_and_matches_the_out_one_step_later():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # MD_CAR, MDE and RUN.out agree: nothing to report
        traj = read_run(MGCO3 / "md_nose.fdf")
    cells, positions = read_md_car(MGCO3 / "md_nose.MD_CAR", 10)
    assert traj.source.endswith("md_nose.MD_CAR") and traj.n_frames == 5
    np.testing.assert_array_equal(traj.positions_ang, positions)
    np.testing.assert_array_equal(traj.cells_ang, cells)
    np.testing.assert_allclose(traj.time_ps, np.arange(1, 6) * 1e-3)
    # frame i = MD_CAR record i+1 = the outcoor printed by MD step i+2 (fractional, 8 decimals)
    out = read_siesta_stdout(MGCO3 / "RUN.out", 10)
    np.testing.assert_allclose(traj.positions_ang[:4], out.positions_ang[1:], atol=1e-6)
    # MD step 1 prints the fdf start geometry, which is not a frame
    np.testing.assert_allclose(out.positions_ang[0, 4], np.array([0.5274, -0.0274, 0.25]) @ cells[0], atol=1e-6)


def test_same_run_from_the_out_alone(tmp_path):
    copy(tmp_path, MGCO3, "md_nose.fdf", "RUN.out")
    traj = read_run(tmp_path / "md_nose.fdf")
    _, positions = read_md_car(MGCO3 / "md_nose.MD_CAR", 10)
    assert traj.source.endswith("RUN.out") and traj.n_frames == 4  # steps 2..5 print records 1..4
    np.testing.assert_allclose(traj.positions_ang, positions[:4], atol=1e-6)
    np.testing.assert_allclose(traj.time_ps, [0.001, 0.002, 0.003, 0.004])


def test_ani_and_out_of_the_same_run_agree():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = read_run(ANI_RUN / "md_nose.fdf")
    out = read_siesta_stdout(ANI_RUN / "RUN.out.gz", 10)
    assert traj.source.endswith("md_nose.ANI") and traj.n_frames == 5
    np.testing.assert_allclose(traj.positions_ang[:4], out.positions_ang[1:], atol=2e-6)


def test_siesta32_stdout_against_dpdata_reference():
    # genuine SIESTA 3.2 output cut after 5 steps (no 'Job completed'); input echoed in the .out
    traj = read_run(SI64 / "output.siesta.out")
    coord = np.loadtxt(SI64 / "coord").reshape(5, 64, 3)  # dpdata: the outcoor of steps 1..5
    cell = np.loadtxt(SI64 / "cell").reshape(5, 3, 3)
    assert traj.n_frames == 4 and traj.numbers.tolist() == [14] * 64
    np.testing.assert_array_equal(traj.positions_ang, coord[1:])
    np.testing.assert_array_equal(traj.cells_ang, cell[1:])
    assert traj.frame_dt_fs == 2.0 and traj.temperature_k == 300.0


def test_stdout_recognised_by_content(tmp_path):
    shutil.copyfile(SI64 / "output.siesta.out", tmp_path / "output")  # its name upstream
    assert read_run(tmp_path / "output").n_frames == 4


@pytest.mark.parametrize(
    "path, n_frames, numbers, dt",
    [
        ("md_verlet.fdf", 4, [12, 12, 6, 6] + [8] * 6, 1.0),  # 4.1, fractional outcoor
        ("md_nose.fdf", 4, [12, 12, 6, 6] + [8] * 6, 1.0),
        ("Nose.out.gz", 99, [8, 1, 1], 0.2),  # 4.1, Ang outcoor, input echoed, gzip
    ],
)
def test_siesta41_stdout(path, n_frames, numbers, dt):
    traj = read_run(SUITE / path)
    assert traj.n_frames == n_frames and traj.numbers.tolist() == numbers and traj.frame_dt_fs == dt
    assert np.all(np.isfinite(traj.positions_ang))


def test_siesta41_and_51_print_the_same_first_move():
    # the same MgCO3 Nose input run by SIESTA 4.1 and 5.1: record 1 agrees to the printed digits
    old = read_run(SUITE / "md_nose.fdf")
    new = read_run(MGCO3 / "md_nose.fdf")
    np.testing.assert_allclose(old.positions_ang[0], new.positions_ang[0], atol=5e-3)


def test_variable_cell_run_keeps_every_cell():
    traj = read_run(SUITE / "md_pr.fdf")  # Parrinello-Rahman, 50 steps, cell from outcell
    assert traj.n_frames == 49
    # the outcell of step 50 (the cell of record 49, the last frame), copied from md_pr.out
    np.testing.assert_allclose(
        traj.cells_ang[-1], [[5.655843, -0.027150, -0.017773], [3.751115, 4.233017, -0.017773], [3.751115, 1.677130, 3.886642]]
    )
    assert np.ptp(traj.cells_ang[:, 0, 0]) > 0.01  # the cell does change
    out = read_siesta_stdout(SUITE / "md_pr.out.gz", 10)
    np.testing.assert_array_equal(traj.cells_ang, out.cells_ang[1:])
    # fractional outcoor x the cell of the same step
    frac_o5_step50 = np.array([0.57673076, -0.07673076, 0.25])
    np.testing.assert_allclose(traj.positions_ang[-1, 4], frac_o5_step50 @ traj.cells_ang[-1], atol=1e-6)


def write_ani(path: Path, symbols, positions) -> None:
    with open(path, "w") as out:
        for frame in positions:
            out.write(f"{len(symbols):5d}\n\n")
            out.writelines(f"{s:<2s}  {x:12.6f}{y:12.6f}{z:12.6f}\n" for s, (x, y, z) in zip(symbols, frame))


MGCO3_SYMBOLS = ["Mg", "Mg", "C", "C"] + ["O"] * 6


def test_variable_cell_ani_takes_cells_from_the_out(tmp_path):
    # derived: an ANI holding what md_pr.out prints as records 1..49 (steps 2..50)
    copy(tmp_path, SUITE, "md_pr.fdf", "md_pr.out.gz")
    out = read_siesta_stdout(SUITE / "md_pr.out.gz", 10)
    write_ani(tmp_path / "md_pr.ANI", MGCO3_SYMBOLS, out.positions_ang[1:])
    traj = read_run(tmp_path / "md_pr.fdf")
    assert traj.source.endswith("md_pr.ANI") and traj.n_frames == 49
    np.testing.assert_array_equal(traj.cells_ang, out.cells_ang[1:])
    # a complete run also writes record 50, whose cell no MD step prints: that frame is dropped
    write_ani(tmp_path / "md_pr.ANI", MGCO3_SYMBOLS, np.concatenate([out.positions_ang[1:], out.positions_ang[-1:]]))
    with pytest.warns(UserWarning, match="cell of the last record"):
        assert read_run(tmp_path / "md_pr.fdf").n_frames == 49


def test_variable_cell_ani_without_cells_is_refused(tmp_path):
    copy(tmp_path, SUITE, "md_pr.fdf")
    shutil.copyfile(ANI_RUN / "md_nose.ANI", tmp_path / "md_pr.ANI")
    with pytest.raises(InputError, match="changes the cell.*no md_pr.MD_CAR"):
        read_run(tmp_path / "md_pr.fdf")


def test_concatenated_continuation_runs_in_one_out():
    traj = read_run(SUITE / "anneal-cont.out.gz")  # 4 runs x 20 steps, MD.UseSaveXV
    assert traj.n_frames == 79 and traj.restarts == (20, 40, 60)
    np.testing.assert_allclose(traj.time_ps[-1], 79 * 0.2e-3)
    # a continuation: no jump at the joins beyond an ordinary step
    steps = np.linalg.norm(np.diff(traj.positions_ang, axis=0), axis=2).max(axis=1)
    assert steps[[18, 19, 38, 39]].max() < 3 * np.median(steps)


@pytest.mark.parametrize("history", ["md_nose.MD_CAR", "md_nose.ANI"])
def test_appended_history_restarts_from_mde_headers(tmp_path, history):
    # derived: the run's history written twice in a row, as SIESTA appends on a restart
    folder = MGCO3 if history.endswith("MD_CAR") else ANI_RUN
    copy(tmp_path, MGCO3, "md_nose.fdf")
    for name in (history, "md_nose.MDE"):
        (tmp_path / name).write_bytes((folder / name).read_bytes() * 2)
    traj = read_run(tmp_path / "md_nose.fdf")
    assert traj.n_frames == 10 and traj.restarts == (5,)
    np.testing.assert_array_equal(traj.positions_ang[5:], traj.positions_ang[:5])
    np.testing.assert_allclose(traj.time_ps, np.arange(1, 11) * 1e-3)


def test_truncated_md_car_record_dropped_with_warning(tmp_path):
    copy(tmp_path, MGCO3, "md_nose.fdf", "md_nose.MDE")
    data = (MGCO3 / "md_nose.MD_CAR").read_bytes()
    (tmp_path / "md_nose.MD_CAR").write_bytes(data[: len(data) - 100])  # killed inside record 5
    with pytest.warns(UserWarning, match=r"md_nose.MD_CAR: record 4 .* dropped"):
        traj = read_run(tmp_path / "md_nose.fdf")
    assert traj.n_frames == 4


def test_md_car_cut_inside_a_line(tmp_path):
    copy(tmp_path, MGCO3, "md_nose.fdf")
    data = (MGCO3 / "md_nose.MD_CAR").read_bytes()
    (tmp_path / "md_nose.MD_CAR").write_bytes(data[:-20])  # the last row is half written
    with pytest.warns(UserWarning, match=r"md_nose.MD_CAR: record 4 at line 69 holds 16 of 17 lines"):
        assert read_run(tmp_path / "md_nose.fdf").n_frames == 4


def test_out_cut_inside_the_last_outcoor(tmp_path):
    text = (MGCO3 / "RUN.out").read_text()
    cut = text.index("    0.5", text.index("Begin MD step =      5"))  # inside step 5's outcoor
    (tmp_path / "RUN.out").write_text(text[:cut])
    copy(tmp_path, MGCO3, "md_nose.fdf")
    with pytest.warns(UserWarning, match=r"RUN.out: MD step 5 .* cut short"):
        traj = read_run(tmp_path / "md_nose.fdf")
    assert traj.n_frames == 3


def test_everything_gzip_compressed(tmp_path):
    for name in ("md_nose.fdf", "md_nose.MD_CAR", "md_nose.MDE", "RUN.out"):
        (tmp_path / (name + ".gz")).write_bytes(gzip.compress((MGCO3 / name).read_bytes()))
    traj = read_run(tmp_path / "md_nose.fdf.gz")
    np.testing.assert_array_equal(traj.positions_ang, read_run(MGCO3 / "md_nose.fdf").positions_ang)
    assert sorted(p.name for p in input_files(tmp_path / "md_nose.fdf.gz")) == sorted(
        ["md_nose.fdf.gz", "md_nose.MD_CAR.gz", "md_nose.MDE.gz", "RUN.out.gz"]
    )


def test_frame_count_disagreement_is_reported(tmp_path):
    copy(tmp_path, MGCO3, "md_nose.fdf", "md_nose.MD_CAR")
    lines = (MGCO3 / "md_nose.MDE").read_text().splitlines(keepends=True)
    (tmp_path / "md_nose.MDE").write_text("".join(lines[:3]))  # 2 steps only
    with pytest.warns(UserWarning, match=r"frame counts disagree: .*md_nose.MDE has 2 MD steps, expected 5 to 6"):
        read_run(tmp_path / "md_nose.fdf")


def test_ani_and_md_car_counts_compared(tmp_path):
    copy(tmp_path, MGCO3, "md_nose.fdf", "md_nose.MD_CAR")
    lines = (ANI_RUN / "md_nose.ANI").read_text().splitlines(keepends=True)
    (tmp_path / "md_nose.ANI").write_text("".join(lines[: 3 * 12]))
    with pytest.warns(UserWarning, match=r"md_nose.ANI has 3 records, expected 5"):
        assert read_run(tmp_path / "md_nose.fdf").source.endswith("MD_CAR")


def test_out_of_another_system_label_is_not_used(tmp_path):
    copy(tmp_path, SUITE, "md_verlet.fdf")
    shutil.copyfile(SUITE / "md_nose.out", tmp_path / "md_verlet.out")
    with pytest.warns(UserWarning, match="written for SystemLabel 'md_nose'"), pytest.raises(InputError, match="no trajectory"):
        read_run(tmp_path / "md_verlet.fdf")


def test_ghost_atoms_are_left_out(tmp_path):
    text = (ANI_RUN / "converter_shape.fdf").read_text().replace("  2 6 C", "  2 -6 C")
    (tmp_path / "md_nose.fdf").write_text(text)
    shutil.copyfile(ANI_RUN / "md_nose.ANI", tmp_path / "md_nose.ANI")
    traj = read_run(tmp_path / "md_nose.fdf")
    full = read_run(ANI_RUN / "converter_shape.fdf")
    assert traj.numbers.tolist() == [12, 12] + [8] * 6
    np.testing.assert_array_equal(traj.positions_ang, full.positions_ang[:, [0, 1, 4, 5, 6, 7, 8, 9]])


def test_cg_relaxation_out_has_no_md_step_and_says_so():
    with pytest.warns(UserWarning, match="RUN.out has 0 MD steps"):
        traj = read_run(DATA / "graphene_cg_ani_siesta5" / "md" / "charge_md.fdf")
    assert traj.n_frames == 4


def test_input_files_of_every_genuine_run_exist_and_are_cheap():
    for path in [MGCO3 / "md_nose.fdf", SUITE / "md_pr.fdf", SUITE / "anneal-cont.out.gz", SUITE / "md_anneal.fdf"]:
        files = input_files(path)
        assert files[0] == path and all(f.is_file() for f in files)
    assert [f.name for f in input_files(SUITE / "md_anneal.fdf")] == ["md_anneal.fdf", "md_anneal.STRUCT_IN", "md_anneal.out.gz"]
