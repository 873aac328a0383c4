"""Thermal network: analytic equilibrium, solve_ivp reference, ledger, stiff stability."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from orbital_sim.kernels.constants import DEEP_SPACE_SINK_K, STEFAN_BOLTZMANN_W_M2_K4 as SIGMA
from orbital_sim.kernels.model import ThermalParams
from orbital_sim.kernels.thermal import solve_diagonally_dominant, thermal_step
from tests.reference import thermal_ref


def _run(t0, c, g, k, q, dt, n):
    def body(t, _):
        t1, emitted = thermal_step(ThermalParams(heat_capacity_j_k=c, conductance_w_k=g), t, k, q, dt, DEEP_SPACE_SINK_K)
        return t1, (t1, emitted)

    _, (temps, emitted) = jax.lax.scan(body, jnp.asarray(t0), None, length=n)
    return np.asarray(temps), np.asarray(emitted)


def test_one_plate_reaches_analytic_equilibrium():
    """Issue 2 must-show: a one-plate radiator settles within 0.01 K of (Q / (eps sigma A))^(1/4)."""
    area, eps, q = 2.0, 0.9, 1000.0
    k = jnp.asarray([SIGMA * eps * area * 2])  # two-sided plate
    temps, _ = _run([250.0], jnp.asarray([9000.0]), jnp.zeros((1, 1)), k, jnp.asarray([q]), 30.0, 4000)
    expected = thermal_ref.equilibrium_one_plate(q, eps * area * 2)
    assert abs(temps[-1, 0] - expected) < 0.01, (temps[-1, 0], expected)


def test_network_matches_radau_reference():
    c = np.array([4.5e4, 3e5, 5e5, 6.45e5])
    g = np.zeros((4, 4))
    for a, b, val in [(0, 1, 2250.0), (1, 2, 5000.0), (3, 1, 2.0)]:
        g[a, b] = g[b, a] = val
    emissive = np.array([0.0, 0.0, 144.0, 442.0])  # eps * area, m^2
    q = np.array([44800.0, 2000.0, 3000.0, 80000.0])
    t0 = np.full(4, 293.15)
    dt, n = 1.0, 7200
    temps, _ = _run(t0, jnp.asarray(c), jnp.asarray(g), jnp.asarray(SIGMA * emissive), jnp.asarray(q), dt, n)
    ref = thermal_ref.solve_network(c, g, emissive, q, t0, np.arange(1, n + 1) * dt)
    # second-order scheme at 1 s against a 1e-10 Radau solution. The chips (time constant
    # C/G = 20 s) switch on at 1 K/s: measured worst error 0.020 K at 1 s, 0.22 K at 4 s.
    assert np.abs(temps - ref).max() < 0.03


def test_second_order_convergence():
    c = np.array([4.5e4, 3e5])
    g = np.array([[0.0, 2250.0], [2250.0, 0.0]])
    emissive = np.array([0.0, 60.0])
    q = np.array([44800.0, 0.0])
    t_end = 1800.0
    ref = thermal_ref.solve_network(c, g, emissive, q, [293.15, 293.15], [t_end])[-1]
    errors = []
    steps = [20.0, 10.0, 5.0, 2.5]
    for dt in steps:
        temps, _ = _run([293.15, 293.15], jnp.asarray(c), jnp.asarray(g), jnp.asarray(SIGMA * emissive),
                        jnp.asarray(q), dt, int(t_end / dt))
        errors.append(np.abs(temps[-1] - ref).max())
    slope = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert slope == pytest.approx(2.0, abs=0.15)


def test_ledger_closes_and_light_array_is_stable_at_60s():
    """A 3 kg/m^2 array (C/A = 2.4 kJ/K/m^2) on a 60 s step: no oscillation, ledger exact."""
    area = 260.0
    c = jnp.asarray([2400.0 * area, 3e5])
    g = jnp.asarray([[0.0, 2.0], [2.0, 0.0]])
    k = jnp.asarray([SIGMA * 1.7 * area, 0.0])
    q = jnp.asarray([1100.0 * area, 100.0])
    temps, emitted = _run([200.0, 293.15], c, g, k, q, 60.0, 1440)
    assert np.all(np.diff(temps[:, 0]) >= -1e-9), "array must warm monotonically, no overshoot"
    stored = float(np.sum(np.asarray(c) * (temps[-1] - np.array([200.0, 293.15]))))
    booked = 60.0 * float(np.sum(np.asarray(q)) * 1440 - np.sum(emitted))
    assert abs(stored - booked) <= 1e-9 * abs(60.0 * np.sum(emitted))


def test_unrolled_solver_matches_numpy(rng):
    for n in (1, 2, 5, 8):
        a = rng.random((n, n))
        a = a + a.T + np.diag(2 * n + rng.random(n))
        b = rng.random(n)
        np.testing.assert_allclose(np.asarray(solve_diagonally_dominant(jnp.asarray(a), jnp.asarray(b))),
                                   np.linalg.solve(a, b), rtol=1e-12)


def _sparse_network(rng, n, pairs):
    """A symmetric conductance matrix with couplings only at ``pairs`` (i < j)."""
    g = np.zeros((n, n))
    for i, j in pairs:
        g[i, j] = g[j, i] = rng.uniform(1.0, 5000.0)
    return g


@pytest.mark.parametrize("pairs", [
    ((0, 1), (1, 2), (1, 3), (1, 4)),  # the default node class: a star around the cold plate
    ((0, 1), (1, 2), (2, 3), (3, 4)),  # a chain
    ((0, 4), (1, 4), (2, 3)),  # two parts, one hub last in index order
    (),  # no couplings
])
def test_solver_with_the_network_pattern_matches_numpy(rng, pairs):
    """solve_diagonally_dominant with the couplings known (pairs) against numpy.linalg.solve,
    for networks whose minimum-degree order differs from the index order; the entries outside
    the pattern are not read."""
    from orbital_sim.kernels.thermal import _elimination_plan

    n = 5
    g = _sparse_network(rng, n, pairs)
    a = np.diag(rng.uniform(1e3, 1e5, n) + g.sum(axis=1) * 30.0) - 30.0 * g
    b = rng.normal(size=n) * 1e4
    expected = np.linalg.solve(a, b)
    noisy = a + np.where(a == 0, 1e6, 0.0)  # garbage outside the pattern
    np.fill_diagonal(noisy, np.diag(a))
    got = np.asarray(solve_diagonally_dominant(jnp.asarray(noisy), jnp.asarray(b), pairs))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())
    order, after = _elimination_plan(n, pairs)
    assert sorted(order) == list(range(n))
    if pairs and pairs[0] == (0, 1) and pairs[1] == (1, 2) and pairs[2] == (1, 3):  # the star: no fill-in
        assert sum(len(rest) for rest in after) == 4


def test_thermal_step_with_the_pattern_equals_the_dense_step(rng):
    """thermal_step with coupling_pattern's pairs against every pair (a dense 5 x 5 solve), over
    100 steps of changing loads on the star network: within 1e-9 K (rounding only); with one
    coupling left out of the pattern the result is different (the pattern is not ignored)."""
    from orbital_sim.kernels.thermal import coupling_pattern

    n = 5
    star = ((0, 1), (1, 2), (1, 3), (1, 4))
    g = jnp.asarray(_sparse_network(rng, n, star))
    assert coupling_pattern(np.stack([np.asarray(g), np.zeros((n, n))])) == star
    c = jnp.asarray([2e4, 5e4, 8e4, 1.8e3, 7.5e5])
    k = jnp.asarray([0.0, 0.0, SIGMA * 0.9 * 200.0, SIGMA * 0.85 * 2 * 150.0, 0.0])

    def run(pairs):
        def body(t, i):
            q = jnp.asarray([4.48e4, 2e3, 0.0, 1e5, 500.0]) * (1.0 + 0.5 * jnp.sin(0.3 * i))
            return thermal_step(ThermalParams(heat_capacity_j_k=c, conductance_w_k=g), t, k, q, 60.0, DEEP_SPACE_SINK_K,
                                pairs)[0], None
        return np.asarray(jax.lax.scan(body, jnp.full(n, 290.0), jnp.arange(100.0))[0])

    dense, sparse = run(None), run(coupling_pattern(g))
    np.testing.assert_allclose(sparse, dense, rtol=0, atol=1e-9)
    assert np.abs(run(star[:3]) - dense).max() > 1.0
