"""MD-GAN workflow: long Li-ion trajectories from short AIMD runs.

Subpackages: ``io`` (readers), ``model`` (MD-GAN), ``analysis`` (MSD, diffusion,
figures), ``validation`` (held-out comparison, synthetic ground truth, baseline).
"""

__version__ = "0.1.0"
