from mdgan.analysis.lags import plan_for_runs
from mdgan.extract import load_tracks
from mdgan.smk import script_logging
from mdgan.dataset import load_standardization

p = snakemake.params
with script_logging(snakemake.log[0]) as log:
    runs = {run: load_tracks(path) for run, path in zip(p.runs, snakemake.input.tracks)}
    plan = plan_for_runs(runs, load_standardization(snakemake.input.stats), p.max_lag_fraction, p.compare_lags_ps,
                         p.matched_windows)
    log.info("window %.4g ps, matched to %.4g ps, MD lags up to %.4g ps, comparison lags %s ps", plan.window_ps,
             plan.matched_ps, plan.md_max_lag_ps, plan.compare_lags_ps)
    plan.to_json(snakemake.output[0])
