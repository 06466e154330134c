"""Resumable training state: saved atomically, resumed only when made with the same settings and data.

The fingerprint covers the model and training settings except ``iterations`` (raising it continues a
finished training exactly as a longer run would go), the training data's values and the code the
training runs (:func:`training_code_digest`): a state made by other code is not resumed, so a rerun
after a code edit equals a fresh run. The keys of an off-by-default lever (coarse critics, van Hove
matching, latent renewal) enter it only when that lever is on.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import numpy as np
import torch

from mdgan.atomic_io import atomic_write
from mdgan.model.settings import ModelSettings, TrainingSettings, model_dict, training_dict
from mdgan.workflow.code import code_digest, script_code

STATE_FILE = "state.pt"


@cache
def training_code_digest() -> str:
    """:func:`mdgan.workflow.code.code_digest` of every ``mdgan`` module the training runs (the import
    closure of ``mdgan.model.training``, the files its rule declares as code)."""
    import mdgan.model.training

    src = Path(mdgan.model.training.__file__).parents[2]
    return code_digest(script_code(mdgan.model.training.__file__, src), src)


def fingerprint(model: ModelSettings, training: TrainingSettings, standardization: dict, *data: np.ndarray) -> str:
    """sha256 over the settings that shape the training, the code it runs and the training data's
    values (``data``: the windows, and the whole series with its track lengths when the training
    matches statistics or uses coarse critics)."""
    settings = {"model": model_dict(model), "training": training_dict(training)}
    del settings["training"]["iterations"]
    stats = {k: np.asarray(v).tolist() if isinstance(v, np.ndarray) else v for k, v in standardization.items()}
    h = hashlib.sha256(json.dumps([settings, stats, training_code_digest()], sort_keys=True).encode())
    for array in data:
        h.update(str((array.shape, str(array.dtype))).encode())
        h.update(np.ascontiguousarray(array).data)
    return h.hexdigest()


def rng_state(device: torch.device) -> dict:
    """Every random stream the training draws from: torch's CPU generator and the device's."""
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state: dict, device: torch.device) -> None:
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


def save_state(state_dir: str | Path, state: dict) -> None:
    """Write ``state_dir/state.pt`` atomically (a kill mid-write keeps the previous state)."""
    with atomic_write(Path(state_dir) / STATE_FILE) as tmp:
        torch.save(state, tmp)


def load_state(state_dir: str | Path, expected_fingerprint: str, log=None) -> dict | None:
    """The saved state if there is one made with ``expected_fingerprint``, else None (logged)."""
    path = Path(state_dir) / STATE_FILE
    if not path.is_file():
        return None
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state.get("fingerprint") != expected_fingerprint:
        if log:
            log.info("%s was made with other settings, data or code: training starts afresh", path)
        return None
    return state
