"""Independent eclipse-contact reference: exact contact times of the conical shadow.

For an initial ECI state at a UTC epoch, the reference

1. integrates point mass + J2 (about the ECI z axis) with ``scipy.integrate.solve_ivp`` DOP853,
   ``rtol = 1e-12``, ``atol = 1e-9`` (m, m/s), with dense output (the 7th-order interpolant of
   the same steps), using the complex-step J2 acceleration of ``orbit_ref``;
2. takes the apparent geocentric Sun in GCRS from astropy (ERFA ``epv00`` + aberration and
   light time, ``sun_ref.sun_gcrs_m``) every 10 min and interpolates each coordinate with a
   cubic spline (the Sun's geocentric motion is smooth on that scale: interpolation error below
   1 m, far under the solar radius);
3. writes the contact conditions of the conical shadow of a spherical Earth of radius
   6378.137 km exactly. Seen from the satellite at r, the Earth is a disk of angular radius
   theta_e = asin(R_earth / |r|) centred on -r and the Sun a disk of angular radius
   theta_s = asin(R_sun / |s - r|) centred on s - r, their centres c apart. Then

   - penumbra contact (first/fourth contact): c = theta_e + theta_s (disks touch externally),
   - umbra contact (second/third contact):    c = theta_e - theta_s (Sun disk touches the
     Earth disk from inside),

   i.e. the satellite lies on the penumbra or umbra cone tangent to both spheres. The functions
   g_pen = c - theta_e - theta_s and g_umb = c - theta_e + theta_s are smooth in time; their
   sign changes are bracketed on a 1 s grid and refined with ``scipy.optimize.brentq``
   (xtol 1e-7 s).

Nothing here imports ``kernels`` or ``orbital_sim``. The contact times are exact for the stated
model (spherical Earth and Sun, uniform disk, no atmosphere, no oblateness of the shadow) to
the accuracy of the orbit (about 1e-5 m per orbit in LEO) and of the Sun (ERFA, well under
0.1 arcsec): far below 1 ms.
"""

import warnings

import erfa
import numpy as np
from astropy.time import Time, TimeDelta
from scipy.integrate import solve_ivp
from scipy.interpolate import CubicSpline
from scipy.optimize import brentq

from . import sun_ref
from .constants_ref import GM_EARTH_M3_S2, J2_EARTH, R_EARTH_EQ_M, R_SUN_M
from .orbit_ref import acceleration_point_mass_j2

CONTACT_NAMES = ("penumbra_entry", "umbra_entry", "umbra_exit", "penumbra_exit")


def epoch_time(epoch_utc_iso):
    """astropy ``Time`` (UTC) from an ISO 8601 string such as "2026-03-20T00:00:00Z"."""
    text = epoch_utc_iso.strip()
    if text.endswith("Z"):
        text = text[:-1]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*dubious year.*", category=erfa.ErfaWarning)
        return Time(text, format="isot", scale="utc")


def sun_spline(epoch_utc_iso, t_end_s, node_spacing_s=600.0):
    """Cubic-spline interpolant of the apparent geocentric Sun (GCRS, m) over [0, t_end_s].

    ``t`` is elapsed SI seconds since the UTC epoch (the simulator's time axis). Nodes every
    ``node_spacing_s`` from one spacing before 0 to two after ``t_end_s``. Returns a callable
    ``f(t) -> (3,)`` or ``(n, 3)``.
    """
    t_nodes = np.arange(-node_spacing_s, t_end_s + 2.5 * node_spacing_s, node_spacing_s)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*dubious year.*", category=erfa.ErfaWarning)
        times = epoch_time(epoch_utc_iso).tt + TimeDelta(t_nodes, format="sec")
    return CubicSpline(t_nodes, sun_ref.sun_gcrs_m(times), axis=0)


def propagate_dense(r0_m, v0_m_s, t_end_s, gm=GM_EARTH_M3_S2, r_eq_m=R_EARTH_EQ_M, j2=J2_EARTH):
    """Dense solution of point mass + J2 from the state at t = 0 to ``t_end_s``.

    Returns a callable ``f(t) -> (6, ...)`` (position m, velocity m/s) valid on [0, t_end_s].
    DOP853, rtol 1e-12, atol 1e-9.
    """
    y0 = np.concatenate([np.asarray(r0_m, float), np.asarray(v0_m_s, float)])

    def rhs(_t, y):
        dy = np.empty(6)
        dy[:3] = y[3:]
        dy[3:] = acceleration_point_mass_j2(y[:3], gm, r_eq_m, j2)
        return dy

    sol = solve_ivp(rhs, (0.0, float(t_end_s)), y0, method="DOP853", dense_output=True,
                    rtol=1e-12, atol=1e-9)
    if not sol.success:
        raise RuntimeError(sol.message)
    return sol.sol


def contact_functions(r_m, r_sun_m, r_earth_m=R_EARTH_EQ_M, r_sun_radius_m=R_SUN_M):
    """(g_pen, g_umb) in rad for satellite positions r_m (n, 3) and Sun positions (n, 3).

    g_pen < 0: inside the penumbra cone (partly or fully shadowed); g_umb < 0: inside the umbra.
    """
    r = np.atleast_2d(r_m)
    to_sun = np.atleast_2d(r_sun_m) - r
    to_earth = -r
    cross = np.cross(to_earth, to_sun)
    c = np.arctan2(np.linalg.norm(cross, axis=-1), np.sum(to_earth * to_sun, axis=-1))
    theta_e = np.arcsin(r_earth_m / np.linalg.norm(r, axis=-1))
    theta_s = np.arcsin(r_sun_radius_m / np.linalg.norm(to_sun, axis=-1))
    return c - theta_e - theta_s, c - theta_e + theta_s


class EclipseReference:
    """Trajectory, Sun and contact functions for one satellite over [0, t_end_s].

    ``epoch_utc_iso``: the run epoch (UTC, ISO 8601); ``r0_m``, ``v0_m_s``: ECI (GCRS) state at
    the epoch; ``sun_fn``: optional ``f(t) -> (n, 3)`` Sun position in m replacing astropy
    (used by the self-tests); ``j2``: zonal coefficient (0 for two-body).
    """

    def __init__(self, epoch_utc_iso, r0_m, v0_m_s, t_end_s, sun_fn=None, j2=J2_EARTH,
                 r_earth_m=R_EARTH_EQ_M, r_sun_radius_m=R_SUN_M):
        self.t_end_s = float(t_end_s)
        self.orbit = propagate_dense(r0_m, v0_m_s, t_end_s, j2=j2)
        self.sun = sun_fn if sun_fn is not None else sun_spline(epoch_utc_iso, t_end_s)
        self.r_earth_m = r_earth_m
        self.r_sun_radius_m = r_sun_radius_m

    def position(self, t_s):
        """Satellite ECI position (n, 3) in m at times t_s (n,)."""
        return np.atleast_2d(self.orbit(np.atleast_1d(t_s))[:3].T)

    def g(self, t_s):
        """(g_pen, g_umb) arrays (n,) in rad at times t_s."""
        t = np.atleast_1d(np.asarray(t_s, float))
        return contact_functions(self.position(t), self.sun(t), self.r_earth_m, self.r_sun_radius_m)

    def contacts(self, grid_step_s=1.0, t_start_s=0.0):
        """Contact times in [t_start_s, t_end_s]: dict of the four CONTACT_NAMES -> arrays (s),
        in time order, plus ``min_g_pen`` (rad): the smallest g_pen on the grid (its sign says
        whether any shadow was met; its size is the margin when none was)."""
        n = int(np.ceil((self.t_end_s - t_start_s) / grid_step_s))
        grid = np.minimum(t_start_s + grid_step_s * np.arange(n + 1), self.t_end_s)
        g_pen, g_umb = self.g(grid)
        out = {}
        for index, values, entry_name, exit_name in ((0, g_pen, "penumbra_entry", "penumbra_exit"),
                                                      (1, g_umb, "umbra_entry", "umbra_exit")):
            def f(t, index=index):
                return float(self.g([t])[index][0])

            entries, exits = [], []
            for k in np.nonzero(np.sign(values[:-1]) != np.sign(values[1:]))[0]:
                if values[k] == 0.0:
                    root = grid[k]
                else:
                    root = brentq(f, grid[k], grid[k + 1], xtol=1e-7, rtol=1e-15, maxiter=200)
                (entries if values[k] > values[k + 1] else exits).append(root)
            out[entry_name] = np.asarray(entries)
            out[exit_name] = np.asarray(exits)
        out["min_g_pen"] = float(np.min(g_pen))
        return out


def eclipse_contacts(epoch_utc_iso, r0_m, v0_m_s, t_end_s, grid_step_s=1.0, **kwargs):
    """Contact times (s since the epoch) of the conical shadow along the J2 orbit from (r0, v0).

    Shorthand for ``EclipseReference(...).contacts(grid_step_s)``; see there for the result.
    """
    return EclipseReference(epoch_utc_iso, r0_m, v0_m_s, t_end_s, **kwargs).contacts(grid_step_s)


def cone_contact_angles(r_orbit_m, d_sun_m, r_earth_m=R_EARTH_EQ_M, r_sun_radius_m=R_SUN_M):
    """Closed form for the self-test: angles (rad) from the anti-Sun axis at which a point at
    distance ``r_orbit_m`` from the Earth's centre, in a plane containing the Earth-Sun line,
    crosses the penumbra and the umbra cones (Sun fixed at distance ``d_sun_m``).

    The penumbra cone (internal tangents) has its apex between Earth and Sun at
    x_p = d R_e / (R_s + R_e) and half-angle asin((R_s + R_e) / d); the umbra cone (external
    tangents) its apex behind the Earth at x_u = d R_e / (R_s - R_e) and half-angle
    asin((R_s - R_e) / d). With x_p sin(alpha_p) = x_u sin(alpha_u) = R_e the crossing angles are
    phi_pen = alpha_p + asin(R_e / r) and phi_umb = asin(R_e / r) - alpha_u.
    """
    alpha_p = np.arcsin((r_sun_radius_m + r_earth_m) / d_sun_m)
    alpha_u = np.arcsin((r_sun_radius_m - r_earth_m) / d_sun_m)
    half = np.arcsin(r_earth_m / r_orbit_m)
    return alpha_p + half, half - alpha_u


__all__ = ["CONTACT_NAMES", "EclipseReference", "contact_functions", "cone_contact_angles",
           "eclipse_contacts", "epoch_time", "propagate_dense", "sun_spline"]
