"""Checkpoint choice on the selection part: the methods rank the scores as documented."""

import pandas as pd
import pytest

from mdgan.errors import InputError
from mdgan.validation.selection import choose

SCORES = pd.DataFrame({
    "iteration": [250, 500, 750, 1000],
    "rms_log_msd_ratio": [0.10, 0.05, 0.09, 0.08],
    "rms_alpha2_diff": [0.60, 0.50, 0.30, 0.10],
})


def test_msd_ranks_by_the_msd_mismatch_alone():
    assert choose(SCORES, "msd", 1) == [500]
    assert choose(SCORES, "msd", 2) == [500, 1000]


def test_msd_alpha2_ranks_by_the_sum_of_both_mismatches():
    assert choose(SCORES, "msd_alpha2", 1) == [1000]  # 0.18 against 0.55 for the best MSD alone
    assert choose(SCORES, "msd_alpha2", 2) == [750, 1000]


def test_final_and_unknown_methods():
    assert choose(SCORES, "final", 2) == [750, 1000]
    with pytest.raises(InputError, match="unknown method 'best'"):
        choose(SCORES, "best", 1)
