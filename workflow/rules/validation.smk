# Held-out validation (config validation:, outputs under results/validation/): a model and a baseline
# trained on the training part only, checkpoints chosen on the selection part only, both compared with
# the held-out part. config/README.md, section Validation.

VALIDATION = f"{RESULTS}/validation"
VALIDATION_CONFIG = config["validation"]


if VALIDATION_CONFIG["enabled"] and SERIES:
    raise ValueError(
        f"config key validation.enabled: the held-out validation runs on one temperature, but the runs "
        f"hold {len(CONDITIONS)} ({', '.join(CONDITION)}): set validation.enabled to false, or validate "
        f"with a config that lists one temperature's runs"
    )

if VALIDATION_CONFIG["enabled"]:
    from mdgan.workflow.validation import validation_plan

    # a bad split or training key stops the run here, before any job
    VPLAN = validation_plan(config, RESULTS)
    VREPLICAS = list(range(len(VPLAN["replica_training"])))
    VMODEL = f"{VALIDATION}/model/replica{{replica}}"

    rule validation_windows:
        """Standardised training windows from the training part only."""
        input:
            tracks=VPLAN["training"]["tracks"],
            code=script_code("validation_windows.py"),
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
            pieces=VPLAN["training"]["pieces"],
            runs=VPLAN["training"]["runs"],
            step_skip=config["step_skip"],
            window_records=config["window_records"],
            stride_records=VALIDATION_CONFIG["stride_records"]
            or config["windowing"]["stride_records"],
        script:
            "../scripts/validation_windows.py"

    rule validation_train_mdgan:
        """One MD-GAN replica trained on the training part's windows, seeded with training.seed + replica
        (the model rules' script, other paths)."""
        input:
            windows=f"{VALIDATION}/dataset/windows.npz",
            stats=f"{VALIDATION}/dataset/standardization.json",
            code=script_code("train_mdgan.py"),
        output:
            generator=f"{VMODEL}/generator.pt",
            log_csv=f"{VMODEL}/training_log.csv",
        log:
            f"{RESULTS}/logs/validation/train_mdgan/replica{{replica}}.log",
        benchmark:
            f"{RESULTS}/benchmarks/validation/train_mdgan/replica{{replica}}.tsv"
        conda:
            "../../envs/model.yaml"
        threads: config["training"]["threads"]
        resources:
            gpu=gpu_tokens(config["training"]["device"]),
        params:
            model=config["model"],
            training=lambda wc: VPLAN["replica_training"][int(wc.replica)],
            device=config["training"]["device"],
            state_dir=f"{VMODEL}/state",
        script:
            "../scripts/train_mdgan.py"

    rule validation_select_checkpoints:
        """Score every saved checkpoint of one replica on the selection part; keep the chosen ones for
        generation."""
        input:
            generator=f"{VMODEL}/generator.pt",
            tracks=VPLAN["selection"]["tracks"],
            code=script_code("validation_select_checkpoints.py"),
        output:
            generator=f"{VMODEL}/selected_generator.pt",
            scores=f"{VMODEL}/checkpoint_scores.csv",
        log:
            f"{RESULTS}/logs/validation/select_checkpoints/replica{{replica}}.log",
        benchmark:
            f"{RESULTS}/benchmarks/validation/select_checkpoints/replica{{replica}}.tsv"
        conda:
            "../../envs/model.yaml"
        threads: config["generation"]["threads"]
        resources:
            gpu=gpu_tokens(config["generation"]["device"]),
        params:
            pieces=VPLAN["selection"]["pieces"],
            runs=VPLAN["selection"]["runs"],
            selection=VALIDATION_CONFIG["checkpoint_selection"],
            comparison=VALIDATION_CONFIG["comparison"],
            generation={**VPLAN["generation_settings"], "checkpoints": 1},
            device=config["generation"]["device"],
        script:
            "../scripts/validation_select_checkpoints.py"

    rule validation_generate_mdgan:
        """Long series from every replica's selected checkpoints, an equal share of the ions each (the
        model rules' script, other paths)."""
        input:
            generators=expand(f"{VMODEL}/selected_generator.pt", replica=VREPLICAS),
            tracks=VPLAN["training"]["tracks"],
            code=script_code("generate_mdgan.py"),
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
            gpu=gpu_tokens(config["generation"]["device"]),
        params:
            generation={
                **VPLAN["generation_settings"],
                "checkpoints": VALIDATION_CONFIG["checkpoint_selection"]["pool"],
            },
            device=config["generation"]["device"],
        script:
            "../scripts/generate_mdgan.py"

    rule validation_fit_baseline:
        """AR(p) (or Gaussian) increments fitted to the same training windows."""
        input:
            windows=f"{VALIDATION}/dataset/windows.npz",
            stats=f"{VALIDATION}/dataset/standardization.json",
            code=script_code("validation_fit_baseline.py"),
        output:
            model=f"{VALIDATION}/baseline/model.json",
        log:
            f"{RESULTS}/logs/validation/fit_baseline.log",
        conda:
            "../../envs/model.yaml"
        params:
            order=VALIDATION_CONFIG["baseline"]["order"],
            method=VALIDATION_CONFIG["baseline"]["method"],
        script:
            "../scripts/validation_fit_baseline.py"

    rule validation_generate_baseline:
        """Baseline series with MD-GAN's layout, ion count, length and start positions."""
        input:
            model=f"{VALIDATION}/baseline/model.json",
            tracks=VPLAN["training"]["tracks"],
            code=script_code("validation_generate_baseline.py"),
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
            n_ions=VALIDATION_CONFIG["generation"]["n_ions"],
            n_steps=VPLAN["generation_settings"]["n_steps"],
            start_seed=config["generation"]["seed"],
            seed=VALIDATION_CONFIG["baseline"]["seed"],
        script:
            "../scripts/validation_generate_baseline.py"

    rule validation_compare:
        """MD-GAN and the baseline against the held-out MD: MSD ratio, D, Wasserstein per lag, alpha2;
        the training part's own MD beside them (what a perfect model of it would score); each
        replicate model's D and selection score (replicas.csv).
        """
        input:
            tracks=VPLAN["heldout"]["tracks"],
            training_tracks=VPLAN["training"]["tracks"],
            stats=f"{VALIDATION}/dataset/standardization.json",
            mdgan=f"{VALIDATION}/generated/positions.npy",
            mdgan_meta=f"{VALIDATION}/generated/meta.json",
            baseline=f"{VALIDATION}/baseline/positions.npy",
            baseline_meta=f"{VALIDATION}/baseline/meta.json",
            scores=expand(f"{VMODEL}/checkpoint_scores.csv", replica=VREPLICAS),
            code=script_code("validation_compare.py"),
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
            replicas=report(
                f"{VALIDATION}/replicas.csv",
                caption="../report/validation_replicas.rst",
                category="Validation",
                labels={"table": "replicate models"},
            ),
        log:
            f"{RESULTS}/logs/validation/compare.log",
        benchmark:
            f"{RESULTS}/benchmarks/validation/compare.tsv"
        conda:
            "../../envs/analysis.yaml"
        params:
            pieces=VPLAN["heldout"]["pieces"],
            runs=VPLAN["heldout"]["runs"],
            training_pieces=VPLAN["training"]["pieces"],
            training_runs=VPLAN["training"]["runs"],
            comparison=VALIDATION_CONFIG["comparison"],
            selection_method=VALIDATION_CONFIG["checkpoint_selection"]["method"],
            diffusion=config["analysis"]["diffusion"],
            truth_D_cm2_s=VALIDATION_CONFIG["ground_truth_D_cm2_s"],
            truth_D_axes_cm2_s=VALIDATION_CONFIG.get("ground_truth_D_axes_cm2_s"),
            matched_windows=matched_windows(VPLAN["training_settings"]),
        script:
            "../scripts/validation_compare.py"
