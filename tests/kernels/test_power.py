"""Power system against the plain-loop reference, its ledger, and array temperature derating."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from orbital_sim.kernels.model import BatteryParams
from orbital_sim.kernels.power import array_efficiency, power_step, throttle_factor
from tests.reference import power_ref

#: energies are compared in J, relative to the battery capacity
LEDGER_REL_TOL = 1e-9


def _kernel_loop(p_array_w, throttle, *, p_bus_w, p_comp_w, u0, e0_j, cap_j, floor_j, eta_c, eta_d, dt_s):
    battery = BatteryParams(capacity_j=cap_j, floor_j=floor_j, throttle_soc=0.0, charge_efficiency=eta_c,
                            discharge_efficiency=eta_d, component=None)

    def body(e, x):
        p_arr, thr = x
        out = power_step(p_arr, p_bus_w, p_comp_w, u0 * thr, e, battery, dt_s)
        return out.battery_energy_j, out

    _, out = jax.lax.scan(body, jnp.asarray(e0_j), (jnp.asarray(p_array_w), jnp.asarray(throttle)))
    return {f.name: np.asarray(getattr(out, f.name)) for f in dataclasses.fields(out)}


def _orbit_like_array_power(n, dt_s, peak_w, rng):
    t = np.arange(n) * dt_s
    sunlit = (np.sin(2 * np.pi * t / 5560.0) > -0.3).astype(float)
    return peak_w * sunlit * (0.9 + 0.1 * rng.random(n))


@pytest.mark.parametrize("peak_w", [30e3, 80e3, 200e3])
def test_power_step_matches_reference_loop(rng, peak_w):
    n, dt = 3000, 10.0
    p_arr = _orbit_like_array_power(n, dt, peak_w, rng)
    throttle = np.clip(rng.random(n) * 1.5, 0, 1)
    kw = dict(p_bus_w=2000.0, p_comp_w=44800.0, u0=1.0, e0_j=0.5 * 4.32e8, cap_j=4.32e8, floor_j=0.2 * 4.32e8,
              eta_c=0.97, eta_d=0.96, dt_s=dt)
    got = _kernel_loop(p_arr, throttle, **kw)
    ref = power_ref.power_loop(p_arr, kw["p_bus_w"], kw["p_comp_w"], kw["u0"], throttle, kw["e0_j"], kw["cap_j"],
                               kw["floor_j"], kw["eta_c"], kw["eta_d"], dt)
    np.testing.assert_allclose(got["battery_energy_j"], ref["energy_j"], rtol=0, atol=1e-6 * kw["cap_j"])
    for mine, theirs in [("charge_w", "charge_w"), ("discharge_w", "discharge_w"), ("shed_w", "shed_w"),
                         ("compute_w", "compute_served_w"), ("bus_w", "bus_served_w"),
                         ("battery_heat_w", "battery_heat_w")]:
        np.testing.assert_allclose(got[mine], ref[theirs], rtol=0, atol=1e-6, err_msg=mine)
    # bounds
    assert got["battery_energy_j"].max() <= kw["cap_j"] * (1 + 1e-12)
    assert got["battery_energy_j"].min() >= kw["floor_j"] * (1 - 1e-12)


def test_battery_ledger_closes(rng):
    n, dt = 8640, 10.0
    p_arr = _orbit_like_array_power(n, dt, 80e3, rng)
    cap = 4.32e8
    got = _kernel_loop(p_arr, np.ones(n), p_bus_w=2000.0, p_comp_w=44800.0, u0=1.0, e0_j=0.9 * cap, cap_j=cap,
                       floor_j=0.2 * cap, eta_c=0.97, eta_d=0.97, dt_s=dt)
    # bus balance every step: array - shed + discharge = loads + charge
    balance = p_arr - got["shed_w"] + got["discharge_w"] - got["compute_w"] - got["bus_w"] - got["charge_w"]
    assert np.abs(balance).max() < 1e-9 * 80e3
    # stored energy = charge in * eta_c - discharge out / eta_d; losses are the difference
    stored = got["battery_energy_j"][-1] - 0.9 * cap
    booked = dt * np.sum(got["charge_w"] - got["discharge_w"] - got["battery_heat_w"])
    assert abs(stored - booked) < LEDGER_REL_TOL * cap


def test_throttle_ramps():
    # temperature: 1 below the limit, 0.5 half a band above, 0 a band above
    for temp, expected in [(350.0, 1.0), (360.65, 0.5), (363.15, 0.0), (400.0, 0.0)]:
        assert float(throttle_factor(temp, 0.9, 358.15, 5.0, 0.3, 0.2)) == pytest.approx(expected)
    for soc, expected in [(0.9, 1.0), (0.3, 1.0), (0.25, 0.5), (0.2, 0.0), (0.1, 0.0)]:
        assert float(throttle_factor(300.0, soc, 358.15, 5.0, 0.3, 0.2)) == pytest.approx(expected)


def test_hot_array_yields_less():
    """Azur 3G30C: -0.23 %/K of power; at 80 C an array gives 12 % less than at 28 C."""
    eta_28 = float(array_efficiency(301.15, 0.295, -0.0023, 301.15, 1.0))
    eta_80 = float(array_efficiency(353.15, 0.295, -0.0023, 301.15, 1.0))
    assert eta_28 == pytest.approx(0.295)
    assert eta_80 / eta_28 == pytest.approx(1 - 0.0023 * 52, rel=1e-12)
