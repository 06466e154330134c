from mdgan.atomic_io import atomic_write
from mdgan.model.device import choose_device
from mdgan.model.generation import start_positions
from mdgan.model.generator_file import load_generators
from mdgan.model.settings import GenerationSettings, settings_from_dict
from mdgan.smk import limit_threads, script_logging
from mdgan.validation.comparison import lag_grid, pieces_displacements, pieces_msd
from mdgan.validation.ranking import choose
from mdgan.validation.selection import checkpoint_scores, write_selected
from mdgan.validation.split import load_part, pieces_from_params

p = snakemake.params
with script_logging(snakemake.log[0]) as log:
    limit_threads(snakemake.threads)
    device = choose_device(p.device)
    generators, stats = load_generators(snakemake.input.generator, 10**9, device)
    pieces = load_part(pieces_from_params(p.pieces), dict(zip(p.runs, snakemake.input.tracks)))
    c = p.comparison
    grid = lag_grid(pieces, stats, c["n_lags"], 1, c["max_lag_fraction"])
    selection_msd = pieces_msd(pieces, grid)
    selection_displacements = pieces_displacements(pieces, grid, samples=False)
    n_records = int(grid.msd.max() / c["max_lag_fraction"]) + 1
    settings = settings_from_dict(
        GenerationSettings,
        {**p.generation, "n_ions": p.selection["n_ions"], "n_steps": n_records * int(stats["step_skip"])},
    )
    starts = start_positions(list(pieces.values()), settings.n_ions, settings.seed)
    scores = checkpoint_scores(generators, stats, starts, settings, selection_msd, device, selection_displacements)
    chosen = choose(scores, p.selection["method"], p.selection["pool"])
    scores["selected"] = scores["iteration"].isin(chosen)
    log.info("checkpoint scores on the selection part (%s):\n%s", list(pieces), scores.to_string(index=False))
    with atomic_write(snakemake.output.scores) as tmp:
        scores.to_csv(tmp, index=False)
    write_selected(snakemake.input.generator, chosen, snakemake.output.generator)
