"""The ``sun_edge`` pointing convention (review defect 7, second half): n = unit(s x r), the
ideal yaw-steering attitude (edge-on to the Sun, the plane containing the radial direction).

Its sign cannot be continuous everywhere: the unit vectors perpendicular to both s and r turn
once around the subsolar (and antisolar) point, so on an orbit that passes through it (beta = 0)
n flips by 180 deg there, and at small beta it turns by about 180 deg within a few beta of orbit
noon: the "noon turn" of yaw-steered spacecraft such as GPS. The chosen convention: keep it
(exactly edge-on everywhere, continuous off beta = 0), fall back to the orbit normal at the
singular point itself. At beta = 0 the flip exchanges two mirror images about the orbit plane
(the Sun and the Earth are symmetric about it), so what a surface absorbs is continuous across
it, one-sided or not; at small beta the turn is fast but continuous.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest

from orbital_sim.kernels import constants as c
from orbital_sim.kernels.irradiance import ALBEDO_MODELS, POINTING_CODES, surface_fluxes_two_faces, surface_normals
from orbital_sim.kernels.model import make_env

A_M = c.R_EARTH_EQ_M + 650e3
V_M_S = math.sqrt(c.GM_EARTH_M3_S2 / A_M)
SUN_EDGE = jnp.asarray([POINTING_CODES["sun_edge"]], jnp.int32)
RSW = jnp.zeros((1, 3))


def _orbit_point(u_rad, beta_rad):
    """Circular orbit in the x-y plane; the Sun at elevation beta above it, in the x-z plane:
    orbit noon (the point nearest the subsolar point) at u = 0."""
    r = A_M * np.array([math.cos(u_rad), math.sin(u_rad), 0.0])
    v = V_M_S * np.array([-math.sin(u_rad), math.cos(u_rad), 0.0])
    s_hat = np.array([math.cos(beta_rad), 0.0, math.sin(beta_rad)])
    return jnp.asarray(r), jnp.asarray(v), jnp.asarray(s_hat)


def _normal(u_rad, beta_rad):
    r, v, s_hat = _orbit_point(u_rad, beta_rad)
    return np.asarray(surface_normals(SUN_EDGE, RSW, r, v, s_hat))[0]


def test_sun_edge_is_edge_on_to_the_sun_and_contains_the_radial_direction():
    for u in np.linspace(-math.pi, math.pi, 37):
        for beta in (0.0, math.radians(1.0), math.radians(60.0)):
            if beta == 0.0 and abs(math.sin(u)) < 1e-9:
                continue  # the singular points, below
            r, _, s_hat = _orbit_point(u, beta)
            n = _normal(u, beta)
            assert abs(n @ np.asarray(s_hat)) < 1e-15 and abs(n @ np.asarray(r)) < 1e-6  # m
            assert np.linalg.norm(n) == pytest.approx(1.0, abs=1e-15)


def test_sun_edge_turns_continuously_through_noon_at_small_beta():
    """beta = 1 deg: steps of 0.01 deg of orbit turn n by at most 1 deg (the yaw rate at noon is
    1 / tan(beta) = 57 times the orbit rate), and n has turned by more than 170 deg between 30 deg
    before and after noon."""
    beta = math.radians(1.0)
    u = np.radians(np.arange(-30.0, 30.0 + 1e-9, 0.01))
    normals = np.array([_normal(x, beta) for x in u[::50]])  # coarse for the total turn
    fine = np.array([_normal(x, beta) for x in np.radians(np.arange(-3.0, 3.0, 0.01))])
    step_deg = np.degrees(np.arccos(np.clip(np.sum(fine[1:] * fine[:-1], axis=1), -1, 1)))
    assert step_deg.max() < 1.0
    turn_deg = math.degrees(math.acos(np.clip(normals[0] @ normals[-1], -1, 1)))
    assert turn_deg > 170.0


def test_sun_edge_flips_at_the_subsolar_point_at_beta_zero_and_falls_back_to_the_orbit_normal():
    before, after = _normal(-1e-6, 0.0), _normal(1e-6, 0.0)
    np.testing.assert_allclose(before, -after, atol=1e-12)
    np.testing.assert_allclose(_normal(0.0, 0.0), [0.0, 0.0, 1.0], atol=1e-12)  # orbit normal


@pytest.mark.parametrize("albedo_model", sorted(ALBEDO_MODELS))
def test_two_sided_equal_faces_absorb_the_same_across_the_flip(albedo_model):
    """Across the beta = 0 flip (1e-6 rad either side of the subsolar point) a one-sided and a
    two-sided surface absorb the same on both sides, to 1e-9 W/m^2: the two normals are mirror
    images about the orbit plane, about which the Sun and the Earth are symmetric."""
    env = make_env(shadow_radius_m=c.R_EARTH_EQ_M, solar_constant_w_m2=1361.0, albedo=0.3, earth_ir_w_m2=237.0,
                   epoch_jd_tt_whole=2451545.0, epoch_jd_tt_fraction=0.0)
    model = ALBEDO_MODELS[albedo_model]()
    absorbed = {}
    for u in (-1e-6, 1e-6):
        r, v, s_hat = _orbit_point(u, 0.0)
        n = surface_normals(SUN_EDGE, RSW, r, v, s_hat)
        front, back = surface_fluxes_two_faces(n, r, s_hat, jnp.asarray(c.AU_M), 1.0, env, model)
        one_side = 0.12 * (front[0] + front[1]) + 0.9 * front[2]  # W/m^2 (absorptance, emittance)
        both = one_side + 0.12 * (back[0] + back[1]) + 0.9 * back[2]
        absorbed[u] = float(one_side[0]), float(both[0])
    (one_a, both_a), (one_b, both_b) = absorbed[-1e-6], absorbed[1e-6]
    assert both_a == pytest.approx(both_b, abs=1e-9)
    assert one_a == pytest.approx(one_b, abs=1e-9)
    assert both_a > 10.0  # W/m^2: albedo and Earth IR reach the edge-on plate
