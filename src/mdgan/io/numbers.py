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


def table(rows: list[bytes], n_tokens: int, n_numbers: int, where, what: str) -> np.ndarray:
    """(rows, n_numbers) float64: the first ``n_numbers`` of exactly ``n_tokens`` blank-separated fields.

    ``where(i)`` names row i (file and line) in the error raised for a row that has another
    number of fields, text where a number belongs, or a non-finite number.
    """
    tokens = b" ".join(rows).split()
    values = None
    if len(tokens) == n_tokens * len(rows):
        try:
            values = np.array(tokens).reshape(len(rows), n_tokens)[:, :n_numbers].astype(np.float64)
        except ValueError:
            values = None
    if values is not None and np.all(np.isfinite(values)):
        return values
    for i, row in enumerate(rows):
        fields = row.split()
        try:
            ok = len(fields) == n_tokens and np.all(np.isfinite([float(f) for f in fields[:n_numbers]]))
        except ValueError:
            ok = False
        if not ok:
            raise InputError(f"{where(i)}: expected {what}, found {row.decode(errors='replace').strip()!r}")
    raise AssertionError("unreachable: a row failed as a whole but none alone")
