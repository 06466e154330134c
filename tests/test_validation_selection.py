"""Checkpoint choice on the selection part: the methods rank the scores as documented."""

import numpy as np
import pandas as pd
import pytest

from mdgan.analysis.displacements import displacement_stats
from mdgan.errors import InputError
from mdgan.validation.ranking import choose, selection_score
from mdgan.analysis.msd import msd_curve, msd_samples
from mdgan.validation.selection import msd_mismatch, shape_mismatch

SCORES = pd.DataFrame({
    "iteration": [250, 500, 750, 1000],
    "rms_log_msd_ratio": [0.10, 0.05, 0.09, 0.08],
    "rms_alpha2_diff": [0.60, 0.50, 0.30, 0.10],
    "rms_axis_correlation_diff": [0.00, 0.05, 0.02, 0.40],
    "rms_log_msd_per_axis_ratio": [0.12, 0.30, 0.10, 0.09],  # 500: isotropic MSD right, one axis fast
})


def test_msd_ranks_by_the_msd_mismatch_alone():
    assert choose(SCORES, "msd", 1) == [500]
    assert choose(SCORES, "msd", 2) == [500, 1000]


def test_msd_alpha2_ranks_by_the_sum_of_both_mismatches():
    assert choose(SCORES, "msd_alpha2", 1) == [1000]  # 0.18 against 0.55 for the best MSD alone
    assert choose(SCORES, "msd_alpha2", 2) == [750, 1000]


def test_msd_alpha2_axes_adds_the_axis_correlation_mismatch():
    assert choose(SCORES, "msd_alpha2_axes", 1) == [750]  # 0.41 against 0.58 for the diagonal 1000


def test_msd_per_axis_methods_rank_by_the_per_axis_msd_mismatch():
    assert choose(SCORES, "msd_per_axis_alpha2", 2) == [750, 1000]  # 0.40, 0.19 against 0.80 for 500
    assert choose(SCORES, "msd_per_axis_alpha2_axes", 1) == [750]  # 0.42 against 0.59 for 1000


def test_msd_mismatch_per_axis_sees_a_preferred_axis_the_isotropic_msd_does_not():
    rng = np.random.default_rng(1)
    isotropic = np.cumsum(rng.normal(size=(300, 400, 3)), axis=1)
    fast_z = np.cumsum(rng.normal(size=(300, 400, 3)) * np.sqrt([0.5, 0.5, 2.0]), axis=1)  # same total
    lags = np.array([1, 4, 16, 64])
    md = msd_curve(msd_samples(isotropic, lags, 0.1))
    same = msd_mismatch(md, msd_curve(msd_samples(np.cumsum(rng.normal(size=(300, 400, 3)), axis=1), lags, 0.1)))
    along_z = msd_mismatch(md, msd_curve(msd_samples(fast_z, lags, 0.1)))
    assert along_z["rms_log_msd_ratio"] < 0.05 and same["rms_log_msd_ratio"] < 0.05
    assert same["rms_log_msd_per_axis_ratio"] < 0.05
    # ln 2 along z, ln 0.5 along x and y: RMS ln 2
    assert along_z["rms_log_msd_per_axis_ratio"] == pytest.approx(np.log(2), rel=0.1)
    assert along_z["max_abs_log_msd_per_axis_ratio"] == pytest.approx(np.log(2), rel=0.15)


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
