"""Training: resume after a kill equals an uninterrupted run; stale states are not resumed; learning."""

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from mdgan.extract import IonTracks
from mdgan.model.networks import build_networks
from mdgan.model.noise import Noise, seeded_generator
from mdgan.model.settings import ModelSettings, TrainingSettings
from mdgan.model import state
from mdgan.model.state import STATE_FILE
from mdgan.model.training import log_columns, train
from mdgan.dataset import build_dataset, standardization_dict

SRC = Path(__file__).parents[1] / "src"
CPU = torch.device("cpu")
TINY = ModelSettings(latent_dim=4, segments=2, latent_width=16, decoder_width=16, critic_width=16,
                     critic_pointwise_width=4, relaxation_steps=2)


def tiny_data(seed=0):
    rng = np.random.default_rng(seed)
    windows = rng.normal(size=(64, 8, 3)).astype(np.float32)
    stats = {"mean_ang": [0.0, 0.0, 0.0], "std_ang": [0.1, 0.1, 0.1], "step_skip": 1, "record_dt_ps": 0.02,
             "window_records": 8}
    return windows, stats


def tiny_series(windows):
    """The windows as the training's whole series: consecutive pairs of windows form 16-record tracks,
    long enough for the default statistic matching over 2 windows."""
    return windows.reshape(-1, 3), np.full(windows.shape[0] // 2, 2 * windows.shape[1])


def run(windows, stats, settings, state_dir):
    """train() of the tiny model on the tiny data, on the CPU, statistic matching included."""
    return train(windows, stats, TINY, settings, state_dir, CPU, progress=False, series=tiny_series(windows))


def tiny_training(**changes):
    base = dict(iterations=60, batch_size=8, checkpoint_every=5, keep_checkpoints=3, log_every=10,
                check_batch=16, check_lags=(1, 4, 16), seed=3)
    return TrainingSettings(**{**base, **changes})


@pytest.fixture
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def assert_same_weights(a, b):
    assert [it for it, _ in a.checkpoints] == [it for it, _ in b.checkpoints]
    for (_, sa), (_, sb) in zip(a.checkpoints, b.checkpoints):
        assert all(torch.equal(sa[k], sb[k]) for k in sa)


def assert_same_result(a, b):
    """Same weights at every kept checkpoint and the same logged losses and physical check."""
    assert_same_weights(a, b)
    assert a.log.drop(columns="wall_time_s").equals(b.log.drop(columns="wall_time_s"))


KILLED_RUN = """
import sys, numpy as np, torch
torch.set_num_threads(1)
from mdgan.model.settings import ModelSettings, TrainingSettings
from mdgan.model.training import train
windows = np.load(sys.argv[1])
stats = {"mean_ang": [0.0, 0.0, 0.0], "std_ang": [0.1, 0.1, 0.1], "step_skip": 1, "record_dt_ps": 0.02,
         "window_records": 8}
model = ModelSettings(**eval(sys.argv[2]))
training = TrainingSettings(**eval(sys.argv[3]))
train(windows, stats, model, training, sys.argv[4], torch.device("cpu"), progress=False,
      series=(windows.reshape(-1, 3), np.full(windows.shape[0] // 2, 2 * windows.shape[1])))
"""


@pytest.mark.slow
def test_resume_after_kill_equals_uninterrupted_run(tmp_path, one_thread):
    windows, stats = tiny_data()
    np.save(tmp_path / "windows.npy", windows)
    training = tiny_training(iterations=3000)
    state_dir = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, str(tmp_path / "windows.npy"), repr(TINY.__dict__),
         repr(training.__dict__), str(state_dir)],
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            path = state_dir / STATE_FILE
            if path.is_file() and torch.load(path, weights_only=True)["iteration"] >= 12:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the training finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    killed_at = torch.load(state_dir / STATE_FILE, weights_only=True)["iteration"]
    assert 12 <= killed_at < training.iterations
    shorter = tiny_training(iterations=killed_at + 23)  # the finishing run need not go to 3000
    resumed = run(windows, stats, shorter, state_dir)
    whole = run(windows, stats, shorter, tmp_path / "whole")
    assert_same_result(resumed, whole)


def test_stopped_and_continued_equals_one_run(tmp_path, one_thread):
    """A finished run continued to more iterations (the state at its end) equals one longer run."""
    windows, stats = tiny_data()
    run(windows, stats, tiny_training(iterations=23), tmp_path / "a")
    continued = run(windows, stats, tiny_training(iterations=34), tmp_path / "a")
    whole = run(windows, stats, tiny_training(iterations=34), tmp_path / "b")
    assert_same_weights(continued, whole)
    assert list(continued.log.columns) == log_columns((1, 4, 8))
    assert continued.log["iteration"].tolist() == [10, 20, 23, 30, 34]  # the first run's end is logged too
    assert [it for it, _ in continued.checkpoints] == [25, 30, 34]


@pytest.mark.parametrize("lever", [{}, {"segment_feedback": True}, {"net_displacement_from_latent": True},
                                   {"site_hops": True}, {"site_hops": True, "hop_memory": True},
                                   {"site_hops": True, "hop_memory": True, "ion_hop_memory": True}])
def test_axis_chains_train_and_continue(tmp_path, one_thread, lever):
    """One chain per axis (alone, with segment feedback, with the net displacement from the latent, with
    site and hops, with their hop memory, the chain's or the ion's):
    the persistent chain states (batch, 3 x state_dim) survive a stop and a continue."""
    windows, stats = tiny_data()
    model = dataclasses.replace(TINY, axis_chains=True, renewal_windows=2, **lever)
    train(windows, stats, model, tiny_training(iterations=12), tmp_path / "a", CPU, progress=False,
          series=tiny_series(windows))
    continued = train(windows, stats, model, tiny_training(iterations=20), tmp_path / "a", CPU, progress=False,
                      series=tiny_series(windows))
    whole = train(windows, stats, model, tiny_training(iterations=20), tmp_path / "b", CPU, progress=False,
                  series=tiny_series(windows))
    (it_a, last_a), (it_b, last_b) = continued.checkpoints[-1], whole.checkpoints[-1]
    assert it_a == it_b == 20 and all(torch.equal(last_a[k], last_b[k]) for k in last_a)
    assert np.isfinite(whole.log.drop(columns="wall_time_s").to_numpy(dtype=float)).all()


@pytest.mark.parametrize(
    "change",
    [{"lr_generator": 2e-4}, {"batch_size": 9}, "data", "code"],
)
def test_state_of_other_settings_data_or_code_is_not_resumed(tmp_path, one_thread, change, monkeypatch):
    windows, stats = tiny_data()
    run(windows, stats, tiny_training(iterations=12), tmp_path / "a")
    settings = tiny_training(iterations=20)
    if change == "data":
        windows, stats = tiny_data(seed=1)
    elif change == "code":  # what an edit of a module the training runs does to the digest
        monkeypatch.setattr(state, "training_code_digest", lambda: "0" * 64)
    else:
        settings = tiny_training(iterations=20, **change)
    after = run(windows, stats, settings, tmp_path / "a")
    fresh = run(windows, stats, settings, tmp_path / "b")
    assert_same_result(after, fresh)


def ar1_dataset(phi=0.7, n_ions=24, n_records=1200, window=64, seed=0):
    """Heavy-tailed AR(1) increments x_t = phi x_{t-1} + e_t (Student t, 5 dof) as a window dataset."""
    rng = np.random.default_rng(seed)
    e = rng.standard_t(5, size=(n_records, n_ions, 3)) * 0.05
    x = np.empty_like(e)
    x[0] = e[0] / np.sqrt(1 - phi**2)
    for t in range(1, n_records):
        x[t] = phi * x[t - 1] + e[t]
    positions = np.concatenate([np.zeros((1, n_ions, 3)), np.cumsum(x, axis=0)])
    cells = np.repeat(np.eye(3)[None] * 10, n_records + 1, 0)
    tracks = IonTracks(positions, np.arange(n_records + 1) * 0.02, cells, 20.0, 600.0, "Li", "ar1")
    return build_dataset({"ar1": tracks}, step_skip=1, window_records=window, stride_records=4)


def increment_statistics(windows_ang):
    """Lag-1 autocorrelation of the increments and variance of their sums over a window (per component, averaged)."""
    x = windows_ang - windows_ang.mean(axis=(0, 1))
    acf1 = (x[:, 1:] * x[:, :-1]).mean(axis=(0, 1)) / (x**2).mean(axis=(0, 1))
    return acf1.mean(), windows_ang.sum(axis=1).var(axis=0).mean()


def generated_windows(generator, n_windows, n_segments, stats):
    """Windows (A) of freshly relaxed chains, as generation starts them."""
    noise = Noise(CPU, seeded_generator(CPU, 99))
    with torch.no_grad():
        z = generator.relax(n_windows, noise)
        _, series = generator.rollout(z, n_segments, noise)
    return series.numpy() * stats["std_ang"] + stats["mean_ang"]


@pytest.mark.slow
def test_learns_ar1_correlation_and_window_variance(tmp_path, one_thread):
    """Segments (32 records) span several correlation times (phi 0.7: about 3 records), the regime the
    method is built for: a fresh segment's start is barely correlated with the previous segment's end
    after a short training, which would cost up to ~5% of the window-sum variance here."""
    dataset = ar1_dataset()
    stats = standardization_dict(dataset)
    acf_real, var_real = increment_statistics(dataset.windows * dataset.std_ang + dataset.mean_ang)
    assert acf_real > 0.65
    model = ModelSettings(latent_dim=16, segments=2, latent_width=64, latent_layers=2, decoder_width=128,
                          critic_width=128, critic_pointwise_width=16, relaxation_steps=5)
    training = TrainingSettings(iterations=300, batch_size=64, lr_generator=1e-3, lr_critic=1e-3,
                                checkpoint_every=10_000, log_every=10_000, check_batch=64, seed=0)
    result = train(dataset.windows, stats, model, training, tmp_path, CPU, progress=False,
                   series=(dataset.series, dataset.series_lengths))

    def statistics_close(generator):
        acf, var = increment_statistics(generated_windows(generator, 2048, model.segments, stats))
        ok = abs(acf / acf_real - 1) < 0.15 and abs(var / var_real - 1) < 0.15
        return ok, {"acf1": (acf, acf_real), "window_sum_var": (var, var_real)}

    trained, _ = build_networks(model, dataset.window_records)
    trained.load_state_dict(result.checkpoints[-1][1])
    ok, numbers = statistics_close(trained)
    assert ok, numbers
    torch.manual_seed(0)
    untrained, _ = build_networks(model, dataset.window_records)
    ok, numbers = statistics_close(untrained)
    assert not ok, numbers
