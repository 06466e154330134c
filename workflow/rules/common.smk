# Config validation and helpers shared by the rule files.

from pathlib import Path

from snakemake.utils import validate

from mdgan.io import run_temperature_k
from mdgan.workflow.code import script_code as _script_code
from mdgan.workflow.conditions import group_by_temperature
from mdgan.workflow.gpu import gpu_tokens
from mdgan.workflow.replicas import replica_training

# A config given on the command line (--configfile) names its own runs: they replace the
# bundled example's runs instead of being merged with them.
_cli_config = workflow.config_settings.overwrite_config or {}
if "runs" in _cli_config:
    config["runs"] = _cli_config["runs"]

validate(config, schema="../schemas/config.schema.yaml")

RESULTS = "results"
PACKAGE_SRC = Path(workflow.basedir) / "src"  # the mdgan package the scripts run


def _check_config(cfg):
    """Checks the schema cannot express: files exist, window fits."""
    for name, run in cfg["runs"].items():
        if not Path(run["path"]).is_file():
            made_by = "; it is made by a script of resources/synthetic/ (its README)"
            raise ValueError(
                f"config key runs.{name}.path: no such file: {run['path']!r}"
                + (made_by if "resources/synthetic/" in run["path"] else "")
            )


_check_config(config)


def _run_temperature_k(run):
    settings = config["runs"][run]
    return run_temperature_k(
        settings["path"], settings.get("format"), settings.get("temperature_k")
    )


# The runs grouped by temperature (mdgan.workflow.conditions): one condition keeps the
# single-temperature layout under results/; a temperature series puts each condition's windows,
# models, generated series and analysis under results/<T>K/ (the {condition} wildcard) and adds the
# Arrhenius analysis (arrhenius.smk).
CONDITIONS = group_by_temperature(
    {run: _run_temperature_k(run) for run in config["runs"]},
    config["conditions"]["temperature_tolerance_k"],
)
CONDITION = {c.name: c for c in CONDITIONS}
SERIES = len(CONDITIONS) > 1
COND = f"{RESULTS}/{{condition}}" if SERIES else RESULTS
# the report groups a series by temperature
REPORT_SUBCATEGORY = "{condition}" if SERIES else None

if SERIES:

    wildcard_constraints:
        condition="|".join(CONDITION),


def condition_of(wildcards):
    """The condition of a job (the only one outside a temperature series)."""
    return CONDITION[wildcards.condition] if SERIES else CONDITIONS[0]


def condition_runs(wildcards):
    """Names of the job's condition's runs, in the config's order."""
    return list(condition_of(wildcards).runs)


def condition_tracks(wildcards):
    """The Li tracks of the job's condition's runs."""
    return [f"{RESULTS}/md/{run}/li_unwrapped.npz" for run in condition_runs(wildcards)]


def every_condition(pattern):
    """``pattern`` (under COND) for every condition."""
    return expand(pattern, condition=list(CONDITION)) if SERIES else [pattern]


def script_code(script):
    """The package source files ``workflow/scripts/<script>`` runs (its import closure in mdgan),
    declared as the rule's ``code`` input: an edit of any of them reruns the rule and what follows.
    """
    return _script_code(
        Path(workflow.basedir) / "workflow" / "scripts" / script, PACKAGE_SRC
    )


def run_settings(run):
    """The reader's arguments for one run, as plain values (a params: entry); ``method`` is a
    description for the conditions table, not read by the reader."""
    settings = config["runs"][run]
    return {
        key: settings.get(key)
        for key in ("path", "format", "timestep_fs", "temperature_k")
    }


def run_input_files(wildcards):
    """Every file the reader of a run opens: touching one reruns that run's parsing."""
    from mdgan.io import input_files

    s = run_settings(wildcards.run)
    return [str(p) for p in input_files(s["path"], s["format"])]


def config_without_runtime(section):
    """A config section minus the keys that choose where a job runs (device, threads), which rules
    pass on their own (device as a param, threads as threads)."""
    return {k: v for k, v in config[section].items() if k not in ("device", "threads")}


def matched_windows(training):
    """Windows whose MSD and alpha2 statistic matching fits to the training runs (0 when it is off):
    lags up to there are fitted, not predicted."""
    matching = training["match_weight"] > 0 or training["match_alpha2_weight"] > 0
    return training["match_windows"] if matching else 0


def final_targets():
    per_condition = [
        f"{COND}/dataset/windows.npz",
        f"{COND}/dataset/step_skip_table.csv",
        *expand(
            f"{COND}/model/replica{{replica}}/training_log.csv",
            replica=range(config["training"]["replicas"]),
            allow_missing=True,
        ),
        f"{COND}/generated/meta.json",
    ]
    # analysis and report (workflow/rules/analysis.smk, report.smk)
    per_condition += [
        f"{COND}/analysis/{name}.csv"
        for name in ("msd_md", "msd_generated", "diffusion", "comparison")
    ]
    per_condition += [
        f"{COND}/figures/{name}.{ext}" for name in FIGURES for ext in ("png", "pdf")
    ]
    per_condition += [f"{COND}/analysis/conditions.csv"]
    targets = [path for pattern in per_condition for path in every_condition(pattern)]
    # the temperature series (workflow/rules/arrhenius.smk)
    if SERIES:
        targets += ARRHENIUS_TARGETS
    # held-out validation (workflow/rules/validation.smk)
    if config["validation"]["enabled"]:
        targets += [f"{RESULTS}/validation/comparison.csv"]
    return targets
