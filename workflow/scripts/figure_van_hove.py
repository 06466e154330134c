from mdgan.analysis.displacements import load_stats
from mdgan.analysis.figures import plot_van_hove, save_figure
from mdgan.analysis.lags import LagPlan
from mdgan.smk import script_logging

i = snakemake.input
with script_logging(snakemake.log[0]):
    plan = LagPlan.from_json(i.plan)
    fig = plot_van_hove(load_stats(i.md), load_stats(i.generated), plan.window_ps, snakemake.params.bins,
                        plan.matched_ps)
    save_figure(fig, snakemake.output.png, snakemake.output.pdf, snakemake.params.dpi)
