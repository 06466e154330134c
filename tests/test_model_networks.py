"""Shapes, dtypes and the latent standardisation of the MD-GAN networks; settings defaults."""

import dataclasses
from pathlib import Path

import pytest
import torch
import yaml

from mdgan.model.networks import build_networks, segment_records
from mdgan.model.noise import Noise
from mdgan.model.settings import GenerationSettings, ModelSettings, TrainingSettings, model_dict, settings_dict

SMALL = ModelSettings(latent_dim=8, segments=4, latent_width=16, decoder_width=16, critic_width=16,
                      critic_pointwise_width=8, relaxation_steps=3)
SCHEMA = Path(__file__).parents[1] / "workflow" / "schemas" / "config.schema.yaml"


@pytest.fixture
def nets():
    torch.manual_seed(0)
    return build_networks(SMALL, window_records=32)


def test_step_relax_rollout_shapes_and_dtypes(nets):
    generator, critic = nets
    noise = Noise(torch.device("cpu"))
    z = generator.relax(5, noise)
    assert z.shape == (5, 8) and z.dtype == torch.float32
    z_next, segment = generator.step(z, noise.uniform(5, 8), noise.normal(5, 8, 3))
    assert z_next.shape == (5, 8) and segment.shape == (5, 8, 3) and segment.dtype == torch.float32
    z_last, window = generator.rollout(z, SMALL.segments, noise)
    assert z_last.shape == (5, 8) and window.shape == (5, 32, 3)
    score = critic(window)
    assert score.shape == (5,) and score.dtype == torch.float32


def test_latent_is_standardised_per_sample(nets):
    generator, _ = nets
    z = 50 * torch.randn(7, 8) + 3  # far from standardised on the way in
    out = generator.latent_step(z, torch.rand(7, 8))
    assert torch.allclose(out.mean(dim=1), torch.zeros(7), atol=1e-5)
    assert torch.allclose(out.var(dim=1, unbiased=False), torch.ones(7), atol=1e-3)


def test_segment_noise_changes_the_segment(nets):
    generator, _ = nets
    z = torch.randn(3, 8)
    a = generator.decoder(z, torch.randn(3, 8, 3))
    b = generator.decoder(z, torch.randn(3, 8, 3))
    assert not torch.allclose(a, b)


def test_renewal_forgets_where_the_chain_was():
    generator = build_networks(dataclasses.replace(SMALL, renewal_windows=0.1), window_records=32)[0]
    assert generator.renewal_probability > 1  # every chain renewed before every step
    series = []
    for z in (torch.zeros(6, 8), 5 * torch.randn(6, 8)):
        torch.manual_seed(2)
        series.append(generator.rollout(z, 3, Noise(torch.device("cpu")))[1])
    torch.testing.assert_close(series[0], series[1], rtol=0, atol=0)


def test_renewal_replaces_the_expected_share_of_chains():
    torch.manual_seed(0)
    generator = build_networks(dataclasses.replace(SMALL, renewal_windows=2.5), window_records=32)[0]
    assert generator.renewal_probability == pytest.approx(0.1)  # 1 / (2.5 windows x 4 segments)
    z = torch.zeros(20_000, 8)
    renewed = (generator.renew(z, Noise(torch.device("cpu"))) != 0).any(dim=1).float().mean().item()
    assert renewed == pytest.approx(0.1, abs=0.007)  # 3.3 sigma of a binomial share


def test_renewal_keys_are_recorded_only_when_on():
    assert "renewal_windows" not in model_dict(SMALL)
    assert model_dict(dataclasses.replace(SMALL, renewal_windows=8))["renewal_windows"] == 8


def test_axis_chains_move_each_axis_on_its_own():
    """One chain per axis: an axis's noise (its r block and its eps column) changes that axis's latent
    and increments only."""
    torch.manual_seed(0)
    generator = build_networks(dataclasses.replace(SMALL, axis_chains=True), window_records=32)[0]
    noise = Noise(torch.device("cpu"))
    z = generator.relax(5, noise)
    assert z.shape == (5, 3 * 8)
    r, eps = noise.uniform(5, 3 * 8), noise.normal(5, 8, 3)
    z_next, segment = generator.step(z, r, eps)
    assert z_next.shape == (5, 24) and segment.shape == (5, 8, 3)
    r_x, eps_x = r.clone(), eps.clone()
    r_x[:, :8] = torch.rand(5, 8)
    eps_x[:, :, 0] = torch.randn(5, 8)
    z_other, segment_other = generator.step(z, r_x, eps_x)
    torch.testing.assert_close(segment_other[:, :, 1:], segment[:, :, 1:], rtol=0, atol=0)
    torch.testing.assert_close(z_other[:, 8:], z_next[:, 8:], rtol=0, atol=0)
    assert not torch.allclose(segment_other[:, :, 0], segment[:, :, 0])
    # the same networks, told the axis: equal latents and noise on every axis still give three series
    same = generator.step(z[:, :8].repeat(1, 3), r[:, :8].repeat(1, 3), eps[:, :, :1].repeat(1, 1, 3))[1]
    assert not torch.allclose(same[:, :, 0], same[:, :, 1])


def test_axis_chains_renew_independently():
    torch.manual_seed(0)
    generator = build_networks(dataclasses.replace(SMALL, renewal_windows=2.5, axis_chains=True), window_records=32)[0]
    z = torch.zeros(20_000, 3 * 8)
    renewed = (generator.renew(z, Noise(torch.device("cpu"))) != 0).view(20_000, 3, 8).any(dim=2).float()
    assert renewed.mean().item() == pytest.approx(0.1, abs=0.004)  # per chain: 3.3 sigma of 60,000 draws
    both = (renewed[:, 0] * renewed[:, 1]).mean().item()
    assert both == pytest.approx(0.01, abs=0.003)  # x and y renew together only by chance


def test_axis_chains_key_is_recorded_only_when_on():
    assert "axis_chains" not in model_dict(SMALL)
    assert model_dict(dataclasses.replace(SMALL, axis_chains=True))["axis_chains"] is True


@pytest.mark.parametrize("lever", [{}, {"site_hops": True, "hop_memory": True},
                                   {"site_hops": True, "hop_memory": True, "ion_hop_memory": True}])
def test_shared_axes_make_those_chains_alike(lever):
    """With shared_axes 'xy' equal latents and noise give equal x and y series, z its own; the key is
    recorded only when set and requires one chain per axis."""
    torch.manual_seed(0)
    generator = build_networks(dataclasses.replace(SMALL, axis_chains=True, shared_axes="xy", **lever),
                               window_records=32)[0]
    noise = Noise(torch.device("cpu"))
    state = generator.relax(5, noise).view(5, 3, -1)[:, :1].repeat(1, 3, 1).reshape(5, -1)
    r, eps, draw = noise.uniform(5, 8).repeat(1, 3), noise.normal(5, 8, 1).repeat(1, 1, 3), torch.rand(5, 1)
    after, segment = generator.step(state, r, eps, draw.repeat(1, 3) if lever else None)
    torch.testing.assert_close(segment[:, :, 1], segment[:, :, 0], rtol=0, atol=0)
    torch.testing.assert_close(after.view(5, 3, -1)[:, 1], after.view(5, 3, -1)[:, 0], rtol=0, atol=0)
    assert not torch.allclose(segment[:, :, 2], segment[:, :, 0])
    assert "shared_axes" not in model_dict(dataclasses.replace(SMALL, axis_chains=True))
    assert model_dict(dataclasses.replace(SMALL, axis_chains=True, shared_axes="xy"))["shared_axes"] == "xy"
    with pytest.raises(ValueError, match="requires axis_chains"):
        build_networks(dataclasses.replace(SMALL, shared_axes="xy"), window_records=32)


def chain_generator(axis_chains: bool, **lever):
    """A SMALL generator with one chain per ion or per axis and ``lever`` set, 5 relaxed ions' states,
    the noise source and the number of chains per ion."""
    torch.manual_seed(0)
    noise = Noise(torch.device("cpu"))
    generator = build_networks(dataclasses.replace(SMALL, axis_chains=axis_chains, **lever), window_records=32)[0]
    return generator, generator.relax(5, noise), noise, 3 if axis_chains else 1


@pytest.mark.parametrize("axis_chains", [False, True])
def test_segment_feedback_lets_the_chain_see_where_the_noise_took_the_ion(axis_chains):
    """With feedback the state carries the last segment's sum / sqrt(L) after the latent, and the
    segment noise of one step changes the next latent; without it the noise cannot reach the chain."""
    for feedback in (False, True):
        generator, state, noise, chains = chain_generator(axis_chains, segment_feedback=feedback)
        width = 8 + (3 // chains if feedback else 0)
        assert state.shape == (5, chains * width)
        r, eps, r_next = noise.uniform(5, chains * 8), noise.normal(5, 8, 3), noise.uniform(5, chains * 8)
        after, segment = generator.step(state, r, eps)
        after_other, _ = generator.step(state, r, noise.normal(5, 8, 3))
        z_next = generator.step(after, r_next, eps)[0].view(5, chains, width)[..., :8]
        z_next_other = generator.step(after_other, r_next, eps)[0].view(5, chains, width)[..., :8]
        assert torch.equal(after.view(5, chains, width)[..., :8], after_other.view(5, chains, width)[..., :8])
        assert torch.equal(z_next, z_next_other) is not feedback
        if feedback:
            sums = (segment.sum(dim=1) / 8**0.5).view(5, 3 // chains, chains).transpose(1, 2)
            torch.testing.assert_close(after.view(5, chains, width)[..., 8:], sums)


def test_renewal_keeps_the_fed_back_displacement():
    generator = build_networks(dataclasses.replace(SMALL, renewal_windows=0.1, segment_feedback=True),
                               window_records=32)[0]
    state = torch.cat([torch.zeros(6, 8), torch.arange(18.0).view(6, 3)], dim=1)
    renewed = generator.renew(state, Noise(torch.device("cpu")))
    assert (renewed[:, :8] != 0).any(dim=1).all()  # every latent replaced
    torch.testing.assert_close(renewed[:, 8:], state[:, 8:], rtol=0, atol=0)


def test_segment_feedback_key_is_recorded_only_when_on():
    assert "segment_feedback" not in model_dict(SMALL)
    assert model_dict(dataclasses.replace(SMALL, segment_feedback=True))["segment_feedback"] is True


@pytest.mark.parametrize("axis_chains", [False, True])
def test_net_displacement_from_latent_leaves_the_segment_sum_to_the_latent(axis_chains):
    """With the lever a segment's sum does not change with its noise (the position at every segment
    boundary is the chain's), while the increments inside it still do; without it the sum does too."""
    for net in (False, True):
        generator, state, noise, chains = chain_generator(axis_chains, net_displacement_from_latent=net)
        r = noise.uniform(5, chains * 8)
        _, segment = generator.step(state, r, noise.normal(5, 8, 3))
        _, other = generator.step(state, r, noise.normal(5, 8, 3))
        assert not torch.allclose(segment, other)
        assert torch.allclose(segment.sum(dim=1), other.sum(dim=1), atol=1e-5) is net


def test_net_displacement_key_is_recorded_only_when_on():
    assert "net_displacement_from_latent" not in model_dict(SMALL)
    assert model_dict(dataclasses.replace(SMALL, net_displacement_from_latent=True))["net_displacement_from_latent"]


def test_critic_has_no_normalisation_layers(nets):
    _, critic = nets
    norm_types = (torch.nn.LayerNorm, torch.nn.BatchNorm1d, torch.nn.GroupNorm, torch.nn.InstanceNorm1d)
    assert not any(isinstance(m, norm_types) for m in critic.modules())


def test_window_must_split_into_segments():
    with pytest.raises(ValueError, match="does not split"):
        segment_records(30, 4)


@pytest.mark.parametrize(
    "section, cls", [("model", ModelSettings), ("training", TrainingSettings), ("generation", GenerationSettings)]
)
def test_dataclass_defaults_equal_schema_defaults(section, cls):
    props = yaml.safe_load(SCHEMA.read_text())["properties"][section]["properties"]
    # device, threads: where a job runs; replicas: how many training jobs the workflow runs
    schema_defaults = {k: v["default"] for k, v in props.items() if k not in ("device", "threads", "replicas")}
    assert schema_defaults == settings_dict(cls())
