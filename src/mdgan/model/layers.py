"""The dense block every MD-GAN network is built of."""

from __future__ import annotations

from torch import nn


def mlp(n_in: int, width: int, layers: int, n_out: int, slope: float) -> nn.Sequential:
    """``layers`` hidden Linear + LeakyReLU(slope) layers of ``width``, then a linear output.

    He (Kaiming) initialisation for the LeakyReLU layers and a variance-preserving output layer, zero
    biases: unit-variance inputs give outputs of about unit variance from the start, so a fresh
    decoder already makes increments of the data's (standardised) scale.
    """
    modules: list[nn.Module] = []
    for i in range(layers):
        layer = nn.Linear(n_in if i == 0 else width, width)
        nn.init.kaiming_normal_(layer.weight, a=slope, nonlinearity="leaky_relu")
        modules += [layer, nn.LeakyReLU(slope)]
    out = nn.Linear(width if layers else n_in, n_out)
    nn.init.kaiming_normal_(out.weight, nonlinearity="linear")
    modules.append(out)
    for m in modules:
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.bias)
    return nn.Sequential(*modules)
