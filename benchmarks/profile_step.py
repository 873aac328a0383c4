"""Where the time of the full coupled step goes (issue 4 item 2), float64 on this device:

* flops and bytes per node-step from XLA's cost analysis of ONE vmapped step (a scan's body is
  counted once by the cost analysis, so the step is compiled on its own here);
* the number of kernels ("thunks") in the step's loop body of the compiled chunk's HLO, the
  loops inside it, and the kernels actually launched per step (a profiler trace: a loop's
  body counts once per iteration); YNNPACK fusions left in the chunk (``ynn_fusions``);
* the measured time per node-step (median of repeats, compile excluded);
* the machine's measured ceiling for the same kind of code: a fused element-wise float64
  polynomial (multiply-adds only) over the same node count, in GFLOP/s;
* so: achieved GFLOP/s of the step and its fraction of that ceiling.

    python benchmarks/profile_step.py [--nodes 1024] [--steps 360]
"""

import argparse
import json
import re
import statistics
import sys
import time


def kernels_launched(compiled, args) -> int:
    """Kernels (XLA thunks: fusions, dots, copies, loops) executed by one call of ``compiled``,
    counted in a profiler trace: a loop's body counts once per iteration."""
    import glob
    import gzip
    import tempfile

    import jax

    with tempfile.TemporaryDirectory() as tmp:
        with jax.profiler.trace(tmp, create_perfetto_trace=True):
            jax.block_until_ready(compiled(*args))
        path = glob.glob(f"{tmp}/**/*.trace.json.gz", recursive=True)[0]
        with gzip.open(path) as f:
            trace = json.load(f)
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    # HLO instruction names ("multiply_reduce_fusion.4", "dot.16", "while.3"); not the runtime's
    # own events ("ThunkExecutor::Execute", "end: ...", Python frames "$...")
    name = re.compile(r"^[a-z][\w.-]*$")
    return sum(1 for e in events if e.get("ph") == "X" and name.match(str(e.get("name", ""))))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=360)
    args = ap.parse_args(argv)
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    from orbital_sim.bench import STEP_S, STEPS_PER_OUTPUT, default_model, device_description
    from orbital_sim.kernels.model import make_chunk_fn, node_step
    from orbital_sim.kernels.thermal import coupling_pattern

    n = args.nodes
    config, model, state = default_model(n)
    pairs = coupling_pattern(model.params.thermal.conductance_w_k)
    params, env = model.params, model.env
    prop, shadow, albedo = model.propagator, model.shadow_fn, model.albedo_model
    dt = jnp.asarray(STEP_S)
    sun = jnp.asarray([1.4e11, 3.0e10, 1.3e10])

    def one_step(p, s):
        return jax.vmap(lambda pp, ss: node_step(pp, ss, env, sun, dt, dt, True, prop, shadow, albedo,
                                                 thermal_pairs=pairs))(p, s)

    step = jax.jit(one_step).lower(params, state).compile()
    cost = step.cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    flops = float(cost.get("flops", 0.0)) / n
    transcendentals = float(cost.get("transcendentals", 0.0)) / n
    bytes_accessed = float(cost.get("bytes accessed", 0.0)) / n

    outputs = max(1, args.steps // STEPS_PER_OUTPUT)
    chunk = make_chunk_fn(prop, shadow, STEPS_PER_OUTPUT, outputs, tuple(config.output.variables), albedo_model=albedo,
                          thermal_pairs=pairs)
    cargs = (params, state, env, jnp.asarray(0), jnp.asarray(10**9), dt)
    compiled = chunk.lower(*cargs).compile()
    hlo = compiled.as_text()
    bodies = re.split(r"\n(?=\S.*\{\n)", hlo)
    body = max(bodies, key=lambda c: c.count(" fusion("))
    kinds = re.findall(r"= \S+ ([\w-]+)\(", body)
    thunks = sum(k not in ("get-tuple-element", "constant", "parameter", "bitcast", "tuple") for k in kinds)
    loops = kinds.count("while")  # loops inside the step (each runs its body's kernels per iteration)
    jax.block_until_ready(compiled(*cargs))
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        jax.block_until_ready(compiled(*cargs))
        times.append(time.perf_counter() - t0)
    steps = outputs * STEPS_PER_OUTPUT
    s_per_node_step = statistics.median(times) / (n * steps)
    launched = kernels_launched(compiled, cargs) / steps

    # the ceiling: 64 dependent multiply-adds per element, fused into one loop over the nodes
    x = jnp.linspace(0.1, 0.9, n)

    def poly(x):
        def body(c, _):
            y = c
            for _ in range(64):
                y = y * 0.999 + 0.001
            return y, None
        return jax.lax.scan(body, x, None, length=200)[0]

    f = jax.jit(poly).lower(x).compile()
    jax.block_until_ready(f(x))
    pt = []
    for _ in range(5):
        t0 = time.perf_counter()
        jax.block_until_ready(f(x))
        pt.append(time.perf_counter() - t0)
    ceiling = 2 * 64 * 200 * n / statistics.median(pt)
    achieved = flops / s_per_node_step
    print(json.dumps({
        "benchmark": "profile_step", "nodes": n, "steps": steps, "device": device_description(jax.local_devices()[:1]),
        "dtype": "float64", "flops_per_node_step": flops, "transcendentals_per_node_step": transcendentals,
        "bytes_per_node_step": bytes_accessed, "kernels_per_step": thunks,
        "kernels_launched_per_step": launched, "loops_in_step": loops, "ynn_fusions": hlo.count("ynn_fusion"),
        "ns_per_node_step": s_per_node_step * 1e9, "node_steps_per_s": 1.0 / s_per_node_step,
        "achieved_gflop_s": achieved / 1e9, "ceiling_gflop_s_fused_fma": ceiling / 1e9,
        "fraction_of_ceiling": achieved / ceiling,
        "ns_per_kernel_launch_and_loop": s_per_node_step * n / max(thunks, 1) * 1e9,
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
