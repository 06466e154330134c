"""The workflow's Arrhenius analysis of the synthetic temperature series against the exact answer.

Reads the workflow's per-temperature diffusion coefficients (``arrhenius.csv``: temperature_k,
source, D_cm2_s, D_err_cm2_s, in_fit, excluded_reason), its Arrhenius fits (``arrhenius_fit.csv``:
one row per source, "MD" and "MD-GAN": Ea_eV, Ea_err_eV, prefactor_cm2_s, T_extrapolated_k,
D_extrapolated_cm2_s, D_extrapolated_lo2_cm2_s, D_extrapolated_hi2_cm2_s) and the ground truth of
resources/synthetic/make_arrhenius.py, and prints

* per temperature: the exact D (Lifson-Jackson), each source's D +- err and its ratio to the exact D;
* per source: Ea +- err against the exact Ea over the temperatures that source's fit used (the
  least-squares line of ln D_exact on 1/T over the same points; it depends on the range because
  ln D_exact is curved), and the exact D at T_extrapolated against the source's 2-sigma band.

Targets (MD-GAN): Ea within 5 % of the exact Ea over its range; the exact D at T_extrapolated inside
[lo2, hi2]. Each prints PASS or FAIL; MD's lines are for reference. The exit status is 0 whatever the
outcome (a report), also when an input is missing (its targets FAIL).

    PYTHONPATH=src python benchmarks/bench_arrhenius.py [--points ...] [--fit ...] [--truth ...]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path

from mdgan.validation.synthetic import ANG2_PS_TO_CM2_S, CosineLattice, exact_arrhenius

SOURCES = ("MD", "MD-GAN")
TARGET_SOURCE = "MD-GAN"
TRUE_WORDS = {"true", "1", "yes", "y", "t"}


def number(text) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def reference_lattice(truth: dict) -> CosineLattice:
    ref = truth["reference_lattice"]
    return CosineLattice(**{name: ref[name] for name in CosineLattice.__dataclass_fields__})


def exact_d(reference: CosineLattice, temperature_k: float) -> float:
    return CosineLattice.at_temperature(temperature_k, reference).diffusion_ang2_ps() * ANG2_PS_TO_CM2_S


def d_cell(row: dict | None, d_exact: float) -> str:
    if row is None:
        return f"{'-':>24} {'':>6}"
    d, err = number(row.get("D_cm2_s")), number(row.get("D_err_cm2_s"))
    mark = "" if row.get("in_fit", "").strip().lower() in TRUE_WORDS else "*"
    return f"{d:11.4e} +- {err:9.2e}{mark:1} {d / d_exact:6.3f}"


def sigmas(difference: float, err: float) -> str:
    return f"{difference / err:+.1f} sigma" if err > 0 else "no error given"


def ea_target(source: str, tolerance: float) -> str:
    return f"target {source} Ea within {tolerance:.0%} of the exact Ea over its range"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", default="results/arrhenius/arrhenius.csv")
    parser.add_argument("--fit", default="results/arrhenius/arrhenius_fit.csv")
    parser.add_argument("--truth", default="resources/synthetic/arrhenius/ground_truth.json")
    parser.add_argument("--ea-tolerance", type=float, default=0.05, help="relative, MD-GAN target (default 0.05)")
    args = parser.parse_args()

    try:
        truth = json.loads(Path(args.truth).read_text())
        reference = reference_lattice(truth)
        points = read_csv(Path(args.points))
        fits = {row["source"]: row for row in read_csv(Path(args.fit))}
    except (OSError, KeyError, ValueError, TypeError) as exc:
        print(f"cannot read the inputs: {type(exc).__name__}: {exc}")
        print(f"{ea_target(TARGET_SOURCE, args.ea_tolerance)}: FAIL (no input)")
        print(f"target {TARGET_SOURCE} exact D at T_extrapolated inside its 2-sigma band: FAIL (no input)")
        return

    # Per temperature: the exact D and each source's measurement.
    by_key = {(round(number(p["temperature_k"]), 6), p["source"]): p for p in points
              if number(p.get("temperature_k")) > 0}
    temperatures = sorted({round(float(t), 6) for t in truth.get("lattices", {})} | {t for t, _ in by_key})
    print(f"truth: {args.truth} (barrier {reference.barrier_ev:g} eV, D0 = {reference.bare_diffusion_ang2_ps:g} "
          f"A^2/ps x T / {reference.temperature_k:g} K)")
    header = " ".join(f"{s + ' D (cm^2/s) +- err':>25} {'ratio':>6}" for s in SOURCES)
    print(f"\n{'T (K)':>7} {'D_exact (cm^2/s)':>16} {header}")
    excluded = []
    for t in temperatures:
        d_true = exact_d(reference, t)
        cells = " ".join(d_cell(by_key.get((t, s)), d_true) for s in SOURCES)
        print(f"{t:7g} {d_true:16.4e} {cells}")
        for s in SOURCES:
            row = by_key.get((t, s))
            if row is not None and row.get("in_fit", "").strip().lower() not in TRUE_WORDS:
                excluded.append(f"{s} {t:g} K: {row.get('excluded_reason') or 'no reason given'}")
    if excluded:
        print("* not in the fit: " + "; ".join(excluded))

    # Per source: activation energy and extrapolation against the exact ones over the same points.
    for source in SOURCES:
        target = source == TARGET_SOURCE
        label = "target" if target else "reference (no target)"
        fit = fits.get(source)
        print(f"\n{source}:")
        if fit is None:
            print(f"  no fit row for {source} in {args.fit}")
            if target:
                print(f"{ea_target(source, args.ea_tolerance)}: FAIL (no fit)")
                print(f"target {source} exact D at T_extrapolated inside its 2-sigma band: FAIL (no fit)")
            continue
        used = sorted(t for (t, s), p in by_key.items()
                      if s == source and p.get("in_fit", "").strip().lower() in TRUE_WORDS)
        note = ""
        if len(used) < 2:
            used = sorted(round(float(t), 6) for t in truth["lattices"])
            note = " (fit points unknown: all of the truth's)"
        t_x = number(fit.get("T_extrapolated_k"))
        exact = exact_arrhenius(used, t_x if t_x > 0 else 300.0, reference)
        ea, ea_err = number(fit.get("Ea_eV")), number(fit.get("Ea_err_eV"))
        rel = (ea - exact["Ea_eV"]) / exact["Ea_eV"]
        ea_ok = abs(rel) <= args.ea_tolerance
        print(f"  fit over {', '.join(f'{t:g}' for t in used)} K{note}")
        print(f"  Ea {ea:.4f} +- {ea_err:.4f} eV, exact over the same temperatures {exact['Ea_eV']:.4f} eV: "
              f"relative error {rel:+.2%} ({sigmas(ea - exact['Ea_eV'], ea_err)})")
        print(f"  prefactor {number(fit.get('prefactor_cm2_s')):.4e} cm^2/s, exact line {exact['prefactor_cm2_s']:.4e}")
        lo, hi = number(fit.get("D_extrapolated_lo2_cm2_s")), number(fit.get("D_extrapolated_hi2_cm2_s"))
        d_x, d_x_err = number(fit.get("D_extrapolated_cm2_s")), number(fit.get("D_extrapolated_err_cm2_s"))
        d_exact, d_line = exact["D_exact_extrapolated_cm2_s"], exact["D_line_extrapolated_cm2_s"]
        inside = lo <= d_exact <= hi
        print(f"  at {exact['T_extrapolated_k']:g} K: D {d_x:.4e} +- {d_x_err:.2e}, 2-sigma band [{lo:.4e}, {hi:.4e}] "
              f"cm^2/s; exact {d_exact:.4e} (ratio D / exact {d_x / d_exact:.3f})")
        print(f"    the exact data's straight line gives {d_line:.4e} ({'inside' if lo <= d_line <= hi else 'outside'} "
              f"the band; ln exact - ln line {exact['ln_D_exact_minus_line_extrapolated']:+.3f}, the curvature)")
        if target:
            print(f"{ea_target(source, args.ea_tolerance)}: {verdict(ea_ok)} ({rel:+.2%})")
            print(f"target {source} exact D at {exact['T_extrapolated_k']:g} K inside its 2-sigma band: "
                  f"{verdict(inside)}")
        else:
            print(f"  {label}: Ea {'within' if ea_ok else 'outside'} {args.ea_tolerance:.0%}; exact D at "
                  f"{exact['T_extrapolated_k']:g} K {'inside' if inside else 'outside'} the 2-sigma band")


if __name__ == "__main__":
    main()
