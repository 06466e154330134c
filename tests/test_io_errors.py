"""Bad input (issue 3): each case is refused with an InputError naming the file, the line or
frame, and what was expected. The reader raises before anything is written, so the parse job
leaves no output behind (outputs are written atomically after a successful read)."""

import shutil
from pathlib import Path

import pytest

from mdgan.errors import InputError
from mdgan.extract import extract_species
from mdgan.io import input_files, read_run
from mdgan.dataset import build_dataset

DATA = Path(__file__).parent / "data" / "siesta"
ANI_RUN = DATA / "derived" / "md_nose_ani"
MGCO3 = DATA / "MgCO3_md_nose_siesta5"
FDF = (ANI_RUN / "converter_shape.fdf").read_text()


def run_dir(tmp_path: Path, fdf_text: str = FDF, ani: bytes | None = None) -> Path:
    """A copy of the derived ANI run with the fdf (and ANI) replaced."""
    (tmp_path / "md_nose.fdf").write_text(fdf_text)
    (tmp_path / "md_nose.ANI").write_bytes((ANI_RUN / "md_nose.ANI").read_bytes() if ani is None else ani)
    return tmp_path / "md_nose.fdf"


def without_block(text: str, name: str) -> str:
    start = text.index(f"%block {name}")
    end = text.index(f"%endblock {name}") + len(f"%endblock {name}")
    return text[:start] + text[end:]


def test_missing_fdf(tmp_path):
    with pytest.raises(InputError, match=r"nothere.fdf: no such file; expected a SIESTA .fdf"):
        read_run(tmp_path / "nothere.fdf")
    with pytest.raises(InputError, match="no such file"):
        input_files(tmp_path / "nothere.fdf")


def test_empty_fdf(tmp_path):
    (tmp_path / "run.fdf").write_text("\n  \n")
    with pytest.raises(InputError, match=r"run.fdf: file is empty; expected an fdf input file"):
        read_run(tmp_path / "run.fdf")


def test_empty_trajectory(tmp_path):
    with pytest.raises(InputError, match=r"md_nose.ANI: file is empty; expected an xyz trajectory"):
        read_run(run_dir(tmp_path, ani=b""))


def test_missing_trajectory(tmp_path):
    path = run_dir(tmp_path)
    (tmp_path / "md_nose.ANI").unlink()
    with pytest.raises(InputError, match=r"md_nose.fdf: no trajectory for SystemLabel 'md_nose'.*md_nose.ANI"):
        read_run(path)


def test_missing_include(tmp_path):
    with pytest.raises(InputError, match=r"md_nose.fdf, line 1: file 'common.fdf' referenced here does not exist"):
        read_run(run_dir(tmp_path, "%include common.fdf\n" + FDF))


def test_fdf_without_species(tmp_path):
    with pytest.raises(InputError, match=r"md_nose.fdf: no %block ChemicalSpeciesLabel"):
        read_run(run_dir(tmp_path, without_block(FDF, "ChemicalSpeciesLabel")))


def test_fdf_without_lattice(tmp_path):
    text = without_block(FDF, "LatticeVectors").replace("LatticeConstant 1.0 Ang\n", "")
    with pytest.raises(InputError, match=r"md_nose.fdf: no lattice: expected LatticeConstant with %block LatticeVectors"):
        read_run(run_dir(tmp_path, text))


def test_lattice_block_without_lattice_constant(tmp_path):
    with pytest.raises(InputError, match=r"md_nose.fdf, line 10: the lattice block needs LatticeConstant"):
        read_run(run_dir(tmp_path, FDF.replace("LatticeConstant 1.0 Ang\n", "")))


def test_fdf_atom_count_disagrees_with_its_coordinates(tmp_path):
    with pytest.raises(InputError, match=r"md_nose.fdf, line 3: NumberOfAtoms is 12 but .*line 17 holds 10 atoms"):
        read_run(run_dir(tmp_path, FDF.replace("NumberOfAtoms 10", "NumberOfAtoms 12")))


def test_trajectory_atom_count_disagrees_with_fdf(tmp_path):
    ani = (ANI_RUN / "md_nose.ANI").read_text().replace("   10\n", "    9\n")
    lines = [line for i, line in enumerate(ani.splitlines(keepends=True)) if i % 12 != 11]  # drop the last atom
    with pytest.raises(InputError, match=r"md_nose.ANI, line 1: the record holds 9 atoms, but the run's input has 10"):
        read_run(run_dir(tmp_path, ani="".join(lines).encode()))


def test_md_car_atom_count_disagrees_with_fdf(tmp_path):
    shutil.copyfile(MGCO3 / "md_nose.MD_CAR", tmp_path / "md_nose.MD_CAR")
    text = FDF.replace("NumberOfAtoms 10", "NumberOfAtoms 11").replace(
        "%endblock AtomicCoordinatesAndAtomicSpecies", "  0.0 0.0 1.0 3\n%endblock AtomicCoordinatesAndAtomicSpecies"
    )
    with pytest.raises(InputError, match=r"md_nose.MD_CAR, line 6: the species counts add up to 10 atoms, but the run's input has 11"):
        read_run(run_dir(tmp_path, text))


def test_out_atom_count_disagrees_with_fdf(tmp_path):
    text = (MGCO3 / "RUN.out").read_text()
    first = text.index("outcoor: Atomic coordinates", text.index("Begin MD step =      2"))
    row = text.index("\n", first) + 1
    text = text[:row] + text[text.index("\n", row) + 1 :]  # step 2 lists 9 atoms
    (tmp_path / "RUN.out").write_text(text)
    shutil.copyfile(MGCO3 / "md_nose.fdf", tmp_path / "md_nose.fdf")
    with pytest.raises(InputError, match=r"RUN.out, line 766: the outcoor block of MD step 2 lists 9 atoms; the run's input has 10"):
        read_run(tmp_path / "md_nose.fdf")


def test_trajectory_of_another_input(tmp_path):
    text = FDF.replace("  1 12 Mg", "  1 3 Li")
    with pytest.raises(InputError, match=r"md_nose.ANI: atom 1 of the first record is 'Mg', but .* species 'Li' \(Z=3\)"):
        read_run(run_dir(tmp_path, text))


def test_nan_in_trajectory_names_file_line_and_record(tmp_path):
    lines = (ANI_RUN / "md_nose.ANI").read_text().splitlines(keepends=True)
    lines[12 + 2 + 3] = "O          nan    0.309684    0.962283\n"
    with pytest.raises(InputError, match=r"md_nose.ANI, line 18 \(record 1, atom 4\): expected a symbol and 3 finite numbers"):
        read_run(run_dir(tmp_path, ani="".join(lines).encode()))


def test_unparsable_number_in_fdf_names_file_and_line(tmp_path):
    text = FDF.replace("  3.786009162 4.231298635 0.000000000", "  3.786009162 4.2312O8635 0.000000000")
    with pytest.raises(InputError, match=r"md_nose.fdf, line 13: expected a lattice vector \(3 numbers\), found '3.786009162 4.2312O8635"):
        read_run(run_dir(tmp_path, text))


def test_nan_in_fdf_coordinates(tmp_path):
    text = FDF.replace("  0.000000000 0.000000000 0.000000000 1", "  NaN 0.0 0.0 1")
    with pytest.raises(InputError, match=r"md_nose.fdf, line 18: expected 3 coordinates, found a non-finite number"):
        read_run(run_dir(tmp_path, text))


def test_unparsable_number_in_md_car(tmp_path):
    lines = (MGCO3 / "md_nose.MD_CAR").read_text().splitlines(keepends=True)
    lines[17 + 9] = "     0.499545085     0.5OO435285     0.499849215\n"
    (tmp_path / "md_nose.MD_CAR").write_text("".join(lines))
    shutil.copyfile(MGCO3 / "md_nose.fdf", tmp_path / "md_nose.fdf")
    with pytest.raises(InputError, match=r"md_nose.MD_CAR, line 27 \(record 1, atom 3\): expected 3 fractional coordinates"):
        read_run(tmp_path / "md_nose.fdf")


def test_nan_in_out_coordinates(tmp_path):
    text = (MGCO3 / "RUN.out").read_text().replace("    0.25000000    0.25000000    0.25000000   2", "    0.25000000    NaN    0.25000000   2", 1)
    (tmp_path / "RUN.out").write_text(text)
    shutil.copyfile(MGCO3 / "md_nose.fdf", tmp_path / "md_nose.fdf")
    with pytest.raises(InputError, match=r"RUN.out, outcoor of MD step 1, atom 3: expected x y z species index label"):
        read_run(tmp_path / "md_nose.fdf")


def test_unknown_unit(tmp_path):
    with pytest.raises(InputError, match=r"md_nose.fdf, line 30: unknown unit 'fortnights' for MD.LengthTimeStep"):
        read_run(run_dir(tmp_path, FDF.replace("MD.LengthTimeStep 1.0 fs", "MD.LengthTimeStep 1.0 fortnights")))


def test_unknown_ase_format(tmp_path):
    (tmp_path / "run.xyz").write_text("1\n\nLi 0 0 0\n")
    with pytest.raises(InputError, match=r"run.xyz: format 'xyzz' is not a format ASE reads"):
        read_run(tmp_path / "run.xyz", format="xyzz")
    with pytest.raises(InputError, match="is not a format ASE reads"):
        input_files(tmp_path / "run.xyz", format="xyzz")


def test_empty_ase_file(tmp_path):
    (tmp_path / "run.extxyz").write_text("")
    with pytest.raises(InputError, match=r"run.extxyz: file is empty; expected a trajectory in ASE format 'extxyz'"):
        read_run(tmp_path / "run.extxyz", format="extxyz", timestep_fs=1.0)


def test_file_ase_cannot_read(tmp_path):
    (tmp_path / "run.xyz").write_text("this is not xyz\n")
    with pytest.raises(InputError, match=r"run.xyz: ASE could not read it as 'extxyz'"):
        read_run(tmp_path / "run.xyz", format="extxyz", timestep_fs=1.0)


def test_no_atom_of_the_selected_species(tmp_path):
    traj = read_run(ANI_RUN / "converter_shape.fdf")
    with pytest.raises(InputError, match=r"md_nose.ANI: no atom of species Li \(Z=3\); the run has atomic numbers \[6, 8, 12\]"):
        extract_species(traj, "Li")


def test_fewer_frames_than_one_window():
    tracks = extract_species(read_run(ANI_RUN / "converter_shape.fdf"), "O")
    with pytest.raises(InputError, match=r"run short \(.*md_nose.ANI\): 5 frames give 4 increments at step_skip 1; one window needs 128"):
        build_dataset({"short": tracks}, step_skip=1, window_records=128)
