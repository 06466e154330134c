"""The training settings of one replicate model, for the main workflow and the validation alike."""

from __future__ import annotations

RUNTIME_KEYS = ("device", "threads")  # where a job runs: rules pass them on their own


def replica_training(training: dict, replica: int) -> dict:
    """The training section replica ``replica`` trains with: seed + replica, without ``replicas`` (so
    that adding a replica leaves the trained ones as they are) and without the runtime keys."""
    settings = {k: v for k, v in training.items() if k not in (*RUNTIME_KEYS, "replicas")}
    settings["seed"] = training["seed"] + replica
    return settings
