"""The package source files a workflow script runs: its import closure inside ``mdgan``.

A rule declares them as inputs (``code=script_code(...)`` in workflow/rules/common.smk), so that an
edit of any module the script reaches, directly or through other modules, reruns the rule and what
depends on it. Imports are read with ``ast``, not executed: every ``import`` and ``from ... import``
counts, also those inside functions, relative ones and ``from package import submodule``; importing
``a.b.c`` runs ``a/__init__.py``, ``a/b/__init__.py`` and ``a/b/c.py``, so all three are included.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

PACKAGE = "mdgan"


def imported_modules(path: str | Path, module: str | None = None) -> dict[str, set[str]]:
    """Dotted name of every module ``path`` imports, wherever in its code -> the names it takes from it
    (``from x import a, b``: {"x": {"a", "b"}}; ``import x``: {"x": set()}). A name may be a submodule.

    module: the file's own dotted name (relative imports resolve against it); None for a script.
    """
    path = Path(path)
    tree = ast.parse(path.read_text(), filename=str(path))
    package = (module or "") if path.name == "__init__.py" else (module or "").rpartition(".")[0]
    imports: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                imports.setdefault(alias.name, set())
        elif isinstance(node, ast.ImportFrom):
            base = node.module
            if node.level:
                parts = package.split(".") if package else []
                if node.level > len(parts):
                    raise ImportError(f"{path}: relative import beyond the top-level package")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            imports.setdefault(base, set()).update(alias.name for alias in node.names if alias.name != "*")
    return imports


def module_file(dotted: str, src: str | Path) -> Path | None:
    """Source file of ``dotted`` under ``src`` (a module or a package's ``__init__.py``), None if none."""
    base = Path(src).joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def script_code(script: str | Path, src: str | Path) -> list[str]:
    """Sorted paths of every ``mdgan`` source file under ``src`` that ``script`` runs.

    src: the directory holding the ``mdgan`` package. Raises ImportError for an import of an
    ``mdgan`` module that does not exist (a stale import after a rename).
    """
    seen: set[Path] = set()
    queue: list[tuple[Path, str | None]] = [(Path(script), None)]

    def visit(dotted: str) -> None:
        source = module_file(dotted, src)
        if source not in seen:
            seen.add(source)
            queue.append((source, dotted))

    while queue:
        path, module = queue.pop()
        for base, names in imported_modules(path, module).items():
            parts = base.split(".")
            if parts[0] != PACKAGE:
                continue
            for i in range(1, len(parts) + 1):  # importing a.b.c runs a, a.b and a.b.c
                dotted = ".".join(parts[:i])
                if module_file(dotted, src) is None:
                    raise ImportError(f"{path} imports {base}: no module {dotted} in {src}")
                visit(dotted)
            for name in names:  # `from a.b import c` runs a/b/c.py where c is a submodule
                if module_file(f"{base}.{name}", src) is not None:
                    visit(f"{base}.{name}")
    return sorted(str(p) for p in seen)


def code_digest(paths: list[str | Path], root: str | Path) -> str:
    """sha256 over the code of ``paths`` read as syntax trees, each with its path relative to ``root``:
    comments, docstrings and layout do not change it; any other edit does."""
    h = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                if ast.get_docstring(node, clean=False) is not None:
                    node.body = node.body[1:] or [ast.Pass()]
        h.update(str(path.relative_to(root)).encode())
        h.update(ast.dump(tree).encode())
    return h.hexdigest()
