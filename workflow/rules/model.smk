MODEL_CODE = ["model/__init__.py", "model/settings.py", "model/networks.py", "model/noise.py", "model/check.py",
              "model/generator_file.py", "model/device.py"]  # fmt: skip


rule train_mdgan:
    """Train the MD-GAN on the windows (WGAN-GP); resumes from results/model/state/ after a kill."""
    input:
        windows=f"{RESULTS}/dataset/windows.npz",
        stats=f"{RESULTS}/dataset/standardization.json",
        code=package_files(
            *MODEL_CODE,
            "model/losses.py",
            "model/state.py",
            "model/training.py",
            "model/matching.py",
            "dataset.py",
        ),
    output:
        generator=f"{RESULTS}/model/generator.pt",
        log_csv=f"{RESULTS}/model/training_log.csv",
    log:
        f"{RESULTS}/logs/train_mdgan.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_mdgan.tsv"
    conda:
        "../../envs/model.yaml"
    threads: config["training"]["threads"]
    resources:
        gpu=1,
    params:
        model=config["model"],
        training=config_without_runtime("training"),
        device=config["training"]["device"],
        state_dir=f"{RESULTS}/model/state",
    script:
        "../scripts/train_mdgan.py"


rule generate_mdgan:
    """Generate long Li trajectories from the trained generator, starting at MD Li positions."""
    input:
        generator=f"{RESULTS}/model/generator.pt",
        tracks=expand(
            f"{RESULTS}/md/{{run}}/li_unwrapped.npz", run=list(config["runs"])
        ),
        code=package_files(
            *MODEL_CODE, "model/generation.py", "extract.py", "trajectory.py"
        ),
    output:
        positions=f"{RESULTS}/generated/positions.npy",
        meta=f"{RESULTS}/generated/meta.json",
    log:
        f"{RESULTS}/logs/generate_mdgan.log",
    benchmark:
        f"{RESULTS}/benchmarks/generate_mdgan.tsv"
    conda:
        "../../envs/model.yaml"
    threads: config["generation"]["threads"]
    resources:
        gpu=1,
    params:
        generation=config_without_runtime("generation"),
        device=config["generation"]["device"],
    script:
        "../scripts/generate_mdgan.py"
