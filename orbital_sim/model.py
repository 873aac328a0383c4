"""The one boundary between a validated config and the kernels: :func:`build_model`.

``build_model(config) -> (Model, State)`` is the only code that turns a
:class:`~orbital_sim.config.Config` into arrays (in the style of MuJoCo MJX's ``put_model``):
the runner, sizing, the benchmarks and the test builders all call it. The :class:`Model` holds
what stays fixed during a run: the environment (``env``, shared by all nodes), the per-node
parameters (``params``, leading node axis), the ground stations when the config has some
(``ground``) and, as static fields, the algorithm choices (propagator, shadow model, albedo
model, integrator name) and the names along the node and component axes. The State is the
kernels' ``NodeState`` with a leading node axis.

Where each piece comes from: ``params`` and the initial state from
:func:`orbital_sim.fleet.build_fleet` (per-class columns, orbits, sweeps), ``env`` from
:func:`orbital_sim.kernels.model.make_env`, the algorithms from the registries of the kernels
(:data:`orbital_sim.kernels.orbit.PROPAGATORS`, ``shadow.SHADOW_MODELS``,
``irradiance.ALBEDO_MODELS``), ``ground`` from :func:`build_ground`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import numpy as np

from orbital_sim import fleet as _fleet
from orbital_sim.config import Config
from orbital_sim.fleet import Fleet


@dataclasses.dataclass(frozen=True)
class Model:
    """What stays fixed during a run. Traced (pytree data): ``env``, ``params``. Static (pytree
    metadata, part of a compiled function's identity): everything else."""

    env: Any  #: kernels.model.EnvParams: scalars shared by all nodes (SI)
    params: Any  #: kernels.model.NodeParams with a leading node axis (N, ...)
    propagator: Any  #: kernels.orbit propagator object (``.advance``), chosen from [simulation]
    shadow_fn: Any  #: kernels.shadow sunlit-fraction function, from simulation.shadow
    albedo_model: Any  #: kernels.irradiance albedo model instance, from environment.albedo_model
    integrator: str | None  #: Cowell integrator name ("rk4", "rk8"); None for j2_secular
    integrator_warning: str | None  #: a too-long step for that integrator (printed by the runner)
    node_names: tuple[str, ...]  #: (N,) node names, in output order
    node_class: tuple[str, ...]  #: (N,) class name per node
    component_names: tuple[str, ...]  #: (C,) the thermal component axis
    #: kernels.ground.GroundParams of the config's [[ground_station]] entries (traced); None: none
    ground: Any = None

    @property
    def n_nodes(self) -> int:
        return len(self.node_names)

    def fleet(self, state) -> Fleet:
        """The names, parameters and ``state`` as a :class:`~orbital_sim.fleet.Fleet` (what the
        result writer takes)."""
        return Fleet(names=list(self.node_names), node_class=list(self.node_class),
                     component_names=list(self.component_names), params=self.params, state=state)

    def select(self, index) -> "Model":
        """The model of the nodes ``index`` (a slice or integer array over the node axis)."""
        names, classes = np.asarray(self.node_names, dtype=object), np.asarray(self.node_class, dtype=object)
        return dataclasses.replace(
            self, params=jax.tree_util.tree_map(lambda x: x[index], self.params),
            node_names=tuple(names[index].tolist()), node_class=tuple(classes[index].tolist()))


jax.tree_util.register_dataclass(
    Model, data_fields=["env", "params", "ground"],
    meta_fields=["propagator", "shadow_fn", "albedo_model", "integrator", "integrator_warning", "node_names",
                 "node_class", "component_names"])


def build_model(config: Config, *, dtype=None, resolve_integrator: bool = True):
    """``(Model, State)`` of every node of ``config`` (a ``[sweep]``: every variant's nodes).

    ``dtype``: the working precision of the power and thermal parameters and of the
    environment (default: ``simulation.dtype``); the orbit is float64 in every mode.
    ``resolve_integrator``: ``integrator = "auto"`` resolved on the initial orbits with
    :func:`orbital_sim.integrators.choose_integrator` (the runner's rule; the warning for a
    too-long step lands in ``Model.integrator_warning``); False reads "auto" as "rk8" and skips
    the check (sizing, benchmarks).
    """
    import jax.numpy as jnp

    from orbital_sim.kernels.irradiance import ALBEDO_MODELS
    from orbital_sim.kernels.shadow import SHADOW_MODELS

    sim = config.simulation
    if dtype is None:
        dtype = jnp.float64 if sim.dtype == "float64" else jnp.float32
    built = _fleet.build_fleet(config, dtype=dtype)  # looked up at call time (tests wrap it)
    env = build_env(config, dtype)
    e = config.environment
    integrator, warning = None, None
    if sim.propagator == "cowell":
        integrator = sim.integrator
        if resolve_integrator:
            from orbital_sim.integrators import choose_integrator

            integrator, _, warning = choose_integrator(sim.integrator, built.state.r_eci_m, built.state.v_eci_m_s,
                                                       sim.step_s, built.names)
        elif integrator == "auto":
            integrator = "rk8"
    model = Model(
        env=env, params=built.params, propagator=_fleet.propagator_for(sim, integrator),
        shadow_fn=SHADOW_MODELS.make(sim.shadow), albedo_model=ALBEDO_MODELS.make(e.albedo_model),
        integrator=integrator, integrator_warning=warning, node_names=tuple(built.names),
        node_class=tuple(built.node_class), component_names=tuple(built.component_names),
        ground=build_ground(config, built.state))
    return model, built.state


def build_env(config: Config, dtype=None):
    """The model's ``env`` alone (kernels.model.EnvParams: [environment] values, the SPEC
    constants and the epoch as a two-part TT Julian date), for callers that need no nodes.
    ``dtype``: as for :func:`build_model`."""
    import jax.numpy as jnp

    from orbital_sim.kernels.model import make_env
    from orbital_sim.timescales import julian_date_tt_two_part

    if dtype is None:
        dtype = jnp.float64 if config.simulation.dtype == "float64" else jnp.float32
    whole, fraction = julian_date_tt_two_part(config.simulation.epoch)
    e = config.environment
    return make_env(shadow_radius_m=e.shadow_radius_m, solar_constant_w_m2=e.solar_constant_w_m2, albedo=e.albedo,
                    earth_ir_w_m2=e.earth_ir_w_m2, epoch_jd_tt_whole=whole, epoch_jd_tt_fraction=fraction,
                    dtype=dtype)


#: bins of the per-node, per-station light-time histogram the median latency is taken from
LATENCY_BINS = 256


def latency_bound_s(r_eci_m, v_eci_m_s, station_radius_min_m: float) -> float:
    """Upper bound [s] of the one-way light time from any node to a station that sees it above
    the horizon: ``sqrt(r_apo^2 - rho^2) / c`` with the fleet's highest apogee radius r_apo
    (two-body, from the initial states) and the smallest station geocentric radius rho, plus 5 %
    for the J2 oscillation of the apogee. Unbound or odd orbits: 1.5e9 m (the config's limit)."""
    from orbital_sim.kernels.constants import GM_EARTH_M3_S2, SPEED_OF_LIGHT_M_S

    r = np.asarray(r_eci_m, dtype=np.float64).reshape(-1, 3)
    v = np.asarray(v_eci_m_s, dtype=np.float64).reshape(-1, 3)
    rn = np.linalg.norm(r, axis=1)
    energy = 0.5 * np.sum(v * v, axis=1) - GM_EARTH_M3_S2 / rn
    with np.errstate(divide="ignore", invalid="ignore"):
        a = -GM_EARTH_M3_S2 / (2.0 * energy)
        e_vec = (np.sum(v * v, axis=1)[:, None] / GM_EARTH_M3_S2 - 1.0 / rn[:, None]) * r \
            - (np.sum(r * v, axis=1) / GM_EARTH_M3_S2)[:, None] * v
        r_apo = a * (1.0 + np.linalg.norm(e_vec, axis=1))
    r_apo = np.where((energy < 0) & np.isfinite(r_apo), np.maximum(r_apo, rn), 1.5e9)
    r_max = min(float(np.max(r_apo)), 1.5e9)
    reach_m = math.sqrt(max(r_max * r_max - station_radius_min_m ** 2, 0.0))
    return 1.05 * max(reach_m, 1.0e3) / SPEED_OF_LIGHT_M_S


def station_columns(stations) -> dict[str, np.ndarray]:
    """``latitude_rad``, ``longitude_rad``, ``altitude_m``, ``elevation_mask_rad`` (S,) of the
    config's ground stations (GroundStationConfig, SI), in config order."""
    return {k: np.array([getattr(g, k) for g in stations], dtype=np.float64)
            for k in ("latitude_rad", "longitude_rad", "altitude_m", "elevation_mask_rad")}


def build_ground(config: Config, state):
    """kernels.ground.GroundParams of the config's ``[[ground_station]]`` entries, or None when
    it has none: stations in ITRS, elevation masks, the epoch as a two-part UT1 Julian date, and
    the light-time histogram's bin (:data:`LATENCY_BINS` bins up to :func:`latency_bound_s` of
    the initial ``state``, all nodes: a run in parts cuts the nodes after this, so every part
    gets the same bins)."""
    import jax.numpy as jnp

    from orbital_sim.kernels.ground import GroundParams, geodetic_to_itrs
    from orbital_sim.timescales import julian_date_utc_two_part

    stations = tuple(getattr(config, "ground_stations", ()) or ())
    if not stations:
        return None
    columns = station_columns(stations)
    lat, lon, alt, mask = (columns[k] for k in ("latitude_rad", "longitude_rad", "altitude_m", "elevation_mask_rad"))
    r_itrs, up = geodetic_to_itrs(lat, lon, alt)
    bound_s = latency_bound_s(state.r_eci_m, state.v_eci_m_s, float(np.min(np.linalg.norm(np.asarray(r_itrs), axis=1))))
    # UT1 ~ UTC at the epoch (|UT1 - UTC| < 0.9 s), advanced at the SI rate (kernels/ground.py)
    ut1_whole, ut1_fraction = julian_date_utc_two_part(config.simulation.epoch)
    return GroundParams(
        station_itrs_m=r_itrs, station_up_itrs=up, elevation_mask_rad=jnp.asarray(mask, jnp.float64),
        epoch_jd_ut1_whole=jnp.asarray(ut1_whole, jnp.float64),
        epoch_jd_ut1_fraction=jnp.asarray(ut1_fraction, jnp.float64),
        latency_bin_s=jnp.asarray(bound_s / LATENCY_BINS, jnp.float64),
    )
