"""Generation: chunked equals one-shot, output layout, start positions drawn from the MD."""

import dataclasses
import json

import numpy as np
import pytest
import torch

from mdgan.errors import InputError
from mdgan.extract import IonTracks
from mdgan.model.generation import (
    checkpoint_ranges,
    generate,
    generate_positions,
    replica_ions,
    start_positions,
)
from mdgan.model.drift import ensemble_drift, remove_mean_increment
from mdgan.model.networks import build_networks
from mdgan.model.settings import GenerationSettings, ModelSettings

MODEL = ModelSettings(latent_dim=4, segments=2, latent_width=8, decoder_width=8, critic_width=8,
                      critic_pointwise_width=4, relaxation_steps=2)
STATS = {"mean_ang": [0.01, -0.02, 0.0], "std_ang": [0.1, 0.2, 0.3], "step_skip": 2, "record_dt_ps": 0.04,
         "window_records": 8}
CPU = torch.device("cpu")


def generators(n, model=MODEL):
    torch.manual_seed(1)
    return [build_networks(model, STATS["window_records"])[0].eval() for _ in range(n)]


def tracks(seed=0, n_frames=6, n_ions=3):
    rng = np.random.default_rng(seed)
    cell = np.diag([5.0, 6.0, 7.0])
    return IonTracks(
        positions_ang=rng.uniform(-8, 12, (n_frames, n_ions, 3)),
        time_ps=np.arange(n_frames) * 0.02,
        cell_ang=np.repeat(cell[None], n_frames, axis=0),
        frame_dt_fs=20.0, temperature_k=600.0, species="Li", source="synthetic",
    )


@pytest.mark.parametrize("n_checkpoints, renewal_windows, axis_chains, lever",
                         [(1, 0, False, {}), (2, 0, False, {}), (2, 1.5, False, {}), (2, 1.5, True, {}),
                          (2, 1.5, True, {"segment_feedback": True}), (1, 0, False, {"segment_feedback": True}),
                          (2, 1.5, True, {"net_displacement_from_latent": True}), (2, 1.5, True, {"site_hops": True}),
                          (1, 0, False, {"site_hops": True}), (2, 1.5, True, {"site_hops": True, "hop_memory": True}),
                          (1, 0, True, {"shared_axes": "xy"})])
def test_chunked_equals_one_shot(tmp_path, n_checkpoints, renewal_windows, axis_chains, lever):
    gens = generators(n_checkpoints, dataclasses.replace(MODEL, renewal_windows=renewal_windows, axis_chains=axis_chains,
                                                         **lever))
    starts = np.random.default_rng(3).normal(size=(10, 3))
    one = GenerationSettings(n_ions=10, n_steps=2 * 23, chunk_ions=10, chunk_records=10_000, rng_block_ions=2, seed=5)
    chunked = GenerationSettings(n_ions=10, n_steps=2 * 23, chunk_ions=4, chunk_records=5, rng_block_ions=2, seed=5)
    n, _ = generate_positions(gens, STATS, starts, one, tmp_path / "one.npy", CPU, progress=False)
    generate_positions(gens, STATS, starts, chunked, tmp_path / "chunked.npy", CPU, progress=False)
    a, b = np.load(tmp_path / "one.npy"), np.load(tmp_path / "chunked.npy")
    assert n == 23 and a.shape == (10, 23, 3) and a.dtype == np.float32
    np.testing.assert_allclose(a, b, rtol=0, atol=4e-6)  # a few float32 steps of positions near 1 A: batch sizes differ
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
    meta = generate([list(zip([100], generators(1)))], STATS, [tracks()], s, tmp_path / "p.npy", CPU, progress=False)
    assert len(meta["mean_correction_ang"]) == 1 and len(meta["mean_correction_ang"][0]) == 3
    assert meta["replicas"] == [{"replica": 0, "checkpoints": [100], "ions": [0, 6]}] and meta["device"] == "cpu"
    assert meta["n_records"] == 15 and meta["step_skip"] == 2 and meta["record_dt_ps"] == 0.04
    assert meta["checkpoints"] == [100] and meta["n_ions"] == 6 and meta["n_steps"] == 31
    assert meta["settings"]["chunk_ions"] == 4
    json.dumps(meta)
    assert np.load(tmp_path / "p.npy").shape == (6, 15, 3)


def biased_generator():
    """A decoder whose output is shifted by +0.5 (standardised): a drift of ~0.5 std per record."""
    generator = generators(1)[0]
    with torch.no_grad():
        generator.decoder.net[-1].bias += 0.5
    return generator


def test_zero_mean_removes_a_biased_generators_drift(tmp_path):
    """Without zero_mean the biased decoder drifts; with it, the same increments lose exactly the
    checkpoint's own mean increment and the data's mean is not re-added."""
    generator = biased_generator()
    runs = {}
    for zero_mean in (False, True):
        s = GenerationSettings(n_ions=512, n_steps=2 * 33, chunk_ions=512, rng_block_ions=256, zero_mean=zero_mean)
        _, removed = generate_positions([generator], STATS, np.zeros((512, 3)), s, tmp_path / f"{zero_mean}.npy", CPU,
                                        progress=False)
        runs[zero_mean] = (np.load(tmp_path / f"{zero_mean}.npy").astype(np.float64), np.array(removed[0]))
    raw, nothing_removed = runs[False]
    centred, removed = runs[True]
    np.testing.assert_array_equal(nothing_removed, 0.0)
    raw_step = np.diff(raw, axis=1).mean(axis=(0, 1))
    assert np.abs(raw_step - STATS["mean_ang"]).max() > 0.3 * min(STATS["std_ang"])  # the bias shows
    np.testing.assert_allclose(removed, raw_step - STATS["mean_ang"], atol=1e-6)
    records = np.arange(raw.shape[1])[None, :, None]
    np.testing.assert_allclose(centred, raw - records * np.asarray(STATS["mean_ang"]) - records * removed, atol=1e-4)
    for row in ensemble_drift(centred)[:2]:  # 25% and 50%: no drift left beyond sampling noise
        assert np.abs(row["z_score"]).max() < 3


def test_two_checkpoints_each_lose_their_own_mean_increment(tmp_path):
    gens = [biased_generator(), generators(1)[0]]
    s = GenerationSettings(n_ions=512, n_steps=2 * 17, chunk_ions=256, rng_block_ions=128)
    _, removed = generate_positions(gens, STATS, np.zeros((512, 3)), s, tmp_path / "p.npy", CPU, progress=False)
    positions = np.load(tmp_path / "p.npy")
    assert len(removed) == 2 and np.abs(np.array(removed[0]) - removed[1]).max() > 0.02
    for share in (positions[:256], positions[256:]):
        np.testing.assert_allclose(share[:, -1].mean(axis=0), 0.0, atol=1e-4)


def test_remove_mean_increment_is_chunk_independent_and_exact():
    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.normal(0.3, 1.0, (40, 50, 3)), axis=1)
    a, b = walk.copy(), walk.copy()
    removed_a = remove_mean_increment(a, [(0, 25), (25, 40)], chunk_ions=40, chunk_records=100)
    removed_b = remove_mean_increment(b, [(0, 25), (25, 40)], chunk_ions=7, chunk_records=9)
    np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(removed_a, removed_b)
    np.testing.assert_allclose((a[:25, -1] - a[:25, 0]).mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(removed_a[0], (walk[:25, -1] - walk[:25, 0]).mean(axis=0) / 49)


def test_ensemble_drift_sees_a_shared_velocity_and_not_noise():
    rng = np.random.default_rng(1)
    steps = rng.normal(0.0, 0.1, (4096, 200, 3))
    free = np.cumsum(steps, axis=1)
    drifting = np.cumsum(steps + [0.0, 0.0, 0.01], axis=1)  # 0.1 std per record along z
    assert all(np.abs(r["z_score"]).max() < 4 for r in ensemble_drift(free))
    rows = ensemble_drift(drifting)
    assert [r["fraction"] for r in rows] == [0.25, 0.5, 1.0] and rows[-1]["record"] == 199
    assert rows[-1]["z_score"][2] > 20 and abs(rows[-1]["mean_ang"][2] - 1.99) < 0.05
    se = rows[-1]["se_ang"][0]
    assert se == pytest.approx(0.1 * np.sqrt(199 / 4096), rel=0.05)


def test_replicas_generate_contiguous_equal_shares_of_the_ions(tmp_path):
    a, b = generators(1)[0], biased_generator()
    s = GenerationSettings(n_ions=512, n_steps=2 * 17, chunk_ions=128, rng_block_ions=64, checkpoints=2)
    replicas = [[(500, a), (1000, a)], [(500, b), (1000, b)]]
    meta = generate(replicas, STATS, [tracks()], s, tmp_path / "p.npy", CPU, progress=False)
    assert [r["ions"] for r in meta["replicas"]] == [[0, 256], [256, 512]]
    assert [r["checkpoints"] for r in meta["replicas"]] == [[500, 1000], [500, 1000]]
    assert meta["checkpoints"] == [500, 1000, 500, 1000] and len(meta["mean_correction_ang"]) == 4
    # the biased replica's ions carry (and lose) its own mean increment only
    removed = np.array(meta["mean_correction_ang"])
    np.testing.assert_allclose(removed[2] - removed[0], 0.5 * np.array(STATS["std_ang"]), rtol=0.35)
    assert replica_ions(8, [2, 2], 2) == [(0, 4), (4, 8)]
    assert replica_ions(12, [1, 1, 1], 2) == [(0, 4), (4, 8), (8, 12)]
    with pytest.raises(InputError, match="rng_block_ions"):
        replica_ions(6, [2, 2], 2)
