from mdgan.analysis.displacements import md_displacements, save_stats
from mdgan.analysis.lags import LagPlan
from mdgan.extract import load_tracks
from mdgan.smk import script_logging

p = snakemake.params
with script_logging(snakemake.log[0]) as log:
    runs = {run: load_tracks(path) for run, path in zip(p.runs, snakemake.input.tracks)}
    stats = md_displacements(runs, LagPlan.from_json(snakemake.input.plan), p.n_lags, p.max_origins_per_ion,
                             p.chunk_ions, p.max_samples_per_lag)
    log.info("MD displacements at %d lags, %d sample lags", stats.lag_steps.size, stats.sample_lag_steps.size)
    save_stats(stats, snakemake.output[0])
