"""Checkpoint choice on the selection part only: each saved generator checkpoint makes a short batch,
scored by its MSD mismatch with the selection MD over log-spaced lags (never by the critic loss),
isotropic and along each Cartesian axis (a preferred axis, or a wrong ratio of the axes' D, that the
isotropic MSD does not see). Beside it, the RMS and largest alpha2 difference from the selection MD at
the same lags (the selection part's measure of the displacement distribution's shape) and the same for
the axis correlation (do ions move along diagonals?). How the methods rank these scores:
``mdgan.validation.ranking``."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from mdgan.analysis.displacements import DisplacementStats, displacement_stats
from mdgan.analysis.msd import MSDCurve, MSDSamples, msd_curve, msd_samples
from mdgan.atomic_io import atomic_write
from mdgan.errors import InputError


def msd_mismatch(md: MSDCurve, generated: MSDCurve) -> dict:
    """RMS and largest |ln(generated / MD)| over the lags (each decade weighs the same on a log grid),
    the ratio at the longest lag and, where both curves hold per-axis MSDs, the RMS and largest
    |ln(generated / MD)| along the axes, over lags and axes."""
    log_ratio = np.log(generated.msd_ang2 / md.msd_ang2)
    out = {
        "rms_log_msd_ratio": float(np.sqrt(np.mean(log_ratio**2))),
        "max_abs_log_msd_ratio": float(np.max(np.abs(log_ratio))),
        "msd_ratio_longest_lag": float(np.exp(log_ratio[-1])),
    }
    if md.msd_axes_ang2 is not None and generated.msd_axes_ang2 is not None:
        axes_log_ratio = np.log(generated.msd_axes_ang2 / md.msd_axes_ang2)  # (lags, 3)
        out["rms_log_msd_per_axis_ratio"] = float(np.sqrt(np.mean(axes_log_ratio**2)))
        out["max_abs_log_msd_per_axis_ratio"] = float(np.max(np.abs(axes_log_ratio)))
    return out


def shape_mismatch(md: DisplacementStats, generated: DisplacementStats) -> dict:
    """RMS and largest difference over the lags of alpha2 and of the axis correlation (both
    dimensionless), generated minus MD."""
    out = {}
    for name, md_values, values in [
        ("alpha2", md.alpha2(), generated.alpha2()),
        ("axis_correlation", md.axis_correlation(), generated.axis_correlation()),
    ]:
        diff = values - md_values
        out[f"rms_{name}_diff"] = float(np.sqrt(np.mean(diff**2)))
        out[f"max_abs_{name}_diff"] = float(np.max(np.abs(diff)))
    return out


def checkpoint_scores(
    generators: list,
    standardization: dict,
    starts_ang: np.ndarray,
    settings,
    selection_msd: MSDSamples,
    device,
    selection_displacements: DisplacementStats | None = None,
) -> pd.DataFrame:
    """One row per checkpoint (iteration, mismatch columns) from ``settings.n_ions`` generated ions of
    ``settings.n_steps`` frames each, compared at the selection MSD's lags (in records); with
    ``selection_displacements`` (the selection MD's moments at those lags) also the columns of
    :func:`shape_mismatch`."""
    from mdgan.model.generation import generate_positions

    dt_ps = float(standardization["record_dt_ps"])
    lags = np.round(selection_msd.lag_ps / dt_ps).astype(np.int64)
    md = msd_curve(selection_msd)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "positions.npy"
        for iteration, generator in generators:
            one = replace(settings, checkpoints=1)
            n_records, _ = generate_positions([generator], standardization, starts_ang, one, path, device, progress=False)
            if lags.max() >= n_records:
                raise InputError(f"{n_records} generated records are too few for the selection lag {lags.max()}")
            positions = np.load(path, mmap_mode="r")
            curve = msd_curve(msd_samples(positions, lags, dt_ps))
            row = {"iteration": iteration, **msd_mismatch(md, curve)}
            if selection_displacements is not None:
                generated = displacement_stats(positions, lags, np.empty(0, np.int64), dt_ps)
                row.update(shape_mismatch(selection_displacements, generated))
            del positions
            rows.append(row)
    return pd.DataFrame(rows)


def write_selected(generator_path: str | Path, iterations: list[int], out_path: str | Path) -> None:
    """A generator file holding only the chosen checkpoints (same format as ``model/generator.pt``)."""
    import torch

    saved = torch.load(generator_path, map_location="cpu", weights_only=True)
    index = {int(it): i for i, it in enumerate(saved["checkpoint_iterations"])}
    missing = [it for it in iterations if it not in index]
    if missing:
        raise InputError(f"{generator_path}: no checkpoint at iterations {missing} (has {sorted(index)})")
    saved["checkpoint_iterations"] = [int(it) for it in iterations]
    saved["checkpoints"] = [saved["checkpoints"][index[it]] for it in iterations]
    with atomic_write(out_path) as tmp:
        torch.save(saved, tmp)
