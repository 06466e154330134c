# Analysis: MSD, diffusion coefficient, displacement distributions, comparison table and figures.
# Reads the MD tracks, the training windows' statistics, the generated series and the training log.

ANALYSIS = config["analysis"]
GENERATED = {
    "positions": f"{COND}/generated/positions.npy",
    "meta": f"{COND}/generated/meta.json",
}
STANDARDIZATION = f"{COND}/dataset/standardization.json"
LAG_PLAN = f"{COND}/analysis/lags.json"
FIGURES = ["msd", "z_displacement", "ion_paths", "van_hove", "training"]

# The figure rules' outputs: the PNG goes into the report with its caption, the PDF beside it.
FIGURE_OUTPUTS = {
    name: {
        "png": report(
            f"{COND}/figures/{name}.png",
            caption=f"../report/{name}.rst",
            category="Figures",
            subcategory=REPORT_SUBCATEGORY,
            labels={"figure": name.replace("_", " ")},
        ),
        "pdf": f"{COND}/figures/{name}.pdf",
    }
    for name in FIGURES
}


rule analysis_lags:
    """Time scales shared by every analysis rule: training window, longest MD lag, comparison lags."""
    input:
        tracks=condition_tracks,
        stats=STANDARDIZATION,
        code=script_code("analysis_lags.py"),
    output:
        LAG_PLAN,
    log:
        f"{COND}/logs/analysis/lags.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        runs=condition_runs,
        max_lag_fraction=ANALYSIS["max_lag_fraction"],
        compare_lags_ps=ANALYSIS["compare_lags_ps"],
        matched_windows=matched_windows(config["training"]),
    script:
        "../scripts/analysis_lags.py"


rule msd_md:
    """MSD over all ions and time origins of each MD run, runs pooled, isotropic and per axis, with its
    error over runs or time blocks."""
    input:
        tracks=condition_tracks,
        plan=LAG_PLAN,
        code=script_code("msd_md.py"),
    output:
        csv=f"{COND}/analysis/msd_md.csv",
        ions=f"{COND}/analysis/msd_md_ions.npz",
    log:
        f"{COND}/logs/analysis/msd_md.log",
    benchmark:
        f"{COND}/benchmarks/analysis/msd_md.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        runs=condition_runs,
        n_lags=ANALYSIS["msd"]["n_lags"],
        chunk_ions=ANALYSIS["msd"]["chunk_ions"],
        time_blocks=ANALYSIS["msd"]["time_blocks"],
    script:
        "../scripts/msd_md.py"


rule msd_generated:
    """MSD of the generated series by FFT, streamed over ions from the memory-mapped file, isotropic
    and along the MD cell's axes."""
    input:
        **GENERATED,
        plan=LAG_PLAN,
        tracks=condition_tracks,
        code=script_code("msd_generated.py"),
    output:
        csv=f"{COND}/analysis/msd_generated.csv",
        ions=f"{COND}/analysis/msd_generated_ions.npz",
    log:
        f"{COND}/logs/analysis/msd_generated.log",
    benchmark:
        f"{COND}/benchmarks/analysis/msd_generated.tsv"
    conda:
        "../../envs/analysis.yaml"
    threads: 8
    params:
        n_lags=ANALYSIS["msd"]["n_lags"],
        chunk_ions=ANALYSIS["msd"]["chunk_ions"],
        max_lag_fraction=ANALYSIS["max_lag_fraction"],
    script:
        "../scripts/msd_generated.py"


rule displacements_md:
    """Displacement moments (alpha2) and |dr| samples (van Hove) of the MD runs."""
    input:
        tracks=condition_tracks,
        plan=LAG_PLAN,
        code=script_code("displacements_md.py"),
    output:
        f"{COND}/analysis/displacements_md.npz",
    log:
        f"{COND}/logs/analysis/displacements_md.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        runs=condition_runs,
        n_lags=ANALYSIS["displacements"]["n_lags"],
        max_origins_per_ion=ANALYSIS["displacements"]["max_origins_per_ion"],
        max_samples_per_lag=ANALYSIS["displacements"]["max_samples_per_lag"],
        chunk_ions=ANALYSIS["displacements"]["chunk_ions"],
    script:
        "../scripts/displacements_md.py"


rule displacements_generated:
    """Displacement moments and |dr| samples of the generated series, streamed over ions."""
    input:
        **GENERATED,
        plan=LAG_PLAN,
        code=script_code("displacements_generated.py"),
    output:
        f"{COND}/analysis/displacements_generated.npz",
    log:
        f"{COND}/logs/analysis/displacements_generated.log",
    benchmark:
        f"{COND}/benchmarks/analysis/displacements_generated.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        n_lags=ANALYSIS["displacements"]["n_lags"],
        max_origins_per_ion=ANALYSIS["displacements"]["max_origins_per_ion"],
        max_samples_per_lag=ANALYSIS["displacements"]["max_samples_per_lag"],
        chunk_ions=ANALYSIS["displacements"]["chunk_ions"],
        max_lag_fraction=ANALYSIS["max_lag_fraction"],
    script:
        "../scripts/displacements_generated.py"


rule diffusion:
    """D over the common and each source's own diffusive range (or none), isotropic and per axis, its
    error, Nernst-Einstein conductivity."""
    input:
        md=rules.msd_md.output.ions,
        generated=rules.msd_generated.output.ions,
        tracks=condition_tracks,
        code=script_code("diffusion.py"),
    output:
        report(
            f"{COND}/analysis/diffusion.csv",
            caption="../report/diffusion.rst",
            category="Tables",
            subcategory=REPORT_SUBCATEGORY,
            labels={"table": "diffusion coefficient and conductivity"},
        ),
    log:
        f"{COND}/logs/analysis/diffusion.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        runs=condition_runs,
        charge=config["charge"],
        fit_range_md=ANALYSIS["diffusion"]["fit_range_ps"]["md"],
        fit_range_generated=ANALYSIS["diffusion"]["fit_range_ps"]["generated"],
        slope_tolerance=ANALYSIS["diffusion"]["slope_tolerance"],
        min_span_decades=ANALYSIS["diffusion"]["min_span_decades"],
        slope_half_width_decades=ANALYSIS["diffusion"]["slope_half_width_decades"],
    script:
        "../scripts/diffusion.py"


rule comparison:
    """MD-GAN against the MD it was trained on: D, MSD ratio, alpha2, Wasserstein distance per lag."""
    input:
        plan=LAG_PLAN,
        diffusion=rules.diffusion.output[0],
        msd_md=rules.msd_md.output.ions,
        msd_generated=rules.msd_generated.output.ions,
        displacements_md=rules.displacements_md.output[0],
        displacements_generated=rules.displacements_generated.output[0],
        code=script_code("comparison.py"),
    output:
        report(
            f"{COND}/analysis/comparison.csv",
            caption="../report/comparison.rst",
            category="Tables",
            subcategory=REPORT_SUBCATEGORY,
            labels={"table": "MD-GAN vs MD"},
        ),
    log:
        f"{COND}/logs/analysis/comparison.log",
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/comparison.py"


rule figure_msd:
    """MSD of MD and MD-GAN, log-log, fitted diffusive lines, training window shaded grey."""
    input:
        msd_md=rules.msd_md.output.csv,
        msd_generated=rules.msd_generated.output.csv,
        diffusion=rules.diffusion.output[0],
        plan=LAG_PLAN,
        code=script_code("figure_msd.py"),
    output:
        **FIGURE_OUTPUTS["msd"],
    log:
        f"{COND}/logs/analysis/figure_msd.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=ANALYSIS["figures"]["dpi"],
    script:
        "../scripts/figure_msd.py"


rule figure_z_displacement:
    """z displacement of every MD ion and of as many generated ions, shared axes."""
    input:
        **GENERATED,
        tracks=condition_tracks,
        code=script_code("figure_z_displacement.py"),
    output:
        **FIGURE_OUTPUTS["z_displacement"],
    log:
        f"{COND}/logs/analysis/figure_z_displacement.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=ANALYSIS["figures"]["dpi"],
    script:
        "../scripts/figure_z_displacement.py"


rule figure_ion_paths:
    """Paths over a short time in 3D inside the cell: the first run's ions and as many generated ones."""
    input:
        **GENERATED,
        track=lambda wc: condition_tracks(wc)[0],
        code=script_code("figure_ion_paths.py"),
    output:
        **FIGURE_OUTPUTS["ion_paths"],
    log:
        f"{COND}/logs/analysis/figure_ion_paths.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        duration_ps=ANALYSIS["figures"]["ion_paths_ps"],
        dpi=ANALYSIS["figures"]["dpi"],
    script:
        "../scripts/figure_ion_paths.py"


rule figure_van_hove:
    """Self van Hove function at the comparison lags and alpha2(t), MD against MD-GAN."""
    input:
        md=rules.displacements_md.output[0],
        generated=rules.displacements_generated.output[0],
        plan=LAG_PLAN,
        code=script_code("figure_van_hove.py"),
    output:
        **FIGURE_OUTPUTS["van_hove"],
    log:
        f"{COND}/logs/analysis/figure_van_hove.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        bins=ANALYSIS["figures"]["van_hove_bins"],
        dpi=ANALYSIS["figures"]["dpi"],
    script:
        "../scripts/figure_van_hove.py"


rule figure_training:
    """Training curves: WGAN-GP losses and the logged MSD ratios against iteration."""
    input:
        logs=expand(
            rules.train_mdgan.output.log_csv, replica=REPLICAS, allow_missing=True
        ),
        stats=STANDARDIZATION,
        code=script_code("figure_training.py"),
    output:
        **FIGURE_OUTPUTS["training"],
    log:
        f"{COND}/logs/analysis/figure_training.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        dpi=ANALYSIS["figures"]["dpi"],
    script:
        "../scripts/figure_training.py"
