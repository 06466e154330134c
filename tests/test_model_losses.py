"""WGAN-GP penalty against hand-computed cases; the notes' known re-implementation bugs fail them."""

import pytest
import torch

from mdgan.model.losses import critic_loss, generator_loss, gradient_penalty


class QuadraticCritic(torch.nn.Module):
    """D(x) = c/2 * sum(x^2) per sample: grad D(x) = c * x, so ||grad|| = c * ||x||."""

    def __init__(self, c: float = 1.0):
        super().__init__()
        self.c = torch.nn.Parameter(torch.tensor(c))

    def forward(self, x):
        return 0.5 * self.c * (x**2).flatten(1).sum(dim=1)


def case():
    """Two samples of (2 records, 3): sample 0 real has one entry 3 and fake 0, alpha 0.5: x_hat has
    norm 1.5; sample 1 real 0 and fake has entries (2, 2) (norm sqrt 8), alpha 0.25: x_hat norm
    0.75 * sqrt(8)."""
    real = torch.zeros(2, 2, 3)
    fake = torch.zeros(2, 2, 3)
    real[0, 0, 0] = 3.0
    fake[1, 0, 1] = 2.0
    fake[1, 1, 2] = 2.0
    alpha = torch.tensor([0.5, 0.25])
    norms = torch.tensor([1.5, 0.75 * 8**0.5])
    return real, fake, alpha, norms


def test_penalty_equals_hand_computed_value():
    real, fake, alpha, norms = case()
    expected = ((norms - 1) ** 2).mean()  # (0.25 + (0.75 sqrt 8 - 1)^2) / 2
    assert gradient_penalty(QuadraticCritic(), real, fake, alpha).item() == pytest.approx(expected.item(), rel=1e-6)


@pytest.mark.parametrize(
    "buggy",
    [
        lambda norms: (norms**2).mean(),  # penalty on ||g||^2
        lambda norms: ((norms**2 - 1) ** 2).mean(),  # squared norm against 1
    ],
)
def test_squared_norm_variants_differ(buggy):
    real, fake, alpha, norms = case()
    value = gradient_penalty(QuadraticCritic(), real, fake, alpha).item()
    assert abs(value - buggy(norms).item()) > 0.1


def test_wrong_interpolation_differs():
    """x_hat = real * alpha * (real - fake) (the 'real*a*diff' bug) gives other norms."""
    real, fake, alpha, _ = case()
    a = alpha.view(-1, 1, 1)
    wrong_norms = (real * a * (real - fake)).flatten(1).norm(dim=1)
    wrong = ((wrong_norms - 1) ** 2).mean().item()
    assert abs(gradient_penalty(QuadraticCritic(), real, fake, alpha).item() - wrong) > 0.1


def test_penalty_differentiates_into_the_critic():
    """d/dc of ((c n - 1)^2) = 2 (c n - 1) n, averaged over samples, through create_graph."""
    real, fake, alpha, norms = case()
    critic = QuadraticCritic(c=0.7)
    gradient_penalty(critic, real, fake, alpha).backward()
    expected = (2 * (0.7 * norms - 1) * norms).mean()
    assert critic.c.grad.item() == pytest.approx(expected.item(), rel=1e-5)


def test_linear_critic_penalty_is_norm_of_weights_minus_one():
    w = torch.arange(6.0).view(1, 2, 3) / 10
    critic = lambda x: (x * w).flatten(1).sum(dim=1)  # noqa: E731
    real, fake = torch.randn(4, 2, 3), torch.randn(4, 2, 3)
    value = gradient_penalty(critic, real, fake, torch.rand(4)).item()
    assert value == pytest.approx((w.norm().item() - 1) ** 2, rel=1e-6)


def test_losses_signs():
    real, fake, alpha, _ = case()
    critic = QuadraticCritic()
    loss, penalty = critic_loss(critic, real, fake, alpha, gp_weight=10.0)
    d_fake, d_real = critic(fake).mean(), critic(real).mean()
    assert penalty.item() == pytest.approx(10 * gradient_penalty(critic, real, fake, alpha).item())
    assert loss.item() == pytest.approx((d_fake - d_real).item() + penalty.item())
    assert generator_loss(critic, fake).item() == pytest.approx(-d_fake.item())
