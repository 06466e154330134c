#!/usr/bin/env python3
"""Fidelity targets of the held-out validation (issue 7), printed as a table.

Cases (each in its own working directory under --out, with a full config of absolute paths):
  synthetic  config/synthetic.yaml: the Langevin ground truth with its exact D (resources/synthetic/,
             generated first if missing); targets (issue 12): D within 5% of the exact D, MSD within
             10% at every lag from one record to 100 x the training window, Wasserstein distance below the
             baseline's at every compared lag beyond the window; alpha2 within 0.15 of the held-out MD's
             at every compared lag; the axis correlation (do ions move along diagonals?) within 0.1
             of the held-out MD's at every compared lag.
  anisotropic
             config/anisotropic_synthetic.yaml: hopping three times faster along z with exact D per axis
             (resources/synthetic/anisotropic/, generated first if missing); targets: D_z, the in-plane
             D (D_x + D_y) / 2 and D_z / D_inplane each within 10% of the exact ones, then the synthetic
             case's MSD, Wasserstein, alpha2 and axis-correlation targets.
  lgps       config/lgps.yaml with validation on: trained on run1, checkpoints on the first 30% of
             run2, compared with the rest of run2 and run3; targets: MSD within 25% over 0.1-5 ps;
             alpha2 beyond the window within the MD's run-to-run spread (its largest deviation from
             the held-out MD's at most the training run's own, at the lags beyond the window).
A D target's value carries its 1-sigma error (value_err: over the replicate models where the validation
trained two or more, else over what comparison.csv's errors cover); verdict "undecided" where the
threshold lies within two errors of the value. Each MSD and alpha2 target also gets a reference row
"training MD (perfect model)": the training part's own MD against the held-out MD, the floor that no
model of the training part can be expected to beat.

    python benchmarks/bench_fidelity.py --run            # run the workflows (tens of minutes on 2 cores), then print
    python benchmarks/bench_fidelity.py                  # print from the results already there
    python benchmarks/bench_fidelity.py --run --case lgps --cores 2
    # a variant, e.g. statistic matching, in its own directory:
    python benchmarks/bench_fidelity.py --run --case synthetic --overlay variant.yaml --out benchmarks/out/variant
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from mdgan.validation.targets import targets_table  # noqa: E402

CASES = {"synthetic": "config/synthetic.yaml", "anisotropic": "config/anisotropic_synthetic.yaml",
         "lgps": "config/lgps.yaml"}
GROUND_TRUTHS = {  # case -> (its data's ground_truth.json, the script that writes the data)
    "synthetic": ("resources/synthetic/data/ground_truth.json", "resources/synthetic/make_synthetic.py"),
    "anisotropic": ("resources/synthetic/anisotropic/ground_truth.json", "resources/synthetic/make_anisotropic.py"),
}


def merged(base: dict, overlay: dict) -> dict:
    """Snakemake's --configfile semantics: nested mappings merged key by key, runs replaced."""
    out = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "runs":
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def case_config(case: str, overlay: Path | None = None) -> dict:
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config = merged(config, yaml.safe_load((REPO / CASES[case]).read_text()))
    if overlay:
        config = merged(config, yaml.safe_load(overlay.read_text()))
    config["validation"]["enabled"] = True
    for run in config["runs"].values():
        run["path"] = str((REPO / run["path"]).resolve())
    return config


def run_case(case: str, workdir: Path, cores: int, overlay: Path | None = None) -> float:
    if case in GROUND_TRUTHS and not (REPO / GROUND_TRUTHS[case][0]).is_file():
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))}
        subprocess.run([sys.executable, str(REPO / GROUND_TRUTHS[case][1])], check=True, env=env)
    workdir.mkdir(parents=True, exist_ok=True)
    configfile = workdir / "config.yaml"
    configfile.write_text(yaml.safe_dump(case_config(case, overlay)))
    cmd = [sys.executable, "-m", "snakemake", "--resources", "gpu=1",  # nargs: options after it, target last
           "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir), "--configfile", str(configfile),
           "--cores", str(cores), "--rerun-incomplete", "results/validation/comparison.csv"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def seconds(directory: Path, stage: str) -> float:
    """Wall seconds of a validation stage, summed over its jobs (one per replica for training and
    checkpoint selection); NaN where none ran."""
    files = sorted(directory.glob(f"{stage}/replica*.tsv")) or sorted(directory.glob(f"{stage}.tsv"))
    return float(sum(pd.read_csv(f, sep="\t")["s"].sum() for f in files)) if files else float("nan")


def report(case: str, workdir: Path) -> pd.DataFrame:
    results = workdir / "results"
    table = pd.read_csv(results / "validation/comparison.csv")
    summary = json.loads((results / "validation/summary.json").read_text())
    replicas = results / "validation/replicas.csv"
    targets = targets_table(table, summary["window_ps"], summary["record_dt_ps"], case,
                            replicas=pd.read_csv(replicas) if replicas.is_file() else None)
    bench = results / "benchmarks/validation"
    targets["train_s"] = seconds(bench, "train_mdgan")
    targets["select_generate_s"] = seconds(bench, "select_checkpoints") + seconds(bench, "generate_mdgan")
    return targets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=sorted(CASES), action="append", help="default: all three")
    parser.add_argument("--run", action="store_true", help="run the workflows first (else read their results)")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/out/fidelity")
    parser.add_argument("--overlay", type=Path, help="YAML merged over each case's config (a variant to measure)")
    args = parser.parse_args()
    rows = []
    for case in args.case or list(CASES):
        workdir = args.out / case
        if args.run:
            print(f"[{case}] workflow finished in {run_case(case, workdir, args.cores, args.overlay):.0f} s", file=sys.stderr)
        if not (workdir / "results/validation/comparison.csv").is_file():
            print(f"[{case}] no results under {workdir}: run with --run", file=sys.stderr)
            continue
        rows.append(report(case, workdir))
    if rows:
        table = pd.concat(rows, ignore_index=True)
        with pd.option_context("display.width", 200, "display.max_colwidth", 70):
            print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))


if __name__ == "__main__":
    main()
