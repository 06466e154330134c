rule make_windows:
    """Standardised increment windows for training, from every run, with their statistics."""
    input:
        tracks=expand(
            f"{RESULTS}/md/{{run}}/li_unwrapped.npz", run=list(config["runs"])
        ),
        code=script_code("make_windows.py"),
    output:
        windows=f"{RESULTS}/dataset/windows.npz",
        stats=f"{RESULTS}/dataset/standardization.json",
        table=f"{RESULTS}/dataset/step_skip_table.csv",
    log:
        f"{RESULTS}/logs/make_windows.log",
    benchmark:
        f"{RESULTS}/benchmarks/make_windows.tsv"
    conda:
        "../../envs/io.yaml"
    params:
        runs=list(config["runs"]),
        step_skip=config["step_skip"],
        window_records=config["window_records"],
        stride_records=config["windowing"]["stride_records"],
        step_skip_table=config["windowing"]["step_skip_table"],
    script:
        "../scripts/make_windows.py"
