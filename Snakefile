# MD-GAN workflow: SIESTA AIMD runs in, long generated Li trajectories, figures and a report out.
# Run:  snakemake --cores all --resources gpu=1   (README.md)

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/parse.smk"
include: "workflow/rules/extract.smk"
include: "workflow/rules/dataset.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/arrhenius.smk"
include: "workflow/rules/validation.smk"


rule all:
    default_target: True
    input:
        final_targets(),
