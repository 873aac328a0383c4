"""Gradient-based sizing: radiator area, array area and battery capacity per node class.

For each node class, :func:`size` finds the smallest mass

    m = radiator_kg_m2 * A_rad + array_kg_m2 * A_arr + E_cap / battery_specific_energy

such that, over a representative period simulated with the full model,

1. peak chip temperature <= its limit (the throttle temperature: the chips never throttle
   for heat; ``max_chip_temperature_k`` overrides it),
2. minimum state of charge >= the battery's ``floor_soc``,
3. compute availability (compute delivered / compute commanded) >= a target (0.99), and
4. energy neutrality: the mean battery energy over the window's last orbit is at least that
   over its first orbit, less 0.3 % of the energy the loads would draw at full utilisation
   between the two (the period can repeat; without this a short window would let a small
   array live off the initial charge). Orbit means do not depend on where in the orbit the
   window starts or ends; the tolerance is an amount of energy, not a fraction of the
   capacity, which a bigger battery would make easier to meet. The window holds at least
   two orbits.

Design variables (decided here, also in README "Sizing"):

- **Array area**: the surfaces whose front face carries solar cells, scaled together.
- **Radiator area**: the surfaces whose ``role`` is ``radiator``, scaled together (a surface
  without a ``role`` key gets one when the config is read: config.derive_surface_roles; the
  radiator component is the one holding most of their area). With ``radiator_component``
  given: the surfaces without cells on that component.
- **Battery capacity**; its floor and the initial energy keep their state-of-charge values.
- The heat capacity of the radiator, array and battery components scales with their
  variable (their mass is what is being sized) unless the component also hosts the chips,
  the bus or another design variable; ``scale_heat_capacity=False`` keeps them fixed.

Mass figures come from ``[node_class.NAME.mass]`` when the config has it, else the published
defaults (shared REFERENCE.md): arrays 3.1 kg/m^2 (ISS iROSA), radiators 7 kg/m^2
(conventional, NASA SBIR), batteries 160 Wh/kg (Saft VES180 cells). Only these three items
are counted: chips, bus and structure are the same for every design.

Representative nodes and period: per class, the ``nodes_per_class`` nodes with the largest
eclipse fraction in the window (a screening run of up to ``screen_nodes`` nodes of the class
with the configured design). The window is ``warmup_orbits`` orbits (thermal settling,
ignored by the constraints) followed by ``orbits`` orbital periods (or ``days``), every step
sampled (the peak temperature and the minimum state of charge are exact per step). It starts at
the config's epoch, at ``start`` (a later UTC instant), or with ``start="season"`` on the day of
the longest umbra of the representative node within ``season_days`` of the epoch
(:func:`orbital_sim.analysis.eclipse_season`). A window that does not start at the epoch uses
the ``j2_secular`` propagator from the epoch's mean elements (no year of Cowell integration
to get there), the same model the eclipse-season search uses.

Optimiser: SciPy SLSQP on the logarithms of the variables relative to the configured design
(bounded to a factor ``bound_factor`` either way), objective mass / configured mass (exact
gradient), constraints normalised (10 K, 0.05 of state of charge, ``1 - target`` of
availability, 1 % of the nominal load energy) with their Jacobian from ``jax.jacfwd``
through the whole simulation. The constraints are the exact maxima and minima over the
sampled steps (``jnp.max`` and ``jnp.min``: jax differentiates them as a subgradient, the
element that attains them), and the availability is a mean; all gradients are checked to be
finite. Three things keep the gradients informative (see :meth:`SizingProblem._normalised`):

- the thermal throttle is switched off in the sizing runs when the chip limit is at or below
  the throttle temperature (the default): a feasible design never reaches it, so its results
  are the same, and an infeasible one keeps heating as the radiator shrinks instead of being
  held near the throttle point (where the peak temperature barely moves);
- availability and neutrality are flat where they are slack (no throttling at all; a battery
  full every orbit); each gets a headroom term there (state of charge above the throttle
  point; storable shed power) that fades out at the constraint, so the feasible set is
  exactly that of the plain constraint;
- the result is the lightest design found feasible as simulated; the search stops once
  ``patience`` evaluations near it bring no improvement of ``ftol`` (1e-4 of the mass).

Cost accounting in simulated node-days: a simulation of the window for one node counts
``(warmup + window) / 86400 s``; every design the optimiser visits is evaluated with its
Jacobian and counts ``1 + n_variables`` simulations (one primal and one forward tangent per
variable, as ``jacfwd`` computes them); the final verification run is included. The
screening and the season search are reported apart (``screen_node_days``,
``season_node_days``).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import time
from typing import Sequence

import numpy as np

#: design variables, in the order of the design vectors
VARIABLES = ("radiator_area_m2", "array_area_m2", "battery_capacity_j")

#: published defaults (shared REFERENCE.md)
ARRAY_KG_M2 = 3.1  # [kg/m^2] ISS iROSA (NASA figures)
RADIATOR_KG_M2 = 7.0  # [kg/m^2] conventional radiator (NASA SBIR); ISS about 14
BATTERY_J_KG = 160.0 * 3600.0  # [J/kg] Li-ion cells, Saft VES180 (160 Wh/kg)

#: constraint normalisations (the SLSQP constraints are these fractions)
TEMPERATURE_SCALE_K = 10.0
SOC_SCALE = 0.05
#: [1] of the nominal load energy between the first and last orbit of the window: the last orbit's
#: mean battery energy may be this much below the first's. Above the sampling noise of the orbit
#: means (the one-orbit averaging window is a whole number of steps: +-0.15 % measured at 30 s
#: steps with a battery full every orbit, less at 10 s).
NEUTRAL_TOLERANCE = 0.003
NEUTRAL_SCALE = 0.01
OPTIMISER_MARGIN = 0.01  # [1] SLSQP aims this far inside each normalised constraint (0.1 K, 1e-4 availability...)
SAMPLE_BYTES_LIMIT = 2 * 2**30  # [B] the per-step samples (and tangents) of one evaluation
THROTTLE_OFF_K = 1.0e6  # [K] added to the throttle temperature to switch the thermal throttle off
SECONDS_PER_DAY = 86400.0
#: [K] the temperature margin below the chips' limit: ECSS-E-ST-31C's uncertainty margin (10 K)
DEFAULT_MARGIN_K = 10.0
#: where the cold case's window starts when the caller does not fix it (``size(design_cases=True)``):
#: the day of the longest eclipse within ``season_days`` of the epoch, where the battery works hardest
COLD_CASE_START = "season"


class SizingError(ValueError):
    """Sizing cannot be set up or did not converge; the message is one line."""


@dataclasses.dataclass(frozen=True)
class MassModel:
    """Areal masses and specific energy of the sized items."""

    array_kg_m2: float = ARRAY_KG_M2  #: [kg/m^2]
    radiator_kg_m2: float = RADIATOR_KG_M2  #: [kg/m^2]
    battery_j_kg: float = BATTERY_J_KG  #: [J/kg]

    def mass_kg(self, radiator_area_m2, array_area_m2, battery_capacity_j):
        """[kg] mass of radiator + array + battery (numbers or arrays)."""
        return (self.radiator_kg_m2 * radiator_area_m2 + self.array_kg_m2 * array_area_m2
                + battery_capacity_j / self.battery_j_kg)

    def per_unit(self) -> np.ndarray:
        """[kg per unit of each variable] (3,): kg/m^2, kg/m^2, kg/J."""
        return np.asarray([self.radiator_kg_m2, self.array_kg_m2, 1.0 / self.battery_j_kg])


def mass_model(node_class) -> MassModel:
    """The mass figures of a :class:`~orbital_sim.config.NodeClassConfig`: its optional
    ``mass`` table when present, else the published defaults."""
    m = getattr(node_class, "mass", None)

    def pick(names, default):
        for name in names:
            value = getattr(m, name, None) if m is not None and not isinstance(m, dict) else (m or {}).get(name)
            if value is not None:
                return float(value)
        return default

    battery = pick(("battery_specific_energy_j_kg", "battery_j_kg"), None)
    if battery is None:
        battery = pick(("battery_specific_energy_wh_kg", "battery_wh_kg"), BATTERY_J_KG / 3600.0) * 3600.0
    return MassModel(array_kg_m2=pick(("array_areal_mass_kg_m2", "array_kg_m2"), ARRAY_KG_M2),
                     radiator_kg_m2=pick(("radiator_areal_mass_kg_m2", "radiator_kg_m2"), RADIATOR_KG_M2),
                     battery_j_kg=battery)


@dataclasses.dataclass(frozen=True)
class Constraints:
    """Constraint values of one design (worst over the representative nodes)."""

    peak_chip_temperature_k: float  #: [K] highest chip temperature in the window
    min_state_of_charge: float  #: [1] lowest state of charge in the window
    availability: float  #: [1] compute delivered / compute commanded over the window
    energy_change: float  #: [1] (mean battery energy, last orbit - first) / nominal load energy between them
    eclipse_fraction: float  #: [1] fraction of the window in shadow (largest over the nodes)


class SizingProblem:
    """One node class: representative nodes, window, compiled evaluations of designs.

    Designs are arrays (..., 3) of (radiator area [m^2], array area [m^2], battery capacity
    [J]). :meth:`evaluate` simulates a batch of designs in one vmapped call (each design
    x representative node is one simulated node); :meth:`constraint_fn` is the normalised
    constraint vector of one design, differentiable with jax.
    """

    def __init__(self, *, class_name, node_names, params, state, env, propagator, shadow_fn, albedo_model,
                 first_step, warmup_steps, window_steps, orbit_steps, dt_s, base, masks, limits, mass, variables):
        import jax.numpy as jnp

        from orbital_sim.kernels.model import make_chunk_fn

        self.class_name = class_name
        self.node_names = list(node_names)
        self.params = params  # NodeParams (n_rep, ...)
        self.state = state  # NodeState (n_rep, ...)
        self.env = env
        self.first_step = int(first_step)
        self.warmup_steps = int(warmup_steps)
        self.window_steps = int(window_steps)
        self.orbit_steps = int(orbit_steps)  # one orbital period of the first representative node
        self.dt_s = float(dt_s)
        self.base = np.asarray(base, dtype=np.float64)  # (3,) configured design
        self.masks = masks  # dict of jnp arrays (n_rep, S) / (n_rep, C)
        self.limits = limits  # dict: chip_k, floor_soc, availability
        self.mass = mass
        self.variables = tuple(variables)  # the free variables (subset of VARIABLES)
        self.free = np.asarray([VARIABLES.index(v) for v in self.variables], dtype=int)
        n_steps = self.warmup_steps + self.window_steps
        self.days_per_node = n_steps * self.dt_s / SECONDS_PER_DAY  #: [day] simulated per node and run
        self.n_rep = len(self.node_names)
        self._chunk = make_chunk_fn(propagator, shadow_fn, 1, n_steps,
                                    ("temperature", "state_of_charge", "compute_utilization", "battery_energy",
                                     "sunlit_fraction", "shed_power"), albedo_model=albedo_model)
        self._jnp = jnp
        self._compiled: dict = {}

    # ---------------------------------------------------------------- building blocks (traceable)

    def _params_states(self, design):
        """NodeParams and NodeState for designs (n, 3): node axis = design x representative node."""
        import jax
        import jax.numpy as jnp

        n = design.shape[0]
        ratio = design / jnp.asarray(self.base, design.dtype)[None, :]  # (n, 3)
        r_rad, r_arr, r_bat = (jnp.repeat(ratio[:, k], self.n_rep)[:, None] for k in range(3))  # (n*n_rep, 1)
        cap = jnp.repeat(design[:, 2], self.n_rep)  # (n*n_rep,)

        def tile(x):
            return jnp.tile(x, (n,) + (1,) * (x.ndim - 1))

        p = jax.tree_util.tree_map(tile, self.params)
        s = jax.tree_util.tree_map(tile, self.state)
        m = {k: tile(v) for k, v in self.masks.items()}
        area = p.surfaces.area_m2 * (1.0 + m["radiator_surf"] * (r_rad - 1.0) + m["array_surf"] * (r_arr - 1.0))
        heat_capacity = p.thermal.heat_capacity_j_k * (1.0 + m["radiator_comp"] * (r_rad - 1.0)
                                               + m["array_comp"] * (r_arr - 1.0) + m["battery_comp"] * (r_bat - 1.0))
        floor_soc = p.battery.floor_j / p.battery.capacity_j
        soc0 = s.battery_energy_j / p.battery.capacity_j
        p = dataclasses.replace(p, surfaces=dataclasses.replace(p.surfaces, area_m2=area),
                                thermal=dataclasses.replace(p.thermal, heat_capacity_j_k=heat_capacity),
                                battery=dataclasses.replace(p.battery, capacity_j=cap, floor_j=floor_soc * cap))
        s = dataclasses.replace(s, battery_energy_j=soc0 * cap)
        return p, s

    def _metrics(self, design):
        """Per design (n,) arrays, worst over the representative nodes: peak chip temperature [K],
        minimum state of charge, availability, energy change / capacity, eclipse fraction, and
        the two headrooms of :meth:`_normalised` (state of charge above the throttle point,
        storable shed power / nominal load power)."""
        import jax.numpy as jnp

        p, s = self._params_states(design)
        n_steps = self.warmup_steps + self.window_steps
        _, smp = self._chunk(p, s, self.env, jnp.asarray(self.first_step), jnp.asarray(self.first_step + n_steps),
                             jnp.asarray(self.dt_s))
        w = self.warmup_steps
        chip = jnp.einsum("tnc,nc->tn", smp["temperature"][w:], p.compute.component)
        peak = jnp.max(chip, axis=0)
        soc_min = jnp.min(smp["state_of_charge"][w:], axis=0)
        cp = p.compute
        commanded = jnp.where(cp.utilization > 0, cp.utilization, 1.0)
        served = jnp.mean(smp["compute_utilization"][w:], axis=0)
        availability = jnp.where((cp.utilization > 0) & (cp.accelerators > 0), served / commanded, 1.0)
        # energy neutrality: the mean battery energy over the window's last orbit against its
        # first (orbit means do not depend on where in the orbit the window starts or ends)
        energy = smp["battery_energy"][w:]
        k = self.orbit_steps
        load_w = p.power.bus_power_w + cp.accelerators * cp.accelerator_power_w * cp.utilization
        load_w = jnp.where(load_w > 0, load_w, p.battery.capacity_j / SECONDS_PER_DAY)  # no load: per capacity
        apart_s = (self.window_steps - k) * self.dt_s
        change = (jnp.mean(energy[-k:], axis=0) - jnp.mean(energy[:k], axis=0)) / (load_w * apart_s)
        eclipse = 1.0 - jnp.mean(smp["sunlit_fraction"][w:], axis=0)
        soc_headroom = jnp.maximum(soc_min - p.battery.throttle_soc, 0.0)
        storable = p.battery.charge_efficiency * jnp.mean(smp["shed_power"][w:], axis=0) / load_w
        shape = (design.shape[0], self.n_rep)
        worst = (jnp.max(peak.reshape(shape), axis=1), jnp.min(soc_min.reshape(shape), axis=1),
                 jnp.min(availability.reshape(shape), axis=1), jnp.min(change.reshape(shape), axis=1),
                 jnp.max(eclipse.reshape(shape), axis=1), jnp.min(soc_headroom.reshape(shape), axis=1),
                 jnp.min(storable.reshape(shape), axis=1))
        # a faulted node reports NaN: count it as infeasible, never as a good design
        return tuple(jnp.where(jnp.isfinite(x), x, bad) for x, bad in
                     zip(worst, (jnp.inf, -jnp.inf, -jnp.inf, -jnp.inf, 1.0, 0.0, 0.0)))

    def _normalised(self, peak, soc_min, availability, change, eclipse, soc_headroom, storable):
        """The four constraints, each >= 0 where it holds.

        Availability and energy neutrality are flat where they are slack (no throttling at
        all: availability = 1; a battery full at both ends: change = 0), which would leave the
        optimiser without a gradient until it crossed them. Each gets a headroom term there,
        faded in with its own margin so that the constraint stays continuous and its zero
        set (the feasible designs) is exactly that of the plain constraint:

            g_avail = (a - a_target) / s_a + h_soc * clip((a - a_target) / s_a, 0, 1),
            h_soc = max(min SOC - throttle SOC, 0) / 0.05;
            g_neutral = (dE + tol) / 0.01 + h_shed * clip((dE + tol) / tol, 0, 1),
            h_shed = charge efficiency * mean shed power / nominal load power / 0.01.
        """
        del eclipse
        jnp = self._jnp
        lim = self.limits
        avail_scale = max(1.0 - lim["availability"], 0.01)
        g_avail = (availability - lim["availability"]) / avail_scale
        g_neutral = (change + NEUTRAL_TOLERANCE) / NEUTRAL_SCALE
        return jnp.stack([
            (lim["chip_k"] - peak) / TEMPERATURE_SCALE_K,
            (soc_min - lim["floor_soc"]) / SOC_SCALE,
            g_avail + soc_headroom / SOC_SCALE * jnp.clip(g_avail, 0.0, 1.0),
            g_neutral + storable / NEUTRAL_SCALE * jnp.clip((change + NEUTRAL_TOLERANCE) / NEUTRAL_TOLERANCE, 0.0, 1.0),
        ], axis=-1)

    def design_from_log(self, z):
        """Design (3,) from the log ratios of the free variables (the others as configured)."""
        jnp = self._jnp
        full = jnp.zeros(3, z.dtype).at[self.free].set(z)
        return jnp.asarray(self.base, z.dtype) * jnp.exp(full)

    def constraint_fn(self, z):
        """Normalised constraints (4,) (feasible where all >= 0) of the design at log ratios z."""
        return self._outputs(z)[0]

    def _outputs(self, z):
        design = self.design_from_log(z)[None, :]
        metrics = self._metrics(design)
        return self._normalised(*metrics)[0], self._jnp.stack([m[0] for m in metrics[:5]])

    # ---------------------------------------------------------------- compiled entry points

    def evaluate(self, designs) -> dict[str, np.ndarray]:
        """Simulate designs (n, 3) in one call. Returns arrays (n,): the Constraints fields,
        ``mass_kg`` and ``feasible`` (all four constraints hold)."""
        import jax

        designs = self._jnp.asarray(np.atleast_2d(np.asarray(designs, dtype=np.float64)))
        key = ("evaluate", designs.shape[0])
        if key not in self._compiled:
            def fn(d):
                out = self._metrics(d)
                return out, self._normalised(*out)

            self._compiled[key] = jax.jit(fn)
        (peak, soc_min, availability, change, eclipse, _, _), g = self._compiled[key](designs)
        d = np.asarray(designs)
        return {"peak_chip_temperature_k": np.asarray(peak), "min_state_of_charge": np.asarray(soc_min),
                "availability": np.asarray(availability), "energy_change": np.asarray(change),
                "eclipse_fraction": np.asarray(eclipse),
                "mass_kg": np.asarray(self.mass.mass_kg(d[:, 0], d[:, 1], d[:, 2])),
                "feasible": np.all(np.asarray(g) >= 0.0, axis=1)}

    def constraints_and_jacobian(self, z, with_metrics: bool = False):
        """(values (4,), d values / d z (4, n_free)) at log ratios z of the free variables, by
        forward-mode differentiation; with ``with_metrics`` also the :class:`Constraints` (the
        same simulation)."""
        import jax

        if "jac" not in self._compiled:
            def fn(x):
                g, metrics = self._outputs(x)
                return g, (g, metrics)

            self._compiled["jac"] = jax.jit(jax.jacfwd(fn, has_aux=True))
        jac, (values, metrics) = self._compiled["jac"](self._jnp.asarray(z, dtype=np.float64))
        if not with_metrics:
            return np.asarray(values), np.asarray(jac)
        names = [f.name for f in dataclasses.fields(Constraints)]
        return np.asarray(values), np.asarray(jac), Constraints(*(float(x) for x in np.asarray(metrics)[:len(names)]))

    def constraints(self, z):
        """Normalised constraints (4,) at log ratios z (a primal run)."""
        import jax

        if "primal" not in self._compiled:
            self._compiled["primal"] = jax.jit(self.constraint_fn)
        return np.asarray(self._compiled["primal"](self._jnp.asarray(z, dtype=np.float64)))

    def constraints_of(self, design) -> Constraints:
        """The Constraints of one design (3,) (one simulation; through the compiled Jacobian
        function when only free variables differ from the configured design)."""
        design = np.asarray(design, dtype=np.float64)
        fixed = [k for k in range(3) if k not in self.free]
        if np.array_equal(design[fixed], self.base[fixed]):
            return self.constraints_and_jacobian(np.log(design / self.base)[self.free], with_metrics=True)[2]
        out = self.evaluate(design[None, :])
        return Constraints(**{f.name: float(out[f.name][0]) for f in dataclasses.fields(Constraints)})


@dataclasses.dataclass(frozen=True)
class ClassSizing:
    """The result for one node class."""

    class_name: str
    nodes: list  #: representative node names
    variables: tuple  #: the variables that were free
    design: dict  #: {variable: value} of the optimum (SI: m^2, m^2, J)
    configured: dict  #: {variable: value} as configured
    mass_kg: float  #: [kg] radiator + array + battery at the optimum
    configured_mass_kg: float  #: [kg] the same for the configured design
    constraints: Constraints  #: at the optimum (re-simulated)
    configured_constraints: Constraints  #: of the configured design
    limits: dict  #: chip_k, floor_soc, availability
    feasible: bool  #: all constraints hold at the optimum (re-simulated)
    node_days: float  #: [node-day] simulated by the optimiser (incl. gradients and verification)
    simulations: int  #: node-window simulations counted in node_days
    iterations: int  #: SLSQP iterations
    message: str  #: SLSQP's message
    window: dict  #: start_iso, warmup_s, window_s, step_s, propagator
    screen_node_days: float = 0.0  #: [node-day] spent choosing the representative nodes
    season_node_days: float = 0.0  #: [node-day] spent finding the eclipse season
    wall_s: float = float("nan")  #: [s] wall time of this class, compilation included

    def as_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["constraints"] = dataclasses.asdict(self.constraints)
        out["configured_constraints"] = dataclasses.asdict(self.configured_constraints)
        out["variables"] = list(self.variables)
        return out


# --------------------------------------------------------------------------------------------
# Building a problem from a config
# --------------------------------------------------------------------------------------------

def _sized_surfaces(nc, component_names: Sequence[str], n_surfaces: int, requested: str | None):
    """``(radiator component index, radiator surfaces, array surfaces)``, the masks over the
    ``n_surfaces`` surface slots: the surfaces whose ``role`` is ``radiator`` (their component:
    the one holding most of their area) and ``array``, those of nonzero area. ``requested``: the
    cell-less surfaces of that component are the radiator instead."""
    names = list(component_names)
    pad = [False] * (n_surfaces - len(nc.surfaces))
    area = np.asarray([s.area_m2 for s in nc.surfaces] + [0.0] * len(pad))
    on = lambda flags: np.asarray(list(flags) + pad) & (area > 0)  # noqa: E731
    if requested is not None:
        if requested not in names:
            raise SizingError(f"radiator component {requested!r} is not a thermal component "
                              f"(components: {', '.join(names)})")
        rad_c = names.index(requested)
        on_rad = on(s.component == requested and not s.solar_cells for s in nc.surfaces)
    else:
        radiators = [s for s in nc.surfaces if s.role == "radiator"]
        if not radiators:
            raise SizingError(f"node class {nc.name!r}: no surface with role = \"radiator\": nothing to size "
                              "as a radiator")
        per_component = {}
        for s in radiators:
            per_component[s.component] = per_component.get(s.component, 0.0) + s.area_m2
        rad_c = names.index(max(per_component, key=per_component.get))
        on_rad = on(s.role == "radiator" for s in nc.surfaces)
    return rad_c, on_rad, on(s.role == "array" for s in nc.surfaces)


def _parse_start(text: str, epoch: _dt.datetime) -> float:
    try:
        when = _dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise SizingError(f"start = {text!r}: not an ISO 8601 UTC instant (e.g. 2026-06-21T00:00:00Z) "
                          "or 'season'") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    offset = (when - epoch).total_seconds()
    if offset < 0:
        raise SizingError(f"start = {text}: before the config's epoch {epoch.isoformat()}; the window must "
                          "start at or after it")
    return offset


def build_problem(config, class_name: str, *, availability: float = 0.99, orbits: float = 3.0,
                  days: float | None = None, warmup_orbits: float = 1.0, step_s: float | None = None,
                  start: str | None = None, max_chip_temperature_k: float | None = None,
                  variables: Sequence[str] = VARIABLES, nodes_per_class: int = 1, screen_nodes: int = 64,
                  season_days: float = 365.0, radiator_component: str | None = None,
                  scale_heat_capacity: bool = True, margin_k: float = 0.0,
                  depth_of_discharge: bool = False) -> tuple[SizingProblem, dict]:
    """The :class:`SizingProblem` of one node class of ``config`` (see the module docstring
    for the choices). Returns ``(problem, info)`` with info = screen_node_days,
    season_node_days, start_iso, propagator."""
    from orbital_sim.runner import enable_float64

    enable_float64()
    import jax
    import jax.numpy as jnp

    from orbital_sim.model import build_model

    if class_name not in config.node_classes:
        raise SizingError(f"node class {class_name!r} is not in the config (classes: "
                          f"{', '.join(sorted(config.node_classes))})")
    if not 0.0 < availability <= 1.0:
        raise SizingError(f"availability target = {availability}: must be in (0, 1]")
    unknown = [v for v in variables if v not in VARIABLES]
    if unknown or not variables:
        raise SizingError(f"design variables {list(variables)}: choose from {list(VARIABLES)}")
    sim = config.simulation
    dt_s = float(step_s if step_s is not None else sim.step_s)
    if not 0.0 < dt_s <= 600.0:
        raise SizingError(f"step = {dt_s} s: must be in (0, 600] s")
    if orbits <= 0 or (days is not None and not 0 < days <= 30) or warmup_orbits < 0:
        raise SizingError("the window needs orbits > 0 (or 0 < days <= 30) and warmup_orbits >= 0")
    info = {"screen_node_days": 0.0, "season_node_days": 0.0}

    season = isinstance(start, str) and start.strip().lower() == "season"
    offset_s = 0.0 if start is None or season else _parse_start(start, sim.epoch)
    propagator_name = sim.propagator if offset_s == 0.0 and not season else "j2_secular"
    cfg = dataclasses.replace(config, simulation=dataclasses.replace(sim, propagator=propagator_name))
    model, state0 = build_model(cfg, dtype=jnp.float64, resolve_integrator=False)  # "auto" read as rk8
    fleet = model.fleet(state0)
    nc = config.node_classes[class_name]
    members = [i for i, c in enumerate(fleet.node_class) if c == class_name]
    if not members:
        raise SizingError(f"node class {class_name!r} has no node in the constellation")
    env, shadow_fn, albedo_model = model.env, model.shadow_fn, model.albedo_model

    def take(tree, idx):
        idx = np.asarray(idx)
        return jax.tree_util.tree_map(lambda x: jnp.asarray(np.asarray(x)[idx]), tree)

    one = take(fleet.params, [members[0]])
    one0 = jax.tree_util.tree_map(lambda x: np.asarray(x)[0], one)
    names = list(fleet.component_names)
    area0 = np.asarray(one0.surfaces.area_m2)
    rad_c, on_rad, is_arr = _sized_surfaces(nc, names, area0.shape[0], radiator_component)
    base = np.asarray([area0[on_rad].sum(), area0[is_arr].sum(), float(np.asarray(one0.battery.capacity_j))])
    for k, v in enumerate(VARIABLES):
        if v in variables and not base[k] > 0:
            raise SizingError(f"node class {class_name!r}: the configured {v} is 0; sizing scales the "
                              "configured surfaces, so give them a nonzero starting size")
    arr_c = int(np.argmax(np.asarray(one0.power.array_component)))
    bat_c = int(np.argmax(np.asarray(one0.battery.component)))
    hosts = {int(np.argmax(np.asarray(one0.compute.component))), int(np.argmax(np.asarray(one0.power.bus_component)))}
    n_comp = len(names)

    def comp_mask(c, others):
        v = np.zeros(n_comp)
        if scale_heat_capacity and c not in hosts and c not in others:
            v[c] = 1.0
        return v

    masks_one = {
        "radiator_surf": on_rad.astype(float), "array_surf": is_arr.astype(float),
        "radiator_comp": comp_mask(rad_c, {arr_c, bat_c}), "array_comp": comp_mask(arr_c, {rad_c, bat_c}),
        "battery_comp": comp_mask(bat_c, {rad_c, arr_c}),
    }
    chip_limit_k = max_chip_temperature_k
    if chip_limit_k is None:  # the chips' operating maximum when given, else the throttle temperature
        chip = [c for c in nc.components if c.name == nc.compute.component][0]
        chip_limit_k = (chip.operating_limits_k[1] if chip.operating_limits_k is not None
                        else nc.compute.throttle_temperature_k)
    floor_soc = float(nc.battery.floor_soc)
    if depth_of_discharge and nc.battery.max_depth_of_discharge is not None:
        floor_soc = max(floor_soc, 1.0 - float(nc.battery.max_depth_of_discharge))  # DoD = 1 - min SOC
    limits = {"chip_k": float(chip_limit_k) - float(margin_k), "margin_k": float(margin_k),
              "floor_soc": floor_soc, "availability": float(availability)}
    mass = mass_model(nc)

    from orbital_sim.kernels import constants as kc

    def steps_for(node):
        """(warm-up, window, one orbit) in steps, from the Keplerian period of ``node``."""
        a_m = float(np.asarray(fleet.params.orbit.elements0)[node, 0])
        period_s = 2.0 * math.pi * math.sqrt(a_m ** 3 / kc.GM_EARTH_M3_S2)
        orbit = max(1, int(round(period_s / dt_s)))
        window = int(round((days * SECONDS_PER_DAY if days is not None else orbits * period_s) / dt_s))
        if window < 2 * orbit:
            raise SizingError(f"the window ({window * dt_s / 3600:.2f} h) must hold at least 2 orbits "
                              f"({2 * orbit * dt_s / 3600:.2f} h) to tell an energy-neutral design")
        return int(round(warmup_orbits * period_s / dt_s)), window, orbit

    params_all = fleet.params
    if limits["chip_k"] <= nc.compute.throttle_temperature_k:
        # no thermal throttle in the sizing runs: a feasible design never reaches it (same
        # results), and an infeasible one keeps heating as the radiator shrinks instead of
        # being held near the throttle point, so the gradient points back to feasibility
        params_all = dataclasses.replace(params_all, compute=dataclasses.replace(
            params_all.compute, throttle_temperature_k=params_all.compute.throttle_temperature_k + THROTTLE_OFF_K))

    def state_at(idx, first_step):
        """The state of nodes ``idx`` with the orbit placed at the window's start. A window after
        the epoch uses j2_secular, which needs no state to get there, but the first step locates
        the shadow contacts between the state's position and the step's end: left at the epoch's
        position, a jump of days gave NaN (status non-finite; 15 days at 30 s steps, measured)."""
        state = take(fleet.state, idx)
        if first_step == 0:
            return state
        t_s = first_step * dt_s
        r, v = jax.vmap(lambda p, r0, v0: model.propagator.advance(p, r0, v0, t_s, dt_s, env))(
            take(fleet.params.orbit, idx), state.r_eci_m, state.v_eci_m_s)
        return dataclasses.replace(state, r_eci_m=r, v_eci_m_s=v)

    def problem_for(idx, first_step):
        m = {k: jnp.asarray(np.tile(v, (len(idx), 1))) for k, v in masks_one.items()}
        warmup_steps, window_steps, orbit_steps = steps_for(idx[0])
        # every step is sampled (6 scalars and C temperatures per node), with a tangent per variable
        need = (warmup_steps + window_steps) * len(idx) * (n_comp + 6) * 8 * (1 + len(variables))
        if need > SAMPLE_BYTES_LIMIT:
            raise SizingError(f"the window ({(warmup_steps + window_steps) * dt_s / 86400:.2f} d at {dt_s:g} s steps "
                              f"for {len(idx)} node(s)) needs about {need / 2**30:.1f} GiB of samples; shorten it, "
                              "lengthen the step or use fewer nodes")
        return SizingProblem(
            class_name=class_name, node_names=[fleet.names[i] for i in idx], params=take(params_all, idx),
            state=state_at(idx, first_step), env=env, propagator=model.propagator, shadow_fn=shadow_fn,
            albedo_model=albedo_model, first_step=first_step, warmup_steps=warmup_steps, window_steps=window_steps,
            orbit_steps=orbit_steps, dt_s=dt_s, base=base, masks=m, limits=limits, mass=mass,
            variables=[v for v in VARIABLES if v in variables])

    def screen(first_step):
        if len(members) <= nodes_per_class:
            return list(members)
        pick = sorted(set(np.linspace(0, len(members) - 1, min(screen_nodes, len(members))).round().astype(int)))
        cand = [members[k] for k in pick]
        probe = problem_for(cand, first_step)
        p, s = probe.params, probe.state
        _, smp = probe._chunk(p, s, env, jnp.asarray(first_step),
                              jnp.asarray(first_step + probe.warmup_steps + probe.window_steps), jnp.asarray(dt_s))
        lit = np.asarray(smp["sunlit_fraction"])[probe.warmup_steps:]
        eclipse = 1.0 - np.nanmean(lit, axis=0)
        info["screen_node_days"] += len(cand) * probe.days_per_node
        order = np.argsort(-eclipse, kind="stable")[:nodes_per_class]
        return [cand[k] for k in order]

    first_step = int(round(offset_s / dt_s))
    chosen = screen(first_step)
    if season:
        from orbital_sim.analysis import eclipse_season

        season_step = 60.0
        found = eclipse_season(config, days=season_days, step_s=season_step, node=fleet.names[chosen[0]])
        info["season_node_days"] = season_days
        _, date = found.longest("umbra")
        if date is None:
            _, date = found.longest("total")
        if date is not None:
            day0 = _dt.datetime.combine(date, _dt.time(0, 0), tzinfo=_dt.timezone.utc)
            offset_s = max(0.0, (day0 - sim.epoch).total_seconds())
            first_step = int(round(offset_s / dt_s))
    start_time = sim.epoch + _dt.timedelta(seconds=first_step * dt_s)
    info["start_iso"] = start_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    info["propagator"] = propagator_name
    return problem_for(chosen, first_step), info


# --------------------------------------------------------------------------------------------
# Optimisers
# --------------------------------------------------------------------------------------------

class _Stalled(Exception):
    """Raised inside the optimiser's callbacks to stop it (no lighter feasible design)."""


def optimise(problem: SizingProblem, *, bound_factor: float = 20.0, maxiter: int = 60,
             ftol: float = 1e-4, patience: int = 4, x0=None) -> dict:
    """SLSQP on log ratios with exact jax Jacobians. Returns the lightest feasible design it
    visited (``design`` (3,); SLSQP's last point if none was feasible), with ``feasible``,
    the counts and SLSQP's iterations and message. ``x0``: starting design (3,) (default: as
    configured). ``ftol``: stopping tolerance on mass / configured mass (1e-4: about 0.2 kg
    of 2 t). ``patience``: stop after this many evaluations within ``20 ftol`` of the best
    feasible mass that find none lighter by ``ftol`` (near the optimum SLSQP otherwise wanders
    along the flat valley where array and battery trade against each other, for grams).
    The constraints are handed to SLSQP ``OPTIMISER_MARGIN`` inside the real limits, as it
    only meets them to about its tolerance."""
    from scipy.optimize import minimize

    free = problem.free
    n = len(free)
    weights = problem.mass.per_unit() * problem.base  # [kg] per unit log ratio at the configured design
    mass0 = float(np.sum(weights))
    counts = {"jacobian": 0}
    cache: dict = {}
    first: dict = {}
    best = {"mass": math.inf, "z": None, "stall": 0}

    def at(z):
        # every point SLSQP asks about gets values and Jacobian in one forward-mode pass: SLSQP
        # asks for the Jacobian at almost every point it evaluates, and one compiled function
        # serves both (a primal-only function would be a second compilation)
        k = np.asarray(z, dtype=np.float64).tobytes()
        if k not in cache:
            counts["jacobian"] += 1
            v, j, metrics = problem.constraints_and_jacobian(z, with_metrics=True)
            first.setdefault("metrics", metrics)
            if not np.all(np.isfinite(j)):
                design = problem.base * np.exp(_full(z, free))
                raise SizingError(f"node class {problem.class_name!r}: non-finite constraint gradient at "
                                  f"{dict(zip(VARIABLES, design.tolist()))}")
            cache[k] = (v, j)
            mass = mass_ratio(z)
            # a stall: a point near the best feasible mass (SLSQP polishing, not exploring)
            # that does not improve it by ftol
            near = abs(mass - best["mass"]) <= 20.0 * ftol
            if np.all(v >= 0.0) and mass < best["mass"] - ftol:  # feasible as simulated, no margin needed
                best["stall"] = 0
            elif near:
                best["stall"] += 1
            if np.all(v >= 0.0) and mass < best["mass"]:
                best.update(mass=mass, z=np.array(z, dtype=np.float64))
            if best["stall"] >= patience:
                raise _Stalled
        return cache[k]

    def values(z):
        return at(z)[0] - OPTIMISER_MARGIN

    def jacobian(z):
        return at(z)[1]

    def mass_ratio(z):
        full = _full(z, free)
        return float(np.sum(weights * np.exp(full))) / mass0

    def mass_grad(z):
        full = _full(z, free)
        return (weights * np.exp(full))[free] / mass0

    z0 = np.zeros(n) if x0 is None else np.log(np.asarray(x0, dtype=np.float64) / problem.base)[free]
    bounds = [(-math.log(bound_factor), math.log(bound_factor))] * n
    iterations = {"n": 0}

    def count(_):
        iterations["n"] += 1

    try:
        res = minimize(mass_ratio, z0, jac=mass_grad, method="SLSQP", bounds=bounds,
                       constraints=[{"type": "ineq", "fun": values, "jac": jacobian}],
                       options={"maxiter": maxiter, "ftol": ftol}, callback=count)
        z_end, message, nit = res.x, str(res.message), int(res.nit)
    except _Stalled:
        z_end, nit = best["z"], iterations["n"]
        message = f"stopped: no feasible design lighter by {ftol:g} of the configured mass in {patience} evaluations"
    feasible = best["z"] is not None
    z = best["z"] if feasible else z_end
    design = problem.base * np.exp(_full(z, free))
    sims = counts["jacobian"] * (1 + n)
    return {"design": design, "feasible": feasible, "simulations": sims, "jacobian": counts["jacobian"],
            "configured_constraints": first.get("metrics") if x0 is None else None,
            "iterations": nit, "message": message}


def _full(z, free) -> np.ndarray:
    full = np.zeros(3)
    full[free] = np.asarray(z, dtype=np.float64)
    return full


def grid_search(problem: SizingProblem, axes: dict[str, Sequence[float]]) -> dict:
    """Brute force: every combination of ``axes`` ({variable: values (SI)}; the others as
    configured), all simulated in one vmapped call (each grid point is one node). Returns the
    lightest feasible point (``design`` (3,), ``mass_kg``, ``index`` per axis), ``feasible``
    (the boolean grid), ``simulations`` and ``node_days``."""
    names = list(axes)
    values = [np.asarray(axes[v], dtype=np.float64) for v in names]
    mesh = np.meshgrid(*values, indexing="ij")
    designs = np.tile(problem.base, (mesh[0].size, 1))
    for name, m in zip(names, mesh):
        designs[:, VARIABLES.index(name)] = m.ravel()
    out = problem.evaluate(designs)
    shape = mesh[0].shape
    feasible = out["feasible"].reshape(shape)
    sims = designs.shape[0]
    result = {"feasible": feasible, "simulations": sims,
              "node_days": sims * problem.n_rep * problem.days_per_node, "evaluation": out}
    if not feasible.any():
        return {**result, "design": None, "mass_kg": float("nan"), "index": None}
    mass = np.where(out["feasible"], out["mass_kg"], np.inf)
    best = int(np.argmin(mass))
    return {**result, "design": designs[best], "mass_kg": float(mass[best]),
            "index": tuple(int(i) for i in np.unravel_index(best, shape))}


# --------------------------------------------------------------------------------------------
# Hot and cold design cases
# --------------------------------------------------------------------------------------------

def case_config(config, case: str):
    """``config`` again with ``[environment] case = case`` (orbital_sim/design_cases.py),
    re-validated from its source text so that no earlier case's values carry over."""
    import tomllib

    from orbital_sim.config import apply_overrides, validate_dict

    raw = apply_overrides(tomllib.loads(config.source_toml), [f'environment.case="{case}"'])
    return validate_dict(raw, config.source_toml)


class CaseProblem:
    """One node class sized in two design cases at once: the chip temperature constraint
    simulated in the hot case, the state of charge, availability and energy neutrality in the
    cold case (the least array power). Each evaluation simulates both (two node-windows per
    representative node). The interface of :class:`SizingProblem` that :func:`optimise` and
    :func:`size` use."""

    def __init__(self, hot: SizingProblem, cold: SizingProblem):
        if not np.array_equal(hot.base, cold.base):  # pragma: no cover - the cases change no area
            raise SizingError("the hot and cold cases configure different designs")
        self.hot, self.cold = hot, cold
        for key in ("class_name", "base", "free", "mass", "variables", "n_rep", "warmup_steps", "window_steps",
                    "dt_s"):
            setattr(self, key, getattr(cold, key))
        self.node_names = sorted(set(hot.node_names) | set(cold.node_names), key=(hot.node_names + cold.node_names).index)
        self.days_per_node = hot.days_per_node + cold.days_per_node  # both cases per evaluation
        self.limits = {**cold.limits, "chip_k": hot.limits["chip_k"]}

    def constraints_and_jacobian(self, z, with_metrics: bool = False):
        """Rows: hot-case temperature, cold-case state of charge, availability, neutrality."""
        vh, jh, mh = self.hot.constraints_and_jacobian(z, with_metrics=True)
        vc, jc, mc = self.cold.constraints_and_jacobian(z, with_metrics=True)
        values = np.concatenate([vh[:1], vc[1:]])
        jac = np.concatenate([jh[:1], jc[1:]], axis=0)
        if not with_metrics:
            return values, jac
        return values, jac, dataclasses.replace(mc, peak_chip_temperature_k=mh.peak_chip_temperature_k)


# --------------------------------------------------------------------------------------------
# The entry point
# --------------------------------------------------------------------------------------------

def size(config, *, classes: Sequence[str] | None = None, availability: float = 0.99, orbits: float = 3.0,
         days: float | None = None, warmup_orbits: float = 1.0, step_s: float | None = None,
         start: str | None = None, max_chip_temperature_k: float | None = None,
         variables: Sequence[str] = VARIABLES, nodes_per_class: int = 1, bound_factor: float = 20.0,
         maxiter: int = 60, margin_k: float = 0.0, design_cases: bool = False,
         **problem_options) -> dict[str, ClassSizing]:
    """Size radiator area, array area and battery capacity of each node class used by
    ``config`` (a :class:`~orbital_sim.config.Config`) for the least mass under the
    constraints of the module docstring. Returns ``{class name: ClassSizing}``.

    ``availability``: compute availability target; ``orbits`` (or ``days``): the window after
    ``warmup_orbits`` orbits of settling; ``step_s``: simulation step (default the config's);
    ``start``: None (the epoch), a UTC ISO instant, or ``"season"``; ``max_chip_temperature_k``:
    the chip limit (default each class's throttle temperature); ``variables``: the free design
    variables (the others stay as configured); ``bound_factor``: each variable stays within
    this factor of its configured value. ``margin_k``: the chips must stay this far below
    their limit (the CLI's default is ``DEFAULT_MARGIN_K``, 10 K). ``design_cases``: the
    temperature constraint is simulated in the hot case and the power constraints in the cold
    case (:class:`CaseProblem`), and the state of charge must stay above ``1 -
    battery.max_depth_of_discharge`` as well as above the floor; the cold case's window starts
    at :data:`COLD_CASE_START` (the day of the longest eclipse) unless ``start`` is given. Raises :class:`SizingError`
    (one line).
    """
    used = list(dict.fromkeys(g.class_name for g in config.constellation))
    classes = used if classes is None else list(classes)
    results = {}
    for name in classes:
        t0 = time.perf_counter()
        options = dict(availability=availability, orbits=orbits, days=days, warmup_orbits=warmup_orbits,
                       step_s=step_s, start=start, max_chip_temperature_k=max_chip_temperature_k,
                       variables=variables, nodes_per_class=nodes_per_class, margin_k=margin_k,
                       depth_of_discharge=design_cases, **problem_options)
        cold_info = None
        if design_cases:
            hot, info = build_problem(case_config(config, "hot"), name, **options)
            # the battery is sized in the cold case on the day of the longest eclipse within a year
            # of the epoch (start="season"), unless the caller fixed the window's start
            cold_start = COLD_CASE_START if start is None else start
            cold, cold_info = build_problem(case_config(config, "cold"), name, **{**options, "start": cold_start})
            problem = CaseProblem(hot, cold)
        else:
            problem, info = build_problem(config, name, **options)
        opt = optimise(problem, bound_factor=bound_factor, maxiter=maxiter)
        configured = opt["configured_constraints"]  # the optimiser's first point
        # verification: simulate the optimum again (counted)
        values, _, constraints = problem.constraints_and_jacobian(
            np.log(opt["design"] / problem.base)[problem.free], with_metrics=True)
        sims = opt["simulations"] + 1 + len(problem.free)
        results[name] = ClassSizing(
            class_name=name, nodes=problem.node_names, variables=problem.variables,
            design=dict(zip(VARIABLES, map(float, opt["design"]))),
            configured=dict(zip(VARIABLES, map(float, problem.base))),
            mass_kg=float(problem.mass.mass_kg(*opt["design"])),
            configured_mass_kg=float(problem.mass.mass_kg(*problem.base)),
            constraints=constraints, configured_constraints=configured, limits=dict(problem.limits),
            feasible=bool(np.all(values >= 0.0)), node_days=sims * problem.n_rep * problem.days_per_node,
            simulations=sims, iterations=opt["iterations"], message=opt["message"],
            window={"start_iso": info["start_iso"], "warmup_s": problem.warmup_steps * problem.dt_s,
                    "window_s": problem.window_steps * problem.dt_s, "step_s": problem.dt_s,
                    "propagator": info["propagator"], "cases": bool(design_cases),
                    **({"cold_start_iso": cold_info["start_iso"], "cold_propagator": cold_info["propagator"]}
                       if cold_info else {})},
            screen_node_days=info["screen_node_days"] + (cold_info["screen_node_days"] if cold_info else 0.0),
            season_node_days=info["season_node_days"] + (cold_info["season_node_days"] if cold_info else 0.0),
            wall_s=time.perf_counter() - t0)
    return results


def format_sizing(results: dict[str, ClassSizing]) -> str:
    """A plain-text report of :func:`size`'s results."""
    lines = []
    for name, r in results.items():
        d, c0 = r.design, r.configured
        w = r.window
        c, lim = r.constraints, r.limits
        lines += [
            f"node class {name}: representative node(s) {', '.join(r.nodes)}; window {w['window_s'] / 3600:.2f} h "
            f"from {w['start_iso']} after {w['warmup_s'] / 3600:.2f} h warm-up, step {w['step_s']:g} s "
            f"({w['propagator']}), eclipse fraction {c.eclipse_fraction:.3f}"
            + (f"; cold case from {w['cold_start_iso']} ({w['cold_propagator']}), the day of the longest eclipse"
               if "cold_start_iso" in w and w["cold_start_iso"] != w["start_iso"] else ""),
            f"  {'':<22}{'sized':>12}{'configured':>12}",
            f"  {'radiator area (m^2)':<22}{d['radiator_area_m2']:>12.2f}{c0['radiator_area_m2']:>12.2f}",
            f"  {'array area (m^2)':<22}{d['array_area_m2']:>12.2f}{c0['array_area_m2']:>12.2f}",
            f"  {'battery (kWh)':<22}{d['battery_capacity_j'] / 3.6e6:>12.2f}{c0['battery_capacity_j'] / 3.6e6:>12.2f}",
            f"  {'mass (kg)':<22}{r.mass_kg:>12.1f}{r.configured_mass_kg:>12.1f}",
            f"  peak chip temperature {c.peak_chip_temperature_k - 273.15:.2f} C (at most "
            f"{lim['chip_k'] - 273.15:.2f} C: the limit less a {lim.get('margin_k', 0.0):g} K margin"
            f"{', hot case' if r.window.get('cases') else ''}); min state of charge {c.min_state_of_charge:.3f}"
            f"{' (cold case)' if r.window.get('cases') else ''} (floor "
            f"{lim['floor_soc']:.3f}); availability {c.availability:.4f} (target {lim['availability']:.4f}); "
            f"battery last orbit - first {100 * c.energy_change:+.3f} % of the load energy",
            f"  {'feasible' if r.feasible else 'NOT feasible'}; {r.iterations} SLSQP iterations ({r.message}); "
            f"{r.simulations} window simulations = {r.node_days:.2f} simulated node-days "
            f"(+ {r.screen_node_days:.2f} choosing the node, {r.season_node_days:.2f} finding the season); "
            f"{r.wall_s:.1f} s wall",
        ]
    return "\n".join(lines)
