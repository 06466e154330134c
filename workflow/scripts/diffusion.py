from mdgan.analysis.msd import load_samples
from mdgan.analysis.tables import diffusion_table, write_csv
from mdgan.extract import load_tracks
from mdgan.smk import script_logging

p = snakemake.params
with script_logging(snakemake.log[0]) as log:
    runs = {run: load_tracks(path) for run, path in zip(p.runs, snakemake.input.tracks)}
    samples = {"MD": load_samples(snakemake.input.md), "MD-GAN": load_samples(snakemake.input.generated)}
    table, _ = diffusion_table(samples, runs, p.charge, {"MD": p.fit_range_md, "MD-GAN": p.fit_range_generated},
                               p.slope_tolerance, p.min_span_decades, p.slope_half_width_decades)
    log.info("\n%s", table.to_string(index=False))
    write_csv(table, snakemake.output[0])
