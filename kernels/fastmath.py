"""Inverse trigonometric functions that XLA vectorises on the CPU.

XLA's CPU backend evaluates float64 ``atan2``, ``asin`` and ``acos`` element by element through
scalar library calls: about 40 ns each on the development machine, against 0.4 ns for a
vectorised multiply-add (benchmarks/README.md). The shadow and view-factor stages call them for
every node at every step, and they were the largest single cost of the step. The functions here
are written with +, -, *, /, sqrt and selects only, so XLA fuses and vectorises them with the
surrounding arithmetic.

The approximation is the Cephes library's ``atan`` (S. L. Moshier, *Methods and Programs for
Mathematical Functions*, 1989; ``cephes/double/atan.c``): a rational function of degree 4/5 in
t^2 on |t| <= 0.66, with t -> (t - 1) / (t + 1) above. Cephes quotes a peak relative error of
1.9e-16 on [-10, 10]. ``atan2`` reduces the octant first (t = min(|x|, |y|) / max(|x|, |y|) in
[0, 1], so no overflow and no division by zero), then maps back with pi/2 and pi split into a
high and a low part. Measured against NumPy (tests/kernels/test_fastmath.py): within 2 ulp of the
result. In float32 the same expressions give float32 accuracy.

Derivatives are the exact analytic ones (``jax.custom_jvp``), as for the jax.numpy functions:
d atan2(y, x) = (x dy - y dx) / (x^2 + y^2), d asin(u) = du / sqrt(1 - u^2) and
d acos(u) = -du / sqrt(1 - u^2).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

# Cephes atan.c, IEEE double: atan(t) = t + t z P(z) / Q(z), z = t^2, |t| <= 0.66
_P = (-8.750608600031904122785e-1, -1.615753718733365076637e1, -7.500855792314704667340e1,
      -1.228866684490136173410e2, -6.485021904942025371773e1)
_Q = (2.485846490142306297962e1, 1.650270098316988542046e2, 4.328810604912902668951e2,
      4.853903996359136964868e2, 1.945506571482613964425e2)  # leading coefficient 1
_PIO4_HI = 7.85398163397448278999e-01  # pi/4 rounded to double; the low parts below are the rest
_PIO4_LO = 3.061616997868382943065e-17
_PIO2_HI = 1.57079632679489655800e+00
_PIO2_LO = 6.123233995736765886130e-17
_PI_HI = 3.14159265358979311600e+00
_PI_LO = 1.224646799147353177226e-16


def _atan_unit(t):
    """atan(t) for t in [0, 1]; above 0.66, pi/4 + atan((t - 1) / (t + 1)) with pi/4 in two parts."""
    upper = t > 0.66
    t_red = jnp.where(upper, (t - 1.0) / (t + 1.0), t)  # in [-0.205, 0.66]
    z = t_red * t_red
    p = (((_P[0] * z + _P[1]) * z + _P[2]) * z + _P[3]) * z + _P[4]
    q = ((((z + _Q[0]) * z + _Q[1]) * z + _Q[2]) * z + _Q[3]) * z + _Q[4]
    core = t_red + t_red * (z * p / q)
    return jnp.where(upper, (_PIO4_HI + core) + _PIO4_LO, core)


@jax.custom_jvp
def atan2(y, x):
    """Four-quadrant arctangent of y / x [rad] in [-pi, pi]; atan2(0, 0) = 0. Same conventions as
    ``jnp.arctan2`` for finite arguments (signed zeros aside)."""
    ay, ax = jnp.abs(y), jnp.abs(x)
    big, small = jnp.maximum(ax, ay), jnp.minimum(ax, ay)
    t = small / jnp.where(big > 0, big, 1.0)
    a = _atan_unit(t)
    a = jnp.where(ay > ax, (_PIO2_HI - a) + _PIO2_LO, a)  # the angle from the y axis
    a = jnp.where(x < 0, (_PI_HI - a) + _PI_LO, a)
    return jnp.where(y < 0, -a, a)


@atan2.defjvp
def _atan2_jvp(primals, tangents):
    y, x = primals
    dy, dx = tangents
    r2 = x * x + y * y
    r2 = jnp.where(r2 > 0, r2, 1.0)
    return atan2(y, x), (x * dy - y * dx) / r2


@jax.custom_jvp
def asin(u):
    """arcsin(u) [rad] for u in [-1, 1]."""
    return atan2(u, jnp.sqrt((1.0 - u) * (1.0 + u)))


@asin.defjvp
def _asin_jvp(primals, tangents):
    (u,), (du,) = primals, tangents
    return asin(u), du * jax.lax.rsqrt((1.0 - u) * (1.0 + u))


@jax.custom_jvp
def acos(u):
    """arccos(u) [rad] for u in [-1, 1]."""
    return atan2(jnp.sqrt((1.0 - u) * (1.0 + u)), u)


@acos.defjvp
def _acos_jvp(primals, tangents):
    (u,), (du,) = primals, tangents
    return acos(u), -du * jax.lax.rsqrt((1.0 - u) * (1.0 + u))
