# Held-out validation (config validation:, outputs under results/validation/): a model and a baseline
# trained on the training part only, checkpoints chosen on the selection part only, both compared with
# the held-out part. config/README.md, section Validation.

VALIDATION = f"{RESULTS}/validation"


def validation_split():
    """The configured split as pieces per part (refuses unknown runs, overlaps, empty parts)."""
    from mdgan.validation.split import parse_split

    return parse_split(config["validation"]["split"], config["runs"])


def validation_pieces(part):
    from mdgan.validation.split import piece_params

    return piece_params(validation_split()[part])


def validation_runs(part):
    from mdgan.validation.split import runs_of

    return runs_of(validation_split()[part])


def validation_tracks(part):
    return [f"{RESULTS}/md/{run}/li_unwrapped.npz" for run in validation_runs(part)]


def validation_training_settings():
    """The top-level training section with the validation's replacements (runtime keys dropped)."""
    overrides = config["validation"]["training"]
    unknown = sorted(set(overrides) - set(config["training"]))
    if unknown:
        raise ValueError(
            f"config key validation.training: unknown training keys {unknown}"
        )
    merged = {**config["training"], **overrides}
    return {k: v for k, v in merged.items() if k not in ("device", "threads")}


def validation_generation_settings(n_checkpoints):
    """Generation settings of the validation: top-level ones, validation's ions and steps."""
    g = config["validation"]["generation"]
    settings = {
        k: v for k, v in config["generation"].items() if k not in ("device", "threads")
    }
    settings["n_ions"] = g["n_ions"]
    settings["n_steps"] = g["n_steps"] or config["generation"]["n_steps"]
    settings["checkpoints"] = n_checkpoints
    return settings


def validation_targets():
    return [
        f"{VALIDATION}/comparison.csv",
        f"{VALIDATION}/fidelity.png",
    ]


if config["validation"]["enabled"]:
    validation_split()  # a bad split stops the run before any job
    validation_training_settings()


rule validation_windows:
    """Standardised training windows from the training part only."""
    input:
        tracks=lambda wc: validation_tracks("training"),
        code=package_files("windows.py", "extract.py", "validation/split.py"),
    output:
        windows=f"{VALIDATION}/dataset/windows.npz",
        stats=f"{VALIDATION}/dataset/standardization.json",
    log:
        f"{RESULTS}/logs/validation/windows.log",
    benchmark:
        f"{RESULTS}/benchmarks/validation/windows.tsv"
    conda:
        "../../envs/io.yaml"
    params:
        pieces=lambda wc: validation_pieces("training"),
        runs=lambda wc: validation_runs("training"),
        step_skip=config["step_skip"],
        window_records=config["window_records"],
        stride_records=config["validation"]["stride_records"]
        or config["windowing"]["stride_records"],
    script:
        "../scripts/validation_windows.py"


rule validation_train_mdgan:
    """MD-GAN trained on the training part's windows (the model rules' script, other paths)."""
    input:
        windows=f"{VALIDATION}/dataset/windows.npz",
        stats=f"{VALIDATION}/dataset/standardization.json",
        code=package_files("model", "windows.py"),
    output:
        generator=f"{VALIDATION}/model/generator.pt",
        log_csv=f"{VALIDATION}/model/training_log.csv",
    log:
        f"{RESULTS}/logs/validation/train_mdgan.log",
    benchmark:
        f"{RESULTS}/benchmarks/validation/train_mdgan.tsv"
    conda:
        "../../envs/model.yaml"
    threads: config["training"]["threads"]
    resources:
        gpu=1,
    params:
        model=config["model"],
        training=validation_training_settings(),
        device=config["training"]["device"],
        state_dir=f"{VALIDATION}/model/state",
    script:
        "../scripts/train.py"


rule validation_select_checkpoints:
    """Score every saved checkpoint on the selection part; keep the chosen ones for generation."""
    input:
        generator=f"{VALIDATION}/model/generator.pt",
        tracks=lambda wc: validation_tracks("selection"),
        code=package_files("model", "analysis", "validation", "extract.py"),
    output:
        generator=f"{VALIDATION}/model/selected_generator.pt",
        scores=f"{VALIDATION}/checkpoint_scores.csv",
    log:
        f"{RESULTS}/logs/validation/select_checkpoints.log",
    benchmark:
        f"{RESULTS}/benchmarks/validation/select_checkpoints.tsv"
    conda:
        "../../envs/model.yaml"
    threads: config["generation"]["threads"]
    resources:
        gpu=1,
    params:
        pieces=lambda wc: validation_pieces("selection"),
        runs=lambda wc: validation_runs("selection"),
        selection=config["validation"]["checkpoint_selection"],
        comparison=config["validation"]["comparison"],
        generation=validation_generation_settings(1),
        device=config["generation"]["device"],
    script:
        "../scripts/validation_select.py"


rule validation_generate_mdgan:
    """Long series from the selected checkpoints (the model rules' script, other paths)."""
    input:
        generator=f"{VALIDATION}/model/selected_generator.pt",
        tracks=lambda wc: validation_tracks("training"),
        code=package_files("model", "extract.py"),
    output:
        positions=f"{VALIDATION}/generated/positions.npy",
        meta=f"{VALIDATION}/generated/meta.json",
    log:
        f"{RESULTS}/logs/validation/generate_mdgan.log",
    benchmark:
        f"{RESULTS}/benchmarks/validation/generate_mdgan.tsv"
    conda:
        "../../envs/model.yaml"
    threads: config["generation"]["threads"]
    resources:
        gpu=1,
    params:
        generation=validation_generation_settings(
            config["validation"]["checkpoint_selection"]["pool"]
        ),
        device=config["generation"]["device"],
    script:
        "../scripts/generate.py"


rule validation_fit_baseline:
    """AR(p) (or Gaussian) increments fitted to the same training windows."""
    input:
        windows=f"{VALIDATION}/dataset/windows.npz",
        stats=f"{VALIDATION}/dataset/standardization.json",
        code=package_files("validation/baseline.py"),
    output:
        model=f"{VALIDATION}/baseline/model.json",
    log:
        f"{RESULTS}/logs/validation/fit_baseline.log",
    conda:
        "../../envs/model.yaml"
    params:
        order=config["validation"]["baseline"]["order"],
    script:
        "../scripts/validation_baseline_fit.py"


rule validation_generate_baseline:
    """Baseline series with MD-GAN's layout, ion count, length and start positions."""
    input:
        model=f"{VALIDATION}/baseline/model.json",
        tracks=lambda wc: validation_tracks("training"),
        code=package_files(
            "validation/baseline.py", "model/generation.py", "extract.py"
        ),
    output:
        positions=f"{VALIDATION}/baseline/positions.npy",
        meta=f"{VALIDATION}/baseline/meta.json",
    log:
        f"{RESULTS}/logs/validation/generate_baseline.log",
    benchmark:
        f"{RESULTS}/benchmarks/validation/generate_baseline.tsv"
    conda:
        "../../envs/model.yaml"
    threads: 1
    params:
        n_ions=config["validation"]["generation"]["n_ions"],
        n_steps=validation_generation_settings(1)["n_steps"],
        start_seed=config["generation"]["seed"],
        seed=config["validation"]["baseline"]["seed"],
    script:
        "../scripts/validation_baseline_generate.py"


rule validation_compare:
    """MD-GAN and the baseline against the held-out MD: MSD ratio, D, Wasserstein per lag, alpha2."""
    input:
        tracks=lambda wc: validation_tracks("heldout"),
        stats=f"{VALIDATION}/dataset/standardization.json",
        mdgan=f"{VALIDATION}/generated/positions.npy",
        mdgan_meta=f"{VALIDATION}/generated/meta.json",
        baseline=f"{VALIDATION}/baseline/positions.npy",
        baseline_meta=f"{VALIDATION}/baseline/meta.json",
        code=package_files("analysis", "validation", "extract.py", "windows.py"),
    output:
        table=report(
            f"{VALIDATION}/comparison.csv",
            caption="../report/validation_comparison.rst",
            category="Validation",
            labels={"table": "held-out comparison"},
        ),
        png=report(
            f"{VALIDATION}/fidelity.png",
            caption="../report/validation_fidelity.rst",
            category="Validation",
            labels={"figure": "held-out fidelity"},
        ),
        pdf=f"{VALIDATION}/fidelity.pdf",
        summary=f"{VALIDATION}/summary.json",
    log:
        f"{RESULTS}/logs/validation/compare.log",
    benchmark:
        f"{RESULTS}/benchmarks/validation/compare.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        pieces=lambda wc: validation_pieces("heldout"),
        runs=lambda wc: validation_runs("heldout"),
        comparison=config["validation"]["comparison"],
        diffusion=config["analysis"]["diffusion"],
        truth_D_cm2_s=config["validation"]["ground_truth_D_cm2_s"],
    script:
        "../scripts/validation_compare.py"
