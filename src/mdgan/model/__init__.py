"""MD-GAN: networks, WGAN-GP losses, resumable training, chunked generation, physical check.

Modules: ``settings`` (config sections as dataclasses), ``networks`` (G_z, G_x, critic),
``noise`` (random streams), ``losses`` (WGAN-GP), ``coarse`` (multi-resolution critics on block
sums), ``check`` (MSD check), ``state`` (resumable training state), ``training`` (the loop),
``generator_file`` (model/generator.pt), ``generation`` (long trajectories to disk), ``device``.
"""
