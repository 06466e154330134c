"""MD-GAN workflow: long Li-ion trajectories from short AIMD runs.

Stages, one module or subpackage each: ``io`` (readers, the SIESTA writer), ``trajectory`` (the
parsed run), ``extract`` (unwrapped Li tracks), ``dataset`` (training windows), ``model`` (MD-GAN),
``analysis`` (MSD, diffusion, figures, conditions), ``validation`` (held-out comparison, synthetic
ground truth, baseline). ``workflow``: helpers of the rule files; ``smk``: of the scripts.
"""

__version__ = "0.1.0"
