"""Synthetic Li-like ground truth: overdamped Langevin ions hopping between cosine-potential sites.

Each ion moves in the separable potential U(r) = sum_axes -V0 cos(2 pi x / a): sites on a simple
cubic lattice of spacing a, saddle points between neighbouring sites at 2 V0 above a site, maxima at
the cube centres (where the rigid heavy framework atoms sit). The overdamped Langevin equation

    dx = -(D0 / kT) U'(x) dt + sqrt(2 D0) dW        (per Cartesian component, independently)

gives vibration inside a site (relaxation time tau_site), rare hops over the barrier and, beyond the
mean residence time, normal diffusion with the exact long-time coefficient of Lifson and Jackson
(J. Chem. Phys. 36, 2410 (1962)) for a 1D periodic potential, here per axis:

    D = D0 / (<exp(U/kT)> <exp(-U/kT)>) = D0 / I0(V0 / kT)^2.

Ions do not interact (a tracer model: several ions may share a site).

Temperature series: the bare diffusion obeys the Einstein relation D0 = kT / friction with a
temperature-independent friction, so D0 is proportional to T (``CosineLattice.at_temperature``).
At a high barrier (V0 >> kT), I0(x) ~ exp(x) / sqrt(2 pi x) turns the exact law into an Arrhenius
law with a constant prefactor, D -> (D0 / T)_ref (pi E_b / k) exp(-E_b / kT) with E_b = 2 V0; at a
finite barrier ln D is slightly curved against 1/T (``exact_arrhenius`` quantifies it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
from scipy.special import i0, i1

BOLTZMANN_EV_K = 8.617333262e-5
ANG2_PS_TO_CM2_S = 1e-4  # 1 A^2/ps = 1e-16 cm^2 / 1e-12 s


@dataclass(frozen=True)
class CosineLattice:
    """The potential and the bare mobility of the synthetic system.

    site_spacing_ang: a, distance between neighbouring sites, Angstrom.
    barrier_ev: 2 V0, energy of the saddle between two sites above a site, eV.
    bare_diffusion_ang2_ps: D0, diffusion coefficient without the potential, A^2/ps.
    sites_per_axis: sites along each cell edge (even: framework atoms on every other cube centre).
    """

    site_spacing_ang: float = 2.0
    barrier_ev: float = 0.25
    bare_diffusion_ang2_ps: float = 0.5
    temperature_k: float = 600.0
    sites_per_axis: int = 4

    def __post_init__(self) -> None:
        if self.sites_per_axis < 2 or self.sites_per_axis % 2:
            raise ValueError(f"sites_per_axis must be even and >= 2, got {self.sites_per_axis}")
        for name in ("site_spacing_ang", "barrier_ev", "bare_diffusion_ang2_ps", "temperature_k"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")

    @classmethod
    def at_temperature(cls, temperature_k: float, reference: CosineLattice | None = None) -> CosineLattice:
        """The same system at another temperature: D0 scaled by T / T_ref (Einstein, fixed friction).

        reference: the system at its own temperature (default ``CosineLattice()``: 0.25 eV, D0 =
        0.5 A^2/ps at 600 K); potential, spacing and cell are kept. At T_ref it returns ``reference``.
        """
        reference = cls() if reference is None else reference
        if not temperature_k > 0:
            raise ValueError(f"temperature_k must be positive, got {temperature_k}")
        if temperature_k == reference.temperature_k:
            return reference
        d0 = reference.bare_diffusion_ang2_ps * (temperature_k / reference.temperature_k)
        return replace(reference, temperature_k=float(temperature_k), bare_diffusion_ang2_ps=d0)

    @property
    def friction_ev_ps_per_ang2(self) -> float:
        """kT / D0 (eV ps / A^2): the same at every temperature of a series made by ``at_temperature``."""
        return BOLTZMANN_EV_K * self.temperature_k / self.bare_diffusion_ang2_ps

    @property
    def cell_ang(self) -> np.ndarray:
        """(3, 3) cubic cell, lattice vectors as rows, Angstrom."""
        return np.eye(3) * self.site_spacing_ang * self.sites_per_axis

    @property
    def reduced_amplitude(self) -> float:
        """V0 / kT (dimensionless)."""
        return 0.5 * self.barrier_ev / (BOLTZMANN_EV_K * self.temperature_k)

    @property
    def wavenumber_per_ang(self) -> float:
        return 2.0 * np.pi / self.site_spacing_ang

    def diffusion_ang2_ps(self) -> float:
        """Exact long-time self-diffusion coefficient (Lifson-Jackson), A^2/ps."""
        return self.bare_diffusion_ang2_ps / i0(self.reduced_amplitude) ** 2

    def residence_time_ps(self) -> float:
        """Mean time between hops to a neighbouring site: a^2 / (6 D), ps."""
        return self.site_spacing_ang**2 / (6.0 * self.diffusion_ang2_ps())

    def site_relaxation_time_ps(self) -> float:
        """Relaxation time of the harmonic approximation of a site: 1 / (D0 k^2 V0 / kT), ps."""
        return 1.0 / (self.bare_diffusion_ang2_ps * self.wavenumber_per_ang**2 * self.reduced_amplitude)

    def mean_cos(self) -> float:
        """Equilibrium <cos(2 pi x / a)> of each component: I1(V0/kT) / I0(V0/kT)."""
        return float(i1(self.reduced_amplitude) / i0(self.reduced_amplitude))

    def summary(self) -> dict:
        """Parameters and derived ground truth, JSON-ready."""
        d_ang2_ps = self.diffusion_ang2_ps()
        return {
            **asdict(self),
            "cell_ang": float(self.cell_ang[0, 0]),
            "reduced_amplitude_V0_over_kT": self.reduced_amplitude,
            "D_ang2_ps": d_ang2_ps,
            "D_cm2_s": d_ang2_ps * ANG2_PS_TO_CM2_S,
            "residence_time_ps": self.residence_time_ps(),
            "site_relaxation_time_ps": self.site_relaxation_time_ps(),
        }


def arrhenius_line(temperatures_k: Sequence[float], values: Sequence[float]) -> tuple[float, float]:
    """Unweighted least-squares line of ln(value) against 1/T: (activation energy eV, prefactor).

    value = prefactor * exp(-Ea / kT), the prefactor in the units of ``values``.
    """
    t = np.asarray(temperatures_k, dtype=float)
    y = np.log(np.asarray(values, dtype=float))
    if t.shape != y.shape or t.ndim != 1 or np.unique(t).size < 2:
        raise ValueError(f"need matching 1D temperatures and values at >= 2 temperatures, got {t}, {values}")
    slope, intercept = np.polyfit(1.0 / t, y, 1)
    return float(-slope * BOLTZMANN_EV_K), float(np.exp(intercept))


def exact_arrhenius(
    lattices_or_temperatures: Iterable[CosineLattice | float],
    extrapolated_temperature_k: float,
    reference: CosineLattice | None = None,
) -> dict:
    """Exact D(T) of a temperature series, its Arrhenius line over those temperatures, and an extrapolation.

    lattices_or_temperatures: lattices of one series (same potential, same friction kT / D0), or
    temperatures (K) turned into lattices by ``CosineLattice.at_temperature(T, reference)``.
    The line is the unweighted least-squares fit of ln D_exact against 1/T at exactly those
    temperatures: its slope is the "exact Ea over the range", which the Lifson-Jackson curvature makes
    depend on the range (0.2383 eV for the default system over 500, 600, 750, 1000 K, 2 V0 = 0.25 eV).
    At ``extrapolated_temperature_k`` the exact D and the line's D differ by the curvature
    (ln D_exact - ln D_line = -0.136 at 300 K for the default series). JSON-ready dict.
    """
    lattices = [
        x if isinstance(x, CosineLattice) else CosineLattice.at_temperature(float(x), reference)
        for x in lattices_or_temperatures
    ]
    if len({lat.temperature_k for lat in lattices}) < 2:
        raise ValueError("exact_arrhenius needs at least 2 distinct temperatures")
    base = lattices[0]
    for lat in lattices[1:]:
        same = (lat.site_spacing_ang, lat.barrier_ev) == (base.site_spacing_ang, base.barrier_ev)
        if not same or not np.isclose(lat.friction_ev_ps_per_ang2, base.friction_ev_ps_per_ang2, rtol=1e-9):
            raise ValueError(f"not one temperature series (potential or friction kT/D0 differ): {base} vs {lat}")
    temperatures = [lat.temperature_k for lat in lattices]
    d_cm2_s = [lat.diffusion_ang2_ps() * ANG2_PS_TO_CM2_S for lat in lattices]
    ea_ev, prefactor = arrhenius_line(temperatures, d_cm2_s)
    extrapolated = CosineLattice.at_temperature(float(extrapolated_temperature_k), base)
    d_exact = extrapolated.diffusion_ang2_ps() * ANG2_PS_TO_CM2_S
    d_line = prefactor * np.exp(-ea_ev / (BOLTZMANN_EV_K * extrapolated.temperature_k))
    return {
        "temperatures_k": temperatures,
        "D_exact_cm2_s": d_cm2_s,
        "fit": "unweighted least squares of ln D_exact against 1/T at these temperatures",
        "Ea_eV": ea_ev,
        "prefactor_cm2_s": prefactor,
        "T_extrapolated_k": extrapolated.temperature_k,
        "D_exact_extrapolated_cm2_s": d_exact,
        "D_line_extrapolated_cm2_s": float(d_line),
        "ln_D_exact_minus_line_extrapolated": float(np.log(d_exact / d_line)),
    }


def equilibrium_start(lattice: CosineLattice, n_ions: int, rng: np.random.Generator) -> np.ndarray:
    """(n_ions, 3) positions, Angstrom, drawn from the equilibrium distribution.

    Distinct sites where possible (uniformly at random), each component displaced from its site by
    the exact Boltzmann distribution exp((V0/kT) cos(k x)) (a von Mises distribution).
    """
    n_sites = lattice.sites_per_axis**3
    sites = rng.choice(n_sites, size=n_ions, replace=n_ions > n_sites)
    grid = np.stack(np.unravel_index(sites, (lattice.sites_per_axis,) * 3), axis=1)
    offsets = rng.vonmises(0.0, lattice.reduced_amplitude, size=(n_ions, 3)) / lattice.wavenumber_per_ang
    return grid * lattice.site_spacing_ang + offsets


def simulate(
    lattice: CosineLattice,
    start_ang: np.ndarray,
    n_frames: int,
    frame_dt_fs: float,
    substeps: int,
    rng: np.random.Generator,
    chunk_frames: int = 1000,
) -> np.ndarray:
    """Euler-Maruyama integration, ``substeps`` steps per frame; unwrapped positions of every frame.

    start_ang: (ions, 3) positions at t = 0. Returns (n_frames, ions, 3) float64, frame i (from 0) at
    t = (i + 1) * frame_dt_fs, as the records of a SIESTA ANI file. Noise is drawn in chunks of
    ``chunk_frames`` frames, so the result depends on the seed and the chunk size only.
    """
    if n_frames < 1 or substeps < 1:
        raise ValueError(f"n_frames and substeps must be positive, got {n_frames}, {substeps}")
    dt_ps = frame_dt_fs / 1000.0 / substeps
    k = lattice.wavenumber_per_ang
    drift = dt_ps * lattice.bare_diffusion_ang2_ps * lattice.reduced_amplitude * k  # A per unit sin
    noise = np.sqrt(2.0 * lattice.bare_diffusion_ang2_ps * dt_ps)
    x = np.array(start_ang, dtype=np.float64)
    frames = np.empty((n_frames, *x.shape))
    for first in range(0, n_frames, chunk_frames):
        n = min(chunk_frames, n_frames - first)
        kicks = rng.standard_normal((n, substeps, *x.shape))
        kicks *= noise
        for i in range(n):
            for s in range(substeps):
                x -= drift * np.sin(k * x)
                x += kicks[i, s]
            frames[first + i] = x
    return frames


def framework_positions(lattice: CosineLattice) -> np.ndarray:
    """(atoms, 3) rigid framework on every other cube centre (potential maxima), Angstrom."""
    a = lattice.site_spacing_ang
    centres = a * (np.arange(0, lattice.sites_per_axis, 2) + 0.5)
    return np.stack(np.meshgrid(centres, centres, centres, indexing="ij"), axis=-1).reshape(-1, 3)


def write_synthetic_run(
    directory,
    lattice: CosineLattice,
    n_ions: int,
    n_frames: int,
    frame_dt_fs: float,
    substeps: int,
    seed: int,
    framework_symbol: str = "Zr",
    label: str = "synth",
):
    """Simulate one run and write it as SIESTA output (``<label>.fdf`` + ``<label>.ANI``).

    Li atoms come first, then the rigid framework. The fdf's MD.LengthTimeStep is the frame
    interval ``frame_dt_fs`` (``substeps`` integration steps). Returns the fdf path.
    """
    rng = np.random.default_rng(seed)
    start = equilibrium_start(lattice, n_ions, rng)
    li = simulate(lattice, start, n_frames, frame_dt_fs, substeps, rng)
    truth = lattice.summary()
    comment = (
        f"Synthetic Li-like system (mdgan.validation.synthetic), seed {seed}: NOT a SIESTA run.\n"
        f"Overdamped Langevin Li in a separable cosine potential: sites {lattice.site_spacing_ang:g} A apart,\n"
        f"barrier {lattice.barrier_ev:g} eV, D0 {lattice.bare_diffusion_ang2_ps:g} A^2/ps, {lattice.temperature_k:g} K; "
        f"rigid {framework_symbol} framework.\n"
        f"Exact long-time D (Lifson-Jackson) = {truth['D_cm2_s']:.6e} cm^2/s; "
        f"mean residence time {truth['residence_time_ps']:.3f} ps.\n"
        f"MD.LengthTimeStep is the frame interval ({substeps} Euler-Maruyama steps)."
    )
    return write_li_in_framework(directory, label, lattice, start, li, frame_dt_fs, framework_symbol, comment)


def write_li_in_framework(
    directory, label: str, lattice, start_ang: np.ndarray, li_ang: np.ndarray, frame_dt_fs: float,
    framework_symbol: str, comment: str,
):
    """Write Li paths (frames, ions, 3) starting at ``start_ang`` (ions, 3), Angstrom, then the rigid
    framework of ``lattice`` (``framework_positions``; its ``cell_ang`` and ``temperature_k``), as SIESTA
    output (``<label>.fdf`` + ``<label>.ANI``, MD.LengthTimeStep = ``frame_dt_fs``). Returns the fdf path."""
    from ase.data import atomic_numbers

    from mdgan.io.siesta_export import write_siesta_run

    framework = framework_positions(lattice)
    numbers = np.array([3] * len(start_ang) + [atomic_numbers[framework_symbol]] * len(framework))
    frames = np.concatenate([li_ang, np.broadcast_to(framework, (len(li_ang), *framework.shape))], axis=1)
    return write_siesta_run(
        directory,
        label,
        numbers,
        start_positions_ang=np.concatenate([start_ang, framework]),
        frames_ang=frames,
        cell_ang=lattice.cell_ang,
        timestep_fs=frame_dt_fs,
        temperature_k=lattice.temperature_k,
        comment=comment,
    )
