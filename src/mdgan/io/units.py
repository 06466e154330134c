"""Unit conversion for fdf physical values (units are case-insensitive in fdf)."""

from __future__ import annotations

BOHR_ANG = 0.529177210903
"""One Bohr in Angstrom (CODATA 2018)."""
KB_EV = 8.617333262e-5
"""Boltzmann constant, eV/K."""
RY_EV = 13.605693122994

LENGTH_ANG = {
    "ang": 1.0,
    "angstrom": 1.0,
    "bohr": BOHR_ANG,
    "au": BOHR_ANG,
    "nm": 10.0,
    "pm": 0.01,
    "cm": 1e8,
    "m": 1e10,
}
TIME_FS = {"fs": 1.0, "ps": 1e3, "ns": 1e6, "s": 1e15}
TEMPERATURE_K = {
    "k": 1.0,
    "ev": 1.0 / KB_EV,
    "mev": 1e-3 / KB_EV,
    "ry": RY_EV / KB_EV,
    "mry": 1e-3 * RY_EV / KB_EV,
}
