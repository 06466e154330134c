# Temperature series (runs at two or more temperatures, common.smk): every condition's D gathered, an
# Arrhenius fit per source (MD, MD-GAN), D and the conductivity extrapolated. config/README.md,
# section Temperature series.

ARRHENIUS = f"{RESULTS}/arrhenius"
ARRHENIUS_TARGETS = [
    f"{ARRHENIUS}/arrhenius.csv",
    f"{ARRHENIUS}/arrhenius_fit.csv",
    f"{RESULTS}/figures/arrhenius.png",
    f"{RESULTS}/figures/arrhenius.pdf",
]
EXTRAPOLATION_K = config["analysis"]["arrhenius"]["extrapolation_temperature_k"]

if SERIES:

    rule arrhenius:
        """D(T) of MD and MD-GAN from every condition's diffusion table; a weighted Arrhenius fit per
        source, extrapolated to the configured temperature with the fit's covariance.
        """
        input:
            diffusion=every_condition(f"{COND}/analysis/diffusion.csv"),
            tracks=[f"{RESULTS}/md/{run}/li_unwrapped.npz" for run in config["runs"]],
            code=script_code("arrhenius.py"),
        output:
            points=report(
                f"{ARRHENIUS}/arrhenius.csv",
                caption="../report/arrhenius_points.rst",
                category="Temperature series",
                labels={"table": "D per temperature"},
            ),
            fit=report(
                f"{ARRHENIUS}/arrhenius_fit.csv",
                caption="../report/arrhenius_fit.rst",
                category="Temperature series",
                labels={"table": "Arrhenius fit"},
            ),
        log:
            f"{RESULTS}/logs/arrhenius/arrhenius.log",
        conda:
            "../../envs/analysis.yaml"
        params:
            temperatures_k=[c.temperature_k for c in CONDITIONS],
            runs=list(config["runs"]),
            charge=config["charge"],
            extrapolation_temperature_k=EXTRAPOLATION_K,
        script:
            "../scripts/arrhenius.py"

    rule figure_arrhenius:
        """ln D against 1000/T: MD and MD-GAN with their fits and the extrapolation's 2-sigma band."""
        input:
            points=rules.arrhenius.output.points,
            code=script_code("figure_arrhenius.py"),
        output:
            png=report(
                f"{RESULTS}/figures/arrhenius.png",
                caption="../report/arrhenius.rst",
                category="Temperature series",
                labels={"figure": "Arrhenius"},
            ),
            pdf=f"{RESULTS}/figures/arrhenius.pdf",
        log:
            f"{RESULTS}/logs/arrhenius/figure_arrhenius.log",
        conda:
            "../../envs/analysis.yaml"
        params:
            extrapolation_temperature_k=EXTRAPOLATION_K,
            dpi=config["analysis"]["figures"]["dpi"],
        script:
            "../scripts/figure_arrhenius.py"
