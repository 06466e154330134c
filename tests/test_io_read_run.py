"""read_run / input_files: the SIESTA fdf path and the ASE ``format:`` path."""

from pathlib import Path

import numpy as np
import pytest

from mdgan.errors import InputError
from mdgan.io import input_files, read_run
from mdgan.trajectory import write_ase_trajectory

DATA = Path(__file__).parent / "data" / "siesta"
ANI_RUN = DATA / "derived" / "md_nose_ani"
MGCO3 = DATA / "MgCO3_md_nose_siesta5"


def md_car_cartesian(path: Path, n_atoms: int = 10) -> np.ndarray:
    """Reference positions straight from the genuine MD_CAR text (fractional x cell)."""
    lines = path.read_text().splitlines()
    size = 7 + n_atoms
    out = []
    for s in range(0, len(lines), size):
        cell = np.array([r.split() for r in lines[s + 2 : s + 5]], float)
        frac = np.array([r.split() for r in lines[s + 7 : s + size]], float)
        out.append(frac @ cell)
    return np.array(out)


@pytest.mark.parametrize("fdf", ["converter_shape.fdf", "md_nose.fdf"])
def test_siesta_ani_run_with_fdf_cell(fdf):
    traj = read_run(ANI_RUN / fdf)
    assert traj.positions_ang.shape == (5, 10, 3)
    assert traj.numbers.tolist() == [12, 12, 6, 6, 8, 8, 8, 8, 8, 8]
    np.testing.assert_allclose(traj.positions_ang, md_car_cartesian(MGCO3 / "md_nose.MD_CAR"), atol=6e-7)
    np.testing.assert_allclose(traj.cells_ang, np.broadcast_to(traj.cells_ang[0], (5, 3, 3)))
    np.testing.assert_allclose(traj.cells_ang[0, 1], [3.786009162, 4.231298635, 0.0], atol=2e-6)
    # frame i is ANI record i+1 at (i+1) * dt; the fdf start geometry is not a frame
    np.testing.assert_allclose(traj.time_ps, [0.001, 0.002, 0.003, 0.004, 0.005])
    assert traj.frame_dt_fs == 1.0 and traj.temperature_k == 600.0
    assert traj.source.endswith("md_nose.ANI") and traj.restarts == ()


def test_fdf_values_win_over_arguments_with_a_warning():
    with pytest.warns(UserWarning, match="timestep_fs argument 20.0 is ignored"):
        traj = read_run(ANI_RUN / "converter_shape.fdf", "siesta", timestep_fs=20.0, temperature_k=600)
    assert traj.frame_dt_fs == 1.0


def test_arguments_fill_what_the_fdf_lacks():
    with pytest.warns(UserWarning, match="RUN.out has 0 MD steps"):  # a CG relaxation, not MD
        traj = read_run(DATA / "graphene_cg_ani_siesta5" / "md" / "charge_md.fdf", temperature_k=300.0)
    assert traj.frame_dt_fs == 1.0  # SIESTA's default MD.LengthTimeStep
    assert traj.temperature_k == 300.0 and traj.n_frames == 4


def test_input_files_lists_fdf_includes_and_trajectory():
    files = input_files(DATA / "graphene_cg_ani_siesta5" / "md" / "charge_md.fdf")
    names = [f.name for f in files]
    assert names[:2] == ["charge_md.fdf", "base.fdf"] and "siesta.ANI" in names
    assert all(f.is_file() for f in files)


def test_ase_format_roundtrip_through_our_traj(tmp_path):
    traj = read_run(ANI_RUN / "converter_shape.fdf")
    write_ase_trajectory(traj, tmp_path / "t.traj")
    again = read_run(tmp_path / "t.traj", format="traj")
    np.testing.assert_allclose(again.positions_ang, traj.positions_ang)
    np.testing.assert_allclose(again.time_ps, traj.time_ps)
    assert again.frame_dt_fs == 1.0 and again.temperature_k == 600.0
    assert input_files(tmp_path / "t.traj", "traj") == [tmp_path / "t.traj"]


def test_ase_extxyz_takes_timestep_from_argument(tmp_path):
    from ase import Atoms
    from ase.io import write

    frames = [Atoms("Li2", positions=[[0, 0, 0], [1 + i, 0, 0]], cell=np.eye(3) * 5, pbc=True) for i in range(3)]
    write(tmp_path / "run.extxyz", frames, format="extxyz")
    with pytest.raises(InputError, match="timestep_fs"):
        read_run(tmp_path / "run.extxyz", format="extxyz")
    traj = read_run(tmp_path / "run.extxyz", format="extxyz", timestep_fs=2.0, temperature_k=500)
    assert traj.n_frames == 3 and traj.frame_dt_fs == 2.0 and traj.temperature_k == 500.0
    np.testing.assert_allclose(traj.time_ps, [0.0, 0.002, 0.004])
    np.testing.assert_allclose(traj.positions_ang[2, 1], [3, 0, 0])


def test_ase_vasp_xdatcar_gz(tmp_path):
    import gzip

    from ase import Atoms
    from ase.io import write

    frames = [Atoms("LiS", scaled_positions=[[0.1 * i, 0, 0], [0.5, 0.5, 0.5]], cell=np.eye(3) * 4, pbc=True) for i in range(4)]
    write(tmp_path / "XDATCAR", frames, format="vasp-xdatcar")
    (tmp_path / "XDATCAR.gz").write_bytes(gzip.compress((tmp_path / "XDATCAR").read_bytes()))
    traj = read_run(tmp_path / "XDATCAR.gz", format="vasp-xdatcar", timestep_fs=20.0)
    assert traj.n_frames == 4 and traj.numbers.tolist() == [3, 16]
    np.testing.assert_allclose(traj.positions_ang[3, 0], [1.2, 0, 0])
