"""Opening input files: optional gzip compression, clear errors for missing or empty files."""

from __future__ import annotations

import gzip
from pathlib import Path

from mdgan.errors import InputError

GZIP_MAGIC = b"\x1f\x8b"


def existing(path: str | Path) -> Path | None:
    """``path`` if it is a file, else ``path.gz`` if that is one, else None."""
    path = Path(path)
    if path.is_file():
        return path
    gz = path.with_name(path.name + ".gz")
    return gz if gz.is_file() else None


def plain_name(path: str | Path) -> str:
    """The file name without a trailing ``.gz``."""
    name = Path(path).name
    return name[:-3] if name.endswith(".gz") else name


def read_bytes(path: str | Path, what: str) -> bytes:
    """The (decompressed) content of ``path``; ``what`` names the expected content for errors."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file; expected {what}")
    try:
        with open(path, "rb") as stream:
            data = stream.read()
        if data[:2] == GZIP_MAGIC:
            data = gzip.decompress(data)
    except (OSError, EOFError) as err:
        raise InputError(f"{path}: cannot be read ({err}); expected {what}") from err
    if not data.strip():
        raise InputError(f"{path}: file is empty; expected {what}")
    return data


def read_text(path: str | Path, what: str) -> str:
    """Like :func:`read_bytes`, decoded as text (undecodable bytes replaced)."""
    return read_bytes(path, what).decode("utf-8", errors="replace")
