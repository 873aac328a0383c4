"""One time step of one node as a pipeline of stages, and the compiled chunk of steps.

Stages per step (SPEC section 3): orbit -> Sun (once per step, shared by all nodes) ->
shadow and beta angle -> surface normals and irradiance -> power -> thermal -> fault checks
and summary accumulators. The step is written for one node; ``make_chunk_fn`` adds the node
axis once with ``jax.vmap`` and advances time with ``lax.scan``.

Ordering within a step from t_k to t_{k+1}: the orbit is advanced first; the environment
(Sun, shadow, irradiance) is evaluated at t_{k+1}; power flows use the temperatures at t_k
(for the throttle and the array efficiency); the thermal step is implicit and uses the heat
loads of the step. Every sample therefore describes the instant t_{k+1} (temperatures,
battery energy, position) or the step that ends there (powers).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp

from . import constants as c
from .pytree import pytree_dataclass
from .dense import hermite_cubic
from .events import ShadowInStep, step_shadow
from .ground import ground_node_step, stations_eci
from .irradiance import SurfaceLoads, surface_loads
from .power import ElectricalStep, electrical_step
from .shadow import beta_angle
from .sun import sun_position_eci
from .thermal import conductance_sums_w_k, half_step_ahead_k, thermal_step

#: XLA options of the compiled chunk. On the CPU, XLA (jaxlib 0.10) hands some reductions to
#: YNNPACK ("ynn_fusion" kernels); for the step's small reductions (over substeps, components,
#: surfaces) those ran slower than XLA's own loops: the default step (60 s, 4 substeps) at
#: 10,000 nodes on one CPU device took 2,380-2,580 ns per node-step with them and 1,825-1,870
#: without (this 2-core machine, same sitting). Limiting YNNPACK to matrix products removes
#: them. A debug option of XLA's CPU backend: other backends ignore it.
CHUNK_COMPILER_OPTIONS = {"xla_cpu_experimental_ynn_fusion_type": "LIBRARY_FUSION_TYPE_DOT"}


def _inside_trace() -> bool:
    """True while JAX traces (an outer jit, grad, vmap): compiler options are refused there."""
    try:
        from jax._src import core as _core

        return not _core.trace_state_clean()
    except (ImportError, AttributeError):  # a JAX without it: the call's arguments tell
        return False


class _TopLevelOptions:
    """``jax.jit(fn)`` compiled with :data:`CHUNK_COMPILER_OPTIONS` when called (or lowered) at
    the top level, and a plain ``jax.jit(fn)`` inside another trace (gradients through the chunk,
    an outer jit), where JAX accepts compiler options only on the outermost function."""

    def __init__(self, fn):
        self._top = jax.jit(fn, compiler_options=CHUNK_COMPILER_OPTIONS)
        self._nested = jax.jit(fn)
        self.__wrapped__ = fn

    def _pick(self, args, kwargs):
        traced = any(isinstance(x, jax.core.Tracer) for x in jax.tree_util.tree_leaves((args, kwargs)))
        return self._nested if traced or _inside_trace() else self._top

    def __call__(self, *args, **kwargs):
        return self._pick(args, kwargs)(*args, **kwargs)

    def lower(self, *args, **kwargs):
        return self._pick(args, kwargs).lower(*args, **kwargs)


STATUS_OK = 0
STATUS_NON_FINITE = 1
STATUS_BELOW_SURFACE = 2


@pytree_dataclass
class EnvParams:
    """Parameters shared by all nodes (scalars)."""

    gm_m3_s2: Any  #: [m^3/s^2] Earth's gravitational parameter
    r_eq_m: Any  #: [m] Earth's equatorial radius (J2 reference radius, view factors)
    j2: Any  #: [1] J2 zonal coefficient
    j3: Any  #: [1] J3 zonal coefficient (used when the propagator asks for it)
    j4: Any  #: [1] J4 zonal coefficient (used when the propagator asks for it)
    omega_earth_rad_s: Any  #: [rad/s] Earth rotation rate (co-rotating atmosphere for drag)
    shadow_radius_m: Any  #: [m] radius of the shadowing Earth sphere
    sun_radius_m: Any  #: [m] solar radius
    au_m: Any  #: [m] astronomical unit
    solar_constant_w_m2: Any  #: [W/m^2] total solar irradiance at 1 AU
    albedo: Any  #: [1] Earth's Bond albedo
    earth_ir_w_m2: Any  #: [W/m^2] Earth's outgoing longwave radiant exitance
    sink_k: Any  #: [K] deep-space sink temperature
    sigma_w_m2_k4: Any  #: [W/m^2/K^4] Stefan-Boltzmann constant
    epoch_jd_tt_whole: Any  #: [day] whole part of the epoch's TT Julian date
    epoch_jd_tt_fraction: Any  #: [day] fractional part of the epoch's TT Julian date


@pytree_dataclass
class OrbitParams:
    """The orbit group of a node (what the propagator reads)."""

    elements0: Any  #: (6,) mean elements at epoch (a_m, e, i, raan, argp, M) [m, 1, rad...]; j2_secular only
    ballistic_m2_kg: Any  #: [m^2/kg] () C_D A / m for atmospheric drag (0: no drag)


@pytree_dataclass
class SurfaceParams:
    """The S surfaces of a node (padded with zero-area slots to the fleet's most surfaces)."""

    area_m2: Any  #: [m^2] (S,)
    component: Any  #: [1] (S, C) one-hot: component each surface belongs to
    pointing: Any  #: [code] (S,) int, irradiance.POINTING_CODES
    rsw: Any  #: [1] (S, 3) unit normal in RSW for pointing code "rsw"
    absorptance: Any  #: [1] (S,) front-face solar absorptance
    emittance: Any  #: [1] (S,) front-face IR emittance
    back_absorptance: Any  #: [1] (S,) back face (0 for one-sided surfaces)
    back_emittance: Any  #: [1] (S,) back face (0 for one-sided surfaces)
    cells: Any  #: [1] (S,) 1 where the front face carries solar cells, else 0


@pytree_dataclass
class ThermalParams:
    """The C thermal components of a node; the heaters are optional (None: none, and the step
    is the one without their terms)."""

    heat_capacity_j_k: Any  #: [J/K] (C,)
    conductance_w_k: Any  #: [W/K] (C, C) symmetric, zero diagonal
    heater_power_w: Any = None  #: [W] (C,) thermostatic heater nameplate power (0: no heater)
    heater_on_k: Any = None  #: [K] (C,) heater at full power at or below this temperature
    heater_off_k: Any = None  #: [K] (C,) heater off at or above this temperature (> heater_on_k)


@pytree_dataclass
class PowerParams:
    """Solar array and bus of a node."""

    array_efficiency: Any  #: [1] () cell efficiency at the reference temperature
    array_temp_coeff_per_k: Any  #: [1/K] () relative change of efficiency per kelvin
    array_ref_temperature_k: Any  #: [K] ()
    array_packing: Any  #: [1] () cell packing factor
    array_age_factor: Any  #: [1] () (1 - degradation)^age
    array_component: Any  #: [1] (C,) one-hot: component whose temperature sets efficiency
    bus_power_w: Any  #: [W] () constant bus load
    bus_component: Any  #: [1] (C,) one-hot: where the bus heat goes


@pytree_dataclass
class BatteryParams:
    """Battery of a node."""

    capacity_j: Any  #: [J] ()
    floor_j: Any  #: [J] () lowest allowed energy
    throttle_soc: Any  #: [1] () state of charge where throttling starts
    charge_efficiency: Any  #: [1] ()
    discharge_efficiency: Any  #: [1] ()
    component: Any  #: [1] (C,) one-hot: where battery losses go


@pytree_dataclass
class ComputeParams:
    """Accelerators of a node and their thermal throttle."""

    accelerators: Any  #: [1] () number of accelerators
    accelerator_power_w: Any  #: [W] () power of one accelerator at full utilisation
    utilization: Any  #: [1] () nominal utilisation
    throttle_temperature_k: Any  #: [K] () chip temperature where throttling starts
    throttle_band_k: Any  #: [K] () utilisation reaches 0 this far above it
    component: Any  #: [1] (C,) one-hot: component receiving compute heat


@pytree_dataclass
class NodeEnvironment:
    """A node's own environment values (a sweep of [environment] keys)."""

    albedo: Any  #: [1] () this node's Earth albedo
    earth_ir_w_m2: Any  #: [W/m^2] () this node's Earth IR
    solar_constant_w_m2: Any  #: [W/m^2] () this node's solar constant


@pytree_dataclass
class NodeParams:
    """Fixed parameters of one node (add a leading node axis for the fleet), grouped by
    subsystem; each stage of the step reads its own group (``node_step``). ``environment`` is
    optional (None: the run's environment for every node). Change a field with
    ``dataclasses.replace`` on its group: ``replace(p, battery=replace(p.battery, capacity_j=x))``.
    """

    orbit: Any  #: OrbitParams
    surfaces: Any  #: SurfaceParams, (S,) per field
    thermal: Any  #: ThermalParams, (C,) per field
    power: Any  #: PowerParams
    battery: Any  #: BatteryParams
    compute: Any  #: ComputeParams
    environment: Any = None  #: NodeEnvironment or None


@pytree_dataclass
class Accumulators:
    """Running totals over the run, for the per-node summary and the energy ledgers."""

    sunlit_s: Any  #: [s] integral of the sunlit fraction
    elapsed_s: Any  #: [s] simulated time while the node was healthy
    temperature_min_k: Any  #: [K] (C,)
    temperature_max_k: Any  #: [K] (C,)
    state_of_charge_min: Any  #: [1]
    energy_generated_j: Any  #: [J] array output
    energy_shed_j: Any  #: [J]
    energy_consumed_j: Any  #: [J] delivered to bus and compute
    energy_unmet_j: Any  #: [J] bus demand that could not be served
    brownout_s: Any  #: [s] time during which part of the bus demand could not be served
    brownout_start_s: Any  #: [s] end time of the first step with unserved bus demand (NaN: none)
    compute_delivered_s: Any  #: [s] accelerator-seconds at full utilisation
    compute_nameplate_s: Any  #: [s] accelerators x elapsed time
    absorbed_j: Any  #: [J] environment heat absorbed by all surfaces
    emitted_j: Any  #: [J] emitted to the sink by all surfaces (net of the sink's return)
    electric_heat_j: Any  #: [J] internal dissipation minus electrical energy taken from the array
    charge_j: Any  #: [J] integral of the charge power into the battery
    discharge_j: Any  #: [J] integral of the power delivered by the battery
    battery_loss_j: Any  #: [J] charge and discharge losses (heat in the battery)
    heater_j: Any = None  #: [J] electrical energy drawn by (= heat dissipated in) the heaters; None: no heaters


@pytree_dataclass
class NodeState:
    """Evolving state of one node."""

    r_eci_m: Any  #: [m] (3,)
    v_eci_m_s: Any  #: [m/s] (3,)
    battery_energy_j: Any  #: [J] ()
    temperature_k: Any  #: [K] (C,)
    status: Any  #: [code] () int32: STATUS_OK, STATUS_NON_FINITE, STATUS_BELOW_SURFACE
    fault_time_s: Any  #: [s] () time of the first fault (NaN while healthy)
    acc: Accumulators


def init_state(params: NodeParams, r_eci_m, v_eci_m_s, battery_energy_j, temperature_k) -> NodeState:
    """Initial state of one node; accumulators start empty."""
    def strong(x):  # weakly typed inputs would make the chunk function compile twice
        x = jnp.asarray(x)
        return jnp.asarray(x, dtype=x.dtype)

    r_eci_m, v_eci_m_s, battery_energy_j, temperature_k = (
        strong(x) for x in (r_eci_m, v_eci_m_s, battery_energy_j, temperature_k))
    zero = jnp.zeros((), jnp.float64)  # running totals stay float64 in every precision mode
    soc = (battery_energy_j / params.battery.capacity_j).astype(jnp.float64)
    acc = Accumulators(
        sunlit_s=zero, elapsed_s=zero,
        temperature_min_k=temperature_k.astype(jnp.float64), temperature_max_k=temperature_k.astype(jnp.float64),
        state_of_charge_min=soc,
        energy_generated_j=zero, energy_shed_j=zero, energy_consumed_j=zero, energy_unmet_j=zero,
        brownout_s=zero, brownout_start_s=jnp.asarray(jnp.nan, jnp.float64),
        compute_delivered_s=zero, compute_nameplate_s=zero,
        absorbed_j=zero, emitted_j=zero, electric_heat_j=zero,
        charge_j=zero, discharge_j=zero, battery_loss_j=zero,
        heater_j=None if params.thermal.heater_power_w is None else zero,
    )
    return NodeState(
        r_eci_m=r_eci_m, v_eci_m_s=v_eci_m_s, battery_energy_j=battery_energy_j,
        temperature_k=temperature_k, status=jnp.asarray(STATUS_OK, jnp.int32),
        fault_time_s=jnp.asarray(jnp.nan, jnp.float64), acc=acc,
    )


@pytree_dataclass
class StepGeometry:
    """The shadow stage of a step (:func:`shadow_stage`): the sunlit fraction and where the
    step's environment is evaluated (its midpoint on the dense trajectory)."""

    sunlit_fraction: Any  #: [1] () at the step's end
    beta_angle_rad: Any  #: [rad] () Sun's elevation above the orbit plane at the step's end
    shadow: ShadowInStep  #: contacts and mean sunlit fractions inside the step
    r_mid_eci_m: Any  #: [m] (3,) position at the step's midpoint
    v_mid_eci_m_s: Any  #: [m/s] (3,) velocity at the step's midpoint
    sun_hat: Any  #: [1] (3,) unit vector from the midpoint to the Sun
    sun_distance_m: Any  #: [m] () from the midpoint to the Sun


@pytree_dataclass
class SubstepRates:
    """The power and thermal substeps of a step (:func:`power_and_thermal`): their mean rates over
    the step (``electrical.flows.battery_energy_j`` is the battery energy at the step's end)."""

    electrical: ElectricalStep  #: array power, power flows, heaters and electrical heat [W]
    absorbed_surf_w: Any  #: [W] (S,) environment heat absorbed by each surface
    emitted_w: Any  #: [W] (C,) emitted to the sink by each component (net of the sink's return)


@pytree_dataclass
class StepOutputs:
    """What one step reports: the fields are the output file's variables (kernels' SI units,
    written to the file's ``units`` attribute), the running integrals the runner's orbit means
    read, and the step's located shadow contacts. ``make_chunk_fn`` samples its variables by
    these names. A faulty node reports NaN (the event kinds aside)."""

    sunlit_fraction: Any  #: [1] () at the step's end
    beta_angle: Any  #: [rad] () at the step's end
    array_power: Any  #: [W] () mean over the step
    load_power: Any  #: [W] () compute + bus served, mean over the step
    shed_power: Any  #: [W] () mean over the step
    battery_energy: Any  #: [J] () at the step's end
    state_of_charge: Any  #: [1] () at the step's end
    compute_utilization: Any  #: [1] () served compute / nominal compute, mean over the step
    temperature: Any  #: [K] (C,) at the step's end
    heat_rejected: Any  #: [W] () emitted to the sink by all components, mean over the step
    heater_power: Any  #: [W] () drawn by all heaters, mean over the step (0: no heaters)
    energy_unmet: Any  #: [J] () bus demand not served since the epoch
    battery_power: Any  #: [W] () charge - discharge, mean over the step
    #: [W] (S,) absorbed environment power per surface, means over the step (the direct Sun with
    #: the step's mean sunlit fraction); their sum over surfaces is the absorbed_j integrand
    absorbed_solar: Any
    absorbed_albedo: Any  #: [W] (S,)
    absorbed_ir: Any  #: [W] (S,)
    acc_energy_generated_j: Any  #: [J] () array output since the epoch (float64, for the orbit means)
    acc_energy_consumed_j: Any  #: [J] () delivered to bus and compute since the epoch (float64)
    acc_charge_j: Any  #: [J] () into the battery since the epoch (float64)
    acc_discharge_j: Any  #: [J] () delivered by the battery since the epoch (float64)
    position_eci: Any  #: [m] (3,) at the step's end (float64)
    velocity_eci: Any  #: [m/s] (3,) at the step's end (float64)
    event_t_s: Any  #: [s since the epoch] (SLOTS_PER_STEP,) contacts located inside the step (NaN: none)
    event_kind: Any = None  #: [code] (SLOTS_PER_STEP,) int32, events.EVENT_KINDS

    def select(self, names) -> dict:
        """``{name: field}`` for the variables ``names`` (what a chunk samples)."""
        missing = [n for n in names if n not in STEP_OUTPUT_NAMES]
        if missing:
            raise KeyError(f"not a variable of the step: {missing}")
        return {n: getattr(self, n) for n in names}


#: the names of the step's outputs (StepOutputs' fields)
STEP_OUTPUT_NAMES = tuple(f.name for f in dataclasses.fields(StepOutputs))


def own_environment(env: EnvParams, own) -> EnvParams:
    """``env`` with a node's own albedo, Earth IR and solar constant (``own``: NodeEnvironment,
    a sweep of [environment] keys; None: the run's)."""
    if own is None:
        return env
    return dataclasses.replace(env, albedo=own.albedo, earth_ir_w_m2=own.earth_ir_w_m2,
                               solar_constant_w_m2=own.solar_constant_w_m2)


def shadow_stage(state: NodeState, r_eci_m, v_eci_m_s, r_sun_eci_m, r_sun_start_eci_m, dt_s, env: EnvParams,
                 shadow_fn, substeps: int) -> StepGeometry:
    """Shadow and beta angle at the step's end, the contacts and mean sunlit fractions inside the
    step (kernels/events.py), and the step's midpoint geometry on the dense trajectory.
    ``r_eci_m``, ``v_eci_m_s``, ``r_sun_eci_m``: at the step's end, in the working precision;
    ``r_sun_start_eci_m``: the Sun at the step's start (None: the end's); ``dt_s`` [s]."""
    work = r_eci_m.dtype
    sunlit = shadow_fn(r_eci_m, r_sun_eci_m, env.shadow_radius_m, env.sun_radius_m)  # at the step's end
    beta = beta_angle(r_eci_m, v_eci_m_s, r_sun_eci_m)
    sun0 = (r_sun_eci_m if r_sun_start_eci_m is None else r_sun_start_eci_m).astype(work)
    r0, v0 = state.r_eci_m.astype(work), state.v_eci_m_s.astype(work)
    h = jnp.asarray(dt_s, work)
    inside = step_shadow(r0, v0, r_eci_m, v_eci_m_s, sun0, r_sun_eci_m, h, shadow_fn, env.shadow_radius_m,
                         env.sun_radius_m, substeps=substeps)
    # the step's midpoint on the dense trajectory: the environment's mean geometry
    r_mid, v_mid = hermite_cubic(r0, v0, r_eci_m, v_eci_m_s, h, jnp.asarray(0.5, work))
    to_sun = 0.5 * (sun0 + r_sun_eci_m) - r_mid
    sun_distance_m = jnp.sqrt(jnp.sum(to_sun * to_sun))
    return StepGeometry(sunlit_fraction=sunlit, beta_angle_rad=beta, shadow=inside, r_mid_eci_m=r_mid,
                        v_mid_eci_m_s=v_mid, sun_hat=to_sun / sun_distance_m, sun_distance_m=sun_distance_m)


@pytree_dataclass
class SubstepShared:
    """What every substep of a step uses, computed once per step (outside the substep loop)."""

    compute_nominal_w: Any  #: [W] () accelerators x accelerator power
    floor_soc: Any  #: [1] () battery floor / capacity
    dt_s: Any  #: [s] () the substep
    conductance_sum_w_k: Any  #: [W/K] (C,) sum_j G_ij per component
    sink_k4: Any  #: [K^4] () sink temperature to the fourth


def power_and_thermal_substep(params: NodeParams, loads: SurfaceLoads, env: EnvParams, shared: SubstepShared,
                              temperature_k, battery_j, fraction, thermal_pairs=None):
    """One substep of ``shared.dt_s`` with mean sunlit fraction ``fraction`` [1]: the power stage
    (power, battery, compute groups; the thermal group's heaters), then the thermal stage
    (thermal group). The array efficiency is taken at the array's temperature half a substep
    ahead (``thermal.half_step_ahead_k``): the array warms by up to 1 K/s after an eclipse,
    and the start-of-substep value made the array energy first order in the step (0.4 % per
    orbit at 60 s). Returns ``(temperature_k, battery_energy_j)`` at the substep's end and
    :class:`SubstepRates`."""
    with jax.named_scope("power"):
        absorbed_surf_w = loads.other_w + fraction * loads.sun_w
        cells_w = loads.cells_other_w + fraction * loads.cells_sun_w

        def electrical(array_k):  # thermostats read the start-of-substep temperatures
            return electrical_step(params.power, params.battery, params.compute, params.thermal, temperature_k,
                                   battery_j, cells_w, array_k, shared.dt_s,
                                   compute_nominal_w=shared.compute_nominal_w, floor_soc=shared.floor_soc)

        def heat_w(e: ElectricalStep):  # [W] (C,) all heat into each component
            return absorbed_surf_w @ params.surfaces.component + e.electric_heat_w

        ahead_k = half_step_ahead_k(params.thermal, temperature_k, loads.emission_w_k4,
                                    heat_w(electrical(params.power.array_component @ temperature_k)), shared.dt_s,
                                    env.sink_k, thermal_pairs, conductance_sum_w_k=shared.conductance_sum_w_k,
                                    sink_k4=shared.sink_k4)
        e = electrical(params.power.array_component @ ahead_k)
    with jax.named_scope("thermal"):
        temperature_next_k, emitted_w = thermal_step(params.thermal, temperature_k, loads.emission_w_k4, heat_w(e),
                                                     shared.dt_s, env.sink_k, pairs=thermal_pairs)
    rates = SubstepRates(electrical=dataclasses.replace(e, flows=dataclasses.replace(e.flows, battery_energy_j=None)),
                         absorbed_surf_w=absorbed_surf_w, emitted_w=emitted_w)
    return (temperature_next_k, e.flows.battery_energy_j), rates


def substep_shared(params: NodeParams, env: EnvParams, dt_s, substeps: int, thermal_pairs=None) -> SubstepShared:
    """:class:`SubstepShared` of a step of ``dt_s`` [s] in ``substeps`` equal substeps."""
    return SubstepShared(
        compute_nominal_w=params.compute.accelerators * params.compute.accelerator_power_w,
        floor_soc=params.battery.floor_j / params.battery.capacity_j,
        dt_s=dt_s / substeps,
        conductance_sum_w_k=conductance_sums_w_k(params.thermal.conductance_w_k, thermal_pairs),
        sink_k4=env.sink_k ** 4,
    )


def power_and_thermal(params: NodeParams, loads: SurfaceLoads, env: EnvParams, shared: SubstepShared, temperature_k,
                      battery_j, substep_fraction, thermal_pairs=None):
    """The power and thermal stages over a step in ``len(substep_fraction)`` equal substeps of
    ``shared.dt_s`` (:func:`power_and_thermal_substep`). Returns the temperatures [K] (C,) at the
    step's end and :class:`SubstepRates`: means over the substeps, with the battery energy at
    the step's end."""
    (t1, battery_end_j), rates = jax.lax.scan(
        lambda carry, f: power_and_thermal_substep(params, loads, env, shared, *carry, f, thermal_pairs),
        (temperature_k, battery_j), substep_fraction)
    rates = jax.tree_util.tree_map(lambda x: jnp.mean(x, axis=0), rates)
    flows = dataclasses.replace(rates.electrical.flows, battery_energy_j=battery_end_j)
    return t1, dataclasses.replace(rates, electrical=dataclasses.replace(rates.electrical, flows=flows))


def check_faults(state: NodeState, r64, v64, temperature_k, battery_energy_j, env: EnvParams, t_end_s, active):
    """A non-finite state or a position below the Earth's surface stops a node (its state is
    frozen from then on). Returns ``(status, fault_time_s, update)``: ``update`` is True where
    the step's result replaces the state."""
    finite = (
        jnp.all(jnp.isfinite(r64)) & jnp.all(jnp.isfinite(v64)) & jnp.all(jnp.isfinite(temperature_k))
        & jnp.isfinite(battery_energy_j)
    )
    below = jnp.sum(r64 * r64) < env.r_eq_m * env.r_eq_m
    healthy = state.status == STATUS_OK
    new_fault = jnp.where(below, STATUS_BELOW_SURFACE, jnp.where(~finite, STATUS_NON_FINITE, STATUS_OK))
    fault_now = active & healthy & (new_fault != STATUS_OK)
    status = jnp.where(fault_now, new_fault, state.status).astype(jnp.int32)
    fault_time_s = jnp.where(fault_now, t_end_s, state.fault_time_s).astype(state.fault_time_s.dtype)
    return status, fault_time_s, active & healthy & ~fault_now


def accumulate(a: Accumulators, params: NodeParams, rates: SubstepRates, sunlit_mean, temperature_k, dt_s, dt64_s,
               t_end_s) -> Accumulators:
    """The running totals after a step of ``dt_s`` [s] (working precision; ``dt64_s`` float64)
    ending at ``t_end_s``, from the step's mean rates and sunlit fraction [1] and the
    temperatures [K] at its end."""
    e, flows = rates.electrical, rates.electrical.flows
    # a brown-out: the battery at its floor and the array short of the bus alone (compute is
    # cut first); 1e-6 of the bus power keeps rounding of an exactly carried bus out of it
    browned_out = flows.unmet_w > 1e-6 * params.power.bus_power_w
    soc1 = flows.battery_energy_j / params.battery.capacity_j
    accelerator_s = jnp.where(params.compute.accelerator_power_w > 0, flows.compute_w / jnp.where(
        params.compute.accelerator_power_w > 0, params.compute.accelerator_power_w, 1.0), 0.0) * dt_s
    return Accumulators(
        sunlit_s=a.sunlit_s + sunlit_mean * dt_s,
        elapsed_s=a.elapsed_s + dt64_s,
        temperature_min_k=jnp.minimum(a.temperature_min_k, temperature_k),
        temperature_max_k=jnp.maximum(a.temperature_max_k, temperature_k),
        state_of_charge_min=jnp.minimum(a.state_of_charge_min, soc1),
        energy_generated_j=a.energy_generated_j + e.array_power_w * dt_s,
        energy_shed_j=a.energy_shed_j + flows.shed_w * dt_s,
        energy_consumed_j=a.energy_consumed_j + (flows.compute_w + flows.bus_w) * dt_s,
        energy_unmet_j=a.energy_unmet_j + flows.unmet_w * dt_s,
        brownout_s=a.brownout_s + jnp.where(browned_out, dt_s, 0.0),
        brownout_start_s=jnp.where(browned_out & jnp.isnan(a.brownout_start_s), t_end_s, a.brownout_start_s),
        compute_delivered_s=a.compute_delivered_s + accelerator_s,
        compute_nameplate_s=a.compute_nameplate_s + params.compute.accelerators * dt_s,
        absorbed_j=a.absorbed_j + jnp.sum(rates.absorbed_surf_w) * dt_s,
        emitted_j=a.emitted_j + jnp.sum(rates.emitted_w) * dt_s,
        electric_heat_j=a.electric_heat_j + jnp.sum(e.electric_heat_w) * dt_s,
        charge_j=a.charge_j + flows.charge_w * dt_s,
        discharge_j=a.discharge_j + flows.discharge_w * dt_s,
        battery_loss_j=a.battery_loss_j + flows.battery_heat_w * dt_s,
        heater_j=None if e.heater_w is None else a.heater_j + jnp.sum(e.heater_w) * dt_s,
    )


def step_outputs(params: NodeParams, geometry: StepGeometry, loads: SurfaceLoads, shared: SubstepShared,
                 rates: SubstepRates, new_state: NodeState, r64, v64, status, update, t_end_s, dt_s) -> StepOutputs:
    """The step's :class:`StepOutputs`; NaN for a faulty node, no contacts where ``update`` is False."""
    e, flows = rates.electrical, rates.electrical.flows
    t1, work = new_state.temperature_k, params.thermal.heat_capacity_j_k.dtype
    sunlit_mean = geometry.shadow.mean_sunlit_fraction
    compute_nominal_w = shared.compute_nominal_w
    compute_nominal_safe = jnp.where(compute_nominal_w > 0, compute_nominal_w, 1.0)
    out = StepOutputs(
        sunlit_fraction=geometry.sunlit_fraction,
        beta_angle=geometry.beta_angle_rad,
        array_power=e.array_power_w,
        load_power=flows.compute_w + flows.bus_w,
        shed_power=flows.shed_w,
        battery_energy=flows.battery_energy_j,
        state_of_charge=flows.battery_energy_j / params.battery.capacity_j,
        compute_utilization=jnp.where(compute_nominal_w > 0, flows.compute_w / compute_nominal_safe, 0.0),
        temperature=t1,
        heat_rejected=jnp.sum(rates.emitted_w),
        heater_power=jnp.zeros((), t1.dtype) if e.heater_w is None else jnp.sum(e.heater_w),
        energy_unmet=new_state.acc.energy_unmet_j.astype(work),
        battery_power=flows.charge_w - flows.discharge_w,
        absorbed_solar=sunlit_mean * loads.sun_w,
        absorbed_albedo=loads.albedo_w,
        absorbed_ir=loads.ir_w,
        acc_energy_generated_j=new_state.acc.energy_generated_j,
        acc_energy_consumed_j=new_state.acc.energy_consumed_j,
        acc_charge_j=new_state.acc.charge_j,
        acc_discharge_j=new_state.acc.discharge_j,
        position_eci=r64,
        velocity_eci=v64,
        event_t_s=(t_end_s - dt_s) + geometry.shadow.event_theta.astype(jnp.float64) * dt_s,
    )
    # a faulty node reports NaN rather than stale or corrupt numbers
    out = jax.tree_util.tree_map(lambda x: jnp.where(status == STATUS_OK, x, jnp.nan).astype(x.dtype), out)
    return dataclasses.replace(out, event_t_s=jnp.where(update, out.event_t_s, jnp.nan),
                               event_kind=geometry.shadow.event_kind)


def node_step(params: NodeParams, state: NodeState, env: EnvParams, r_sun_eci_m, t_end_s, dt_s, active,
              propagator, shadow_fn, albedo_model=None, r_sun_start_eci_m=None, substeps: int = 1, thermal_pairs=None):
    """Advance one node from t_end_s - dt_s to t_end_s. Returns ``(state, StepOutputs)``.

    ``t_end_s``: float64 time since the epoch [s] (kept in float64 in every precision mode);
    ``r_sun_eci_m``: Sun position at t_end_s [m] (3,); ``active``: bool, False leaves the
    state unchanged (padding at the end of the run). ``propagator`` and ``shadow_fn`` are
    chosen once from the configuration (``orbit.PROPAGATORS``, ``shadow.SHADOW_MODELS``), as
    is ``albedo_model`` (``irradiance.ALBEDO_MODELS``; None: the sub-satellite cosine).
    ``params`` may carry its own albedo, Earth IR and solar constant (a sweep of [environment]
    keys) and thermostatic heaters (kernels/heaters.py); where those fields are None the step is
    the one without them.
    ``r_sun_start_eci_m``: Sun position at the step's start (default: the end's).
    ``substeps``: power and thermal substeps per step (static).
    ``thermal_pairs``: the coupled thermal components (i, j), i < j (static,
    ``thermal.coupling_pattern``; None: every pair).

    Inside the step (kernels/events.py): the shadow contacts are located on the step's dense
    trajectory, and the environment loads (irradiance, array power, heat) are the step's means:
    geometry at the step's midpoint on that trajectory, with the sunlit fraction integrated over
    the step across the located contacts. Power and thermal then advance in ``substeps`` equal
    substeps, each with its own mean sunlit fraction (the located contacts split the step
    exactly), its own array efficiency and throttle from the substep's start, and one ROS2 step.

    The step is a chain of stages, each taking its own parameter group: orbit (``params.orbit``)
    -> shadow -> irradiance (``params.surfaces``) -> power and thermal substeps (``params.power``,
    ``params.battery``, ``params.compute``, ``params.thermal``) -> faults -> accumulators.
    """
    env = own_environment(env, params.environment)
    with jax.named_scope("orbit"):
        # the orbit (and time) stay in the state's precision, float64 in every mode; so does
        # the step: a float32 0.1 s is 0.100000001490116 s, 0.47 s a year ahead of the labels
        dt64_s = jnp.asarray(dt_s, jnp.float64)
        r64, v64 = propagator.advance(params.orbit, state.r_eci_m, state.v_eci_m_s, t_end_s, dt64_s, env)
        work = params.thermal.heat_capacity_j_k.dtype  # the working precision of everything else
        dt_s = dt64_s.astype(work)  # power, thermal and energy integrals: relative 1.5e-8 in float32
    with jax.named_scope("shadow"):
        geometry = shadow_stage(state, r64.astype(work), v64.astype(work), r_sun_eci_m.astype(work),
                                r_sun_start_eci_m, dt_s, env, shadow_fn, substeps)
    with jax.named_scope("irradiance"):  # fluxes for full Sun; the direct Sun scales with each substep's fraction
        loads = surface_loads(params.surfaces, geometry.r_mid_eci_m, geometry.v_mid_eci_m_s, geometry.sun_hat,
                              geometry.sun_distance_m, env, albedo_model)
    shared = substep_shared(params, env, dt_s, substeps, thermal_pairs)
    t1, rates = power_and_thermal(params, loads, env, shared, state.temperature_k, state.battery_energy_j,
                                  geometry.shadow.substep_sunlit_fraction, thermal_pairs)
    battery_j = rates.electrical.flows.battery_energy_j
    with jax.named_scope("faults"):
        status, fault_time_s, update = check_faults(state, r64, v64, t1, battery_j, env, t_end_s, active)
    with jax.named_scope("accumulate"):
        acc = accumulate(state.acc, params, rates, geometry.shadow.mean_sunlit_fraction, t1, dt_s, dt64_s, t_end_s)
        stepped = NodeState(r_eci_m=r64, v_eci_m_s=v64, battery_energy_j=battery_j, temperature_k=t1,
                            status=status, fault_time_s=fault_time_s, acc=acc)
        frozen = dataclasses.replace(state, status=status, fault_time_s=fault_time_s)
        new_state = jax.tree_util.tree_map(lambda n, o: jnp.where(update, n, o), stepped, frozen)
    return new_state, step_outputs(params, geometry, loads, shared, rates, new_state, r64, v64, status, update,
                                   t_end_s, dt_s)


def make_env(*, shadow_radius_m, solar_constant_w_m2, albedo, earth_ir_w_m2, epoch_jd_tt_whole,
             epoch_jd_tt_fraction, dtype=jnp.float64) -> EnvParams:
    """EnvParams with the SPEC constants and the given scenario values."""

    def f(x):
        return jnp.asarray(x, dtype)

    def f64(x):  # the orbit is integrated in float64 in every precision mode
        return jnp.asarray(x, jnp.float64)

    return EnvParams(
        gm_m3_s2=f64(c.GM_EARTH_M3_S2), r_eq_m=f64(c.R_EARTH_EQ_M), j2=f64(c.J2_EARTH), j3=f64(c.J3_EARTH),
        j4=f64(c.J4_EARTH), omega_earth_rad_s=f64(c.OMEGA_EARTH_RAD_S),
        shadow_radius_m=f(shadow_radius_m), sun_radius_m=f(c.R_SUN_M), au_m=f(c.AU_M),
        solar_constant_w_m2=f(solar_constant_w_m2), albedo=f(albedo), earth_ir_w_m2=f(earth_ir_w_m2),
        sink_k=f(c.DEEP_SPACE_SINK_K), sigma_w_m2_k4=f(c.STEFAN_BOLTZMANN_W_M2_K4),
        epoch_jd_tt_whole=jnp.asarray(epoch_jd_tt_whole, jnp.float64),
        epoch_jd_tt_fraction=jnp.asarray(epoch_jd_tt_fraction, jnp.float64),
    )


def step_tables(env: EnvParams, first_step, n_steps: int, dt_s):
    """A chunk's per-step tables, shared by all nodes: ``(ks, t_end_s, r_sun, r_sun0)``, the
    global step indices, each step's end time [s since the epoch, float64] and the Sun's ECI
    position [m] (n_steps, 3) at each step's end and start (the shadow inside the step
    interpolates between them), evaluated for the chunk's steps at once."""
    ks = first_step + jnp.arange(n_steps)
    dt64_s = jnp.asarray(dt_s).astype(jnp.float64)
    t_end_s = (ks + 1).astype(jnp.float64) * dt64_s
    with jax.named_scope("sun"):
        def sun_at(t):
            return jax.vmap(lambda x: sun_position_eci(
                env.epoch_jd_tt_whole, env.epoch_jd_tt_fraction + x / c.SECONDS_PER_DAY))(t)

        return ks, t_end_s, sun_at(t_end_s), sun_at(t_end_s - dt64_s)


def make_chunk_fn(propagator, shadow_fn, steps_per_output: int, outputs_per_chunk: int, variables: tuple[str, ...],
                  albedo_model=None, ground=None, unroll: int = 1, event_slots: int = 0, substeps: int = 1,
                  thermal_pairs=None):
    """Compile-once chunk: ``chunk(params, state, env, first_step, total_steps, dt_s)``.

    Runs ``steps_per_output * outputs_per_chunk`` steps from global step index ``first_step``;
    steps with index >= ``total_steps`` leave the state unchanged (the last chunk is padded,
    not recompiled). Returns ``(state, samples)`` where ``samples[name]`` has shape
    ``(outputs_per_chunk, n_nodes, ...)``, taken at the end of every ``steps_per_output`` steps.
    ``params`` and ``state`` carry a leading node axis; ``env`` does not.

    ``ground``: optional ``kernels.ground.GroundParams`` (the stations). With it the chunk is
    ``chunk(params, state, env, first_step, total_steps, dt_s, ground_state)`` and returns
    ``(state, samples, ground_state)``: after each step, the stations are placed in ECI at the
    step's end and ``ground.ground_node_step`` updates every node's ``GroundState`` (leading
    node axis) from the node's new position; ``samples`` also hold ``visible`` and
    ``slant_range`` with shape ``(outputs_per_chunk, n_nodes, n_stations)``. Without it
    (None) the traced computation is the one without ground stations.

    ``unroll``: steps per iteration of the inner loop (``lax.scan``'s ``unroll``). 1 on the CPU,
    where 6 was slower (10,000 nodes, float32: 2.3e6 against 1.6e6 node-steps/s); a GPU
    launches the loop body's kernels once per iteration.

    ``substeps``: power and thermal substeps per step (``node_step``).

    ``thermal_pairs``: the thermal couplings the step computes (``node_step``; from
    ``thermal.coupling_pattern`` of the conductances the chunk will run; None: every pair).

    ``event_slots``: when > 0, ``samples`` also hold ``event_t_s`` (float64, s since the epoch,
    NaN: empty slot) and ``event_kind`` (int32, ``events.EVENT_KINDS``), shape
    ``(outputs_per_chunk, n_nodes, event_slots)``: the shadow contacts located inside the steps
    since the previous sample, in time order (more than ``event_slots`` in one interval: the
    latest are dropped; size it for the interval).
    """
    variables = tuple(variables)

    def step_all(params, state, env, r_sun, t_end_s, dt_s, active, r_sun0=None):
        def one(p, s):
            return node_step(p, s, env, r_sun, t_end_s, dt_s, active, propagator, shadow_fn, albedo_model,
                             r_sun_start_eci_m=r_sun0, substeps=substeps, thermal_pairs=thermal_pairs)

        return jax.vmap(one)(params, state)

    # jitted (inlined into the chunk by XLA) so that the step is traced once: the second call
    # with the same argument types (the shape probe below, then the loop body) reuses the trace,
    # which is most of the time JAX spends before compiling (or finding the compiled chunk in
    # the persistent cache)
    step_all = jax.jit(step_all)

    def compact_events(ev_t, ev_kind):
        """(steps, nodes, slots) per step -> (nodes, event_slots) in time order."""
        t = jnp.moveaxis(ev_t, 0, 1).reshape(ev_t.shape[1], -1)
        kind = jnp.moveaxis(ev_kind, 0, 1).reshape(ev_kind.shape[1], -1)
        order = jnp.argsort(jnp.where(jnp.isnan(t), jnp.inf, t), axis=1)[:, :event_slots]
        return jnp.take_along_axis(t, order, axis=1), jnp.take_along_axis(kind, order, axis=1)

    def ground_all(gst, st, env, t_end_s, dt_s, active):
        with jax.named_scope("ground"):
            station_eci_m, up_eci = stations_eci(ground, env.epoch_jd_tt_whole, env.epoch_jd_tt_fraction, t_end_s)
            count = active & (st.status == STATUS_OK)  # (n_nodes,)

            def one(g, r, n_count):
                return ground_node_step(ground, g, r, station_eci_m, up_eci, dt_s, n_count)

            return jax.vmap(one)(gst, st.r_eci_m, count)

    def chunk(params, state, env, first_step, total_steps, dt_s, ground_state=None):
        ks, t_end_s, r_sun, r_sun0 = step_tables(env, first_step, steps_per_output * outputs_per_chunk, dt_s)

        def one_step(carry, xs):
            st, _ = carry
            k, t_k, sun_k, sun0_k = xs
            if ground is not None:  # st = (NodeState, GroundState)
                st, gst = st
            st, diag = step_all(params, st, env, sun_k, t_k, dt_s, k < total_steps, sun0_k)
            events = (diag.event_t_s, diag.event_kind) if event_slots else None
            # only the sampled variables are carried; the rest is dead code for XLA
            if ground is not None:
                gst, gdiag = ground_all(gst, st, env, t_k, dt_s, k < total_steps)
                return ((st, gst), {**diag.select(variables), **gdiag}), events
            return (st, diag.select(variables)), events

        def one_output(carry, xs):
            carry, events = jax.lax.scan(one_step, carry, xs, unroll=unroll)
            if event_slots:
                ev_t, ev_kind = compact_events(*events)
                return carry, {**carry[1], "event_t_s": ev_t, "event_kind": ev_kind}
            return carry, carry[1]

        dummy_sun = jnp.zeros(3, jnp.float64)
        diag_shape = jax.eval_shape(  # the loop body's argument types: one trace serves both
            lambda: step_all(params, state, env, dummy_sun, jnp.zeros((), jnp.float64), dt_s, jnp.asarray(True),
                             dummy_sun)[1]
        ).select(variables)
        diag0 = {name: jnp.zeros(diag_shape[name].shape, diag_shape[name].dtype) for name in variables}

        def per_output(x):
            return x.reshape((outputs_per_chunk, steps_per_output) + x.shape[1:])

        xs = (per_output(ks), per_output(t_end_s), per_output(r_sun), per_output(r_sun0))
        if ground is not None:
            n_nodes, n_stations = ground_state.visible_s.shape
            diag0 = {**diag0, "visible": jnp.zeros((n_nodes, n_stations), jnp.float64),
                     "slant_range": jnp.zeros((n_nodes, n_stations), jnp.float64)}
            ((state, ground_state), _), samples = jax.lax.scan(one_output, ((state, ground_state), diag0), xs)
            return state, samples, ground_state
        (state, _), samples = jax.lax.scan(one_output, (state, diag0), xs)
        return state, samples

    return _TopLevelOptions(chunk)
