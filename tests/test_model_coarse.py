"""Coarse (multi-resolution) critics: off by default and then the training is unchanged; on, their
losses are logged, their gradients reach the generator, they save and resume; bad settings name the key."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from mdgan.errors import InputError
from mdgan.model.check import destandardise
from mdgan.model.coarse import CoarseCritics, block_sums, coarse_stretch_records, stretch_starts
from mdgan.model.losses import critic_loss, generator_loss
from mdgan.model.matching import match_lags, match_target, matching_loss
from mdgan.model.networks import build_networks
from mdgan.model.noise import Noise
from mdgan.model.settings import TrainingSettings
from mdgan.model.state import STATE_FILE, fingerprint
from mdgan.model.training import Progress, log_columns, make_optimizer, train_iteration
from test_model_training import (
    CPU,
    KILLED_RUN,
    SRC,
    TINY,
    assert_same_result,
    assert_same_weights,
    one_thread,  # noqa: F401 (fixture)
    run,
    tiny_data,
    tiny_series,
    tiny_training,
)

COARSE = dict(coarse_critic_factors=(2, 4), coarse_critic_windows=2)


# --- off: the training is what it was before the lever existed -------------------------------------


def reference_iteration(generator, critic, opt_g, opt_c, data, p, noise, t, n_segments, match, mean, std):
    """train_iteration as it was before the coarse critics (commit e0c5eec), frozen here."""
    batch = p.latent.shape[0]
    for _ in range(t.critic_steps):
        real = data[torch.randint(data.shape[0], (batch,), device=data.device)]
        with torch.no_grad():
            _, fake = generator.rollout(p.latent, n_segments, noise)
        alpha = torch.rand(batch, device=data.device)
        loss_c, penalty = critic_loss(critic, real, fake, alpha, t.gp_weight)
        opt_c.zero_grad(set_to_none=True)
        loss_c.backward()
        opt_c.step()
        p.loss_sums[0] += loss_c.detach() / t.critic_steps
        p.loss_sums[2] += penalty.detach() / t.critic_steps
    critic.requires_grad_(False)
    if match is None:
        latent, fake = generator.rollout(p.latent, n_segments, noise)
        loss_g = generator_loss(critic, fake)
    else:
        latent, stretch = generator.rollout(p.latent, n_segments * t.match_windows, noise)
        loss_g = generator_loss(critic, stretch.reshape(-1, *data.shape[1:]))
        stretch_ang = destandardise(stretch, mean, std)
        loss_g = loss_g + matching_loss(stretch_ang, match, t.match_weight, t.match_alpha2_weight)
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()
    critic.requires_grad_(True)
    p.latent = latent.detach()
    p.loss_sums[1] += loss_g.detach()
    p.n_summed += 1
    p.iteration += 1


def iterate(step, settings, n_iterations=4):
    """``n_iterations`` of ``step`` on the tiny model and data from a fixed seed: every tensor it changes."""
    windows, stats = tiny_data()
    mean, std = torch.tensor(stats["mean_ang"]), torch.tensor(stats["std_ang"])
    match = None
    if settings.matching:
        lags = match_lags(windows.shape[1] * settings.match_windows, settings.match_lags)
        match = match_target(*tiny_series(windows), np.asarray(stats["mean_ang"]), np.asarray(stats["std_ang"]), lags)
    torch.manual_seed(settings.seed)
    generator, critic = build_networks(TINY, windows.shape[1])
    opt_g = make_optimizer(generator.parameters(), "adam", 1e-3, (0.5, 0.9))
    opt_c = make_optimizer(critic.parameters(), "adam", 1e-3, (0.5, 0.9))
    noise = Noise(CPU)
    p = Progress(iteration=0, latent=generator.relax(settings.batch_size, noise).detach(),
                 loss_sums=torch.zeros(3, dtype=torch.float64))
    for _ in range(n_iterations):
        step(generator, critic, opt_g, opt_c, torch.from_numpy(windows), p, noise, settings, TINY.segments, match,
             mean, std)
    return [*generator.state_dict().values(), *critic.state_dict().values(), p.latent, p.loss_sums,
            torch.get_rng_state()]


@pytest.mark.parametrize("matching", [True, False])
@pytest.mark.parametrize("off", [{}, {"coarse_critic_factors": (2, 4), "coarse_critic_weight": 0.0},
                                 {"coarse_critic_windows": 8, "coarse_critic_weight": 3.0}])
def test_off_iteration_equals_the_code_before_the_lever(one_thread, matching, off):
    """Weights, chain state, losses and the random stream's state after a few iterations are bitwise
    those of the frozen pre-lever iteration (same random draws), whatever the idle coarse keys hold."""
    changes = {} if matching else {"match_weight": 0.0, "match_alpha2_weight": 0.0}
    settings = tiny_training(**changes, **off)
    assert not settings.coarse_critic
    new = iterate(train_iteration, settings)
    old = iterate(reference_iteration, settings)
    assert all(torch.equal(a, b) for a, b in zip(new, old))


# Made by the code before the lever (commit e0c5eec) on this test's inputs, to rounding (another random
# draw changes it wholly).
LOG_BEFORE = {
    "matching": [
        [2.0, 3.5292537063360214, 3.6638139486312866, 3.349811941385269, 0.6500029611165044, 0.6671300874570623,
         0.5262620512465993],
        [4.0, 2.6497128009796143, 6.915766716003418, 2.4106526374816895, 0.5372279926113125, 0.5426827249840362,
         0.6744779748315759],
        [6.0, 3.1855084896087646, 6.117926359176636, 2.8473512530326843, 0.5714148074060396, 0.48454071426972395,
         0.4698777171684267],
    ],
    "plain": [
        [2.0, 2.8748898655176163, -0.003709353506565094, 2.705982767045498, 0.6478794018389241, 0.6628982316094334,
         0.5232970093380457],
        [4.0, 3.1118766516447067, 0.11139323189854622, 2.868502989411354, 0.5318270402279663, 0.5344866975669795,
         0.661216014780703],
        [6.0, 3.291985362768173, 0.06636619195342064, 3.0563071221113205, 0.566488002913166, 0.4756561113247493,
         0.4561513207677762],
    ],
}


def test_idle_coarse_keys_do_not_enter_the_fingerprint():
    """An idle lever's keys leave the fingerprint (and generator.pt) as they were without them."""
    windows, stats = tiny_data()
    plain = fingerprint(TINY, tiny_training(iterations=6, log_every=2, checkpoint_every=3), stats, windows,
                        *tiny_series(windows))
    for idle in ({"coarse_critic_windows": 7}, {"coarse_critic_factors": (3,), "coarse_critic_weight": 0.0}):
        settings = tiny_training(iterations=6, log_every=2, checkpoint_every=3, **idle)
        assert fingerprint(TINY, settings, stats, windows, *tiny_series(windows)) == plain
    on = tiny_training(iterations=6, log_every=2, checkpoint_every=3, **COARSE)
    assert fingerprint(TINY, on, stats, windows, *tiny_series(windows)) != plain


@pytest.mark.parametrize("case", ["matching", "plain"])
def test_off_training_log_equals_the_one_before_the_lever(tmp_path, one_thread, case):
    windows, stats = tiny_data()
    changes = {} if case == "matching" else {"match_weight": 0.0, "match_alpha2_weight": 0.0}
    result = run(windows, stats, tiny_training(iterations=6, log_every=2, checkpoint_every=3, **changes), tmp_path)
    assert list(result.log.columns) == log_columns((1, 4, 8))
    np.testing.assert_allclose(result.log.drop(columns="wall_time_s").to_numpy(), LOG_BEFORE[case], rtol=1e-4)


# --- on ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("matching", [True, False])
def test_on_logs_each_coarse_critic(tmp_path, one_thread, matching):
    windows, stats = tiny_data()
    changes = {} if matching else {"match_weight": 0.0, "match_alpha2_weight": 0.0}
    result = run(windows, stats, tiny_training(iterations=6, log_every=2, checkpoint_every=3, **COARSE, **changes),
                 tmp_path)
    assert list(result.log.columns) == log_columns((1, 4, 8), (2, 4))
    assert list(result.log.columns[:8]) == log_columns((1, 4, 8))  # the columns without the lever come first
    assert list(result.log.columns[8:]) == [
        "coarse2_critic_loss", "coarse2_generator_loss", "coarse2_gradient_penalty",
        "coarse4_critic_loss", "coarse4_generator_loss", "coarse4_gradient_penalty",
    ]
    coarse = result.log.iloc[:, 8:].to_numpy()
    assert np.isfinite(coarse).all() and (coarse[:, 2::3] > 0).all()  # penalties are positive
    assert (coarse[:, 0::3] != 0).all()


def coarse_critics(settings, series=None, lengths=None, window_records=8):
    windows, _ = tiny_data()
    if series is None:
        series, lengths = tiny_series(windows)
    return CoarseCritics(TINY, settings, window_records, series, lengths, CPU, make_optimizer)


def test_generator_term_reaches_the_generator_and_not_the_critics():
    torch.manual_seed(0)
    generator, _ = build_networks(TINY, window_records=8)
    coarse = coarse_critics(tiny_training(**COARSE))
    noise = Noise(CPU)
    _, stretch = generator.rollout(generator.relax(8, noise), 2 * TINY.segments, noise)
    terms = coarse.generator_terms(stretch)
    assert terms.shape == (2,)
    (terms.sum()).backward()
    for name, param in generator.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name  # G_z and G_x alike
    assert all(param.grad is None for param in coarse.critics.parameters())
    assert all(param.requires_grad for param in coarse.critics.parameters())


def test_coarse_critics_are_sized_from_the_model_and_step():
    coarse = coarse_critics(tiny_training(**COARSE))
    assert coarse.records == 16 and list(coarse.critics) == ["x2", "x4"]
    for f, critic in zip((2, 4), coarse.critics.values()):
        assert critic.global_branch[0].in_features == 16 // f * 3
        assert critic.global_branch[0].out_features == TINY.critic_width
        assert critic.pointwise_branch[0].out_features == TINY.critic_pointwise_width
    before = [p.detach().clone() for p in coarse.critics.parameters()]
    torch.manual_seed(1)
    losses = coarse.critic_step(torch.randn(8, 24, 3))  # longer than the stretch: its first 16 records
    assert losses.shape == (2, 2) and (losses[:, 1] > 0).all()
    after = list(coarse.critics.parameters())  # every weight matrix moves (the output bias cancels in the loss)
    assert all(not torch.equal(a, b) for a, b in zip(before, after) if a.dim() == 2)


def test_block_sums_and_standardised_views():
    x = torch.arange(2 * 8 * 3, dtype=torch.float32).reshape(2, 8, 3)
    sums = block_sums(x, 4)
    assert sums.shape == (2, 2, 3)
    torch.testing.assert_close(sums[1, 1], x[1, 4:8].sum(dim=0))
    rng = np.random.default_rng(0)
    series = (rng.standard_t(4, size=(4000, 3)) * [1.0, 2.0, 0.5] + [0.1, 0, 0]).astype(np.float32)
    coarse = coarse_critics(tiny_training(**COARSE), series, np.array([1000, 1000, 1000, 1000]))
    torch.manual_seed(0)
    for i in range(2):  # real views have about zero mean and unit variance in every component
        view = coarse.view(coarse.real(4096), i)
        np.testing.assert_allclose(view.mean(dim=(0, 1)).numpy(), 0.0, atol=0.05)
        np.testing.assert_allclose(view.std(dim=(0, 1)).numpy(), 1.0, atol=0.05)


def test_real_stretches_lie_within_one_track_at_every_origin():
    lengths = np.array([20, 15, 40])
    starts = stretch_starts(lengths, 16)
    assert starts.tolist() == [*range(0, 5), *range(35, 60)]  # the 15-record track holds none
    series = np.repeat(np.arange(3), lengths).astype(np.float32)[:, None].repeat(3, axis=1)  # value = track
    coarse = coarse_critics(tiny_training(**COARSE), series * 0 + np.random.default_rng(0).normal(size=series.shape),
                            lengths)
    coarse.series = torch.from_numpy(series)
    torch.manual_seed(0)
    real = coarse.real(500)
    assert (real == real[:, :1]).all()  # one track per stretch
    assert set(real[:, 0, 0].tolist()) == {0.0, 2.0}


# --- save and resume --------------------------------------------------------------------------------


def test_state_holds_the_coarse_critics_and_continuing_equals_one_run(tmp_path, one_thread):
    windows, stats = tiny_data()
    run(windows, stats, tiny_training(iterations=13, **COARSE), tmp_path / "a")
    state = torch.load(tmp_path / "a" / STATE_FILE, weights_only=True)
    assert {"coarse_critics", "opt_coarse_critics"} <= set(state)
    assert any(k.startswith("x4.") for k in state["coarse_critics"])
    assert state["progress"]["loss_sums"].shape == (9,)
    continued = run(windows, stats, tiny_training(iterations=24, **COARSE), tmp_path / "a")
    whole = run(windows, stats, tiny_training(iterations=24, **COARSE), tmp_path / "b")
    assert_same_weights(continued, whole)
    assert continued.log["iteration"].tolist() == [10, 13, 20, 24]  # the first run's end is logged too
    last = [log.drop(columns="wall_time_s").iloc[-1] for log in (continued.log, whole.log)]
    assert last[0].equals(last[1])  # losses (iterations 21-24), coarse ones included, and the check


@pytest.mark.parametrize("change", [{"coarse_critic_factors": (4,)}, {"coarse_critic_weight": 2.0}, "off"])
def test_state_of_other_coarse_settings_is_not_resumed(tmp_path, one_thread, change):
    windows, stats = tiny_data()
    run(windows, stats, tiny_training(iterations=12, **COARSE), tmp_path / "a")
    settings = tiny_training(iterations=20, **({} if change == "off" else {**COARSE, **change}))
    after = run(windows, stats, settings, tmp_path / "a")
    fresh = run(windows, stats, settings, tmp_path / "b")
    assert_same_result(after, fresh)


@pytest.mark.slow
def test_resume_after_kill_with_coarse_critics_equals_uninterrupted_run(tmp_path, one_thread):
    windows, stats = tiny_data()
    np.save(tmp_path / "windows.npy", windows)
    training = tiny_training(iterations=3000, **COARSE)
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
    shorter = tiny_training(iterations=killed_at + 13, **COARSE)
    resumed = run(windows, stats, shorter, state_dir)
    whole = run(windows, stats, shorter, tmp_path / "whole")
    assert_same_result(resumed, whole)


# --- bad settings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"coarse_critic_factors": (3,)}, r"training\.coarse_critic_factors: factor 3 does not divide .* 16 records"),
        ({"coarse_critic_factors": (2, 2)}, r"training\.coarse_critic_factors: .* repeats"),
        ({"coarse_critic_factors": (0,)}, r"training\.coarse_critic_factors: 0"),
        ({"coarse_critic_weight": -1.0}, r"training\.coarse_critic_weight: -1\.0"),
        ({"coarse_critic_factors": (), "coarse_critic_weight": -1.0}, r"training\.coarse_critic_weight"),
        ({"coarse_critic_windows": 0}, r"training\.coarse_critic_windows: 0"),
        ({"coarse_critic_windows": 4}, r"training\.coarse_critic_windows: .* 32 records; the longest has 16"),
    ],
)
def test_bad_settings_name_the_config_key(tmp_path, changes, message):
    windows, stats = tiny_data()
    with pytest.raises(InputError, match=message):
        run(windows, stats, tiny_training(**{**COARSE, **changes}), tmp_path)


def test_coarse_critics_need_the_series(tmp_path):
    from mdgan.model.training import train

    windows, stats = tiny_data()
    settings = tiny_training(match_weight=0.0, match_alpha2_weight=0.0, **COARSE)
    assert settings.needs_series and not settings.matching
    with pytest.raises(InputError, match="whole series"):
        train(windows, stats, TINY, settings, tmp_path, CPU, progress=False)


def test_stretch_windows_and_switch():
    t = TrainingSettings()
    assert not t.coarse_critic and t.stretch_windows == t.match_windows == 2
    assert TrainingSettings(coarse_critic_factors=(4, 16)).stretch_windows == 4
    assert TrainingSettings(coarse_critic_factors=(4,), match_windows=6).stretch_windows == 6
    assert TrainingSettings(match_weight=0, match_alpha2_weight=0).stretch_windows == 1
    assert coarse_stretch_records(TrainingSettings(coarse_critic_factors=(4, 16)), 128) == 512


def test_generator_file_holds_the_coarse_keys_only_when_on(tmp_path):
    from mdgan.model.generator_file import save_generator
    from mdgan.model.settings import OFF_WHEN_ZERO_KEYS, settings_dict

    _, stats = tiny_data()
    for name, settings in (("off", tiny_training(coarse_critic_windows=8)), ("on", tiny_training(**COARSE))):
        save_generator(tmp_path / f"{name}.pt", [], TINY, settings, stats)
        saved = torch.load(tmp_path / f"{name}.pt", weights_only=True)["training"]
        full = {k: v for k, v in settings_dict(settings).items() if k not in OFF_WHEN_ZERO_KEYS}  # off: absent
        if name == "off":  # as before the keys existed
            assert saved == {k: v for k, v in full.items() if not k.startswith("coarse_critic_")}
        else:
            assert saved == full and saved["coarse_critic_factors"] == [2, 4]
