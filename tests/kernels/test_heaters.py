"""Thermostatic heaters (kernels/heaters.py and their plumbing in kernels/model.py): the
thermostat law, an analytic equilibrium, and the energy ledger (heater energy drawn from the
bus = heater heat dissipated) on a node that goes through eclipses."""

import dataclasses
import functools
import math

import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import brentq

from orbital_sim.kernels import constants as c
from orbital_sim.kernels.heaters import heater_duty, heater_power_w
from orbital_sim.kernels.model import ThermalParams, make_chunk_fn
from orbital_sim.kernels.orbit import Cowell, elements_to_state
from orbital_sim.kernels.shadow import sunlit_fraction_conical
from orbital_sim.kernels.thermal import thermal_step
from tests.kernels import builders as b

SIGMA = 5.670374419e-8


def test_duty_is_full_below_on_zero_above_off_and_linear_between():
    on, off = 273.15, 278.15
    t = jnp.asarray([250.0, 273.15, 274.15, 275.65, 278.15, 300.0])
    np.testing.assert_allclose(np.asarray(heater_duty(t, on, off)), [1.0, 1.0, 0.8, 0.5, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(np.asarray(heater_power_w(t, 400.0, on, off)), [400, 400, 320, 200, 0, 0], atol=1e-9)
    # no heater: zero power at any temperature
    assert float(jnp.max(jnp.abs(heater_power_w(t, 0.0, on, off)))) == 0.0


def test_equilibrium_of_an_isolated_heated_component_matches_the_closed_form():
    """One component radiating to the 2.7 K sink, heated only by its thermostat: the steady
    temperature solves k (T^4 - Ts^4) = P (T_off - T) / (T_off - T_on) (solved with brentq)."""
    heat_capacity, area_eps = 2.0e4, 2.0  # J/K; m^2 x emittance
    k = SIGMA * area_eps
    power, on, off = 900.0, 270.0, 280.0
    closed = brentq(lambda t: k * (t**4 - c.DEEP_SPACE_SINK_K**4) - power * (off - t) / (off - on), 100.0, 400.0)
    t = jnp.asarray([200.0])
    thermal = ThermalParams(heat_capacity_j_k=jnp.asarray([heat_capacity]), conductance_w_k=jnp.zeros((1, 1)))
    for _ in range(3000):  # 3000 x 30 s: many time constants (C / (4 k T^3 + P/band) about 200 s)
        q = heater_power_w(t, power, on, off)
        t, _ = thermal_step(thermal, t, jnp.asarray([k]), q, 30.0, c.DEEP_SPACE_SINK_K)
    assert on < closed < off
    assert abs(float(t[0]) - closed) < 1e-6, (float(t[0]), closed)


def _node(heater_w):
    """The builders' node in a 550 km, 53 deg orbit with a heater on the battery (component 4)
    whose band (25-35 C) lies above the battery's temperatures: it runs, and varies with them."""
    n = 5
    p = b.node_params()
    p = dataclasses.replace(p, thermal=dataclasses.replace(
        p.thermal, heater_power_w=jnp.asarray(np.eye(n)[4] * heater_w), heater_on_k=jnp.full((n,), 298.15),
        heater_off_k=jnp.full((n,), 308.15)))
    r, v = elements_to_state(c.R_EARTH_EQ_M + 550e3, 0.0, math.radians(53.0), 0.3, 0.0, 0.0, c.GM_EARTH_M3_S2)
    return b.stack([p]), b.stack([b.state(p, r, v, temperature_k=293.15)])


@functools.lru_cache(maxsize=None)
def _chunk(every, outputs):  # compiled once for every test of this file
    return make_chunk_fn(Cowell(), sunlit_fraction_conical, every, outputs, ("heater_power", "temperature"))


def _run(params, state, outputs=36, every=30, dt=10.0):
    f = _chunk(every, outputs)
    return f(params, state, b.env(), jnp.asarray(0), jnp.asarray(every * outputs), jnp.asarray(dt))


def test_heater_energy_drawn_equals_heat_dissipated_and_the_ledgers_close():
    """Three hours (about two orbits with eclipses) at 10 s steps: the heater energy booked on
    the thermal side equals what the bus delivered beyond the nominal bus and compute loads,
    and the thermal, bus and whole-node ledgers close to 1e-9 relative."""
    params, state0 = _node(3000.0)
    state, samples = _run(params, state0)
    a = state.acc
    heater_j = float(a.heater_j[0])
    assert heater_j > 3000.0 * 600.0, "the heater must run for a good part of the run"
    # power side: consumed = bus + compute + heaters (no throttle, no unserved load here)
    nominal_j = float((params.power.bus_power_w[0]) * a.elapsed_s[0]) + float(a.compute_delivered_s[0] * 700.0)
    assert float(a.energy_unmet_j[0]) == 0.0
    assert abs(float(a.energy_consumed_j[0]) - nominal_j - heater_j) <= 1e-9 * float(a.energy_consumed_j[0])
    # thermal side: stored = absorbed + electric heat - emitted, and the electric heat is the
    # energy the bus delivered (heaters included) plus battery losses minus what the array extracted
    stored = float(np.sum(np.asarray(params.thermal.heat_capacity_j_k[0]) * np.asarray(state.temperature_k[0] - state0.temperature_k[0])))
    absorbed, emitted, electric = float(a.absorbed_j[0]), float(a.emitted_j[0]), float(a.electric_heat_j[0])
    assert abs(stored - (absorbed + electric - emitted)) <= 1e-9 * absorbed
    extracted = float(a.energy_generated_j[0] - a.energy_shed_j[0])
    assert abs(electric - (float(a.energy_consumed_j[0]) + float(a.battery_loss_j[0]) - extracted)) <= 1e-9 * absorbed
    # the sampled heater power never exceeds its nameplate and is not constant (the thermostat acts)
    hp = np.asarray(samples["heater_power"])[:, 0]
    assert hp.max() <= 3000.0 + 1e-9 and hp.max() - hp.min() > 100.0


def test_a_heater_warms_its_component_and_costs_battery_energy():
    (p_off, s0), (p_on, _) = _node(0.0), _node(3000.0)
    off, _ = _run(p_off, s0)
    on, _ = _run(p_on, s0)
    assert float(on.temperature_k[0, 4]) > float(off.temperature_k[0, 4]) + 1.0
    assert float(on.acc.energy_consumed_j[0]) > float(off.acc.energy_consumed_j[0])
    assert float(off.acc.heater_j[0]) == 0.0
