"""fdf syntax and the SIESTA input it describes, on genuine inputs and small hand-written ones."""

from pathlib import Path

import numpy as np
import pytest

from mdgan.errors import InputError
from mdgan.io.fdf import normalize, parse_fdf
from mdgan.io.siesta_input import cell_from_parameters, read_siesta_input
from mdgan.io.units import BOHR_ANG

DATA = Path(__file__).parent / "data" / "siesta"
MGCO3_CELL = np.array(  # md_nose.MD_CAR (SIESTA 5.1), the cell of LatticeParameters 1 1 1 48.179 x3, a = 5.67783
    [[5.677830000, 0.0, 0.0], [3.786009162, 4.231298635, 0.0], [3.786009162, 1.692731155, 3.877956855]]
)

MINIMAL = """SystemLabel tiny
%block ChemicalSpeciesLabel
 1 3 Li
 2 16 S
%endblock ChemicalSpeciesLabel
LatticeConstant 2.0 Ang
%block LatticeVectors
 1.0 0.0 0.0
 0.0 1.5 0.0
 0.0 0.0 2.0
%endblock LatticeVectors
%block AtomicCoordinatesAndAtomicSpecies
 0.5 0.5 0.5 1
 1.0 1.0 1.0 2
%endblock AtomicCoordinatesAndAtomicSpecies
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_key_spellings_are_one_label():
    assert normalize("MD.LengthTimeStep") == normalize("md-length-time-step") == normalize("MD_Length.Time_Step")


def test_genuine_siesta5_input_lattice_parameters_fractional():
    inp = read_siesta_input(DATA / "MgCO3_md_nose_siesta5" / "md_nose.fdf")
    assert inp.label == "md_nose"
    assert inp.numbers.tolist() == [12, 12, 6, 6, 8, 8, 8, 8, 8, 8]
    np.testing.assert_allclose(inp.cell_ang, MGCO3_CELL, atol=2e-6)
    assert inp.timestep_fs == 1.0 and inp.temperature_k == 600.0
    assert inp.run_type == "nose" and not inp.variable_cell
    # Fractional (0.5274, -0.0274, 0.25) of atom 5 times the cell
    np.testing.assert_allclose(inp.start_positions_ang[4], np.array([0.5274, -0.0274, 0.25]) @ MGCO3_CELL, atol=1e-5)


def test_include_relative_to_including_file_and_default_label():
    path = DATA / "graphene_cg_ani_siesta5" / "md" / "charge_md.fdf"
    fdf = parse_fdf(path)
    assert [p.name for p in fdf.files] == ["charge_md.fdf", "base.fdf"]
    inp = read_siesta_input(path)
    assert inp.label == "siesta"  # no SystemLabel: SIESTA's default
    assert inp.timestep_fs is None  # not set; the run reader applies SIESTA's 1 fs
    np.testing.assert_allclose(inp.cell_ang[2], [0, 0, 14.2])
    np.testing.assert_allclose(inp.start_positions_ang[1], [1.38, 0, 0])


def test_struct_file_gives_cell_and_atoms():
    inp = read_siesta_input(DATA / "siesta4_test_suite_md" / "md_anneal.fdf")
    np.testing.assert_allclose(inp.cell_ang, [[2.715, 2.715, 0], [0, 2.715, 2.715], [2.715, 0, 2.715]])
    np.testing.assert_allclose(inp.start_positions_ang[1], [1.3575, 1.3575, 1.3575])  # 0.25 (a + b + c)
    assert inp.geometry_source.name == "md_anneal.STRUCT_IN"
    assert inp.variable_cell  # Anneal, TemperatureAndPressure


def test_use_save_xv_takes_the_xv_where_the_fdf_has_no_coordinates(tmp_path):
    src = DATA / "MgCO3_md_nose_siesta5"
    text = (src / "md_nose.fdf").read_text()
    start, end = text.index("%block AtomicCoordinatesAndAtomicSpecies"), text.index("%endblock AtomicCoordinatesAndAtomicSpecies")
    write(tmp_path / "md_nose.fdf", text[:start] + text[end + len("%endblock AtomicCoordinatesAndAtomicSpecies") :])
    (tmp_path / "md_nose.XV").write_bytes((src / "md_nose.XV").read_bytes())
    inp = read_siesta_input(tmp_path / "md_nose.fdf")
    assert inp.geometry_source.name == "md_nose.XV"
    assert inp.numbers.tolist() == [12, 12, 6, 6, 8, 8, 8, 8, 8, 8]
    np.testing.assert_allclose(inp.cell_ang[0], [10.729543682 * BOHR_ANG, 0, 0])
    np.testing.assert_allclose(inp.start_positions_ang[0], np.array([0.041818432, -0.078854448, 0.013233227]) * BOHR_ANG)


def test_use_save_xv_keeps_the_fdf_geometry_when_it_has_one():
    # The genuine folder holds the XV SIESTA wrote last (the final geometry); the start is the fdf's.
    inp = read_siesta_input(DATA / "MgCO3_md_nose_siesta5" / "md_nose.fdf")
    assert inp.geometry_source.name == "md_nose.fdf"
    np.testing.assert_allclose(inp.start_positions_ang[1], np.array([0.5, 0.5, 0.5]) @ MGCO3_CELL, atol=1e-5)


@pytest.mark.parametrize(
    "fmt, factor",
    [("Ang", lambda r, c: r), ("NotScaledCartesianAng", lambda r, c: r), ("Bohr", lambda r, c: r * BOHR_ANG),
     ("ScaledCartesian", lambda r, c: r * 2.0), ("Fractional", lambda r, c: r @ c), (None, lambda r, c: r * BOHR_ANG)],
)
def test_coordinate_formats(tmp_path, fmt, factor):
    text = MINIMAL + (f"AtomicCoordinatesFormat {fmt}\n" if fmt else "")
    inp = read_siesta_input(write(tmp_path / "in.fdf", text))
    raw = np.array([[0.5, 0.5, 0.5], [1.0, 1.0, 1.0]])
    np.testing.assert_allclose(inp.start_positions_ang, factor(raw, inp.cell_ang))


@pytest.mark.parametrize("unit, scale", [("Ang", 1.0), ("Bohr", BOHR_ANG), ("nm", 10.0), ("", BOHR_ANG)])
def test_lattice_constant_units(tmp_path, unit, scale):
    text = MINIMAL.replace("LatticeConstant 2.0 Ang", f"LatticeConstant 2.0 {unit}")
    inp = read_siesta_input(write(tmp_path / "in.fdf", text))
    np.testing.assert_allclose(np.diag(inp.cell_ang), np.array([1.0, 1.5, 2.0]) * 2.0 * scale)


def test_lattice_parameters_match_siesta():
    np.testing.assert_allclose(cell_from_parameters(5.67783, 5.67783, 5.67783, 48.179, 48.179, 48.179), MGCO3_CELL, atol=2e-6)


def test_time_step_and_temperature_units_and_spellings(tmp_path):
    text = MINIMAL + "md-length-time-step 0.004 ps\nMD.Target_Temperature 0.05 eV\nmd.typeofrun NoseParrinelloRahman\n"
    inp = read_siesta_input(write(tmp_path / "in.fdf", text))
    assert inp.timestep_fs == pytest.approx(4.0)
    assert inp.temperature_k == pytest.approx(580.2259, rel=1e-5)
    assert inp.variable_cell


def test_first_definition_wins_and_comments(tmp_path):
    text = "MD.LengthTimeStep 2 fs  # the real one\nMD.LengthTimeStep 3 fs\n! a comment\n" + MINIMAL
    assert read_siesta_input(write(tmp_path / "in.fdf", text)).timestep_fs == 2.0


def test_block_from_file_and_label_from_file(tmp_path):
    write(tmp_path / "coords.dat", " 0.0 0.0 0.0 1\n 1.0 0.0 0.0 2\n")
    write(tmp_path / "md.fdf", "MD.LengthTimeStep 0.5 fs\nMD.TypeOfRun Verlet\n")
    text = MINIMAL.split("%block AtomicCoordinatesAndAtomicSpecies")[0]
    text += "%block AtomicCoordinatesAndAtomicSpecies < coords.dat\nAtomicCoordinatesFormat Ang\nMD.LengthTimeStep < md.fdf\n"
    path = write(tmp_path / "in.fdf", text)
    inp = read_siesta_input(path)
    np.testing.assert_allclose(inp.start_positions_ang[1], [1.0, 0, 0])
    assert inp.timestep_fs == 0.5
    assert {p.name for p in parse_fdf(path).files} == {"in.fdf", "coords.dat", "md.fdf"}


def test_ghost_species_kept_with_nonpositive_z(tmp_path):
    text = MINIMAL.replace(" 2 16 S", " 2 -16 S_ghost")
    assert read_siesta_input(write(tmp_path / "in.fdf", text)).numbers.tolist() == [3, -16]


def test_gzip_fdf_and_gzip_include(tmp_path):
    import gzip

    (tmp_path / "base.fdf.gz").write_bytes(gzip.compress(MINIMAL.encode()))
    (tmp_path / "main.fdf.gz").write_bytes(gzip.compress(b"%include base.fdf\nMD.LengthTimeStep 3 fs\n"))
    inp = read_siesta_input(tmp_path / "main.fdf.gz")
    assert inp.timestep_fs == 3.0 and inp.numbers.tolist() == [3, 16]


def test_block_without_end_names_its_line(tmp_path):
    text = MINIMAL.replace("%endblock AtomicCoordinatesAndAtomicSpecies\n", "")
    with pytest.raises(InputError, match=r"in.fdf, line 12: %block AtomicCoordinatesAndAtomicSpecies has no %endblock"):
        read_siesta_input(write(tmp_path / "in.fdf", text))


def test_include_cycle_is_refused(tmp_path):
    write(tmp_path / "a.fdf", "%include b.fdf\n")
    write(tmp_path / "b.fdf", "%include a.fdf\n")
    with pytest.raises(InputError, match="included from itself"):
        parse_fdf(tmp_path / "a.fdf")
