"""Kepler's equation over the whole elliptic range the config accepts (e <= 0.99) and every
mean anomaly, against an independent bracketed solver (SciPy's brentq in tests/reference)."""

from __future__ import annotations

import math
import tomllib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from orbital_sim.config import ConfigError, validate_dict
from orbital_sim.kernels import constants as kc
from orbital_sim.kernels.orbit import elements_to_state, solve_kepler
from tests.app.test_config import SMALL_TOML
from tests.reference import orbit_ref

E_GRID = np.concatenate([np.linspace(0.0, 0.99, 34), [0.999]])
M_GRID = np.concatenate([
    np.linspace(0.0, 2 * np.pi, 721),  # every half degree, both halves of the orbit
    np.logspace(-12, -1, 12), -np.logspace(-12, -1, 12),  # either side of periapsis
    np.pi + np.logspace(-12, -1, 12), np.pi - np.logspace(-12, -1, 12),  # either side of apoapsis
    [-7.0, 7.0, 100.0],  # outside one revolution
])


def test_kepler_matches_brentq_over_e_and_mean_anomaly():
    """|E - E_ref| below 1e-12 rad for 0 <= e <= 0.999 and M over the whole circle; before the
    fix, M in (pi, 2 pi) at e above about 0.91 gave a wrong root (up to radians off)."""
    solve = jax.jit(jax.vmap(solve_kepler, in_axes=(0, None)))
    worst = 0.0
    for e in E_GRID:
        ecc = np.asarray(solve(jnp.asarray(M_GRID), float(e)))
        ref = np.array([orbit_ref.solve_kepler(m, e) for m in M_GRID])
        diff = np.abs((ecc - ref + np.pi) % (2 * np.pi) - np.pi)
        worst = max(worst, float(diff.max()))
    assert worst < 1e-12, f"largest |E - E_ref| = {worst:.3g} rad"


def test_kepler_review_case_radius():
    """The review's case: a = 200,000 km, e = 0.95, M = 320 deg; |r| = a (1 - e cos E) =
    214,177 km (the old starting guess gave 381,740 km). Within 1 mm of the reference state."""
    el = (200_000e3, 0.95, 0.3, 0.2, 0.1, math.radians(320.0))
    r, _ = elements_to_state(*(jnp.asarray(x) for x in el), kc.GM_EARTH_M3_S2)
    r_ref, _ = orbit_ref.elements_to_state(*el)
    assert float(jnp.linalg.norm(r)) == pytest.approx(214_177e3, abs=1e3)
    assert np.linalg.norm(np.asarray(r) - r_ref) < 1e-3


@pytest.mark.parametrize("e", [0.0, 0.3, 0.95, 0.99])
@pytest.mark.parametrize("m", [0.0, 1e-9, 1.0, math.pi, 4.0, 2 * math.pi - 1e-6])
def test_kepler_gradient_is_the_implicit_derivative(e, m):
    """dE/dM = 1 / (1 - e cos E) and dE/de = sin E / (1 - e cos E) (implicit function theorem),
    finite everywhere, periapsis included."""
    de_dm, de_de = jax.grad(solve_kepler, argnums=(0, 1))(jnp.asarray(m), jnp.asarray(e))
    ecc = orbit_ref.solve_kepler(m, e)
    denom = 1.0 - e * math.cos(ecc)
    assert float(de_dm) == pytest.approx(1.0 / denom, rel=1e-9)
    assert float(de_de) == pytest.approx(math.sin(ecc) / denom, rel=1e-9, abs=1e-12)


def _elements_raw(e: float) -> dict:
    raw = tomllib.loads(SMALL_TOML)
    entry = next(x for x in raw["constellation"] if x["type"] == "elements")
    entry["e"] = [e]
    entry["a_km"] = [1_400_000.0]  # perigee above the surface up to e = 0.995
    return raw


def test_config_refuses_eccentricity_beyond_the_solved_range():
    validate_dict(_elements_raw(0.99))
    with pytest.raises(ConfigError) as info:
        validate_dict(_elements_raw(0.995))
    assert any("constellation.1.e" in p and "0.99" in p for p in info.value.problems), info.value.problems
