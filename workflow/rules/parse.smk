rule parse_run:
    """Read one MD run (SIESTA or any ASE format) into an ASE trajectory of all atoms."""
    input:
        run_files=run_input_files,
        code=script_code("parse_run.py"),
    output:
        f"{RESULTS}/md/{{run}}/trajectory.traj",
    log:
        f"{RESULTS}/logs/parse_run/{{run}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/parse_run/{{run}}.tsv"
    conda:
        "../../envs/io.yaml"
    params:
        run=lambda wc: run_settings(wc.run),
    script:
        "../scripts/parse_run.py"
