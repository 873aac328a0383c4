"""Earth shadow and beta angle.

Conical model (after Montenbruck & Gill, *Satellite Orbits*, 2000, sec. 3.4.2): the Sun and
the Earth are seen from the satellite as disks of apparent radii theta_s = asin(R_sun / |s - r|)
and theta_e = asin(R_earth / |r|), their centres theta apart. The sunlit fraction is the part of
the (uniformly bright, no limb darkening) solar disk not covered by the Earth disk:
1 outside the penumbra, 0 in the umbra, an annular value when the Earth disk lies inside the
Sun's (not reachable from Earth orbits below about 1.4e6 km), and the circle-overlap area in
between. Montenbruck & Gill apply the flat circle-overlap formula to the angular radii; in LEO
the Earth disk is 60-70 deg across and that flat approximation errs by up to 2e-4 in the
fraction. Here the overlap is computed after a stereographic projection centred on the Sun,
which maps both disks to exact circles (measured error against quadrature over the disk:
see tests/kernels/test_shadow.py).
The Earth is a sphere of configurable radius (no oblateness, no atmosphere).

Gradients are finite everywhere: every sqrt and division sees a masked, in-domain argument
(double-where), so shadow edges do not produce NaN.
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from . import fastmath
from .registry import Registry
from .safe import safe_sqrt


def _segment_shape(phi, sin_cos):
    """phi - sin(phi) cos(phi): twice the area of a circular segment of half-angle phi on a
    unit circle (``sin_cos`` = sin(phi) cos(phi), from the triangle's sides, no trigonometry).
    A series below 0.1 rad avoids cancellation (truncation < 1e-14 relative)."""
    p2 = phi * phi
    series = phi * p2 * (2.0 / 3.0 - p2 * (2.0 / 15.0 - p2 * (4.0 / 315.0 - p2 * (2.0 / 2835.0))))
    return jnp.where(phi < 0.1, series, phi - sin_cos)


def _tan_half_asin(q):
    """tan(asin(q) / 2) = q / (1 + sqrt(1 - q^2)) for q in [0, 1]."""
    return q / (1.0 + jnp.sqrt((1.0 - q) * (1.0 + q)))


#: tan(theta / 2) is capped here (theta within 2e-12 rad of pi: the Sun straight behind the
#: satellite as seen from the Earth's centre, far from any shadow)
_TAN_HALF_MAX = 1e12
#: 2 tan(0.4995 pi): the far edge of the Earth disk in the projection is capped here (it only
#: matters for the disk's radius when the Earth covers nearly half the sky)
_FAR_MAX = 2.0 * math.tan(0.4995 * math.pi)


def sunlit_fraction_conical(r_sat_eci_m, r_sun_eci_m, earth_radius_m, sun_radius_m):
    """Fraction in [0, 1] of the solar disk visible from the satellite (conical shadow).

    ``r_sat_eci_m``, ``r_sun_eci_m``: geocentric positions [m], (3,). Radii in m.
    """
    to_sun = r_sun_eci_m - r_sat_eci_m
    d_sun = jnp.sqrt(jnp.sum(to_sun * to_sun))
    d_earth = jnp.sqrt(jnp.sum(r_sat_eci_m * r_sat_eci_m))

    # Stereographic projection centred on the Sun maps both disks (small circles on the sky)
    # to exact plane circles; the flat circle-overlap formula is then exact up to the
    # projection's area distortion inside the solar disk (below 1.2e-5 relative). A circle of
    # angular radius a about the centre maps to radius 2 tan(a / 2). Everything below works with
    # tangents of half-angles from the geometry's sines and cosines: no trigonometric calls
    # (XLA evaluates those one element at a time on the CPU; kernels/fastmath.py).
    # Apparent radii: sin(theta_s) = R_sun / d_sun, sin(theta_e) = R_earth / d_earth.
    tan_half_s = _tan_half_asin(jnp.clip(sun_radius_m / d_sun, 0.0, 1.0))
    tan_half_e = _tan_half_asin(jnp.clip(earth_radius_m / d_earth, 0.0, 1.0))
    # theta: angle between the Earth's centre and the Sun's centre seen from the satellite;
    # tan(theta / 2) = sin / (1 + cos) for cos >= 0 and (1 - cos) / sin below (no cancellation)
    u = -r_sat_eci_m / d_earth
    w = to_sun / d_sun
    cos_t = jnp.dot(u, w)
    cross = jnp.cross(u, w)
    sin_t = safe_sqrt(jnp.sum(cross * cross))
    front = cos_t >= 0.0
    tan_half = jnp.where(
        front,
        sin_t / jnp.where(front, 1.0 + cos_t, 1.0),
        jnp.where(sin_t > 0, (1.0 - cos_t) / jnp.where(sin_t > 0, sin_t, 1.0), _TAN_HALF_MAX),
    )
    tan_half = jnp.minimum(tan_half, _TAN_HALF_MAX)

    sun_r = 2.0 * tan_half_s
    # near = 2 tan((theta - theta_e) / 2), far = 2 tan((theta + theta_e) / 2) by the tangent
    # sum and difference formulas; far is capped at 2 tan(0.4995 pi)
    near = 2.0 * (tan_half - tan_half_e) / (1.0 + tan_half * tan_half_e)
    far_num = 2.0 * (tan_half + tan_half_e)
    far_den = 1.0 - tan_half * tan_half_e
    far_ok = far_den * _FAR_MAX > far_num
    far = jnp.where(far_ok, far_num / jnp.where(far_ok, far_den, 1.0), _FAR_MAX)
    earth_r = 0.5 * (far - near)
    sep = 0.5 * (far + near)

    no_overlap = sep >= sun_r + earth_r
    total = sep <= earth_r - sun_r
    annular = sep <= sun_r - earth_r
    partial = ~(no_overlap | total | annular)

    # Circle-overlap area as two circular segments cut by the common chord, each written
    # without cancellation (float32-safe): the chord lies at x from the Sun's centre, with
    # x = (sep^2 + sun_r^2 - earth_r^2) / (2 sep) = (near * far + sun_r^2) / (2 sep) because
    # sep - earth_r = near and sep + earth_r = far; each segment's half-angle comes from an
    # atan2, and the Earth's thin segment uses the series of phi - sin(phi) cos(phi).
    # A safe dummy geometry is used outside the partial region (double-where).
    near_p = jnp.where(partial, near, 0.0)
    far_p = jnp.where(partial, far, 2.0 * earth_r)
    sep_p = 0.5 * (far_p + near_p)
    x = (near_p * far_p + sun_r * sun_r) / (2.0 * sep_p)
    y = safe_sqrt((sun_r - x) * (sun_r + x))
    x_e = sep_p - x
    phi_sun = fastmath.atan2(y, x)
    phi_earth = fastmath.atan2(y, x_e)

    def sin_cos(a, b):  # sin(phi) cos(phi) of the right triangle with legs b (opposite) and a
        h2 = a * a + b * b
        return a * b / jnp.where(h2 > 0, h2, 1.0)

    overlap = (sun_r * sun_r * _segment_shape(phi_sun, sin_cos(x, y))
               + (0.5 * (far_p - near_p)) ** 2 * _segment_shape(phi_earth, sin_cos(x_e, y)))
    partial_fraction = 1.0 - overlap / (jnp.pi * sun_r * sun_r)

    annular_fraction = 1.0 - (earth_r * earth_r) / (sun_r * sun_r)
    fraction = jnp.where(
        no_overlap, 1.0, jnp.where(total, 0.0, jnp.where(annular, annular_fraction, partial_fraction))
    )
    return jnp.clip(fraction, 0.0, 1.0)


def sunlit_fraction_cylindrical(r_sat_eci_m, r_sun_eci_m, earth_radius_m, sun_radius_m):
    """1 or 0: the satellite is in the Earth's cylindrical shadow (Sun at infinity) or not.

    Same signature as :func:`sunlit_fraction_conical` (``sun_radius_m`` unused). The gradient
    is zero almost everywhere: use the conical model for gradient-based work.
    """
    del sun_radius_m
    s_hat = r_sun_eci_m / jnp.sqrt(jnp.sum(r_sun_eci_m * r_sun_eci_m))
    along = jnp.dot(r_sat_eci_m, s_hat)
    perp = r_sat_eci_m - along * s_hat
    in_shadow = (along < 0) & (jnp.sum(perp * perp) < earth_radius_m * earth_radius_m)
    return jnp.where(in_shadow, 0.0, 1.0).astype(r_sat_eci_m.dtype)


def beta_angle(r_eci_m, v_eci_m_s, r_sun_eci_m):
    """Beta angle [rad]: elevation of the Sun above the orbit plane, in [-pi/2, pi/2].

    sin(beta) = h_hat . s_hat, with h = r x v the orbit normal; computed as an atan2.
    """
    h = jnp.cross(r_eci_m, v_eci_m_s)
    h_hat = h / jnp.sqrt(jnp.sum(h * h))
    s_hat = r_sun_eci_m / jnp.sqrt(jnp.sum(r_sun_eci_m * r_sun_eci_m))
    along = jnp.dot(h_hat, s_hat)
    cross = jnp.cross(h_hat, s_hat)
    return fastmath.atan2(along, safe_sqrt(jnp.sum(cross * cross)))


#: WGS-84 flattening of the Earth ellipsoid
WGS84_FLATTENING = 1.0 / 298.257223563


def sunlit_fraction_conical_oblate(r_sat_eci_m, r_sun_eci_m, earth_radius_m, sun_radius_m):
    """Conical shadow of the WGS-84 ellipsoid (equatorial radius ``earth_radius_m``, polar
    radius (1 - f) times that, pole along ECI z).

    Scaling z by 1 / (1 - f) maps the ellipsoid onto a sphere of the equatorial radius; the
    conical model is applied in the scaled space (the Sun's disk is stretched by the same 0.3 %
    along z, which changes the penumbra shape by far less than the ellipsoid does).
    docs/notes/oblate_shadow.md measures the ellipsoid's effect: contacts move by up to 18 s
    in LEO against the sphere.
    """
    scale = jnp.asarray([1.0, 1.0, 1.0 / (1.0 - WGS84_FLATTENING)], dtype=r_sat_eci_m.dtype)
    return sunlit_fraction_conical(r_sat_eci_m * scale, r_sun_eci_m * scale, earth_radius_m, sun_radius_m)


class ShadowModel:
    """Interface of the shadow models (``SHADOW_MODELS``): an instance is called as
    ``model(r_sat_eci_m, r_sun_eci_m, earth_radius_m, sun_radius_m)`` and returns the sunlit
    fraction in [0, 1]; ``fraction`` is the pure function it wraps."""

    fraction = None  # set by each model

    def __call__(self, r_sat_eci_m, r_sun_eci_m, earth_radius_m, sun_radius_m):
        return type(self).fraction(r_sat_eci_m, r_sun_eci_m, earth_radius_m, sun_radius_m)


class ConicalShadow(ShadowModel):
    """Spherical Earth, umbra and penumbra: :func:`sunlit_fraction_conical`."""

    fraction = staticmethod(sunlit_fraction_conical)


class ConicalOblateShadow(ShadowModel):
    """WGS-84 ellipsoid, umbra and penumbra: :func:`sunlit_fraction_conical_oblate`."""

    fraction = staticmethod(sunlit_fraction_conical_oblate)


class CylindricalShadow(ShadowModel):
    """Cylindrical shadow, Sun at infinity: :func:`sunlit_fraction_cylindrical`."""

    fraction = staticmethod(sunlit_fraction_cylindrical)


SHADOW_MODELS = Registry("shadow model", {
    "conical": ConicalShadow,
    "conical_oblate": ConicalOblateShadow,
    "cylindrical": CylindricalShadow,
})
