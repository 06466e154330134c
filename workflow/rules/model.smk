REPLICAS = list(range(config["training"]["replicas"]))
MODEL_DIR = f"{COND}/model/replica{{replica}}"


wildcard_constraints:
    replica=r"\d+",


rule train_mdgan:
    """Train one MD-GAN replica on the windows (WGAN-GP), seeded with training.seed + replica;
    resumes from its state/ directory after a kill."""
    input:
        windows=f"{COND}/dataset/windows.npz",
        stats=f"{COND}/dataset/standardization.json",
        code=script_code("train_mdgan.py"),
    output:
        generator=f"{MODEL_DIR}/generator.pt",
        log_csv=f"{MODEL_DIR}/training_log.csv",
    log:
        f"{COND}/logs/train_mdgan/replica{{replica}}.log",
    benchmark:
        f"{COND}/benchmarks/train_mdgan/replica{{replica}}.tsv"
    conda:
        "../../envs/model.yaml"
    threads: config["training"]["threads"]
    resources:
        gpu=gpu_tokens(config["training"]["device"]),
    params:
        model=config["model"],
        training=lambda wc: replica_training(config["training"], int(wc.replica)),
        device=config["training"]["device"],
        state_dir=f"{MODEL_DIR}/state",
    script:
        "../scripts/train_mdgan.py"


rule generate_mdgan:
    """Generate long Li trajectories from the trained replicas (an equal share of the ions each),
    starting at MD Li positions."""
    input:
        generators=expand(
            f"{MODEL_DIR}/generator.pt", replica=REPLICAS, allow_missing=True
        ),
        tracks=condition_tracks,
        code=script_code("generate_mdgan.py"),
    output:
        positions=f"{COND}/generated/positions.npy",
        meta=f"{COND}/generated/meta.json",
    log:
        f"{COND}/logs/generate_mdgan.log",
    benchmark:
        f"{COND}/benchmarks/generate_mdgan.tsv"
    conda:
        "../../envs/model.yaml"
    threads: config["generation"]["threads"]
    resources:
        gpu=gpu_tokens(config["generation"]["device"]),
    params:
        generation=config_without_runtime("generation"),
        device=config["generation"]["device"],
    script:
        "../scripts/generate_mdgan.py"
