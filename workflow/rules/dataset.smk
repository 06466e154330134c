rule make_windows:
    """Standardised increment windows for training, from every run, with their statistics."""
    input:
        tracks=condition_tracks,
        code=script_code("make_windows.py"),
    output:
        windows=f"{COND}/dataset/windows.npz",
        stats=f"{COND}/dataset/standardization.json",
        table=f"{COND}/dataset/step_skip_table.csv",
    log:
        f"{COND}/logs/make_windows.log",
    benchmark:
        f"{COND}/benchmarks/make_windows.tsv"
    conda:
        "../../envs/io.yaml"
    params:
        runs=condition_runs,
        step_skip=config["step_skip"],
        window_records=config["window_records"],
        stride_records=config["windowing"]["stride_records"],
        step_skip_table=config["windowing"]["step_skip_table"],
    script:
        "../scripts/make_windows.py"
