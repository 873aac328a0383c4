"""Dense output inside one integration step: the trajectory between the step's ends, from the
states (and optionally accelerations) there, for locating events inside the step (shadow
contacts, close approaches) and averaging over it.

With theta = (t - t0) / h in [0, 1] and h the step:

- :func:`hermite_cubic` interpolates position with the cubic Hermite polynomial of r and v at
  both ends (velocity from its derivative). Position error about h^4 |r''''| / 384: in LEO
  (|r''''| = n^4 |r|, n = 1.1e-3 rad/s) 0.3 m at h = 60 s, 0.02 m at 30 s; in GEO 2e-5 m at 60 s.
- :func:`hermite_quintic` adds the accelerations at both ends (quintic Hermite): error about
  h^6 |r^(6)| / 46080, 1e-5 m in LEO at 60 s.

Both are pure, elementwise in theta (any shape broadcasting against the states' leading axes
with a trailing xyz axis), and cost a few multiply-adds: no force evaluations. Relative motion
of two nodes is the difference of their interpolants (the polynomial is linear in the end
states), so ``hermite_cubic(r0a - r0b, v0a - v0b, r1a - r1b, v1a - v1b, h, theta)`` is the
separation along the step. Tested in tests/kernels/test_dense.py against a DOP853 trajectory.
"""

from __future__ import annotations

import jax.numpy as jnp


def hermite_cubic(r0_m, v0_m_s, r1_m, v1_m_s, h_s, theta):
    """Position [m] and velocity [m/s] at t0 + theta h on the cubic Hermite interpolant.

    ``r0_m``, ``v0_m_s``: state at t0 (..., 3); ``r1_m``, ``v1_m_s``: state at t0 + h;
    ``h_s``: step [s] (> 0); ``theta``: fraction of the step, scalar or (...) broadcasting
    against the leading axes. Exact at theta = 0 and 1 (position and velocity).
    """
    th = jnp.asarray(theta)[..., None]
    th2 = th * th
    th3 = th2 * th
    # basis: h00 = 2t^3 - 3t^2 + 1, h10 = t^3 - 2t^2 + t, h01 = -2t^3 + 3t^2, h11 = t^3 - t^2
    h00, h10, h01, h11 = 2 * th3 - 3 * th2 + 1, th3 - 2 * th2 + th, -2 * th3 + 3 * th2, th3 - th2
    r = h00 * r0_m + h01 * r1_m + h_s * (h10 * v0_m_s + h11 * v1_m_s)
    d00, d10, d01, d11 = 6 * th2 - 6 * th, 3 * th2 - 4 * th + 1, -6 * th2 + 6 * th, 3 * th2 - 2 * th
    v = (d00 * r0_m + d01 * r1_m) / h_s + d10 * v0_m_s + d11 * v1_m_s
    return r, v


def hermite_quintic(r0_m, v0_m_s, a0_m_s2, r1_m, v1_m_s, a1_m_s2, h_s, theta):
    """Position [m] and velocity [m/s] at t0 + theta h on the quintic Hermite interpolant of
    position, velocity and acceleration at both ends (arguments as :func:`hermite_cubic`, plus
    the accelerations [m/s^2] (..., 3))."""
    t = jnp.asarray(theta)[..., None]
    t2, t3 = t * t, t * t * t
    t4, t5 = t3 * t, t3 * t2
    h0 = 1 - 10 * t3 + 15 * t4 - 6 * t5
    h1 = t - 6 * t3 + 8 * t4 - 3 * t5
    h2 = 0.5 * (t2 - 3 * t3 + 3 * t4 - t5)
    h3 = 0.5 * (t3 - 2 * t4 + t5)
    h4 = -4 * t3 + 7 * t4 - 3 * t5
    h5 = 10 * t3 - 15 * t4 + 6 * t5
    d0 = -30 * t2 + 60 * t3 - 30 * t4
    d1 = 1 - 18 * t2 + 32 * t3 - 15 * t4
    d2 = 0.5 * (2 * t - 9 * t2 + 12 * t3 - 5 * t4)
    d3 = 0.5 * (3 * t2 - 8 * t3 + 5 * t4)
    d4 = -12 * t2 + 28 * t3 - 15 * t4
    d5 = 30 * t2 - 60 * t3 + 30 * t4
    hh = h_s * h_s
    r = h0 * r0_m + h5 * r1_m + h_s * (h1 * v0_m_s + h4 * v1_m_s) + hh * (h2 * a0_m_s2 + h3 * a1_m_s2)
    v = (d0 * r0_m + d5 * r1_m) / h_s + d1 * v0_m_s + d4 * v1_m_s + h_s * (d2 * a0_m_s2 + d3 * a1_m_s2)
    return r, v
