"""Nernst-Einstein conductivity from the tracer diffusion coefficient.

sigma = n q^2 D / (k_B T): n the number density of the mobile ions in the cell, q their charge.
It ignores ion-ion correlations (Haven ratio 1): with independent single-ion trajectories, as
MD-GAN generates, this is the most that can honestly be said.
"""

from __future__ import annotations

import numpy as np
from scipy.constants import elementary_charge, k as boltzmann

from mdgan.errors import InputError


def ion_density_per_ang3(n_ions: int, cell_ang: np.ndarray) -> float:
    """Ions per Angstrom^3 in a cell (3, 3) or the mean volume of cells (frames, 3, 3)."""
    cells = np.asarray(cell_ang, dtype=np.float64).reshape(-1, 3, 3)
    volume = float(np.mean(np.abs(np.linalg.det(cells))))
    if volume <= 0:
        raise InputError("the cell has zero volume: no ion density for the conductivity")
    return n_ions / volume


def nernst_einstein_S_per_cm(
    D_cm2_s: float, density_per_ang3: float, charge_e: float, temperature_k: float
) -> float:
    """Conductivity in S/cm from D (cm^2/s), ion density (1/Angstrom^3), charge (e), temperature (K)."""
    if not temperature_k or temperature_k <= 0:
        raise InputError(f"temperature {temperature_k} K: a positive temperature is needed for the conductivity")
    density_m3 = density_per_ang3 * 1e30
    d_m2_s = D_cm2_s * 1e-4
    q = charge_e * elementary_charge
    sigma_s_per_m = density_m3 * q**2 * d_m2_s / (boltzmann * temperature_k)
    return sigma_s_per_m / 100.0
