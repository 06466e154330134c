rule extract_species:
    """Select the mobile species, unwrap it across periodic boundaries, remove framework drift."""
    input:
        traj=f"{RESULTS}/md/{{run}}/trajectory.traj",
        code=script_code("extract_species.py"),
    output:
        f"{RESULTS}/md/{{run}}/li_unwrapped.npz",
    log:
        f"{RESULTS}/logs/extract_species/{{run}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/extract_species/{{run}}.tsv"
    conda:
        "../../envs/io.yaml"
    params:
        species=config["species"],
        remove_drift=config["extraction"]["remove_drift"],
    script:
        "../scripts/extract_species.py"
