"""Equivalent axes: the permutations, their exact effect on generated increments, and the record of what
they average away."""

import dataclasses

import numpy as np
import pytest

from mdgan.errors import InputError
from mdgan.model.generation import generate, generate_positions
from mdgan.model.settings import GenerationSettings
from mdgan.model.symmetry import axis_orders, generator_frame_msd, ion_axis_orders
from test_model_generation import CPU, STATS, generators, tracks


def test_axis_orders_permute_only_the_equivalent_axes():
    assert axis_orders("").tolist() == [[0, 1, 2]]
    assert axis_orders("xy").tolist() == [[0, 1, 2], [1, 0, 2]]
    assert axis_orders("yz").tolist() == [[0, 1, 2], [0, 2, 1]]
    cubic = axis_orders("xyz")
    assert len({tuple(o) for o in cubic}) == 6 and cubic[0].tolist() == [0, 1, 2]
    assert ion_axis_orders("xy", 3, 7)[:, 0].tolist() == [1, 0, 1, 0]


@pytest.mark.parametrize("bad", ["xx", "xw", "X"])
def test_axis_orders_refuse_what_is_not_a_set_of_axes(bad):
    with pytest.raises(InputError, match="generation.equivalent_axes"):
        axis_orders(bad)


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
