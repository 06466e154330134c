from mdgan.smk import script_logging
from mdgan.validation.split import load_part, pieces_from_params
from mdgan.dataset import build_dataset, save_dataset

p = snakemake.params
with script_logging(snakemake.log[0]) as log:
    pieces = pieces_from_params(p.pieces)
    tracks = load_part(pieces, dict(zip(p.runs, snakemake.input.tracks)))
    for label, t in tracks.items():
        log.info("training piece %s: %d frames x %d ions", label, t.n_frames, t.n_ions)
    dataset = build_dataset(tracks, p.step_skip, p.window_records, p.stride_records)
    log.info("%d windows of %d records", *dataset.windows.shape[:2])
    save_dataset(dataset, snakemake.output.windows, snakemake.output.stats)
