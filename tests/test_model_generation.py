"""Generation: chunked equals one-shot, output layout, start positions drawn from the MD."""

import json

import numpy as np
import pytest
import torch

from mdgan.errors import InputError
from mdgan.extract import IonTracks
from mdgan.model.generation import checkpoint_ranges, generate, generate_positions, start_positions
from mdgan.model.networks import build_networks
from mdgan.model.settings import GenerationSettings, ModelSettings

MODEL = ModelSettings(latent_dim=4, segments=2, latent_width=8, decoder_width=8, critic_width=8,
                      critic_pointwise_width=4, relaxation_steps=2)
STATS = {"mean_ang": [0.01, -0.02, 0.0], "std_ang": [0.1, 0.2, 0.3], "step_skip": 2, "record_dt_ps": 0.04,
         "window_records": 8}
CPU = torch.device("cpu")


def generators(n):
    torch.manual_seed(1)
    return [build_networks(MODEL, STATS["window_records"])[0].eval() for _ in range(n)]


def tracks(seed=0, n_frames=6, n_ions=3):
    rng = np.random.default_rng(seed)
    cell = np.diag([5.0, 6.0, 7.0])
    return IonTracks(
        positions_ang=rng.uniform(-8, 12, (n_frames, n_ions, 3)),
        time_ps=np.arange(n_frames) * 0.02,
        cell_ang=np.repeat(cell[None], n_frames, axis=0),
        frame_dt_fs=20.0, temperature_k=600.0, species="Li", source="synthetic",
    )


@pytest.mark.parametrize("n_checkpoints", [1, 2])
def test_chunked_equals_one_shot(tmp_path, n_checkpoints):
    gens = generators(n_checkpoints)
    starts = np.random.default_rng(3).normal(size=(10, 3))
    one = GenerationSettings(n_ions=10, n_steps=2 * 23, chunk_ions=10, chunk_records=10_000, rng_block_ions=2, seed=5)
    chunked = GenerationSettings(n_ions=10, n_steps=2 * 23, chunk_ions=4, chunk_records=5, rng_block_ions=2, seed=5)
    n = generate_positions(gens, STATS, starts, one, tmp_path / "one.npy", CPU, progress=False)
    generate_positions(gens, STATS, starts, chunked, tmp_path / "chunked.npy", CPU, progress=False)
    a, b = np.load(tmp_path / "one.npy"), np.load(tmp_path / "chunked.npy")
    assert n == 23 and a.shape == (10, 23, 3) and a.dtype == np.float32
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    np.testing.assert_allclose(a[:, 0], starts, atol=1e-6)
    assert not list(tmp_path.glob(".*partial*"))


def test_another_seed_gives_other_paths(tmp_path):
    gens = generators(1)
    starts = np.zeros((4, 3))
    for seed in (0, 1):
        s = GenerationSettings(n_ions=4, n_steps=20, chunk_ions=4, rng_block_ions=2, seed=seed)
        generate_positions(gens, STATS, starts, s, tmp_path / f"{seed}.npy", CPU, progress=False)
    assert not np.allclose(np.load(tmp_path / "0.npy"), np.load(tmp_path / "1.npy"))


def test_increments_are_destandardised(tmp_path):
    """The steps between records are the decoder's output times std plus mean."""
    gens = generators(1)
    s = GenerationSettings(n_ions=512, n_steps=2 * 9, chunk_ions=512, rng_block_ions=256, seed=0)
    generate_positions(gens, STATS, np.zeros((512, 3)), s, tmp_path / "p.npy", CPU, progress=False)
    steps = np.diff(np.load(tmp_path / "p.npy"), axis=1).reshape(-1, 3)
    with torch.no_grad():
        raw = gens[0].decoder(torch.randn(4096, MODEL.latent_dim), torch.randn(4096, 4, 3)).reshape(-1, 3).numpy()
    np.testing.assert_allclose(steps.std(axis=0) / raw.std(axis=0), STATS["std_ang"], rtol=0.25)


def test_checkpoints_share_the_ions_in_contiguous_blocks():
    assert checkpoint_ranges(10, 2, 2, (0, 10)) == [(0, 0, 6), (1, 6, 10)]
    assert checkpoint_ranges(10, 2, 2, (4, 8)) == [(0, 4, 6), (1, 6, 8)]
    assert checkpoint_ranges(10, 1, 2, (8, 10)) == [(0, 8, 10)]


def test_chunk_must_hold_whole_blocks(tmp_path):
    s = GenerationSettings(n_ions=10, n_steps=20, chunk_ions=5, rng_block_ions=2)
    with pytest.raises(InputError, match="chunk_ions"):
        generate_positions(generators(1), STATS, np.zeros((10, 3)), s, tmp_path / "p.npy", CPU, progress=False)


def test_starts_are_md_positions_wrapped_into_the_cell():
    runs = [tracks(0), tracks(1, n_frames=4, n_ions=2)]
    starts = start_positions(runs, 200, seed=7)
    candidates = []
    for t in runs:
        frac = t.positions_ang.reshape(-1, 3) @ np.linalg.inv(t.cell_ang[0])
        candidates.append((frac - np.floor(frac)) @ t.cell_ang[0])
    candidates = np.concatenate(candidates)
    distance = np.linalg.norm(starts[:, None] - candidates[None], axis=-1).min(axis=1)
    assert distance.max() < 1e-9
    assert len({tuple(s) for s in starts.round(9)}) > 10  # drawn, not one repeated
    np.testing.assert_array_equal(starts, start_positions(runs, 200, seed=7))


def test_generate_returns_the_contract_meta(tmp_path):
    s = GenerationSettings(n_ions=6, n_steps=31, chunk_ions=4, rng_block_ions=2, seed=3)
    meta = generate(list(zip([100], generators(1))), STATS, [tracks()], s, tmp_path / "p.npy", CPU, progress=False)
    assert meta["n_records"] == 15 and meta["step_skip"] == 2 and meta["record_dt_ps"] == 0.04
    assert meta["checkpoints"] == [100] and meta["n_ions"] == 6 and meta["n_steps"] == 31
    assert meta["settings"]["chunk_ions"] == 4
    json.dumps(meta)
    assert np.load(tmp_path / "p.npy").shape == (6, 15, 3)
