from mdgan.analysis.lags import LagPlan
from mdgan.analysis.msd import md_msd, msd_curve, save_samples, write_curve_csv
from mdgan.extract import load_tracks
from mdgan.smk import limit_threads, script_logging

p = snakemake.params
with script_logging(snakemake.log[0]) as log:
    limit_threads(snakemake.threads)
    runs = {run: load_tracks(path) for run, path in zip(p.runs, snakemake.input.tracks)}
    samples = md_msd(runs, LagPlan.from_json(snakemake.input.plan), p.n_lags, p.chunk_ions, snakemake.threads,
                     p.time_blocks)
    log.info("MSD of %d MD runs at %d lags along %s; errors over %s", len(runs), samples.lag_steps.size,
             ", ".join(samples.axes), samples.err_over)
    save_samples(samples, snakemake.output.ions)
    write_curve_csv(msd_curve(samples), snakemake.output.csv)
