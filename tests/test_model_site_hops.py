"""The site-and-hop decoder (``model.site_hops``): a bounded vibration in the site, hops that are
whole, both ways alike when fresh, and gradients to the hop probability; with ``model.hop_memory`` the
last hop kept until the next and seen by the next hop."""

import dataclasses

import pytest
import torch
from test_model_networks import SMALL as SMALL_WITHOUT

from mdgan.model.matching import alpha2_from_moments
from mdgan.model.networks import build_networks
from mdgan.model.noise import Noise
from mdgan.model.settings import model_dict
from mdgan.model.site_hops import FAST, SiteHopDecoder, direction_memory, remember_hop

SMALL = dataclasses.replace(SMALL_WITHOUT, site_hops=True)
L = 8  # records per segment of a 32-record window in 4 segments


def decoder(features=1, hop_logit=None, memory=False) -> SiteHopDecoder:
    torch.manual_seed(0)
    d = SiteHopDecoder(latent_dim=8, segment_records=L, features=features, width=16, layers=2, slope=0.3,
                       memory_inputs=features if memory else 0)
    if hop_logit is not None:
        with torch.no_grad():
            d.hop[-1].weight[0] = 0
            d.hop[-1].bias[0] = hop_logit
    return d


def msd(increments: torch.Tensor, lag: int) -> float:
    x = increments.cumsum(dim=1)
    return ((x[:, lag:] - x[:, :-lag]) ** 2).sum(dim=-1).mean().item()


@pytest.mark.parametrize("axis_chains", [False, True])
def test_state_carries_the_offset_in_the_site(axis_chains):
    generator = build_networks(dataclasses.replace(SMALL, axis_chains=axis_chains), window_records=32)[0]
    chains = 3 if axis_chains else 1
    assert generator.state_dim == 8 + 3 // chains
    noise = Noise(torch.device("cpu"))
    state = generator.relax(5, noise)
    assert state.shape == (5, chains * generator.state_dim)
    assert torch.equal(state.view(5, chains, -1)[..., 8:], torch.zeros(5, chains, 3 // chains))  # at the centre
    after, segment = generator.rollout(state, 3, noise)
    assert segment.shape == (5, 24, 3) and (after.view(5, chains, -1)[..., 8:] != 0).all()


def test_without_hops_the_ion_stays_in_its_site():
    """With the hop probability zero the displacement saturates: the MSD at 512 records is that at 64
    within the sampling noise, whatever the decoder makes of its noise."""
    d = decoder(features=3, hop_logit=-60.0)
    z, offset = torch.randn(400, 8), torch.zeros(400, 3)
    segments = []
    with torch.no_grad():
        for _ in range(512 // L):
            y, offset, *_ = d(z, torch.randn(400, L, 3), None, offset, torch.rand(400))
            segments.append(y)
    series = torch.cat(segments, dim=1)
    assert msd(series, 512 - 64) == pytest.approx(msd(series, 64), rel=0.15)
    assert msd(series, 64) > 2 * msd(series, 1)  # it does move within the site


def test_vibration_is_the_ar1_recursion():
    """Without a hop the increments are those of u_t = a u_{t-1} + w_t from the carried offset, and the
    offset carried on is u_L."""
    d = decoder(features=3, hop_logit=-60.0)
    z, eps, offset = torch.randn(4, 8), torch.randn(4, L, 3), torch.randn(4, 3)
    with torch.no_grad():
        y, end, *_ = d(z, eps, None, offset, torch.rand(4))
        w = d.vibration(torch.cat([z, eps.flatten(1)], dim=-1)).view(4, L, 3)
        a, u, steps = d.reversion(), offset, []
        for t in range(L):
            u_next = a * u + w[:, t]
            steps.append(u_next - u)
            u = u_next
    torch.testing.assert_close(y, torch.stack(steps, dim=1), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(end, u, rtol=1e-5, atol=1e-5)


def test_a_hop_is_whole_within_its_segment_and_goes_both_ways():
    """The same latent and noise with and without a hop differ by J in the segment's sum, and a draw
    in the backward share of p gives -J; a fresh decoder prefers neither way."""
    d = decoder(features=3, hop_logit=0.0)  # p = 1/2
    z, eps, offset = torch.randn(6, 8), torch.randn(6, L, 3), torch.zeros(6, 3)
    with torch.no_grad():
        rest, end_rest, *_ = d(z, eps, None, offset, torch.ones(6))
        forward, end_forward, *_ = d(z, eps, None, offset, torch.zeros(6))
        backward, *_ = d(z, eps, None, offset, torch.full((6,), 0.4999))
        head = d.hop(z)
    jump = (forward - rest).sum(dim=1)
    torch.testing.assert_close((backward - rest).sum(dim=1), -jump)
    torch.testing.assert_close(jump, torch.exp(FAST * d.log_hop_length) * head[:, 4:])
    torch.testing.assert_close(end_forward, end_rest)  # the hop moves the site, not the offset in it
    share_forward = (1 + torch.tanh(head[:, 1] / FAST)) / 2
    assert (share_forward - 0.5).abs().max() < 0.15


def test_hop_probability_gets_a_gradient():
    """Straight through: a loss on the displacement reaches the hop probability's logit."""
    d = decoder(features=1)
    z, eps, offset, draw = torch.randn(64, 8), torch.randn(64, L, 1), torch.zeros(64, 1), torch.rand(64)
    y, *_ = d(z, eps, None, offset, draw)
    (y.sum(dim=1) ** 2).mean().backward()
    assert d.hop[-1].bias.grad[0] != 0 and d.log_hop_length.grad != 0 and d.log_tau.grad != 0


def test_a_hop_both_ways_alike_gets_the_gradient_of_what_it_adds():
    """A hop that goes either way alike (q = 0) moves the displacement by +-J; the straight-through
    gradient of the hop probability is the sign times the loss's derivative, so a squared
    displacement raises it where the chains hopped, whichever way (it was q times that: none at q = 0)."""
    d = decoder(features=1, hop_logit=0.0)
    with torch.no_grad():
        d.hop[-1].weight[1] = 0
        d.hop[-1].bias[1] = 0  # q = 0
    z, eps, offset = torch.randn(64, 8), torch.randn(64, L, 1), torch.zeros(64, 1)
    y, *_ = d(z, eps, None, offset, torch.rand(64) * 0.5)  # every chain hops (p = 1/2), both ways
    (y.sum(dim=1) ** 2).mean().backward()
    assert d.hop[-1].bias.grad[0] > 0


def test_fresh_generator_diffuses_by_hops():
    """A fresh generator's MSD grows with the lag beyond the window, and alpha2 is positive at a few
    segments: diffusion by rare jumps, not a Gaussian walk."""
    generator = build_networks(dataclasses.replace(SMALL, axis_chains=True), window_records=32)[0]
    noise = Noise(torch.device("cpu"))
    with torch.no_grad():
        series = generator.rollout(generator.relax(256, noise), 128, noise)[1]
    assert msd(series, 512) > 3 * msd(series, 64)
    x = series.cumsum(dim=1)
    d2 = ((x[:, 32:] - x[:, :-32]) ** 2).sum(dim=-1)
    assert alpha2_from_moments(d2.mean(), (d2**2).mean()) > 0.3


def test_site_hops_key_is_recorded_only_when_on_and_excludes_the_other_decoders():
    assert "site_hops" not in model_dict(dataclasses.replace(SMALL, site_hops=False))
    assert model_dict(SMALL)["site_hops"] is True
    for other in ({"segment_feedback": True}, {"net_displacement_from_latent": True}):
        with pytest.raises(ValueError, match="site_hops"):
            build_networks(dataclasses.replace(SMALL, **other), window_records=32)


@pytest.mark.parametrize("axis_chains", [False, True])
def test_hop_memory_state_carries_the_last_hop_after_the_offset(axis_chains):
    settings = dataclasses.replace(SMALL, axis_chains=axis_chains, hop_memory=True)
    generator = build_networks(settings, window_records=32)[0]
    chains, f = (3, 1) if axis_chains else (1, 3)
    assert generator.state_dim == 8 + 2 * f
    noise = Noise(torch.device("cpu"))
    state = generator.relax(5, noise)
    assert torch.equal(state.view(5, chains, -1)[..., 8:], torch.zeros(5, chains, 2 * f))  # no hop yet
    with torch.no_grad():
        generator.decoder.hop[-1].bias[0] = 60.0  # every segment hops
        after = generator.rollout(state, 2, noise)[0].view(5, chains, -1)
        z = after[..., :8].reshape(5 * chains, 8)
        condition = generator._condition(5, after)
        given = z if condition is None else torch.cat([z, condition], dim=-1)
        head = generator.decoder.hop(torch.cat([given, torch.zeros(5 * chains, f)], dim=-1))
    last = after[..., 8 + f:].reshape(5 * chains, f)
    assert (last != 0).all() and last.abs().max() < 20  # in units of the hop length, O(1)
    assert not torch.allclose(head[:, 4:].abs(), last.abs())  # the head sees the memory, not zeros


def test_the_last_hop_persists_until_the_next_and_is_signed():
    d = decoder(features=3, hop_logit=0.0, memory=True)  # p = 1/2
    z, eps, offset, last = torch.randn(6, 8), torch.randn(6, L, 3), torch.zeros(6, 3), torch.randn(6, 3)
    with torch.no_grad():
        head = d.hop(torch.cat([z, torch.tanh(last)], dim=-1))
        kept = remember_hop(last, *d(z, eps, None, offset, torch.ones(6), last)[2:])
        forward, _, hop_forward, hopped_forward = d(z, eps, None, offset, torch.zeros(6), last)
        backward, _, hop_backward, hopped_backward = d(z, eps, None, offset, torch.full((6,), 0.4999), last)
    torch.testing.assert_close(kept, last)  # no hop: the last one is remembered
    torch.testing.assert_close(remember_hop(last, hop_forward, hopped_forward), head[:, 4:])
    torch.testing.assert_close(remember_hop(last, hop_backward, hopped_backward), -head[:, 4:])
    torch.testing.assert_close((forward - backward).sum(dim=1), 2 * torch.exp(FAST * d.log_hop_length) * head[:, 4:])


def test_a_hop_depends_on_the_last_one_and_gets_its_gradient():
    """Two segments: the second's hop head sees the first's hop, and a loss on the second segment
    alone reaches the head's weights on the memory and, through the first hop, its probability."""
    d = decoder(features=1, hop_logit=0.0, memory=True)
    z, offset = torch.randn(64, 8), torch.zeros(64, 1)
    _, offset_1, hop, hopped = d(z, torch.randn(64, L, 1), None, offset, torch.rand(64), torch.zeros(64, 1))
    last = remember_hop(torch.zeros(64, 1), hop, hopped)
    y, *_ = d(z, torch.randn(64, L, 1), None, offset_1.detach(), torch.rand(64), last)
    (y.sum(dim=1) ** 2).mean().backward()
    assert (d.hop[0].weight.grad[:, -1] != 0).any()  # the memory's input column
    with torch.no_grad():
        before = d.hop(torch.cat([z, torch.zeros(64, 1)], dim=-1))
        after = d.hop(torch.cat([z, torch.ones(64, 1)], dim=-1))
    assert not torch.allclose(before, after)


def test_the_hop_head_sees_the_last_hop_bounded():
    """tanh(m): a last hop of 1e3 or 1e6 hop lengths gives the same next hop, so hop lengths cannot
    feed on themselves and grow without limit."""
    d = decoder(features=3, hop_logit=0.0, memory=True)
    z, eps, offset, draw = torch.randn(6, 8), torch.randn(6, L, 3), torch.zeros(6, 3), torch.zeros(6)
    with torch.no_grad():
        y_large, _, hop_large, _ = d(z, eps, None, offset, draw, torch.full((6, 3), 1e3))
        y_huge, _, hop_huge, _ = d(z, eps, None, offset, draw, torch.full((6, 3), 1e6))
    torch.testing.assert_close(y_huge, y_large)
    torch.testing.assert_close(hop_huge, hop_large)


def test_hop_memory_key_is_recorded_only_when_on_and_requires_site_hops():
    assert "hop_memory" not in model_dict(SMALL)
    assert model_dict(dataclasses.replace(SMALL, hop_memory=True))["hop_memory"] is True
    with pytest.raises(ValueError, match="requires site_hops"):
        build_networks(dataclasses.replace(SMALL, site_hops=False, hop_memory=True), window_records=32)


ION = dataclasses.replace(SMALL, axis_chains=True, hop_memory=True, ion_hop_memory=True)


def test_ion_hop_memory_is_the_ions_last_hop_along_any_axis_in_every_chain():
    generator = build_networks(ION, window_records=32)[0]
    assert generator.state_dim == 8 + 1 + 3  # latent, offset along the chain's axis, the ion's (x, y, z)
    last = torch.tensor([[0.0, 0.0, 2.0]]).repeat_interleave(3, dim=0)  # one ion, its last hop along +z
    hop = torch.tensor([[0.0], [-1.5], [0.0]])  # this segment: a hop along -y alone
    after = generator._remember(last, hop, torch.tensor([0.0, 1.0, 0.0]))
    torch.testing.assert_close(after, torch.tensor([[0.0, -1.5, 0.0]]).repeat(3, 1))
    kept = generator._remember(after, torch.zeros(3, 1), torch.zeros(3))  # no hop: kept
    torch.testing.assert_close(kept, after)
    both = generator._remember(after, torch.tensor([[1.0], [0.0], [0.5]]), torch.tensor([1.0, 0.0, 1.0]))
    torch.testing.assert_close(both, torch.tensor([[1.0, 0.0, 0.5]]).repeat(3, 1))  # two hops at once


def test_each_chain_sees_the_ions_last_hop_from_its_own_axis():
    """x sees (x, y, z), y sees (y, x, z), z sees (z, x, y): x and y, swapped, see alike (shared_axes)."""
    generator = build_networks(ION, window_records=32)[0]
    ion = torch.tensor([[1.0, 2.0, 3.0]]).repeat(3, 1)
    torch.testing.assert_close(generator._chain_view(ion), torch.tensor([[1.0, 2.0, 3.0], [2.0, 1.0, 3.0], [3.0, 1.0, 2.0]]))


def test_ion_hop_memory_rolls_out_alike_in_every_chain_and_reaches_the_hop_head():
    generator = build_networks(ION, window_records=32)[0]
    noise = Noise(torch.device("cpu"))
    state = generator.relax(5, noise)
    with torch.no_grad():
        generator.decoder.hop[-1].bias[0] = 0.0  # p = 1/2: some segments hop, some not
        after = generator.rollout(state, 6, noise)[0].view(5, 3, -1)
    memory = after[..., 9:]
    assert (memory != 0).any() and torch.equal(memory, memory[:, :1].expand(-1, 3, -1))
    weights = generator.decoder.hop[0].weight
    assert weights.shape[1] == 8 + 3 + 3  # latent, axis condition, the ion's last hop



def test_direction_memory_reads_back_hops_no_memory_and_hops_that_go_on():
    d = decoder(memory=True)
    z = torch.rand(64, 8)
    with torch.no_grad():
        d.hop[-1].weight.zero_()
        d.hop[-1].bias.zero_()
        d.hop[-1].bias[4] = 1.0  # a hop of +1 hop length when forward
    assert direction_memory(d, z, None).item() == pytest.approx(0.0, abs=1e-12)  # q = 0: both ways alike
    for gain, expected_sign in ((-30.0, -1), (30.0, 1)):
        # the direction logit made proportional to the hidden layer's response to the last hop m:
        # q takes the sign of m times gain's (gain < 0: back-hops)
        h_plus = d.hop[:-1](torch.cat([z, torch.tanh(torch.ones(64, 1))], dim=-1)).mean(0)
        h_minus = d.hop[:-1](torch.cat([z, torch.tanh(-torch.ones(64, 1))], dim=-1)).mean(0)
        with torch.no_grad():
            d.hop[-1].weight[1] = gain * (h_plus - h_minus) / (h_plus - h_minus).pow(2).sum()
        value = direction_memory(d, z, None).item()
        assert value * expected_sign > 0.3


def test_generator_direction_memory_per_axis_chain_and_refused_without_memory():
    settings = dataclasses.replace(SMALL, axis_chains=True, hop_memory=True)
    generator = build_networks(settings, window_records=32)[0]
    memory = generator.direction_memory(16, Noise(torch.device("cpu"), torch.Generator().manual_seed(0)), 4)
    assert memory.shape == (3,) and torch.all(memory.abs() <= 1)
    without = build_networks(dataclasses.replace(SMALL, axis_chains=True), window_records=32)[0]
    with pytest.raises(ValueError, match="hop_memory"):
        without.direction_memory(16, Noise(torch.device("cpu")), 4)


RETURN = dataclasses.replace(SMALL, axis_chains=True, hop_memory=True, hop_return_gain=True)


def test_a_fresh_return_gain_changes_nothing_and_its_sign_sends_hops_back_or_on():
    torch.manual_seed(0)
    plain = build_networks(dataclasses.replace(RETURN, hop_return_gain=False), window_records=32)[0]
    torch.manual_seed(0)
    gained = build_networks(RETURN, window_records=32)[0]
    assert gained.decoder.return_gain.item() == 0.0
    noise = lambda: Noise(torch.device("cpu"), torch.Generator().manual_seed(1))  # noqa: E731
    with torch.no_grad():
        for g in (plain, gained):
            g.decoder.hop[-1].bias[0] = 0.0  # p = 1/2: hops in most segments, so the memory is set
    torch.testing.assert_close(gained.rollout(gained.relax(4, noise()), 6, noise())[1],
                               plain.rollout(plain.relax(4, noise()), 6, noise())[1])
    for gain, sign in ((-1.0, -1), (1.0, 1)):
        with torch.no_grad():
            gained.decoder.return_gain.fill_(gain)
        memory = gained.direction_memory(64, noise(), 4)
        assert torch.all(memory * sign > 0.5), memory  # one gain for the chains of every axis


def test_the_return_gain_gets_a_gradient_through_the_next_hop():
    d = SiteHopDecoder(latent_dim=8, segment_records=L, features=1, width=16, layers=2, slope=0.3,
                       memory_inputs=1, return_gain=True)
    with torch.no_grad():
        d.hop[-1].bias[0] = 0.0
    z, offset = torch.randn(64, 8), torch.zeros(64, 1)
    _, offset_1, hop, hopped = d(z, torch.randn(64, L, 1), None, offset, torch.rand(64), torch.zeros(64, 1))
    y, *_ = d(z, torch.randn(64, L, 1), None, offset_1, torch.rand(64), remember_hop(torch.zeros(64, 1), hop, hopped))
    (y.sum(dim=1) ** 2).mean().backward()
    assert d.return_gain.grad != 0


@pytest.mark.parametrize("settings, key", [(ION, "ion_hop_memory"), (RETURN, "hop_return_gain")])
def test_chain_memory_lever_keys_are_recorded_only_when_on_and_require_chain_memory_and_axis_chains(settings, key):
    assert key not in model_dict(dataclasses.replace(settings, **{key: False}))
    assert model_dict(settings)[key] is True
    for other in ({"hop_memory": False}, {"axis_chains": False}):
        with pytest.raises(ValueError, match="requires hop_memory and axis_chains"):
            build_networks(dataclasses.replace(settings, **other), window_records=32)
