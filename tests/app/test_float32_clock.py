"""The clock stays float64 in float32 runs (review defect 6: a float32 step of 0.1 s is
0.100000001490116 s, so the physics ran 1.49e-8 s/s ahead of the time labels, 0.47 s a year)."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr

from orbital_sim import load_config, run
from orbital_sim.fleet import build_fleet, propagator_for
from orbital_sim.kernels.model import make_chunk_fn, make_env
from orbital_sim.kernels.shadow import SHADOW_MODELS
from orbital_sim import runner
from tests.reference import orbit_ref

ONE_NODE = ["constellation.0.nodes_per_plane=1", "constellation.1.total=1", "constellation.1.planes=1",
            "constellation.1.phasing=0"]
YEAR_S = 365 * 86400.0


@pytest.mark.slow
def test_float32_run_keeps_the_float64_clock(tmp_path):
    """600 steps of 0.1 s: the float32 run's orbit (float64 in every mode) is the float64
    run's, bit for bit. Before the fix it ran 8.9e-7 s ahead (1.49e-8 s/s) (|dr| / |v|), 0.47 s a year."""
    pos = {}
    for dtype in ("float64", "float32"):
        cfg = load_config(None, ONE_NODE + [
            "simulation.step_s=0.1", "simulation.duration_s=60", "simulation.output_every_s=30",
            'output.variables=["position_eci", "velocity_eci"]', f"simulation.dtype={dtype}"])
        run(cfg, tmp_path / f"{dtype}.h5", progress=False)
        with xr.open_dataset(tmp_path / f"{dtype}.h5", engine="h5netcdf") as ds:
            pos[dtype] = ds.position_eci.values, ds.velocity_eci.values
    (r64, v64), (r32, _) = pos["float64"], pos["float32"]
    ahead_s = np.linalg.norm(r32 - r64, axis=-1) / np.linalg.norm(v64, axis=-1)
    assert ahead_s.max() < 1e-12, f"float32 run {ahead_s.max():.3g} s ahead of its labels after 60 s"


def test_a_year_of_float32_steps_ends_at_the_labelled_time():
    """The chunk's last step of a year of 0.1 s steps (step index 315,359,999), float32 physics,
    j2_secular orbit: the node is where the reference puts it at t = 31,536,000 s, within 1 m
    (with the float32 step the old runner passed: 3,534 m, 0.47 s x 7.6 km/s)."""
    cfg = load_config(None, ONE_NODE + ['simulation.propagator="j2_secular"', "simulation.dtype=float32",
                                        "simulation.step_s=0.1", "simulation.duration_s=1",
                                        "simulation.output_every_s=1"])
    fleet = build_fleet(cfg, dtype=jnp.float32)
    params, state = (jax.tree_util.tree_map(lambda x: x[:1], tree) for tree in (fleet.params, fleet.state))
    env = make_env(shadow_radius_m=6378137.0, solar_constant_w_m2=1361.0, albedo=0.3, earth_ir_w_m2=237.0,
                   epoch_jd_tt_whole=2461120.0, epoch_jd_tt_fraction=0.5, dtype=jnp.float32)
    chunk = make_chunk_fn(propagator_for(cfg.simulation), SHADOW_MODELS.make("conical"), 10, 1, ("position_eci",))
    n_year = round(YEAR_S / 0.1)
    a, e, i, raan, argp, m = (float(x) for x in np.asarray(params.orbit.elements0[0]))
    raan_dot, argp_dot, m_dot = orbit_ref.j2_secular_rates(a, e, i)
    # the chunk starts from the state a run has there (the step's start is the previous step's end:
    # the in-step contacts interpolate between the two, so the epoch state would be a 1-year jump)
    t0_s = (n_year - 10) * 0.1
    r0, v0 = orbit_ref.elements_to_state(a, e, i, raan + raan_dot * t0_s, argp + argp_dot * t0_s, m + m_dot * t0_s)
    state = dataclasses.replace(state, r_eci_m=jnp.asarray(r0)[None], v_eci_m_s=jnp.asarray(v0)[None])
    _, samples = chunk(params, state, env, jnp.asarray(n_year - 10), jnp.asarray(n_year), runner.clock_step_s(0.1))
    r_end = np.asarray(samples["position_eci"])[-1, 0]
    r_ref, v_ref = orbit_ref.elements_to_state(a, e, i, raan + raan_dot * YEAR_S, argp + argp_dot * YEAR_S,
                                               m + m_dot * YEAR_S)
    assert np.linalg.norm(r_end - r_ref) < 1.0, np.linalg.norm(r_end - r_ref)
