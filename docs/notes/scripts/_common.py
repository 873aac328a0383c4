"""Shared helpers for the design-note scripts in docs/notes/scripts/ (not a public API).

Every script measures a neglected effect with the project's own kernels, switching one thing
(the radius or shape of the shadowing Earth, the Sun's position, the J2 axis) and comparing:

* ``sun_eci_m``: the kernel's apparent Sun (``orbital_sim.kernels.sun.sun_position_eci``) at
  TT seconds after an epoch, optionally with an extra ecliptic-longitude offset.
* ``sunlit``: the kernel's conical shadow (``orbital_sim.kernels.shadow.sunlit_fraction_conical``)
  batched over many positions.
* ``CircularOrbits`` and ``contacts``: eclipse contact times of circular Keplerian orbits, found
  on a time grid and refined by bisection to well below a millisecond.

A "contact" here is the instant the sunlit fraction crosses 0.5 (half of the solar disk hidden),
i.e. the middle of the penumbra crossing; ingress and egress are reported separately.

float64 is switched on here (scripts are entry points; the kernels never touch jax.config).
Arrays are padded to a fixed batch size so each jitted function compiles once per script.
"""

from __future__ import annotations

import math
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from orbital_sim import timescales  # noqa: E402
from orbital_sim.kernels import constants as c  # noqa: E402
from orbital_sim.kernels import sun as ksun  # noqa: E402
from orbital_sim.kernels.shadow import sunlit_fraction_conical  # noqa: E402

ARCSEC = c.ARCSEC_RAD
GM = c.GM_EARTH_M3_S2
R_EQ_M = c.R_EARTH_EQ_M
R_SUN_M = c.R_SUN_M
WGS84_INV_FLATTENING = 298.257223563  # WGS-84 (NIMA TR8350.2)
R_POLAR_M = R_EQ_M * (1.0 - 1.0 / WGS84_INV_FLATTENING)  # 6356.752 km
R_GEO_M = 42_164.17e3  # geostationary radius, (GM / omega_earth^2)^(1/3)
BUCKETS = (1 << 10, 1 << 13, 1 << 16)  # padded batch sizes: at most three compilations per function

def cpu_seconds():
    """CPU seconds (user + system) used by this process since it started (printed at the end)."""
    return time.process_time()


def epoch_tt(iso_utc):
    """Two-part TT Julian date (whole, fraction) of a UTC instant, via orbital_sim.timescales."""
    return timescales.julian_date_tt_two_part(timescales.parse_epoch(iso_utc))


def _padded_call(fn, *arrays):
    """Call a jitted, row-wise ``fn`` on arrays with a common leading axis, in padded batches."""
    n = arrays[0].shape[0]
    out = []
    start = 0
    while start < n:
        size = next((b for b in BUCKETS if b >= n - start), BUCKETS[-1])
        chunk = [a[start:start + size] for a in arrays]
        m = chunk[0].shape[0]
        if m < size:
            chunk = [np.concatenate([a, np.repeat(a[-1:], size - m, axis=0)]) for a in chunk]
        out.append(np.asarray(fn(*chunk))[:m])
        start += size
    return np.concatenate(out) if out else np.zeros((0,))


# --- Sun ----------------------------------------------------------------------------------------

def _sun_with_offset(jd_whole, jd_fraction, dlon_rad):
    """Kernel Sun, with ``dlon_rad`` added to its apparent ecliptic longitude of date.

    Same steps as ``kernels.sun.sun_position_eci`` (ecliptic of date -> mean equator of date ->
    J2000 by IAU 1976 precession); with ``dlon_rad = 0`` it is that function.
    """
    t = ksun.julian_centuries_tt(jd_whole, jd_fraction)
    lon, lat, dist_au = ksun.sun_ecliptic_of_date(t)
    lon = lon + dlon_rad
    eps = ksun.mean_obliquity_rad(t)
    x = jnp.cos(lat) * jnp.cos(lon)
    y = jnp.cos(lat) * jnp.sin(lon)
    z = jnp.sin(lat)
    u_date = jnp.stack([x, jnp.cos(eps) * y - jnp.sin(eps) * z, jnp.sin(eps) * y + jnp.cos(eps) * z])
    zeta, zz, theta = ksun.precession_angles_rad(t)

    def rz(a):
        ca, sa = jnp.cos(a), jnp.sin(a)
        return jnp.array([[ca, sa, 0.0], [-sa, ca, 0.0], [0.0, 0.0, 1.0]])

    def ry(a):
        ca, sa = jnp.cos(a), jnp.sin(a)
        return jnp.array([[ca, 0.0, -sa], [0.0, 1.0, 0.0], [sa, 0.0, ca]])

    precession = rz(-zz) @ ry(theta) @ rz(-zeta)
    return precession.T @ u_date * (dist_au * c.AU_M)


_sun_kernel = jax.jit(jax.vmap(ksun.sun_position_eci, in_axes=(0, 0)))
_sun_offset = jax.jit(jax.vmap(_sun_with_offset, in_axes=(0, 0, 0)))
_sun_lon_aberration = jax.jit(jax.vmap(
    lambda w, f: ksun.sun_ecliptic_of_date(ksun.julian_centuries_tt(w, f))[2], in_axes=(0, 0)))


class SunTable:
    """``sun_eci_m`` sampled every ``step_s`` over [t0_s, t1_s] and interpolated linearly: a
    callable ``t_s (k,) -> (k, 3)`` for ``contacts``. Over 60 s the Sun's path bends by about
    1e-11 rad, so the interpolation error is far below anything measured here.
    ``shift_s``: evaluate the Sun at ``t - shift_s`` (e.g. TT - UTC, to use UTC as TT).
    """

    def __init__(self, epoch, t0_s, t1_s, step_s=60.0, shift_s=0.0, **sun_options):
        self.t0_s, self.step_s = float(t0_s), float(step_s)
        k = int(np.ceil((t1_s - t0_s) / step_s)) + 2
        self.grid = sun_eci_m(epoch, self.t0_s + np.arange(k) * step_s - shift_s, **sun_options)

    def __call__(self, t_s):
        x = (np.asarray(t_s, float) - self.t0_s) / self.step_s
        j = np.clip(np.floor(x).astype(int), 0, self.grid.shape[0] - 2)
        w = (x - j)[:, None]
        return (1.0 - w) * self.grid[j] + w * self.grid[j + 1]


def sun_eci_m(epoch, t_s, dlon_rad=None, aberration_removed=False):
    """Kernel Sun [m], (n, 3), at TT seconds ``t_s`` (n,) after ``epoch`` = (whole, fraction).

    ``dlon_rad``: optional extra ecliptic longitude (n,) or scalar. ``aberration_removed``: add
    back the kernel's -20.4898"/R, giving the geometric (light-time- and aberration-free) Sun.
    """
    t_s = np.atleast_1d(np.asarray(t_s, float))
    whole = np.full(t_s.shape, float(epoch[0]))
    frac = float(epoch[1]) + t_s / c.SECONDS_PER_DAY
    if dlon_rad is None and not aberration_removed:
        return _padded_call(_sun_kernel, whole, frac)
    dlon = np.broadcast_to(np.asarray(0.0 if dlon_rad is None else dlon_rad, float), t_s.shape).copy()
    if aberration_removed:
        dist_au = _padded_call(_sun_lon_aberration, whole, frac)
        dlon = dlon + 20.4898 * ARCSEC / dist_au
    return _padded_call(_sun_offset, whole, frac, dlon)


# --- shadow -------------------------------------------------------------------------------------

_conical = jax.jit(jax.vmap(sunlit_fraction_conical, in_axes=(0, 0, 0, 0)))


def sunlit(r_sat_m, r_sun_m, body_radius_m, sun_radius_m=R_SUN_M):
    """Kernel conical sunlit fraction for rows of positions (n, 3); radii scalar or (n,)."""
    n = r_sat_m.shape[0]
    rb = np.broadcast_to(np.asarray(body_radius_m, float), (n,)).copy()
    rs = np.broadcast_to(np.asarray(sun_radius_m, float), (n,)).copy()
    return _padded_call(_conical, np.asarray(r_sat_m, float), np.asarray(r_sun_m, float), rb, rs)


def sphere_shadow(radius_m):
    """Shadow model: a sphere of ``radius_m`` (the kernel as configured)."""
    return lambda r, s: sunlit(r, s, radius_m)


def ellipsoid_shadow(a_m=R_EQ_M, b_m=R_POLAR_M):
    """Shadow model: an oblate ellipsoid (axes a, a, b), through the scaling z -> z a/b.

    The affine map z -> z a/b turns the ellipsoid into the sphere of radius a and keeps straight
    lines straight, so a sight line from the satellite misses the ellipsoid exactly when its
    image misses the sphere; the kernel then works on the scaled satellite and Sun. The scaled
    Sun is slightly ellipsoidal itself (axis ratio 1.0034) and its distance changes by at most
    0.34 %: the disk radius the kernel uses is off by at most 0.34 % of 0.27 deg, which moves a
    contact by at most 0.34 % of the penumbra crossing time (0.03 s in LEO).
    """
    scale = np.array([1.0, 1.0, a_m / b_m])
    return lambda r, s: sunlit(r * scale, s * scale, a_m)


# --- orbits and contacts ------------------------------------------------------------------------

class CircularOrbits:
    """Circular Keplerian orbits (no J2: the contact comparisons need one revolution only).

    ``a_m``, ``i_rad``, ``raan_rad``, ``u0_rad``: (n,) radius, inclination, node, argument of
    latitude at t = 0.
    """

    def __init__(self, a_m, i_rad, raan_rad, u0_rad):
        self.a_m, self.i_rad, self.raan_rad, self.u0_rad = (np.asarray(x, float) for x in (a_m, i_rad, raan_rad, u0_rad))
        self.n_rad_s = np.sqrt(GM / self.a_m**3)
        self.period_s = 2 * np.pi / self.n_rad_s
        co, so = np.cos(self.raan_rad), np.sin(self.raan_rad)
        ci, si = np.cos(self.i_rad), np.sin(self.i_rad)
        self.p_hat = np.stack([co, so, np.zeros_like(co)], axis=-1)  # towards the ascending node
        self.q_hat = np.stack([-so * ci, co * ci, si], axis=-1)
        self.h_hat = np.cross(self.p_hat, self.q_hat)

    def __len__(self):
        return self.a_m.shape[0]

    def position(self, idx, t_s):
        """ECI position [m] (k, 3) of orbits ``idx`` (k,) at times ``t_s`` (k,)."""
        u = self.u0_rad[idx] + self.n_rad_s[idx] * t_s
        return self.a_m[idx, None] * (np.cos(u)[:, None] * self.p_hat[idx] + np.sin(u)[:, None] * self.q_hat[idx])

    def noon_u0(self, s_hat):
        """Arguments of latitude of the point of each orbit nearest the Sun direction(s) (n, 3)."""
        return np.arctan2(np.sum(s_hat * self.q_hat, -1), np.sum(s_hat * self.p_hat, -1))

    def beta_rad(self, s_hat):
        return np.arcsin(np.clip(np.sum(self.h_hat * s_hat, -1), -1, 1))


def orbits_facing_sun(epoch, a_m, i_rad, raan_rad):
    """CircularOrbits that start (t = 0) at their point nearest the Sun (so in sunlight)."""
    a_m, i_rad, raan_rad = np.broadcast_arrays(*(np.atleast_1d(np.asarray(x, float)) for x in (a_m, i_rad, raan_rad)))
    orbits = CircularOrbits(a_m, i_rad, raan_rad, np.zeros_like(a_m))
    s = sun_eci_m(epoch, np.zeros(1))[0]
    orbits.u0_rad = orbits.noon_u0(s / np.linalg.norm(s))
    return orbits


def contacts(orbits, sun_fn, shadow_fn, step_s, level=0.5, iterations=48):
    """Ingress and egress times [s] (n,) of each orbit's first eclipse after t = 0.

    ``sun_fn(t_s)``: Sun positions (k, 3) at times (k,). ``shadow_fn(r, s)``: sunlit fraction
    (k,). The search covers one revolution from t = 0 on a grid of ``step_s`` and refines the
    crossing of ``level`` by bisection (``iterations`` halvings of the step). NaN where an orbit
    has no eclipse (or no crossing) in that revolution.
    """
    n = len(orbits)
    k = int(np.ceil(np.max(orbits.period_s) / step_s)) + 1
    idx = np.repeat(np.arange(n), k)
    t_grid = np.tile(np.arange(k) * step_s, n)
    f = shadow_fn(orbits.position(idx, t_grid), sun_fn(t_grid)).reshape(n, k)
    valid = (np.arange(k)[None, :] * step_s) <= orbits.period_s[:, None]
    lit = (f >= level) | ~valid
    down = lit[:, :-1] & ~lit[:, 1:]
    up = ~lit[:, :-1] & lit[:, 1:] & valid[:, 1:]
    has_down = down.any(1)
    k_in = np.argmax(down, 1)
    # first upward crossing after the ingress
    after = up & (np.arange(k - 1)[None, :] > k_in[:, None])
    has_up = after.any(1) & has_down
    k_out = np.argmax(after, 1)

    def refine(k0, going_dark):
        lo = k0 * step_s
        hi = lo + step_s
        rows = np.arange(n)
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            fm = shadow_fn(orbits.position(rows, mid), sun_fn(mid))
            dark = fm < level
            if going_dark:
                hi, lo = np.where(dark, mid, hi), np.where(dark, lo, mid)
            else:
                hi, lo = np.where(dark, hi, mid), np.where(dark, mid, lo)
        return 0.5 * (lo + hi)

    t_in = np.where(has_down, refine(k_in, True), np.nan)
    t_out = np.where(has_up, refine(k_out, False), np.nan)
    return t_in, t_out


def grazing_latitude_deg(orbits, t_s, sun_fn):
    """Geocentric latitude [deg] of the point where the sight line to the Sun's centre passes
    closest to the Earth's centre, at times ``t_s`` (n,) (NaN rows give NaN)."""
    ok = np.isfinite(t_s)
    t = np.where(ok, t_s, 0.0)
    r = orbits.position(np.arange(len(orbits)), t)
    s = sun_fn(t)
    s_hat = s / np.linalg.norm(s, axis=1, keepdims=True)
    p = r - np.sum(r * s_hat, 1, keepdims=True) * s_hat
    lat = np.degrees(np.arcsin(p[:, 2] / np.linalg.norm(p, axis=1)))
    return np.where(ok, lat, np.nan)


def fmt(x, digits=3):
    """Number formatting for the printed tables."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "nan"
    return f"{x:.{digits}f}"
