"""The hop-rate gradient of the matched MSD (``training.match_hop_expectation``): added to the
straight-through estimate, its expectation over the hops is the derivative of the expected MSD term
(exactly for a term linear in the MSD); the straight-through estimate alone falls short."""

import dataclasses
import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from test_model_matching import tiny_matching_data
from test_model_networks import SMALL

from mdgan.model.generator_file import save_generator
from mdgan.model.hop_gradient import hop_rate_surrogate, straddle_counts
from mdgan.model.matching import MatchTarget, displacement_products, matching_loss, msd_term_gradient
from mdgan.model.networks import build_networks
from mdgan.errors import InputError
from mdgan.model.settings import ModelSettings, TrainingSettings, training_dict
from mdgan.model.training import train
from mdgan.model.site_hops import HopDraws, straight_through

L, S, LAGS = 4, 5, (1, 3, 8, 20)  # 5 segments of 4 records: 20 records
JUMP = torch.tensor([[1.5, 0.0, 0.0], [0.0, 0.0, 2.0]], dtype=torch.float64)  # two chains' jumps (A)
CENTRE = 2.3  # records into the segment
WALK = torch.randn(2, S * L, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)


def target() -> MatchTarget:
    msd = torch.tensor([[0.05, 0.02, 0.1], [0.1, 0.05, 0.3], [0.3, 0.1, 0.8], [0.6, 0.2, 1.5]], dtype=torch.float64)
    return MatchTarget(lags=LAGS, msd_ang2=msd.sum(dim=1), alpha2=torch.zeros(4), msd_axes_ang2=msd)


def stretch(events: torch.Tensor, p: torch.Tensor, vibration: float = 0.1, signs: torch.Tensor | None = None,
            q: torch.Tensor | None = None) -> tuple[torch.Tensor, list[HopDraws]]:
    """(2, S * L, 3) increments of two rows (one chain each, x- and z-jumps) whose segment s jumps by
    the sign times JUMP at record CENTRE if events[row, s], besides ``vibration`` x WALK, and their
    HopDraws; without ``signs`` every sign is +1 (q = 1), with them q is the direction preference,
    straight-through as in the decoder."""
    n_segments = events.shape[1]
    increments = vibration * WALK[:, : n_segments * L]  # a fixed motion, the same whatever the hops
    if signs is None:
        signs, q = torch.ones_like(p), torch.ones_like(p)
    draws = []
    for s in range(n_segments):
        occurred = straight_through(events[:, s], p[:, s])
        sign = 2 * straight_through(signs[:, s] > 0, (1 + q[:, s]) / 2) - 1
        hopped = occurred * sign.detach() + occurred.detach() * (sign - sign.detach())
        step = torch.zeros(2, n_segments * L, 1, dtype=torch.float64)
        step[:, s * L + int(CENTRE)] = 1.0
        increments = increments + hopped[:, None, None] * step * JUMP[:, None, :]
        draws.append(HopDraws(p[:, s], occurred.detach(), q[:, s], sign.detach(), JUMP.pow(2),
                              torch.full((2,), CENTRE, dtype=torch.float64)))
    return increments, draws


WEIGHTS = torch.tensor([[0.5, 1.0, 2.0], [0.3, -0.2, 1.0], [1.0, 0.5, -0.4], [0.2, 0.1, 0.3]], dtype=torch.float64)


def linear_term(increments: torch.Tensor, lags: tuple[int, ...] = LAGS) -> torch.Tensor:
    """A term linear in the MSD along each axis at each lag, of derivative WEIGHTS (lags, 3)."""
    return (displacement_products(increments, lags)[:, :3] * WEIGHTS[: len(lags)]).sum()


def gradient(events: torch.Tensor, logits: torch.Tensor, corrected: bool, per_axis: bool | None = None,
             vibration: float = 0.1) -> torch.Tensor:
    """The estimate of d term / d logits for one outcome: the linear term (per_axis None) or the
    matched MSD term, straight-through alone or corrected."""
    logits = logits.clone().requires_grad_()
    increments, draws = stretch(events, torch.sigmoid(logits), vibration)
    if per_axis is None:
        loss, g = linear_term(increments), WEIGHTS
    else:
        loss = matching_loss(increments, target(), 1.0, 0.0, msd_per_axis=per_axis).double()
        g = msd_term_gradient(increments, target(), 1.0, per_axis)
    if corrected:
        loss = loss + hop_rate_surrogate(draws, 1, L, g, LAGS, torch.ones(3, dtype=torch.float64)).double()
    return torch.autograd.grad(loss, logits)[0]


def expected(fn, p: torch.Tensor, q: torch.Tensor | None = None):
    """The expectation of fn(events) over every outcome of the independent hops of probabilities p
    (rows, segments); with the direction preferences q, of fn(events, signs) over every hop and sign."""
    n = p.numel() if q is None else 2 * p.numel()
    total = 0.0
    for bits in itertools.product([0.0, 1.0], repeat=n):
        outcome = torch.tensor(bits, dtype=torch.float64).view(-1, *p.shape)
        events = outcome[0]
        weight = torch.prod(torch.where(events > 0, p, 1 - p))
        if q is None:
            total = total + weight * fn(events)
        else:
            plus = outcome[1]
            weight = weight * torch.prod(torch.where(plus > 0, (1 + q) / 2, (1 - q) / 2))
            total = total + weight * fn(events, 2 * plus - 1)
    return total


def test_straddle_counts_every_displacement_holding_the_increment():
    T = 10
    for lag in (1, 3, 10):
        for k in range(T):
            brute = sum(o <= k <= o + lag - 1 for o in range(T - lag + 1))
            assert straddle_counts(torch.tensor(k), T, lag).item() == brute


def test_surrogate_leaves_the_loss_unchanged():
    logits = torch.full((2, S), -1.0, dtype=torch.float64)
    events = torch.rand(2, S) < 0.5
    increments, draws = stretch(events, torch.sigmoid(logits))
    g = msd_term_gradient(increments, target(), 1.0)
    assert hop_rate_surrogate(draws, 1, L, g, LAGS, torch.ones(3, dtype=torch.float64)).item() == 0.0


def test_corrected_sign_gradient_is_exact_for_a_term_linear_in_the_msd():
    """Hops both ways (3 segments, 2 rows, q from -0.4 to 0.6): the exact derivative of E[term] by
    each hop's probability and direction logits, by enumerating the 4,096 outcomes of hop and sign,
    against the corrected estimate's expectation; the straight-through sign gradient is off by 2 C q."""
    n, lags = 3, LAGS[:3]
    p_logits = torch.linspace(-1.5, -0.5, 2 * n, dtype=torch.float64).view(2, n)
    q_logits = torch.linspace(-0.4, 0.7, 2 * n, dtype=torch.float64).view(2, n)

    term = lambda pl, ql: expected(lambda ev, sg: linear_term(stretch(ev, torch.sigmoid(pl).detach(), 0.1, sg,
                                                                    torch.tanh(ql).detach())[0], lags),
                                 torch.sigmoid(pl), torch.tanh(ql))
    exact_p, exact_q = torch.autograd.functional.jacobian(term, (p_logits, q_logits))

    def estimate(corrected):
        def one(ev, sg):
            pl, ql = p_logits.clone().requires_grad_(), q_logits.clone().requires_grad_()
            increments, draws = stretch(ev, torch.sigmoid(pl), 0.1, sg, torch.tanh(ql))
            loss = linear_term(increments, lags)
            if corrected:
                loss = loss + hop_rate_surrogate(draws, 1, L, WEIGHTS[:3], lags, torch.ones(3, dtype=torch.float64)).double()
            return torch.cat([g.flatten() for g in torch.autograd.grad(loss, (pl, ql))])
        with torch.no_grad():
            p, q = torch.sigmoid(p_logits), torch.tanh(q_logits)
        return expected(one, p, q)

    exact = torch.cat([exact_p.flatten(), exact_q.flatten()])
    torch.testing.assert_close(estimate(True), exact, rtol=1e-9, atol=1e-12)
    straight = estimate(False)
    assert (straight[2 * n:] - exact[2 * n:]).abs().max() > 0.2 * exact[2 * n:].abs().max()


def test_corrected_gradient_is_exact_for_a_term_linear_in_the_msd():
    """Rare hops (p 0.12-0.27): the exact derivative of E[term] by each hop logit, by enumerating the
    1,024 outcomes, against the estimators' expectations: the corrected one equals it (the MSD is
    quadratic in each hop), the straight-through one misses the hops' own squared jumps."""
    logits = torch.linspace(-2.0, -1.0, 2 * S, dtype=torch.float64).view(2, S)
    term = lambda lg: expected(lambda ev: linear_term(stretch(ev, torch.sigmoid(lg).detach())[0]), torch.sigmoid(lg))
    exact = torch.autograd.functional.jacobian(term, logits)
    corrected = expected(lambda ev: gradient(ev, logits, True), torch.sigmoid(logits))
    straight = expected(lambda ev: gradient(ev, logits, False), torch.sigmoid(logits))
    assert torch.allclose(corrected, exact, rtol=1e-9, atol=1e-12)
    assert (straight < 0.85 * exact).all()  # 0.19-0.82 x: what a hop adds on its own is missing


@pytest.mark.parametrize("per_axis", [False, True])
def test_corrected_gradient_of_the_matched_msd_where_a_hop_is_a_small_change(per_axis):
    """The matched MSD term is ln-quadratic in the MSD, so the correction is exact to first order in
    what one hop changes: with a motion besides the hops that one hop changes by little, it is within
    15 % of the exact derivative, as in a training batch of many ions."""
    logits = torch.linspace(-2.0, -1.0, 2 * S, dtype=torch.float64).view(2, S)
    vib = 1.5
    term = lambda lg: expected(lambda ev: matching_loss(stretch(ev, torch.sigmoid(lg).detach(), vib)[0], target(), 1.0, 0.0,
                                                        msd_per_axis=per_axis).double(), torch.sigmoid(lg))
    exact = torch.autograd.functional.jacobian(term, logits)
    corrected = expected(lambda ev: gradient(ev, logits, True, per_axis, vib), torch.sigmoid(logits))
    assert torch.allclose(corrected, exact, rtol=0.15)


def test_hop_rate_gradient_benchmark_reads_a_generator(tmp_path):
    """The benchmark's three rows from a fresh generator of one chain per axis: the corrected estimate
    and the finite difference are both positive at the longest lag (hops raise the MSD)."""
    settings = dataclasses.replace(SMALL, site_hops=True, axis_chains=True)
    torch.manual_seed(0)
    generator = build_networks(settings, window_records=32)[0]
    stats = {"window_records": 32, "std_ang": [0.1, 0.1, 0.2], "mean_ang": [0.0, 0.0, 0.0], "record_dt_ps": 0.02}
    save_generator(tmp_path / "generator.pt", [(0, generator.state_dict())], settings, TrainingSettings(), stats)
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, str(root / "benchmarks/hop_rate_gradient.py"), str(tmp_path / "generator.pt"),
                          "--batches", "2"], check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(root / "src")}).stdout
    rows = {line[:22].strip(): line[22:].split() for line in out.splitlines()[2:]}
    assert set(rows) == {"straight-through", "with the correction", "finite difference"}
    means = {name: [float(v) for v in cells[::2]] for name, cells in rows.items()}  # cells: mean, +-err
    assert len(means["with the correction"]) == 9 and min(means["with the correction"]) > 0
    assert means["finite difference"][-1] > 0  # z at the longest lag


def tiny_training_run(tmp_path, model: ModelSettings, corrected: bool) -> dict:
    """The generator's weights after 3 iterations on 4 tracks of 40 random records, MSD matching over
    4 windows of 8 records, with the hop-rate correction or without."""
    windows, stats, series = tiny_matching_data()
    settings = TrainingSettings(iterations=3, batch_size=4, checkpoint_every=3, log_every=3, check_batch=8,
                                check_lags=(1, 4), match_windows=4, match_hop_expectation=corrected)
    result = train(windows, stats, model, settings, tmp_path / str(corrected), torch.device("cpu"), progress=False,
                   series=series)
    assert np.isfinite(result.log["generator_loss"]).all()
    return result.checkpoints[-1][1]


@pytest.mark.parametrize("axis_chains", [False, True])
def test_training_with_the_correction_moves_the_hop_rate_otherwise(tmp_path, axis_chains):
    model = ModelSettings(latent_dim=4, segments=2, latent_width=16, decoder_width=16, critic_width=16,
                          critic_pointwise_width=8, relaxation_steps=2, site_hops=True, axis_chains=axis_chains)
    plain, corrected = (tiny_training_run(tmp_path, model, c) for c in (False, True))
    assert not torch.equal(plain["decoder.hop.2.bias"], corrected["decoder.hop.2.bias"])  # the hop head


def test_the_correction_key_needs_site_hops_and_msd_matching_and_is_recorded_only_when_on(tmp_path):
    assert "match_hop_expectation" not in training_dict(TrainingSettings())
    assert training_dict(TrainingSettings(match_hop_expectation=True))["match_hop_expectation"] is True
    windows = np.zeros((4, 8, 3), dtype=np.float32)
    stats = {"mean_ang": np.zeros(3), "std_ang": np.ones(3), "record_dt_ps": 0.02, "window_records": 8}
    for model, weight in ((dataclasses.replace(SMALL, segments=2), 30.0), (dataclasses.replace(SMALL, segments=2, site_hops=True), 0.0)):
        with pytest.raises(InputError, match="match_hop_expectation"):
            train(windows, stats, model, TrainingSettings(match_hop_expectation=True, match_weight=weight), tmp_path,
                  torch.device("cpu"), progress=False)
