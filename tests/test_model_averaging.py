"""The moving average of the generator's weights (training.generator_ema): its arithmetic, that the
checkpoints hold it, and that a stopped training continues it exactly."""

import pytest
import torch
from torch import nn

from mdgan.model.averaging import average_copy, ema_decay, update_average
from mdgan.model.settings import TrainingSettings, training_dict
from mdgan.model.state import STATE_FILE
from test_model_training import assert_same_weights, one_thread, run, tiny_data, tiny_training  # noqa: F401


def test_decay_warms_up_to_its_cap():
    assert ema_decay(0.99, 1) == pytest.approx(2 / 11)
    assert ema_decay(0.99, 90) == pytest.approx(0.91)
    assert ema_decay(0.99, 10_000) == 0.99
    assert ema_decay(0.5, 1) == pytest.approx(2 / 11)  # the warm-up never raises a low cap


def test_update_moves_parameters_and_copies_buffers():
    live = nn.BatchNorm1d(2)  # parameters and buffers
    average = average_copy(live)
    assert not any(p.requires_grad for p in average.parameters())
    with torch.no_grad():
        live.weight.fill_(3.0)  # the copy starts at 1
        live.running_mean.fill_(5.0)
    update_average(average, live, 0.75)
    assert torch.allclose(average.weight, torch.full((2,), 1.5))  # 0.75 * 1 + 0.25 * 3
    assert torch.equal(average.running_mean, live.running_mean)


def test_off_leaves_the_settings_record_as_before():
    assert "generator_ema" not in training_dict(TrainingSettings())
    assert training_dict(TrainingSettings(generator_ema=0.9))["generator_ema"] == 0.9


def test_checkpoints_hold_the_average_and_a_continued_run_equals_one_run(tmp_path, one_thread):
    windows, stats = tiny_data()
    settings = dict(generator_ema=0.9, checkpoint_every=6)
    run(windows, stats, tiny_training(iterations=12, **settings), tmp_path / "a")
    continued = run(windows, stats, tiny_training(iterations=18, **settings), tmp_path / "a")
    whole = run(windows, stats, tiny_training(iterations=18, **settings), tmp_path / "b")
    assert_same_weights(continued, whole)
    saved = torch.load(tmp_path / "b" / STATE_FILE, weights_only=True)
    average, live, last = saved["generator_average"], saved["generator"], whole.checkpoints[-1][1]
    assert all(torch.equal(last[k], average[k]) for k in last)
    assert not all(torch.equal(last[k], live[k]) for k in last)
    plain = run(windows, stats, tiny_training(iterations=18, checkpoint_every=6), tmp_path / "c")
    plain_live = torch.load(tmp_path / "c" / STATE_FILE, weights_only=True)["generator"]
    assert all(torch.equal(plain_live[k], live[k]) for k in live)  # the average does not change the training
