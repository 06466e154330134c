from mdgan.analysis.figures import plot_z_displacement, save_figure
from mdgan.analysis.series import open_generated
from mdgan.analysis.paths import c_axis, generated_z_displacement, z_displacement_traces
from mdgan.extract import load_tracks
from mdgan.smk import script_logging

with script_logging(snakemake.log[0]) as log:
    runs = [load_tracks(path) for path in snakemake.input.tracks]
    axis, axis_name = c_axis(runs[0].cell_ang[0])
    log.info("displacements along %s: unit vector %s", axis_name, axis.round(6).tolist())
    series = open_generated(snakemake.input.positions, snakemake.input.meta)
    time_ps, dz = generated_z_displacement(series, sum(t.n_ions for t in runs), axis)
    fig = plot_z_displacement(z_displacement_traces(dict(enumerate(runs)), axis), time_ps, dz, axis_name)
    save_figure(fig, snakemake.output.png, snakemake.output.pdf, snakemake.params.dpi)
