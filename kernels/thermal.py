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
    """Advance component temperatures by one ROS2 step.

    ``temperature_k``: [K] (n,); ``heat_capacity_j_k``: [J/K] (n,);
    ``conductance_w_k``: [W/K] (n, n), symmetric, zero diagonal;
    ``emission_w_k4``: [W/K^4] (n,), sigma * sum(emittance * area) per component;
    ``heat_w``: [W] (n,), absorbed environment heat + internal dissipation, constant over the step;
    ``dt_s``: [s]; ``sink_k``: [K].
    Returns ``(temperature_next_k (n,), emitted_w (n,))``: emitted is the mean power radiated
    to the sink over the step, as booked by the integrator.
    """
    gamma = 1.0 + 0.5 ** 0.5
    t0 = temperature_k
    sink4 = sink_k**4

    def emission(t):
        return emission_w_k4 * (t * t * t * t - sink4)

    def flux(t):  # C dT/dt
        return heat_w - conductance_w_k.sum(axis=1) * t + conductance_w_k @ t - emission(t)

    d = 4.0 * emission_w_k4 * t0 * t0 * t0
    g_sum = jnp.sum(conductance_w_k, axis=1)
    matrix = jnp.diag(heat_capacity_j_k + gamma * dt_s * (d + g_sum)) - gamma * dt_s * conductance_w_k
    k1 = solve_diagonally_dominant(matrix, flux(t0))
    t_mid = t0 + dt_s * k1
    k2 = solve_diagonally_dominant(matrix, flux(t_mid) - 2.0 * heat_capacity_j_k * k1)
    t1 = t0 + dt_s * (1.5 * k1 + 0.5 * k2)
    emitted_w = 0.5 * (emission(t0) + emission(t_mid)) + 0.5 * gamma * dt_s * d * (k1 + k2)
    return t1, emitted_w


def equilibrium_temperature_k(heat_w, emission_w_k4, sink_k):
    """Radiative equilibrium of a single isolated component: k (T^4 - T_sink^4) = Q."""
    return (heat_w / emission_w_k4 + sink_k**4) ** 0.25
