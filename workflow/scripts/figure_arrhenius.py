import pandas as pd

from mdgan.analysis.arrhenius import arrhenius_fits
from mdgan.analysis.arrhenius_figure import plot_arrhenius
from mdgan.analysis.figures import save_figure
from mdgan.smk import script_logging

p = snakemake.params
with script_logging(snakemake.log[0]):
    points = pd.read_csv(snakemake.input.points)
    fig = plot_arrhenius(points, arrhenius_fits(points), p.extrapolation_temperature_k)
    save_figure(fig, snakemake.output.png, snakemake.output.pdf, p.dpi)
