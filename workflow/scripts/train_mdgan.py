"""Train MD-GAN. Generic: every path comes from the rule, so other rules can reuse this script.

input: windows (windows.npz), stats (standardization.json); output: generator (.pt), log_csv (.csv);
params: model, training (config sections without device and threads), device (torch device name),
state_dir (resumable state, not an output).
"""

import os

# Before torch loads OpenMP: threads that wait sleep instead of spinning, which on a busy machine
# made 2 threads 3 to 6 times slower than 1 (docs/benchmarks.md, MD-GAN).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

from mdgan.atomic_io import atomic_write
from mdgan.model.device import choose_device
from mdgan.model.generator_file import save_generator
from mdgan.model.settings import ModelSettings, TrainingSettings, settings_from_dict
from mdgan.model.training import train
from mdgan.smk import limit_threads, script_logging
from mdgan.dataset import load_standardization

p = snakemake.params
with script_logging(snakemake.log[0]) as log:
    limit_threads(snakemake.threads)
    device = choose_device(p.device)
    model = settings_from_dict(ModelSettings, p.model)
    training = settings_from_dict(TrainingSettings, p.training)
    with np.load(snakemake.input.windows) as data:
        windows = data["windows"]
        series = (data["series"], data["series_lengths"]) if training.needs_series else None
    stats = load_standardization(snakemake.input.stats)
    log.info("%d windows of %d records on %s, %d threads", *windows.shape[:2], device, snakemake.threads)
    result = train(windows, stats, model, training, p.state_dir, device, log=log, series=series)
    log.info("final physical check:\n%s", result.log.tail(1).to_string(index=False))
    with atomic_write(snakemake.output.log_csv) as tmp:
        result.log.to_csv(tmp, index=False)
    save_generator(snakemake.output.generator, result.checkpoints, model, training, stats)
