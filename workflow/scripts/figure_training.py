import pandas as pd

from mdgan.analysis.figures import plot_training, save_figure
from mdgan.smk import script_logging
from mdgan.dataset import load_standardization

with script_logging(snakemake.log[0]):
    logs = [pd.read_csv(path) for path in snakemake.input.logs]
    fig = plot_training(logs, load_standardization(snakemake.input.stats)["record_dt_ps"])
    save_figure(fig, snakemake.output.png, snakemake.output.pdf, snakemake.params.dpi)
