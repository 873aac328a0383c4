"""Shadow inside the step (issue 17): contacts located on the dense trajectory against the
independent eclipse reference, the step's mean sunlit fraction (array energy at 60 s against a
1 s run), and the thermal integrator with loads that change inside a step."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from orbital_sim import timescales
from orbital_sim.kernels import constants as c
from orbital_sim.kernels.events import EVENT_KINDS
from orbital_sim.kernels.model import make_chunk_fn, make_env
from orbital_sim.kernels.orbit import Cowell
from orbital_sim.kernels.shadow import sunlit_fraction_conical
from tests.kernels import builders as b
from tests.reference import eclipse_ref, orbit_ref

R = c.R_EARTH_EQ_M
EPOCH = "2026-03-20T00:00:00Z"


def _env():
    whole, frac = timescales.julian_date_tt_two_part(timescales.parse_epoch(EPOCH))
    return make_env(shadow_radius_m=R, solar_constant_w_m2=1361.0, albedo=0.3, earth_ir_w_m2=237.0,
                    epoch_jd_tt_whole=whole, epoch_jd_tt_fraction=frac)


def _run(states, dt, n_steps, steps_per_output, variables=("temperature",), slots=8, integrator="rk8", substeps=1):
    p = b.node_params()
    params = b.stack([p] * len(states))
    state = b.stack([b.state(p, r, v) for r, v in states])
    outputs = n_steps // steps_per_output
    f = make_chunk_fn(Cowell(integrator=integrator), sunlit_fraction_conical, steps_per_output, outputs, variables,
                      event_slots=slots, substeps=substeps)
    state, s = f(params, state, _env(), jnp.asarray(0), jnp.asarray(n_steps), jnp.asarray(dt))
    return state, {k: np.asarray(v) for k, v in s.items()}


# 400 km LEO at low beta, 650 km dawn-dusk-ish at high beta (short eclipses near the critical
# beta), GEO at the equinox, an eccentric orbit with perigee 400 km
ORBITS = {
    "leo400": ((R + 400e3, 0.0005, 51.6, 0.0, 0.0, 0.0), 3 * 5560.0),
    "leo650_high_beta": ((R + 650e3, 0.001, 97.99, math.radians(-62.0), 0.0, 0.0), 3 * 5860.0),
    "geo": ((42_164.17e3, 0.0002, 0.05, 0.0, 0.0, 0.0), 86400.0),
    "heo_e0.3": (((R + 400e3) / 0.7, 0.3, 30.0, 0.5, 1.0, 2.0), 2 * 8800.0),
}


@pytest.mark.parametrize("name", [n if n == "leo400" else pytest.param(n, marks=pytest.mark.slow) for n in ORBITS])
def test_contacts_within_half_a_second_of_the_reference_at_step_60_s(name):
    # Issue 17 must-show (kernel side): contacts located inside 60 s steps, gathered per 600 s
    # output interval, against tests/reference/eclipse_ref.py (DOP853 + astropy Sun, brentq on
    # the cone conditions). Measured: within a few ms in LEO and about 0.1 s in GEO (the
    # kernel's Sun, 1.4" from ERFA, moves GEO contacts by that much).
    el, duration = ORBITS[name]
    a, e, i_deg, raan, argp, m = el
    r0, v0 = orbit_ref.elements_to_state(a, e, math.radians(i_deg), raan, argp, m)
    dt, every = 60.0, 10
    n_steps = int(duration // (dt * every)) * every
    _, s = _run([(r0, v0)], dt, n_steps, every)
    t = s["event_t_s"][:, 0].ravel()
    kind = s["event_kind"][:, 0].ravel()
    got = {k: np.sort(t[(kind == i) & np.isfinite(t)]) for i, k in enumerate(EVENT_KINDS)}
    ref = eclipse_ref.EclipseReference(EPOCH, r0, v0, n_steps * dt).contacts(grid_step_s=5.0)
    assert sum(len(ref[k]) for k in EVENT_KINDS) >= 4, "the case must see at least one eclipse"
    for k in EVENT_KINDS:
        assert len(got[k]) == len(ref[k]), (k, got[k], ref[k])
        if len(ref[k]):
            assert np.max(np.abs(got[k] - ref[k])) < 0.5, (k, got[k] - ref[k])


def _shell_node():
    return orbit_ref.elements_to_state(R + 550e3, 0.0001, math.radians(53.0), 0.4, 0.0, 0.0)


SUBSTEPS_AT_60_S = 4  # what the runner takes at 60 s: one power and thermal substep per 15 s


@pytest.fixture(scope="module")
def shell_runs():
    """Two eclipsed orbits of a 550 km, 53 deg node: a 1 s reference and 60 s steps with 1, 2
    and 4 substeps (samples every 60 s)."""
    r0, v0 = _shell_node()
    duration = 2 * 5760.0  # a whole number of 60 s steps, just over two orbits
    runs = {}
    n = int(duration)
    runs["ref"] = _run([(r0, v0)], 1.0, n, 60, slots=0)
    for sub in (1, 2, SUBSTEPS_AT_60_S):
        runs[sub] = _run([(r0, v0)], 60.0, n // 60, 1, slots=0, substeps=sub)
    return duration, runs


@pytest.mark.slow
def test_array_energy_per_orbit_at_60_s_within_0p1_percent_of_1_s(shell_runs):
    # Issue 17: the step's sunlit fraction integrated across the located contacts (and the
    # array efficiency taken half a substep ahead) make the array energy at 60 s match a 1 s
    # run; measured 8e-5 with 4 substeps, 8e-4 with one. The sunlit time matches within 1 ms.
    duration, runs = shell_runs
    ref = runs["ref"][0].acc
    assert float(ref.sunlit_s[0]) < 0.8 * duration  # the orbit is eclipsed
    for sub in (1, SUBSTEPS_AT_60_S):
        acc = runs[sub][0].acc
        rel = abs(float(acc.energy_generated_j[0]) / float(ref.energy_generated_j[0]) - 1.0)
        assert rel < (1e-3 if sub == 1 else 2e-4), (sub, rel)
        assert abs(float(acc.sunlit_s[0]) - float(ref.sunlit_s[0])) < 0.01


@pytest.mark.slow
def test_chip_and_array_temperatures_at_60_s_within_quarter_kelvin_of_1_s(shell_runs):
    # Issue 17: at the default 60 s step (4 substeps) chip and array temperatures within 0.25 K
    # of the 1 s run at every 60 s sample after the first 10 min (the nodes start at 20 degC,
    # 65 K below their operating point, and the chips warm at 1 K/s then). Measured: array
    # 0.17 K, chips 0.001 K. The error falls with the substep about as its square with loads
    # that change inside the step (eclipse edges, battery full): order >= 1.6 measured.
    _, runs = shell_runs
    ref = runs["ref"][1]["temperature"][:, 0]
    err = {sub: np.max(np.abs(runs[sub][1]["temperature"][:, 0] - ref)[10:], axis=0) for sub in (1, 2, 4)}
    chip, array = err[SUBSTEPS_AT_60_S][[0, 3]]
    assert chip < 0.25 and array < 0.25, err
    order = math.log2(err[1][3] / err[4][3]) / 2.0
    assert order > 1.6, (err, order)


@pytest.mark.slow
def test_thermal_substeps_keep_the_energy_ledger(shell_runs):
    # stored + emitted = absorbed + dissipated over the run, with substeps as without
    _, runs = shell_runs
    for sub in (1, SUBSTEPS_AT_60_S):
        state = runs[sub][0]
        acc = state.acc
        p = b.node_params()
        stored = float(np.sum(np.asarray(p.thermal.heat_capacity_j_k) * (np.asarray(state.temperature_k[0]) - 293.15)))
        balance = float(acc.absorbed_j[0] + acc.electric_heat_j[0] - acc.emitted_j[0])
        assert abs(stored - balance) < 1e-9 * float(acc.absorbed_j[0]), (sub, stored, balance)


def test_sorting_network_sorts_every_zero_one_input():
    """The 6-key network of events._sorted: by the 0-1 principle a comparator network that
    sorts all 64 inputs of zeros and ones sorts every input; also random reals with ties."""
    from orbital_sim.kernels.events import _sorted

    bits = np.array([[(k >> i) & 1 for i in range(6)] for k in range(64)], dtype=np.float64)
    np.testing.assert_array_equal(np.asarray(jax.vmap(_sorted)(jnp.asarray(bits))), np.sort(bits, axis=1))
    x = np.random.default_rng(3).choice([0.1, 0.25, 0.5, 1.0, 0.7], size=(500, 6))
    np.testing.assert_array_equal(np.asarray(jax.vmap(_sorted)(jnp.asarray(x))), np.sort(x, axis=1))


def test_cubic_root_against_bisection_on_random_cubics():
    """events._cubic_root (4 bisections, regula falsi, 5 safeguarded Newton steps) against 60
    halvings in NumPy on 30,000 random cubics through 4 samples at theta = 0, 1/3, 2/3, 1
    (scales 1 to 1e-6, as contact functions of very different size), in every third where the
    samples change sign and the cubic crosses zero once (sign changes on a 2,001-point grid):
    99.99 % within 1e-12 of the step and every one within 1e-6 (60 us at a 60 s step; a root
    next to a second one, a contact that nearly grazes, converges more slowly). On 450,000
    such thirds (three seeds) one was off by more than 1e-12: 7e-8. The power basis
    reproduces the samples to rounding."""
    from orbital_sim.kernels.events import _cubic_coefficients, _cubic_root, _horner

    rng = np.random.default_rng(1)
    n = 30000
    y = rng.normal(size=(4, n)) * rng.choice([1.0, 1e-3, 1e-6], size=n)
    coefficients = _cubic_coefficients(tuple(jnp.asarray(v) for v in y))
    c_np = [np.asarray(v) for v in coefficients]
    grid = np.array([0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0])
    for k in range(4):  # the cubic passes through its samples
        np.testing.assert_allclose(_horner(c_np, grid[k]), y[k], rtol=0, atol=1e-14 * np.abs(y).max())
    errors = []
    for k in range(3):
        lo, hi = grid[k], grid[k + 1]
        root = np.asarray(jax.jit(_cubic_root)(coefficients, jnp.full(n, lo), jnp.full(n, hi), jnp.asarray(y[k]),
                                               jnp.asarray(y[k + 1])))
        a, b, fa = np.full(n, lo), np.full(n, hi), y[k].copy()
        for _ in range(60):
            m = 0.5 * (a + b)
            fm = _horner(c_np, m)
            right = fm * fa > 0
            a, fa, b = np.where(right, m, a), np.where(right, fm, fa), np.where(right, b, m)
        values = _horner(c_np, np.linspace(lo, hi, 2001)[:, None])
        once = np.sum(np.diff(np.sign(values), axis=0) != 0, axis=0) == 1
        errors.append(np.abs(root - 0.5 * (a + b))[once & ((y[k] > 0) != (y[k + 1] > 0))])
    errors = np.concatenate(errors)
    assert errors.size > 40000  # about half the thirds change sign
    assert np.mean(errors < 1e-12) >= 0.9999
    assert errors.max() < 1e-6
