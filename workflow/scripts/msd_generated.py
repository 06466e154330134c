import time

from mdgan.analysis.lags import LagPlan
from mdgan.analysis.msd import generated_msd, msd_curve, save_samples, write_curve_csv
from mdgan.analysis.series import open_generated
from mdgan.extract import load_tracks
from mdgan.smk import limit_threads, script_logging

p = snakemake.params
with script_logging(snakemake.log[0]) as log:
    limit_threads(snakemake.threads)
    series = open_generated(snakemake.input.positions, snakemake.input.meta)
    cells = [load_tracks(path).cell_ang for path in snakemake.input.tracks]
    start = time.perf_counter()
    samples = generated_msd(series, LagPlan.from_json(snakemake.input.plan), p.n_lags, p.max_lag_fraction,
                            p.chunk_ions, snakemake.threads, cells)
    log.info("MSD of %d generated ions x %d records in %.1f s", series.n_ions, series.n_records,
             time.perf_counter() - start)
    save_samples(samples, snakemake.output.ions)
    write_curve_csv(msd_curve(samples), snakemake.output.csv)
