from mdgan.analysis.figures import plot_ion_paths, save_figure
from mdgan.analysis.series import ion_major, open_generated
from mdgan.analysis.paths import first_paths
from mdgan.extract import load_tracks
from mdgan.smk import script_logging

p = snakemake.params
with script_logging(snakemake.log[0]):
    run = load_tracks(snakemake.input.track)
    series = open_generated(snakemake.input.positions, snakemake.input.meta)
    md = first_paths(ion_major(run), run.n_ions, run.frame_dt_fs / 1000.0, p.duration_ps)
    generated = first_paths(series.positions_ang, run.n_ions, series.record_dt_ps, p.duration_ps)
    fig = plot_ion_paths(run.cell_ang[0], md, generated, p.duration_ps)
    save_figure(fig, snakemake.output.png, snakemake.output.pdf, p.dpi)
