"""Static checks of the per-rule conda environments (no conda channel is reachable here).

Every rule that runs code names an env file in envs/; every env file exists, is used, is pinned
to exact versions from conda-forge, installs the project's package by an editable pip entry whose
path reaches the project root from where Snakemake puts its copy of the file, lists every
third-party module that the rule's script imports directly or through the ``mdgan`` modules it
reaches (its import closure, ``mdgan.workflow.code``), lists nothing else, and provides every dependency
the pip install of the package would otherwise fetch from PyPI.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from mdgan.workflow.code import script_code

ROOT = Path(__file__).resolve().parents[1]
ENVS = ROOT / "envs"
PACKAGE = ROOT / "src" / "mdgan"
# Where Snakemake copies an env file before `conda env create --file`: <workdir>/.snakemake/conda/.
SNAKEMAKE_ENV_COPY_DIR = ROOT / ".snakemake" / "conda"

# import name -> conda-forge package name, where they differ
CONDA_NAME = {"torch": "pytorch", "matplotlib": "matplotlib-base", "yaml": "pyyaml", "sklearn": "scikit-learn"}
# PyPI distribution name -> conda-forge package name, where they differ
PYPI_TO_CONDA = {"torch": "pytorch", "matplotlib": "matplotlib-base", "pyyaml": "pyyaml"}
ALWAYS = {"python", "pip"}  # in every env, not imported
ACTION_DIRECTIVES = {"script", "shell", "notebook", "wrapper"}


@dataclass(frozen=True)
class Rule:
    name: str
    smk: Path
    conda: Path | None
    script: Path | None
    actions: frozenset[str]
    resources: str  # the text of its resources: directive


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _rule_blocks(text: str):
    """(name, body lines dedented to the rule's level) of each ``rule``/``checkpoint`` of a
    snakefmt-formatted file, also those defined inside an ``if`` block."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = re.match(r"(\s*)(?:rule|checkpoint)\s+(\w+)\s*:", line)
        if not match:
            continue
        level = len(match.group(1))
        body = []
        for following in lines[i + 1 :]:
            if following.strip() and _indent(following) <= level:
                break
            body.append(following[level:])
        yield match.group(2), body


def _directives(body: list[str]) -> dict[str, str]:
    """Directive name -> its value text (the rest of its line plus its indented lines)."""
    directives: dict[str, list[str]] = {}
    current = None
    for line in body:
        match = re.match(r"    (\w+):\s*(.*)$", line)
        if match:
            current = match.group(1)
            directives[current] = [match.group(2)]
        elif current and line.startswith("        "):
            directives[current].append(line.strip())
    return {key: " ".join(v for v in values if v).strip().rstrip(",") for key, values in directives.items()}


def _literal_path(smk: Path, rule: str, directive: str, value: str) -> Path:
    try:
        relative = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        pytest.fail(f"{smk.name}: rule {rule}: {directive}: must be a string literal, got {value!r}")
    return (smk.parent / relative).resolve()


@cache
def workflow_rules() -> tuple[Rule, ...]:
    files = [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]
    rules = []
    for smk in files:
        for name, body in _rule_blocks(smk.read_text()):
            d = _directives(body)
            rules.append(
                Rule(
                    name=name,
                    smk=smk,
                    conda=_literal_path(smk, name, "conda", d["conda"]) if "conda" in d else None,
                    script=_literal_path(smk, name, "script", d["script"]) if "script" in d else None,
                    actions=frozenset(ACTION_DIRECTIVES & d.keys()),
                    resources=d.get("resources", ""),
                )
            )
    return tuple(rules)


def _is_optional(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """An import inside ``try: ... except ImportError`` or ``if TYPE_CHECKING:`` is optional."""
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.Try) and child in parent.body:
            for handler in parent.handlers:
                names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                if any(isinstance(n, ast.Name) and n.id in {"ImportError", "ModuleNotFoundError"} for n in names):
                    return True
        if isinstance(parent, ast.If) and "TYPE_CHECKING" in ast.unparse(parent.test):
            return True
        child, parent = parent, parents.get(parent)
    return False


def third_party_imports(script: Path) -> dict[str, list[str]]:
    """Top-level third-party module -> the files importing it: the script and the ``mdgan`` modules
    it runs (``mdgan.workflow.code``, the closure the rules declare as code inputs)."""
    found: dict[str, list[str]] = {}
    for path in [script, *map(Path, script_code(script, ROOT / "src"))]:
        tree = ast.parse(path.read_text(), filename=str(path))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module]
            else:
                continue
            for top in {name.split(".")[0] for name in names}:
                if top != "mdgan" and top not in sys.stdlib_module_names and not _is_optional(node, parents):
                    found.setdefault(top, []).append(str(path.relative_to(ROOT)))
    return found


def conda_name(import_name: str) -> str:
    return CONDA_NAME.get(import_name, import_name)


@cache
def env_spec(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def conda_packages(path: Path) -> dict[str, str]:
    """conda package -> pinned version string of an env file."""
    packages = {}
    for dep in env_spec(path)["dependencies"]:
        if isinstance(dep, str):
            name, _, version = re.match(r"([A-Za-z0-9_.-]+)\s*(=?=?)\s*(.*)", dep).groups()
            packages[name] = version
    return packages


def pip_entries(path: Path) -> list[str]:
    return [e for dep in env_spec(path)["dependencies"] if isinstance(dep, dict) for e in dep.get("pip", [])]


@cache
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def package_requirements(extras: set[str]) -> list[Requirement]:
    """What pip installs with the project's package and the given extras (extras expanded)."""
    project = pyproject()["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    pending = set(extras)
    done: set[str] = set()
    while pending:
        extra = pending.pop()
        done.add(extra)
        for spec in project["optional-dependencies"][extra]:
            req = Requirement(spec)
            if req.name == project["name"]:
                pending |= req.extras - done
            else:
                reqs.append(req)
    return reqs


def rules_with_env() -> list[Rule]:
    return [rule for rule in workflow_rules() if rule.conda is not None]


def env_files() -> list[Path]:
    return sorted(ENVS.glob("*.yaml")) + sorted(ENVS.glob("*.yml"))


def test_rules_found():
    """The parser sees the rules of every rule file, also those inside `if` blocks (validation)."""
    names = {rule.name for rule in workflow_rules()}
    assert {"parse_run", "extract_species", "make_windows", "train_mdgan", "generate_mdgan",
            "msd_generated", "validation_train_mdgan", "validation_compare"} <= names


@pytest.mark.parametrize("rule", [r for r in workflow_rules() if r.actions], ids=lambda r: r.name)
def test_every_rule_that_runs_code_has_an_existing_env(rule):
    assert rule.conda is not None, f"rule {rule.name} ({rule.smk.name}) has no conda: directive"
    assert rule.conda.parent == ENVS, f"rule {rule.name}: conda: {rule.conda} is not in envs/"
    assert rule.conda.is_file(), f"rule {rule.name}: conda env {rule.conda} does not exist"


def test_every_env_file_is_used():
    used = {rule.conda for rule in rules_with_env()}
    unused = [p.name for p in env_files() if p not in used]
    assert not unused, f"env files no rule uses: {unused}"


@pytest.mark.parametrize("env", env_files(), ids=lambda p: p.name)
def test_env_is_pinned_conda_forge(env):
    spec = env_spec(env)
    assert spec["channels"] == ["conda-forge", "nodefaults"], f"{env.name}: channels must be conda-forge only"
    for name, version in conda_packages(env).items():
        exact = r"\d+\.\d+" if name == "python" else r"\d+(\.\d+)+"
        assert re.fullmatch(exact, version), f"{env.name}: {name} is not pinned to one version ({version!r})"


def test_pins_agree_across_envs_and_with_pyproject():
    versions: dict[str, dict[str, str]] = {}
    for env in env_files():
        for name, version in conda_packages(env).items():
            versions.setdefault(name, {})[env.name] = version
    for name, by_env in versions.items():
        assert len(set(by_env.values())) == 1, f"{name} pinned differently: {by_env}"
    project = pyproject()["project"]
    python = versions["python"][next(iter(versions["python"]))]
    assert Requirement(f"python{project['requires-python']}").specifier.contains(f"{python}.0")
    for req in package_requirements(set(project["optional-dependencies"])):
        name = PYPI_TO_CONDA.get(req.name.lower(), req.name.lower())
        if name in versions:
            version = next(iter(versions[name].values()))
            assert req.specifier.contains(version), f"{name}={version} outside pyproject's {req}"


@pytest.mark.parametrize("env", env_files(), ids=lambda p: p.name)
def test_env_installs_the_project_package_editable_from_the_project_root(env):
    entries = pip_entries(env)
    assert len(entries) == 1, f"{env.name}: expected one pip entry (the project's package), got {entries}"
    match = re.fullmatch(r"-e (\S+?)(?:\[([\w,]+)\])?", entries[0])
    assert match, f"{env.name}: pip entry must be '-e <path>[extras]', got {entries[0]!r}"
    # conda runs pip in the directory of the env file it was given: Snakemake's copy of it
    target = (SNAKEMAKE_ENV_COPY_DIR / match.group(1)).resolve()
    assert target == ROOT, f"{env.name}: pip path {match.group(1)} reaches {target}, not the project root"
    extras = set(filter(None, (match.group(2) or "").split(",")))
    assert extras <= set(pyproject()["project"]["optional-dependencies"]), f"{env.name}: unknown extras {extras}"
    # pip must find every dependency of the package already installed by conda
    listed = set(conda_packages(env))
    missing = [str(r) for r in package_requirements(extras) if PYPI_TO_CONDA.get(r.name.lower(), r.name.lower()) not in listed]
    assert not missing, f"{env.name}: pip would fetch {missing} from PyPI; list them pinned"


@pytest.mark.parametrize("env", env_files(), ids=lambda p: p.name)
def test_env_lists_what_its_rules_import_and_nothing_else(env):
    rules = [rule for rule in rules_with_env() if rule.conda == env]
    needed: dict[str, str] = {}
    for rule in rules:
        if rule.script is not None:
            for module, files in third_party_imports(rule.script).items():
                needed.setdefault(conda_name(module), f"rule {rule.name}: {module} imported by {files[0]}")
    listed = set(conda_packages(env))
    missing = {pkg: why for pkg, why in needed.items() if pkg not in listed}
    assert not missing, f"{env.name} lacks {missing}"
    match = re.fullmatch(r"-e \S+?(?:\[([\w,]+)\])?", pip_entries(env)[0])
    extras = set(filter(None, (match.group(1) or "").split(",")))
    for_pip = {PYPI_TO_CONDA.get(r.name.lower(), r.name.lower()) for r in package_requirements(extras)}
    extra = listed - set(needed) - for_pip - ALWAYS
    assert not extra, f"{env.name} lists {sorted(extra)}, which none of its rules ({[r.name for r in rules]}) imports"


def test_import_scan_follows_the_package(tmp_path):
    """The scanner reaches third-party imports through mdgan modules and skips optional ones."""
    found = third_party_imports(ROOT / "workflow" / "scripts" / "make_windows.py")
    assert {"numpy", "pandas"} <= set(found)
    assert "torch" not in found  # mdgan.smk imports torch only inside try/except ImportError
    script = tmp_path / "script.py"
    script.write_text("from mdgan.extract import load_tracks\nimport json\n")
    assert set(third_party_imports(script)) == {"numpy", "ase"}
