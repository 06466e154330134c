"""Equivalent and mirror axes: the signed permutations, their exact effect on generated increments, and
the record of what they average away."""

import dataclasses

import numpy as np
import pytest

from mdgan.errors import InputError
from mdgan.model.generation import generate, generate_positions
from mdgan.model.settings import GenerationSettings
from mdgan.model.symmetry import (axis_maps, axis_orders, axis_signs, generator_frame, generator_frame_correlation,
                                  generator_frame_msd, ion_axis_maps)
from test_model_generation import CPU, STATS, generators, tracks


def test_axis_orders_permute_only_the_equivalent_axes():
    assert axis_orders("").tolist() == [[0, 1, 2]]
    assert axis_orders("xy").tolist() == [[0, 1, 2], [1, 0, 2]]
    assert axis_orders("yz").tolist() == [[0, 1, 2], [0, 2, 1]]
    cubic = axis_orders("xyz")
    assert len({tuple(o) for o in cubic}) == 6 and cubic[0].tolist() == [0, 1, 2]
    assert ion_axis_maps("xy", "", 3, 7)[:, 0, 1].tolist() == [1, 0, 1, 0]  # odd ions: x shows y
    assert ion_axis_maps("", "", 0, 4) is None


def test_axis_maps_are_every_signed_permutation_once():
    assert axis_signs("").tolist() == [[1, 1, 1]]
    assert axis_signs("z").tolist() == [[1, 1, 1], [1, 1, -1]]
    maps = axis_maps("xy", "xyz")
    assert maps.shape == (16, 3, 3)
    assert len({m.tobytes() for m in maps}) == 16
    np.testing.assert_array_equal(maps[0], np.eye(3))
    np.testing.assert_allclose(np.einsum("mij,mkj->mik", maps, maps), np.broadcast_to(np.eye(3), (16, 3, 3)))
    np.testing.assert_array_equal(np.abs(maps[:, 2, 2]), 1)  # z is never exchanged
    assert len(axis_maps("xyz", "xyz")) == 48  # the cube's point group


@pytest.mark.parametrize("bad", ["xx", "xw", "X"])
def test_axis_orders_refuse_what_is_not_a_set_of_axes(bad):
    with pytest.raises(InputError, match="generation.equivalent_axes"):
        axis_orders(bad)
    with pytest.raises(InputError, match="generation.mirror_axes"):
        axis_signs(bad)


def test_mirrors_cancel_a_diagonal_and_the_generator_frame_keeps_it():
    rng = np.random.default_rng(0)
    made = rng.normal(size=(4000, 3)) + rng.normal(size=(4000, 1)) * np.array([1.0, 1.0, 0.0])  # along [110]
    maps = ion_axis_maps("", "xy", 0, len(made))
    shown = np.einsum("ikj,ij->ik", maps, made)
    np.testing.assert_allclose(generator_frame(shown, maps), made)

    def xy_correlation(d):  # about the origin, as the generated displacements' mean is zero
        return (d[:, 0] @ d[:, 1]) / np.sqrt((d[:, 0] @ d[:, 0]) * (d[:, 1] @ d[:, 1]))

    assert xy_correlation(made) > 0.45
    assert abs(xy_correlation(shown)) < 0.05
    positions = np.stack([np.zeros_like(shown), shown], axis=1)
    assert generator_frame_correlation(positions, "", "xy")[0] == pytest.approx(xy_correlation(made), abs=1e-9)
    assert generator_frame_correlation(positions, "", "")[0] == pytest.approx(xy_correlation(shown), abs=1e-9)


def test_mirrored_ions_are_the_plain_output_reversed_drift_removed_alike(tmp_path):
    gens = generators(1)
    stats = {**STATS, "mean_ang": [0.02, -0.01, 0.03]}
    plain = GenerationSettings(n_ions=8, n_steps=2 * 40, chunk_ions=8, rng_block_ions=4, seed=3)
    meta_plain = generate([[(0, gens[0])]], stats, [tracks()], plain, tmp_path / "plain.npy", CPU, progress=False)
    mirrored = dataclasses.replace(plain, mirror_axes="xz", equivalent_axes="xy", chunk_ions=4, chunk_records=7)
    meta = generate([[(0, gens[0])]], stats, [tracks()], mirrored, tmp_path / "mirrored.npy", CPU, progress=False)
    a, b = np.load(tmp_path / "plain.npy"), np.load(tmp_path / "mirrored.npy")
    maps = ion_axis_maps("xy", "xz", 0, 8)
    expected = a[:, :1] + np.einsum("ikj,irj->irk", maps, a - a[:, :1])  # the same starts, the steps mapped
    np.testing.assert_allclose(b, expected, atol=1e-5)
    assert b[2, -1, 2] - b[2, 0, 2] == pytest.approx(-(a[2, -1, 2] - a[2, 0, 2]), abs=1e-5)  # ion 2: z reversed
    np.testing.assert_allclose(meta["mean_correction_ang"], meta_plain["mean_correction_ang"], atol=1e-7)
    np.testing.assert_allclose(meta["generator_frame_msd_ang2"], generator_frame_msd(a, ""), rtol=1e-4)
    np.testing.assert_allclose(meta["generator_frame_axis_correlation"], generator_frame_correlation(a, ""), atol=1e-4)


def test_odd_ions_are_the_plain_output_with_x_and_y_exchanged(tmp_path):
    gens = generators(1)
    starts = np.zeros((6, 3))
    plain = GenerationSettings(n_ions=6, n_steps=2 * 40, chunk_ions=6, rng_block_ions=2, zero_mean=False, seed=2)
    generate_positions(gens, STATS, starts, plain, tmp_path / "plain.npy", CPU, progress=False)
    xy = dataclasses.replace(plain, equivalent_axes="xy", chunk_ions=2, chunk_records=7)
    generate_positions(gens, STATS, starts, xy, tmp_path / "xy.npy", CPU, progress=False)
    a, b = np.load(tmp_path / "plain.npy"), np.load(tmp_path / "xy.npy")
    np.testing.assert_allclose(b[0::2], a[0::2], atol=1e-6)
    np.testing.assert_allclose(b[1::2], a[1::2][..., [1, 0, 2]], atol=1e-6)


def test_equivalent_axes_remove_a_learned_preference_and_meta_keeps_it(tmp_path):
    stats = {**STATS, "std_ang": [0.1, 0.4, 0.3]}  # y increments 4 x x's: the generator prefers y
    gens = generators(1)
    plain = GenerationSettings(n_ions=400, n_steps=2 * 64, chunk_ions=200, rng_block_ions=100, seed=1)
    generate([[(0, gens[0])]], stats, [tracks()], plain, tmp_path / "plain.npy", CPU, progress=False)
    xy = dataclasses.replace(plain, equivalent_axes="xy")
    meta = generate([[(0, gens[0])]], stats, [tracks()], xy, tmp_path / "xy.npy", CPU, progress=False)

    def msd(positions):
        return ((positions[:, -1].astype(np.float64) - positions[:, 0]) ** 2).mean(axis=0)

    made, shown = msd(np.load(tmp_path / "plain.npy")), msd(np.load(tmp_path / "xy.npy"))
    assert made[1] / made[0] > 5  # the generator's own preference for y ...
    assert shown[1] / shown[0] == pytest.approx(1.0, abs=0.1)  # ... averaged away in the ensemble,
    # the drift removed in the generator's axes (as without the exchange), and the preference on record
    np.testing.assert_allclose(meta["generator_frame_msd_ang2"], made, rtol=1e-4)
    assert generator_frame_msd(np.load(tmp_path / "plain.npy"), "") == pytest.approx(made.tolist(), rel=1e-6)
