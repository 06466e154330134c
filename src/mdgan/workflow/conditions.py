"""Conditions of a run set: its runs grouped by temperature, one model and one analysis per group.

Runs whose temperatures lie within ``tolerance_k`` of the group's coolest run form one condition.
One condition keeps the workflow's single-temperature layout (``results/dataset``, ...); two or
more each get their own directory, named by the temperature (``results/600K/dataset``, ...), and an
Arrhenius analysis over them (workflow/rules/arrhenius.smk).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np


@dataclass(frozen=True)
class Condition:
    """One temperature's runs. name: its directory (``600K``); temperature_k: mean of its runs'
    temperatures, K (None where no run says)."""

    name: str
    temperature_k: float | None
    runs: tuple[str, ...]


def group_by_temperature(temperatures_k: Mapping[str, float | None], tolerance_k: float = 1.0) -> list[Condition]:
    """Runs (name -> temperature, K, or None) grouped into conditions, coolest first, runs in the
    mapping's order. Runs without a temperature join the others only where all the known ones are
    one condition; among several temperatures they are refused (which one would they belong to?).
    """
    known = {run: float(t) for run, t in temperatures_k.items() if t is not None}
    unknown = [run for run, t in temperatures_k.items() if t is None]
    groups: list[list[str]] = []
    for run in sorted(known, key=known.get):
        if groups and known[run] - known[groups[-1][0]] <= tolerance_k:
            groups[-1].append(run)
        else:
            groups.append([run])
    if len(groups) > 1 and unknown:
        raise ValueError(
            f"runs {unknown} have no temperature while the others hold {len(groups)} "
            f"({', '.join(f'{known[g[0]]:g} K' for g in groups)}): give runs.<name>.temperature_k in the config"
        )
    if len(groups) <= 1:
        mean = float(np.mean([known[r] for r in groups[0]])) if groups else None
        return [Condition(_name(mean), mean, tuple(temperatures_k))]
    order = list(temperatures_k)
    conditions = []
    for group in groups:
        mean = float(np.mean([known[r] for r in group]))
        conditions.append(Condition(_name(mean), mean, tuple(sorted(group, key=order.index))))
    names = [c.name for c in conditions]
    if len(set(names)) < len(names):
        raise ValueError(f"temperature groups {names} share a name: raise conditions.temperature_tolerance_k")
    return conditions


def _name(temperature_k: float | None) -> str:
    return "all" if temperature_k is None else f"{temperature_k:.0f}K"
