"""Thermostatic heaters on thermal components.

Each component may carry one heater of nameplate power P [W] with two set points, T_on < T_off
[K]. The thermostat here is proportional (hysteresis-free):

    duty(T) = clip((T_off - T) / (T_off - T_on), 0, 1),     heater power = P * duty(T)

full power at or below T_on, none at or above T_off, linear in between. Why not an on/off
thermostat with a dead band: it needs a latch in the state, and at a 10 s step it chatters
between full and zero power; averaged over its own cycle, a bang-bang heater holding a component
inside [T_on, T_off] delivers the same mean power that the proportional law delivers smoothly.
What the smooth law misses is the ripple of a real thermostat inside its dead band (at most
T_off - T_on). The duty is taken at the temperature at the start of the step (as the compute
throttle is), so the loop is explicit: it is stable while dt P / ((T_off - T_on) C) < 2 for a
component of heat capacity C (the config checks < 1).

The power is drawn from the bus (it adds to the bus load; an unserved share is cut from the
heaters in proportion, as from the rest of the bus) and dissipated in the component it heats:
electrical energy drawn = heat dissipated, step by step (tests/kernels/test_heaters.py).
A component without a heater has P = 0 (and any set points), which gives exactly zero power.
"""

from __future__ import annotations

import jax.numpy as jnp


def heater_duty(temperature_k, on_k, off_k):
    """Duty in [0, 1] of a proportional thermostat: 1 at or below ``on_k``, 0 at or above
    ``off_k`` [K], linear between. All arguments broadcast (one entry per component).
    ``off_k - on_k`` must be > 0 (the config guarantees it; a zero band is guarded)."""
    band = jnp.maximum(off_k - on_k, 1e-9)
    return jnp.clip((off_k - temperature_k) / band, 0.0, 1.0)


def heater_power_w(temperature_k, power_w, on_k, off_k):
    """Heater power demanded [W] per component: ``power_w * heater_duty(...)``."""
    return power_w * heater_duty(temperature_k, on_k, off_k)


def thermostat_demand_w(thermal, temperature_k):
    """Heater power demanded [W] (C,) by the thermostats of a node's thermal group ``thermal``
    (kernels.model.ThermalParams) at ``temperature_k`` [K] (C,); None when it has no heaters."""
    if thermal.heater_power_w is None:
        return None
    return heater_power_w(temperature_k, thermal.heater_power_w, thermal.heater_on_k, thermal.heater_off_k)
