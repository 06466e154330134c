# The Snakemake report (snakemake --report results/report.html): its description and the table of
# calculation conditions. Figures and tables are flagged with report() where they are made.


report: "../report/workflow.rst"


from mdgan.workflow.benchmarks import stage_benchmark_files

# Stage label -> a file that stage makes (the data contract's paths); the conditions table reads the
# benchmark file of whichever rule makes it, so it does not depend on other rule files' names.
STAGE_PRODUCTS = {
    "parse MD runs": f"{RESULTS}/md/{{run}}/trajectory.traj",
    "extract Li tracks": f"{RESULTS}/md/{{run}}/li_unwrapped.npz",
    "training windows": f"{RESULTS}/dataset/windows.npz",
    "train MD-GAN": f"{RESULTS}/model/replica{{replica}}/generator.pt",
    "generate trajectories": f"{RESULTS}/generated/positions.npy",
    "MSD of MD": f"{RESULTS}/analysis/msd_md.csv",
    "MSD of MD-GAN": f"{RESULTS}/analysis/msd_generated.csv",
    "displacements of MD-GAN": f"{RESULTS}/analysis/displacements_generated.npz",
}
stage_benchmarks = lambda wc: stage_benchmark_files(
    workflow.rules, STAGE_PRODUCTS, {"run": list(config["runs"]), "replica": REPLICAS}
)


rule conditions_table:
    """Calculation conditions: MD runs, training data, generation, machine, wall time per stage."""
    input:
        tracks=MD_TRACKS,
        stats=STANDARDIZATION,
        meta=GENERATED["meta"],
        benchmarks=lambda wc: sorted(
            {f for files in stage_benchmarks(wc).values() for f in files}
        ),
        code=script_code("conditions_table.py"),
    output:
        report(
            f"{RESULTS}/analysis/conditions.csv",
            caption="../report/conditions.rst",
            category="Calculation conditions",
            labels={"table": "calculation conditions"},
        ),
    log:
        f"{RESULTS}/logs/analysis/conditions_table.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        runs=list(config["runs"]),
        run_formats={name: run.get("format") for name, run in config["runs"].items()},
        run_methods={name: run.get("method") for name, run in config["runs"].items()},
        charge=config["charge"],
        stages=lambda wc: stage_benchmarks(wc),
    script:
        "../scripts/conditions_table.py"
