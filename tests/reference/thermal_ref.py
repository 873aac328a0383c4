"""Independent thermal-network reference: lumped nodes, conduction, radiation to a sink.

Model, per node i (SI: J/K, W/K, m^2, W, K):

    C_i dT_i/dt = q_i(t) - sum_j G_ij (T_i - T_j) - sigma A_i (T_i^4 - T_sink^4)

with G symmetric (its diagonal is ignored) and A_i = sum over the node's surfaces of
emittance * area (m^2). Integrated by ``scipy.integrate.solve_ivp`` Radau (implicit,
order 5, L-stable) with the analytic Jacobian, rtol 1e-10, atol 1e-9 K: adaptive in time, so
unlike a fixed-step linearised backward Euler it has no step-size error to speak of
(temperatures good to ~1e-8 relative).
"""

import numpy as np
from scipy.integrate import solve_ivp

from .constants_ref import DEEP_SPACE_SINK_K, STEFAN_BOLTZMANN_W_M2_K4

SIGMA = STEFAN_BOLTZMANN_W_M2_K4


def _setup(heat_capacity_j_k, conductance_w_k, emissive_area_m2, q_w):
    c = np.asarray(heat_capacity_j_k, dtype=float)
    g = np.array(conductance_w_k, dtype=float, copy=True).reshape(c.size, c.size)
    if not np.allclose(g, g.T, rtol=0.0, atol=1e-12 * max(1.0, np.abs(g).max())):
        raise ValueError("conductance matrix must be symmetric")
    np.fill_diagonal(g, 0.0)
    laplacian = np.diag(g.sum(axis=1)) - g  # (L T)_i = sum_j G_ij (T_i - T_j)
    area = np.asarray(emissive_area_m2, dtype=float)
    q_fn = q_w if callable(q_w) else (lambda _t, q=np.asarray(q_w, dtype=float): q)
    return c, laplacian, area, q_fn


def solve_network(heat_capacity_j_k, conductance_w_k, emissive_area_m2, q_w, t0_k, t_eval_s,
                  sink_k=DEEP_SPACE_SINK_K):
    """Node temperatures (K), shape (len(t_eval_s), n).

    heat_capacity_j_k (n,) J/K; conductance_w_k (n, n) W/K symmetric; emissive_area_m2 (n,)
    = sum of emittance * area per node (m^2); q_w: absorbed + dissipated power per node (W),
    (n,) constant or a callable t_s -> (n,) (keep it smooth, or the adaptive step shrinks at each
    jump); t0_k (n,) initial temperatures at t = 0; t_eval_s (m,) increasing, >= 0 (s);
    sink_k radiative sink temperature (K).
    """
    c, lap, area, q_fn = _setup(heat_capacity_j_k, conductance_w_k, emissive_area_m2, q_w)
    t_eval = np.atleast_1d(np.asarray(t_eval_s, dtype=float))
    t0 = np.asarray(t0_k, dtype=float)
    if t_eval[-1] == 0.0:
        return np.tile(t0, (t_eval.size, 1))

    def rhs(t, temp):
        return (q_fn(t) - lap @ temp - SIGMA * area * (temp**4 - sink_k**4)) / c

    def jac(_t, temp):
        return -(lap + np.diag(4.0 * SIGMA * area * temp**3)) / c[:, None]

    sol = solve_ivp(rhs, (0.0, t_eval[-1]), t0, method="Radau", t_eval=t_eval, jac=jac,
                    rtol=1e-10, atol=1e-9)
    if not sol.success:
        raise RuntimeError(sol.message)
    return sol.y.T


def equilibrium_one_plate(q_w, emissive_area_m2, sink_k=DEEP_SPACE_SINK_K):
    """Steady temperature (K) of one isolated node: q = sigma A (T^4 - T_sink^4).

    q_w (W) absorbed + dissipated power; emissive_area_m2 = emittance * area (m^2).
    """
    return (np.asarray(q_w, dtype=float) / (SIGMA * np.asarray(emissive_area_m2, dtype=float))
            + sink_k**4) ** 0.25


def ledger(heat_capacity_j_k, conductance_w_k, emissive_area_m2, q_w, t0_k, t_eval_s,
           sink_k=DEEP_SPACE_SINK_K):
    """Energy ledger of the network, integrated together with the temperatures.

    Same arguments as ``solve_network``. The state is augmented with the running integrals of
    absorbed power q_i, emitted power sigma A_i (T_i^4 - T_sink^4) (net to the sink) and
    conducted power into each node, so all are integrated by the same Radau solver (rtol 1e-10)
    rather than by a quadrature of samples. Returns a dict of arrays of shape (m, n), J unless
    stated:
      temperature_k, absorbed_j, emitted_j, conducted_in_j,
      stored_j = C (T - T0),
      residual_j = stored - (absorbed - emitted + conducted_in): Radau keeps linear invariants,
                   so this is round-off (~1e-12 relative): a consistency check of the ledger
                   plumbing, while the physics is checked by comparing with a kernel's ledger.
    Summed over nodes, conducted_in_j is zero to round-off.
    """
    c, lap, area, q_fn = _setup(heat_capacity_j_k, conductance_w_k, emissive_area_m2, q_w)
    n = c.size
    t_eval = np.atleast_1d(np.asarray(t_eval_s, dtype=float))
    t0 = np.asarray(t0_k, dtype=float)
    y0 = np.concatenate([t0, np.zeros(3 * n)])
    # Energies are carried divided by C_i (in K), so atol 1e-9 means the same for all nodes.

    def rhs(t, y):
        temp = y[:n]
        q = q_fn(t)
        emit = SIGMA * area * (temp**4 - sink_k**4)
        cond = -(lap @ temp)
        return np.concatenate([(q - emit + cond) / c, q / c, emit / c, cond / c])

    def jac(_t, y):
        temp = y[:n]
        d_emit = np.diag(4.0 * SIGMA * area * temp**3)
        j = np.zeros((4 * n, 4 * n))
        j[:n, :n] = -(lap + d_emit) / c[:, None]
        j[2 * n:3 * n, :n] = d_emit / c[:, None]
        j[3 * n:, :n] = -lap / c[:, None]
        return j

    if t_eval[-1] == 0.0:
        y = np.tile(y0, (t_eval.size, 1))
    else:
        sol = solve_ivp(rhs, (0.0, t_eval[-1]), y0, method="Radau", t_eval=t_eval, jac=jac,
                        rtol=1e-10, atol=1e-9)
        if not sol.success:
            raise RuntimeError(sol.message)
        y = sol.y.T
    temp = y[:, :n]
    absorbed, emitted, conducted = (y[:, k * n:(k + 1) * n] * c for k in (1, 2, 3))
    stored = c * (temp - t0)
    return dict(temperature_k=temp, absorbed_j=absorbed, emitted_j=emitted,
                conducted_in_j=conducted, stored_j=stored,
                residual_j=stored - (absorbed - emitted + conducted))
