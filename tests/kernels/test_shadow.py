"""Conical shadow against numerical integration over the solar disk; cylindrical closed form;
finite gradients at the shadow edges; beta angle."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from orbital_sim.kernels import constants as c
from orbital_sim.kernels.shadow import beta_angle, sunlit_fraction_conical, sunlit_fraction_cylindrical
from tests.reference import shadow_ref

R = c.R_EARTH_EQ_M
SUN = np.array([c.AU_M, 0.0, 0.0])
#: the kernel (stereographic disks, exact overlap) vs the reference (exact spherical caps,
#: quadrature); measured 3.8e-7, the stereographic area distortion inside the solar disk
FRACTION_TOL = 1e-6


def _positions_across_shadow(radius_m, n):
    """Satellite positions on a circle through the shadow (Sun along +x), dense at the edges."""
    theta_edge = math.pi - math.asin(R / radius_m)  # near the cylindrical edge
    angles = np.concatenate([
        np.linspace(theta_edge - 0.05, theta_edge + 0.05, n),
        np.linspace(math.pi - 0.3, math.pi + 0.3, n // 4),
    ])
    return np.stack([radius_m * np.cos(angles), radius_m * np.sin(angles), np.zeros_like(angles)], axis=1)


@pytest.mark.parametrize("radius_m", [R + 400e3, R + 1200e3, 42164e3])
def test_conical_matches_quadrature(radius_m):
    pos = _positions_across_shadow(radius_m, 200)
    got = np.asarray(jax.vmap(lambda r: sunlit_fraction_conical(r, jnp.asarray(SUN), R, c.R_SUN_M))(jnp.asarray(pos)))
    ref = shadow_ref.sunlit_fraction_quadrature(pos, SUN)
    assert np.all((got >= 0) & (got <= 1))
    np.testing.assert_allclose(got, ref, atol=FRACTION_TOL)
    assert np.any((ref > 0.01) & (ref < 0.99)), "the sample must cross the penumbra"


@pytest.mark.parametrize("radius_m", [R + 3e3, R + 550e3, 42164e3, 1.6e9])
def test_conical_matches_quadrature_in_every_direction(radius_m):
    """Positions all round the Earth, off the ecliptic, the subsolar and antisolar points exactly
    (theta = pi and 0: the half-angle tangent's two forms and its cap), from 3 km above the
    surface (the Earth disk spans 177 deg: the far-edge cap) out to beyond the umbra's tip
    (1.6e9 m: an annular eclipse when centred)."""
    rng = np.random.default_rng(11)
    dirs = rng.normal(size=(300, 3))
    dirs = np.concatenate([dirs / np.linalg.norm(dirs, axis=1, keepdims=True), [[1.0, 0, 0], [-1.0, 0, 0]]])
    pos = radius_m * dirs
    got = np.asarray(jax.vmap(lambda r: sunlit_fraction_conical(r, jnp.asarray(SUN), R, c.R_SUN_M))(jnp.asarray(pos)))
    ref = shadow_ref.sunlit_fraction_quadrature(pos, SUN)
    assert np.all(np.isfinite(got)) and np.all((got >= 0) & (got <= 1))
    np.testing.assert_allclose(got, ref, atol=FRACTION_TOL)
    assert got[-2] == 1.0 and (got[-1] == 0.0 if radius_m < 1e9 else 0.0 < got[-1] < 1.0)


def test_gradient_finite_everywhere_across_the_penumbra():
    radius = R + 550e3
    edge = math.pi - math.asin(R / radius)
    grad = jax.vmap(jax.grad(lambda a: sunlit_fraction_conical(
        jnp.stack([radius * jnp.cos(a), radius * jnp.sin(a), 0.0]), jnp.asarray(SUN), R, c.R_SUN_M)))
    angles = jnp.linspace(edge - 0.03, edge + 0.03, 4001)
    g = np.asarray(grad(angles))
    assert np.all(np.isfinite(g))
    # inside the penumbra the fraction falls as the satellite moves into the shadow
    assert g.min() < 0 and g.max() <= 1e-12
    # and the gradient is also finite at the exact region boundaries
    for a in [0.0, math.pi, edge]:
        assert np.isfinite(float(grad(jnp.asarray([a]))[0]))


def test_cylindrical_shadow_and_eclipse_fraction_closed_form():
    """Sampling a circular orbit at beta = 0 in the cylindrical shadow reproduces the closed form."""
    h = 400e3
    radius = R + h
    angles = np.linspace(0, 2 * np.pi, 200_001)[:-1]
    pos = np.stack([radius * np.cos(angles), radius * np.sin(angles), np.zeros_like(angles)], axis=1)
    lit = np.asarray(jax.vmap(lambda r: sunlit_fraction_cylindrical(r, jnp.asarray(SUN), R, c.R_SUN_M))(jnp.asarray(pos)))
    expected = float(shadow_ref.eclipse_fraction_cylindrical(h, 0.0))
    assert 1 - lit.mean() == pytest.approx(expected, abs=2e-5)


def test_beta_angle_known_geometry():
    r = jnp.asarray([7000e3, 0.0, 0.0])
    v = jnp.asarray([0.0, 7.5e3 * math.cos(0.3), 7.5e3 * math.sin(0.3)])
    # orbit normal = x cross v, Sun along that normal rotated by 30 deg toward +x
    h_hat = np.cross(np.asarray(r), np.asarray(v))
    h_hat /= np.linalg.norm(h_hat)
    s = math.sin(math.radians(30)) * h_hat + math.cos(math.radians(30)) * np.array([1.0, 0, 0])
    assert float(beta_angle(r, v, jnp.asarray(s * c.AU_M))) == pytest.approx(math.radians(30), abs=1e-12)
    assert float(beta_angle(r, v, jnp.asarray(h_hat * c.AU_M))) == pytest.approx(math.pi / 2, abs=1e-12)
