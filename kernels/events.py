"""Shadow inside one step: eclipse contacts located by root finding on the step's dense
trajectory, and the step's mean sunlit fraction integrated across them.

Contact functions (trig-free, smooth, for a spherical Earth and Sun). Seen from the satellite
at r, the Earth is a disk of angular radius theta_e (sin theta_e = R_e / |r|) centred on -r, the
Sun one of angular radius theta_s (sin theta_s = R_s / |s - r|) centred on s - r, their centres
c apart. Penumbra contact is c = theta_e + theta_s, umbra contact c = theta_e - theta_s; with
cos decreasing on [0, pi],

    g_pen = cos(theta_e + theta_s) - cos c   (> 0 outside the penumbra cone)
    g_umb = cos(theta_e - theta_s) - cos c   (> 0 outside the umbra cone)

have the same roots as the angle differences of tests/reference/eclipse_ref.py, from square
roots and dot products only.

Root finding. Along the step (theta = (t - t0) / h in [0, 1]) the position comes from the cubic
Hermite interpolant of r, v at the ends (kernels/dense.py; 0.3 m in LEO at 60 s) and the Sun
from a straight line between its end positions (under 3 m against the Sun's curved path over
60 s). g is sampled at theta = 0, 1/3, 2/3, 1 and each function's cubic through those samples
stands in for it (interpolation error about (n h)^4 / 384 of g's scale: tens of microseconds of
time in LEO at 60 s). A sign change in a third is refined on the cubic by the Illinois variant
of regula falsi (fixed iteration count, no branches; converges to below 1e-9 of the step).
Each function may cross zero once per third, so passes longer than a third of the step are
all found; a penumbra or umbra pass that begins and ends within one third (a shadow only grazed)
is missed (it lasts under h / 3 and carries under h / 3 of partial shadow).

Mean sunlit fraction. The located roots split the step into pieces where the satellite is in
full Sun (fraction 1), in the umbra (0) or in the penumbra, where the conical fraction is
integrated by 3-point Gauss-Legendre on the piece (the fraction leaves 1 and 0 like the 3/2
power of time at the contacts, which the piece's ends put at its nodes' edges: error about
2e-4 of the piece's length). At most two penumbra pieces per step are integrated (entry and
exit of the same pass within one step). For the power and thermal substeps the step's integral
is split among equal substeps: full-Sun pieces by their exact overlap, a penumbra piece by
spreading each Gauss-Legendre node's share over its cell (the node's weight's length of the
piece), so the substeps' fractions add up to the step's exactly.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .dense import hermite_cubic

#: event kinds, in the order a pass meets them (stored as these codes)
EVENT_KINDS = ("penumbra_entry", "umbra_entry", "umbra_exit", "penumbra_exit")
PENUMBRA_ENTRY, UMBRA_ENTRY, UMBRA_EXIT, PENUMBRA_EXIT = range(4)
#: contact slots per step: one per function per third of the step
SLOTS_PER_STEP = 6
_ILLINOIS_ITERATIONS = 16
_GL3_NODES = (0.5 - 0.5 * 0.6 ** 0.5, 0.5, 0.5 + 0.5 * 0.6 ** 0.5)
_GL3_WEIGHTS = (5.0 / 18.0, 8.0 / 18.0, 5.0 / 18.0)


def contact_functions(r_sat_eci_m, r_sun_eci_m, earth_radius_m, sun_radius_m):
    """``(g_pen, g_umb)``: > 0 outside the penumbra (umbra) cone, 0 on its surface."""
    to_sun = r_sun_eci_m - r_sat_eci_m
    d_sun2 = jnp.sum(to_sun * to_sun, axis=-1)
    d_earth2 = jnp.sum(r_sat_eci_m * r_sat_eci_m, axis=-1)
    inv = 1.0 / jnp.sqrt(d_sun2 * d_earth2)
    cos_c = -jnp.sum(r_sat_eci_m * to_sun, axis=-1) * inv
    sin_e2 = jnp.clip(earth_radius_m * earth_radius_m / d_earth2, 0.0, 1.0)
    sin_s2 = jnp.clip(sun_radius_m * sun_radius_m / d_sun2, 0.0, 1.0)
    sin_e, sin_s = jnp.sqrt(sin_e2), jnp.sqrt(sin_s2)
    cos_e, cos_s = jnp.sqrt(1.0 - sin_e2), jnp.sqrt(1.0 - sin_s2)
    cc, ss = cos_e * cos_s, sin_e * sin_s
    return cc - ss - cos_c, cc + ss - cos_c


def _lagrange_cubic(y, x):
    """Cubic through (0, y0), (1/3, y1), (2/3, y2), (1, y3) at x (y: tuple of 4 arrays)."""
    a, b, c_, d = 0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0
    l0 = (x - b) * (x - c_) * (x - d) / ((a - b) * (a - c_) * (a - d))
    l1 = (x - a) * (x - c_) * (x - d) / ((b - a) * (b - c_) * (b - d))
    l2 = (x - a) * (x - b) * (x - d) / ((c_ - a) * (c_ - b) * (c_ - d))
    l3 = (x - a) * (x - b) * (x - c_) / ((d - a) * (d - b) * (d - c_))
    return y[0] * l0 + y[1] * l1 + y[2] * l2 + y[3] * l3


def _illinois(fn, lo, hi, f_lo, f_hi):
    """Root of fn in [lo, hi] where f_lo, f_hi differ in sign (arrays; elementwise, a fixed
    number of Illinois steps). Where they do not, returns the midpoint (masked by the caller)."""
    def body(_, carry):
        lo, hi, f_lo, f_hi, side = carry
        denom = f_hi - f_lo
        x = jnp.where(denom != 0, (lo * f_hi - hi * f_lo) / jnp.where(denom != 0, denom, 1.0), 0.5 * (lo + hi))
        x = jnp.clip(x, jnp.minimum(lo, hi), jnp.maximum(lo, hi))
        fx = fn(x)
        left = fx * f_lo > 0  # root in [x, hi]
        # Illinois: halve the retained end's value when the same end is kept twice
        f_hi_new = jnp.where(left, jnp.where(side == 1, 0.5 * f_hi, f_hi), f_hi)
        f_lo_new = jnp.where(left, f_lo, jnp.where(side == -1, 0.5 * f_lo, f_lo))
        lo_n = jnp.where(left, x, lo)
        f_lo_n = jnp.where(left, fx, f_lo_new)
        hi_n = jnp.where(left, hi, x)
        f_hi_n = jnp.where(left, f_hi_new, fx)
        side = jnp.where(left, 1, -1).astype(jnp.int32)
        done = fx == 0
        return (jnp.where(done, x, lo_n), jnp.where(done, x, hi_n), jnp.where(done, 0.0, f_lo_n),
                jnp.where(done, 0.0, f_hi_n), side)

    carry = (lo, hi, f_lo, f_hi, jnp.zeros(jnp.shape(lo), jnp.int32))
    lo, hi, f_lo, f_hi, _ = jax.lax.fori_loop(0, _ILLINOIS_ITERATIONS, body, carry)
    return jnp.where(jnp.abs(f_lo) < jnp.abs(f_hi), lo, hi)


def step_shadow(r0_m, v0_m_s, r1_m, v1_m_s, sun0_m, sun1_m, h_s, shadow_fn, earth_radius_m, sun_radius_m,
                substeps: int = 1):
    """Contacts and mean sunlit fraction of one node over one step (no node axis; vmap it).

    ``r0_m, v0_m_s`` / ``r1_m, v1_m_s``: the node's state at the step's start / end (3,);
    ``sun0_m``, ``sun1_m``: the Sun there (3,); ``h_s``: the step [s]; ``shadow_fn``: a
    model of ``kernels.shadow.SHADOW_MODELS`` (an instance) (its fraction is integrated over the penumbra
    pieces; the contacts are those of the conical model).
    Returns a dict: ``mean_fraction`` (int_0^1 f dtheta), ``substep_fraction``
    (``substeps``,): the mean over each of ``substeps`` equal parts of the step, ``event_theta`` (SLOTS_PER_STEP,) fraction of the step of
    each located contact (NaN: none) and ``event_kind`` (SLOTS_PER_STEP,) int32 codes of
    EVENT_KINDS.
    """
    dtype = r0_m.dtype

    def position(theta):  # theta (k,) -> (k, 3)
        r, _ = hermite_cubic(r0_m[None], v0_m_s[None], r1_m[None], v1_m_s[None], h_s, theta)
        return r

    def sun(theta):  # theta (k,) -> (k, 3)
        return sun0_m[None] + theta[:, None] * (sun1_m - sun0_m)[None]

    grid = jnp.asarray([0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0], dtype)
    g_pen, g_umb = contact_functions(position(grid), sun(grid), earth_radius_m, sun_radius_m)  # (4,)

    thetas, kinds = [], []
    for g, entry, exit_ in ((g_pen, PENUMBRA_ENTRY, PENUMBRA_EXIT), (g_umb, UMBRA_ENTRY, UMBRA_EXIT)):
        y = (g[0], g[1], g[2], g[3])
        lo, hi = grid[:3], grid[1:]
        f_lo, f_hi = g[:3], g[1:]
        crossing = (f_lo > 0) != (f_hi > 0)
        root = _illinois(lambda x, y=y: _lagrange_cubic(y, x), lo, hi, f_lo, f_hi)
        thetas.append(jnp.where(crossing, root, jnp.nan))
        kinds.append(jnp.where(f_lo > 0, entry, exit_).astype(jnp.int32))  # leaving g > 0: entering
    event_theta = jnp.concatenate(thetas)
    event_kind = jnp.concatenate(kinds)

    # pieces between the sorted contacts (NaN -> 1: empty pieces at the end)
    cuts = jnp.sort(jnp.where(jnp.isnan(event_theta), 1.0, event_theta))
    edges = jnp.concatenate([jnp.zeros(1, dtype), cuts, jnp.ones(1, dtype)])  # (8,)
    a, b = edges[:-1], edges[1:]
    mid = 0.5 * (a + b)
    gp_mid = _lagrange_cubic(tuple(g_pen), mid)
    gu_mid = _lagrange_cubic(tuple(g_umb), mid)
    length = b - a
    full = (gp_mid > 0) & (length > 0)
    penumbra = (gp_mid <= 0) & (gu_mid > 0) & (length > 0)
    # substep j covers [j / n, (j + 1) / n]; each piece's share of it is its overlap
    n_sub = substeps
    s0 = jnp.arange(n_sub, dtype=dtype) / n_sub
    s1 = s0 + 1.0 / n_sub

    def overlap(lo, hi):  # (k,), (k,) -> (k, n_sub)
        return jnp.maximum(jnp.minimum(hi[:, None], s1[None]) - jnp.maximum(lo[:, None], s0[None]), 0.0)

    # full-Sun pieces count whole
    sub = jnp.sum(jnp.where(full[:, None], overlap(a, b), 0.0), axis=0)
    # the first and the last penumbra piece (the same one when there is one): 3-point
    # Gauss-Legendre; each node's share spread over its cell of the piece (cells of the
    # weights' lengths) for the split among substeps
    idx = jnp.arange(a.shape[0])
    n = a.shape[0]
    first = jnp.min(jnp.where(penumbra, idx, n))
    last = jnp.max(jnp.where(penumbra, idx, -1))
    nodes = jnp.asarray(_GL3_NODES, dtype)
    cell_edges = jnp.asarray((0.0, _GL3_WEIGHTS[0], _GL3_WEIGHTS[0] + _GL3_WEIGHTS[1], 1.0), dtype)
    pieces = jnp.stack([jnp.clip(first, 0, n - 1), jnp.clip(last, 0, n - 1)])
    use = jnp.stack([first < n, (last >= 0) & (last != first)])
    pa, pb = a[pieces], b[pieces]  # (2,)
    x = (pa[:, None] + (pb - pa)[:, None] * nodes[None]).reshape(-1)  # (6,)
    f = jax.vmap(shadow_fn, in_axes=(0, 0, None, None))(position(x), sun(x), earth_radius_m, sun_radius_m)
    cells = pa[:, None] + (pb - pa)[:, None] * cell_edges[None]  # (2, 4)
    share = overlap(cells[:, :-1].reshape(-1), cells[:, 1:].reshape(-1)) * f[:, None]  # (6, n_sub)
    sub = sub + jnp.sum(jnp.where(jnp.repeat(use, 3)[:, None], share, 0.0), axis=0)
    substep_fraction = jnp.clip(sub * n_sub, 0.0, 1.0)
    return {"mean_fraction": jnp.mean(substep_fraction), "substep_fraction": substep_fraction,
            "event_theta": event_theta, "event_kind": event_kind}
