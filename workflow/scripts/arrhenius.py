import pandas as pd

from mdgan.analysis.arrhenius import arrhenius_fit_table, arrhenius_points
from mdgan.analysis.tables import md_ion_density_per_ang3, write_csv
from mdgan.extract import load_tracks
from mdgan.smk import script_logging

p = snakemake.params
with script_logging(snakemake.log[0]) as log:
    tables = {t: pd.read_csv(path) for t, path in zip(p.temperatures_k, snakemake.input.diffusion)}
    points = arrhenius_points(tables)
    density = md_ion_density_per_ang3({run: load_tracks(path) for run, path in zip(p.runs, snakemake.input.tracks)})
    fits, _ = arrhenius_fit_table(points, p.extrapolation_temperature_k, density, p.charge)
    log.info("\n%s\n\n%s", points.to_string(index=False), fits.to_string(index=False))
    write_csv(points, snakemake.output.points)
    write_csv(fits, snakemake.output.fit)
