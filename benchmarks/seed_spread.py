#!/usr/bin/env python3
"""The spread of the held-out anisotropic results over training seeds (or any set of validation runs).

The held-out protocol trains one generator; another seed gives another generator. This prints, for each
validation run of the anisotropic case (as bench_fidelity.py --out makes them, e.g. the same overlay
with training.seed 0, 1, 2), its seed, the selection-run score of the chosen checkpoint and its
held-out D_z, in-plane D and D_z / D_in-plane over the exact ones, then their mean over the runs with
the standard deviation and the standard error of the mean (runs independent: separate seeds):

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

from mdgan.validation.selection import SCORED_BY  # noqa: E402
from mdgan.validation.targets import anisotropic_d, anisotropic_reference  # noqa: E402


def run_row(work: Path) -> dict:
    """One validation run: seed, selected checkpoint, its selection score (the sum its config's
    checkpoint_selection method ranks by), D over the reference."""
    results = work / "results" / "validation"
    table = pd.read_csv(results / "comparison.csv")
    reference, _ = anisotropic_reference(table)
    mdgan = anisotropic_d(table, "mdgan")
    scores = pd.read_csv(results / "checkpoint_scores.csv")
    chosen = scores[scores["selected"]].iloc[0]
    config = yaml.safe_load((work / "config.yaml").read_text())
    method = config["validation"]["checkpoint_selection"]["method"]
    return {
        "run": str(work),
        "seed": config["training"].get("seed", 0),
        "checkpoint": int(chosen["iteration"]),
        "selection": float(chosen[SCORED_BY[method]].sum()),
        "D_z": mdgan["normal"] / reference["normal"],
        "D_inplane": mdgan["inplane"] / reference["inplane"],
        "ratio": mdgan["ratio"] / reference["ratio"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workdirs", nargs="+", type=Path, help="validation working directories (anisotropic case)")
    args = parser.parse_args()
    rows = pd.DataFrame([run_row(w) for w in args.workdirs])
    print(rows.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    values = rows[["selection", "D_z", "D_inplane", "ratio"]]
    n = len(rows)
    if n > 1:
        sd = values.std(ddof=1)
        print(f"\nover {n} runs (D columns: MD-GAN / exact)")
        summary = pd.DataFrame({"mean": values.mean(), "sd": sd, "sem": sd / np.sqrt(n)})
        print(summary.to_string(float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
