"""View factor against numerical integration over the visible Earth cap; pointing rules;
flux on surfaces."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from orbital_sim.kernels import constants as c
from orbital_sim.kernels.irradiance import (
    ALBEDO_MODELS,
    POINTING_CODES,
    surface_fluxes,
    surface_fluxes_two_faces,
    surface_normals,
    view_factor_plate_sphere,
    view_factors_two_faces,
)
from orbital_sim.kernels.model import make_env
from tests.reference import viewfactor_ref

#: absolute; the partial-view branch meets zero like (lambda_edge - lambda)^(3/2), so a rounding
#: of cos(lambda) exactly at the edge gives ~1e-9
VIEW_FACTOR_TOL = 1e-8


@pytest.mark.parametrize("h_ratio", [1.03, 1.0627, 1.2, 2.0, 6.61])
def test_view_factor_matches_quadrature_at_every_tilt(h_ratio):
    tilts = np.linspace(0, math.pi, 37)
    got = np.asarray(view_factor_plate_sphere(h_ratio, jnp.cos(jnp.asarray(tilts))))
    ref = np.array([viewfactor_ref.view_factor_plate_sphere_quadrature(h_ratio, t) for t in tilts])
    np.testing.assert_allclose(got, ref, atol=VIEW_FACTOR_TOL)


@pytest.mark.parametrize("h_ratio", [1.03, 1.0627, 1.2, 2.0, 6.61])
def test_two_face_view_factors_match_quadrature_and_the_one_face_form(h_ratio):
    """The step computes both faces at once (shared square roots and inverse trigonometry):
    against the quadrature for each face, and against two one-face calls to rounding."""
    tilts = np.linspace(0, math.pi, 37)
    front, back = (np.asarray(x) for x in view_factors_two_faces(h_ratio, jnp.cos(jnp.asarray(tilts))))
    ref_front = np.array([viewfactor_ref.view_factor_plate_sphere_quadrature(h_ratio, t) for t in tilts])
    ref_back = np.array([viewfactor_ref.view_factor_plate_sphere_quadrature(h_ratio, math.pi - t) for t in tilts])
    np.testing.assert_allclose(front, ref_front, atol=VIEW_FACTOR_TOL)
    np.testing.assert_allclose(back, ref_back, atol=VIEW_FACTOR_TOL)
    cos_t = jnp.cos(jnp.asarray(np.linspace(0, math.pi, 2001)))
    got = view_factors_two_faces(h_ratio, cos_t)
    np.testing.assert_allclose(got[0], view_factor_plate_sphere(h_ratio, cos_t), rtol=0, atol=1e-15)
    np.testing.assert_allclose(got[1], view_factor_plate_sphere(h_ratio, -cos_t), rtol=0, atol=1e-15)


@pytest.mark.parametrize("albedo_model", sorted(ALBEDO_MODELS))
def test_two_face_fluxes_equal_two_one_face_calls(albedo_model):
    r, _, s_hat = _frame()
    env = make_env(shadow_radius_m=c.R_EARTH_EQ_M, solar_constant_w_m2=1361.0, albedo=0.3, earth_ir_w_m2=237.0,
                   epoch_jd_tt_whole=2451545.0, epoch_jd_tt_fraction=0.0)
    rng = np.random.default_rng(5)
    normals = rng.normal(size=(16, 3))
    normals = jnp.asarray(normals / np.linalg.norm(normals, axis=1, keepdims=True))
    model = ALBEDO_MODELS[albedo_model]()
    args = (jnp.asarray(r), jnp.asarray(s_hat), jnp.asarray(1.01 * c.AU_M), 0.7, env, model)
    front, back = surface_fluxes_two_faces(normals, *args)
    for got, ref in zip(front + back, surface_fluxes(normals, *args) + surface_fluxes(-normals, *args)):
        np.testing.assert_allclose(got, ref, rtol=1e-14, atol=1e-12)  # W/m^2


def test_view_factor_gradient_finite_and_continuous():
    h = 1.1
    f = jax.vmap(jax.grad(lambda x: view_factor_plate_sphere(h, jnp.cos(x))))
    tilts = jnp.linspace(0.0, math.pi, 10001)
    g = np.asarray(f(tilts))
    assert np.all(np.isfinite(g))
    # near the full-view edge acos(1/H) the two branches meet smoothly
    edge = math.acos(1 / h)
    left, right = (float(f(jnp.asarray([edge + d]))[0]) for d in (-1e-7, 1e-7))
    assert left == pytest.approx(right, rel=1e-4)


def _frame():
    r = np.array([7000e3, 0.0, 0.0])
    v = np.array([0.0, 7.5e3, 0.0])
    s_hat = np.array([0.6, 0.0, 0.8])
    return r, v, s_hat


def test_pointing_rules():
    r, v, s_hat = _frame()
    codes = jnp.asarray(list(POINTING_CODES.values()), jnp.int32)
    rsw = jnp.tile(jnp.asarray([0.0, 0.0, 1.0]), (len(codes), 1))
    n = np.asarray(surface_normals(codes, rsw, jnp.asarray(r), jnp.asarray(v), jnp.asarray(s_hat)))
    expected = {
        "sun": s_hat, "nadir": [-1, 0, 0], "zenith": [1, 0, 0], "orbit_normal": [0, 0, 1],
        "anti_orbit_normal": [0, 0, -1], "ram": [0, 1, 0], "wake": [0, -1, 0], "rsw": [0, 0, 1],
    }
    for name, code in POINTING_CODES.items():
        if name in expected:
            np.testing.assert_allclose(n[code], expected[name], atol=1e-15, err_msg=name)
    edge = n[POINTING_CODES["sun_edge"]]
    assert abs(edge @ s_hat) < 1e-15 and abs(edge @ r) < 1e-6 and np.linalg.norm(edge) == pytest.approx(1)


def test_fluxes_on_a_nadir_plate():
    """Nadir plate at 600 km, Sun overhead: IR = q F, albedo = a S F with F = 1/H^2."""
    env = make_env(shadow_radius_m=c.R_EARTH_EQ_M, solar_constant_w_m2=1361.0, albedo=0.3, earth_ir_w_m2=237.0,
                   epoch_jd_tt_whole=2461119.0, epoch_jd_tt_fraction=0.5)
    r = jnp.asarray([c.R_EARTH_EQ_M + 600e3, 0.0, 0.0])
    s_hat = jnp.asarray([1.0, 0.0, 0.0])
    normals = jnp.asarray([[-1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    direct, albedo, ir = surface_fluxes(normals, r, s_hat, jnp.asarray(c.AU_M), 1.0, env)
    f = (c.R_EARTH_EQ_M / (c.R_EARTH_EQ_M + 600e3)) ** 2
    np.testing.assert_allclose(np.asarray(ir), [237.0 * f, 0.0], rtol=1e-12)
    np.testing.assert_allclose(np.asarray(albedo), [0.3 * 1361.0 * f, 0.0], rtol=1e-12)
    np.testing.assert_allclose(np.asarray(direct), [0.0, 1361.0], rtol=1e-12)


def _albedo_reference(normal, r_sat, s_hat, albedo=0.3, solar=1361.0, radius=c.R_EARTH_EQ_M, n=400_000):
    """Independent albedo irradiance: Fibonacci-lattice points over the whole sphere (equal
    areas), each visible, lit point weighted as a Lambertian emitter. Plain NumPy."""
    k = np.arange(n) + 0.5
    z = 1 - 2 * k / n
    phi = np.pi * (1 + 5**0.5) * k
    p = np.stack([np.sqrt(1 - z * z) * np.cos(phi), np.sqrt(1 - z * z) * np.sin(phi), z], axis=1)
    d = radius * p - r_sat
    dist = np.linalg.norm(d, axis=1)
    w = d / dist[:, None]
    cos_ground = -np.sum(w * p, axis=1)
    visible = cos_ground > 0
    radiance = albedo * solar * np.maximum(p @ s_hat, 0) / np.pi
    cos_plate = np.maximum(w @ normal, 0)
    area = 4 * np.pi * radius**2 / n
    return float(np.sum((radiance * cos_plate * cos_ground * area / dist**2)[visible]))


@pytest.mark.parametrize("sun_deg", [0.0, 60.0, 85.0, 95.0])
def test_cap_albedo_matches_independent_integration(sun_deg):
    """The cap-quadrature albedo model against a fine equal-area lattice over the sphere; the
    sub-satellite cosine model misses the lit ground past the terminator."""
    from orbital_sim.kernels.irradiance import CapQuadratureAlbedo

    env = make_env(shadow_radius_m=c.R_EARTH_EQ_M, solar_constant_w_m2=1361.0, albedo=0.3, earth_ir_w_m2=237.0,
                   epoch_jd_tt_whole=2461119.0, epoch_jd_tt_fraction=0.5)
    r = np.array([c.R_EARTH_EQ_M + 550e3, 0.0, 0.0])
    s_hat = np.array([math.cos(math.radians(sun_deg)), 0.0, math.sin(math.radians(sun_deg))])
    normals = np.array([[-1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [-0.6, 0.0, -0.8]])
    _, got, _ = surface_fluxes(jnp.asarray(normals), jnp.asarray(r), jnp.asarray(s_hat), jnp.asarray(c.AU_M), 1.0, env,
                               CapQuadratureAlbedo())
    ref = np.array([_albedo_reference(n_, r, s_hat) for n_ in normals])
    full = 0.3 * 1361.0 * (c.R_EARTH_EQ_M / np.linalg.norm(r)) ** 2  # nadir plate, Sun overhead
    np.testing.assert_allclose(np.asarray(got), ref, atol=0.01 * full)
    if sun_deg == 95.0:  # Sun just below the local horizon: the sub-satellite model says zero
        _, sub, _ = surface_fluxes(jnp.asarray(normals), jnp.asarray(r), jnp.asarray(s_hat), jnp.asarray(c.AU_M), 1.0, env)
        assert float(sub[0]) == 0.0 and ref[0] > 1.0


def test_oblate_shadow_is_the_sphere_on_the_equator_and_later_at_the_pole():
    from orbital_sim.kernels.shadow import sunlit_fraction_conical, sunlit_fraction_conical_oblate

    sun = jnp.asarray([c.AU_M, 0.0, 0.0])
    radius = c.R_EARTH_EQ_M + 550e3
    # in the equatorial plane the ellipsoid's limb is the sphere's
    for ang in np.linspace(math.pi - 0.35, math.pi - 0.25, 50):
        r = jnp.asarray([radius * math.cos(ang), radius * math.sin(ang), 0.0])
        assert float(sunlit_fraction_conical_oblate(r, sun, c.R_EARTH_EQ_M, c.R_SUN_M)) == pytest.approx(
            float(sunlit_fraction_conical(r, sun, c.R_EARTH_EQ_M, c.R_SUN_M)), abs=1e-9)
    # over the pole the flatter Earth casts a shorter shadow: more sunlight at the same point
    edge = math.pi - math.asin(c.R_EARTH_EQ_M * (1 - 1 / 298.257223563) / radius)
    r = jnp.asarray([radius * math.cos(edge + 0.002), 0.0, radius * math.sin(edge + 0.002)])
    assert float(sunlit_fraction_conical_oblate(r, sun, c.R_EARTH_EQ_M, c.R_SUN_M)) > \
        float(sunlit_fraction_conical(r, sun, c.R_EARTH_EQ_M, c.R_SUN_M)) + 0.1
