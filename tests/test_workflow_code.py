"""Every rule declares as its code inputs exactly the package files its script runs (the script's
import closure in ``mdgan``), so that an edit of any of them reruns the rule; scripts are named as
their rules.

The declared inputs are read from a dry run of the whole DAG (validation included) on the tiny
config: what Snakemake itself would check, not the text of the rule files.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import REPO, run_workflow, tiny_config, tiny_series_config
from mdgan.model.state import training_code_digest
from mdgan.workflow.code import code_digest, imported_modules, script_code
from test_envs import workflow_rules
from test_validation_workflow import TINY_VALIDATION

SRC = REPO / "src"
SCRIPTS = REPO / "workflow" / "scripts"


def relative(paths, src=SRC) -> set[str]:
    return {str(Path(p).relative_to(src / "mdgan")) for p in paths}


def write_package(src: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = src / "mdgan" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_closure_follows_absolute_relative_lazy_and_submodule_imports(tmp_path):
    src = tmp_path / "src"
    write_package(src, {
        "__init__.py": "",
        "errors.py": "",
        "unused.py": "",
        "a/__init__.py": "from .b import f\n",
        "a/b.py": "import numpy\nfrom ..errors import InputError\n",
        "c/__init__.py": "",
        "c/d.py": "def g():\n    from mdgan.c import e\n",
        "c/e.py": "from mdgan import errors\n",
    })
    script = tmp_path / "script.py"
    script.write_text("import json\nfrom mdgan.a import f\nimport mdgan.c.d\n")
    assert relative(script_code(script, src), src) == {
        "__init__.py", "errors.py", "a/__init__.py", "a/b.py", "c/__init__.py", "c/d.py", "c/e.py",
    }
    assert imported_modules(src / "mdgan/a/b.py", "mdgan.a.b") == {"numpy": set(), "mdgan.errors": {"InputError"}}
    assert imported_modules(src / "mdgan/a/__init__.py", "mdgan.a") == {"mdgan.a.b": {"f"}}


def test_an_import_of_a_missing_package_module_is_refused(tmp_path):
    src = tmp_path / "src"
    write_package(src, {"__init__.py": "", "dataset.py": ""})
    script = tmp_path / "script.py"
    script.write_text("from mdgan.windows import build_dataset\n")
    with pytest.raises(ImportError, match="mdgan.windows"):
        script_code(script, src)


def test_code_digest_ignores_comments_docstrings_and_layout_not_code(tmp_path):
    src = tmp_path / "src"
    body = 'def f(x):\n    return x + 1\n'
    write_package(src, {"a.py": body})
    digest = code_digest([src / "mdgan" / "a.py"], src)
    write_package(src, {"a.py": '"""Module."""\n# a comment\ndef f(x):\n    """One more."""\n\n    return (x +\n            1)\n'})
    assert code_digest([src / "mdgan" / "a.py"], src) == digest
    write_package(src, {"a.py": body.replace("1", "2")})
    assert code_digest([src / "mdgan" / "a.py"], src) != digest
    write_package(src, {"a.py": body, "b.py": ""})
    assert code_digest([src / "mdgan" / "b.py"], src) != code_digest([src / "mdgan" / "a.py"], src)


def test_training_code_digest_covers_the_files_the_training_rule_declares():
    """The state fingerprint's code is the closure of mdgan.model.training: every package file its
    modules reach, the same in any checkout (paths relative to src)."""
    files = script_code(SRC / "mdgan" / "model" / "training.py", SRC)
    assert {"model/networks.py", "model/site_hops.py", "model/losses.py"} <= relative(files)
    assert training_code_digest() == code_digest(files, SRC)


def test_generation_runs_the_matching_module_through_the_training_check():
    """model/generation.py imports model/check.py, which imports model/matching.py."""
    code = relative(script_code(SCRIPTS / "generate_mdgan.py", SRC))
    assert {"model/generation.py", "model/check.py", "model/matching.py", "extract.py"} <= code
    assert not {"model/training.py", "io/__init__.py", "analysis/__init__.py"} & code


def script_rules() -> dict[str, Path]:
    """Rule name -> its script, for every rule of the rule files (also inside `if` blocks)."""
    return {rule.name: rule.script for rule in workflow_rules() if rule.script is not None}


def declared_code(tmp_path: Path) -> dict[str, set[str]]:
    """Rule -> the package files among its job's inputs, from a dry run of every job of the DAG."""
    # the held-out validation's rules on one temperature; the Arrhenius rules on a temperature series
    single = run_workflow(tmp_path / "single", tiny_config(validation=TINY_VALIDATION), "--dry-run", "--forceall")
    series = run_workflow(tmp_path / "series", tiny_series_config(tmp_path), "--dry-run", "--forceall")
    declared: dict[str, set[str]] = {}
    rule = None
    for line in (single.stdout + series.stdout).splitlines():
        if match := re.match(r"(?:local)?rule (\w+):$", line):
            rule = match.group(1)
        elif rule and (match := re.match(r"\s+input: (.*)$", line)):
            files = {f for f in match.group(1).split(", ") if f.startswith(str(SRC))}
            assert declared.setdefault(rule, files) == files, f"jobs of rule {rule} declare different code"
            rule = None
    return declared


def test_every_rule_declares_exactly_the_code_its_script_runs(tmp_path):
    declared = declared_code(tmp_path)
    scripts = script_rules()
    assert set(declared) - {"all"} == set(scripts), "the dry run and the rule files disagree on the rules"
    for rule, script in scripts.items():
        closure = set(script_code(script, SRC))
        assert declared[rule] == closure, (
            f"rule {rule} ({script.name}): undeclared {sorted(relative(closure - declared[rule]))}, "
            f"declared but not run {sorted(relative(declared[rule] - closure))}"
        )


def test_scripts_are_named_as_their_rules_and_all_used():
    """A validation rule may run the main rule's script with other paths (validation_train_mdgan)."""
    scripts = script_rules()
    for rule, script in scripts.items():
        assert script.stem in (rule, rule.removeprefix("validation_")), f"rule {rule} runs {script.name}"
        assert script.parent == SCRIPTS
    unused = {p.name for p in SCRIPTS.glob("*.py")} - {s.name for s in scripts.values()}
    assert not unused, f"scripts no rule runs: {sorted(unused)}"


def test_architecture_page_names_every_rule_and_only_existing_functions():
    """docs/architecture.md leads from an output to its rule and code: every rule is on it, and every
    package function it names exists."""
    import importlib

    page = (REPO / "docs" / "architecture.md").read_text()
    missing = [rule for rule in script_rules() if f"`{rule}`" not in page]
    assert not missing, f"docs/architecture.md does not name the rules {missing}"
    modules = "|".join(p.stem for p in (SRC / "mdgan").iterdir()
                       if not p.name.startswith("_") and (p.suffix == ".py" or (p / "__init__.py").is_file()))
    for dotted in re.findall(rf"`((?:{modules})(?:\.\w+)+)`", page):
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):  # the longest importable module, then attributes
            try:
                obj = importlib.import_module(".".join(["mdgan", *parts[:cut]]))
            except ModuleNotFoundError:
                continue
            for name in parts[cut:]:
                assert hasattr(obj, name), f"docs/architecture.md names {dotted}: no {name}"
                obj = getattr(obj, name)
            break
