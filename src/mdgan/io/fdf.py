"""The fdf syntax of SIESTA input files: labels, blocks, ``%include`` and ``<`` redirection.

Labels are case-insensitive and ignore ``.``, ``-`` and ``_``; the first definition of a
label wins (as in libfdf); ``#``, ``!`` and ``;`` start a comment. Supported forms::

    Label value [unit]
    %block Name ... %endblock Name
    %block Name < file          (the block's lines are the whole of ``file``)
    Label1 Label2 < file        (those labels are looked up in the fdf ``file``)
    %include file               (relative to the including file's folder)

Files may be gzip-compressed (``file`` or ``file.gz``). This module knows nothing of
SIESTA's keys; :mod:`mdgan.io.siesta_input` interprets them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from mdgan.errors import InputError
from mdgan.io.files import existing, read_text

_COMMENT = re.compile(r"[#!;].*")


def normalize(key: str) -> str:
    """fdf's label identity: lower case, without ``.``, ``-`` and ``_``."""
    return key.lower().replace(".", "").replace("-", "").replace("_", "")


@dataclass(frozen=True)
class FdfLine:
    """One meaningful line (comment removed, stripped) and where it comes from (1-based line)."""

    text: str
    file: Path
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}, line {self.line}"


@dataclass
class Fdf:
    """Labels and blocks of an fdf input with their origin.

    labels: normalised label -> the line defining it (value = ``line.text.split()[1:]``).
    blocks: normalised block name -> (the ``%block`` line, the content lines).
    files: every file read: the main fdf, its includes and redirected files.
    """

    labels: dict[str, FdfLine] = field(default_factory=dict)
    blocks: dict[str, tuple[FdfLine, list[FdfLine]]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def label(self, *names: str) -> FdfLine | None:
        """The defining line of the first of ``names`` (aliases) that is present."""
        for name in names:
            entry = self.labels.get(normalize(name))
            if entry is not None:
                return entry
        return None

    def values(self, *names: str) -> list[str] | None:
        """The tokens after the label (first alias present), or None."""
        entry = self.label(*names)
        return None if entry is None else entry.text.split()[1:]

    def block(self, *names: str) -> tuple[FdfLine, list[FdfLine]] | None:
        for name in names:
            entry = self.blocks.get(normalize(name))
            if entry is not None:
                return entry
        return None


def parse_fdf(path: str | Path) -> Fdf:
    """Parse an fdf file (and everything it includes)."""
    path = Path(path)
    fdf = Fdf()
    _parse_file(path, fdf, stack=())
    return fdf


def parse_fdf_text(text: str, origin: Path, base_dir: Path) -> Fdf:
    """Parse fdf text held in another file (the input echoed in a SIESTA ``.out``).

    ``origin`` is named in errors; includes are resolved relative to ``base_dir``.
    """
    fdf = Fdf()
    _parse_lines(text.splitlines(), origin, base_dir, fdf, stack=(origin,))
    return fdf


def _parse_file(path: Path, fdf: Fdf, stack: tuple[Path, ...]) -> None:
    resolved = path.resolve()
    if resolved in stack:
        raise InputError(f"{path}: included from itself (include cycle {' -> '.join(map(str, stack))})")
    fdf.files.append(path)
    text = read_text(path, "an fdf input file")
    _parse_lines(text.splitlines(), path, path.parent, fdf, stack + (resolved,))


def _resolve(name: str, base_dir: Path, at: FdfLine) -> Path:
    target = existing(Path(os.path.normpath(base_dir / name)))
    if target is None:
        raise InputError(f"{at.where}: file {name!r} referenced here does not exist in {base_dir}")
    return target


def _meaningful(raw_lines: list[str], path: Path, start: int = 0) -> list[FdfLine]:
    out = []
    for number, raw in enumerate(raw_lines, start=start + 1):
        text = _COMMENT.sub("", raw).strip()
        if text:
            out.append(FdfLine(text, path, number))
    return out


def _parse_lines(raw_lines: list[str], path: Path, base_dir: Path, fdf: Fdf, stack: tuple[Path, ...]) -> None:
    lines = _meaningful(raw_lines, path)
    i = 0
    while i < len(lines):
        entry = lines[i]
        tokens = entry.text.split()
        head = tokens[0].lower()
        if head == "%include":
            if len(tokens) < 2:
                raise InputError(f"{entry.where}: %include needs a file name")
            _parse_file(_resolve(tokens[1], base_dir, entry), fdf, stack)
        elif head == "%block":
            if len(tokens) < 2:
                raise InputError(f"{entry.where}: %block needs a name")
            name = normalize(tokens[1])
            if len(tokens) >= 4 and tokens[2] == "<":
                source = _resolve(tokens[3], base_dir, entry)
                fdf.files.append(source)
                content = _meaningful(read_text(source, f"the lines of block {tokens[1]}").splitlines(), source)
            else:
                end = i + 1
                while end < len(lines) and not lines[end].text.lower().startswith("%endblock"):
                    end += 1
                if end == len(lines):
                    raise InputError(f"{entry.where}: %block {tokens[1]} has no %endblock")
                content = lines[i + 1 : end]
                i = end
            fdf.blocks.setdefault(name, (entry, content))
        elif "<" in tokens[1:]:
            split = tokens.index("<")
            if split + 1 >= len(tokens):
                raise InputError(f"{entry.where}: '<' must be followed by a file name")
            source = _resolve(tokens[split + 1], base_dir, entry)
            other = Fdf()
            _parse_file(source, other, stack)
            fdf.files.extend(f for f in other.files if f not in fdf.files)
            for name in map(normalize, tokens[:split]):
                if name in other.labels:
                    fdf.labels.setdefault(name, other.labels[name])
                if name in other.blocks:
                    fdf.blocks.setdefault(name, other.blocks[name])
        elif not head.startswith("%"):
            fdf.labels.setdefault(normalize(tokens[0]), entry)
        i += 1
