"""Generate long trajectories. Generic: every path comes from the rule, so other rules can reuse it.

input: generators (.pt files, one per replica), tracks (li_unwrapped.npz files: start positions); output: positions (.npy),
meta (.json); params: generation (config section without device and threads), device (torch device name).
"""

import os

# Before torch loads OpenMP: threads that wait sleep instead of spinning, which on a busy machine
# made 2 threads 3 to 6 times slower than 1 (docs/benchmarks.md, MD-GAN).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from mdgan.atomic_io import save_json
from mdgan.extract import load_tracks
from mdgan.model.device import choose_device
from mdgan.model.generation import generate
from mdgan.model.generator_file import load_generators
from mdgan.model.settings import GenerationSettings, settings_from_dict
from mdgan.smk import limit_threads, script_logging

p = snakemake.params
with script_logging(snakemake.log[0]) as log:
    limit_threads(snakemake.threads)
    device = choose_device(p.device)
    settings = settings_from_dict(GenerationSettings, p.generation)
    replicas = []
    for path in snakemake.input.generators:
        generators, stats = load_generators(path, settings.checkpoints, device)
        if len(generators) < settings.checkpoints:
            log.warning("%s: %d checkpoints asked for, the file holds %d", path, settings.checkpoints, len(generators))
        log.info("%s: checkpoints %s", path, [it for it, _ in generators])
        replicas.append(generators)
    tracks = [load_tracks(path) for path in snakemake.input.tracks]
    log.info("%d replicas on %s, %d threads", len(replicas), device, snakemake.threads)
    meta = generate(replicas, stats, tracks, settings, snakemake.output.positions, device)
    log.info("%d ions x %d records in %.1f s", meta["n_ions"], meta["n_records"], meta["wall_time_s"])
    save_json(snakemake.output.meta, meta)
