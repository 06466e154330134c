"""GPU tokens of a job for Snakemake's local scheduler (the ``gpu`` resource of ``--resources gpu=N``)."""

from __future__ import annotations

from pathlib import Path

NVIDIA_DEVICE = Path("/dev/nvidia0")


def gpu_tokens(device: str, nvidia_device: Path = NVIDIA_DEVICE) -> int:
    """1 for a job that will run on a GPU: ``device`` names CUDA, or is ``auto`` on a machine with an
    NVIDIA GPU (its device file exists); else 0, so that CPU jobs (the replicas' trainings on a machine
    without a GPU) run side by side, limited only by their threads. The SLURM profile sets the GPU
    request of each rule itself."""
    if device == "auto":
        return int(nvidia_device.exists())
    return int(device.startswith("cuda"))
