"""The MD-GAN training loop (WGAN-GP over windows of K segments, persistent latent chain), resumable."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from mdgan.errors import InputError
from mdgan.model.check import check_lags, data_msd, generated_msd
from mdgan.model.losses import critic_loss, generator_loss
from mdgan.model.networks import build_networks
from mdgan.model.noise import Noise
from mdgan.model.settings import ModelSettings, TrainingSettings
from mdgan.model.state import fingerprint, load_state, rng_state, save_state, set_rng_state

LOSS_COLUMNS = ["critic_loss", "generator_loss", "gradient_penalty"]


@dataclass(frozen=True)
class TrainingResult:
    """checkpoints: (iteration, generator state_dict) oldest first, the final networks last.
    log: one row per logged iteration (columns of :func:`log_columns`)."""

    checkpoints: list[tuple[int, dict]]
    log: pd.DataFrame


def log_columns(lags: tuple[int, ...]) -> list[str]:
    return ["iteration", *LOSS_COLUMNS, "wall_time_s", *[f"msd_ratio_lag{n}" for n in lags]]


def make_optimizer(params, name: str, lr: float, betas: tuple[float, float]) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(betas))
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    raise InputError(f"config key training.optimizer: {name!r}; expected adam or rmsprop")


def cpu_copy(state_dict: dict) -> dict:
    return {k: v.detach().to("cpu", copy=True) for k, v in state_dict.items()}


def train(
    windows: np.ndarray,
    standardization: dict,
    model: ModelSettings,
    training: TrainingSettings,
    state_dir: str | Path,
    device: torch.device,
    progress: bool = True,
    log=None,
) -> TrainingResult:
    """Train on standardised windows (windows, window_records, 3); resume from ``state_dir`` if it holds
    a state made with the same settings and data. The state is saved every ``checkpoint_every``
    iterations and at the end."""
    t = training
    n_windows, window_records, features = windows.shape
    if n_windows == 0:
        raise InputError("no training window: the runs are shorter than one window")
    fp = fingerprint(model, t, windows, standardization)
    torch.manual_seed(t.seed)
    generator, critic = build_networks(model, window_records, features)
    generator.to(device)
    critic.to(device)
    opt_g = make_optimizer(generator.parameters(), t.optimizer, t.lr_generator, t.betas)
    opt_c = make_optimizer(critic.parameters(), t.optimizer, t.lr_critic, t.betas)
    data = torch.from_numpy(np.ascontiguousarray(windows, dtype=np.float32)).to(device)
    mean = torch.as_tensor(np.asarray(standardization["mean_ang"]), dtype=torch.float32, device=device)
    std = torch.as_tensor(np.asarray(standardization["std_ang"]), dtype=torch.float32, device=device)
    lags = check_lags(t.check_lags, window_records)
    target_msd = data_msd(data, mean, std, lags)
    noise = Noise(device)
    K, B = model.segments, t.batch_size

    state = load_state(state_dir, fp, log)
    if state is not None and state["iteration"] > t.iterations:
        if log:
            log.info("saved state is at iteration %d, past %d: training starts afresh", state["iteration"], t.iterations)
        state = None
    if state is None:
        with torch.no_grad():
            z = generator.relax(B, noise)
        start, rows, checkpoints, elapsed_before = 0, [], [], 0.0
        sums, n_summed = torch.zeros(3, dtype=torch.float64), 0
    else:
        generator.load_state_dict(state["generator"])
        critic.load_state_dict(state["critic"])
        opt_g.load_state_dict(state["opt_generator"])
        opt_c.load_state_dict(state["opt_critic"])
        set_rng_state(state["rng"], device)
        z = state["latent"].to(device)
        start, rows = state["iteration"], state["log_rows"]
        checkpoints = [(it, sd) for it, sd in zip(state["checkpoint_iterations"], state["checkpoints"])]
        elapsed_before = state["wall_time_s"]
        sums, n_summed = state["loss_sums"], state["n_summed"]
        if log:
            log.info("resuming from iteration %d of %d", start, t.iterations)

    t0 = time.perf_counter()
    sums = sums.to(device)  # loss sums (critic, generator, penalty) since the last log row
    bar = tqdm(total=t.iterations, initial=start, file=sys.stderr, mininterval=10, disable=not progress, desc="train")
    for it in range(start + 1, t.iterations + 1):
        for _ in range(t.critic_steps):
            real = data[torch.randint(n_windows, (B,), device=device)]
            with torch.no_grad():
                _, fake = generator.rollout(z, K, noise)
            alpha = torch.rand(B, device=device)
            loss_c, penalty = critic_loss(critic, real, fake, alpha, t.gp_weight)
            opt_c.zero_grad(set_to_none=True)
            loss_c.backward()
            opt_c.step()
            sums[0] += loss_c.detach() / t.critic_steps
            sums[2] += penalty.detach() / t.critic_steps
        critic.requires_grad_(False)
        z_next, fake = generator.rollout(z, K, noise)
        loss_g = generator_loss(critic, fake)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        critic.requires_grad_(True)
        z = z_next.detach()
        sums[1] += loss_g.detach()
        n_summed += 1
        bar.update(1)

        if it % t.log_every == 0 or it == t.iterations:
            means = (sums / n_summed).tolist()
            ratio = generated_msd(generator, mean, std, lags, t.check_batch, K, (t.seed, it)) / target_msd
            rows.append([it, means[0], means[1], means[2], elapsed_before + time.perf_counter() - t0, *ratio.tolist()])
            bar.set_postfix(critic=f"{means[0]:.3g}", msd_ratio=" ".join(f"{r:.2f}" for r in ratio), refresh=False)
            if log:
                log.info("iteration %d: critic %.4g, generator %.4g, msd ratio %s", it, means[0], means[1],
                         " ".join(f"{r:.3f}" for r in ratio))
            sums.zero_()
            n_summed = 0
        if it % t.checkpoint_every == 0 or it == t.iterations:
            checkpoints = (checkpoints + [(it, cpu_copy(generator.state_dict()))])[-t.keep_checkpoints :]
            save_state(
                state_dir,
                {
                    "fingerprint": fp,
                    "iteration": it,
                    "generator": generator.state_dict(),
                    "critic": critic.state_dict(),
                    "opt_generator": opt_g.state_dict(),
                    "opt_critic": opt_c.state_dict(),
                    "rng": rng_state(device),
                    "latent": z.cpu(),
                    "log_rows": rows,
                    "loss_sums": sums.cpu(),
                    "n_summed": n_summed,
                    "checkpoint_iterations": [c[0] for c in checkpoints],
                    "checkpoints": [c[1] for c in checkpoints],
                    "wall_time_s": elapsed_before + time.perf_counter() - t0,
                },
            )
    bar.close()
    return TrainingResult(checkpoints=checkpoints, log=pd.DataFrame(rows, columns=log_columns(lags)))
