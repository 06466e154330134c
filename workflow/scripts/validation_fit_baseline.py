import numpy as np

from mdgan.smk import script_logging
from mdgan.validation.baseline import fit_ar, save_model
from mdgan.dataset import load_standardization

with script_logging(snakemake.log[0]) as log:
    with np.load(snakemake.input.windows) as data:
        windows = data["windows"]
    model = fit_ar(windows, snakemake.params.order, load_standardization(snakemake.input.stats), snakemake.params.method)
    log.info("AR(%d) (%s) on %d windows: innovation std %s, coefficients\n%s",
             model.order, snakemake.params.method, len(windows), model.noise_std, model.coefficients)
    save_model(snakemake.output.model, model)
