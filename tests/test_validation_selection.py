"""Checkpoint choice on the selection part: the methods rank the scores as documented."""

import numpy as np
import pandas as pd
import pytest

from mdgan.analysis.displacements import displacement_stats
from mdgan.errors import InputError
from mdgan.validation.ranking import choose, selection_score
from mdgan.validation.selection import shape_mismatch

SCORES = pd.DataFrame({
    "iteration": [250, 500, 750, 1000],
    "rms_log_msd_ratio": [0.10, 0.05, 0.09, 0.08],
    "rms_alpha2_diff": [0.60, 0.50, 0.30, 0.10],
    "rms_axis_correlation_diff": [0.00, 0.05, 0.02, 0.40],
})


def test_msd_ranks_by_the_msd_mismatch_alone():
    assert choose(SCORES, "msd", 1) == [500]
    assert choose(SCORES, "msd", 2) == [500, 1000]


def test_msd_alpha2_ranks_by_the_sum_of_both_mismatches():
    assert choose(SCORES, "msd_alpha2", 1) == [1000]  # 0.18 against 0.55 for the best MSD alone
    assert choose(SCORES, "msd_alpha2", 2) == [750, 1000]


def test_msd_alpha2_axes_adds_the_axis_correlation_mismatch():
    assert choose(SCORES, "msd_alpha2_axes", 1) == [750]  # 0.41 against 0.58 for the diagonal 1000


def test_shape_mismatch_sees_a_diagonal_that_alpha2_does_not():
    rng = np.random.default_rng(0)
    steps = rng.normal(size=(400, 200, 3))
    independent = np.cumsum(steps, axis=1)
    diagonal = np.cumsum(steps[..., :1] * np.ones(3), axis=1)  # every ion moves along [111]
    lags = np.array([1, 10, 50])
    md = displacement_stats(independent, lags, np.empty(0, np.int64), 0.1)
    other = np.cumsum(rng.normal(size=(400, 200, 3)), axis=1)
    same = shape_mismatch(md, displacement_stats(other, lags, np.empty(0, np.int64), 0.1))
    along = shape_mismatch(md, displacement_stats(diagonal, lags, np.empty(0, np.int64), 0.1))
    assert same["max_abs_axis_correlation_diff"] < 0.05
    assert along["rms_axis_correlation_diff"] > 0.9
    assert along["max_abs_alpha2_diff"] > 0.3  # a Gaussian along a line is not isotropic Gaussian


def test_final_and_unknown_methods():
    assert choose(SCORES, "final", 2) == [750, 1000]
    with pytest.raises(InputError, match="unknown method 'best'"):
        choose(SCORES, "best", 1)


def test_selection_score_is_the_chosen_checkpoints_mean_sum():
    scores = SCORES.assign(selected=SCORES["iteration"].isin(choose(SCORES, "msd_alpha2", 2)))
    assert selection_score(scores, "msd_alpha2") == pytest.approx((0.39 + 0.18) / 2)
    assert selection_score(scores, "msd_alpha2_axes") == pytest.approx((0.41 + 0.58) / 2)
    assert selection_score(scores, "final") == pytest.approx((0.09 + 0.08) / 2)  # the MSD score
