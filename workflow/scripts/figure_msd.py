from mdgan.analysis.figures import plot_msd, save_figure
from mdgan.analysis.lags import LagPlan
from mdgan.analysis.msd import read_curve_csv
from mdgan.analysis.tables import read_diffusion_csv
from mdgan.smk import script_logging

i = snakemake.input
with script_logging(snakemake.log[0]):
    plan = LagPlan.from_json(i.plan)
    fig = plot_msd(read_curve_csv(i.msd_md), read_curve_csv(i.msd_generated), plan.window_ps,
                   read_diffusion_csv(i.diffusion), plan.matched_ps)
    save_figure(fig, snakemake.output.png, snakemake.output.pdf, snakemake.params.dpi)
