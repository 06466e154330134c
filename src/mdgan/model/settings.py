"""Settings of the MD-GAN networks, training and generation (the config's sections, typed).

The defaults equal those of ``workflow/schemas/config.schema.yaml`` (a test keeps them equal).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class ModelSettings:
    """Network sizes. A window of ``window_records`` records is ``segments`` segments of L records.

    ``renewal_windows``: mean windows between renewals of a chain's latent (0: never; see
    :meth:`mdgan.model.networks.Generator.renew`). ``axis_chains``: one latent chain per Cartesian axis;
    ``segment_feedback``: G_z sees its chain's last decoded displacement; ``net_displacement_from_latent``:
    a segment's net displacement is decoded from the latent alone; ``site_hops``: segments are a
    vibration in the site plus hops; ``hop_memory``: the chain remembers its last hop; ``ion_hop_memory``:
    the ion's last hop along any axis instead, in each of its per-axis chains; ``hop_return_gain``: one
    learned gain, shared by every axis's chain, by which the last hop tilts the next one's direction; ``shared_axes``:
    the per-axis chains of these axes alike (all in :class:`mdgan.model.networks.Generator`)."""

    latent_dim: int = 32
    segments: int = 8
    latent_width: int = 256
    latent_layers: int = 2
    decoder_width: int = 256
    decoder_layers: int = 2
    critic_width: int = 512
    critic_layers: int = 2
    critic_pointwise_width: int = 64
    leaky_slope: float = 0.3
    relaxation_steps: int = 10
    renewal_windows: float = 0.0
    axis_chains: bool = False
    segment_feedback: bool = False
    net_displacement_from_latent: bool = False
    site_hops: bool = False
    hop_memory: bool = False
    ion_hop_memory: bool = False
    hop_return_gain: bool = False
    shared_axes: str = ""


@dataclass(frozen=True)
class TrainingSettings:
    """Optimisation. ``iterations`` counts generator steps, each after ``critic_steps`` critic steps.
    ``generator_ema``: decay of the moving average of the generator's weights that is checkpointed
    (0: the generator itself; :mod:`mdgan.model.averaging`)."""

    iterations: int = 2000
    batch_size: int = 64
    critic_steps: int = 5
    gp_weight: float = 10.0
    optimizer: str = "adam"
    lr_generator: float = 1e-4
    lr_critic: float = 1e-4
    betas: tuple[float, float] = (0.5, 0.9)
    checkpoint_every: int = 500
    keep_checkpoints: int = 4
    log_every: int = 50
    check_batch: int = 256
    check_lags: tuple[int, ...] = (1, 4, 16, 64, 128)
    match_weight: float = 30.0
    match_alpha2_weight: float = 10.0
    match_van_hove_weight: float = 0.0
    match_cross_axis_weight: float = 0.0
    match_van_hove_log_weight: float = 0.0
    match_msd_per_axis: bool = False
    match_alpha2_axes: bool = False
    match_hop_expectation: bool = False
    match_windows: int = 2
    match_lags: int = 16
    coarse_critic_factors: tuple[int, ...] = ()
    coarse_critic_windows: int = 4
    coarse_critic_weight: float = 1.0
    generator_ema: float = 0.0
    seed: int = 0

    @property
    def matching(self) -> bool:
        """Whether the generator step adds the statistic-matching term (:mod:`mdgan.model.matching`)."""
        return (self.match_weight > 0 or self.match_alpha2_weight > 0 or self.match_van_hove_weight > 0
                or self.match_cross_axis_weight > 0 or self.match_van_hove_log_weight > 0)

    @property
    def coarse_critic(self) -> bool:
        """Whether coarse (multi-resolution) critics train beside the window critic (:mod:`mdgan.model.coarse`)."""
        return len(self.coarse_critic_factors) > 0 and self.coarse_critic_weight > 0

    @property
    def needs_series(self) -> bool:
        """Whether the training needs the training runs' whole series (windows.npz: series)."""
        return self.matching or self.coarse_critic

    @property
    def stretch_windows(self) -> int:
        """Windows the generator step rolls out: the longest of the matched and the coarse stretch."""
        return max(self.match_windows if self.matching else 1, self.coarse_critic_windows if self.coarse_critic else 1)


@dataclass(frozen=True)
class GenerationSettings:
    """Long trajectories. ``n_steps`` counts frames; the records are ``n_steps // step_skip``."""

    n_ions: int = 8192
    n_steps: int = 25000
    checkpoints: int = 1
    chunk_ions: int = 2048
    chunk_records: int = 2048
    rng_block_ions: int = 256
    zero_mean: bool = True
    equivalent_axes: str = ""
    mirror_axes: str = ""
    seed: int = 0


def settings_from_dict(cls, values: dict | None):
    """A settings dataclass from a config section; keys that are not fields (device, threads) are ignored."""
    names = {f.name for f in fields(cls)}
    kept = {k: (tuple(v) if isinstance(v, list) else v) for k, v in (values or {}).items() if k in names}
    return cls(**kept)


def settings_dict(settings) -> dict:
    """Plain JSON-able values of a settings dataclass."""
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(settings).items()}


MODEL_LEVER_KEYS = ("axis_chains", "segment_feedback", "net_displacement_from_latent", "site_hops",
                    "hop_memory", "ion_hop_memory", "hop_return_gain", "shared_axes")  # absent when off
COARSE_KEYS = ("coarse_critic_factors", "coarse_critic_windows", "coarse_critic_weight")
OFF_WHEN_ZERO_KEYS = ("match_van_hove_weight", "match_cross_axis_weight", "match_van_hove_log_weight",
                      "match_msd_per_axis", "match_alpha2_axes", "match_hop_expectation", "generator_ema")  # absent when 0 (False)


def model_dict(model: ModelSettings) -> dict:
    """:func:`settings_dict` of the model settings without ``renewal_windows`` when renewal is off and
    without the keys of the model levers (``MODEL_LEVER_KEYS``) when off, so that the state
    fingerprint and generator.pt are what they were before the keys existed."""
    values = settings_dict(model)
    if model.renewal_windows == 0:
        del values["renewal_windows"]
    for key in MODEL_LEVER_KEYS:
        if not values[key]:
            del values[key]
    return values


def training_dict(training: TrainingSettings) -> dict:
    """:func:`settings_dict` of the training settings without the keys of a lever that is off (the
    coarse critics, van Hove, log van Hove, cross-axis and per-axis MSD matching, the weight
    average), so that the state fingerprint and generator.pt are what they were before the keys
    existed."""
    values = settings_dict(training)
    if not training.coarse_critic:
        for key in COARSE_KEYS:
            del values[key]
    for key in OFF_WHEN_ZERO_KEYS:
        if values[key] == 0:
            del values[key]
    return values
