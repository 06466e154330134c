# Config validation and helpers shared by the rule files.

from pathlib import Path

from snakemake.utils import validate

from mdgan.workflow.code import script_code as _script_code
from mdgan.workflow.gpu import gpu_tokens

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
            raise ValueError(
                f"config key runs.{name}.path: no such file: {run['path']!r}"
            )


_check_config(config)


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


def replica_training(replica):
    """The training section one replica trains with: seed + replica, without ``replicas`` (so that
    adding a replica leaves the trained ones as they are) and the runtime keys."""
    settings = {
        k: v for k, v in config_without_runtime("training").items() if k != "replicas"
    }
    settings["seed"] = config["training"]["seed"] + replica
    return settings


def matched_windows(training):
    """Windows whose MSD and alpha2 statistic matching fits to the training runs (0 when it is off):
    lags up to there are fitted, not predicted."""
    matching = training["match_weight"] > 0 or training["match_alpha2_weight"] > 0
    return training["match_windows"] if matching else 0


def final_targets():
    targets = [
        f"{RESULTS}/dataset/windows.npz",
        f"{RESULTS}/dataset/step_skip_table.csv",
        *expand(
            f"{RESULTS}/model/replica{{replica}}/training_log.csv",
            replica=range(config["training"]["replicas"]),
        ),
        f"{RESULTS}/generated/meta.json",
    ]
    # analysis and report (workflow/rules/analysis.smk, report.smk)
    targets += [
        f"{RESULTS}/analysis/{name}.csv"
        for name in ("msd_md", "msd_generated", "diffusion", "comparison")
    ]
    targets += [
        f"{RESULTS}/figures/{name}.{ext}" for name in FIGURES for ext in ("png", "pdf")
    ]
    targets += [f"{RESULTS}/analysis/conditions.csv"]
    # held-out validation (workflow/rules/validation.smk)
    if config["validation"]["enabled"]:
        targets += [f"{RESULTS}/validation/comparison.csv"]
    return targets
