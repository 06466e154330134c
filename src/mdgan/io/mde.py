"""SIESTA ``Label.MDE``: one row per MD step (step, T, E_KS, E_tot, volume, pressure).

It is the only history file that marks restarts: SIESTA appends to it and writes its ``#``
header again at the start of every run (step numbers usually restart at 1 too).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mdgan.errors import InputError
from mdgan.io.files import read_text


def read_mde(path: str | Path) -> tuple[np.ndarray, tuple[int, ...]]:
    """MD step numbers (rows,) and the row at which each appended run begins (the first is 0).

    A new run begins after a repeated header or where the step number does not increase. An
    unparsable last line (a job killed mid-write) is ignored; one elsewhere raises InputError.
    """
    lines = read_text(path, "a SIESTA MDE file").splitlines()
    steps: list[int] = []
    segments: list[int] = []
    header_seen = False
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text:
            continue
        if text.startswith("#"):
            header_seen = True
            continue
        try:
            step = int(text.split()[0])
        except ValueError:
            if number == len(lines):
                break
            raise InputError(f"{path}, line {number}: expected a row starting with the MD step number, found {text[:60]!r}") from None
        if not steps or header_seen or step <= steps[-1]:
            segments.append(len(steps))
        header_seen = False
        steps.append(step)
    if not steps:
        raise InputError(f"{path}: no MD step row (only headers)")
    return np.array(steps, dtype=np.int64), tuple(segments)
