"""The trained generator file (``model/generator.pt``): checkpoints, settings, standardisation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from mdgan.atomic_io import atomic_write
from mdgan.model.networks import Generator, segment_records
from mdgan.model.settings import ModelSettings, TrainingSettings, model_dict, settings_from_dict, training_dict


def save_generator(
    path: str | Path,
    checkpoints: list[tuple[int, dict]],
    model: ModelSettings,
    training: TrainingSettings,
    standardization: dict,
) -> None:
    """Write generator checkpoints ((iteration, state_dict), the final one last) with what generation
    needs to decode them."""
    stats = {k: np.asarray(v).tolist() if isinstance(v, np.ndarray) else v for k, v in standardization.items()}
    with atomic_write(path) as tmp:
        torch.save(
            {
                "model": model_dict(model),
                "training": training_dict(training),
                "standardization": stats,
                "checkpoint_iterations": [it for it, _ in checkpoints],
                "checkpoints": [sd for _, sd in checkpoints],
            },
            tmp,
        )


def load_generators(
    path: str | Path, n_checkpoints: int, device: torch.device
) -> tuple[list[tuple[int, Generator]], dict]:
    """The last ``n_checkpoints`` saved generators (iteration, network in eval mode on ``device``) and
    the standardisation of the training data."""
    saved = torch.load(path, map_location="cpu", weights_only=True)
    stats = saved["standardization"]
    model = settings_from_dict(ModelSettings, saved["model"])
    L = segment_records(stats["window_records"], model.segments)
    pairs = list(zip(saved["checkpoint_iterations"], saved["checkpoints"]))[-n_checkpoints:]
    generators = []
    for iteration, state_dict in pairs:
        g = Generator(model, L)
        g.load_state_dict(state_dict)
        generators.append((iteration, g.to(device).eval()))
    return generators, stats
