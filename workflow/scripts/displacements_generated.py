from mdgan.analysis.displacements import generated_displacements, save_stats
from mdgan.analysis.lags import LagPlan
from mdgan.analysis.series import open_generated
from mdgan.smk import script_logging

p = snakemake.params
with script_logging(snakemake.log[0]) as log:
    series = open_generated(snakemake.input.positions, snakemake.input.meta)
    stats = generated_displacements(series, LagPlan.from_json(snakemake.input.plan), p.n_lags, p.max_lag_fraction,
                                    p.max_origins_per_ion, p.chunk_ions, p.max_samples_per_lag)
    log.info("generated displacements at %d lags, %d sample lags", stats.lag_steps.size, stats.sample_lag_steps.size)
    save_stats(stats, snakemake.output[0])
