"""The plate-to-sphere view factor and its gradient are finite at and around every edge of
its branches (review defect 4: asin of an argument rounded to exactly 1 gave a NaN gradient at
the full-view edge, e.g. H = 2, cos(lambda) = nextafter(0.5, 0))."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from orbital_sim.kernels.irradiance import view_factor_plate_sphere, view_factors_two_faces

ULPS = 2000
H_RATIOS = [1.03, 1.1, 2.0, 6.61]


def _ulp_neighbourhood(x: float, dtype) -> np.ndarray:
    """The floats of ``dtype`` within ULPS units in the last place of x (for x = 0: the
    ULPS smallest of either sign)."""
    int_type = np.int64 if np.dtype(dtype).itemsize == 8 else np.int32
    if x == 0.0:
        tiny = np.arange(0, ULPS + 1, dtype=int_type).view(dtype)
        return np.concatenate([-tiny[::-1], tiny[1:]])
    bits = np.asarray(abs(x), dtype).view(int_type)
    return np.sign(x).astype(dtype) * (bits + np.arange(-ULPS, ULPS + 1, dtype=int_type)).view(dtype)


def _faces(h, c):
    front, back = view_factors_two_faces(h, c)
    return jnp.stack([front, back, view_factor_plate_sphere(h, c)])


#: value and gradient with respect to (h_ratio, cos_tilt) of both faces and the one-face form
_value_and_jac = jax.jit(jax.vmap(lambda h, c: (_faces(h, c), jax.jacfwd(_faces, argnums=(0, 1))(h, c))))
_value_and_grad_rev = jax.jit(jax.vmap(
    lambda h, c: [jax.grad(lambda hh, cc, k=k: _faces(hh, cc)[k], argnums=(0, 1))(h, c) for k in range(3)]))


def _assert_finite(h, c, dtype):
    h, c = jnp.asarray(h, dtype), jnp.asarray(c, dtype)
    value, (d_h, d_c) = _value_and_jac(h, c)
    rev = _value_and_grad_rev(h, c)
    for name, arr in [("value", value), ("dF/dH (forward)", d_h), ("dF/dcos (forward)", d_c)] + [
            (f"reverse gradient of output {k}", g) for k, pair in enumerate(rev) for g in pair]:
        arr = np.asarray(arr)
        bad = ~np.isfinite(arr)
        assert not bad.any(), (f"{name} not finite at {int(bad.sum())} points, first H = "
                               f"{np.asarray(h).ravel()[np.argmax(bad.reshape(bad.shape[0], -1).any(1))]!r}, "
                               f"cos = {np.asarray(c).ravel()[np.argmax(bad.reshape(bad.shape[0], -1).any(1))]!r}")
    assert np.all((np.asarray(value) >= 0) & (np.asarray(value) <= 1))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("h_ratio", H_RATIOS)
def test_view_factor_and_gradient_finite_within_2000_ulp_of_the_edges_in_cos(h_ratio, dtype):
    """cos(lambda) over +-2000 ulp of the full-view edges +-1/H and of the poles +-1."""
    edges = [1.0 / h_ratio, -1.0 / h_ratio, np.nextafter(1.0, 0.0), -np.nextafter(1.0, 0.0), 0.0]
    cos = np.concatenate([_ulp_neighbourhood(x, dtype) for x in edges])
    cos = np.clip(cos, -1.0, 1.0).astype(dtype)
    _assert_finite(np.full_like(cos, h_ratio), cos, dtype)
    # and bounded as the exact one: F(cos) rises from 0 at cos = -1/H to cos/H^2 at +1/H with
    # slope in [0, 1/H^2] (one ulp from the edge the unbanded form gave 2.6e7 at H = 2)
    _, (_, d_c) = _value_and_jac(jnp.asarray(np.full_like(cos, h_ratio)), jnp.asarray(cos))
    slope = np.asarray(d_c)[:, 0] * h_ratio**2  # front face, in units of 1/H^2
    tol = 1e-6 if dtype == np.float64 else 1e-3
    assert slope.min() >= -tol and slope.max() <= 1 + tol, (slope.min(), slope.max())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cos_tilt", [0.5, -0.5, 0.95, 0.2])
def test_view_factor_and_gradient_finite_within_2000_ulp_of_the_edges_in_h(cos_tilt, dtype):
    """H over +-2000 ulp of the height 1/|cos(lambda)| where the edge passes the plate."""
    h = _ulp_neighbourhood(1.0 / abs(cos_tilt), dtype)
    _assert_finite(h, np.full_like(h, cos_tilt), dtype)


def test_review_case_gradient_is_finite_and_near_the_full_view_one():
    """H = 2, cos = nextafter(0.5, 0): the partial branch one ulp from the edge. The exact
    derivative is continuous there, dF/dcos = 1/H^2 = 0.25; the computed one must be finite and
    within 1e-3 of it (what remains is the cancellation of two terms of size ~1/sqrt(ulp))."""
    c = np.nextafter(0.5, 0.0)
    d_c = float(jax.grad(view_factor_plate_sphere, argnums=1)(jnp.asarray(2.0), jnp.asarray(c)))
    assert np.isfinite(d_c)
    assert d_c == pytest.approx(0.25, abs=1e-3)
