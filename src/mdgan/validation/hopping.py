"""Anisotropic synthetic ground truth: Li hopping between sites with back-hop correlation, vibrating in each site.

Model (a tracer model: ions do not interact, several may share a site). Sites lie on a simple cubic
lattice of spacing a in a periodic cubic cell of ``sites_per_axis``^3 sites. An ion waits in its site
an exponential time of mean 1/K, K = 4 k_xy + 2 k_z (k_xy: rate to each of the 4 in-plane
neighbours, k_z: to each of the 2 neighbours along z, 1/ps), then hops a distance a in one of the six
directions +x, -x, +y, -y, +z, -z. The direction: with probability p_back the reverse of the previous
hop (back to the site it came from); otherwise drawn from the rates, P(e) = pi_e = k_e / K (which may
also be the reverse). Waiting times are independent of the directions, so hops form a Poisson process
of rate K and the directions a Markov chain with the transition matrix

    T = p_back R + (1 - p_back) 1 pi^T,        R[d, e] = 1 where e = -d,

whose stationary distribution is pi (pi_{-e} = pi_e).

Exact D per axis. The component along alpha of a hop, v(d) = +-1 or 0, is odd (v(-d) = -v(d)) and
has mean 0 under pi, so T v = -p_back v: hop components m hops apart are correlated as
c_m = c_0 (-p_back)^m, c_0 = <v^2> = 2 k_alpha / K. With N(t) ~ Poisson(K t) hops and q = -p_back,

    <dx_alpha^2>_hops(t) = a^2 c_0 [K t (1 + q) / (1 - q) - 2 q (1 - exp(-K t (1 - q))) / (1 - q)^2]

(sum_{i,j<=N} q^|i-j| averaged over N; ``msd_ang2``), hence

    D_alpha = lim <dx_alpha^2> / (2 t) = a^2 k_alpha (1 - p_back) / (1 + p_back),

at p_back = 0 the uncorrelated walk a^2 k_alpha (sum over the 2 neighbours along alpha of k_alpha a^2 / 2).

Vibration: on top of its site each Cartesian component of an ion follows an Ornstein-Uhlenbeck
process (rms amplitude sigma, relaxation time tau), independent of the hops and continuous across them.
It adds 2 sigma^2 (1 - exp(-t / tau)) to each axis's MSD, bounded: nothing to D. The non-Gaussian
parameter of the sum has no closed form here (``alpha2_reference`` measures it). Note that the 3D
alpha2 of an anisotropic Gaussian is not 0: with D_z = 3 D_x = 3 D_y it tends to 0.128.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from mdgan.validation.synthetic import ANG2_PS_TO_CM2_S, write_li_in_framework

# Hop directions in units of the site spacing: +x, -x, +y, -y, +z, -z (the reverse of d is d ^ 1).
DIRECTIONS = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], dtype=np.int8)


@dataclass(frozen=True)
class HoppingLattice:
    """Parameters of the anisotropic hopping model.

    site_spacing_ang: a, distance between neighbouring sites, Angstrom.
    sites_per_axis: sites along each cell edge (even: framework atoms on every other cube centre).
    inplane_rate_per_ps: k_xy, hop rate to each of the 4 neighbours in the xy plane, 1/ps.
    z_rate_per_ps: k_z, hop rate to each of the 2 neighbours along z, 1/ps.
    back_hop_probability: p_back, probability that a hop reverses the previous one (module docstring).
    vibration_rms_ang: sigma, rms displacement about the site per Cartesian component, Angstrom.
    vibration_time_ps: tau, relaxation time of that displacement, ps.
    temperature_k: a label written into the fdf; the dynamics do not depend on it.
    """

    site_spacing_ang: float = 2.0
    sites_per_axis: int = 4
    inplane_rate_per_ps: float = 0.01
    z_rate_per_ps: float = 0.03
    back_hop_probability: float = 0.3
    vibration_rms_ang: float = 0.25
    vibration_time_ps: float = 0.1
    temperature_k: float = 600.0

    def __post_init__(self) -> None:
        if self.sites_per_axis < 2 or self.sites_per_axis % 2:
            raise ValueError(f"sites_per_axis must be even and >= 2, got {self.sites_per_axis}")
        for name in ("site_spacing_ang", "vibration_time_ps", "temperature_k"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.inplane_rate_per_ps < 0 or self.z_rate_per_ps < 0 or not self.total_rate_per_ps > 0:
            raise ValueError(f"rates must be >= 0 and not both 0: {self.inplane_rate_per_ps}, {self.z_rate_per_ps}")
        if not 0 <= self.back_hop_probability < 1:
            raise ValueError(f"back_hop_probability must be in [0, 1), got {self.back_hop_probability}")
        if self.vibration_rms_ang < 0:
            raise ValueError(f"vibration_rms_ang must be >= 0, got {self.vibration_rms_ang}")

    @property
    def cell_ang(self) -> np.ndarray:
        """(3, 3) cubic cell, lattice vectors as rows, Angstrom."""
        return np.eye(3) * self.site_spacing_ang * self.sites_per_axis

    @property
    def rates_per_ps(self) -> np.ndarray:
        """(6,) hop rate in each direction of ``DIRECTIONS``, 1/ps."""
        k_xy, k_z = self.inplane_rate_per_ps, self.z_rate_per_ps
        return np.array([k_xy, k_xy, k_xy, k_xy, k_z, k_z])

    @property
    def total_rate_per_ps(self) -> float:
        """K = 4 k_xy + 2 k_z, 1/ps."""
        return 4.0 * self.inplane_rate_per_ps + 2.0 * self.z_rate_per_ps

    def residence_time_ps(self) -> float:
        """Mean time between two hops of an ion, 1 / K, ps."""
        return 1.0 / self.total_rate_per_ps

    def direction_probabilities(self) -> np.ndarray:
        """(6,) pi: probability of each direction without back-hop correlation (the stationary one)."""
        return self.rates_per_ps / self.total_rate_per_ps

    def direction_transition_matrix(self) -> np.ndarray:
        """(6, 6) T[d, e]: probability that the hop after one in direction d goes in direction e."""
        p = self.back_hop_probability
        reverse = np.eye(6)[np.arange(6) ^ 1]
        return p * reverse + (1.0 - p) * self.direction_probabilities()[None, :]

    def diffusion_ang2_ps(self) -> np.ndarray:
        """(3,) exact long-time D along x, y, z: a^2 k_alpha (1 - p_back) / (1 + p_back), A^2/ps."""
        p = self.back_hop_probability
        rates = np.array([self.inplane_rate_per_ps, self.inplane_rate_per_ps, self.z_rate_per_ps])
        return self.site_spacing_ang**2 * rates * (1.0 - p) / (1.0 + p)

    def msd_ang2(self, times_ps) -> np.ndarray:
        """(times, 3) exact MSD along x, y, z at ``times_ps`` (equilibrium), A^2: hops plus vibration."""
        t = np.asarray(times_ps, dtype=float)[:, None]
        k, q = self.total_rate_per_ps, -self.back_hop_probability
        c0 = 2.0 * np.array([self.inplane_rate_per_ps, self.inplane_rate_per_ps, self.z_rate_per_ps]) / k
        hops = k * t * (1 + q) / (1 - q) - 2 * q * (1 - np.exp(-k * t * (1 - q))) / (1 - q) ** 2
        vibration = 2 * self.vibration_rms_ang**2 * (1 - np.exp(-t / self.vibration_time_ps))
        return self.site_spacing_ang**2 * c0 * hops + vibration

    def block_correlation(self, block_ps: float) -> np.ndarray:
        """(3,) exact correlation of the displacements along x, y, z in two consecutive blocks of
        ``block_ps`` (:mod:`mdgan.analysis.block_correlation`): (MSD(2B) - 2 MSD(B)) / (2 MSD(B))."""
        msd_b, msd_2b = self.msd_ang2([block_ps, 2 * block_ps])
        return (msd_2b - 2 * msd_b) / (2 * msd_b)

    def summary(self) -> dict:
        """Parameters and the derived ground truth, JSON-ready (D along x, y, z; isotropic = their mean)."""
        d = self.diffusion_ang2_ps()
        return {
            **asdict(self),
            "cell_ang": float(self.cell_ang[0, 0]),
            "total_rate_per_ps": self.total_rate_per_ps,
            "residence_time_ps": self.residence_time_ps(),
            "fraction_of_hops_along_z": float(self.direction_probabilities()[4:].sum()),
            "D_axes_ang2_ps": d.tolist(),
            "D_axes_cm2_s": (d * ANG2_PS_TO_CM2_S).tolist(),
            "D_inplane_cm2_s": float(d[0] * ANG2_PS_TO_CM2_S),
            "D_z_cm2_s": float(d[2] * ANG2_PS_TO_CM2_S),
            "D_cm2_s": float(d.mean() * ANG2_PS_TO_CM2_S),
            "D_z_over_D_inplane": float(d[2] / d[0]),
            "D_formula": "D_alpha = a^2 k_alpha (1 - p_back) / (1 + p_back); isotropic D = mean over x, y, z",
        }


def equilibrium_start(model: HoppingLattice, n_ions: int, rng: np.random.Generator):
    """Stationary state at t = 0: (sites (ions, 3) int, vibration (ions, 3) Angstrom, previous hop (ions,)).

    Distinct sites where possible (uniformly at random), vibration from its stationary normal
    distribution, the direction of the hop before t = 0 from pi (so the chain of directions is stationary).
    """
    n_sites = model.sites_per_axis**3
    sites = rng.choice(n_sites, size=n_ions, replace=n_ions > n_sites)
    grid = np.stack(np.unravel_index(sites, (model.sites_per_axis,) * 3), axis=1)
    vibration = rng.normal(0.0, model.vibration_rms_ang, size=(n_ions, 3))
    previous = rng.choice(6, size=n_ions, p=model.direction_probabilities())
    return grid, vibration, previous


def hop_sequence(model: HoppingLattice, previous_direction: np.ndarray, end_ps: float, rng: np.random.Generator):
    """Event-driven hops of each ion up to at least ``end_ps``: (hop times (ions, hops) ps, directions (ions, hops)).

    Waiting times are exponential with mean 1/K (Gillespie, no time step); each row's last hop lies
    after ``end_ps``. Directions (indices into ``DIRECTIONS``) follow the transition matrix from
    ``previous_direction`` (ions,).
    """
    rate = model.total_rate_per_ps
    n_ions = len(previous_direction)
    n_hops = int(rate * end_ps + 5 * np.sqrt(rate * end_ps) + 10)
    times = np.cumsum(rng.exponential(1.0 / rate, (n_ions, n_hops)), axis=1)
    while (times[:, -1] <= end_ps).any():
        more = times[:, -1:] + np.cumsum(rng.exponential(1.0 / rate, (n_ions, n_hops)), axis=1)
        times = np.concatenate([times, more], axis=1)
    cumulative = np.cumsum(model.direction_transition_matrix(), axis=1)
    uniform = rng.random(times.shape)
    directions = np.empty(times.shape, dtype=np.int8)
    d = np.asarray(previous_direction)
    for j in range(times.shape[1]):
        d = np.minimum((uniform[:, j, None] > cumulative[d]).sum(axis=1), 5)
        directions[:, j] = d
    return times, directions


def vibration_path(model: HoppingLattice, start_ang: np.ndarray, times_ps: np.ndarray, rng: np.random.Generator):
    """(times, ions, 3) Ornstein-Uhlenbeck displacements at ``times_ps`` (increasing, > 0), Angstrom.

    Exact transition density from ``start_ang`` (ions, 3) at t = 0:
    u(t + dt) = u(t) e^(-dt/tau) + sigma sqrt(1 - e^(-2 dt/tau)) xi, xi standard normal.
    """
    gaps = np.diff(np.asarray(times_ps, dtype=float), prepend=0.0)
    decay = np.exp(-gaps / model.vibration_time_ps)
    path = rng.standard_normal((len(gaps), *np.shape(start_ang)))
    path *= (model.vibration_rms_ang * np.sqrt(1.0 - decay**2))[:, None, None]
    u = np.array(start_ang, dtype=float)
    for i in range(len(gaps)):
        u = u * decay[i] + path[i]
        path[i] = u
    return path


def simulate(model: HoppingLattice, n_ions: int, times_ps, rng: np.random.Generator):
    """Independent ions from equilibrium: (start (ions, 3), positions (times, ions, 3)), unwrapped, Angstrom.

    times_ps: increasing sample times > 0, ps. Exact at any spacing (event-driven hops, exact
    vibration); the result depends on the seed of ``rng`` only.
    """
    times = np.asarray(times_ps, dtype=float)
    if times.ndim != 1 or times.size == 0 or times[0] <= 0 or np.any(np.diff(times) <= 0):
        raise ValueError("times_ps must be increasing and positive")
    sites, vibration, previous = equilibrium_start(model, n_ions, rng)
    hop_times, directions = hop_sequence(model, previous, times[-1], rng)
    steps = np.zeros((n_ions, directions.shape[1] + 1, 3), dtype=np.int32)
    np.cumsum(DIRECTIONS[directions], axis=1, out=steps[:, 1:])
    n_hops = np.stack([np.searchsorted(row, times, side="right") for row in hop_times])  # (ions, times)
    site_at = sites[None] + np.take_along_axis(steps, n_hops[..., None], axis=1).transpose(1, 0, 2)
    a = model.site_spacing_ang
    return a * sites + vibration, a * site_at + vibration_path(model, vibration, times, rng)


def alpha2_reference(model: HoppingLattice, n_ions: int, lags_ps, rng: np.random.Generator, blocks: int = 20) -> dict:
    """Non-Gaussian parameters and MSD at ``lags_ps`` from ``n_ions`` independent equilibrium ions, JSON-ready.

    alpha2_3d = 3 <r^4> / (5 <r^2>^2) - 1; alpha2_inplane (x and y pooled) and alpha2_z are the 1D
    <x^4> / (3 <x^2>^2) - 1. Errors: jackknife over ``blocks`` blocks of ions (1 sigma). The simulated
    MSD per axis (in-plane: the mean of x and y) stands beside its exact value (``HoppingLattice.msd_ang2``).
    """
    lags = np.asarray(lags_ps, dtype=float)
    start, positions = simulate(model, n_ions, lags, rng)
    x2 = (positions - start) ** 2  # (lags, ions, 3)
    r2, xy2 = x2.sum(axis=2), x2[..., :2]
    per_ion = np.stack([r2, r2**2, xy2.sum(axis=2), (xy2**2).sum(axis=2), x2[..., 2], x2[..., 2] ** 2], axis=-1)
    firsts = np.flatnonzero(np.diff(np.arange(n_ions) * blocks // n_ions, prepend=-1))
    block_sums = np.add.reduceat(per_ion, firsts, axis=1)  # (lags, blocks, 6)
    block_ions = np.diff(np.append(firsts, n_ions))

    def statistics(sums, n):  # sums (lags, 6) over n ions -> (5, lags)
        r2, r4, xy2, xy4, z2, z4 = (sums / n).T
        xy2, xy4 = xy2 / 2, xy4 / 2
        return np.stack([3 * r4 / (5 * r2**2) - 1, xy4 / (3 * xy2**2) - 1, z4 / (3 * z2**2) - 1, xy2, z2])

    total = block_sums.sum(axis=1)
    full = statistics(total, n_ions)
    leave_out = np.stack([statistics(total - block_sums[:, b], n_ions - block_ions[b]) for b in range(len(firsts))])
    err = np.sqrt((len(firsts) - 1) * np.mean((leave_out - leave_out.mean(0)) ** 2, axis=0))
    exact = model.msd_ang2(lags)
    names = ["alpha2_3d", "alpha2_inplane", "alpha2_z", "msd_inplane_ang2", "msd_z_ang2"]
    table = {"lag_ps": lags.tolist(), "n_ions": n_ions, "jackknife_blocks": len(firsts)}
    for name, value, error in zip(names, full, err):
        table[name], table[f"{name}_err"] = value.tolist(), error.tolist()
    table["msd_inplane_exact_ang2"], table["msd_z_exact_ang2"] = exact[:, 0].tolist(), exact[:, 2].tolist()
    return table


def write_hopping_run(
    directory,
    model: HoppingLattice,
    n_ions: int,
    n_frames: int,
    frame_dt_fs: float,
    seed: int,
    framework_symbol: str = "Zr",
    label: str = "synth",
):
    """Simulate one run and write it as SIESTA output (``<label>.fdf`` + ``<label>.ANI``); return the fdf path.

    Li atoms first (frames every ``frame_dt_fs``, the fdf's MD.LengthTimeStep), then the rigid
    framework on every other cube centre between the sites.
    """
    times_ps = frame_dt_fs / 1000.0 * np.arange(1, n_frames + 1)
    start, li = simulate(model, n_ions, times_ps, np.random.default_rng(seed))
    truth = model.summary()
    dx, dy, dz = truth["D_axes_cm2_s"]
    comment = (
        f"Synthetic Li-like system (mdgan.validation.hopping), seed {seed}: NOT a SIESTA run.\n"
        f"Li hopping between sites {model.site_spacing_ang:g} A apart (rate {model.inplane_rate_per_ps:g}/ps to each "
        f"in-plane neighbour, {model.z_rate_per_ps:g}/ps along z),\n"
        f"back-hop probability {model.back_hop_probability:g}, Ornstein-Uhlenbeck vibration "
        f"{model.vibration_rms_ang:g} A rms, {model.vibration_time_ps:g} ps; rigid {framework_symbol} framework.\n"
        f"Exact long-time D (cm^2/s): x {dx:.6e}, y {dy:.6e}, z {dz:.6e}, isotropic {truth['D_cm2_s']:.6e}; "
        f"mean residence time {truth['residence_time_ps']:.3f} ps.\n"
        f"MD.LengthTimeStep is the frame interval; the temperature is a label."
    )
    return write_li_in_framework(directory, label, model, start, li, frame_dt_fs, framework_symbol, comment)
