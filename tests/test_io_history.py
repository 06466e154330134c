"""The per-format readers on their own: MD_CAR, MDE, stdout coordinate units, fixed-width fields."""

import re
from pathlib import Path

import numpy as np
import pytest

from mdgan.errors import InputError
from mdgan.io.mdcar import read_md_car
from mdgan.io.mde import read_mde
from mdgan.io.numbers import fixed_fields
from mdgan.io.siesta_out import read_siesta_stdout, stdout_input
from mdgan.io.units import BOHR_ANG

DATA = Path(__file__).parent / "data" / "siesta"
MGCO3 = DATA / "MgCO3_md_nose_siesta5"


def test_md_car_genuine():
    cells, positions = read_md_car(MGCO3 / "md_nose.MD_CAR", 10)
    assert cells.shape == (5, 3, 3) and positions.shape == (5, 10, 3)
    np.testing.assert_array_equal(cells[4, 2], [3.786009162, 1.692731155, 3.877956855])
    # record 5, atom 1: fractional (line 79 of the file) times the cell
    row = (MGCO3 / "md_nose.MD_CAR").read_text().splitlines()[4 * 17 + 7]
    np.testing.assert_allclose(positions[4, 0], np.array(row.split(), float) @ cells[4])


def test_fixed_fields_equal_float_parsing():
    rows = [line.encode() for line in (MGCO3 / "md_nose.MD_CAR").read_text().splitlines() if len(line) == 48]
    expected = np.array([[float(v) for v in row.split()] for row in rows])
    np.testing.assert_array_equal(fixed_fields(rows, 0, 16, 3), expected)
    assert fixed_fields([b"    1.0E-03    0.5    0.5"], 0, 16, 3) is None  # not plain fixed-point: caller falls back


def test_mde_genuine_and_restarts(tmp_path):
    steps, runs = read_mde(MGCO3 / "md_nose.MDE")
    assert steps.tolist() == [1, 2, 3, 4, 5] and runs == (0,)
    text = (MGCO3 / "md_nose.MDE").read_text()
    lines = text.splitlines(keepends=True)
    # repeated header (restart), step numbers restarting without a header, a last line left as NULs by a crash
    (tmp_path / "x.MDE").write_text(text + text + "".join(lines[1:3]) + "\x00\x00\x00")
    steps, runs = read_mde(tmp_path / "x.MDE")
    assert steps.tolist() == [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2] and runs == (0, 5, 10)


def test_mde_garbage_row_names_line(tmp_path):
    lines = (MGCO3 / "md_nose.MDE").read_text().splitlines(keepends=True)
    lines[2] = "  two    540.55\n"
    (tmp_path / "x.MDE").write_text("".join(lines))
    with pytest.raises(InputError, match=r"x.MDE, line 3: expected a row starting with the MD step number"):
        read_mde(tmp_path / "x.MDE")


def convert_outcoor(text: str, unit: str, scale) -> str:
    """Rewrite every fractional outcoor block as SIESTA prints it for another AtomicCoordinatesFormat."""
    cells = [np.array([r.split() for r in m.group(1).splitlines()], float)
             for m in re.finditer(r"outcell: Unit cell vectors \(Ang\):\n((?:.*\n){3})", text)]
    blocks = iter(cells)

    def rewrite(match):
        cell = next(blocks)
        rows = []
        for row in match.group(1).splitlines():
            x, y, z, *rest = row.split()
            cart = scale(np.array([x, y, z], float) @ cell)
            rows.append("".join(f"{v:14.8f}" for v in cart) + f"   {rest[0]}       {rest[1]}  {rest[2]}")
        return f"outcoor: Atomic coordinates ({unit}):\n" + "\n".join(rows) + "\n"

    return re.sub(r"outcoor: Atomic coordinates \(fractional\):\s*\n((?:\s+-?\d.*\n)+)", rewrite, text)


@pytest.mark.parametrize("unit, scale, alat", [("Ang", lambda v: v, None), ("Bohr", lambda v: v / BOHR_ANG, None), ("scaled", lambda v: v / 5.67783, 5.67783)])
def test_outcoor_units(tmp_path, unit, scale, alat):
    reference = read_siesta_stdout(MGCO3 / "RUN.out", 10)
    (tmp_path / "RUN.out").write_text(convert_outcoor((MGCO3 / "RUN.out").read_text(), unit, scale))
    converted = read_siesta_stdout(tmp_path / "RUN.out", 10, lattice_constant_ang=alat)
    np.testing.assert_allclose(converted.positions_ang, reference.positions_ang, atol=1e-6)


def test_scaled_outcoor_needs_the_lattice_constant(tmp_path):
    (tmp_path / "RUN.out").write_text(convert_outcoor((MGCO3 / "RUN.out").read_text(), "scaled", lambda v: v))
    with pytest.raises(InputError, match="scaled needs LatticeConstant"):
        read_siesta_stdout(tmp_path / "RUN.out", 10)


def test_stdout_steps_runs_and_echoed_input():
    out = read_siesta_stdout(DATA / "siesta4_test_suite_md" / "anneal-cont.out.gz", 3, geometry=False)
    assert out.steps.tolist() == list(range(1, 21)) * 4
    assert out.runs.tolist() == [0] * 20 + [1] * 20 + [2] * 20 + [3] * 20
    assert out.positions_ang is None and out.label == "h2o"
    assert "MD.TypeOfRun         Anneal" in stdout_input(DATA / "siesta4_test_suite_md" / "anneal-cont.out.gz")
    with pytest.raises(InputError, match="no echoed input"):
        stdout_input(MGCO3 / "RUN.out")  # SIESTA 5 read the fdf from a file: nothing echoed


def test_stdout_without_outcoor_has_cells_only():
    out = read_siesta_stdout(DATA / "siesta4_test_suite_md" / "md_anneal.out.gz", 2)
    assert out.positions_ang is None and out.cells_ang.shape == (100, 3, 3)
