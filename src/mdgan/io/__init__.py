"""Readers: a SIESTA run (``.fdf`` and the files beside it) or any file ASE reads.

The workflow calls :func:`read_run` (the parsed run) and :func:`input_files` (what it reads,
for Snakemake's DAG). docs/readers.md says what is read from which file.
"""

from __future__ import annotations

from pathlib import Path

from mdgan.errors import InputError
from mdgan.io.ase_formats import check_format, read_ase
from mdgan.io.files import existing
from mdgan.io.siesta_input import fdf_temperature_k
from mdgan.io.siesta_run import locate, read_siesta_run, siesta_input_files
from mdgan.trajectory import Trajectory

SIESTA = "siesta"

__all__ = ["read_run", "input_files", "run_temperature_k"]


def read_run(
    path: str | Path, format: str | None = None, timestep_fs: float | None = None, temperature_k: float | None = None
) -> Trajectory:
    """Every frame of one MD run.

    path: a SIESTA ``.fdf`` (``format`` None or "siesta") or a file ASE reads with ``format``.
    timestep_fs, temperature_k: used where the files do not say (the fdf's values win).
    """
    if _is_siesta(path, format):
        return read_siesta_run(_existing(path), timestep_fs, temperature_k)
    return read_ase(path, format, timestep_fs, temperature_k)


def input_files(path: str | Path, format: str | None = None) -> list[Path]:
    """Every file :func:`read_run` would open for this run (cheap: parses the fdf only)."""
    if _is_siesta(path, format):
        return siesta_input_files(_existing(path))
    check_format(path, format)
    found = existing(path)
    return [found if found is not None else Path(path)]


def run_temperature_k(
    path: str | Path, format: str | None = None, temperature_k: float | None = None
) -> float | None:
    """The run's temperature, K, as :func:`read_run` will find it, without reading the frames or the
    geometry: the fdf's (SIESTA) or the first frame's ``info`` (ASE), else ``temperature_k``; None where
    neither says."""
    if _is_siesta(path, format):
        in_file = fdf_temperature_k(locate(_existing(path)).fdf)
    else:
        import ase.io

        check_format(path, format)
        found = existing(path)
        if found is None:
            raise InputError(f"{path}: no such file; expected a trajectory in ASE format {format!r}")
        try:
            in_file = ase.io.read(str(found), index=0, format=format).info.get("temperature_k")
        except Exception as err:  # ASE raises many types for malformed input
            raise InputError(f"{found}: ASE could not read it as {format!r}: {err}") from err
    if in_file is not None:
        return float(in_file)
    return None if temperature_k is None else float(temperature_k)


def _is_siesta(path: str | Path, format: str | None) -> bool:
    return format is None or format.lower() == SIESTA


def _existing(path: str | Path) -> Path:
    found = existing(path)
    if found is None:
        raise InputError(f"{path}: no such file; expected a SIESTA .fdf (or a .out that echoes its input)")
    return found
