"""Sources of the chain's noise (r ~ U[0, 1], eps ~ N(0, 1)) on the compute device.

``Noise`` draws a whole batch from one torch generator (``None``: torch's global one, whose state
the resumable training state saves). ``BlockNoise`` gives each block of ions its own generator,
seeded from (seed, BLOCK_STREAM, block index), so that an ion's noise does not depend on how ions
are chunked.
"""

from __future__ import annotations

import numpy as np
import torch


class Noise:
    def __init__(self, device: torch.device, generator: torch.Generator | None = None):
        self.device = device
        self.generator = generator

    def uniform(self, batch: int, *shape: int) -> torch.Tensor:
        return torch.rand((batch, *shape), generator=self.generator, device=self.device)

    def normal(self, batch: int, *shape: int) -> torch.Tensor:
        return torch.randn((batch, *shape), generator=self.generator, device=self.device)


# Second key word of the random streams drawn from one seed, so that no two streams coincide.
START_STREAM = 1  # start positions of generated ions (numpy)
BLOCK_STREAM = 3  # chain noise of a block of generated ions (third word: the block)
CHECK_STREAM = 4  # the training's physical check (third word: the iteration)


def seeded_generator(device: torch.device, *key: int) -> torch.Generator:
    """A torch generator on ``device`` seeded from integer keys (e.g. seed, block index)."""
    seed = int(np.random.SeedSequence([int(k) for k in key]).generate_state(1, dtype=np.uint64)[0] >> 1)
    return torch.Generator(device=device).manual_seed(seed)


class BlockNoise:
    """Noise for ions [start, stop), drawn block by block; blocks are ``block_ions`` ions from ion 0."""

    def __init__(self, device: torch.device, seed: int, start: int, stop: int, block_ions: int):
        if start % block_ions:
            raise ValueError(f"ion range must start on a block boundary ({block_ions} ions), got {start}")
        self.device = device
        self.batch = stop - start
        self.blocks = [
            (seeded_generator(device, seed, BLOCK_STREAM, b // block_ions), min(block_ions, stop - b))
            for b in range(start, stop, block_ions)
        ]

    def _draw(self, fn, batch: int, shape: tuple[int, ...]) -> torch.Tensor:
        if batch != self.batch:
            raise ValueError(f"asked for {batch} ions, this source holds {self.batch}")
        parts = [fn((n, *shape), generator=g, device=self.device) for g, n in self.blocks]
        return parts[0] if len(parts) == 1 else torch.cat(parts)

    def uniform(self, batch: int, *shape: int) -> torch.Tensor:
        return self._draw(torch.rand, batch, shape)

    def normal(self, batch: int, *shape: int) -> torch.Tensor:
        return self._draw(torch.randn, batch, shape)
