"""Which benchmark files time each stage of the report's conditions table (workflow/rules/report.smk)."""

from __future__ import annotations

from typing import Mapping, Sequence


def stage_benchmark_files(rules, stage_products: Mapping[str, str], runs: Sequence[str]) -> dict[str, list[str]]:
    """Stage label -> benchmark files of the rule that makes the stage's product.

    rules: Snakemake rule objects (``.output``, ``.benchmark``); stage_products: label -> output
    pattern as the rule writes it. A ``{run}`` wildcard is expanded over ``runs``; stages whose rule
    has no benchmark, or one with other wildcards, are left out.
    """
    stages = {}
    for label, product in stage_products.items():
        for rule in rules:
            if rule.benchmark and any(str(o) == product for o in rule.output):
                pattern = str(rule.benchmark)
                if "{" not in pattern.replace("{run}", ""):
                    stages[label] = sorted({pattern.replace("{run}", run) for run in runs})
                break
    return stages
