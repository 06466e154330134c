# The Snakemake report (snakemake --report results/report.html): its description and the table of
# calculation conditions. Figures and tables are flagged with report() where they are made.


report: "../report/workflow.rst"


from mdgan.workflow.benchmarks import stage_benchmark_files

# Stage label -> a file that stage makes (the data contract's paths); the conditions table reads the
# benchmark file of whichever rule makes it, so it does not depend on other rule files' names.
STAGE_PRODUCTS = {
    "parse MD runs": f"{RESULTS}/md/{{run}}/trajectory.traj",
    "extract Li tracks": f"{RESULTS}/md/{{run}}/li_unwrapped.npz",
    "training windows": f"{COND}/dataset/windows.npz",
    "train MD-GAN": f"{COND}/model/replica{{replica}}/generator.pt",
    "generate trajectories": f"{COND}/generated/positions.npy",
    "MSD of MD": f"{COND}/analysis/msd_md.csv",
    "MSD of MD-GAN": f"{COND}/analysis/msd_generated.csv",
    "displacements of MD-GAN": f"{COND}/analysis/displacements_generated.npz",
}
stage_benchmarks = lambda wc: stage_benchmark_files(
    workflow.rules,
    STAGE_PRODUCTS,
    {
        "run": condition_runs(wc),
        "replica": REPLICAS,
        "condition": [condition_of(wc).name],
    },
)


rule conditions_table:
    """Calculation conditions: MD runs, training data, generation, machine, wall time per stage."""
    input:
        tracks=condition_tracks,
        stats=STANDARDIZATION,
        meta=GENERATED["meta"],
        benchmarks=lambda wc: sorted(
            {f for files in stage_benchmarks(wc).values() for f in files}
        ),
        code=script_code("conditions_table.py"),
    output:
        report(
            f"{COND}/analysis/conditions.csv",
            caption="../report/conditions.rst",
            category="Calculation conditions",
            subcategory=REPORT_SUBCATEGORY,
            labels={"table": "calculation conditions"},
        ),
    log:
        f"{COND}/logs/analysis/conditions_table.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        runs=condition_runs,
        run_formats={name: run.get("format") for name, run in config["runs"].items()},
        run_methods={name: run.get("method") for name, run in config["runs"].items()},
        charge=config["charge"],
        stages=lambda wc: stage_benchmarks(wc),
    script:
        "../scripts/conditions_table.py"
