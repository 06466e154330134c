rule train_mdgan:
    """Train the MD-GAN on the windows (WGAN-GP); resumes from results/model/state/ after a kill."""
    input:
        windows=f"{RESULTS}/dataset/windows.npz",
        stats=f"{RESULTS}/dataset/standardization.json",
        code=script_code("train_mdgan.py"),
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
        code=script_code("generate_mdgan.py"),
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
