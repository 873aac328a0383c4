"""kernels.fastmath against NumPy's libm: values within 3 ulp (2 measured) over 14 decades of
argument, the quadrant conventions, float32 within 3 float32 ulp, and the derivatives against
jax.numpy's."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from orbital_sim.kernels import fastmath

ULP_TOL = 3.0  #: [ulp of the result] allowed error; the Cephes rational measures 2 here


def _ulp_error(got, ref):
    got, ref = np.asarray(got, np.float64), np.asarray(ref, np.float64)
    return np.abs(got - ref) / np.spacing(np.abs(ref).astype(got.dtype))


def test_atan2_matches_libm_over_all_quadrants_and_scales():
    rng = np.random.default_rng(1)
    n = 200_000
    y = rng.normal(size=n) * 10.0 ** rng.uniform(-7, 7, n)
    x = rng.normal(size=n) * 10.0 ** rng.uniform(-7, 7, n)
    got = np.asarray(jax.jit(fastmath.atan2)(y, x))
    err = _ulp_error(got, np.arctan2(y, x))
    assert err.max() <= ULP_TOL, err.max()
    # every octant and the reduction's switch at t = 0.66 are exercised
    t = np.minimum(np.abs(x), np.abs(y)) / np.maximum(np.abs(x), np.abs(y))
    assert (t > 0.66).sum() > 1000 and (t < 0.66).sum() > 1000


@pytest.mark.parametrize("y, x", [(0.0, 0.0), (0.0, 1.0), (0.0, -1.0), (1.0, 0.0), (-1.0, 0.0),
                                  (1.0, 1.0), (-1.0, -1.0), (1e-300, -1.0), (-1e-300, -1.0),
                                  (1e300, 1e-300), (3.0, -4.0)])
def test_atan2_special_points(y, x):
    assert float(fastmath.atan2(y, x)) == pytest.approx(float(np.arctan2(y, x)), rel=0, abs=4.5e-16)


@pytest.mark.parametrize("name", ["asin", "acos"])
def test_asin_acos_match_libm_on_the_closed_interval(name):
    rng = np.random.default_rng(2)
    u = np.concatenate([rng.uniform(-1, 1, 100_000), 1.0 - 10.0 ** rng.uniform(-16, -1, 1000),
                        -1.0 + 10.0 ** rng.uniform(-16, -1, 1000), [-1.0, -0.5, 0.0, 0.5, 1.0]])
    got = np.asarray(jax.jit(getattr(fastmath, name))(u))
    ref = getattr(np, "arc" + name[1:])(u)
    # absolute error where the result is 0 (asin(0), acos(1)); ulp of the result elsewhere
    err = np.where(ref == 0, np.abs(got - ref) / np.spacing(1.0), _ulp_error(got, ref))
    assert err.max() <= ULP_TOL, err.max()


def test_float32_keeps_float32_accuracy():
    rng = np.random.default_rng(3)
    y = rng.normal(size=50_000).astype(np.float32)
    x = rng.normal(size=50_000).astype(np.float32)
    got = np.asarray(jax.jit(fastmath.atan2)(y, x))
    assert got.dtype == np.float32
    ref = np.arctan2(y.astype(np.float64), x.astype(np.float64))
    err = np.abs(got - ref) / np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64)
    assert err.max() <= ULP_TOL, err.max()
    u = rng.uniform(-1, 1, 50_000).astype(np.float32)
    for name in ("asin", "acos"):
        got = np.asarray(jax.jit(getattr(fastmath, name))(u))
        ref = getattr(np, "arc" + name[1:])(u.astype(np.float64))
        err = np.abs(got - ref) / np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64)
        assert err.max() <= ULP_TOL, (name, err.max())


def test_derivatives_equal_the_jax_numpy_ones():
    rng = np.random.default_rng(4)
    y, x = rng.normal(size=64), rng.normal(size=64)
    for argnum in (0, 1):
        got = jax.vmap(jax.grad(fastmath.atan2, argnums=argnum))(y, x)
        ref = jax.vmap(jax.grad(jnp.arctan2, argnums=argnum))(y, x)
        np.testing.assert_allclose(got, ref, rtol=1e-14)
    u = rng.uniform(-0.999, 0.999, 64)
    np.testing.assert_allclose(jax.vmap(jax.grad(fastmath.asin))(u), jax.vmap(jax.grad(jnp.arcsin))(u), rtol=1e-14)
    np.testing.assert_allclose(jax.vmap(jax.grad(fastmath.acos))(u), jax.vmap(jax.grad(jnp.arccos))(u), rtol=1e-14)
    # forward mode (the sizing Jacobians use jacfwd) and the origin stay finite
    assert np.isfinite(jax.jacfwd(fastmath.atan2, argnums=(0, 1))(0.0, 0.0)).all()
