from mdgan.analysis.figures import plot_z_displacement, save_figure
from mdgan.analysis.series import open_generated
from mdgan.analysis.paths import generated_z_displacement, z_displacement_traces
from mdgan.extract import load_tracks
from mdgan.smk import script_logging

with script_logging(snakemake.log[0]):
    runs = [load_tracks(path) for path in snakemake.input.tracks]
    series = open_generated(snakemake.input.positions, snakemake.input.meta)
    time_ps, dz = generated_z_displacement(series, sum(t.n_ions for t in runs))
    fig = plot_z_displacement(z_displacement_traces(dict(enumerate(runs))), time_ps, dz)
    save_figure(fig, snakemake.output.png, snakemake.output.pdf, snakemake.params.dpi)
