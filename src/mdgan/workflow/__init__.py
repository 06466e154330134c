"""Helpers the rule files (``workflow/rules/*.smk``) call while Snakemake parses the workflow.

Modules: ``code`` (the package files a script runs, declared as rule inputs), ``replicas`` (one
replicate model's training settings), ``validation`` (the held-out validation's plan from the config),
``benchmarks`` (which benchmark files time a stage).
"""
