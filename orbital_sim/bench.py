"""Kernel throughput benchmarks: ``orbital-sim bench`` and the drivers in ``benchmarks/``.

Every measurement is one JSON-ready dict (SPEC section 8): benchmark, device, dtype, nodes,
steps, node_steps_per_s (the median over repeats, compilation excluded), compile_s, the
individual times, ``ns_per_node_step`` and ``node_days_per_s`` (simulated node-days per second
at the benchmark's step, ``step_s``), and, when the plain-NumPy baselines of ``benchmarks/numpy_baselines.py`` can be
imported (a source checkout), the NumPy two-body + J2 RK4 orbit-only propagation of the same
nodes and steps measured in the same process, with the ratio.

Workloads (``WORKLOADS``):

* ``full_step``: the whole coupled step of the default scenario's fleet (orbit, Sun, shadow
  and contacts, irradiance, power, thermal, faults, accumulators) through the runner's chunk
  function, with the default output variables sampled every 6 steps, at a 10 s step with one
  power and thermal substep and the rk8 integrator: the workload the figures since issue 4 were
  measured on. The default scenario itself now steps 60 s with 4 substeps and samples every
  step (``benchmarks/alternate_step.py`` times that).
* ``orbit_only``: the same propagator (the default scenario's: Cowell, point mass + J2, rk8) alone,
  vmapped over the nodes.
* ``sun``, ``shadow``, ``irradiance``, ``power``, ``thermal``: each stage alone, vmapped over
  the nodes and scanned over the steps, fed by a cheap changing input so that nothing is
  constant-folded.

The fleet is the default scenario's 1,024 nodes, repeated (or cut) to the requested count.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import platform
import statistics
import sys
import time
from pathlib import Path

WORKLOADS = ("full_step", "orbit_only", "sun", "shadow", "irradiance", "power", "thermal")
STEP_S = 10.0  #: [s] the benchmark step (the default scenario's before issue 17; it now steps 60 s)
STEPS_PER_OUTPUT = 6  #: samples every 60 s, as the default scenario does


class BenchError(ValueError):
    """A bad benchmark request (exit code 2 on the command line)."""


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def device_description(devices) -> str:
    d = devices[0]
    kind = cpu_name() if d.platform == "cpu" else d.device_kind
    return f"{d.platform}:{kind}" + (f" x{len(devices)}" if len(devices) > 1 else "")


def load_numpy_baselines():
    """``benchmarks/numpy_baselines.py`` of a source checkout, or None when not available."""
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "numpy_baselines.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("orbital_sim_numpy_baselines", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def default_model(n_nodes: int, dtype: str = "float64"):
    """(config, model, state) of the default scenario with ``n_nodes`` nodes (its 1,024 nodes
    repeated or cut), from :func:`orbital_sim.model.build_model` ("auto" integrator read as rk8)."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from orbital_sim.config import load_config
    from orbital_sim.model import build_model

    config = load_config(None, [f'simulation.dtype="{dtype}"'])
    model, state = build_model(config, dtype=jnp.float64 if dtype == "float64" else jnp.float32,
                               resolve_integrator=False)
    index = np.arange(n_nodes) % model.n_nodes

    def take(x):
        return jnp.asarray(np.asarray(x)[index])

    model = model.select(index)
    model = dataclasses.replace(model, params=jax.tree_util.tree_map(jnp.asarray, model.params))
    return config, model, jax.tree_util.tree_map(take, state)


def default_fleet(n_nodes: int, dtype: str = "float64"):
    """(config, params, state) of the default scenario with ``n_nodes`` nodes (see
    :func:`default_model`)."""
    config, model, state = default_model(n_nodes, dtype)
    return config, model.params, state


def default_env(config, dtype):
    """The environment of ``config`` in ``dtype`` (:func:`orbital_sim.model.build_env`)."""
    from orbital_sim.model import build_env

    return build_env(config, dtype)


def _shard(tree, devices):
    """Split the node axis over ``devices`` along the mesh axis ``node`` (padding by repeating
    the last node, as the runner does)."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    if len(devices) == 1:
        return tree
    n = jax.tree_util.tree_leaves(tree)[0].shape[0]
    pad = (-n) % len(devices)
    if pad:
        tree = jax.tree_util.tree_map(lambda x: jnp.concatenate([x, jnp.repeat(x[-1:], pad, axis=0)]), tree)
    mesh = Mesh(np.asarray(devices), ("node",))
    return jax.device_put(tree, NamedSharding(mesh, PartitionSpec("node")))


def _replicate(tree, devices):
    import jax
    import numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    if len(devices) == 1:
        return tree
    mesh = Mesh(np.asarray(devices), ("node",))
    return jax.device_put(tree, NamedSharding(mesh, PartitionSpec()))


def _time(call, repeats: int):
    """Compile-and-first-run time, then ``repeats`` timed calls (results blocked on)."""
    import jax

    t0 = time.perf_counter()
    jax.block_until_ready(call())
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(call())
        times.append(time.perf_counter() - t0)
    return first, times


def _workload(name: str, config, algorithms, params, state, env, steps: int, devices, unroll: int = 1):
    """A zero-argument callable running ``steps`` steps of workload ``name``, and its compile
    time [s] (lowering + XLA compilation). ``algorithms``: the orbital_sim.model.Model whose
    propagator, shadow and albedo models are used (``params``, ``state``, ``env``: its arrays,
    sharded)."""
    import jax
    import jax.numpy as jnp

    from orbital_sim.kernels import constants as kc
    from orbital_sim.kernels import model
    from orbital_sim.kernels.irradiance import surface_fluxes_two_faces, surface_normals
    from orbital_sim.kernels.power import power_step
    from orbital_sim.kernels.sun import sun_position_eci
    from orbital_sim.kernels.thermal import coupling_pattern, thermal_step

    work = params.thermal.heat_capacity_j_k.dtype
    dt = jnp.asarray(STEP_S, work)
    shadow_fn = algorithms.shadow_fn
    albedo = algorithms.albedo_model
    propagator = algorithms.propagator
    sun0 = sun_position_eci(env.epoch_jd_tt_whole, env.epoch_jd_tt_fraction).astype(work)

    if name == "full_step":
        outputs = max(1, steps // STEPS_PER_OUTPUT)
        fn = model.make_chunk_fn(propagator, shadow_fn, STEPS_PER_OUTPUT, outputs, tuple(config.output.variables),
                                 albedo_model=albedo, unroll=unroll,
                                 thermal_pairs=coupling_pattern(params.thermal.conductance_w_k))
        args = (params, state, env, jnp.asarray(0), jnp.asarray(10**9), dt)
    else:
        def scan(body, carry):
            def run(p, carry, env):
                def one(c, k):
                    return body(p, c, env, k), None
                return jax.lax.scan(one, carry, jnp.arange(steps))[0]
            return run, carry

        if name == "orbit_only":
            def body(p, c, env, k):
                return jax.vmap(lambda pp, r, v: propagator.advance(pp, r, v, k * STEP_S, STEP_S, env))(p, *c)
            run, carry = scan(body, (state.r_eci_m, state.v_eci_m_s))
        elif name == "sun":
            def body(p, c, env, k):
                t = k.astype(jnp.float64) * STEP_S
                return c + sun_position_eci(env.epoch_jd_tt_whole, env.epoch_jd_tt_fraction + t / kc.SECONDS_PER_DAY)
            run, carry = scan(body, jnp.zeros(3, jnp.float64))
        elif name == "shadow":
            def body(p, c, env, k):
                r, lit = c
                r = r + 1.0  # a changing position
                return r, lit + jax.vmap(lambda x: shadow_fn(x, sun0, env.shadow_radius_m, env.sun_radius_m))(r)
            run, carry = scan(body, (state.r_eci_m.astype(work), jnp.zeros(state.r_eci_m.shape[0], work)))
        elif name == "irradiance":
            s_hat = sun0 / jnp.sqrt(jnp.sum(sun0 * sun0))

            def body(p, c, env, k):
                r, total = c
                r = r + 1.0

                def one(pp, x, v):
                    n = surface_normals(pp.surfaces.pointing, pp.surfaces.rsw, x, v, s_hat)
                    (d, a, i), (db, ab, ib) = surface_fluxes_two_faces(n, x, s_hat, kc.AU_M, 1.0, env, albedo)
                    return jnp.sum(d + a + i + db + ab + ib)
                return r, total + jax.vmap(one)(p, r, state.v_eci_m_s.astype(work))
            run, carry = scan(body, (state.r_eci_m.astype(work), jnp.zeros(state.r_eci_m.shape[0], work)))
        elif name == "power":
            def body(p, c, env, k):
                def one(pp, e):
                    f = power_step(40e3 * (1.0 + 0.5 * jnp.sin(k * 0.1)), pp.power.bus_power_w,
                                   pp.compute.accelerators * pp.compute.accelerator_power_w, pp.compute.utilization,
                                   e, pp.battery, STEP_S)
                    return f.battery_energy_j
                return jax.vmap(one)(p, c)
            run, carry = scan(body, state.battery_energy_j)
        elif name == "thermal":
            def body(p, c, env, k):
                def one(pp, t):
                    surfaces = pp.surfaces
                    k4 = env.sigma_w_m2_k4 * ((surfaces.area_m2 * (surfaces.emittance + surfaces.back_emittance))
                                              @ surfaces.component)
                    heat = 1e4 * (1.5 + jnp.sin(k * 0.07)) * pp.compute.component
                    return thermal_step(pp.thermal, t, k4, heat, STEP_S, env.sink_k)[0]
                return jax.vmap(one)(p, c)
            run, carry = scan(body, state.temperature_k)
        else:
            raise BenchError(f"unknown benchmark {name!r}; known: {', '.join(WORKLOADS)}")
        fn = jax.jit(run)
        args = (params, carry, env)

    t0 = time.perf_counter()
    compiled = fn.lower(*args).compile()
    compile_s = time.perf_counter() - t0
    return (lambda: compiled(*args)), compile_s, (steps if name != "full_step" else outputs * STEPS_PER_OUTPUT)


def numpy_orbit_baseline(baselines, r_m, v_m_s, steps: int, repeats: int) -> dict:
    """Median node-steps/s of the plain-NumPy two-body + J2 RK4 over the same nodes and steps."""
    times = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        baselines.orbit_rk4_j2(r_m, v_m_s, STEP_S, steps)
        times.append(time.perf_counter() - t0)
    n = r_m.shape[0]
    return {"baseline": "numpy_rk4_j2_orbit_only", "baseline_node_steps_per_s": n * steps / statistics.median(times),
            "baseline_times_s": times}


def run_benchmark(name: str, n_nodes: int, *, steps: int = 720, repeats: int = 3, dtype: str = "float64",
                  devices=None, baseline: bool = True, unroll: int = 1) -> dict:
    """One measurement of workload ``name`` at ``n_nodes`` nodes (see the module docstring);
    ``unroll``: steps per inner-loop iteration of ``full_step`` (``make_chunk_fn``)."""
    import jax
    import numpy as np

    if name not in WORKLOADS:
        raise BenchError(f"unknown benchmark {name!r}; known: {', '.join(WORKLOADS)}")
    if n_nodes < 1 or steps < 1 or repeats < 1:
        raise BenchError("nodes, steps and repeats must be positive")
    jax.config.update("jax_enable_x64", True)  # float64 state and time in every mode (SPEC 7)
    devices = list(devices) if devices is not None else jax.local_devices()[:1]
    config, model, state = default_model(n_nodes, dtype)
    r0, v0 = np.asarray(state.r_eci_m), np.asarray(state.v_eci_m_s)
    params, state, env = _shard(model.params, devices), _shard(state, devices), _replicate(model.env, devices)
    call, compile_s, steps_done = _workload(name, config, model, params, state, env, steps, devices, unroll)
    first_s, times = _time(call, repeats)
    median = statistics.median(times)
    result = {
        "benchmark": name, "nodes": n_nodes, "steps": steps_done,
        "node_steps_per_s": n_nodes * steps_done / median if name != "sun" else steps_done / median,
        "compile_s": compile_s, "first_call_s": first_s, "times_s": times, "repeats": repeats,
        "device": device_description(devices), "devices": len(devices), "dtype": dtype,
        "jax": jax.__version__, "python": platform.python_version(),
    }
    if name != "sun":
        # what users wait for: simulated node-days per second at this step (STEP_S, the
        # integrator of the default scenario read at 10 s: rk8, well under 1 mm a day in LEO)
        result["step_s"] = STEP_S
        result["ns_per_node_step"] = 1e9 / result["node_steps_per_s"]
        result["node_days_per_s"] = result["node_steps_per_s"] * STEP_S / 86400.0
    if name in ("full_step", "orbit_only"):
        result["integrator"] = model.integrator
    if unroll != 1:
        result["unroll"] = unroll
    if name == "sun":
        result["note"] = "the Sun is computed once per step for all nodes: node_steps_per_s here is steps per second"
    module = load_numpy_baselines() if baseline else None
    if module is not None:
        result.update(numpy_orbit_baseline(module, r0, v0, steps_done, repeats))
        result["ratio_vs_baseline"] = result["node_steps_per_s"] / result["baseline_node_steps_per_s"]
    elif baseline:
        result["baseline"] = None
        result["baseline_note"] = "benchmarks/numpy_baselines.py not found (installed without the source tree)"
    return result


def one_node_step_cost_us(*, steps: int = 720, repeats: int = 3, dtype: str = "float64", devices=None) -> float:
    """The full step's fixed cost: microseconds per step of ONE node on one device (what a
    step costs before there are nodes to share it: kernel launches, loops, the Sun), the median
    over ``repeats``."""
    import jax

    devices = list(devices) if devices is not None else jax.local_devices()
    result = run_benchmark("full_step", 1, steps=steps, repeats=repeats, dtype=dtype, devices=devices[:1],
                           baseline=False)
    return 1e6 / result["node_steps_per_s"]


def parse_nodes(text: str) -> list[int]:
    out = []
    for part in str(text).split(","):
        part = part.strip().replace("_", "")
        if not part:
            continue
        try:
            value = float(part)
        except ValueError:
            raise BenchError(f"--nodes: {part!r} is not a number") from None
        if not math.isfinite(value) or value != int(value) or not 1 <= value <= 10**8:
            raise BenchError(f"--nodes: {part!r} must be a whole number from 1 to 1e8")
        out.append(int(value))
    if not out:
        raise BenchError("--nodes: give at least one node count, e.g. --nodes 1000,10000")
    return out


def format_line(result: dict) -> str:
    base = ""
    if result.get("baseline_node_steps_per_s"):
        base = (f"; NumPy RK4+J2 orbit only {result['baseline_node_steps_per_s']:.3g}"
                f" (ratio {result['ratio_vs_baseline']:.2f})")
    return (f"{result['benchmark']:11s} {result['nodes']:>8d} nodes x {result['steps']} steps: "
            f"{result['node_steps_per_s']:.3g} node-steps/s (median of {result['repeats']}, "
            f"compile {result['compile_s']:.1f} s) on {result['device']}, {result['dtype']}{base}"
            + (f"; {result['node_days_per_s']:.3g} node-days/s at {result['step_s']:g} s steps"
               if "node_days_per_s" in result else "")
            + (f"; one node: {result['one_node_us_per_step']:.3g} us per step" if "one_node_us_per_step" in result
               else ""))


def emit(result: dict, as_json: bool, stream=None) -> None:
    stream = sys.stdout if stream is None else stream
    print(json.dumps(result) if as_json else format_line(result), file=stream, flush=True)
