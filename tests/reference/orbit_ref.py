"""Independent orbit reference: Keplerian elements, states, J2 propagation, J2 secular rates.

Methods chosen to differ from the usual kernel closed forms:

- ``elements_to_state`` solves Kepler's equation with ``scipy.optimize.brentq`` (bracketed,
  tolerance 1e-15 rad, then one Newton polish) and builds the state from the *eccentric*
  anomaly, ``r = a (cos E - e) P + b sin E Q``, with the perifocal axes P, Q from a
  ``scipy.spatial.transform.Rotation`` of Euler angles (Z-X-Z), not from the true anomaly.
- ``state_to_elements`` projects on the perifocal basis built from the angular momentum,
  node and eccentricity vectors, and takes every angle with ``atan2`` (no ``arccos`` branch
  tests).
- ``acceleration_point_mass_j2`` differentiates the potential
  ``U = -GM/r (1 - J2 (R/r)^2 P2(z/r))`` by the complex-step method
  (``dU/dx = Im U(x + i h) / h``, no subtractive cancellation, exact to round-off), so it does
  not share the algebra of the closed-form J2 acceleration.
- ``propagate_j2`` integrates with ``scipy.integrate.solve_ivp`` DOP853, rtol 1e-13, atol 1e-7
  (m and m/s): about 1e-6 m per orbit in LEO, energy and H_z kept to ~1e-12 relative per day.

All inputs and outputs are SI: m, m/s, s, rad. Scalar elements, one state per call.
"""

import cmath
import math

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq
from scipy.spatial.transform import Rotation

from .constants_ref import GM_EARTH_M3_S2, J2_EARTH, R_EARTH_EQ_M

TWO_PI = 2.0 * np.pi


def solve_kepler(mean_anomaly_rad, e):
    """Eccentric anomaly E (rad) with E - e sin E = M, for 0 <= e < 1.

    Bracketed root in [M - e, M + e] (valid since |E - M| = e |sin E| <= e), brentq to
    xtol 1e-15, then one Newton step. Residual |E - e sin E - M| below ~2e-16 * |M|.
    """
    e = float(e)
    if not 0.0 <= e < 1.0:
        raise ValueError(f"eccentricity {e} not in [0, 1)")
    m = float(np.remainder(mean_anomaly_rad + np.pi, TWO_PI) - np.pi)  # in [-pi, pi)
    if e == 0.0:
        return m

    def f(ecc_anom):
        return ecc_anom - e * np.sin(ecc_anom) - m

    ecc_anom = brentq(f, m - e, m + e, xtol=1e-15, maxiter=200)
    return ecc_anom - f(ecc_anom) / (1.0 - e * np.cos(ecc_anom))


def _perifocal_axes(i_rad, raan_rad, argp_rad):
    """P (to periapsis), Q (90 deg ahead in the orbit plane), W (orbit normal) in ECI."""
    m = Rotation.from_euler("ZXZ", [raan_rad, i_rad, argp_rad]).as_matrix()
    return m[:, 0], m[:, 1], m[:, 2]


def elements_to_state(a_m, e, i_rad, raan_rad, argp_rad, mean_anomaly_rad, gm=GM_EARTH_M3_S2):
    """Osculating Keplerian elements -> ECI state.

    a_m: semi-major axis (m); e: eccentricity in [0, 1); i_rad, raan_rad, argp_rad,
    mean_anomaly_rad: inclination, right ascension of the ascending node, argument of
    periapsis, mean anomaly (rad); gm: gravitational parameter (m^3/s^2).
    Returns (r_m (3,), v_m_s (3,)).
    """
    ecc_anom = solve_kepler(mean_anomaly_rad, e)
    p_hat, q_hat, _ = _perifocal_axes(i_rad, raan_rad, argp_rad)
    b_m = a_m * np.sqrt(1.0 - e * e)
    cos_e, sin_e = np.cos(ecc_anom), np.sin(ecc_anom)
    r_m = a_m * (cos_e - e) * p_hat + b_m * sin_e * q_hat
    # dE/dt = n / (1 - e cos E) = sqrt(gm/a^3) a / r
    r_norm_m = a_m * (1.0 - e * cos_e)
    e_dot = np.sqrt(gm / a_m) / r_norm_m
    v_m_s = e_dot * (-a_m * sin_e * p_hat + b_m * cos_e * q_hat)
    return r_m, v_m_s


def state_to_elements(r_m, v_m_s, gm=GM_EARTH_M3_S2):
    """ECI state -> osculating Keplerian elements (elliptic orbits only).

    r_m (3,) in m, v_m_s (3,) in m/s. Returns dict(a_m, e, i_rad, raan_rad, argp_rad,
    mean_anomaly_rad), angles in [0, 2 pi) (i in [0, pi]).
    Conventions for the singular cases: equatorial orbit (i < 1e-14 or > pi - 1e-14): raan = 0
    and the node line is the x axis; circular orbit (e < 1e-14): argp = 0 and periapsis is the
    ascending node, so the mean anomaly is the argument of latitude.
    """
    r = np.asarray(r_m, dtype=float)
    v = np.asarray(v_m_s, dtype=float)
    r_norm = np.linalg.norm(r)
    h = np.cross(r, v)
    w_hat = h / np.linalg.norm(h)
    energy = 0.5 * v @ v - gm / r_norm
    if energy >= 0.0:
        raise ValueError("state is not on an elliptic orbit")
    a_m = -gm / (2.0 * energy)
    e_vec = ((v @ v - gm / r_norm) * r - (r @ v) * v) / gm
    e = float(np.linalg.norm(e_vec))

    i_rad = float(np.arctan2(np.hypot(w_hat[0], w_hat[1]), w_hat[2]))
    node = np.cross([0.0, 0.0, 1.0], w_hat)
    if np.linalg.norm(node) < 1e-14:
        raan_rad, n_hat = 0.0, np.array([1.0, 0.0, 0.0])
    else:
        n_hat = node / np.linalg.norm(node)
        raan_rad = float(np.arctan2(n_hat[1], n_hat[0]))
    m_hat = np.cross(w_hat, n_hat)  # in-plane, 90 deg ahead of the node
    if e < 1e-14:
        p_hat, argp_rad = n_hat, 0.0
    else:
        p_hat = e_vec / e
        argp_rad = float(np.arctan2(p_hat @ m_hat, p_hat @ n_hat))
    q_hat = np.cross(w_hat, p_hat)
    nu = np.arctan2(r @ q_hat, r @ p_hat)
    ecc_anom = 2.0 * np.arctan2(np.sqrt(1.0 - e) * np.sin(nu / 2), np.sqrt(1.0 + e) * np.cos(nu / 2))
    mean_anom = ecc_anom - e * np.sin(ecc_anom)
    wrap = lambda x: float(np.remainder(x, TWO_PI))  # noqa: E731
    return dict(a_m=float(a_m), e=e, i_rad=i_rad, raan_rad=wrap(raan_rad),
                argp_rad=wrap(argp_rad), mean_anomaly_rad=wrap(mean_anom))


def potential_point_mass_j2(r_m, gm=GM_EARTH_M3_S2, r_eq_m=R_EARTH_EQ_M, j2=J2_EARTH):
    """Gravitational potential energy per unit mass (J/kg, negative) at r_m (..., 3).

    U = -gm/r (1 - j2 (R/r)^2 P2(z/r)), P2(x) = (3 x^2 - 1)/2; works on complex input.
    """
    r = np.asarray(r_m)
    rr = np.sqrt(r[..., 0] ** 2 + r[..., 1] ** 2 + r[..., 2] ** 2)
    sin_lat = r[..., 2] / rr
    p2 = 1.5 * sin_lat**2 - 0.5
    return -gm / rr * (1.0 - j2 * (r_eq_m / rr) ** 2 * p2)


def _potential_scalar(x, y, z, gm, r_eq_m, j2):
    """Same potential as ``potential_point_mass_j2`` on Python (complex) scalars: fast."""
    rr = cmath.sqrt(x * x + y * y + z * z)
    sin_lat = z / rr
    return -gm / rr * (1.0 - j2 * (r_eq_m / rr) ** 2 * (1.5 * sin_lat * sin_lat - 0.5))


def acceleration_point_mass_j2(r_m, gm=GM_EARTH_M3_S2, r_eq_m=R_EARTH_EQ_M, j2=J2_EARTH):
    """Acceleration (m/s^2) = -grad U at r_m (3,), by complex-step differentiation.

    dU/dx_k = Im U(r + i h e_k) / h with h = 1e-30 |r|: no subtractive cancellation, so the
    derivative is exact to round-off (relative ~1e-16).
    """
    x, y, z = (float(c) for c in r_m)
    h_m = 1e-30 * math.sqrt(x * x + y * y + z * z)
    ih = 1j * h_m
    return np.array([
        -_potential_scalar(x + ih, y, z, gm, r_eq_m, j2).imag / h_m,
        -_potential_scalar(x, y + ih, z, gm, r_eq_m, j2).imag / h_m,
        -_potential_scalar(x, y, z + ih, gm, r_eq_m, j2).imag / h_m,
    ])


def specific_energy(r_m, v_m_s, gm=GM_EARTH_M3_S2, r_eq_m=R_EARTH_EQ_M, j2=J2_EARTH):
    """Conserved specific energy v^2/2 + U (J/kg) for (..., 3) states."""
    v = np.asarray(v_m_s)
    return 0.5 * np.sum(v * v, axis=-1) + potential_point_mass_j2(r_m, gm, r_eq_m, j2)


def propagate_j2(r0_m, v0_m_s, t_eval_s, gm=GM_EARTH_M3_S2, r_eq_m=R_EARTH_EQ_M, j2=J2_EARTH):
    """Propagate point mass + J2 (about the ECI z axis) from the state at t = 0.

    r0_m (3,) m, v0_m_s (3,) m/s; t_eval_s (n,) increasing, >= 0, seconds since the initial
    state. Returns (r (n, 3) m, v (n, 3) m/s). DOP853, rtol 1e-13, atol 1e-7.
    """
    t_eval = np.atleast_1d(np.asarray(t_eval_s, dtype=float))
    y0 = np.concatenate([np.asarray(r0_m, float), np.asarray(v0_m_s, float)])
    if t_eval[-1] == 0.0:
        return np.tile(y0[:3], (t_eval.size, 1)), np.tile(y0[3:], (t_eval.size, 1))

    def rhs(_t, y):
        dy = np.empty(6)
        dy[:3] = y[3:]
        dy[3:] = acceleration_point_mass_j2(y[:3], gm, r_eq_m, j2)
        return dy

    sol = solve_ivp(rhs, (0.0, t_eval[-1]), y0, method="DOP853", t_eval=t_eval,
                    rtol=1e-13, atol=1e-7)
    if not sol.success:
        raise RuntimeError(sol.message)
    return sol.y[:3].T, sol.y[3:].T


def j2_secular_rates(a_m, e, i_rad, gm=GM_EARTH_M3_S2, r_eq_m=R_EARTH_EQ_M, j2=J2_EARTH):
    """First-order J2 secular rates of the mean elements (Vallado, Fundamentals of
    Astrodynamics and Applications, 4th ed., eq. 9-41), rad/s.

    Returns (raan_dot, argp_dot, mean_anomaly_dot), where mean_anomaly_dot is the TOTAL rate
    n + dM/dt|J2 (n = sqrt(gm/a^3)), so that M(t) = M0 + mean_anomaly_dot * t.
    """
    n = np.sqrt(gm / a_m**3)
    p = a_m * (1.0 - e**2)
    k = n * j2 * (r_eq_m / p) ** 2
    s2 = np.sin(i_rad) ** 2
    raan_dot = -1.5 * k * np.cos(i_rad)
    argp_dot = 0.75 * k * (4.0 - 5.0 * s2)
    mean_anomaly_dot = n + 0.75 * k * np.sqrt(1.0 - e**2) * (2.0 - 3.0 * s2)
    return raan_dot, argp_dot, mean_anomaly_dot


def acceleration_zonal(r_m, gm=GM_EARTH_M3_S2, r_eq_m=R_EARTH_EQ_M, j2=0.0, j3=0.0, j4=0.0):
    """Acceleration (m/s^2) of the zonal terms J2..J4 (without the point mass), complex step.

    U = -gm/r sum_n J_n (R/r)^n P_n(z/r) with the Legendre polynomials
    P2 = (3x^2-1)/2, P3 = (5x^3-3x)/2, P4 = (35x^4-30x^2+3)/8 (sign as in U above: the
    potential is -gm/r (1 - sum J_n (R/r)^n P_n)).
    """
    def potential(x, y, z):
        rr = cmath.sqrt(x * x + y * y + z * z)
        s = z / rr
        p = {2: 1.5 * s * s - 0.5, 3: 2.5 * s**3 - 1.5 * s, 4: (35 * s**4 - 30 * s * s + 3) / 8}
        return gm / rr * sum(j * (r_eq_m / rr) ** n * p[n] for n, j in ((2, j2), (3, j3), (4, j4)))

    x, y, z = (float(c) for c in r_m)
    h_m = 1e-30 * math.sqrt(x * x + y * y + z * z)
    ih = 1j * h_m
    return np.array([-potential(x + ih, y, z).imag / h_m, -potential(x, y + ih, z).imag / h_m,
                     -potential(x, y, z + ih).imag / h_m])
