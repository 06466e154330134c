"""Long trajectories from trained generators, streamed to an ``.npy`` file in chunks of ions and records.

Every block of ``rng_block_ions`` ions draws its noise from its own generator seeded from (seed, block),
so the output for a seed is the same whatever ``chunk_ions`` and ``chunk_records`` are. Memory is
bounded by one chunk of ions times one chunk of records, whatever the length.

With ``zero_mean`` the increments are de-standardised without the data's mean and each checkpoint's
own mean increment, measured on all the ions it generated, is removed afterwards (mdgan.model.drift):
the ensemble carries no collective drift, which the physics (framework drift removed) forbids.
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from mdgan.errors import InputError
from mdgan.extract import IonTracks
from mdgan.model.check import destandardise
from mdgan.model.drift import ensemble_drift, remove_mean_increment
from mdgan.model.networks import Generator
from mdgan.model.noise import START_STREAM, BlockNoise
from mdgan.model.settings import GenerationSettings, settings_dict
from mdgan.model.symmetry import generator_frame_correlation, generator_frame_msd, ion_axis_maps


def start_positions(tracks: list[IonTracks], n_ions: int, seed: int) -> np.ndarray:
    """Start of every generated ion, (n_ions, 3) A: a Li position drawn uniformly over every run, frame
    and ion of the MD, wrapped into the cell of its frame."""
    counts = np.array([t.n_frames * t.n_ions for t in tracks])
    if counts.sum() == 0:
        raise InputError("the MD tracks hold no ion position to start generated trajectories from")
    draws = np.random.default_rng([seed, START_STREAM]).integers(counts.sum(), size=n_ions)
    run_of = np.searchsorted(np.cumsum(counts), draws, side="right")
    starts = np.empty((n_ions, 3))
    for r, t in enumerate(tracks):
        picked = run_of == r
        local = draws[picked] - (counts[:r].sum())
        frame, ion = np.divmod(local, t.n_ions)
        cells = t.cell_ang[frame]
        pos = t.positions_ang[frame, ion]
        frac = np.einsum("ni,nij->nj", pos, np.linalg.inv(cells))
        starts[picked] = np.einsum("nj,njk->nk", frac - np.floor(frac), cells)
    return starts


def checkpoint_ranges(
    n_ions: int, n_checkpoints: int, block_ions: int, chunk: tuple[int, int]
) -> list[tuple[int, int, int]]:
    """(checkpoint index, first ion, stop ion) covering ions [chunk); whole blocks are split evenly
    over the checkpoints in order, so each checkpoint makes a contiguous share of the ions."""
    n_blocks = math.ceil(n_ions / block_ions)
    ranges: list[tuple[int, int, int]] = []
    for start in range(chunk[0], chunk[1], block_ions):
        c = (start // block_ions) * n_checkpoints // n_blocks
        stop = min(start + block_ions, chunk[1])
        if ranges and ranges[-1][0] == c:
            ranges[-1] = (c, ranges[-1][1], stop)
        else:
            ranges.append((c, start, stop))
    return ranges


def _generate_range(
    generator: Generator,
    out: np.ndarray,
    first: int,
    stop: int,
    starts_ang: np.ndarray,
    mean_ang: torch.Tensor,
    std_ang: torch.Tensor,
    settings: GenerationSettings,
    maps: np.ndarray | None,
    bar: tqdm,
) -> None:
    """Ions [first, stop) of ``out`` (ions, records, 3): start, then the cumulative sum of generated
    increments de-standardised with ``mean_ang`` and ``std_ang`` (A per record), their axes exchanged
    and reversed per ion as ``maps`` ((stop - first, 3, 3) from :mod:`mdgan.model.symmetry`, or None) says."""
    device = mean_ang.device
    n_ions, n_records = stop - first, out.shape[1]
    L = generator.segment_records
    segments_per_chunk = max(1, settings.chunk_records // L)
    noise = BlockNoise(device, settings.seed, first, stop, settings.rng_block_ions)
    out[first:stop, 0] = starts_ang[first:stop]
    carry = torch.tensor(starts_ang[first:stop], dtype=torch.float64, device=device)  # a copy: updated in place
    if maps is not None:
        maps = torch.as_tensor(maps, dtype=torch.float32, device=device)
    z = generator.relax(n_ions, noise)
    record = 1
    while record < n_records:
        n = min(segments_per_chunk * L, n_records - record)
        z, series = generator.rollout(z, math.ceil(n / L), noise)
        # float32 sums within a chunk, float64 carry between chunks: exact enough, cheap on any device
        local = destandardise(series[:, :n], mean_ang, std_ang)
        if maps is not None:
            local = torch.einsum("ikj,irj->irk", maps, local)
        local = local.cumsum(dim=1)
        out[first:stop, record : record + n] = (local + carry.float()[:, None, :]).cpu().numpy()
        carry += local[:, -1]
        record += n
        bar.update(n_ions * n)


def generate_positions(
    generators: list[Generator],
    standardization: dict,
    starts_ang: np.ndarray,
    settings: GenerationSettings,
    path: str | Path,
    device: torch.device,
    progress: bool = True,
) -> tuple[int, list[list[float]]]:
    """Write (n_ions, n_steps // step_skip, 3) float32 unwrapped positions (A) to ``path`` (.npy),
    ion i starting at ``starts_ang[i]``; generators (checkpoints) are pooled over contiguous shares
    of the ions. The file appears only when complete. Returns the number of records and, per
    checkpoint, the mean increment removed (A per record; zeros without ``zero_mean``)."""
    s = settings
    n_records = s.n_steps // int(standardization["step_skip"])
    if n_records < 1:
        raise InputError(f"config key generation.n_steps: {s.n_steps} frames give no record at step_skip "
                         f"{standardization['step_skip']}")
    if s.chunk_ions % s.rng_block_ions:
        raise InputError(f"config key generation.chunk_ions: {s.chunk_ions} is not a multiple of "
                         f"generation.rng_block_ions ({s.rng_block_ions})")
    data_mean = np.zeros(3) if s.zero_mean else np.asarray(standardization["mean_ang"])
    mean = torch.as_tensor(data_mean, dtype=torch.float32, device=device)
    std = torch.as_tensor(np.asarray(standardization["std_ang"]), dtype=torch.float32, device=device)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
    maps = ion_axis_maps(s.equivalent_axes, s.mirror_axes, 0, s.n_ions)
    try:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(s.n_ions, n_records, 3))
        bar = tqdm(total=s.n_ions * (n_records - 1), file=sys.stderr, mininterval=10, disable=not progress,
                   desc="generate", unit="ion-record", unit_scale=True)
        with torch.inference_mode():
            for chunk_start in range(0, s.n_ions, s.chunk_ions):
                chunk = (chunk_start, min(chunk_start + s.chunk_ions, s.n_ions))
                for c, first, stop in checkpoint_ranges(s.n_ions, len(generators), s.rng_block_ions, chunk):
                    _generate_range(generators[c], out, first, stop, starts_ang, mean, std, s,
                                    None if maps is None else maps[first:stop], bar)
        bar.close()
        shares = checkpoint_shares(s.n_ions, len(generators), s.rng_block_ions)
        removed = (remove_mean_increment(out, shares, s.chunk_ions, s.chunk_records, maps) if s.zero_mean
                   else [[0.0, 0.0, 0.0] for _ in shares])
        out.flush()
        del out
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return n_records, removed


def checkpoint_shares(n_ions: int, n_checkpoints: int, block_ions: int) -> list[tuple[int, int]]:
    """[first, stop) of the ions each checkpoint generates, in checkpoint order."""
    shares: dict[int, tuple[int, int]] = {}
    for c, first, stop in checkpoint_ranges(n_ions, n_checkpoints, block_ions, (0, n_ions)):
        shares[c] = (shares[c][0], stop) if c in shares else (first, stop)
    return [shares[c] for c in sorted(shares)]


def generation_meta(
    standardization: dict,
    settings: GenerationSettings,
    n_records: int,
    checkpoint_iterations: list[int],
    removed_ang: list[list[float]],
    drift: list[dict],
    wall_time_s: float,
) -> dict:
    """The contract's ``generated/meta.json``, plus the mean increment (A per record) removed from each
    checkpoint's output (``mean_correction_ang``) and the ensemble's mean displacement from the start
    with its standard error over ions (``drift_check``, mdgan.model.drift.ensemble_drift);
    :func:`generate` adds ``replicas`` and ``device``."""
    return {
        "record_dt_ps": float(standardization["record_dt_ps"]),
        "step_skip": int(standardization["step_skip"]),
        "n_steps": settings.n_steps,
        "n_records": n_records,
        "n_ions": settings.n_ions,
        "checkpoints": checkpoint_iterations,
        "mean_correction_ang": removed_ang,
        "drift_check": drift,
        "seed": settings.seed,
        "settings": settings_dict(settings),
        "wall_time_s": wall_time_s,
    }


def replica_ions(n_ions: int, checkpoints_per_replica: list[int], block_ions: int) -> list[tuple[int, int]]:
    """[first, stop) of the ions each replica generates: its checkpoints' shares, contiguous."""
    n_generators = sum(checkpoints_per_replica)
    if math.ceil(n_ions / block_ions) < n_generators:
        raise InputError(f"generation.n_ions: {n_ions} ions in blocks of {block_ions} (generation.rng_block_ions) "
                         f"cannot give each of {n_generators} generators (replicas x checkpoints) a share")
    shares = checkpoint_shares(n_ions, n_generators, block_ions)
    bounds = np.cumsum([0, *checkpoints_per_replica])
    return [(shares[a][0], shares[b - 1][1]) for a, b in zip(bounds[:-1], bounds[1:])]


def generate(
    replicas: list[list[tuple[int, Generator]]],
    standardization: dict,
    tracks: list[IonTracks],
    settings: GenerationSettings,
    path: str | Path,
    device: torch.device,
    progress: bool = True,
) -> dict:
    """Start positions from the MD, the positions file, and its meta data (returned). ``replicas``:
    per replica its checkpoints (iteration, network); each replica generates an equal, contiguous
    share of the ions, its checkpoints in turn an equal share of that (``meta["replicas"]``). With
    ``settings.equivalent_axes`` or ``mirror_axes``, ``meta["generator_frame_msd_ang2"]`` holds the
    per-axis MSD and ``meta["generator_frame_axis_correlation"]`` the xy, xz, yz correlation of the
    displacement over the whole series in the generator's own axes
    (:mod:`mdgan.model.symmetry`): what the maps averaged away."""
    t0 = time.perf_counter()
    ions = replica_ions(settings.n_ions, [len(r) for r in replicas], settings.rng_block_ions)
    starts = start_positions(tracks, settings.n_ions, settings.seed)
    networks = [g for checkpoints in replicas for _, g in checkpoints]
    n_records, removed = generate_positions(networks, standardization, starts, settings, path, device, progress)
    drift = ensemble_drift(np.load(path, mmap_mode="r"))
    iterations = [it for checkpoints in replicas for it, _ in checkpoints]
    meta = generation_meta(standardization, settings, n_records, iterations, removed, drift, time.perf_counter() - t0)
    meta["replicas"] = [{"replica": r, "checkpoints": [it for it, _ in checkpoints], "ions": list(share)}
                        for r, (checkpoints, share) in enumerate(zip(replicas, ions))]
    if settings.equivalent_axes or settings.mirror_axes:
        positions = np.load(path, mmap_mode="r")
        meta["generator_frame_msd_ang2"] = generator_frame_msd(positions, settings.equivalent_axes, settings.mirror_axes)
        meta["generator_frame_axis_correlation"] = generator_frame_correlation(
            positions, settings.equivalent_axes, settings.mirror_axes)
    meta["device"] = str(device)
    return meta
