"""What the validation rules need from the config, computed once when the workflow is parsed
(workflow/rules/validation.smk)."""

from __future__ import annotations

from mdgan.validation.split import PARTS, parse_split, piece_params, runs_of
from mdgan.workflow.replicas import RUNTIME_KEYS, replica_training


def validation_plan(config: dict, results: str) -> dict:
    """Per part: ``pieces`` (plain values for params), ``runs`` and ``tracks`` (their li_unwrapped.npz);
    ``training_settings``: the training section with the validation's replacements (runtime keys
    dropped); ``replica_training``: per replicate model (``replicas`` of that section) its training
    settings (:func:`mdgan.workflow.replicas.replica_training`: seed + replica);
    ``generation_settings``: the generation section with the validation's ions and steps
    (``checkpoints`` set by the rule). Refuses a bad split, an unknown training key or no replica."""
    v = config["validation"]
    split = parse_split(v["split"], config["runs"])
    plan = {
        part: {
            "pieces": piece_params(split[part]),
            "runs": runs_of(split[part]),
            "tracks": [f"{results}/md/{run}/li_unwrapped.npz" for run in runs_of(split[part])],
        }
        for part in PARTS
    }
    unknown = sorted(set(v["training"]) - set(config["training"]))
    if unknown:
        raise ValueError(f"config key validation.training: unknown training keys {unknown}")
    training = {**config["training"], **v["training"]}
    if training["replicas"] < 1:
        raise ValueError(
            f"config key validation.training.replicas: at least 1 replicate model, got {training['replicas']}"
        )
    plan["training_settings"] = {k: val for k, val in training.items() if k not in RUNTIME_KEYS}
    plan["replica_training"] = [replica_training(training, r) for r in range(training["replicas"])]
    generation = {k: val for k, val in config["generation"].items() if k not in RUNTIME_KEYS}
    generation["n_ions"] = v["generation"]["n_ions"]
    generation["n_steps"] = v["generation"]["n_steps"] or config["generation"]["n_steps"]
    plan["generation_settings"] = generation
    return plan
