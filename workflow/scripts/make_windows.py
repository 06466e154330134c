from mdgan.extract import load_tracks
from mdgan.smk import script_logging
from mdgan.dataset import build_dataset, save_dataset, step_skip_table

p = snakemake.params
with script_logging(snakemake.log[0]) as log:
    tracks = {run: load_tracks(path) for run, path in zip(p.runs, snakemake.input.tracks)}
    dataset = build_dataset(tracks, p.step_skip, p.window_records, p.stride_records)
    log.info("%d windows of %d records", *dataset.windows.shape[:2])
    save_dataset(dataset, snakemake.output.windows, snakemake.output.stats)
    step_skip_table(tracks, p.step_skip_table, p.window_records, p.stride_records).to_csv(
        snakemake.output.table, index=False
    )
