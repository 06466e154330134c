"""Each replicate model's held-out D beside the ensemble's: the spread over training seeds.

The validation trains ``training.replicas`` generators (seed + replica), each with its own checkpoints
chosen on the selection part, and generates an equal share of the ions from each. The comparison
table's MD-GAN D then carries a jackknife error over the replicas; this table lists, for the same D
rows (``mdgan.validation.comparison.d_rows``, cm^2/s), every replica's own D over its ions
(``replica<r>``, error over its ions) and ratio to the reference, the mean and the standard deviation
(ddof 1) of the replicas' ratios, and a ``selection_score`` row: each replica's score on the selection
part (``mdgan.validation.ranking.selection_score``), so that a reader sees whether the score that
chose the checkpoints also ranks the replicas' held-out D.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from mdgan.validation.comparison import SourceStats, d_rows

SELECTION_SCORE = "selection_score"  # the table's quantity of each replica's selection-part score


def replica_name(replica: int) -> str:
    return f"replica{replica}"


def table_replicas(table: pd.DataFrame) -> list[str]:
    """The replica columns of a replica table (``replica0``, ``replica1``, ...), in order."""
    names = [c for c in table.columns if c.startswith("replica") and c[len("replica"):].isdigit()]
    return sorted(names, key=lambda c: int(c[len("replica"):]))


def replica_table(
    heldout: SourceStats,
    mdgan: SourceStats,
    selection_scores: Sequence[float],
    truth_D_cm2_s: float | None = None,
    truth_D_axes_cm2_s: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """D rows of the ensemble (``mdgan``, error over replicas) and of each replica of
    ``mdgan.replica_fits`` (``replica<r>``, ``_err``, ``_ratio``, ``_ratio_err``), with
    ``replica_ratio_mean`` and ``replica_ratio_sd`` over the replicas; then the ``selection_score``
    row (one score per replica, in ``replica<r>``)."""
    if len(selection_scores) != len(mdgan.replica_fits):
        raise ValueError(f"{len(selection_scores)} selection scores for {len(mdgan.replica_fits)} replicas")
    fits = {"mdgan": (mdgan.fit, mdgan.axis_fits)}
    fits |= {replica_name(r): (f[0], tuple(f[1:])) for r, f in enumerate(mdgan.replica_fits)}
    table = pd.DataFrame(d_rows(heldout, fits, truth_D_cm2_s, truth_D_axes_cm2_s))
    names = [replica_name(r) for r in range(len(mdgan.replica_fits))]
    ratios = table[[f"{n}_ratio" for n in names]].to_numpy()
    with np.errstate(invalid="ignore"):
        table["replica_ratio_mean"] = ratios.mean(axis=1)
        table["replica_ratio_sd"] = ratios.std(axis=1, ddof=1) if len(names) > 1 else np.nan
    score = {"quantity": SELECTION_SCORE, "region": "selection part"} | dict(zip(names, map(float, selection_scores)))
    return pd.concat([table, pd.DataFrame([score])], ignore_index=True)
