import json
from pathlib import Path

from mdgan.analysis.conditions import conditions_table
from mdgan.analysis.tables import write_csv
from mdgan.dataset import load_standardization
from mdgan.extract import load_tracks
from mdgan.smk import script_logging

p = snakemake.params
with script_logging(snakemake.log[0]):
    runs = {run: load_tracks(path) for run, path in zip(p.runs, snakemake.input.tracks)}
    benchmarks = {stage: [f for f in snakemake.input.benchmarks if f in files] for stage, files in p.stages.items()}
    table = conditions_table(runs, p.run_formats, p.run_methods, load_standardization(snakemake.input.stats),
                             json.loads(Path(snakemake.input.meta).read_text()), benchmarks, p.charge)
    write_csv(table, snakemake.output[0])
