"""Lumped-parameter thermal network: components with heat capacities, linear conductances,
heat loads and radiation to a cold sink.

    C_i dT_i/dt = Q_i - sum_j G_ij (T_i - T_j) - k_i (T_i^4 - T_sink^4)

with k_i = sigma * sum over the component's surface faces of (emittance * area).

Integrator: backward Euler with the T^4 term linearised about the start of the step
(one Newton iteration of the implicit step, a Rosenbrock-Euler method). It is L-stable for
any step, so the stiffest component (a light array, a chip on a cold plate) never makes it
oscillate or diverge; it is first-order accurate in time. The energy ledger closes to
rounding by construction:

    sum_i C_i (T_i' - T_i) = dt * (sum_i Q_i - sum_i E_i)

where E_i = k_i (T_i^4 + 4 T_i^3 (T_i' - T_i) - T_sink^4) is the emitted power used in the step
(returned so that callers can book it), because the conductance terms cancel in pairs.
The linear system is symmetric and strictly diagonally dominant, so Gaussian elimination
without pivoting is stable; it is unrolled for the (small, static) number of components.
"""

from __future__ import annotations

import jax.numpy as jnp


def solve_diagonally_dominant(matrix, rhs):
    """Solve ``matrix @ x = rhs`` for a small (n, n) strictly diagonally dominant matrix by
    Gaussian elimination without pivoting, unrolled over the static n."""
    n = rhs.shape[0]
    a = [[matrix[i, j] for j in range(n)] for i in range(n)]
    b = [rhs[i] for i in range(n)]
    for k in range(n):
        inv_pivot = 1.0 / a[k][k]
        for i in range(k + 1, n):
            factor = a[i][k] * inv_pivot
            for j in range(k + 1, n):
                a[i][j] = a[i][j] - factor * a[k][j]
            b[i] = b[i] - factor * b[k]
    x = [None] * n
    for i in reversed(range(n)):
        acc = b[i]
        for j in range(i + 1, n):
            acc = acc - a[i][j] * x[j]
        x[i] = acc / a[i][i]
    return jnp.stack(x)


def thermal_step(temperature_k, heat_capacity_j_k, conductance_w_k, emission_w_k4, heat_w, dt_s, sink_k):
    """Advance component temperatures by one step.

    ``temperature_k``: [K] (n,); ``heat_capacity_j_k``: [J/K] (n,);
    ``conductance_w_k``: [W/K] (n, n), symmetric, zero diagonal;
    ``emission_w_k4``: [W/K^4] (n,), sigma * sum(emittance * area) per component;
    ``heat_w``: [W] (n,), absorbed environment heat + internal dissipation over the step;
    ``dt_s``: [s]; ``sink_k``: [K].
    Returns ``(temperature_next_k (n,), emitted_w (n,))``.
    """
    t0 = temperature_k
    t0_3 = t0 * t0 * t0
    t0_4 = t0_3 * t0
    c_dt = heat_capacity_j_k / dt_s
    g_sum = jnp.sum(conductance_w_k, axis=1)
    diag = c_dt + 4.0 * emission_w_k4 * t0_3 + g_sum
    matrix = jnp.diag(diag) - conductance_w_k
    sink4 = sink_k**4
    rhs = c_dt * t0 + heat_w + emission_w_k4 * (3.0 * t0_4 + sink4)
    t1 = solve_diagonally_dominant(matrix, rhs)
    emitted_w = emission_w_k4 * (t0_4 + 4.0 * t0_3 * (t1 - t0) - sink4)
    return t1, emitted_w


def equilibrium_temperature_k(heat_w, emission_w_k4, sink_k):
    """Radiative equilibrium of a single isolated component: k (T^4 - T_sink^4) = Q."""
    return (heat_w / emission_w_k4 + sink_k**4) ** 0.25
