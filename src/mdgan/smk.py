"""Glue for the thin Snakemake scripts: logging into the rule's log file, thread limits."""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def script_logging(log_path: str | Path) -> Iterator[logging.Logger]:
    """Send logging, warnings and stderr of a rule's script to its log file.

    An exception is written to the log with its traceback and raised again, so that
    Snakemake marks the job failed and names the log.
    """
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w", buffering=1) as stream:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        logging.captureWarnings(True)
        warnings.simplefilter("default")
        old_stderr = sys.stderr
        sys.stderr = stream
        try:
            yield logging.getLogger("mdgan")
        except Exception:
            logging.getLogger("mdgan").exception("job failed")
            raise
        finally:
            sys.stderr = old_stderr
            logging.captureWarnings(False)
            root.removeHandler(handler)


def limit_threads(n_threads: int) -> None:
    """Keep torch and BLAS to the threads Snakemake gave the job."""
    import os

    n = str(max(1, int(n_threads)))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = n
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(int(n))
