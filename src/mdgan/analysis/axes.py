"""The three directions of the per-axis MSD and D, and their names, from the simulation cell.

The frame is orthonormal, so the three 1D MSDs add up to the isotropic MSD and the isotropic D is the
mean of the three per-axis D (each the slope / 2 of its 1D MSD):

- axis 1 along the cell vector a;
- axis 3 along c* (the reciprocal vector, normal to the ab plane);
- axis 2 = axis 3 x axis 1: in the ab plane, perpendicular to a.

Names: ``x, y, z`` when a, b and c lie along Cartesian x, y and z (an orthogonal cell in the standard
setting; the frame is then the Cartesian one). Otherwise ``a``; ``b`` when b is perpendicular to a,
else ``b_perp`` (in the ab plane, perpendicular to a); ``c`` when c is normal to the ab plane, else
``c_perp`` (along c*). A hexagonal cell (gamma = 120 degrees, c normal to the ab plane) gives
``a, b_perp, c``; a monoclinic one with b unique gives ``a, b, c_perp``.
"""

from __future__ import annotations

import numpy as np

from mdgan.errors import InputError

CARTESIAN_AXES = ("x", "y", "z")
ANGLE_TOLERANCE = 1e-3  # |cos| below this counts as perpendicular, 1 - cos below it as parallel


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _parallel(u: np.ndarray, v: np.ndarray) -> bool:
    return bool(1.0 - abs(float(_unit(u) @ _unit(v))) < ANGLE_TOLERANCE)


def _perpendicular(u: np.ndarray, v: np.ndarray) -> bool:
    return bool(abs(float(_unit(u) @ _unit(v))) < ANGLE_TOLERANCE)


def cell_frame(cell_ang: np.ndarray) -> tuple[np.ndarray, tuple[str, str, str]]:
    """Orthonormal analysis frame of a cell and the names of its axes (see the module docstring).

    cell_ang: (3, 3) rows a, b, c in Angstrom, or (frames, 3, 3) (their mean is used).
    Returns (3, 3) rows the unit vectors of axes 1, 2, 3 (Cartesian components), and their names.
    """
    cell = np.asarray(cell_ang, dtype=np.float64).reshape(-1, 3, 3).mean(axis=0)
    if abs(np.linalg.det(cell)) < 1e-9:
        raise InputError("the cell has zero volume: no a, b, c axes for the per-axis MSD")
    a, b, c = cell
    c_star = np.cross(a, b) * np.sign(np.linalg.det(cell))
    e1, e3 = _unit(a), _unit(c_star)
    frame = np.stack([e1, np.cross(e3, e1), e3])
    if all(_parallel(v, axis) for v, axis in zip(cell, np.eye(3))) and np.all(np.diag(cell) > 0):
        return np.eye(3), CARTESIAN_AXES
    names = ("a", "b" if _perpendicular(a, b) else "b_perp", "c" if _parallel(c, c_star) else "c_perp")
    return frame, names


def common_frame(cells_ang: list[np.ndarray]) -> tuple[np.ndarray, tuple[str, str, str]]:
    """The frame of several runs' cells (each (3, 3) or (frames, 3, 3)); they must give the same one."""
    frames = [cell_frame(cell) for cell in cells_ang]
    first, names = frames[0]
    for other, other_names in frames[1:]:
        if other_names != names or not np.allclose(other, first, atol=ANGLE_TOLERANCE):
            raise InputError(
                f"the runs' cells point their axes in different directions ({names} vs {other_names}): "
                "per-axis MSDs of the runs cannot be pooled"
            )
    return first, names
