"""Held-out validation: synthetic ground truth, baseline generators, comparison with MD."""
