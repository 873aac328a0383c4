"""Lumped-parameter thermal network: components with heat capacities, linear conductances,
heat loads and radiation to a cold sink.

    C_i dT_i/dt = Q_i - sum_j G_ij (T_i - T_j) - k_i (T_i^4 - T_sink^4)

with k_i = sigma * sum over the component's surface faces of (emittance * area).

Integrator: the two-stage Rosenbrock method ROS2 (Verwer, Spee, Blom & Hundsdorfer, SIAM J.
Sci. Comput. 20 (1999) 1456), gamma = 1 + 1/sqrt(2): second order, L-stable for any step, so
the stiffest component (a light array, a chip on a cold plate) never oscillates or diverges.
With F(T) = Q - L T - R(T) (L the conductance Laplacian, R the emission) and the Jacobian
J = -(L + D), D = diag(4 k T0^3):

    (C + gamma dt (L + D)) k1 = F(T0)
    (C + gamma dt (L + D)) k2 = F(T0 + dt k1) - 2 C k1
    T' = T0 + dt (3/2 k1 + 1/2 k2)

Energy ledger: summing C (T' - T0) / dt over components, the conductance terms cancel in
pairs and what is left is Q minus the emitted power

    E = (R(T0) + R(T0 + dt k1)) / 2 + gamma dt D (k1 + k2) / 2,

which ``thermal_step`` returns per component. So sum C dT = dt (sum Q - sum E) holds to
rounding when the plumbing is right (symmetric conductances, heat booked where it is used).
The linear systems are symmetric and strictly diagonally dominant, so Gaussian elimination
without pivoting is stable in any symmetric order; it is unrolled for the (small, static)
number of components, factored once per step for both stages, and follows the network's
couplings (static pairs): eliminating the components with the fewest couplings first, a star
around a cold plate (the default node class) needs 4 multipliers and 4 updates where the dense
5 x 5 system needs 10 and 30.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np


def coupling_pattern(conductance_w_k) -> tuple[tuple[int, int], ...]:
    """The pairs ``(i, j)``, ``i < j``, of components coupled in at least one node, from
    concrete conductances ``(..., n, n)`` [W/K] (host side; the result is static for a compiled
    step). A pair left out is treated as uncoupled, so pass the conductances the step will run."""
    g = np.asarray(conductance_w_k)
    n = g.shape[-1]
    coupled = np.any(g.reshape(-1, n, n) != 0, axis=0)
    return tuple((i, j) for i in range(n) for j in range(i + 1, n) if coupled[i, j] or coupled[j, i])


def _coupled(n: int, pairs) -> tuple[tuple[int, int], ...]:
    """``pairs`` as a tuple, or every pair (i, j), i < j, of n components when None."""
    if pairs is None:
        return tuple((i, j) for i in range(n) for j in range(i + 1, n))
    return tuple(pairs)


def _elimination_plan(n: int, pairs) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]:
    """Static symbolic elimination of a symmetric n x n matrix with off-diagonal entries at
    ``pairs``: the pivot order (minimum degree: the component with the fewest couplings left
    first, so a star network around a cold plate fills in nothing) and, per pivot, the
    components still coupled to it when it is eliminated (couplings created by elimination
    included)."""
    neighbours = [set() for _ in range(n)]
    for i, j in pairs:
        neighbours[i].add(j)
        neighbours[j].add(i)
    left = set(range(n))
    order, after = [], []
    while left:
        k = min(left, key=lambda m: (len(neighbours[m] & left), m))
        left.discard(k)
        rest = tuple(sorted(neighbours[k] & left))
        for i in rest:  # fill-in
            neighbours[i].update(x for x in rest if x != i)
        order.append(k)
        after.append(rest)
    return tuple(order), tuple(after)


def _factor(diagonal, off, plan):
    """LU factors of the matrix with ``diagonal`` (n entries) and ``off`` ({(i, j): entry},
    both orders) by Gaussian elimination without pivoting in the plan's order: the pivots'
    reciprocals, the multipliers and the updated entries, as dicts of traced scalars."""
    order, after = plan
    d = {i: diagonal[i] for i in range(len(order))}
    a = dict(off)
    inverse, multiplier = {}, {}
    for k, rest in zip(order, after):
        inverse[k] = 1.0 / d[k]
        for i in rest:
            f = a.get((i, k), 0.0) * inverse[k]
            multiplier[(i, k)] = f
            d[i] = d[i] - f * a.get((k, i), 0.0)
            for j in rest:
                if j != i:
                    a[(i, j)] = a.get((i, j), 0.0) - f * a.get((k, j), 0.0)
    return inverse, multiplier, a


def _solve_factored(factors, plan, rhs):
    """Solve with :func:`_factor`'s factors for one right-hand side (n entries)."""
    order, after = plan
    inverse, multiplier, a = factors
    b = {i: rhs[i] for i in range(len(order))}
    for k, rest in zip(order, after):  # forward elimination of the right-hand side
        for i in rest:
            b[i] = b[i] - multiplier[(i, k)] * b[k]
    x = {}
    for k, rest in zip(reversed(order), reversed(after)):  # back substitution
        acc = b[k]
        for j in rest:
            acc = acc - a.get((k, j), 0.0) * x[j]
        x[k] = acc * inverse[k]
    return jnp.stack([x[i] for i in range(len(order))])


def solve_diagonally_dominant(matrix, rhs, pairs=None):
    """Solve ``matrix @ x = rhs`` for a small (n, n) strictly diagonally dominant matrix by
    Gaussian elimination without pivoting (stable for such matrices in any symmetric order),
    unrolled over the static n. ``pairs``: the off-diagonal entries that may be nonzero, as
    (i, j) with i < j, in both triangles (default: all): the others are taken as zero."""
    n = rhs.shape[0]
    pairs = _coupled(n, pairs)
    plan = _elimination_plan(n, pairs)
    off = {}
    for i, j in pairs:
        off[(i, j)], off[(j, i)] = matrix[i, j], matrix[j, i]
    return _solve_factored(_factor([matrix[i, i] for i in range(n)], off, plan), plan, rhs)


def conduction_w(conductance_w_k, temperature_k, pairs=None):
    """Heat conducted into each component [W] (n,): sum_j G_ij (T_j - T_i) over the coupled
    ``pairs`` (i < j; default: all)."""
    n = temperature_k.shape[0]
    pairs = _coupled(n, pairs)
    flow = [jnp.zeros_like(temperature_k[0]) for _ in range(n)]
    for i, j in pairs:
        difference = temperature_k[j] - temperature_k[i]
        flow[i] = flow[i] + conductance_w_k[i, j] * difference
        flow[j] = flow[j] - conductance_w_k[j, i] * difference
    return jnp.stack(flow)


def conductance_sums_w_k(conductance_w_k, pairs=None):
    """sum_j G_ij per component [W/K] (n,) over the coupled ``pairs`` (default: all)."""
    n = conductance_w_k.shape[0]
    pairs = _coupled(n, pairs)
    total = [jnp.zeros_like(conductance_w_k[0, 0]) for _ in range(n)]
    for i, j in pairs:
        total[i] = total[i] + conductance_w_k[i, j]
        total[j] = total[j] + conductance_w_k[j, i]
    return jnp.stack(total)


def thermal_step(thermal, temperature_k, emission_w_k4, heat_w, dt_s, sink_k, pairs=None):
    """Advance component temperatures by one ROS2 step.

    ``thermal``: the node's thermal group (kernels.model.ThermalParams; this reads
    ``heat_capacity_j_k`` [J/K] (n,) and ``conductance_w_k`` [W/K] (n, n), symmetric, zero
    diagonal); ``temperature_k``: [K] (n,);
    ``emission_w_k4``: [W/K^4] (n,), sigma * sum(emittance * area) per component;
    ``heat_w``: [W] (n,), absorbed environment heat + internal dissipation, constant over the step;
    ``dt_s``: [s]; ``sink_k``: [K]; ``pairs``: the coupled components (i, j), i < j, static
    (:func:`coupling_pattern`; default: every pair). The one matrix of the step is factored
    once for both stages, with the network's sparsity: nothing is computed for an uncoupled pair.
    Returns ``(temperature_next_k (n,), emitted_w (n,))``: emitted is the mean power radiated
    to the sink over the step, as booked by the integrator.
    """
    heat_capacity_j_k, conductance_w_k = thermal.heat_capacity_j_k, thermal.conductance_w_k
    gamma = 1.0 + 0.5 ** 0.5
    t0 = temperature_k
    sink4 = sink_k**4
    n = t0.shape[0]
    pairs = _coupled(n, pairs)
    plan = _elimination_plan(n, pairs)

    def emission(t):
        return emission_w_k4 * (t * t * t * t - sink4)

    def flux(t):  # C dT/dt
        return heat_w + conduction_w(conductance_w_k, t, pairs) - emission(t)

    d = 4.0 * emission_w_k4 * t0 * t0 * t0
    scale = gamma * dt_s
    diagonal = heat_capacity_j_k + scale * (d + conductance_sums_w_k(conductance_w_k, pairs))
    off = {}
    for i, j in pairs:
        off[(i, j)], off[(j, i)] = -scale * conductance_w_k[i, j], -scale * conductance_w_k[j, i]
    factors = _factor([diagonal[i] for i in range(n)], off, plan)
    k1 = _solve_factored(factors, plan, flux(t0))
    t_mid = t0 + dt_s * k1
    k2 = _solve_factored(factors, plan, flux(t_mid) - 2.0 * heat_capacity_j_k * k1)
    t1 = t0 + dt_s * (1.5 * k1 + 0.5 * k2)
    emitted_w = 0.5 * (emission(t0) + emission(t_mid)) + 0.5 * gamma * dt_s * d * (k1 + k2)
    return t1, emitted_w


def half_step_ahead_k(thermal, temperature_k, emission_w_k4, heat_w, dt_s, sink_k, pairs=None, *,
                      conductance_sum_w_k=None, sink_k4=None):
    """Temperatures [K] (n,) half a step ``dt_s`` [s] ahead by one linearly implicit Euler step
    per component (its own emission and conductance sums implicit, the neighbours' temperatures
    held): a cheap predictor where a stage needs a load's temperature inside the step (the
    array's efficiency). Arguments as :func:`thermal_step`; ``conductance_sum_w_k``
    (:func:`conductance_sums_w_k`) [W/K] and ``sink_k4`` (``sink_k ** 4``) [K^4]: pass them where
    they are computed once outside a loop of substeps (default: here)."""
    if conductance_sum_w_k is None:
        conductance_sum_w_k = conductance_sums_w_k(thermal.conductance_w_k, pairs)
    if sink_k4 is None:
        sink_k4 = sink_k ** 4
    t3 = temperature_k * temperature_k * temperature_k
    flux_w = (heat_w + conduction_w(thermal.conductance_w_k, temperature_k, pairs)
              - emission_w_k4 * (t3 * temperature_k - sink_k4))
    half = 0.5 * dt_s
    return temperature_k + half * flux_w / (
        thermal.heat_capacity_j_k + half * (conductance_sum_w_k + 4.0 * emission_w_k4 * t3))


def equilibrium_temperature_k(heat_w, emission_w_k4, sink_k):
    """Radiative equilibrium of a single isolated component: k (T^4 - T_sink^4) = Q."""
    return (heat_w / emission_w_k4 + sink_k**4) ** 0.25
