"""kernels/approach.py: analytic cases of the dense output and of the closest approach in a step."""

import jax
import jax.numpy as jnp
import numpy as np

from orbital_sim.kernels.approach import closest_in_step, hermite_state


def test_hermite_reproduces_a_cubic_exactly(rng):
    """The cubic Hermite interpolant of a cubic path is the path (position and velocity)."""
    c = rng.normal(size=(4, 3)) * np.array([[1e6], [7e3], [10.0], [0.1]])
    h = 10.0

    def path(t):
        return c[0] + c[1] * t + c[2] * t**2 + c[3] * t**3, c[1] + 2 * c[2] * t + 3 * c[3] * t**2

    (r0, v0), (r1, v1) = path(0.0), path(h)
    for s in (0.0, 0.3, 0.77, 1.0):
        r, v = hermite_state(jnp.asarray(r0), jnp.asarray(v0), jnp.asarray(r1), jnp.asarray(v1), h, s)
        want_r, want_v = path(s * h)
        assert np.allclose(r, want_r, rtol=0, atol=1e-6)
        assert np.allclose(v, want_v, rtol=0, atol=1e-9)


def test_closest_approach_of_straight_relative_motion(rng):
    """Relative motion dr(t) = d0 + u t: the minimum is at t* = -d0.u / |u|^2 with distance
    |d0 + u t*| (closed form); at the step's end when t* falls outside it."""
    h = 10.0
    d0 = rng.normal(size=(64, 3)) * 5e3
    u = rng.normal(size=(64, 3)) * 1e3
    t_star = np.clip(-np.sum(d0 * u, axis=1) / np.sum(u * u, axis=1), 0.0, h)
    want = np.linalg.norm(d0 + u * t_star[:, None], axis=1)
    s, d = jax.jit(closest_in_step)(jnp.asarray(d0), jnp.asarray(u), jnp.asarray(d0 + u * h), jnp.asarray(u), h)
    assert np.allclose(np.asarray(s) * h, t_star, rtol=0, atol=1e-6)
    assert np.allclose(np.asarray(d), want, rtol=1e-12, atol=1e-6)
