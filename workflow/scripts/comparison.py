from mdgan.analysis.comparison import comparison_table
from mdgan.analysis.diffusion import COMMON_RANGE, ISOTROPIC
from mdgan.analysis.displacements import load_stats
from mdgan.analysis.lags import LagPlan
from mdgan.analysis.msd import load_samples, msd_curve
from mdgan.analysis.tables import read_diffusion_csv, write_csv
from mdgan.smk import script_logging

i = snakemake.input
with script_logging(snakemake.log[0]) as log:
    plan = LagPlan.from_json(i.plan)
    fits = read_diffusion_csv(i.diffusion)
    axes = [axis for source, fit, axis in fits if (source, fit) == ("MD", COMMON_RANGE) and axis != ISOTROPIC]
    axis_fits = {axis: (fits[("MD", COMMON_RANGE, axis)], fits[("MD-GAN", COMMON_RANGE, axis)]) for axis in axes}
    table = comparison_table(
        msd_curve(load_samples(i.msd_md)), msd_curve(load_samples(i.msd_generated)),
        fits[("MD", COMMON_RANGE, ISOTROPIC)], fits[("MD-GAN", COMMON_RANGE, ISOTROPIC)],
        load_stats(i.displacements_md), load_stats(i.displacements_generated), plan.compare_lags_ps, plan.window_ps,
        plan.matched_ps, axis_fits,
    )
    log.info("\n%s", table.to_string(index=False))
    write_csv(table, snakemake.output[0])
