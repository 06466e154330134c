from mdgan.extract import extract_species, save_tracks
from mdgan.smk import script_logging
from mdgan.trajectory import read_ase_trajectory

with script_logging(snakemake.log[0]) as log:
    traj = read_ase_trajectory(snakemake.input.traj)
    tracks = extract_species(traj, snakemake.params.species, remove_drift=snakemake.params.remove_drift)
    log.info("%d %s ions over %d frames", tracks.n_ions, tracks.species, tracks.n_frames)
    save_tracks(tracks, snakemake.output[0])
