"""The SIESTA .ANI reader: the genuine SIESTA 5 byte layout, fixed-width fields, truncation."""

from pathlib import Path

import numpy as np
import pytest

from mdgan.errors import InputError
from mdgan.io.ani import read_ani

DATA = Path(__file__).parent / "data" / "siesta"
GRAPHENE_ANI = DATA / "graphene_cg_ani_siesta5" / "md" / "siesta.ANI"


def test_genuine_siesta5_ani():
    positions, symbols = read_ani(GRAPHENE_ANI, 2)
    assert positions.shape == (4, 2, 3) and symbols == ("C", "C")
    np.testing.assert_array_equal(positions[0], [[-0.074956, 0.0, -0.0], [1.454718, 0.0, -0.0]])
    np.testing.assert_array_equal(positions[3, 1], [1.399678, -0.0, -0.0])


def test_fields_that_fill_their_columns(tmp_path):
    # (a2,2x,3f12.6): coordinates <= -1000 A touch their neighbour; split() would break.
    text = "    2\n\nLi  -1000.123456-2000.000001 3000.500000\nS       1.000000    2.000000    3.000000\n"
    path = tmp_path / "x.ANI"
    path.write_text(text)
    positions, symbols = read_ani(path)
    np.testing.assert_array_equal(positions[0, 0], [-1000.123456, -2000.000001, 3000.5])
    assert symbols == ("Li", "S")


def test_blank_separated_xyz_is_read_too(tmp_path):
    path = tmp_path / "x.ANI"
    path.write_text("2\ncomment\nLi 0.1 0.2 0.3\nS 1 2 3\n2\ncomment\nLi 0.4 0.5 0.6\nS 1 2 3\n")
    positions, _ = read_ani(path)
    np.testing.assert_allclose(positions[1, 0], [0.4, 0.5, 0.6])


def test_truncated_last_record_dropped_with_warning(tmp_path):
    lines = GRAPHENE_ANI.read_text().splitlines(keepends=True)
    cut = tmp_path / "siesta.ANI"
    cut.write_text("".join(lines[:-1]))  # the last record loses its last atom
    with pytest.warns(UserWarning, match=r"siesta.ANI: record 3 .* 1 of 2 atom lines"):
        positions, _ = read_ani(cut, 2)
    assert positions.shape == (3, 2, 3)


def test_line_cut_mid_write_is_dropped(tmp_path):
    data = GRAPHENE_ANI.read_bytes()
    cut = tmp_path / "siesta.ANI"
    cut.write_bytes(data[:-20])  # the job died while writing the last line
    with pytest.warns(UserWarning, match="siesta.ANI"):
        positions, _ = read_ani(cut, 2)
    assert positions.shape == (3, 2, 3)


def test_killed_record_before_an_appended_restart(tmp_path):
    lines = GRAPHENE_ANI.read_text().splitlines(keepends=True)
    path = tmp_path / "siesta.ANI"
    path.write_text("".join(lines[:7] + lines))  # record 1 cut after 1 atom, then a full restart appended
    with pytest.warns(UserWarning, match="record 1 at line 5 holds 1 of 2"):
        positions, _ = read_ani(path, 2)
    assert positions.shape == (5, 2, 3)
    np.testing.assert_array_equal(positions[1], positions[0])


def test_gzip(tmp_path):
    import gzip

    path = tmp_path / "siesta.ANI.gz"
    path.write_bytes(gzip.compress(GRAPHENE_ANI.read_bytes()))
    np.testing.assert_array_equal(read_ani(path, 2)[0], read_ani(GRAPHENE_ANI, 2)[0])


@pytest.mark.parametrize(
    "bad, line",
    [("C        nan    0.000000   -0.000000", 3), ("C      -0.07a956    0.000000   -0.000000", 3), ("C   ************    0.000000   -0.000000", 3)],
)
def test_unparsable_or_nan_coordinate_names_file_and_line(tmp_path, bad, line):
    lines = GRAPHENE_ANI.read_text().splitlines()
    lines[line - 1] = bad
    path = tmp_path / "siesta.ANI"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=rf"siesta.ANI, line {line} \(record 0, atom 1\)"):
        read_ani(path, 2)


def test_atom_count_disagreeing_with_input(tmp_path):
    with pytest.raises(InputError, match="holds 2 atoms, but the run's input has 3"):
        read_ani(GRAPHENE_ANI, 3)


def test_record_with_too_many_atom_lines(tmp_path):
    lines = GRAPHENE_ANI.read_text().splitlines(keepends=True)
    path = tmp_path / "siesta.ANI"
    path.write_text("".join(lines[:4] + [lines[3]] + lines[4:]))
    with pytest.raises(InputError, match="line 5: record 0 .* should end after 2 atoms"):
        read_ani(path, 2)
