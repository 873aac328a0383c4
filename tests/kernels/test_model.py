"""The coupled step and the chunk function: eclipses against the closed form, energy ledgers
over a day, chunking/vmap/jit invariance, gradients, fault isolation."""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from orbital_sim.kernels import constants as c
from orbital_sim.kernels.model import STATUS_BELOW_SURFACE, STATUS_NON_FINITE, make_chunk_fn, node_step
from orbital_sim.kernels.orbit import Cowell, elements_to_state
from orbital_sim.kernels.shadow import sunlit_fraction_conical, sunlit_fraction_cylindrical
from orbital_sim.kernels.sun import sun_position_eci
from tests.kernels import builders as b
from tests.reference import shadow_ref

GM = c.GM_EARTH_M3_S2
ENV = b.env()
ALL = ("sunlit_fraction", "beta_angle", "temperature", "state_of_charge", "battery_energy", "array_power",
       "load_power", "shed_power", "compute_utilization", "heat_rejected", "position_eci", "velocity_eci")


def _fleet(n, altitude_m=550e3, inc_deg=53.0, **param_kw):
    p = b.node_params(**param_kw)
    states = []
    for k in range(n):
        r, v = elements_to_state(c.R_EARTH_EQ_M + altitude_m, 0.0, math.radians(inc_deg), 2 * math.pi * k / max(n, 1),
                                 0.0, 0.7 * k, GM)
        states.append(b.state(p, r, v))
    return b.stack([p] * n), b.stack(states)


def _run(params, state, steps_per_output, outputs, n_chunks, dt=10.0, variables=ALL, shadow=sunlit_fraction_conical,
         total=None):
    f = make_chunk_fn(Cowell(), shadow, steps_per_output, outputs, variables)
    total = n_chunks * steps_per_output * outputs if total is None else total
    samples = []
    for k in range(n_chunks):
        state, s = f(params, state, ENV, jnp.asarray(k * steps_per_output * outputs), jnp.asarray(total),
                     jnp.asarray(dt))
        samples.append(s)
    joined = {name: np.concatenate([np.asarray(s[name]) for s in samples]) for name in variables}
    return state, joined


@pytest.mark.slow
def test_eclipse_length_matches_closed_form_400km():
    """Issue 2 must-show: a 400 km, 51.6 deg orbit's eclipse lasts what the cylindrical closed
    form predicts for its beta angle (1 s sampling)."""
    p = b.node_params()
    r, v = elements_to_state(c.R_EARTH_EQ_M + 400e3, 0.0, math.radians(51.6), math.radians(30.0), 0.0, 0.0, GM)
    params, state = b.stack([p]), b.stack([b.state(p, r, v)])
    period = 2 * math.pi * math.sqrt((c.R_EARTH_EQ_M + 400e3) ** 3 / GM)
    n_steps = int(2 * period)
    variables = ("sunlit_fraction", "beta_angle", "position_eci", "velocity_eci")
    results = {}
    for name, model in [("cyl", sunlit_fraction_cylindrical), ("con", sunlit_fraction_conical)]:
        _, s = _run(params, state, 1, n_steps, 1, dt=1.0, variables=variables, shadow=model)
        results[name] = s
    t = np.arange(1, n_steps + 1) * 1.0
    lit_cyl = results["cyl"]["sunlit_fraction"][:, 0]
    dark = lit_cyl < 0.5
    starts = np.nonzero(dark[1:] & ~dark[:-1])[0] + 1
    ends = np.nonzero(~dark[1:] & dark[:-1])[0] + 1
    assert len(starts) >= 1 and len(ends) >= 1
    start = starts[0]
    end = ends[ends > start][0]
    duration_s = t[end] - t[start]
    mid = (start + end) // 2
    beta = results["cyl"]["beta_angle"][mid, 0]
    pos = results["cyl"]["position_eci"][:, 0]
    radius = np.linalg.norm(pos[start:end], axis=1).mean()
    # compare the arc swept in shadow (independent of the J2-perturbed angular rate) ...
    cos_arc = pos[start - 1] @ pos[end - 1] / (np.linalg.norm(pos[start - 1]) * np.linalg.norm(pos[end - 1]))
    arc_rad = math.acos(cos_arc)
    expected_fraction = float(shadow_ref.eclipse_fraction_cylindrical(radius - c.R_EARTH_EQ_M, beta))
    assert expected_fraction > 0.35, "the case must have a long eclipse"
    # one 1 s sample at 7.7 km/s is 1.1e-3 rad of arc
    assert arc_rad == pytest.approx(2 * math.pi * expected_fraction, abs=2.5e-3)
    # ... and the duration against the closed form with the mean angular rate in shadow
    vel = results["cyl"]["velocity_eci"][start:end, 0]
    rate = np.mean(np.linalg.norm(np.cross(pos[start:end], vel), axis=1) / np.linalg.norm(pos[start:end], axis=1) ** 2)
    expected_s = 2 * math.pi * expected_fraction / rate
    assert duration_s == pytest.approx(expected_s, abs=1.5)
    # the conical model: umbra shorter, umbra + penumbra longer, half-shadow within 1 s
    lit_con = results["con"]["sunlit_fraction"][:, 0]
    window = slice(start - 60, end + 60)
    umbra_s = np.sum(lit_con[window] == 0.0)
    penumbra_total_s = np.sum(lit_con[window] < 1.0)
    half_s = np.sum(lit_con[window] < 0.5)
    assert umbra_s < duration_s < penumbra_total_s
    assert abs(half_s - duration_s) <= 1.0
    assert 5 < (penumbra_total_s - umbra_s) / 2 < 15  # penumbra crossing: ~8-10 s each in LEO


def test_energy_ledgers_close_over_a_day():
    """Issue 2 must-show: thermal and battery ledgers close to 1e-9 relative over a day."""
    params, state0 = _fleet(3)
    state, _ = _run(params, state0, 60, 144, 1, dt=10.0, variables=("state_of_charge",))
    a = state.acc
    heat_capacity = np.asarray(params.thermal.heat_capacity_j_k)
    stored_heat = np.sum(heat_capacity * (np.asarray(state.temperature_k) - np.asarray(state0.temperature_k)), axis=1)
    stored_battery = np.asarray(state.battery_energy_j - state0.battery_energy_j)
    absorbed, emitted = np.asarray(a.absorbed_j), np.asarray(a.emitted_j)
    # thermal: stored = absorbed + electric heat - emitted
    thermal_residual = stored_heat - (absorbed + np.asarray(a.electric_heat_j) - emitted)
    assert np.all(np.abs(thermal_residual) <= 1e-9 * absorbed), thermal_residual / absorbed
    # battery: stored = charge in - discharge out - losses
    battery_residual = stored_battery - np.asarray(a.charge_j - a.discharge_j - a.battery_loss_j)
    assert np.all(np.abs(battery_residual) <= 1e-9 * np.asarray(a.charge_j))
    # whole node: heat + battery = absorbed - emitted (electricity only moves energy around)
    total_residual = stored_heat + stored_battery - (absorbed - emitted)
    assert np.all(np.abs(total_residual) <= 1e-9 * absorbed)
    # bus: generated - shed = consumed + charge - discharge
    bus_residual = np.asarray(a.energy_generated_j - a.energy_shed_j - a.energy_consumed_j - a.charge_j + a.discharge_j)
    assert np.all(np.abs(bus_residual) <= 1e-9 * np.asarray(a.energy_generated_j))
    assert np.all(np.asarray(a.charge_j) > 0) and np.all(np.asarray(a.discharge_j) > 0), "both must happen"


@pytest.mark.slow
def test_chunked_run_equals_one_long_run_and_padding_is_inert():
    params, state0 = _fleet(2)
    names = ("temperature", "state_of_charge", "sunlit_fraction", "position_eci")
    s_long, samp_long = _run(params, state0, 3, 12, 1, variables=names)
    s_chunk, samp_chunk = _run(params, state0, 3, 4, 3, variables=names)
    for name in names:
        np.testing.assert_array_equal(samp_long[name], samp_chunk[name])
    # a padded last chunk: 3 chunks of 4 outputs for 9 outputs (27 steps) leave the state as one
    # chunk of 12 outputs padded the same way, and the samples before the end are the unpadded run's
    s_pad, samp_pad = _run(params, state0, 3, 4, 3, total=27, variables=names)
    s_pad1, _ = _run(params, state0, 3, 12, 1, total=27, variables=names)
    s_nine, _ = _run(params, state0, 3, 4, 2, variables=names)  # 8 outputs: the padded run moved on
    assert not np.array_equal(np.asarray(s_nine.temperature_k), np.asarray(s_pad.temperature_k))
    np.testing.assert_array_equal(np.asarray(s_pad.temperature_k), np.asarray(s_pad1.temperature_k))
    np.testing.assert_array_equal(np.asarray(s_pad.acc.energy_generated_j), np.asarray(s_pad1.acc.energy_generated_j))
    np.testing.assert_array_equal(samp_pad["temperature"][:9], samp_long["temperature"][:9])
    # the padded steps changed nothing: the state after 27 steps is the long run's at its 9th output
    np.testing.assert_array_equal(samp_pad["temperature"][8], np.asarray(s_pad.temperature_k))


@pytest.mark.slow
def test_unrolled_inner_loop_gives_the_same_run():
    """``unroll`` (the GPU benchmark's option) only regroups the steps: 3 steps per iteration,
    with a padded last chunk, against one step per iteration."""
    params, state0 = _fleet(2)
    names = ("temperature", "state_of_charge", "sunlit_fraction", "position_eci")
    f1 = make_chunk_fn(Cowell(), sunlit_fraction_conical, 3, 4, names)
    f3 = make_chunk_fn(Cowell(), sunlit_fraction_conical, 3, 4, names, unroll=3)
    for k0, total in ((0, 24), (12, 20)):
        args = (params, state0, ENV, jnp.asarray(k0), jnp.asarray(total), jnp.asarray(10.0))
        (s1, x1), (s3, x3) = f1(*args), f3(*args)
        np.testing.assert_allclose(np.asarray(s3.r_eci_m), np.asarray(s1.r_eci_m), rtol=1e-14, atol=1e-7)
        np.testing.assert_allclose(np.asarray(s3.temperature_k), np.asarray(s1.temperature_k), rtol=1e-13)
        for name in names:
            np.testing.assert_allclose(np.asarray(x3[name]), np.asarray(x1[name]), rtol=1e-13, atol=1e-15)


def test_vmap_matches_per_node_loop():
    params, state0 = _fleet(3)
    r_sun = sun_position_eci(ENV.epoch_jd_tt_whole, ENV.epoch_jd_tt_fraction + 10.0 / 86400)
    step = lambda p, s: node_step(p, s, ENV, r_sun, 10.0, 10.0, True, Cowell(), sunlit_fraction_conical)  # noqa: E731
    batched_state, batched_diag = jax.jit(jax.vmap(step))(params, state0)
    single = jax.jit(step)
    for i in range(3):
        p_i = jax.tree_util.tree_map(lambda x: x[i], params)
        s_i = jax.tree_util.tree_map(lambda x: x[i], state0)
        one_state, one_diag = single(p_i, s_i)
        np.testing.assert_allclose(np.asarray(one_state.temperature_k), np.asarray(batched_state.temperature_k[i]),
                                   rtol=1e-14)
        np.testing.assert_allclose(np.asarray(one_state.r_eci_m), np.asarray(batched_state.r_eci_m[i]), rtol=1e-15)
        np.testing.assert_allclose(float(one_diag.array_power), float(batched_diag.array_power[i]), rtol=1e-13)


@pytest.mark.slow
def test_jit_matches_eager():
    """Eager (op by op, no jit) against jit, for one node (about 20 s of op-by-op dispatch: slow)."""
    params, state0 = _fleet(1)
    r_sun = sun_position_eci(ENV.epoch_jd_tt_whole, ENV.epoch_jd_tt_fraction + 10.0 / 86400)
    step = lambda p, s: node_step(p, s, ENV, r_sun, 10.0, 10.0, True, Cowell(), sunlit_fraction_conical)  # noqa: E731
    p0 = jax.tree_util.tree_map(lambda x: x[0], params)
    s0 = jax.tree_util.tree_map(lambda x: x[0], state0)
    jit_state, _ = jax.jit(step)(p0, s0)
    with jax.disable_jit():
        eager_state, _ = step(p0, s0)
    np.testing.assert_allclose(np.asarray(eager_state.temperature_k), np.asarray(jit_state.temperature_k), rtol=1e-13)


def test_gradients_match_finite_differences():
    """Issue 3 item 6: d(peak chip temperature) and d(minimum state of charge) over about one
    orbit that crosses the penumbra, with respect to radiator area, array area, battery
    capacity and radiator absorptance: finite, and equal to central differences to 1e-4."""
    p0 = b.node_params()
    r, v = elements_to_state(c.R_EARTH_EQ_M + 550e3, 0.0, math.radians(53.0), 0.0, 0.0, 2.5, GM)
    f = make_chunk_fn(Cowell(), sunlit_fraction_conical, 1, 1200, ("sunlit_fraction",))

    @jax.jit
    def outcome(x):
        radiator_m2, array_m2, capacity_j, radiator_alpha = x[0], x[1], x[2], x[3]
        p = dataclasses.replace(
            p0, surfaces=dataclasses.replace(
                p0.surfaces, area_m2=jnp.stack([array_m2, radiator_m2]),
                absorptance=p0.surfaces.absorptance.at[1].set(radiator_alpha),
                back_absorptance=p0.surfaces.back_absorptance.at[1].set(radiator_alpha)),
            battery=dataclasses.replace(p0.battery, capacity_j=capacity_j, floor_j=0.2 * capacity_j))
        s = b.state(p, r, v, soc=0.45, temperature_k=jnp.asarray([318.0, 298.0, 290.0, 300.0, 300.0]))
        st, samples = f(b.stack([p]), b.stack([s]), ENV, jnp.asarray(0), jnp.asarray(1200), jnp.asarray(5.0))
        return jnp.stack([st.acc.temperature_max_k[0, 0], st.acc.state_of_charge_min[0]]), samples["sunlit_fraction"]

    x0 = jnp.asarray([80.0, 260.0, 4.32e8, 0.12])
    values, lit = outcome(x0)
    lit = np.asarray(lit)
    assert lit.min() == 0.0 and np.any((lit > 0) & (lit < 1)), "the orbit must cross the penumbra into umbra"
    jac = np.asarray(jax.jacfwd(lambda x: outcome(x)[0])(x0))
    assert np.all(np.isfinite(jac))
    for arg in range(4):
        h = 1e-4 * float(x0[arg])
        fd = (np.asarray(outcome(x0.at[arg].add(h))[0]) - np.asarray(outcome(x0.at[arg].add(-h))[0])) / (2 * h)
        for out in range(2):
            scale = np.abs(jac[out]).max() * float(x0[arg]) * 1e-9  # negligible sensitivities
            assert jac[out, arg] == pytest.approx(fd[out], rel=1e-4, abs=scale), (out, arg, jac[out, arg], fd[out])
    # the signs a designer expects: a bigger radiator cools, a bigger battery keeps more charge
    assert jac[0, 0] < 0 and jac[1, 2] > 0 and jac[0, 3] > 0


@pytest.mark.slow
def test_faults_are_isolated_and_named():
    params, state0 = _fleet(3)
    # node 1: non-finite heat capacity; node 2: starts inside the Earth
    params = dataclasses.replace(params, thermal=dataclasses.replace(
        params.thermal, heat_capacity_j_k=params.thermal.heat_capacity_j_k.at[1, 0].set(jnp.nan)))
    state0 = state0.__class__(**{**state0.__dict__, "r_eci_m": state0.r_eci_m.at[2].set(jnp.asarray([5e6, 0.0, 0.0]))})
    healthy_params, healthy_state = _fleet(1)
    state, samples = _run(params, state0, 6, 10, 1)
    status = np.asarray(state.status)
    assert list(status) == [0, STATUS_NON_FINITE, STATUS_BELOW_SURFACE]
    assert float(state.fault_time_s[1]) == 10.0 and float(state.fault_time_s[2]) == 10.0
    assert np.all(np.isnan(samples["temperature"][:, 1])) and np.all(np.isfinite(samples["temperature"][:, 0]))
    # the healthy node is unaffected by its faulty neighbours
    ref_state, ref_samples = _run(healthy_params, healthy_state, 6, 10, 1)
    np.testing.assert_allclose(samples["temperature"][:, 0], ref_samples["temperature"][:, 0], rtol=1e-13)
