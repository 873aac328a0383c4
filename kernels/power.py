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

import jax.numpy as jnp


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
    ``discharge_efficiency`` [1]). Returns a dict of scalars:

    ``battery_energy_j`` (end of step), ``charge_w``, ``discharge_w``, ``shed_w``,
    ``compute_w`` (served), ``bus_w`` (served), ``unmet_w``, ``battery_heat_w``.
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
    return {
        "battery_energy_j": energy_next_j,
        "charge_w": charge_w,
        "discharge_w": discharge_w,
        "shed_w": shed_w,
        "compute_w": compute_w,
        "bus_w": bus_w,
        "unmet_w": unmet_w,
        "battery_heat_w": battery_heat_w,
    }
