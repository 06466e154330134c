"""The MD-GAN training loop (WGAN-GP over windows of K segments, persistent latent chain), resumable."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from mdgan.errors import InputError
from mdgan.model.averaging import average_copy, ema_decay, update_average
from mdgan.model.coarse import CoarseCritics, coarse_log_columns, coarse_stretch_records
from mdgan.model.check import check_lags, data_msd, destandardise, generator_msd
from mdgan.model.losses import critic_loss, generator_loss
from mdgan.model.hop_gradient import hop_rate_surrogate
from mdgan.model.matching import MatchTarget, match_lags, match_target, matching_loss, msd_term_gradient
from mdgan.model.networks import Critic, Generator, build_networks
from mdgan.model.noise import CHECK_STREAM, Noise
from mdgan.model.settings import ModelSettings, TrainingSettings
from mdgan.model.state import fingerprint, load_state, rng_state, save_state, set_rng_state

LOSS_COLUMNS = ["critic_loss", "generator_loss", "gradient_penalty"]


@dataclass(frozen=True)
class TrainingResult:
    """checkpoints: (iteration, generator state_dict) oldest first, the final networks last.
    log: one row per logged iteration (columns of :func:`log_columns`)."""

    checkpoints: list[tuple[int, dict]]
    log: pd.DataFrame


@dataclass
class Progress:
    """What a training carries from one iteration to the next besides the networks and optimisers.

    latent: (batch, chains * state_dim) the persistent chains' state (:class:`Generator`); loss_sums: (critic, generator, penalty),
    then (critic, generator term, penalty) of each coarse critic, summed over the ``n_summed``
    iterations since the last log row.
    """

    iteration: int
    latent: torch.Tensor
    loss_sums: torch.Tensor
    n_summed: int = 0
    log_rows: list[list[float]] = field(default_factory=list)
    checkpoints: list[tuple[int, dict]] = field(default_factory=list)
    wall_time_s: float = 0.0


def log_columns(lags: tuple[int, ...], coarse_factors: tuple[int, ...] = ()) -> list[str]:
    """The training log's columns; the coarse critics' (if any) come last."""
    return ["iteration", *LOSS_COLUMNS, "wall_time_s", *[f"msd_ratio_lag{n}" for n in lags],
            *coarse_log_columns(coarse_factors)]


def make_optimizer(params, name: str, lr: float, betas: tuple[float, float]) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(betas))
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    raise InputError(f"config key training.optimizer: {name!r}; expected adam or rmsprop")


def cpu_copy(state_dict: dict) -> dict:
    return {k: v.detach().to("cpu", copy=True) for k, v in state_dict.items()}


def train_iteration(
    generator: Generator,
    critic: Critic,
    opt_g: torch.optim.Optimizer,
    opt_c: torch.optim.Optimizer,
    data: torch.Tensor,
    p: Progress,
    noise: Noise,
    t: TrainingSettings,
    n_segments: int,
    match: MatchTarget | None = None,
    mean_ang: torch.Tensor | None = None,
    std_ang: torch.Tensor | None = None,
    coarse: CoarseCritics | None = None,
) -> None:
    """``critic_steps`` critic steps on fresh fakes from the chain's state, then one generator step
    through the unrolled chain; the chain moves on to its last latent (detached).

    With ``match`` or ``coarse``, the generator step rolls out ``t.stretch_windows`` windows and the
    critic judges each. ``match`` adds the statistic-matching term of that stretch (in A, hence
    ``mean_ang`` and ``std_ang``). ``coarse``: each critic step rolls out a coarse stretch, whose first
    window is the window critic's fake and whose block sums the coarse critics judge; the generator
    step adds ``coarse_critic_weight`` times each coarse critic's generator term.
    """
    batch = p.latent.shape[0]
    n_coarse = 0 if coarse is None else coarse.records // data.shape[1]
    for _ in range(t.critic_steps):
        real = data[torch.randint(data.shape[0], (batch,), device=data.device)]
        with torch.no_grad():
            if coarse is None:
                _, fake = generator.rollout(p.latent, n_segments, noise)
            else:
                _, long_fake = generator.rollout(p.latent, n_segments * n_coarse, noise)
                fake = long_fake[:, : data.shape[1]]
        alpha = torch.rand(batch, device=data.device)
        loss_c, penalty = critic_loss(critic, real, fake, alpha, t.gp_weight)
        opt_c.zero_grad(set_to_none=True)
        loss_c.backward()
        opt_c.step()
        p.loss_sums[0] += loss_c.detach() / t.critic_steps
        p.loss_sums[2] += penalty.detach() / t.critic_steps
        if coarse is not None:
            losses = coarse.critic_step(long_fake) / t.critic_steps
            p.loss_sums[3::3] += losses[:, 0]
            p.loss_sums[5::3] += losses[:, 1]
    critic.requires_grad_(False)
    if match is None and coarse is None:
        latent, fake = generator.rollout(p.latent, n_segments, noise)
        loss_g = generator_loss(critic, fake)
    else:
        draws = [] if match is not None and t.match_hop_expectation else None
        latent, stretch = generator.rollout(p.latent, n_segments * t.stretch_windows, noise, draws)
        loss_g = generator_loss(critic, stretch.reshape(-1, *data.shape[1:]))
        if match is not None:
            stretch_ang = destandardise(stretch, mean_ang, std_ang)
            loss_g = loss_g + matching_loss(stretch_ang, match, t.match_weight, t.match_alpha2_weight,
                                            t.match_van_hove_weight, t.match_cross_axis_weight,
                                            t.match_van_hove_log_weight, t.match_msd_per_axis,
                                            t.match_alpha2_axes)
        if draws:
            gradient = msd_term_gradient(stretch_ang, match, t.match_weight, t.match_msd_per_axis)
            loss_g = loss_g + hop_rate_surrogate(draws, generator.chains, generator.segment_records, gradient,
                                                 match.lags, std_ang)
        if coarse is not None:
            terms = coarse.generator_terms(stretch)
            loss_g = loss_g + coarse.weight * terms.sum()
            p.loss_sums[4::3] += terms.detach()
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()
    critic.requires_grad_(True)
    p.latent = latent.detach()
    p.loss_sums[1] += loss_g.detach()
    p.n_summed += 1
    p.iteration += 1


def train(
    windows: np.ndarray,
    standardization: dict,
    model: ModelSettings,
    training: TrainingSettings,
    state_dir: str | Path,
    device: torch.device,
    progress: bool = True,
    log=None,
    series: tuple[np.ndarray, np.ndarray] | None = None,
) -> TrainingResult:
    """Train on standardised windows (windows, window_records, 3); resume from ``state_dir`` if it holds
    a state made with the same settings and data. The state is saved every ``checkpoint_every``
    iterations and at the end.

    series: (standardised increments (records, 3), track lengths) of the whole training runs, needed
    for statistic matching (``training.match_weight`` or ``match_alpha2_weight`` > 0) and for the
    coarse critics (``training.coarse_critic_factors`` not empty and ``coarse_critic_weight`` > 0).
    """
    t = training
    n_windows, window_records, features = windows.shape
    if n_windows == 0:
        raise InputError("no training window: the runs are shorter than one window")
    coarse_stretch_records(t, window_records)  # refuses bad coarse-critic settings, on or off
    if t.coarse_critic and series is None:
        raise InputError("the coarse critics need the training runs' whole series (windows.npz: series)")
    if t.match_hop_expectation and not (model.site_hops and t.match_weight > 0):
        raise InputError("config key training.match_hop_expectation corrects the gradient of the matched MSD to "
                         "the hop probability of model.site_hops: it needs site_hops and match_weight > 0")
    match = None
    if t.matching:
        if series is None:
            raise InputError("statistic matching needs the training runs' whole series (windows.npz: series)")
        lags = match_lags(window_records * t.match_windows, t.match_lags)
        match = match_target(*series, standardization["mean_ang"], standardization["std_ang"], lags,
                             van_hove=t.match_van_hove_weight > 0, van_hove_log=t.match_van_hove_log_weight > 0)
        if log:
            log.info("statistic matching at lags %s records: MSD %s A^2, alpha2 %s, with the axes scaled %s", lags,
                     np.array2string(match.msd_ang2.numpy(), precision=3),
                     np.array2string(match.alpha2.numpy(), precision=2),
                     np.array2string(match.alpha2_axes.numpy(), precision=2))
    fp = fingerprint(model, t, standardization, windows, *(series if match or t.coarse_critic else ()))
    torch.manual_seed(t.seed)
    generator, critic = build_networks(model, window_records, features)
    generator.to(device)
    critic.to(device)
    opt_g = make_optimizer(generator.parameters(), t.optimizer, t.lr_generator, t.betas)
    opt_c = make_optimizer(critic.parameters(), t.optimizer, t.lr_critic, t.betas)
    coarse = None
    if t.coarse_critic:  # built after the window networks: their initialisation is the same either way
        coarse = CoarseCritics(model, t, window_records, *series, device, make_optimizer)
        if log:
            log.info("coarse critics over %d records, block sums of %s records", coarse.records, coarse.factors)
    coarse_factors = coarse.factors if coarse else ()
    data = torch.from_numpy(np.ascontiguousarray(windows, dtype=np.float32)).to(device)
    mean = torch.as_tensor(np.asarray(standardization["mean_ang"]), dtype=torch.float32, device=device)
    std = torch.as_tensor(np.asarray(standardization["std_ang"]), dtype=torch.float32, device=device)
    lags = check_lags(t.check_lags, window_records)
    target_msd = data_msd(data, mean, std, lags)
    noise = Noise(device)
    modules = {"generator": generator, "critic": critic, "opt_generator": opt_g, "opt_critic": opt_c}
    average = average_copy(generator) if t.generator_ema > 0 else None
    if average is not None:
        modules["generator_average"] = average
    saved = generator if average is None else average  # the network checkpointed and checked
    if coarse is not None:
        modules.update(coarse_critics=coarse.critics, opt_coarse_critics=coarse.optimizer)

    state = load_state(state_dir, fp, log)
    if state is not None and state["iteration"] > t.iterations:
        if log:
            log.info("saved state is at iteration %d, past %d: training starts afresh",
                     state["iteration"], t.iterations)
        state = None
    if state is None:
        with torch.no_grad():
            latent = generator.relax(t.batch_size, noise)
        n_sums = 3 + 3 * len(coarse_factors)
        p = Progress(iteration=0, latent=latent, loss_sums=torch.zeros(n_sums, dtype=torch.float64, device=device))
    else:
        for name, module in modules.items():
            module.load_state_dict(state[name])
        set_rng_state(state["rng"], device)
        p = Progress(**state["progress"])
        p.latent, p.loss_sums = p.latent.to(device), p.loss_sums.to(device)
        if log:
            log.info("resuming from iteration %d of %d", p.iteration, t.iterations)

    t0, elapsed_before = time.perf_counter(), p.wall_time_s
    bar = tqdm(total=t.iterations, initial=p.iteration, file=sys.stderr, mininterval=10, disable=not progress,
               desc="train")
    while p.iteration < t.iterations:
        train_iteration(generator, critic, opt_g, opt_c, data, p, noise, t, model.segments, match, mean, std, coarse)
        if average is not None:
            update_average(average, generator, ema_decay(t.generator_ema, p.iteration))
        bar.update(1)
        it = p.iteration
        p.wall_time_s = elapsed_before + time.perf_counter() - t0
        if it % t.log_every == 0 or it == t.iterations:
            means = (p.loss_sums / p.n_summed).tolist()
            seed = (t.seed, CHECK_STREAM, it)
            ratio = generator_msd(saved, mean, std, lags, t.check_batch, model.segments, seed) / target_msd
            p.log_rows.append([it, *means[:3], p.wall_time_s, *ratio.tolist(), *means[3:]])
            p.loss_sums.zero_()
            p.n_summed = 0
            text = " ".join(f"{r:.3f}" for r in ratio)
            bar.set_postfix(critic=f"{means[0]:.3g}", msd_ratio=text, refresh=False)
            if log:
                log.info("iteration %d: critic %.4g, generator %.4g, msd ratio %s", it, means[0], means[1], text)
        if it % t.checkpoint_every == 0 or it == t.iterations:
            p.checkpoints = (p.checkpoints + [(it, cpu_copy(saved.state_dict()))])[-t.keep_checkpoints :]
            progress_state = {**p.__dict__, "latent": p.latent.cpu(), "loss_sums": p.loss_sums.cpu()}
            save_state(
                state_dir,
                {"fingerprint": fp, "iteration": it, "rng": rng_state(device), "progress": progress_state,
                 **{name: module.state_dict() for name, module in modules.items()}},
            )
    bar.close()
    log_table = pd.DataFrame(p.log_rows, columns=log_columns(lags, coarse_factors))
    return TrainingResult(checkpoints=p.checkpoints, log=log_table)
