import numpy as np
import pandas as pd

from mdgan.analysis.figures import save_figure
from mdgan.analysis.series import open_generated
from mdgan.atomic_io import atomic_write, save_json
from mdgan.smk import script_logging
from mdgan.validation.comparison import fidelity_table, generated_stats, heldout_stats, lag_grid, training_stats
from mdgan.validation.figures import plot_fidelity
from mdgan.validation.replicas import replica_table
from mdgan.validation.ranking import selection_score
from mdgan.validation.split import load_part, pieces_from_params
from mdgan.dataset import load_standardization

p = snakemake.params
inp = snakemake.input
with script_logging(snakemake.log[0]) as log:
    stats = load_standardization(inp.stats)
    pieces = load_part(pieces_from_params(p.pieces), dict(zip(p.runs, inp.tracks)))
    c = p.comparison
    grid = lag_grid(pieces, stats, c["n_lags"], c["distribution_lags"], c["max_lag_fraction"])
    log.info("held-out pieces %s; %d lags up to %.4g ps", list(pieces), grid.msd.size, grid.lag_ps.max())
    heldout = heldout_stats(pieces, grid, p.diffusion)
    training_pieces = load_part(pieces_from_params(p.training_pieces), dict(zip(p.training_runs, inp.training_tracks)))
    training = training_stats(training_pieces, grid, p.diffusion, c["max_lag_fraction"])
    log.info("training pieces %s (a perfect model of them): %s", list(training_pieces), training.fit)
    generated = {}
    for name, positions, meta in (("mdgan", inp.mdgan, inp.mdgan_meta), ("baseline", inp.baseline, inp.baseline_meta)):
        series = open_generated(positions, meta)
        if not np.isclose(series.record_dt_ps, grid.record_dt_ps, rtol=1e-6):
            raise ValueError(f"{positions}: record_dt_ps {series.record_dt_ps} differs from the windows' {grid.record_dt_ps}")
        generated[name] = generated_stats(series.positions_ang, grid, p.diffusion, c["max_lag_fraction"],
                                          replica_ions=series.replica_ions)
        log.info("%s: %s", name, generated[name].fit)
    matched_records = p.matched_windows * grid.window_records
    table = fidelity_table(heldout, generated, grid, p.truth_D_cm2_s, training, matched_records,
                           p.truth_D_axes_cm2_s)
    log.info("\n%s", table.to_string(index=False))
    with atomic_write(snakemake.output.table) as tmp:
        table.to_csv(tmp, index=False, float_format="%.8g")
    scores = [selection_score(pd.read_csv(path), p.selection_method) for path in inp.scores]
    replicas = replica_table(heldout, generated["mdgan"], scores, p.truth_D_cm2_s, p.truth_D_axes_cm2_s)
    log.info("replicate models:\n%s", replicas.to_string(index=False))
    with atomic_write(snakemake.output.replicas) as tmp:
        replicas.to_csv(tmp, index=False, float_format="%.8g")
    window_ps = grid.window_records * grid.record_dt_ps
    matched_ps = matched_records * grid.record_dt_ps
    save_figure(plot_fidelity(table, window_ps, matched_ps=matched_ps), snakemake.output.png, snakemake.output.pdf)
    save_json(snakemake.output.summary, {
        "window_ps": window_ps,
        "matched_ps": matched_ps,
        "record_dt_ps": grid.record_dt_ps,
        "heldout_pieces": list(pieces),
        "heldout_ions": sum(t.n_ions for t in pieces.values()),
        "training_pieces": list(training_pieces),
        "longest_lag_ps": float(grid.lag_ps.max()),
        "truth_D_cm2_s": p.truth_D_cm2_s,
        "truth_D_axes_cm2_s": p.truth_D_axes_cm2_s,
        "fits": {name: s.fit.__dict__ for name, s in {"heldout": heldout, **generated, "training_md": training}.items()},
        "axis_fits": {name: [f.__dict__ for f in s.axis_fits]
                      for name, s in {"heldout": heldout, **generated, "training_md": training}.items()},
        "replica_fits": [[f.__dict__ for f in fits] for fits in generated["mdgan"].replica_fits],
    })
