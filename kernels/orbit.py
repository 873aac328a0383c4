"""Orbit propagation: Keplerian elements <-> ECI state, point mass + J2 (Cowell, RK4 or RK8) and
analytic J2-secular propagation of mean elements.

Frame: ECI (GCRS axes, treated as J2000); the Earth's rotation axis is the z axis for the
zonal harmonic J2 (precession and nutation of the pole neglected).

Sources: Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed. (2013):
algorithms 9 (COE2RV), 10 (RV2COE); J2 acceleration eq. 8-30; secular rates eq. 9-41.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .registry import Registry
from .safe import safe_norm

_KEPLER_NEWTON_ITERATIONS = 12  # bracketed: |E error| < 2e-14 rad for e <= 0.9999, any M (see solve_kepler)


def solve_kepler(mean_anomaly_rad, e):
    """Eccentric anomaly E [rad] from M = E - e sin E by a fixed number of bracketed Newton steps.

    ``mean_anomaly_rad``: [rad] any real; ``e``: eccentricity in [0, 1). Same shape. Returns E
    in [-pi, pi].

    M is reduced to (-pi, pi] and, by the odd symmetry E(-M) = -E(M), to m = |M| in [0, pi].
    There the root lies in [m, min(m + e, pi)] (E - m = e sin E is in [0, e]) and
    f(E) = E - e sin E - m is increasing and convex (f'' = e sin E >= 0), so a Newton step
    from any point of the bracket lands at or right of the root, and clipping to the bracket
    keeps every later step there: convergence is monotone, with no divergence at high e.
    Starting guess m + e sin m / (1 - sin(m + e) + sin m) (Vallado 4th ed., section 2.2).
    Measured against SciPy's brentq (tests/kernels/test_kepler.py): after 12 steps
    |E - E_ref| < 2e-14 rad for every e <= 0.9999 and M on the circle (the config accepts
    e <= 0.99). The iteration carries no gradient; one last unclipped Newton step at the
    converged root gives the implicit-function derivatives dE/dM = 1 / (1 - e cos E) and
    dE/de = sin E / (1 - e cos E). A fixed iteration count keeps the function jit-friendly.
    """
    m_wrapped = jnp.mod(mean_anomaly_rad + jnp.pi, 2 * jnp.pi) - jnp.pi  # [-pi, pi)
    sign = jnp.where(m_wrapped < 0, -1.0, 1.0).astype(m_wrapped.dtype)
    m = sign * m_wrapped  # [0, pi]
    m_c, e_c = jax.lax.stop_gradient(m), jax.lax.stop_gradient(e)
    upper = jnp.minimum(m_c + e_c, jnp.pi)
    guess = m_c + e_c * jnp.sin(m_c) / (1.0 - jnp.sin(m_c + e_c) + jnp.sin(m_c))
    guess = jnp.clip(jnp.where(jnp.isfinite(guess), guess, upper), m_c, upper)

    def newton(_, ecc):
        step = (ecc - e_c * jnp.sin(ecc) - m_c) / (1.0 - e_c * jnp.cos(ecc))
        return jnp.clip(ecc - step, m_c, upper)

    root = jax.lax.stop_gradient(jax.lax.fori_loop(0, _KEPLER_NEWTON_ITERATIONS, newton, guess))
    ecc_anomaly = root - (root - e * jnp.sin(root) - m) / (1.0 - e * jnp.cos(root))
    return sign * ecc_anomaly


def elements_to_state(a_m, e, i_rad, raan_rad, argp_rad, mean_anomaly_rad, gm_m3_s2):
    """ECI position [m] (3,) and velocity [m/s] (3,) from classical Keplerian elements.

    Elliptic orbits only (0 <= e < 1). Scalars in; vmap for many.
    """
    ecc_anomaly = solve_kepler(mean_anomaly_rad, e)
    cos_e, sin_e = jnp.cos(ecc_anomaly), jnp.sin(ecc_anomaly)
    sqrt_1me2 = jnp.sqrt(1.0 - e * e)
    # perifocal (PQW) position and velocity
    x_pf = a_m * (cos_e - e)
    y_pf = a_m * sqrt_1me2 * sin_e
    r_m = a_m * (1.0 - e * cos_e)
    speed_factor = jnp.sqrt(gm_m3_s2 * a_m) / r_m
    vx_pf = -speed_factor * sin_e
    vy_pf = speed_factor * sqrt_1me2 * cos_e
    p_hat, q_hat = _perifocal_axes(i_rad, raan_rad, argp_rad)
    r_eci_m = x_pf * p_hat + y_pf * q_hat
    v_eci_m_s = vx_pf * p_hat + vy_pf * q_hat
    return r_eci_m, v_eci_m_s


def _perifocal_axes(i_rad, raan_rad, argp_rad):
    """Unit vectors P (to periapsis) and Q (90 deg ahead in the orbit plane), ECI, (3,) each."""
    co, so = jnp.cos(raan_rad), jnp.sin(raan_rad)
    cw, sw = jnp.cos(argp_rad), jnp.sin(argp_rad)
    ci, si = jnp.cos(i_rad), jnp.sin(i_rad)
    p_hat = jnp.stack([co * cw - so * sw * ci, so * cw + co * sw * ci, sw * si])
    q_hat = jnp.stack([-co * sw - so * cw * ci, -so * sw + co * cw * ci, cw * si])
    return p_hat, q_hat


def state_to_elements(r_eci_m, v_eci_m_s, gm_m3_s2):
    """Classical elements (a_m, e, i_rad, raan_rad, argp_rad, mean_anomaly_rad) from an ECI
    state. Elliptic orbits. For circular or equatorial orbits the undefined angles follow the
    usual conventions: raan = 0 when equatorial, argp = 0 when circular (the anomaly then
    carries the argument of latitude or true longitude).
    """
    dtype = r_eci_m.dtype
    r = safe_norm(r_eci_m)
    v2 = jnp.sum(v_eci_m_s * v_eci_m_s)
    h_vec = jnp.cross(r_eci_m, v_eci_m_s)
    h = safe_norm(h_vec)
    a_m = 1.0 / (2.0 / r - v2 / gm_m3_s2)
    e_vec = jnp.cross(v_eci_m_s, h_vec) / gm_m3_s2 - r_eci_m / r
    e = safe_norm(e_vec)
    i_rad = jnp.arctan2(jnp.hypot(h_vec[0], h_vec[1]), h_vec[2])
    z_hat = jnp.asarray([0.0, 0.0, 1.0], dtype)
    n_vec = jnp.cross(z_hat, h_vec)  # line of nodes
    n = safe_norm(n_vec)
    eps = jnp.asarray(1e-11, dtype)
    equatorial = n < eps * h
    circular = e < eps
    x_ref = jnp.where(equatorial, jnp.asarray([1.0, 0.0, 0.0], dtype), n_vec / jnp.where(equatorial, 1.0, n))
    raan_rad = jnp.where(equatorial, 0.0, jnp.mod(jnp.arctan2(n_vec[1], n_vec[0]), 2 * jnp.pi))
    h_hat = h_vec / h
    y_ref = jnp.cross(h_hat, x_ref)
    # argument of periapsis measured from x_ref in the orbit plane
    argp_rad = jnp.where(
        circular, 0.0, jnp.mod(jnp.arctan2(jnp.dot(e_vec, y_ref), jnp.dot(e_vec, x_ref)), 2 * jnp.pi)
    )
    # true anomaly measured from periapsis (or from x_ref when circular)
    u = jnp.arctan2(jnp.dot(r_eci_m, y_ref), jnp.dot(r_eci_m, x_ref))
    nu = u - argp_rad
    ecc_anomaly = 2.0 * jnp.arctan2(jnp.sqrt(1.0 - e) * jnp.sin(nu / 2), jnp.sqrt(1.0 + e) * jnp.cos(nu / 2))
    mean_anomaly_rad = jnp.mod(ecc_anomaly - e * jnp.sin(ecc_anomaly), 2 * jnp.pi)
    return a_m, e, i_rad, raan_rad, argp_rad, mean_anomaly_rad


def accel_point_mass_j2(r_eci_m, gm_m3_s2, r_eq_m, j2):
    """Gravitational acceleration [m/s^2] (3,) of a point mass plus the J2 zonal term.

    Vallado eq. 8-30; the pole is the ECI z axis.
    """
    r2 = jnp.sum(r_eci_m * r_eci_m)
    r = jnp.sqrt(r2)
    z2_over_r2 = r_eci_m[2] * r_eci_m[2] / r2
    mu_over_r3 = gm_m3_s2 / (r2 * r)
    k = 1.5 * j2 * r_eq_m * r_eq_m / r2
    factor_xy = 1.0 + k * (1.0 - 5.0 * z2_over_r2)
    factor_z = 1.0 + k * (3.0 - 5.0 * z2_over_r2)
    return -mu_over_r3 * r_eci_m * jnp.stack([factor_xy, factor_xy, factor_z])


def rk4_step(r_eci_m, v_eci_m_s, dt_s, accel_fn):
    """One classical fourth-order Runge-Kutta step of r'' = accel_fn(r, v). Returns (r, v)."""
    a1 = accel_fn(r_eci_m, v_eci_m_s)
    r2 = r_eci_m + 0.5 * dt_s * v_eci_m_s
    v2 = v_eci_m_s + 0.5 * dt_s * a1
    a2 = accel_fn(r2, v2)
    r3 = r_eci_m + 0.5 * dt_s * v2
    v3 = v_eci_m_s + 0.5 * dt_s * a2
    a3 = accel_fn(r3, v3)
    r4 = r_eci_m + dt_s * v3
    v4 = v_eci_m_s + dt_s * a3
    a4 = accel_fn(r4, v4)
    r_new = r_eci_m + dt_s / 6.0 * (v_eci_m_s + 2.0 * v2 + 2.0 * v3 + v4)
    v_new = v_eci_m_s + dt_s / 6.0 * (a1 + 2.0 * a2 + 2.0 * a3 + a4)
    return r_new, v_new


# Dormand & Prince's 8th-order Runge-Kutta (the 12-stage 8th-order solution of DOP853: Hairer,
# Norsett & Wanner, *Solving Ordinary Differential Equations I*, 2nd ed., 1993, sec. II.10;
# coefficients as in Hairer's dop853.f, also scipy.integrate._ivp.dop853_coefficients), used here
# with a fixed step and without its error estimator. Rows of A list (column, coefficient) pairs
# for the nonzero entries. docs/notes/orbit_integrators.md says why this method.
_RK8_C = (0.0, 0.05260015195876773, 0.0789002279381516, 0.1183503419072274, 0.2816496580927726, 0.3333333333333333, 0.25, 0.3076923076923077, 0.6512820512820513, 0.6, 0.8571428571428571, 1.0)
_RK8_A = (
    (),
    ((0, 0.05260015195876773),),
    ((0, 0.0197250569845379), (1, 0.0591751709536137)),
    ((0, 0.02958758547680685), (2, 0.08876275643042054)),
    ((0, 0.2413651341592667), (2, -0.8845494793282861), (3, 0.924834003261792)),
    ((0, 0.037037037037037035), (3, 0.17082860872947386), (4, 0.12546768756682242)),
    ((0, 0.037109375), (3, 0.17025221101954405), (4, 0.06021653898045596), (5, -0.017578125)),
    ((0, 0.03709200011850479), (3, 0.17038392571223998), (4, 0.10726203044637328), (5, -0.015319437748624402), (6, 0.008273789163814023)),
    ((0, 0.6241109587160757), (3, -3.3608926294469414), (4, -0.868219346841726), (5, 27.59209969944671), (6, 20.154067550477894), (7, -43.48988418106996)),
    ((0, 0.47766253643826434), (3, -2.4881146199716677), (4, -0.590290826836843), (5, 21.230051448181193), (6, 15.279233632882423), (7, -33.28821096898486), (8, -0.020331201708508627)),
    ((0, -0.9371424300859873), (3, 5.186372428844064), (4, 1.0914373489967295), (5, -8.149787010746927), (6, -18.52006565999696), (7, 22.739487099350505), (8, 2.4936055526796523), (9, -3.0467644718982196)),
    ((0, 2.273310147516538), (3, -10.53449546673725), (4, -2.0008720582248625), (5, -17.9589318631188), (6, 27.94888452941996), (7, -2.8589982771350235), (8, -8.87285693353063), (9, 12.360567175794303), (10, 0.6433927460157636)),
)
_RK8_B = ((0, 0.054293734116568765), (5, 4.450312892752409), (6, 1.8915178993145003), (7, -5.801203960010585), (8, 0.3111643669578199), (9, -0.1521609496625161), (10, 0.20136540080403034), (11, 0.04471061572777259))


def rk8_step(r_eci_m, v_eci_m_s, dt_s, accel_fn):
    """One 8th-order Dormand-Prince Runge-Kutta step (12 stages) of r'' = accel_fn(r, v).

    Returns (r, v). Local error O(dt^9): at a 60 s step the position error after one day is
    below 2 mm from 400 km LEO to GEO (docs/notes/orbit_integrators.md). Position and velocity
    travel as one (6,) vector: on the CPU each stage's linear combination is then one fused
    loop instead of two, which halved the cost of a step (1,024 nodes).
    """
    y0 = jnp.concatenate([r_eci_m, v_eci_m_s])
    k = []  # stage derivatives (v, a), (6,) each
    for row in _RK8_A:
        y = y0
        for j, a_ij in row:
            y = y + (dt_s * a_ij) * k[j]
        k.append(jnp.concatenate([y[3:], accel_fn(y[:3], y[3:])]))
    y = y0
    for j, b_j in _RK8_B:
        y = y + (dt_s * b_j) * k[j]
    return y[:3], y[3:]


#: fixed-step integrators of the Cowell propagator, by ``[simulation] integrator`` name
INTEGRATORS = {"rk4": rk4_step, "rk8": rk8_step}
#: force evaluations per step of each integrator
INTEGRATOR_STAGES = {"rk4": 4, "rk8": 12}


def j2_secular_rates(a_m, e, i_rad, gm_m3_s2, r_eq_m, j2):
    """First-order J2 secular rates [rad/s]: (raan_dot, argp_dot, mean_anomaly_dot).

    Vallado eq. 9-41: with p = a (1 - e^2), n = sqrt(GM / a^3),
    raan_dot = -3/2 n J2 (R/p)^2 cos i, argp_dot = 3/4 n J2 (R/p)^2 (5 cos^2 i - 1),
    M_dot = n + 3/4 n J2 (R/p)^2 sqrt(1 - e^2) (3 cos^2 i - 1).
    """
    p = a_m * (1.0 - e * e)
    n = jnp.sqrt(gm_m3_s2 / (a_m * a_m * a_m))
    k = 0.75 * n * j2 * (r_eq_m / p) ** 2
    c2 = jnp.cos(i_rad) ** 2
    raan_dot = -2.0 * k * jnp.cos(i_rad)
    argp_dot = k * (5.0 * c2 - 1.0)
    mean_anomaly_dot = n + k * jnp.sqrt(1.0 - e * e) * (3.0 * c2 - 1.0)
    return raan_dot, argp_dot, mean_anomaly_dot


def accel_j3_j4(r_eci_m, gm_m3_s2, r_eq_m, j3, j4):
    """Acceleration [m/s^2] (3,) of the J3 and J4 zonal terms (pole = ECI z).

    Vallado eq. 8-31 and 8-32 (gradients of -GM/r J_n (R/r)^n P_n(z/r)).
    """
    x, y, z = r_eci_m[0], r_eci_m[1], r_eci_m[2]
    r2 = jnp.sum(r_eci_m * r_eci_m)
    r = jnp.sqrt(r2)
    r7 = r2 * r2 * r2 * r
    zr2 = z * z / r2
    k3 = -2.5 * j3 * gm_m3_s2 * r_eq_m**3 / r7
    a3_xy = k3 * (3.0 * z - 7.0 * z * zr2)
    a3_z = k3 * (6.0 * z * z - 7.0 * z * z * zr2 - 0.6 * r2)
    k4 = 15.0 / 8.0 * j4 * gm_m3_s2 * r_eq_m**4 / r7
    a4_xy = k4 * (1.0 - 14.0 * zr2 + 21.0 * zr2 * zr2)
    a4_z = k4 * (5.0 - 70.0 / 3.0 * zr2 + 21.0 * zr2 * zr2)
    return jnp.stack([(a3_xy + a4_xy) * x, (a3_xy + a4_xy) * y, a3_z + a4_z * z])


# Exponential atmosphere (Vallado 4th ed., Table 8-4, after CIRA-72): base altitude [km],
# density at the base [kg/m^3], scale height [km]. Above 1000 km the last layer is extended.
_EXPONENTIAL_ATMOSPHERE = (
    (0, 1.225, 7.249), (25, 3.899e-2, 6.349), (30, 1.774e-2, 6.682), (40, 3.972e-3, 7.554),
    (50, 1.057e-3, 8.382), (60, 3.206e-4, 7.714), (70, 8.770e-5, 6.549), (80, 1.905e-5, 5.799),
    (90, 3.396e-6, 5.382), (100, 5.297e-7, 5.877), (110, 9.661e-8, 7.263), (120, 2.438e-8, 9.473),
    (130, 8.484e-9, 12.636), (140, 3.845e-9, 16.149), (150, 2.070e-9, 22.523), (180, 5.464e-10, 29.740),
    (200, 2.789e-10, 37.105), (250, 7.248e-11, 45.546), (300, 2.418e-11, 53.628), (350, 9.518e-12, 53.298),
    (400, 3.725e-12, 58.515), (450, 1.585e-12, 60.828), (500, 6.967e-13, 63.822), (600, 1.454e-13, 71.835),
    (700, 3.614e-14, 88.667), (800, 1.170e-14, 124.64), (900, 5.245e-15, 181.05), (1000, 3.019e-15, 268.00),
)


class ExponentialAtmosphere:
    """Piecewise exponential density rho(h) = rho0_i exp(-(h - h0_i) / H_i) [kg/m^3] of the
    geometric altitude h = |r| - R_eq (a spherical Earth; no solar activity, no diurnal bulge:
    a mean-activity static model, good to a factor of about 2 at 400-600 km)."""

    def __call__(self, altitude_m):
        base_km, rho0, scale_km = (jnp.asarray(col, dtype=altitude_m.dtype) for col in zip(*_EXPONENTIAL_ATMOSPHERE))
        i = jnp.clip(jnp.searchsorted(base_km * 1e3, altitude_m, side="right") - 1, 0, base_km.shape[0] - 1)
        return rho0[i] * jnp.exp(-(altitude_m - base_km[i] * 1e3) / (scale_km[i] * 1e3))


class ConstantDensity:
    """A constant density [kg/m^3] (for tests against the analytic decay rate)."""

    def __init__(self, density_kg_m3: float):
        self.density_kg_m3 = density_kg_m3

    def __call__(self, altitude_m):
        return jnp.full_like(altitude_m, self.density_kg_m3)


def accel_drag(r_eci_m, v_eci_m_s, ballistic_m2_kg, density_kg_m3, omega_earth_rad_s):
    """Drag acceleration [m/s^2] (3,): -1/2 (C_D A / m) rho |v_rel| v_rel, with the atmosphere
    co-rotating with the Earth, v_rel = v - omega x r (omega along z)."""
    v_rel = v_eci_m_s - omega_earth_rad_s * jnp.stack([-r_eci_m[1], r_eci_m[0], jnp.zeros_like(r_eci_m[2])])
    speed = jnp.sqrt(jnp.sum(v_rel * v_rel))
    return -0.5 * ballistic_m2_kg * density_kg_m3 * speed * v_rel


class Propagator:
    """Interface of the propagators (``PROPAGATORS``): ``advance`` returns the state (r, v) at
    ``t_end_s`` from the state at ``t_end_s - dt_s``; ``params``: the node's orbit group
    (kernels.model.OrbitParams: ``elements0``, ``ballistic_m2_kg``)."""

    def advance(self, params, r_eci_m, v_eci_m_s, t_end_s, dt_s, env):  # pragma: no cover
        raise NotImplementedError


class Cowell(Propagator):
    """Numerical integration with a fixed step of point mass + J2, optionally J3 and J4
    (``zonal_harmonics`` 3 or 4) and atmospheric drag (``atmosphere``: a density model such as
    :class:`ExponentialAtmosphere`, or None). ``integrator``: a name in :data:`INTEGRATORS`
    ("rk4": classical 4th order; "rk8": Dormand-Prince 8th order)."""

    def __init__(self, zonal_harmonics: int = 2, atmosphere=None, integrator: str = "rk4"):
        self.zonal_harmonics = zonal_harmonics
        self.atmosphere = atmosphere
        self.integrator = integrator
        self._step = INTEGRATORS[integrator]

    def advance(self, params, r_eci_m, v_eci_m_s, t_end_s, dt_s, env):
        del t_end_s
        j3 = env.j3 if self.zonal_harmonics >= 3 else 0.0
        j4 = env.j4 if self.zonal_harmonics >= 4 else 0.0

        def accel(r, v):
            a = accel_point_mass_j2(r, env.gm_m3_s2, env.r_eq_m, env.j2)
            if self.zonal_harmonics >= 3:
                a = a + accel_j3_j4(r, env.gm_m3_s2, env.r_eq_m, j3, j4)
            if self.atmosphere is not None:
                altitude = jnp.sqrt(jnp.sum(r * r)) - env.r_eq_m
                a = a + accel_drag(r, v, params.ballistic_m2_kg, self.atmosphere(altitude), env.omega_earth_rad_s)
            return a

        return self._step(r_eci_m, v_eci_m_s, jnp.asarray(dt_s, r_eci_m.dtype), accel)


class J2Secular(Propagator):
    """Analytic propagation of mean elements with the first-order J2 secular rates.

    The output state is the Keplerian state of the mean elements at ``t_end_s`` (short-period
    J2 terms, up to about 10 km in position, are neglected). ``params.elements0``: (6,) mean
    elements at the epoch (a_m, e, i_rad, raan_rad, argp_rad, mean_anomaly_rad).
    """

    def advance(self, params, r_eci_m, v_eci_m_s, t_end_s, dt_s, env):
        del r_eci_m, v_eci_m_s, dt_s
        elements0 = params.elements0
        a, e, i, raan0, argp0, m0 = (elements0[k] for k in range(6))
        raan_dot, argp_dot, m_dot = j2_secular_rates(a, e, i, env.gm_m3_s2, env.r_eq_m, env.j2)
        # the angles grow without bound: advance them in the (float64) precision of the time,
        # then wrap and return to the elements' precision (float32 mode keeps ~1e-7 rad)
        two_pi = 2 * jnp.pi
        dtype = elements0.dtype
        t = jnp.asarray(t_end_s)
        raan = jnp.mod(raan0.astype(t.dtype) + raan_dot.astype(t.dtype) * t, two_pi).astype(dtype)
        argp = jnp.mod(argp0.astype(t.dtype) + argp_dot.astype(t.dtype) * t, two_pi).astype(dtype)
        m = jnp.mod(m0.astype(t.dtype) + m_dot.astype(t.dtype) * t, two_pi).astype(dtype)
        return elements_to_state(a, e, i, raan, argp, m, env.gm_m3_s2)


PROPAGATORS = Registry("propagator", {"cowell": Cowell, "j2_secular": J2Secular})
#: simulation.drag: "none" is no atmosphere (None)
ATMOSPHERES = Registry("atmosphere", {"none": None, "exponential": ExponentialAtmosphere})
