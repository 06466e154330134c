#!/usr/bin/env python3
"""The spread of the held-out anisotropic results over training seeds: the replicate models of one or
more validation runs.

Each validation run of the anisotropic case (as bench_fidelity.py --out makes them) trains
``training.replicas`` generators (seed + replica); several runs (e.g. the same overlay with another
training.seed) add more. This prints, for every replica of every run, its seed, the selected checkpoint,
its selection-part score (``replicas.csv``) and its held-out D_z, in-plane D and D_z / D_in-plane over the
exact ones, then their mean over all replicas with the standard deviation and the standard error of the
mean (replicas independent: separate seeds):

    python benchmarks/seed_spread.py benchmarks/out/seed0/anisotropic benchmarks/out/seed1/anisotropic ...
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from mdgan.validation.replicas import SELECTION_SCORE, table_replicas  # noqa: E402
from mdgan.validation.targets import anisotropic_d, anisotropic_reference  # noqa: E402


def replica_rows(work: Path) -> list[dict]:
    """Every replica of one validation run: seed, selected checkpoints, selection score, D over the
    reference."""
    results = work / "results" / "validation"
    table = pd.read_csv(results / "replicas.csv")
    reference, _ = anisotropic_reference(table)
    config = yaml.safe_load((work / "config.yaml").read_text())
    training = {**config.get("training", {}), **config.get("validation", {}).get("training", {})}
    score = table.set_index("quantity").loc[SELECTION_SCORE]
    rows = []
    for r, name in enumerate(table_replicas(table)):
        d = anisotropic_d(table, name)
        scores = pd.read_csv(results / "model" / name / "checkpoint_scores.csv")
        rows.append({
            "run": str(work),
            "seed": training.get("seed", 0) + r,
            "checkpoints": " ".join(str(i) for i in scores.loc[scores["selected"], "iteration"]),
            "selection": float(score[name]),
            "D_z": d["normal"] / reference["normal"],
            "D_inplane": d["inplane"] / reference["inplane"],
            "ratio": d["ratio"] / reference["ratio"],
        })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workdirs", nargs="+", type=Path, help="validation working directories (anisotropic case)")
    args = parser.parse_args()
    rows = pd.DataFrame([row for w in args.workdirs for row in replica_rows(w)])
    print(rows.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    values = rows[["selection", "D_z", "D_inplane", "ratio"]]
    n = len(rows)
    if n > 1:
        sd = values.std(ddof=1)
        print(f"\nover {n} replicas (D columns: MD-GAN / exact)")
        summary = pd.DataFrame({"mean": values.mean(), "sd": sd, "sem": sd / np.sqrt(n)})
        print(summary.to_string(float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
