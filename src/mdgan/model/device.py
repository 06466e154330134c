"""The compute device, chosen once per job."""

from __future__ import annotations

import torch

from mdgan.errors import InputError


def choose_device(name: str = "auto") -> torch.device:
    """``auto``: the first CUDA GPU where one is present, else the CPU; or any torch device name."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as err:
        raise InputError(f"config key device: {name!r} is not a torch device ({err})") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"config key device: {name!r} asks for CUDA, but torch sees no CUDA GPU")
    return device
