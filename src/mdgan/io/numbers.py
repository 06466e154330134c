"""Turning text into numbers with errors that name the file and the line."""

from __future__ import annotations

import numpy as np

from mdgan.errors import InputError


def parse_floats(tokens: list[str], where: str, what: str) -> np.ndarray:
    """``tokens`` as float64 (Fortran ``1.0d-3`` accepted); NaN, inf or text -> InputError."""
    try:
        values = np.array([float(t.lower().replace("d", "e")) for t in tokens], dtype=np.float64)
    except ValueError:
        raise InputError(f"{where}: expected {what}, found {' '.join(tokens)!r}") from None
    if not np.all(np.isfinite(values)):
        raise InputError(f"{where}: expected {what}, found a non-finite number in {' '.join(tokens)!r}")
    return values


def parse_int(token: str, where: str, what: str) -> int:
    try:
        return int(token)
    except ValueError:
        raise InputError(f"{where}: expected {what}, found {token!r}") from None
