"""Orbit options: J3/J4, drag, RK4 order, secular rates and sun-synchronism of the Cowell
propagator, against analytic rates and the independent potential gradient."""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from orbital_sim.fleet import osculating_from_mean
from orbital_sim.kernels import constants as c
from orbital_sim.kernels.model import make_env
from orbital_sim.kernels.orbit import (
    ConstantDensity,
    Cowell,
    ExponentialAtmosphere,
    accel_j3_j4,
    elements_to_state,
    j2_secular_rates,
    rk4_step,
    accel_point_mass_j2,
    state_to_elements,
)
from tests.reference import orbit_ref

GM, R = c.GM_EARTH_M3_S2, c.R_EARTH_EQ_M
ENV = make_env(shadow_radius_m=R, solar_constant_w_m2=1361.0, albedo=0.3, earth_ir_w_m2=237.0,
               epoch_jd_tt_whole=2461119.0, epoch_jd_tt_fraction=0.5)


def _propagate(prop, env, r0, v0, dt, n, params=None, every=1):
    """States every ``every`` steps, (n // every, 3) each."""

    @jax.jit
    def run(r, v):
        def outer(rv, _):
            rv = jax.lax.fori_loop(0, every, lambda _, x: prop.advance(params, x[0], x[1], 0.0, dt, env), rv)
            return rv, rv

        _, (rs, vs) = jax.lax.scan(outer, (r, v), None, length=n // every)
        return rs, vs

    return (np.asarray(x) for x in run(jnp.asarray(r0), jnp.asarray(v0)))


def test_j3_j4_match_the_potential_gradient(rng):
    for _ in range(20):
        r = rng.normal(size=3)
        r = r / np.linalg.norm(r) * rng.uniform(6.6e6, 2e7)
        got = np.asarray(accel_j3_j4(jnp.asarray(r), GM, R, c.J3_EARTH, c.J4_EARTH))
        ref = orbit_ref.acceleration_zonal(r, j3=c.J3_EARTH, j4=c.J4_EARTH)
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())


def test_rk4_convergence_order_four():
    """Two-body eccentric orbit, one period, against the exact Kepler solution: slope 4."""
    el = (8000e3, 0.1, 0.5, 0.3, 0.2, 0.0)
    r0, v0 = elements_to_state(*el, GM)
    period = 2 * math.pi * math.sqrt(el[0] ** 3 / GM)
    accel = lambda r, _v: accel_point_mass_j2(r, GM, R, 0.0)  # noqa: E731
    errors, steps = [], [160, 320, 640, 1280]
    for n in steps:
        dt = period / n
        r, _ = jax.lax.fori_loop(0, n, lambda _, rv: rk4_step(*rv, dt, accel), (r0, v0))
        errors.append(float(jnp.linalg.norm(r - r0)))
    slope = -np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert slope == pytest.approx(4.0, abs=0.15), (errors, slope)


def _mean_rates(r, v, t):
    el = np.array([[float(x) for x in state_to_elements(jnp.asarray(ri), jnp.asarray(vi), GM)] for ri, vi in zip(r, v)])
    raan = np.unwrap(el[:, 3])
    # argument of latitude u = argp + M (+ equation of centre, small): track perigee via e vector
    h = np.cross(r, v)
    e_vec = np.cross(v, h) / GM - r / np.linalg.norm(r, axis=1)[:, None]
    n_hat = np.stack([np.cos(raan), np.sin(raan), np.zeros_like(raan)], axis=1)
    h_hat = h / np.linalg.norm(h, axis=1)[:, None]
    argp = np.unwrap(np.arctan2(np.sum(np.cross(n_hat, e_vec) * h_hat, axis=1), np.sum(n_hat * e_vec, axis=1)))
    return np.polyfit(t, raan, 1)[0], np.polyfit(t, argp, 1)[0]


def test_cowell_node_and_apsidal_rates_match_j2_secular_theory():
    """10 days of RK4 + J2 at 30 s: fitted node and perigee rates within 1 % of the analytic
    first-order secular rates (Vallado eq. 9-41)."""
    el = (7200e3, 0.01, math.radians(50.0), 0.4, 1.0, 0.0)
    r0, v0 = elements_to_state(*el, GM)
    dt, n, every = 30.0, 28800, 40
    r, v = _propagate(Cowell(), ENV, r0, v0, dt, n, every=every)
    t = np.arange(1, n // every + 1) * dt * every
    raan_rate, argp_rate = _mean_rates(r, v, t)
    raan_dot, argp_dot, _ = (float(x) for x in j2_secular_rates(el[0], el[1], el[2], GM, R, c.J2_EARTH))
    assert raan_rate == pytest.approx(raan_dot, rel=0.01)
    assert argp_rate == pytest.approx(argp_dot, rel=0.01)


def test_sun_synchronous_node_keeps_pace_with_the_mean_sun_for_30_days():
    """650 km SSO, mean elements turned osculating by orbit averaging: after 30 days of RK4 + J2
    the node has turned with the mean Sun (360 deg / 365.2422 d) to within 0.05 deg."""
    a = R + 650e3
    cos_i = -(2 / 3) * (2 * math.pi / (365.2422 * 86400)) * a**3.5 / (c.J2_EARTH * R**2 * math.sqrt(GM))
    mean = np.array([[a, 0.0, math.acos(cos_i), 1.0, 0.0, 0.0]])
    osc = osculating_from_mean(mean)[0]
    r0, v0 = elements_to_state(*osc, GM)
    dt, days = 30.0, 30
    n = int(days * 86400 / dt)
    r, v = _propagate(Cowell(), ENV, r0, v0, dt, n, every=n)
    h = np.cross(r[-1], v[-1])
    raan_end = math.atan2(h[0], -h[1])
    sun_turn = 2 * math.pi / 365.2422 * days
    drift_deg = math.degrees(math.remainder(raan_end - (1.0 + sun_turn), 2 * math.pi))
    assert abs(drift_deg) < 0.05, drift_deg
    # without the mean-to-osculating step the same orbit drifts measurably more
    r0b, v0b = elements_to_state(*mean[0], GM)
    rb, vb = _propagate(Cowell(), ENV, r0b, v0b, dt, n, every=n)
    hb = np.cross(rb[-1], vb[-1])
    drift_b = math.degrees(math.remainder(math.atan2(hb[0], -hb[1]) - (1.0 + sun_turn), 2 * math.pi))
    assert abs(drift_b) > 2 * abs(drift_deg)


def test_drag_decay_matches_analytic_rate_at_constant_density():
    """da/dt = -(C_D A/m) rho sqrt(GM a) for a circular orbit in a non-rotating atmosphere of
    constant density (J2 off so a is not masked by short-period terms): one day, within 1 %."""
    env = dataclasses.replace(ENV, j2=jnp.asarray(0.0), omega_earth_rad_s=jnp.asarray(0.0))
    a0, rho, ballistic = R + 400e3, 2e-11, 0.02
    params = dataclasses.make_dataclass("P", ["ballistic_m2_kg"])(jnp.asarray(ballistic))
    r0, v0 = elements_to_state(a0, 0.0, 0.9, 0.0, 0.0, 0.0, GM)
    dt, n = 10.0, 8640
    r, v = _propagate(Cowell(atmosphere=ConstantDensity(rho)), env, r0, v0, dt, n, params=params, every=n)
    a_end = float(state_to_elements(jnp.asarray(r[-1]), jnp.asarray(v[-1]), GM)[0])
    expected = -ballistic * rho * math.sqrt(GM * a0) * dt * n
    assert a_end - a0 == pytest.approx(expected, rel=0.01)
    assert expected < -500  # metres: a real decay, not noise


def test_exponential_atmosphere_table():
    """Vallado Table 8-4 values at layer bases and continuity of the profile."""
    atm = ExponentialAtmosphere()
    for h_km, rho in [(400, 3.725e-12), (500, 6.967e-13), (1000, 3.019e-15)]:
        assert float(atm(jnp.asarray(h_km * 1e3))) == pytest.approx(rho, rel=1e-12)
    # the layers join within a few percent (the published table is fitted layer by layer)
    for h_km in [150, 300, 450, 600, 900]:
        below = float(atm(jnp.asarray(h_km * 1e3 - 1.0)))
        above = float(atm(jnp.asarray(h_km * 1e3)))
        assert above == pytest.approx(below, rel=0.15)
