"""Collective drift of a generated ensemble: its removal and the check that none is left.

With the framework's drift removed, the true mean Li increment is zero. A generator's stationary mean
increment is a bias of a few hundredths of a standard deviation that the critic cannot see within a
window, but over thousands of records and ions it becomes a coherent drift shared by every ion. Each
checkpoint's mean increment is measured on all the ions it generated and removed; the ensemble then
has no drift by construction over its whole length, and the check at intermediate times tests that
the bias was stationary (a Brownian bridge: what is left there is sampling noise).
"""

from __future__ import annotations

import numpy as np

from mdgan.model.symmetry import generator_frame

DRIFT_CHECK_FRACTIONS = (0.25, 0.5, 1.0)


def remove_mean_increment(
    positions: np.ndarray,
    shares: list[tuple[int, int]],
    chunk_ions: int,
    chunk_records: int,
    maps: np.ndarray | None = None,
) -> list[list[float]]:
    """Subtract from every ion of each share [first, stop) of ``positions`` (ions, records, 3), in
    place, the share's mean increment times the record index. Returns each share's mean increment,
    A per record. Memory: one chunk of ions x records.

    maps: (ions, 3, 3) how each ion's axes are shown (:mod:`mdgan.model.symmetry`); the mean is then
    taken in the generator's own axes and each ion loses it in the axes it is shown in."""
    n_records = positions.shape[1]
    removed = []
    for first, stop in shares:
        span = positions[first:stop, -1].astype(np.float64) - positions[first:stop, 0]
        if maps is not None:
            span = generator_frame(span, maps[first:stop])
        mean_step = span.mean(axis=0) / max(n_records - 1, 1)
        removed.append(mean_step.tolist())
        for i0 in range(first, stop, chunk_ions):
            i1 = min(i0 + chunk_ions, stop)
            step = mean_step[None] if maps is None else maps[i0:i1] @ mean_step  # (ions or 1, 3)
            for r0 in range(1, n_records, chunk_records):
                r1 = min(r0 + chunk_records, n_records)
                ramp = np.arange(r0, r1, dtype=np.float64)[None, :, None] * step[:, None]
                positions[i0:i1, r0:r1] = positions[i0:i1, r0:r1] - ramp
    return removed


def ensemble_drift(positions: np.ndarray, fractions=DRIFT_CHECK_FRACTIONS) -> list[dict]:
    """Mean displacement from the start over the ions, per component, with its standard error over
    the (independent) ions, at each fraction of the series.

    positions: (ions, records, 3) A. Returns dicts ``fraction, record, mean_ang (3,), se_ang (3,),
    z_score (3,)`` (mean / se)."""
    n_ions, n_records = positions.shape[:2]
    rows = []
    for fraction in fractions:
        record = int(round(fraction * (n_records - 1)))
        d = positions[:, record].astype(np.float64) - positions[:, 0]
        mean = d.mean(axis=0)
        se = d.std(axis=0, ddof=1) / np.sqrt(n_ions) if n_ions > 1 else np.full(3, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(se > 0, mean / se, 0.0)
        rows.append({"fraction": fraction, "record": record, "mean_ang": mean.tolist(), "se_ang": se.tolist(),
                     "z_score": z.tolist()})
    return rows
