"""Turn a validated :class:`~orbital_sim.config.Config` into the kernels' stacked per-node
parameters and initial state (SI arrays with a leading node axis)."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from orbital_sim.config import Config, ConfigError, NodeClassConfig


@dataclasses.dataclass(frozen=True)
class Fleet:
    """All nodes of a run, ready for the chunk function."""

    names: list[str]  #: node names, in output order
    node_class: list[str]  #: class name per node
    component_names: list[str]  #: the thermal component axis (shared by all classes)
    params: object  #: kernels.model.NodeParams with a leading node axis
    state: object  #: kernels.model.NodeState with a leading node axis


#: the heater fields of the thermal group (left out of a fleet in which no component has a heater)
HEATER_FIELDS = ("heater_power_w", "heater_on_k", "heater_off_k")


def class_columns(nc: NodeClassConfig, n_surfaces: int | None = None, heaters: bool | None = None
                  ) -> dict[str, dict[str, np.ndarray]]:
    """The NodeParams groups of one class, ``{group: {field: NumPy array}}`` (no node axis),
    but ``orbit.elements0``: surfaces padded with zero-area entries to ``n_surfaces`` (default:
    the class's count); the heater fields only with ``heaters`` (default: when a component of
    the class has a heater). :func:`node_params` makes them NodeParams."""
    columns = _class_arrays(nc, len(nc.surfaces) if n_surfaces is None else n_surfaces)
    if not (any(c.heater_power_w > 0 for c in nc.components) if heaters is None else heaters):
        for key in HEATER_FIELDS:
            del columns["thermal"][key]
    return columns


def node_params(columns: dict, elements0, float_dtype=np.float64):
    """kernels.model.NodeParams from :func:`class_columns`' groups (any leading node axis) and
    the mean elements at epoch ``elements0`` (float64 in every precision mode, as the whole
    orbit); integer fields become int32, the others ``float_dtype``."""
    import jax.numpy as jnp

    from orbital_sim.kernels import model as km

    def arrays(group):
        return {k: jnp.asarray(v, dtype=jnp.int32 if np.asarray(v).dtype.kind == "i" else float_dtype)
                for k, v in columns[group].items()}

    return km.NodeParams(
        orbit=km.OrbitParams(elements0=jnp.asarray(elements0, jnp.float64), **arrays("orbit")),
        surfaces=km.SurfaceParams(**arrays("surfaces")), thermal=km.ThermalParams(**arrays("thermal")),
        power=km.PowerParams(**arrays("power")), battery=km.BatteryParams(**arrays("battery")),
        compute=km.ComputeParams(**arrays("compute")))


def _class_arrays(nc: NodeClassConfig, n_surfaces: int) -> dict[str, dict[str, np.ndarray]]:
    """Per-class parameter values by NodeParams group (no node axis), surfaces padded with
    zero-area entries. One line per field: a new per-surface property is one line in
    ``"surfaces"`` here (and its field in kernels.model.SurfaceParams)."""
    from orbital_sim.kernels.irradiance import POINTING_CODES

    names = nc.component_names
    n = len(names)

    def one_hot(name: str) -> np.ndarray:
        v = np.zeros(n)
        v[names.index(name)] = 1.0
        return v

    g = np.zeros((n, n))
    for cpl in nc.couplings:
        i, j = names.index(cpl.a), names.index(cpl.b)
        g[i, j] += cpl.conductance_w_k
        g[j, i] += cpl.conductance_w_k

    pad = n_surfaces - len(nc.surfaces)
    surf = list(nc.surfaces)

    def col(fn, fill=0.0):
        return np.asarray([fn(s) for s in surf] + [fill] * pad, dtype=float)

    surf_component = np.zeros((n_surfaces, n))
    for k, s in enumerate(surf):
        surf_component[k] = one_hot(s.component)
    rsw = np.zeros((n_surfaces, 3))
    rsw[:, 0] = 1.0
    for k, s in enumerate(surf):
        if s.pointing_rsw is not None:
            rsw[k] = np.asarray(s.pointing_rsw, dtype=float)
    pw, bat, cmp = nc.power, nc.battery, nc.compute
    return {
        "orbit": {"ballistic_m2_kg": np.asarray(nc.drag.ballistic_m2_kg if nc.drag is not None else 0.0)},
        "surfaces": {
            "area_m2": col(lambda s: s.area_m2),
            "component": surf_component,
            "pointing": np.asarray([POINTING_CODES[s.pointing] for s in surf] + [0] * pad, dtype=np.int32),
            "rsw": rsw,
            "absorptance": col(lambda s: s.absorptance),
            "emittance": col(lambda s: s.emittance),
            "back_absorptance": col(lambda s: s.back_absorptance),
            "back_emittance": col(lambda s: s.back_emittance),
            "cells": col(lambda s: 1.0 if s.solar_cells else 0.0),
        },
        "thermal": {
            "heat_capacity_j_k": np.asarray([c.heat_capacity_j_k for c in nc.components], dtype=float),
            "conductance_w_k": g,
            # thermostatic heaters (kept only when some class has one: see build_fleet)
            "heater_power_w": np.asarray([c.heater_power_w for c in nc.components], dtype=float),
            "heater_on_k": np.asarray([c.heater_on_k if c.heater_on_k is not None else 0.0
                                       for c in nc.components], dtype=float),
            "heater_off_k": np.asarray([c.heater_off_k if c.heater_off_k is not None else 1.0
                                        for c in nc.components], dtype=float),
        },
        "power": {
            "array_efficiency": np.asarray(pw.array_efficiency),
            "array_temp_coeff_per_k": np.asarray(pw.array_temperature_coefficient_per_k),
            "array_ref_temperature_k": np.asarray(pw.array_reference_temperature_k),
            "array_packing": np.asarray(pw.array_packing_factor),
            "array_age_factor": np.asarray((1.0 - pw.array_degradation_per_year) ** pw.array_age_years),
            "array_component": one_hot(pw.array_component),
            "bus_power_w": np.asarray(pw.bus_power_w),
            "bus_component": one_hot(pw.bus_heat_component),
        },
        "compute": {
            "accelerators": np.asarray(float(cmp.accelerators)),
            "accelerator_power_w": np.asarray(cmp.accelerator_power_w),
            "utilization": np.asarray(cmp.utilization),
            "throttle_temperature_k": np.asarray(cmp.throttle_temperature_k),
            "throttle_band_k": np.asarray(cmp.throttle_band_k),
            "component": one_hot(cmp.component),
        },
        "battery": {
            "capacity_j": np.asarray(bat.capacity_j),
            "floor_j": np.asarray(bat.floor_soc * bat.capacity_j),
            "throttle_soc": np.asarray(bat.throttle_soc),
            "charge_efficiency": np.asarray(bat.charge_efficiency),
            "discharge_efficiency": np.asarray(bat.discharge_efficiency),
            "component": one_hot(bat.component),
        },
    }


def shared_component_names(config: Config) -> list[str]:
    """The component axis of the run: every class used must list the same components in the
    same order (one ``component`` dimension in the output)."""
    used = list(dict.fromkeys(g.class_name for g in config.constellation))
    first = config.node_classes[used[0]].component_names
    problems = [
        f"node_class.{name}.thermal.components = {list(config.node_classes[name].component_names)}: "
        f"must list the same components in the same order as node_class.{used[0]} ({list(first)}), "
        "because all nodes of a run share one component axis"
        for name in used[1:]
        if config.node_classes[name].component_names != first
    ]
    if problems:
        raise ConfigError(problems)
    return list(first)


def surface_names(config: Config) -> list[str]:
    """Names along the ``surface`` dimension of the per-surface outputs: slot k holds surface k
    of each class used (classes with fewer surfaces pad it with zero area). Where the classes
    name slot k differently the name is theirs joined by "|" (in class order)."""
    if getattr(config, "sweep", None) is not None:
        from orbital_sim.sweep import merged_config

        config = merged_config(config)
    classes = list(dict.fromkeys(g.class_name for g in config.constellation))
    surfaces = [config.node_classes[c].surfaces for c in classes]
    n = max(len(s) for s in surfaces)
    names = []
    for k in range(n):
        distinct = list(dict.fromkeys(s[k].name for s in surfaces if k < len(s)))
        names.append("|".join(distinct))
    if len(set(names)) < len(names):  # a joined name equal to another slot's: number them
        names = [f"{k}:{name}" for k, name in enumerate(names)]
    return names


#: constellation entry types whose elements are design (mean) elements (a cluster's: those of
#: its reference orbit, around which the formation is placed)
MEAN_ELEMENT_TYPES = ("sso", "walker_delta", "cluster")


@functools.lru_cache(maxsize=8)
def _orbit_average_fn(zonal_harmonics: int, steps_per_orbit: int):
    """Jitted, vmapped (n, 6) elements -> one-orbit averages of a and i, made once per model
    (so a config with many constellation entries, or a sweep, compiles it once)."""
    import jax
    import jax.numpy as jnp

    from orbital_sim.kernels import constants as kc
    from orbital_sim.kernels.model import make_env
    from orbital_sim.kernels.orbit import Cowell, elements_to_state, state_to_elements

    env = make_env(shadow_radius_m=kc.R_EARTH_EQ_M, solar_constant_w_m2=1361.0, albedo=0.3, earth_ir_w_m2=237.0,
                   epoch_jd_tt_whole=kc.JD_J2000, epoch_jd_tt_fraction=0.0)
    prop = Cowell(zonal_harmonics=zonal_harmonics)
    gm = kc.GM_EARTH_M3_S2

    @jax.jit
    @jax.vmap
    def orbit_average_a_i(el):
        r, v = elements_to_state(*(el[k] for k in range(6)), gm)
        period = 2 * jnp.pi * jnp.sqrt(el[0] ** 3 / gm)
        dt = period / steps_per_orbit

        def body(_, carry):
            r, v, sum_a, sum_i = carry
            r, v = prop.advance(None, r, v, 0.0, dt, env)
            a, _, i, _, _, _ = state_to_elements(r, v, gm)
            return r, v, sum_a + a, sum_i + i

        _, _, sum_a, sum_i = jax.lax.fori_loop(0, steps_per_orbit, body, (r, v, 0.0, 0.0))
        return sum_a / steps_per_orbit, sum_i / steps_per_orbit

    return orbit_average_a_i


def osculating_from_mean(elements_mean: np.ndarray, zonal_harmonics: int = 2, iterations: int = 3,
                         steps_per_orbit: int = 256) -> np.ndarray:
    """Osculating elements (n, 6) whose one-orbit averages of a and i equal the given mean
    values, for the Cowell force model (point mass + zonal terms, no drag).

    Why: J2 makes the osculating semi-major axis oscillate by about (3/2) J2 R^2 / a (9 km in
    LEO) around its mean, and the node regression follows the *mean* a: an SSO started with
    its mean elements as osculating ones drifts off the mean Sun by about 0.13 deg a month at
    650 km. The short-period terms average to zero over an orbit, so the orbit average of the
    osculating a (and i) is the mean one to first order in J2; a few fixed-point corrections
    of a and i make them match. Eccentricity and the angles are left as given (their
    short-period offsets move the node by far less than the 0.05 deg/month this targets).
    """
    import jax.numpy as jnp

    orbit_average_a_i = _orbit_average_fn(int(zonal_harmonics), int(steps_per_orbit))
    target = np.asarray(elements_mean, dtype=np.float64)
    osc = target.copy()
    for _ in range(iterations):
        mean_a, mean_i = (np.asarray(x) for x in orbit_average_a_i(jnp.asarray(osc)))
        osc[:, 0] += target[:, 0] - mean_a
        osc[:, 2] += target[:, 2] - mean_i
    return osc


def build_fleet(config: Config, dtype=np.float64) -> Fleet:
    """Stacked NodeParams and initial NodeState for every node of ``config``.

    A config with ``[sweep]``: every variant's nodes, variant after variant, in one fleet
    (names ``v{k}/{node}``; see :func:`orbital_sim.sweep.merged_config`)."""
    if getattr(config, "sweep", None) is not None:
        from orbital_sim.sweep import merged_config

        fleet = build_fleet(merged_config(config), dtype=dtype)
        fleet = dataclasses.replace(fleet, node_class=[c.rsplit("@", 1)[0] for c in fleet.node_class])
        keys = ("albedo", "earth_ir_w_m2", "solar_constant_w_m2")
        per_variant = [tuple(getattr(v.environment, k) for k in keys) for v in config.sweep.variants]
        if len(set(per_variant)) > 1:  # a swept [environment]: each node gets its variant's values
            import jax.numpy as jnp

            from orbital_sim.kernels.model import NodeEnvironment

            values = np.repeat(np.asarray(per_variant, dtype=np.float64), config.n_nodes, axis=0)
            work = fleet.params.thermal.heat_capacity_j_k.dtype
            own = NodeEnvironment(**{k: jnp.asarray(values[:, i], work) for i, k in enumerate(keys)})
            fleet = dataclasses.replace(fleet, params=dataclasses.replace(fleet.params, environment=own))
        return fleet
    import jax
    import jax.numpy as jnp

    from orbital_sim.kernels.model import init_state
    from orbital_sim.kernels.orbit import elements_to_state, state_to_elements
    from orbital_sim.kernels import constants as kc

    components = shared_component_names(config)
    groups = config.constellation
    n_surfaces = max(len(config.node_classes[g.class_name].surfaces) for g in groups)
    per_class = {name: _class_arrays(nc, n_surfaces) for name, nc in config.node_classes.items()
                 if any(g.class_name == name for g in groups)}

    gm = kc.GM_EARTH_M3_S2
    to_state = jax.jit(jax.vmap(lambda *el: elements_to_state(*el, gm)))
    to_elements = jax.jit(jax.vmap(lambda r, v: jnp.stack(state_to_elements(r, v, gm))))

    sim = config.simulation
    entry_types = [e.type for e in config.constellation_entries] or [None] * len(groups)
    # each group's orbit as elements (n, 6) or as states (r, v); the conversions between them run
    # once over all groups' rows (one trace each, not one per group's row count)
    names, classes, orbits = [], [], []
    for g, entry_type in zip(groups, entry_types):
        names += list(g.names)
        classes += [g.class_name] * g.n_nodes
        if g.elements is not None:
            el = np.stack([g.elements[k] for k in ("a_m", "e", "i_rad", "raan_rad", "argp_rad", "mean_anomaly_rad")],
                          axis=1).astype(np.float64)
            orbits.append({"el": el, "mean": sim.propagator == "cowell" and entry_type in MEAN_ELEMENT_TYPES})
        elif g.formation is not None and sim.propagator == "cowell" and entry_type in MEAN_ELEMENT_TYPES:
            from orbital_sim.constellation import cluster_states

            f = g.formation  # the formation placed again around the osculating reference
            ref = osculating_from_mean(f["reference_elements"][None, :], zonal_harmonics=sim.zonal_harmonics)[0]
            r_ref, v_ref = (np.asarray(x) for x in elements_to_state(*(jnp.asarray(x) for x in ref), gm))
            r, v = cluster_states(r_ref, v_ref, f["offsets_rsw_m"], f["rates_rsw_per_n"])
            orbits.append({"r": np.asarray(r, dtype=np.float64), "v": np.asarray(v, dtype=np.float64)})
        else:
            orbits.append({"r": np.asarray(g.states["r_eci_m"], dtype=np.float64),
                           "v": np.asarray(g.states["v_eci_m_s"], dtype=np.float64)})

    def over_groups(chosen, fn, *keys):
        """``fn`` on the rows of every chosen group at once; each group gets its own rows back."""
        if not chosen:
            return
        parts = [np.concatenate([o[key] for o in chosen]) for key in keys]
        results = fn(*parts)
        edges = np.cumsum([len(o[keys[0]]) for o in chosen])[:-1]
        for o, pieces in zip(chosen, zip(*(np.split(np.asarray(x), edges) for x in results))):
            yield o, pieces

    for o in orbits:  # group by group: the fixed point's last bits depend on the rows it runs on
        if o.get("mean"):
            o["el"] = osculating_from_mean(o["el"], zonal_harmonics=sim.zonal_harmonics)
    with_elements = [o for o in orbits if "el" in o]
    for o, (r, v) in over_groups(with_elements, lambda el: to_state(*(jnp.asarray(el[:, k]) for k in range(6))), "el"):
        o["r"], o["v"] = r, v
    with_states = [o for o in orbits if "el" not in o]
    for o, (el,) in over_groups(with_states, lambda r, v: (to_elements(jnp.asarray(r), jnp.asarray(v)),), "r", "v"):
        o["el"] = el
    rs, vs, elements = ([o[key] for o in orbits] for key in ("r", "v", "el"))
    r0, v0, el0 = np.concatenate(rs), np.concatenate(vs), np.concatenate(elements)
    if sim.propagator == "j2_secular":
        # the state at t = 0 is the Keplerian state of the mean elements, as at every later step
        r0, v0 = (np.asarray(x) for x in to_state(*(jnp.asarray(el0[:, k]) for k in range(6))))

    stacked = {group: {key: np.stack([per_class[c][group][key] for c in classes]) for key in fields}
               for group, fields in per_class[classes[0]].items()}
    if not np.any(stacked["thermal"]["heater_power_w"] > 0):  # no heater: the step without the heater terms
        for key in HEATER_FIELDS:
            del stacked["thermal"][key]
    float_dtype = np.dtype(dtype)
    # the orbit (elements, position, velocity) is float64 in every precision mode
    params = node_params(stacked, el0, float_dtype)

    battery0 = np.asarray([config.node_classes[c].battery.initial_soc * config.node_classes[c].battery.capacity_j
                           for c in classes])
    temp0 = np.stack([[comp.initial_temperature_k for comp in config.node_classes[c].components] for c in classes])
    init = jax.jit(jax.vmap(init_state))  # jitted: one compilation, not one per operation
    state = init(params, jnp.asarray(r0, jnp.float64), jnp.asarray(v0, jnp.float64),
                 jnp.asarray(battery0, float_dtype), jnp.asarray(temp0, float_dtype))
    return Fleet(names=names, node_class=classes, component_names=components, params=params, state=state)


def propagator_for(simulation, integrator: str | None = None):
    """The kernels' propagator object chosen once from ``[simulation]``. ``integrator``: the
    Cowell integrator ("rk4" or "rk8"; default: ``simulation.integrator``, with "auto" read as
    "rk8"; the runner resolves "auto" against the orbits with ``integrators.choose_integrator``)."""
    from orbital_sim.kernels.orbit import ATMOSPHERES, PROPAGATORS

    if simulation.propagator == "j2_secular":
        return PROPAGATORS.make("j2_secular")
    atmosphere = None if simulation.drag == "none" else ATMOSPHERES.make(simulation.drag)
    integrator = integrator or getattr(simulation, "integrator", "rk4")
    return PROPAGATORS.make("cowell", zonal_harmonics=simulation.zonal_harmonics, atmosphere=atmosphere,
                            integrator="rk8" if integrator == "auto" else integrator)
