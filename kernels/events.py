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
time in LEO at 60 s). A sign change in a third is refined on the cubic (power basis, Horner's
rule): four bisections, the regula falsi point of the bracket left, then five Newton steps,
each shrinking the bracket and falling back to its midpoint when the Newton point leaves it
(fixed work, no branches). Against 60 halvings on 450,000 random cubics with one root in the
third, all but one within 1e-13 of the step, that one (beside a second root) 7e-8
(tests/kernels/test_events.py checks 30,000). The sixteen Illinois iterations on the Lagrange
form used before made the step's shadow work 3.4x as long (1,518 against 452 ns per node-step
at 10,000 nodes on the 2-core development CPU).
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

from typing import Any

import jax
import jax.numpy as jnp

from .dense import hermite_cubic
from .pytree import pytree_dataclass

#: event kinds, in the order a pass meets them (stored as these codes)
EVENT_KINDS = ("penumbra_entry", "umbra_entry", "umbra_exit", "penumbra_exit")
PENUMBRA_ENTRY, UMBRA_ENTRY, UMBRA_EXIT, PENUMBRA_EXIT = range(4)
#: contact slots per step: one per function per third of the step
SLOTS_PER_STEP = 6
_BISECTIONS = 4  #: halvings of a third before the Newton steps (bracket 1/48 of the step)
_NEWTON_ITERATIONS = 5  #: safeguarded Newton steps from the regula falsi point of that bracket
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


def _cubic_coefficients(y):
    """Power-basis coefficients (c0, c1, c2, c3) of the cubic through (0, y0), (1/3, y1),
    (2/3, y2), (1, y3) (y: tuple of 4 arrays): p(x) = c0 + x (c1 + x (c2 + x c3)). Evaluated
    by Horner's rule, the cubic costs three multiply-adds where the Lagrange form cost a dozen
    products and four divisions, and it is evaluated at every bisection and Newton step."""
    y0, y1, y2, y3 = y
    c1 = 0.5 * (-11.0 * y0 + 18.0 * y1 - 9.0 * y2 + 2.0 * y3)
    c2 = 4.5 * (2.0 * y0 - 5.0 * y1 + 4.0 * y2 - y3)
    c3 = 4.5 * (-y0 + 3.0 * y1 - 3.0 * y2 + y3)
    return y0, c1, c2, c3


def _horner(c, x):
    """The cubic with power-basis coefficients ``c`` at ``x``."""
    return c[0] + x * (c[1] + x * (c[2] + x * c[3]))


def _cubic_root(c, lo, hi, f_lo, f_hi):
    """Root of the cubic with power-basis coefficients ``c`` in [lo, hi] where its values
    ``f_lo``, ``f_hi`` at the ends differ in sign (arrays, element-wise; where they do not, some
    point of [lo, hi], masked by the caller). Fixed work, no branches: ``_BISECTIONS`` halvings
    of the bracket, the regula falsi point of what is left, then ``_NEWTON_ITERATIONS`` Newton
    steps, each inside the bracket (its midpoint where a Newton point leaves it)."""
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        f_mid = _horner(c, mid)
        right = f_mid * f_lo > 0  # the root is in [mid, hi]
        lo, f_lo = jnp.where(right, mid, lo), jnp.where(right, f_mid, f_lo)
        hi, f_hi = jnp.where(right, hi, mid), jnp.where(right, f_hi, f_mid)
    denom = f_hi - f_lo
    x = jnp.where(denom != 0, (lo * f_hi - hi * f_lo) / jnp.where(denom != 0, denom, 1.0), 0.5 * (lo + hi))
    x = jnp.clip(x, lo, hi)
    for _ in range(_NEWTON_ITERATIONS):  # safeguarded Newton: the bracket shrinks with every value
        f_x = _horner(c, x)
        right = f_x * f_lo > 0  # the root is in [x, hi]
        lo, f_lo = jnp.where(right, x, lo), jnp.where(right, f_x, f_lo)
        hi = jnp.where(right, hi, x)
        slope = c[1] + x * (2.0 * c[2] + 3.0 * x * c[3])
        newton = x - f_x / jnp.where(slope != 0, slope, 1.0)
        inside = (slope != 0) & (newton >= lo) & (newton <= hi)
        x = jnp.where(f_x == 0, x, jnp.where(inside, newton, 0.5 * (lo + hi)))
    return x


#: a sorting network for 6 keys (12 comparators, the fewest possible; Knuth, TAOCP vol. 3,
#: sec. 5.3.4); tests/kernels/test_events.py checks it on every 0-1 input (the 0-1 principle)
_SORT6 = ((0, 5), (1, 3), (2, 4), (1, 2), (3, 4), (0, 3), (2, 5), (0, 1), (2, 3), (4, 5), (1, 2), (3, 4))


def _sorted(x):
    """``x`` (6,) in ascending order by a fixed network of min/max pairs (element-wise over any
    batch: no sort kernel, no comparator calls)."""
    v = [x[i] for i in range(x.shape[0])]
    assert len(v) == 6
    for i, j in _SORT6:
        v[i], v[j] = jnp.minimum(v[i], v[j]), jnp.maximum(v[i], v[j])
    return jnp.stack(v)


@pytree_dataclass
class ShadowInStep:
    """The shadow of one node over one step (:func:`step_shadow`)."""

    mean_sunlit_fraction: Any  #: [1] () int_0^1 f dtheta over the step
    substep_sunlit_fraction: Any  #: [1] (substeps,) the mean over each equal part of the step
    event_theta: Any  #: [1] (SLOTS_PER_STEP,) each located contact as a fraction of the step (NaN: none)
    event_kind: Any  #: [code] (SLOTS_PER_STEP,) int32 codes of EVENT_KINDS


def step_shadow(r0_m, v0_m_s, r1_m, v1_m_s, sun0_m, sun1_m, h_s, shadow_fn, earth_radius_m, sun_radius_m,
                substeps: int = 1):
    """Contacts and mean sunlit fraction of one node over one step (no node axis; vmap it).

    ``r0_m, v0_m_s`` / ``r1_m, v1_m_s``: the node's state at the step's start / end (3,);
    ``sun0_m``, ``sun1_m``: the Sun there (3,); ``h_s``: the step [s]; ``shadow_fn``: a
    model of ``kernels.shadow.SHADOW_MODELS`` (an instance) (its fraction is integrated over the penumbra
    pieces; the contacts are those of the conical model).
    Returns :class:`ShadowInStep` (``substeps`` equal parts of the step).
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
        coefficients = _cubic_coefficients(y)
        root = _cubic_root(coefficients, lo, hi, f_lo, f_hi)
        thetas.append(jnp.where(crossing, root, jnp.nan))
        kinds.append(jnp.where(f_lo > 0, entry, exit_).astype(jnp.int32))  # leaving g > 0: entering
    event_theta = jnp.concatenate(thetas)
    event_kind = jnp.concatenate(kinds)

    # pieces between the sorted contacts (NaN -> 1: empty pieces at the end)
    cuts = _sorted(jnp.where(jnp.isnan(event_theta), 1.0, event_theta))
    edges = jnp.concatenate([jnp.zeros(1, dtype), cuts, jnp.ones(1, dtype)])  # (8,)
    a, b = edges[:-1], edges[1:]
    mid = 0.5 * (a + b)
    gp_mid = _horner(_cubic_coefficients(tuple(g_pen)), mid)
    gu_mid = _horner(_cubic_coefficients(tuple(g_umb)), mid)
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
    pick = pieces[:, None] == idx[None, :]  # (2, n) one-hot: selects, not a gather
    pa = jnp.sum(jnp.where(pick, a[None, :], 0.0), axis=1)
    pb = jnp.sum(jnp.where(pick, b[None, :], 0.0), axis=1)
    x = (pa[:, None] + (pb - pa)[:, None] * nodes[None]).reshape(-1)  # (6,)
    f = jax.vmap(shadow_fn, in_axes=(0, 0, None, None))(position(x), sun(x), earth_radius_m, sun_radius_m)
    cells = pa[:, None] + (pb - pa)[:, None] * cell_edges[None]  # (2, 4)
    share = overlap(cells[:, :-1].reshape(-1), cells[:, 1:].reshape(-1)) * f[:, None]  # (6, n_sub)
    sub = sub + jnp.sum(jnp.where(jnp.repeat(use, 3)[:, None], share, 0.0), axis=0)
    substep_fraction = jnp.clip(sub * n_sub, 0.0, 1.0)
    return ShadowInStep(mean_sunlit_fraction=jnp.mean(substep_fraction), substep_sunlit_fraction=substep_fraction,
                        event_theta=event_theta, event_kind=event_kind)
