"""The coupled step on a CUDA GPU against the CPU (skipped where JAX sees no GPU).

The same check, at 64 nodes over 720 steps with the throughput sweep after it, is
``benchmarks/gpu_check.py``; its figures on an H200 are in benchmarks/README.md.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from orbital_sim.bench import default_model
from orbital_sim.kernels.model import make_chunk_fn

N_NODES, STEPS_PER_OUTPUT, OUTPUTS = 16, 6, 40  # 240 steps of 10 s
VARIABLES = ("temperature", "battery_energy", "sunlit_fraction")


def _run(device, dtype):
    with jax.default_device(device):
        config, model, state = default_model(N_NODES, dtype)
        params, env = model.params, model.env
        fn = make_chunk_fn(model.propagator, model.shadow_fn, STEPS_PER_OUTPUT, OUTPUTS, VARIABLES,
                           albedo_model=model.albedo_model)
        args = jax.device_put((params, state, env, jnp.asarray(0), jnp.asarray(10**9),
                               jnp.asarray(10.0, env.sink_k.dtype)), device)
        st, samples = fn(*args)
        return jax.tree_util.tree_map(np.asarray, (st, samples))


@pytest.mark.gpu
@pytest.mark.parametrize("dtype, position_tol_m, temperature_tol_k", [
    ("float64", 1e-6, 1e-9),  # measured on an H200 over 720 steps: 4.1e-7 m, 1.4e-12 K
    ("float32", 10.0, 0.05),  # the orbit is float64 in both modes; measured 1.5e-4 K
])
def test_gpu_matches_cpu(dtype, position_tol_m, temperature_tol_k):
    gpu = [d for d in jax.devices() if d.platform == "gpu"][0]
    (sc, xc), (sg, xg) = _run(jax.devices("cpu")[0], dtype), _run(gpu, dtype)
    assert np.all(np.isfinite(sg.r_eci_m)) and np.all(np.isfinite(xg["temperature"]))
    assert np.max(np.abs(sg.r_eci_m - sc.r_eci_m)) <= position_tol_m
    assert np.max(np.abs(xg["temperature"].astype(float) - xc["temperature"].astype(float))) <= temperature_tol_k
    assert np.max(np.abs(xg["sunlit_fraction"].astype(float) - xc["sunlit_fraction"].astype(float))) <= 1e-4
