"""The Pallas chunk (kernels/pallas_chunk.py) against the XLA chunk, in Pallas's interpret mode on
the CPU (issue 16): same physics function, so every output variable and the final state must
agree to rounding; the window holds shadow edges inside steps, a padded node block, a second
chunk continuing the first and steps past the run's end."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from orbital_sim.bench import default_model
from orbital_sim.kernels.model import make_chunk_fn
from orbital_sim.kernels.pallas_chunk import make_pallas_chunk_fn
from orbital_sim.kernels.thermal import coupling_pattern
from orbital_sim.runner import thermal_substeps

STEP_S, STEPS_PER_OUTPUT, OUTPUTS = 60.0, 4, 3
#: default-scenario nodes whose shadow edges fall in the first 12 minutes (found with the XLA
#: chunk): 6 nodes in blocks of 4, so the second block is half padding
NODES = [880, 400, 737, 327, 399, 1012]
#: what the two paths may differ by [unit of the variable]: rounding of the same arithmetic
TOLERANCE = {
    "position_eci": 1e-6, "velocity_eci": 1e-9,  # m, m/s
    "temperature": 1e-9,  # K
    "battery_energy": 1e-3, "energy_unmet": 1e-3, "acc_energy_generated_j": 1e-3,  # J
    "state_of_charge": 1e-12, "sunlit_fraction": 1e-12, "compute_utilization": 1e-12,  # 1
    "beta_angle": 1e-12,  # rad
}
POWER_TOL_W = 1e-6  # every other variable is a power [W]
VARIABLES = ("sunlit_fraction", "beta_angle", "array_power", "load_power", "shed_power", "battery_energy",
             "state_of_charge", "compute_utilization", "temperature", "heat_rejected", "heater_power",
             "energy_unmet", "battery_power", "absorbed_solar", "absorbed_albedo", "absorbed_ir",
             "acc_energy_generated_j", "position_eci", "velocity_eci")


def test_pallas_chunk_matches_xla_chunk():
    _, model, state = default_model(1024)
    model = model.select(np.asarray(NODES))
    state = jax.tree_util.tree_map(lambda x: x[np.asarray(NODES)], state)
    kw = dict(albedo_model=model.albedo_model, substeps=thermal_substeps(STEP_S),
              thermal_pairs=coupling_pattern(model.params.thermal.conductance_w_k))
    xla = make_chunk_fn(model.propagator, model.shadow_fn, STEPS_PER_OUTPUT, OUTPUTS, VARIABLES, **kw)
    pallas = make_pallas_chunk_fn(model.propagator, model.shadow_fn, STEPS_PER_OUTPUT, OUTPUTS, VARIABLES,
                                  block_nodes=4, interpret=True, **kw)
    n_steps = STEPS_PER_OUTPUT * OUTPUTS
    # the run ends inside the second chunk's second interval: its last step and the whole third
    # interval are past the end (the last two samples hold the same state)
    total = jnp.asarray(2 * n_steps - STEPS_PER_OUTPUT - 1)
    results = {}
    for name, fn in (("xla", xla), ("pallas", pallas)):
        st, chunks = state, []
        for k in range(2):
            st, samples = fn(model.params, st, model.env, jnp.asarray(k * n_steps), total, jnp.asarray(STEP_S))
            chunks.append(jax.tree_util.tree_map(np.asarray, samples))
        results[name] = (jax.tree_util.tree_map(np.asarray, st),
                         {v: np.concatenate([c[v] for c in chunks]) for v in VARIABLES})
    (sx, ox), (sp, op) = results["xla"], results["pallas"]

    sunlit = ox["sunlit_fraction"]
    assert np.any(np.ptp(sunlit, axis=0) == 1.0), "the window must hold whole shadow crossings"
    assert np.all(ox["position_eci"][-1] == ox["position_eci"][-2]), "steps past the end leave the state"
    for v in VARIABLES:
        assert op[v].shape == ox[v].shape and op[v].dtype == ox[v].dtype, v
        tol = TOLERANCE.get(v, POWER_TOL_W)
        assert np.max(np.abs(op[v].astype(float) - ox[v].astype(float))) <= tol, v
    assert np.max(np.abs(sp.r_eci_m - sx.r_eci_m)) <= 1e-6
    assert np.max(np.abs(sp.temperature_k - sx.temperature_k)) <= 1e-9
    assert np.max(np.abs(sp.battery_energy_j - sx.battery_energy_j)) <= 1e-3
    assert np.array_equal(sp.status, sx.status)
    for a, b in zip(jax.tree_util.tree_leaves(sp.acc), jax.tree_util.tree_leaves(sx.acc)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9)  # running totals (J, s, K): rounding


def test_pallas_chunk_refuses_what_it_does_not_compute():
    _, model, _ = default_model(2)
    with pytest.raises(NotImplementedError):
        make_pallas_chunk_fn(model.propagator, model.shadow_fn, 1, 1, ("temperature",), event_slots=4)
    with pytest.raises(NotImplementedError):
        make_pallas_chunk_fn(model.propagator, model.shadow_fn, 1, 1, ("temperature",), ground=object())
