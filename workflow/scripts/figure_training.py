import pandas as pd

from mdgan.analysis.figures import plot_training, save_figure
from mdgan.smk import script_logging
from mdgan.dataset import load_standardization

with script_logging(snakemake.log[0]):
    log_table = pd.read_csv(snakemake.input.log)
    fig = plot_training(log_table, load_standardization(snakemake.input.stats)["record_dt_ps"])
    save_figure(fig, snakemake.output.png, snakemake.output.pdf, snakemake.params.dpi)
