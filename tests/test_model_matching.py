"""Statistic matching beyond the window: target statistics, the loss, and training with it."""

import numpy as np
import pytest
import torch

from mdgan.errors import InputError
from mdgan.model.matching import (
    alpha2_from_moments,
    displacement_moments,
    match_lags,
    match_target,
    matching_loss,
)
from mdgan.model.networks import build_networks
from mdgan.model.noise import Noise, seeded_generator
from mdgan.model.settings import ModelSettings, TrainingSettings
from mdgan.model.training import train

CPU = torch.device("cpu")
TINY = ModelSettings(latent_dim=4, segments=2, latent_width=16, decoder_width=16, critic_width=16,
                     critic_pointwise_width=4, relaxation_steps=2)


def test_lags_are_log_spaced_from_one_record_to_the_stretch():
    lags = match_lags(256, 16)
    assert lags[0] == 1 and lags[-1] == 256
    assert list(lags) == sorted(set(lags)) and 10 <= len(lags) <= 16


def test_gaussian_random_walk_moments():
    rng = np.random.default_rng(0)
    inc = torch.from_numpy(rng.normal(0, 0.1, size=(400, 200, 3)))
    r2, r4 = displacement_moments(inc, (1, 10, 50))
    np.testing.assert_allclose(r2.numpy(), 3 * 0.01 * np.array([1, 10, 50]), rtol=0.03)
    np.testing.assert_allclose(alpha2_from_moments(r2, r4).numpy(), 0.0, atol=0.03)


def test_target_pools_every_long_enough_track_and_origin():
    rng = np.random.default_rng(1)
    long, short = rng.normal(size=(40, 3)), rng.normal(size=(12, 3))
    mean, std = np.array([0.1, 0.0, -0.1]), np.array([0.5, 1.0, 2.0])
    target = match_target(np.concatenate([long, short]).astype(np.float32), np.array([40, 12]), mean, std, (5, 20))
    ang = [torch.from_numpy(x.astype(np.float32).astype(np.float64) * std + mean)[None] for x in (long, short)]
    pos = [torch.cat([torch.zeros(1, 1, 3, dtype=torch.float64), a.cumsum(1)], 1)[0] for a in ang]
    d5 = torch.cat([((p[5:] - p[:-5]) ** 2).sum(-1) for p in pos])  # both tracks: 36 + 8 origins
    d20 = ((pos[0][20:] - pos[0][:-20]) ** 2).sum(-1)  # the long track only
    np.testing.assert_allclose(target.msd_ang2.numpy(), [d5.mean(), d20.mean()], rtol=1e-10)
    np.testing.assert_allclose(target.alpha2[1].item(), 3 * (d20**2).mean() / (5 * d20.mean() ** 2) - 1, rtol=1e-10)


def test_target_refuses_tracks_shorter_than_the_stretch():
    with pytest.raises(InputError, match=r"training\.match_windows.*64 records; the longest has 30"):
        match_target(np.zeros((60, 3), np.float32), np.array([30, 30]), np.zeros(3), np.ones(3), (1, 64))


def test_loss_vanishes_on_the_target_itself_and_grows_with_scale():
    rng = np.random.default_rng(2)
    x = rng.standard_t(4, size=(64, 3))
    target = match_target(x.astype(np.float32), np.array([64]), np.zeros(3), np.ones(3), (1, 8, 32))
    series = torch.from_numpy(x.astype(np.float32).astype(np.float64))[None]
    assert matching_loss(series, target, 1.0, 1.0).item() == pytest.approx(0.0, abs=1e-10)
    scaled = matching_loss(2 * series, target, 1.0, 0.0).item()
    assert scaled == pytest.approx(np.log(4.0) ** 2, rel=1e-6)
    assert matching_loss(2 * series, target, 1.0, 5.0).item() == pytest.approx(scaled, rel=1e-6)  # alpha2 scale-free


def test_loss_gradient_reaches_the_latent_chain_beyond_the_window():
    """Lags up to four windows are reached only through the latent chain: descending the loss alone
    brings the generated MSD at every lag within 15% of the target."""
    torch.manual_seed(0)
    generator, _ = build_networks(TINY, window_records=8)
    lags = match_lags(32, 6)
    target_msd = torch.tensor([3.0 * n for n in lags], dtype=torch.float64) * 4.0  # unit-variance-x4 walk
    from mdgan.model.matching import MatchTarget

    target = MatchTarget(lags, target_msd, torch.zeros(len(lags), dtype=torch.float64))
    opt = torch.optim.Adam(generator.parameters(), lr=3e-3)

    def stretch(noise, batch):
        z = generator.relax(batch, noise)
        return generator.rollout(z, 8, noise)[1]

    def log_ratios():
        with torch.no_grad():
            r2, _ = displacement_moments(stretch(Noise(CPU, seeded_generator(CPU, 5)), 1024).double(), lags)
        return torch.log(r2 / target_msd).abs().numpy()

    before = log_ratios()
    for step in range(300):
        loss = matching_loss(stretch(Noise(CPU, seeded_generator(CPU, 100 + step)), 64), target, 1.0, 0.0)
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = log_ratios()
    assert before.max() > 0.5 and after.max() < 0.15, (before, after)


def test_training_with_matching_needs_the_series_and_runs_with_it(tmp_path):
    rng = np.random.default_rng(0)
    series = rng.normal(size=(4 * 40, 3)).astype(np.float32)
    lengths = np.full(4, 40)
    windows = np.stack([series[i : i + 8] for i in range(0, 32, 4)])
    stats = {"mean_ang": np.zeros(3), "std_ang": np.full(3, 0.1), "step_skip": 1, "record_dt_ps": 0.02,
             "window_records": 8}
    settings = TrainingSettings(iterations=4, batch_size=4, checkpoint_every=2, log_every=2, check_batch=8,
                                check_lags=(1, 4), match_weight=1.0, match_alpha2_weight=0.1, match_windows=4)
    with pytest.raises(InputError, match="whole series"):
        train(windows, stats, TINY, settings, tmp_path / "a", CPU, progress=False)
    result = train(windows, stats, TINY, settings, tmp_path / "b", CPU, progress=False, series=(series, lengths))
    assert [it for it, _ in result.checkpoints] == [2, 4]
    too_long = TrainingSettings(**{**settings.__dict__, "match_windows": 6})
    with pytest.raises(InputError, match="longest has 40"):
        train(windows, stats, TINY, too_long, tmp_path / "c", CPU, progress=False, series=(series, lengths))


def test_displacement_quantiles_are_those_of_every_strided_origin():
    from mdgan.model.matching import VAN_HOVE_LEVELS, displacement_quantiles, quantile_levels

    rng = np.random.default_rng(3)
    inc = rng.normal(size=(5, 50, 3))
    pos = np.concatenate([np.zeros((5, 1, 3)), inc.cumsum(axis=1)], axis=1)
    q = displacement_quantiles(torch.from_numpy(inc), (1, 7), origin_stride=3).numpy()
    assert q.shape == (2, VAN_HOVE_LEVELS, 3)
    for i, n in enumerate((1, 7)):
        d = (pos[:, n::3] - pos[:, :-n:3]).reshape(-1, 3)
        assert len(d) == 5 * len(range(0, 51 - n, 3))
        np.testing.assert_allclose(q[i], np.quantile(d, quantile_levels().numpy(), axis=0), rtol=1e-12)


def test_van_hove_distance_is_zero_on_the_target_and_scale_squared_off_it():
    from mdgan.model.matching import displacement_quantiles, van_hove_distance

    rng = np.random.default_rng(4)
    q = displacement_quantiles(torch.from_numpy(rng.standard_t(3, size=(20, 100, 3))), (1, 5, 20))
    assert van_hove_distance(q, q).item() == 0.0
    assert van_hove_distance(1.3 * q, q).item() == pytest.approx(0.09, rel=1e-10)
    shifted = q.clone()
    shifted[..., 2] += q[..., 2].pow(2).mean(dim=1, keepdim=True).sqrt()  # a drift of one rms along z
    assert van_hove_distance(shifted, q).item() == pytest.approx(1 / 3, rel=1e-10)


def test_target_quantiles_pool_every_origin_of_long_enough_tracks():
    """Quantiles of each axis's displacement (van Hove) and of its magnitude (log van Hove), each only
    when asked."""
    from mdgan.model.matching import abs_quantile_levels, quantile_levels

    rng = np.random.default_rng(5)
    long, short = rng.laplace(size=(40, 3)), rng.laplace(size=(12, 3))
    target = match_target(np.concatenate([long, short]).astype(np.float32), np.array([40, 12]), np.zeros(3),
                          np.ones(3), (5, 20), van_hove=True, van_hove_log=True)
    pos = [np.concatenate([np.zeros((1, 3)), x.astype(np.float32).astype(np.float64).cumsum(0)]) for x in (long, short)]
    d5 = np.concatenate([p[5:] - p[:-5] for p in pos])
    d20 = pos[0][20:] - pos[0][:-20]
    levels, abs_levels = quantile_levels().numpy(), abs_quantile_levels().numpy()
    np.testing.assert_allclose(target.quantiles_ang[0].numpy(), np.quantile(d5, levels, axis=0), rtol=1e-10)
    np.testing.assert_allclose(target.quantiles_ang[1].numpy(), np.quantile(d20, levels, axis=0), rtol=1e-10)
    assert abs_levels[0] > 0.1 and abs_levels[-1] == pytest.approx(0.9973, abs=1e-4)
    np.testing.assert_allclose(target.abs_quantiles_ang[1].numpy(), np.quantile(np.abs(d20), abs_levels, axis=0),
                               rtol=1e-10)
    plain = match_target(long.astype(np.float32), np.array([40]), np.zeros(3), np.ones(3), (5,))
    assert plain.quantiles_ang is None and plain.abs_quantiles_ang is None
    only_log = match_target(long.astype(np.float32), np.array([40]), np.zeros(3), np.ones(3), (5,), van_hove_log=True)
    assert only_log.quantiles_ang is None and only_log.abs_quantiles_ang is not None


@pytest.mark.parametrize("term", ["van_hove", "van_hove_log"])
def test_van_hove_term_pulls_a_gaussian_generator_towards_hops(term):
    """A target of rare long jumps (heavy tails, alpha2 about 4 at lag 1): descending the van Hove term
    (or its log form) alone brings the generated quantiles several times closer than they start."""
    from mdgan.model.matching import displacement_quantiles, log_van_hove_distance, van_hove_distance

    torch.manual_seed(0)
    generator, _ = build_networks(TINY, window_records=8)
    rng = np.random.default_rng(6)
    hops = rng.normal(0, 0.3, size=(20000, 3)) + rng.choice([-2.0, 0.0, 2.0], p=[0.05, 0.9, 0.05], size=(20000, 3))
    target = match_target(hops.astype(np.float32), np.array([20000]), np.zeros(3), np.ones(3), (1, 2, 4),
                          van_hove=True, van_hove_log=True)
    opt = torch.optim.Adam(generator.parameters(), lr=1e-3)
    weights = (1.0, 0.0) if term == "van_hove" else (0.0, 1.0)

    def stretch(noise, batch):
        return generator.rollout(generator.relax(batch, noise), 2, noise)[1].double()

    def distance():
        with torch.no_grad():
            x = stretch(Noise(CPU, seeded_generator(CPU, 5)), 1024)
        if term == "van_hove":
            return van_hove_distance(displacement_quantiles(x, target.lags), target.quantiles_ang).item()
        return log_van_hove_distance(displacement_quantiles(x, target.lags, magnitude=True),
                                     target.abs_quantiles_ang).item()

    before = distance()
    for step in range(300):
        loss = matching_loss(stretch(Noise(CPU, seeded_generator(CPU, 100 + step)), 64), target, 0.0, 0.0,
                             weights[0], 0.0, weights[1])
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert distance() < before / 4, (before, distance())


def test_log_van_hove_distance_is_zero_on_the_target_and_ln_scale_squared_off_it():
    from mdgan.model.matching import displacement_quantiles, log_van_hove_distance

    rng = np.random.default_rng(8)
    q = displacement_quantiles(torch.from_numpy(rng.standard_t(3, size=(20, 100, 3))), (1, 5, 20), magnitude=True)
    assert bool((q > 0).all())
    assert log_van_hove_distance(q, q).item() == 0.0
    assert log_van_hove_distance(1.3 * q, q).item() == pytest.approx(np.log(1.3) ** 2, rel=1e-10)
    assert np.isfinite(log_van_hove_distance(torch.zeros_like(q), q).item())  # an ion that never moves


def test_log_van_hove_sees_a_wide_site_core_that_the_plain_distance_hardly_sees():
    """Hops of 2 A to either side (10 %) over a vibrating core: a core of 0.45 A instead of 0.34 A costs
    the plain distance less than scaling everything by 10 % does; the log distance over four times more."""
    from mdgan.model.matching import log_van_hove_distance, van_hove_distance

    rng = np.random.default_rng(7)

    def hops(core_ang):
        x = rng.normal(0, core_ang, size=(200000, 3)) + rng.choice([-2.0, 0.0, 2.0], p=[0.05, 0.9, 0.05], size=(200000, 3))
        return match_target(x.astype(np.float32), np.array([200000]), np.zeros(3), np.ones(3), (1,), van_hove=True,
                            van_hove_log=True)

    md, wide = hops(0.34), hops(0.45)
    plain, log = van_hove_distance(wide.quantiles_ang, md.quantiles_ang), log_van_hove_distance(wide.abs_quantiles_ang,
                                                                                                 md.abs_quantiles_ang)
    plain_scaled = van_hove_distance(1.1 * md.quantiles_ang, md.quantiles_ang)
    log_scaled = log_van_hove_distance(1.1 * md.abs_quantiles_ang, md.abs_quantiles_ang)
    assert plain < plain_scaled and log > 4 * log_scaled, (plain, plain_scaled, log, log_scaled)


def test_van_hove_matching_off_leaves_the_settings_record_as_it_was():
    from mdgan.model.settings import training_dict

    assert "match_van_hove_weight" not in training_dict(TrainingSettings())
    assert training_dict(TrainingSettings(match_van_hove_weight=3.0))["match_van_hove_weight"] == 3.0
    assert TrainingSettings(match_weight=0, match_alpha2_weight=0, match_van_hove_weight=1.0).matching
    assert "match_van_hove_log_weight" not in training_dict(TrainingSettings())
    assert TrainingSettings(match_weight=0, match_alpha2_weight=0, match_van_hove_log_weight=1.0).matching


def tiny_matching_data() -> tuple[np.ndarray, dict, tuple[np.ndarray, np.ndarray]]:
    """Windows of 8 records, their standardisation and the whole series (4 tracks of 40 random
    records) for a few iterations of statistic matching over up to 5 windows."""
    rng = np.random.default_rng(0)
    series = rng.normal(size=(4 * 40, 3)).astype(np.float32)
    windows = np.stack([series[i : i + 8] for i in range(0, 32, 4)])
    stats = {"mean_ang": np.zeros(3), "std_ang": np.full(3, 0.1), "step_skip": 1, "record_dt_ps": 0.02,
             "window_records": 8}
    return windows, stats, (series, np.full(4, 40))


@pytest.mark.parametrize("term", ["match_van_hove_weight", "match_van_hove_log_weight", "match_msd_per_axis",
                                  "match_alpha2_axes"])
def test_training_with_one_matching_term_runs(tmp_path, term):
    """Each term alone (the per-axis MSD term with the MSD weight as its weight, the scaled alpha2 term
    with the alpha2 weight) trains."""
    windows, stats, series = tiny_matching_data()
    settings = TrainingSettings(iterations=2, batch_size=4, checkpoint_every=2, log_every=2, check_batch=8,
                                check_lags=(1, 4), match_weight=float(term == "match_msd_per_axis"),
                                match_alpha2_weight=float(term == "match_alpha2_axes"), match_windows=4,
                                **{term: True if term in ("match_msd_per_axis", "match_alpha2_axes") else 1.0})
    result = train(windows, stats, TINY, settings, tmp_path, CPU, progress=False, series=series)
    assert np.isfinite(result.log["generator_loss"]).all()


def test_axis_correlation_of_correlated_and_independent_components():
    from mdgan.model.matching import axis_correlation, displacement_products

    rng = np.random.default_rng(7)
    inc = rng.normal(size=(64, 200, 3))
    inc[..., 2] = 0.6 * inc[..., 0] + 0.8 * inc[..., 2]  # corr(x, z) = 0.6 at every lag, y independent
    target = match_target(inc.reshape(-1, 3).astype(np.float32), np.full(64, 200), np.zeros(3), np.ones(3), (1, 10))
    np.testing.assert_allclose(target.axis_correlation[:, 1].numpy(), 0.6, atol=0.03)
    np.testing.assert_allclose(target.axis_correlation[:, [0, 2]].numpy(), 0.0, atol=0.03)
    products = displacement_products(torch.from_numpy(inc), (10,))
    assert products.shape == (1, 6)
    np.testing.assert_allclose(products[0, :3].numpy(), 10.0, rtol=0.05)  # <x^2> = lag x unit variance
    np.testing.assert_allclose(axis_correlation(products).numpy(), target.axis_correlation[1:].numpy(), atol=1e-5)


def test_cross_axis_term_is_zero_on_the_target_and_sees_a_diagonal_preference():
    rng = np.random.default_rng(8)
    independent = rng.normal(size=(6, 300, 3))
    diagonal = independent.copy()
    diagonal[..., 1] += diagonal[..., 0]  # x and y move together: per-axis statistics alike up to scale
    target = match_target(independent.reshape(-1, 3).astype(np.float32), np.full(6, 300), np.zeros(3), np.ones(3),
                          (1, 8, 40))
    on_target = matching_loss(torch.from_numpy(independent.astype(np.float32).astype(np.float64)), target,
                              0.0, 0.0, 0.0, 1.0)
    off_target = matching_loss(torch.from_numpy(diagonal), target, 0.0, 0.0, 0.0, 1.0)
    assert on_target.item() == pytest.approx(0.0, abs=1e-10)
    assert off_target.item() == pytest.approx(0.5 / 3, rel=0.15)  # corr(x, x + y)^2 = 1 / 2, one pair of 3


def test_cross_axis_matching_off_leaves_the_settings_record_as_it_was():
    from mdgan.model.settings import training_dict

    assert "match_cross_axis_weight" not in training_dict(TrainingSettings())
    assert training_dict(TrainingSettings(match_cross_axis_weight=2.0))["match_cross_axis_weight"] == 2.0
    assert TrainingSettings(match_weight=0, match_alpha2_weight=0, match_cross_axis_weight=1.0).matching


def test_per_axis_msd_term_sees_a_slow_axis_the_total_hardly_sees():
    """z three times as fast as x, y: doubling the x variance moves the total MSD by 6 / 5 but the x
    MSD by 2, so the per-axis term is ln(2)^2 / 3 where the total's is ln(1.2)^2; both 0 on the target."""
    rng = np.random.default_rng(9)
    inc = rng.normal(size=(32, 200, 3)) * np.sqrt([1.0, 1.0, 3.0])
    target = match_target(inc.reshape(-1, 3).astype(np.float32), np.full(32, 200), np.zeros(3), np.ones(3), (1, 10, 50))
    np.testing.assert_allclose(target.msd_axes_ang2.sum(dim=1).numpy(), target.msd_ang2.numpy(), rtol=1e-10)
    on_target = torch.from_numpy(inc.astype(np.float32).astype(np.float64))
    wide_x = on_target * torch.tensor([np.sqrt(2.0), 1.0, 1.0], dtype=torch.float64)
    assert matching_loss(on_target, target, 1.0, 0.0, msd_per_axis=True).item() == pytest.approx(0.0, abs=1e-10)
    per_axis = matching_loss(wide_x, target, 1.0, 0.0, msd_per_axis=True).item()
    total = matching_loss(wide_x, target, 1.0, 0.0).item()
    assert per_axis == pytest.approx(np.log(2.0) ** 2 / 3, rel=0.05)
    assert total == pytest.approx(np.log(1.2) ** 2, rel=0.1) and per_axis > 4 * total


def test_per_axis_msd_matching_off_leaves_the_settings_record_as_it_was():
    from mdgan.model.settings import training_dict

    assert "match_msd_per_axis" not in training_dict(TrainingSettings())
    assert training_dict(TrainingSettings(match_msd_per_axis=True))["match_msd_per_axis"] is True


def test_scaled_alpha2_is_blind_to_a_preferred_axis_and_sees_hops_and_mobile_ions():
    """A Gaussian with variances 1 : 3 : 1 has a 3D alpha2 of 6/5 * 11/25 - 2/5 = 0.128, the scaled one
    0; independent Laplace steps along each axis (1D alpha2 1) give 0.6 for both. Ions of two
    mobilities (every axis of a row scaled alike) give the 3D alpha2 when the axes are alike, and the
    same value when one axis is stretched. Matching the scaled alpha2 gives the anisotropic Gaussian
    no gain over the isotropic one."""
    from mdgan.model.matching import alpha2_scaled_axes, squared_products

    def scaled(x):
        return alpha2_scaled_axes(*squared_products(torch.from_numpy(x), (1,))).item()

    def target(x):
        return match_target(x.reshape(-1, 3).astype(np.float32), np.full(x.shape[0], x.shape[1]), np.zeros(3),
                            np.ones(3), (1,))

    rng = np.random.default_rng(11)
    gaussian = rng.normal(size=(64, 400, 3))
    anisotropic = gaussian * np.sqrt([1.0, 3.0, 1.0])
    assert scaled(anisotropic) == pytest.approx(0.0, abs=0.02)
    isotropic = target(gaussian)
    assert isotropic.alpha2.item() == pytest.approx(0.0, abs=0.02)
    assert matching_loss(torch.from_numpy(anisotropic), isotropic, 0.0, 1.0).item() == pytest.approx(0.128**2, rel=0.2)
    assert matching_loss(torch.from_numpy(anisotropic), isotropic, 0.0, 1.0, alpha2_axes=True).item() < 1e-3
    laplace = target(rng.laplace(size=(64, 400, 3)))
    assert laplace.alpha2_axes.item() == pytest.approx(0.6, abs=0.06)
    assert laplace.alpha2.item() == pytest.approx(0.6, abs=0.06)
    mobility = rng.choice([0.5, 1.5], size=(64, 1, 1))  # alpha2 = <s^4> / <s^2>^2 - 1, about 0.64
    mixed = target(gaussian * mobility)
    assert mixed.alpha2_axes.item() == pytest.approx(mixed.alpha2.item(), abs=0.01)
    assert mixed.alpha2.item() == pytest.approx(np.mean(mobility**4) / np.mean(mobility**2) ** 2 - 1, abs=0.05)
    assert scaled(gaussian * mobility * np.sqrt([1.0, 3.0, 1.0])) == pytest.approx(mixed.alpha2_axes.item(), abs=0.02)


def test_scaled_alpha2_matching_off_leaves_the_settings_record_as_it_was():
    from mdgan.model.settings import training_dict

    assert "match_alpha2_axes" not in training_dict(TrainingSettings())
    assert training_dict(TrainingSettings(match_alpha2_axes=True))["match_alpha2_axes"] is True
