"""Opening input files: optional gzip compression, clear errors for missing or empty files."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import TextIO

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


def open_text(path: str | Path, what: str) -> TextIO:
    """``path`` opened for reading text line by line, decompressing gzip; missing -> InputError."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file; expected {what}")
    with open(path, "rb") as probe:
        compressed = probe.read(2) == GZIP_MAGIC
    if compressed:
        return gzip.open(path, "rt", errors="replace")
    return open(path, errors="replace")


def read_head(path: str | Path, size: int, what: str) -> str:
    """The first ``size`` (decompressed) characters of ``path``, reading no more than that."""
    try:
        with open_text(path, what) as stream:
            return stream.read(size)
    except (OSError, EOFError) as err:
        raise InputError(f"{path}: cannot be read ({err}); expected {what}") from err


def split_lines(data: bytes) -> list[bytes]:
    """Lines without line ends; an unterminated last line shorter than the one before (cut
    mid-write) is dropped."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    elif len(lines) > 1 and len(lines[-1].rstrip()) < len(lines[-2].rstrip()):
        lines.pop()
    return lines
