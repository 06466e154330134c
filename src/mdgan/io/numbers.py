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


def fixed_fields(rows: list[bytes], start: int, width: int, count: int) -> np.ndarray | None:
    """(rows, count) float64 from Fortran ``count fWIDTH.D`` fields starting at column ``start``.

    Fast path for history files: None unless every row is exactly ``start + count * width``
    bytes long and every field a plain ``[-]ddd.ddd`` with its point in the same column.
    """
    length = start + count * width
    if not rows or any(len(row) != length for row in rows):
        return None
    grid = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(rows), length)
    values = _fixed_point(grid[:, start:].reshape(-1, width))
    return None if values is None else values.reshape(len(rows), count)


def _fixed_point(fields: np.ndarray) -> np.ndarray | None:
    """Fortran ``fW.D`` fields (rows of W bytes) as float64, or None if any is not plain ``[-]ddd.dddddd``.

    The digits add up to an exact integer (in float64, below 2**53) that is divided by 10**D:
    the same double as float() gives.
    """
    width = fields.shape[1]
    dot = int(np.argmax(fields[0] == ord(".")))
    if fields[0, dot] != ord(".") or not np.all(fields[:, dot] == ord(".")):
        return None
    decimals = width - dot - 1
    integers = np.zeros(fields.shape[0])
    negative = np.zeros(fields.shape[0], dtype=bool)
    for c in range(width):
        if c == dot:
            continue
        column = fields[:, c]
        digit = column - np.uint8(ord("0"))  # wraps around for non-digits
        is_digit = digit <= 9
        minus = column == ord("-")
        if c == dot - 1 or c > dot:
            if not is_digit.all():
                return None
        elif not np.all(is_digit | minus | (column == ord(" "))):
            return None
        negative |= minus
        power = dot - 1 - c + decimals if c < dot else decimals - (c - dot)
        integers += np.where(is_digit, digit, 0) * float(10**power)
    return np.where(negative, -integers, integers) / 10.0**decimals
