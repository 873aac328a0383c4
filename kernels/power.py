"""Electrical power system of a node: solar array, battery, bus and compute loads, throttle.

Per step of length dt (all powers in W, energies in J):

* Array output at its maximum power point:
  P_arr = eta(T_arr) * packing * sum over cell faces (area * (direct + albedo irradiance)),
  eta(T) = eta_ref * max(1 + gamma (T - T_ref), 0) * (1 - degradation)^age. gamma < 0: a hot
  array yields less (Azur 3G30C: -0.23 %/K of power).
* Throttle: linear ramps f_T, from 1 at the throttle temperature to 0 one band higher (chip
  temperature at the start of the step), and f_soc, from 1 at the throttle state of charge to
  0 at the floor. The temperature throttle always applies: c = P_compute_nominal u_nom f_T.
  The state-of-charge throttle protects the battery, so it limits only the compute the battery
  would pay for: the array's share above the bus, a = clip(P_arr - P_bus, 0, c), always runs,
  and the commanded compute is a + f_soc (c - a) (u = that / P_compute_nominal). In eclipse
  that is f_soc c; in sunlight with an array that covers the load, c (the surplus charges).
* Loads: demand = P_bus + P_compute_nominal * u.
* Surplus (P_arr >= demand): charge P_ch = min(surplus, (E_cap - E) / (eta_c dt)); the rest is
  shed (the array is driven off its maximum power point; the shed power stays in the array
  as heat).
* Deficit: discharge P_dis = min(deficit, (E - E_floor) eta_d / dt) (P_dis is the power the
  battery delivers to the bus); what still cannot be served is taken from compute first,
  then from the bus (reported as unmet).
* E' = E + dt (eta_c P_ch - P_dis / eta_d); battery heat (1 - eta_c) P_ch + (1/eta_d - 1) P_dis.

Ledger per step (exact): P_arr - P_shed + P_dis = P_bus_served + P_compute_served + P_ch.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from .heaters import thermostat_demand_w
from .pytree import pytree_dataclass


@pytree_dataclass
class PowerFlows:
    """The power balance of one step (:func:`power_step`); scalars."""

    battery_energy_j: Any  #: [J] battery energy at the step's end
    charge_w: Any  #: [W] power into the battery (before the charge losses)
    discharge_w: Any  #: [W] power the battery delivers to the bus (after the discharge losses)
    shed_w: Any  #: [W] array surplus left unused (stays in the array as heat)
    compute_w: Any  #: [W] compute load served
    bus_w: Any  #: [W] bus load served (heaters included)
    unmet_w: Any  #: [W] bus demand that could not be served
    battery_heat_w: Any  #: [W] charge and discharge losses (heat in the battery)


@pytree_dataclass
class ElectricalStep:
    """The power stage of one substep (:func:`electrical_step`)."""

    array_power_w: Any  #: [W] () array output at its maximum power point
    flows: PowerFlows  #: the balance of array, battery and loads
    heater_w: Any  #: [W] (C,) heater power served per component; None: no heaters
    electric_heat_w: Any  #: [W] (C,) electrical dissipation per component minus the array's extracted power


def array_efficiency(temperature_k, efficiency_ref, temp_coeff_per_k, ref_temperature_k, age_factor):
    """Array conversion efficiency [1] at ``temperature_k`` (the array's simulated temperature)."""
    return efficiency_ref * jnp.maximum(1.0 + temp_coeff_per_k * (temperature_k - ref_temperature_k), 0.0) * age_factor


def _temperature_ramp(chip_temperature_k, throttle_temperature_k, throttle_band_k):
    """f_T [1]: 1 up to the throttle temperature, 0 one band higher, linear between."""
    return jnp.clip(1.0 - (chip_temperature_k - throttle_temperature_k) / throttle_band_k, 0.0, 1.0)


def _soc_ramp(state_of_charge, throttle_soc, floor_soc):
    """f_soc [1]: 1 from the throttle state of charge up, 0 at the floor, linear between."""
    span = jnp.maximum(throttle_soc - floor_soc, 1e-9)
    return jnp.clip((state_of_charge - floor_soc) / span, 0.0, 1.0)


def throttle_factor(chip_temperature_k, state_of_charge, throttle_temperature_k, throttle_band_k, throttle_soc, floor_soc):
    """Both ramps, f_T f_soc in [0, 1]: the throttle of compute paid entirely by the battery."""
    return (_temperature_ramp(chip_temperature_k, throttle_temperature_k, throttle_band_k)
            * _soc_ramp(state_of_charge, throttle_soc, floor_soc))


def compute_utilization(array_power_w, bus_power_w, compute_power_nominal_w, utilization, chip_temperature_k,
                        state_of_charge, throttle_temperature_k, throttle_band_k, throttle_soc, floor_soc):
    """Commanded compute utilisation [1] in [0, ``utilization``] after both throttles (module
    docstring): the state-of-charge ramp scales only the compute the array does not cover
    above the bus. Powers in W, temperatures in K, states of charge in [0, 1]; scalars."""
    wanted = utilization * _temperature_ramp(chip_temperature_k, throttle_temperature_k, throttle_band_k)
    nominal_ok = compute_power_nominal_w > 0
    nominal_safe = jnp.where(nominal_ok, compute_power_nominal_w, 1.0)
    covered = jnp.where(nominal_ok, jnp.clip((array_power_w - bus_power_w) / nominal_safe, 0.0, wanted), 0.0)
    return covered + _soc_ramp(state_of_charge, throttle_soc, floor_soc) * (wanted - covered)


def power_step(array_power_w, bus_power_w, compute_power_nominal_w, utilization, battery_energy_j, battery, dt_s):
    """Balance one step. Scalars in, and the node's battery group ``battery``
    (kernels.model.BatteryParams: ``capacity_j``, ``floor_j`` [J], ``charge_efficiency``,
    ``discharge_efficiency`` [1]). Returns :class:`PowerFlows` (scalars).
    """
    capacity_j, floor_j = battery.capacity_j, battery.floor_j
    charge_efficiency, discharge_efficiency = battery.charge_efficiency, battery.discharge_efficiency
    compute_demand_w = compute_power_nominal_w * utilization
    demand_w = bus_power_w + compute_demand_w
    net_w = array_power_w - demand_w
    surplus_w = jnp.maximum(net_w, 0.0)
    deficit_w = jnp.maximum(-net_w, 0.0)

    charge_room_w = jnp.maximum(capacity_j - battery_energy_j, 0.0) / (charge_efficiency * dt_s)
    charge_w = jnp.minimum(surplus_w, charge_room_w)
    shed_w = surplus_w - charge_w

    discharge_room_w = jnp.maximum(battery_energy_j - floor_j, 0.0) * discharge_efficiency / dt_s
    discharge_w = jnp.minimum(deficit_w, discharge_room_w)
    short_w = deficit_w - discharge_w
    compute_cut_w = jnp.minimum(short_w, compute_demand_w)
    compute_w = compute_demand_w - compute_cut_w
    unmet_w = short_w - compute_cut_w
    bus_w = bus_power_w - unmet_w

    energy_next_j = battery_energy_j + dt_s * (charge_efficiency * charge_w - discharge_w / discharge_efficiency)
    battery_heat_w = (1.0 - charge_efficiency) * charge_w + (1.0 / discharge_efficiency - 1.0) * discharge_w
    return PowerFlows(battery_energy_j=energy_next_j, charge_w=charge_w, discharge_w=discharge_w, shed_w=shed_w,
                      compute_w=compute_w, bus_w=bus_w, unmet_w=unmet_w, battery_heat_w=battery_heat_w)


def electrical_step(power, battery, compute, thermal, temperature_k, battery_energy_j, cells_w, array_temperature_k,
                    dt_s, *, compute_nominal_w=None, floor_soc=None):
    """The power stage of a node for one (sub)step, from its groups ``power``, ``battery``,
    ``compute`` and the heaters of ``thermal`` (kernels.model.PowerParams, BatteryParams,
    ComputeParams, ThermalParams: ``heater_power_w`` None means no heaters).

    ``temperature_k``: [K] (C,) component temperatures at the start (the chip throttle);
    ``battery_energy_j``: [J] at the start; ``cells_w``: [W] irradiance on the cell faces times
    their area (direct + albedo); ``array_temperature_k``: [K] where the array efficiency is
    taken; ``dt_s``: [s]. The thermostats (kernels/heaters.py) read ``temperature_k``; their
    demand adds to the bus load, and an unserved share of the bus is cut from the heaters in
    proportion. ``compute_nominal_w`` [W] (accelerators x power) and ``floor_soc`` [1] (floor /
    capacity): pass them where they are computed once outside a loop of substeps (default: here).
    All electrical power ends as heat where it is used: ``electric_heat_w`` books compute, bus,
    battery losses and heaters in their components, less the power extracted from the array.
    """
    eta = array_efficiency(array_temperature_k, power.array_efficiency, power.array_temp_coeff_per_k,
                           power.array_ref_temperature_k, power.array_age_factor)
    array_power_w = eta * power.array_packing * cells_w
    bus_demand_w = power.bus_power_w
    heater_demand_w = thermostat_demand_w(thermal, temperature_k)
    if heater_demand_w is not None:  # heaters load the bus
        bus_demand_w = bus_demand_w + jnp.sum(heater_demand_w)
    if compute_nominal_w is None:
        compute_nominal_w = compute.accelerators * compute.accelerator_power_w
    if floor_soc is None:
        floor_soc = battery.floor_j / battery.capacity_j
    utilization = compute_utilization(  # the SOC throttle spares what the array covers
        array_power_w, bus_demand_w, compute_nominal_w, compute.utilization, compute.component @ temperature_k,
        battery_energy_j / battery.capacity_j, compute.throttle_temperature_k, compute.throttle_band_k,
        battery.throttle_soc, floor_soc,
    )
    flows = power_step(array_power_w, bus_demand_w, compute_nominal_w, utilization, battery_energy_j, battery, dt_s)
    extracted_w = array_power_w - flows.shed_w
    bus_heat_w = flows.bus_w
    heater_w = None
    if heater_demand_w is not None:  # an unserved share of the bus is cut from the heaters in proportion
        served = flows.bus_w / jnp.where(bus_demand_w > 0, bus_demand_w, 1.0)
        heater_w = heater_demand_w * served
        bus_heat_w = flows.bus_w - jnp.sum(heater_w)
    electric_heat_w = (
        compute.component * flows.compute_w
        + power.bus_component * bus_heat_w
        + battery.component * flows.battery_heat_w
        - power.array_component * extracted_w
    )
    if heater_demand_w is not None:
        electric_heat_w = electric_heat_w + heater_w
    return ElectricalStep(array_power_w=array_power_w, flows=flows, heater_w=heater_w,
                          electric_heat_w=electric_heat_w)
