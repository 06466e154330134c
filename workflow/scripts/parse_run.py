from mdgan.io import read_run
from mdgan.smk import script_logging
from mdgan.trajectory import write_ase_trajectory

with script_logging(snakemake.log[0]) as log:
    traj = read_run(**snakemake.params.run)
    log.info("%s: %d frames, %d atoms, dt %.3f fs", traj.source, traj.n_frames, traj.n_atoms, traj.frame_dt_fs)
    write_ase_trajectory(traj, snakemake.output[0])
