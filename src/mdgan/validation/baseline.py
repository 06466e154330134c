"""Baseline generator: independent Gaussian (p = 0) or AR(p) increments fitted to the training windows.

The honest reference for MD-GAN: any stationary increment model with the right autocorrelation gets
the long-time D right; MD-GAN has to beat it on distributions (van Hove, alpha2, MSD crossover).
Each Cartesian component is an independent Gaussian AR(p) process in the standardised units of the
windows, fitted by least squares inside the windows or by Yule-Walker on their pooled autocovariance.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.linalg import solve_toeplitz
from scipy.signal import lfilter

from mdgan.atomic_io import atomic_write, save_json
from mdgan.errors import InputError


@dataclass(frozen=True)
class ARModel:
    """Per-component AR(p) model of standardised increments.

    coefficients: (3, p) phi_j of x_t = sum_j phi_j x_{t-j} + noise_std * e_t (p may be 0).
    noise_std: (3,) innovation standard deviation, standardised units.
    autocovariance: (3, p + 1) the model's stationary autocovariance at lags 0..p (Yule-Walker: the
    windows' pooled sample autocovariance).
    mean_ang, std_ang: (3,) standardisation of the windows, Angstrom per record.
    record_dt_ps, step_skip: the records the model describes.
    """

    coefficients: np.ndarray
    noise_std: np.ndarray
    autocovariance: np.ndarray
    mean_ang: np.ndarray
    std_ang: np.ndarray
    record_dt_ps: float
    step_skip: int

    @property
    def order(self) -> int:
        return self.coefficients.shape[1]

    def to_dict(self) -> dict:
        return {
            "order": self.order,
            "coefficients": self.coefficients.tolist(),
            "noise_std": self.noise_std.tolist(),
            "autocovariance": self.autocovariance.tolist(),
            "mean_ang": self.mean_ang.tolist(),
            "std_ang": self.std_ang.tolist(),
            "record_dt_ps": self.record_dt_ps,
            "step_skip": self.step_skip,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "ARModel":
        return cls(
            coefficients=np.asarray(d["coefficients"], dtype=np.float64).reshape(3, d["order"]),
            noise_std=np.asarray(d["noise_std"], dtype=np.float64),
            autocovariance=np.asarray(d["autocovariance"], dtype=np.float64),
            mean_ang=np.asarray(d["mean_ang"], dtype=np.float64),
            std_ang=np.asarray(d["std_ang"], dtype=np.float64),
            record_dt_ps=float(d["record_dt_ps"]),
            step_skip=int(d["step_skip"]),
        )


def pooled_autocovariance(windows: np.ndarray, max_lag: int, chunk: int = 4096) -> np.ndarray:
    """(3, max_lag + 1) autocovariance of each component, pooled over all pairs inside all windows.

    windows: (windows, records, 3). The pooled mean is removed first; lag h averages the
    windows * (records - h) products x_t x_{t+h}.
    """
    n_windows, n_records, _ = windows.shape
    if not 0 <= max_lag < n_records:
        raise ValueError(f"max_lag must be in [0, {n_records - 1}], got {max_lag}")
    mean = windows.mean(axis=(0, 1), dtype=np.float64)
    sums = np.zeros((3, max_lag + 1))
    for first in range(0, n_windows, chunk):
        x = np.asarray(windows[first : first + chunk], dtype=np.float64) - mean
        for h in range(max_lag + 1):
            sums[:, h] += np.einsum("wtc,wtc->c", x[:, : n_records - h], x[:, h:])
    return sums / (n_windows * (n_records - np.arange(max_lag + 1)))


def lagged_moments(windows: np.ndarray, order: int, chunk: int = 512) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Normal equations of the per-component regression x_t on (x_{t-1}, ..., x_{t-p}) over every
    t >= p inside every window (pooled mean removed): X'X (3, p, p), X'y (3, p), y'y (3,), rows."""
    n_windows, n_records, _ = windows.shape
    mean = windows.mean(axis=(0, 1), dtype=np.float64)
    xtx, xty, yty = np.zeros((3, order, order)), np.zeros((3, order)), np.zeros(3)
    for first in range(0, n_windows, chunk):
        x = np.asarray(windows[first : first + chunk], dtype=np.float64) - mean
        view = np.lib.stride_tricks.sliding_window_view(x, order + 1, axis=1)  # (w, t, 3, p+1), oldest first
        rows = view.shape[0] * view.shape[1]
        design = view[..., ::-1][..., 1:].reshape(rows, 3, order)  # x_{t-1}, ..., x_{t-p}
        target = view[..., order].reshape(rows, 3)
        xtx += np.einsum("nci,ncj->cij", design, design)
        xty += np.einsum("nci,nc->ci", design, target)
        yty += np.einsum("nc,nc->c", target, target)
    return xtx, xty, yty, n_windows * (n_records - order)


def implied_autocovariance(coefficients: np.ndarray, noise_var: float) -> np.ndarray:
    """(p + 1,) autocovariance at lags 0..p of the stationary AR(p) process with these coefficients:
    gamma(h) - sum_j phi_j gamma(|h - j|) = noise_var * [h == 0], solved for gamma."""
    p = coefficients.size
    a = np.eye(p + 1)
    for h in range(p + 1):
        for j in range(1, p + 1):
            a[h, abs(h - j)] -= coefficients[j - 1]
    rhs = np.zeros(p + 1)
    rhs[0] = noise_var
    return np.linalg.solve(a, rhs)


def fit_ar(windows: np.ndarray, order: int, standardization: dict, method: str = "least-squares") -> ARModel:
    """AR(``order``) fit per component to standardised windows (windows, records, 3).

    method "least-squares": regression of each record on the ``order`` before it, inside every window
    (always a positive innovation variance); "yule-walker": Toeplitz equations of the autocovariance
    pooled over all windows (on very smooth increments, such as 20 fs LGPS records, its estimate is not
    positive definite and the fit fails). The model's own stationary autocovariance is kept.
    standardization: the windows' ``standardization.json`` (mean_ang, std_ang, record_dt_ps, step_skip).
    """
    if order >= windows.shape[1]:
        raise InputError(
            f"config key validation.baseline.order: AR order {order} needs windows longer than it "
            f"(windows have {windows.shape[1]} records)"
        )
    coefficients, noise_var = np.zeros((3, order)), np.zeros(3)
    if method == "least-squares":
        xtx, xty, yty, rows = lagged_moments(windows, order)
        for c in range(3):
            coefficients[c] = np.linalg.solve(xtx[c], xty[c]) if order else coefficients[c]
            noise_var[c] = (yty[c] - coefficients[c] @ xty[c]) / rows
    elif method == "yule-walker":
        gamma = pooled_autocovariance(windows, order)
        for c in range(3):
            if order:
                coefficients[c] = solve_toeplitz(gamma[c, :order], gamma[c, 1:])
            noise_var[c] = gamma[c, 0] - coefficients[c] @ gamma[c, 1:]
    else:
        raise InputError(f"config key validation.baseline.method: {method!r}; expected least-squares or yule-walker")
    if np.any(noise_var <= 0):
        raise InputError(f"AR({order}) {method} fit is singular (innovation variances {noise_var}); lower the order")
    for c in range(3):
        if order and np.abs(np.roots(np.concatenate([[1.0], -coefficients[c]]))).max() >= 1:
            raise InputError(f"AR({order}) {method} fit of component {c} is not stationary; lower the order")
    return ARModel(
        coefficients=coefficients,
        noise_std=np.sqrt(noise_var),
        autocovariance=np.stack([implied_autocovariance(coefficients[c], noise_var[c]) for c in range(3)]),
        mean_ang=np.asarray(standardization["mean_ang"], dtype=np.float64),
        std_ang=np.asarray(standardization["std_ang"], dtype=np.float64),
        record_dt_ps=float(standardization["record_dt_ps"]),
        step_skip=int(standardization["step_skip"]),
    )


def model_autocovariance(model: ARModel, max_lag: int) -> np.ndarray:
    """(3, max_lag + 1) autocovariance the fitted model implies (continues its recursion beyond p)."""
    p = model.order
    gamma = np.zeros((3, max(max_lag, p) + 1))
    gamma[:, : p + 1] = model.autocovariance
    for h in range(p + 1, max_lag + 1):  # gamma(h) = sum_j phi_j gamma(h - j)
        gamma[:, h] = np.einsum("cj,cj->c", model.coefficients, gamma[:, h - np.arange(1, p + 1)])
    return gamma[:, : max_lag + 1]


def _ion_noise(seed: int, ions: range, n: int) -> np.ndarray:
    """(len(ions), n, 3) standard normal draws, one stream per ion: chunking never changes them."""
    children = np.random.SeedSequence(seed).spawn(ions.stop)[ions.start : ions.stop]
    return np.stack([np.random.default_rng(s).standard_normal((n, 3)) for s in children])


def generate_increments(model: ARModel, seed: int, ions: range, n_increments: int) -> np.ndarray:
    """Stationary AR increments in Angstrom, (len(ions), n_increments, 3) float64, of mean zero: the
    training data's sample mean is noise, and re-added it would be a drift shared by every ion.

    The first p values of each component are drawn from the exact stationary distribution
    (Toeplitz covariance of the fitted autocovariance), so there is no burn-in transient.
    """
    p = model.order
    draws = _ion_noise(seed, ions, p + n_increments)  # first p rows: initial values
    x = np.empty((len(ions), n_increments, 3))
    for c in range(3):
        innovations = model.noise_std[c] * draws[:, p:, c]
        if p == 0:
            x[:, :, c] = innovations
            continue
        g = model.autocovariance[c]
        cov = g[np.abs(np.subtract.outer(np.arange(p), np.arange(p)))]
        past = draws[:, :p, c] @ np.linalg.cholesky(cov).T  # (ions, p), oldest first
        phi = model.coefficients[c]
        # Direct form II transposed state after the past values: zi[m] = sum_{k>m} phi_k y[m - k].
        zi = np.stack([past[:, p - 1 - np.arange(0, p - m)] @ phi[m:] for m in range(p)], axis=1)
        x[:, :, c] = lfilter([1.0], np.concatenate([[1.0], -phi]), innovations, axis=1, zi=zi)[0]
    return x * model.std_ang  # zero mean: no collective drift (mdgan.model.drift)


def write_positions(
    path: str | Path, model: ARModel, start_ang: np.ndarray, n_records: int, seed: int, chunk_ions: int = 128
) -> None:
    """Stream (ions, n_records, 3) float32 unwrapped positions to ``path`` (.npy), chunk by chunk.

    start_ang: (ions, 3) the first record of every ion; the following records add AR increments.
    Written atomically; memory holds one chunk of ions.
    """
    start_ang = np.asarray(start_ang, dtype=np.float64)
    n_ions = start_ang.shape[0]
    with atomic_write(path) as tmp:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(n_ions, n_records, 3))
        for first in range(0, n_ions, chunk_ions):
            ions = range(first, min(first + chunk_ions, n_ions))
            steps = generate_increments(model, seed, ions, n_records - 1)
            chunk = np.empty((len(ions), n_records, 3))
            chunk[:, 0] = start_ang[first : ions.stop]
            np.cumsum(steps, axis=1, out=chunk[:, 1:])
            chunk[:, 1:] += chunk[:, :1]
            out[first : ions.stop] = chunk
        out.flush()
        del out


def save_model(path: str | Path, model: ARModel) -> None:
    save_json(path, model.to_dict())


def load_model(path: str | Path) -> ARModel:
    import json

    return ARModel.from_dict(json.loads(Path(path).read_text()))


def generate_baseline(model: ARModel, starts_ang: np.ndarray, n_steps: int, seed: int, path: str | Path) -> dict:
    """Write ``positions.npy`` (ions, n_steps // step_skip, 3) as MD-GAN does; return its meta data."""
    import time

    t0 = time.perf_counter()
    n_records = n_steps // model.step_skip
    if n_records < 2:
        raise InputError(f"n_steps {n_steps} gives {n_records} record(s) at step_skip {model.step_skip}; need 2")
    write_positions(path, model, starts_ang, n_records, seed)
    return {
        "generator": "gaussian" if model.order == 0 else f"AR({model.order})",
        "record_dt_ps": model.record_dt_ps,
        "step_skip": model.step_skip,
        "n_steps": int(n_steps),
        "n_records": int(n_records),
        "n_ions": int(len(starts_ang)),
        "seed": int(seed),
        "settings": {"order": model.order},
        "wall_time_s": time.perf_counter() - t0,
    }
