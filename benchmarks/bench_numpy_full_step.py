"""The full coupled step written in plain NumPy (benchmarks/numpy_baselines.py, the same physics
as the kernels: check_baselines.py shows they agree to 3e-7 m and 2e-6 K), timed on the default
fleet beside the JAX kernel in the same run. One JSON line per node count.

    python benchmarks/bench_numpy_full_step.py [--nodes 1000,10000] [--steps 360]
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy_baselines as nb  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", default="1000,10000")
    ap.add_argument("--steps", type=int, default=360)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)

    import jax

    jax.config.update("jax_enable_x64", True)
    from orbital_sim.bench import default_env, default_fleet, device_description, run_benchmark

    for n in [int(x) for x in args.nodes.split(",")]:
        config, params, state = default_fleet(n)
        env = default_env(config, np.float64)
        p = nb.columns(params)
        sun = nb.almanac_sun_fn(float(env.epoch_jd_tt_whole), float(env.epoch_jd_tt_fraction))
        e = config.environment
        nenv = nb.default_env(shadow_radius_m=e.shadow_radius_m, solar_constant_w_m2=e.solar_constant_w_m2,
                              albedo=e.albedo, earth_ir_w_m2=e.earth_ir_w_m2)
        times = []
        for _ in range(args.repeats):
            s0 = nb.full_step_state(p, np.asarray(state.r_eci_m), np.asarray(state.v_eci_m_s),
                                    np.asarray(state.battery_energy_j), np.asarray(state.temperature_k))
            t0 = time.perf_counter()
            nb.full_step_run(p, s0, sun, 10.0, args.steps, 6, env=nenv)
            times.append(time.perf_counter() - t0)
        numpy_rate = n * args.steps / statistics.median(times)
        jax_result = run_benchmark("full_step", n, steps=args.steps, repeats=args.repeats, baseline=False)
        print(json.dumps({"benchmark": "full_step_numpy_vs_jax", "nodes": n, "steps": args.steps,
                          "numpy_node_steps_per_s": numpy_rate, "numpy_times_s": times,
                          "node_steps_per_s": jax_result["node_steps_per_s"], "compile_s": jax_result["compile_s"],
                          "ratio_jax_over_numpy": jax_result["node_steps_per_s"] / numpy_rate,
                          "device": jax_result["device"], "dtype": "float64"}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
