"""Conditions: runs grouped by temperature, each group one model and one analysis."""

import shutil

import pytest

from mdgan.io import run_temperature_k
from mdgan.workflow.conditions import Condition, group_by_temperature

TINY = "tests/data/tiny"


def test_one_temperature_is_one_condition_of_every_run():
    assert group_by_temperature({"a": 600.0, "b": 600.4, "c": None}) == [Condition("600K", 600.2, ("a", "b", "c"))]
    assert group_by_temperature({"a": None, "b": None}) == [Condition("all", None, ("a", "b"))]


def test_temperatures_within_the_tolerance_share_a_condition_coolest_first():
    groups = group_by_temperature({"hot": 1000.0, "cold": 500.0, "cold2": 500.9, "warm": 750.0, "hot2": 999.5})
    assert [(c.name, c.runs) for c in groups] == [
        ("500K", ("cold", "cold2")), ("750K", ("warm",)), ("1000K", ("hot", "hot2"))
    ]
    assert groups[0].temperature_k == pytest.approx(500.45)
    # the tolerance is measured from a group's coolest run: no chain of small steps merges far temperatures
    chain = group_by_temperature({"a": 600.0, "b": 600.8, "c": 601.6, "d": 602.4})
    assert [c.runs for c in chain] == [("a", "b"), ("c", "d")]
    assert [c.runs for c in group_by_temperature({"a": 600.0, "b": 610.0}, tolerance_k=20)] == [("a", "b")]


def test_a_run_without_temperature_among_several_is_refused_by_name():
    with pytest.raises(ValueError, match=r"\['x'\] have no temperature.*600 K, 900 K.*temperature_k"):
        group_by_temperature({"a": 600.0, "x": None, "b": 900.0})


def test_run_temperature_is_the_files_else_the_configs(tmp_path):
    assert run_temperature_k(f"{TINY}/run1/lgps.fdf") == 600.0
    assert run_temperature_k(f"{TINY}/run1/lgps.fdf", temperature_k=900) == 600.0  # the fdf wins, as in read_run
    run = shutil.copytree(f"{TINY}/run1", tmp_path / "run1")
    fdf = run / "lgps.fdf"
    fdf.write_text("".join(l for l in fdf.read_text().splitlines(True) if "Temperature" not in l))
    assert run_temperature_k(fdf) is None and run_temperature_k(fdf, temperature_k=900) == 900.0

    import ase.io
    from ase.build import bulk

    atoms = bulk("Li", cubic=True)
    atoms.info["temperature_k"] = 450.0
    ase.io.write(tmp_path / "a.extxyz", [atoms, atoms], format="extxyz")
    assert run_temperature_k(tmp_path / "a.extxyz", "extxyz") == 450.0
    del atoms.info["temperature_k"]
    ase.io.write(tmp_path / "b.extxyz", [atoms], format="extxyz")
    assert run_temperature_k(tmp_path / "b.extxyz", "extxyz", 300) == 300.0
