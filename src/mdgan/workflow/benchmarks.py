"""Which benchmark files time each stage of the report's conditions table (workflow/rules/report.smk)."""

from __future__ import annotations

import itertools
from typing import Mapping, Sequence


def stage_benchmark_files(
    rules, stage_products: Mapping[str, str], wildcard_values: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    """Stage label -> benchmark files of the rule that makes the stage's product.

    rules: Snakemake rule objects (``.output``, ``.benchmark``); stage_products: label -> output
    pattern as the rule writes it. Wildcards of the benchmark pattern (``{run}``, ``{replica}``) are
    expanded over ``wildcard_values``; stages whose rule has no benchmark, or one with another
    wildcard, are left out.
    """
    stages = {}
    for label, product in stage_products.items():
        for rule in rules:
            if rule.benchmark and any(str(o) == product for o in rule.output):
                pattern = str(rule.benchmark)
                names = [n for n in wildcard_values if "{" + n + "}" in pattern]
                rest = pattern
                for n in names:
                    rest = rest.replace("{" + n + "}", "")
                if "{" not in rest:
                    files = set()
                    for values in itertools.product(*(wildcard_values[n] for n in names)):
                        path = pattern
                        for n, v in zip(names, values):
                            path = path.replace("{" + n + "}", str(v))
                        files.add(path)
                    stages[label] = sorted(files)
                break
    return stages
