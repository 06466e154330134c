from mdgan.atomic_io import save_json
from mdgan.extract import load_tracks
from mdgan.model.generation import start_positions
from mdgan.smk import limit_threads, script_logging
from mdgan.validation.baseline import generate_baseline, load_model

p = snakemake.params
with script_logging(snakemake.log[0]) as log:
    limit_threads(snakemake.threads)
    model = load_model(snakemake.input.model)
    tracks = [load_tracks(path) for path in snakemake.input.tracks]
    # the same start positions as MD-GAN's generation (same draw, same seed)
    starts = start_positions(tracks, p.n_ions, p.start_seed)
    meta = generate_baseline(model, starts, p.n_steps, p.seed, snakemake.output.positions)
    log.info("%s: %d ions x %d records in %.1f s", meta["generator"], meta["n_ions"], meta["n_records"], meta["wall_time_s"])
    save_json(snakemake.output.meta, meta)
