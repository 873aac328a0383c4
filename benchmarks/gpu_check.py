"""GPU check and throughput (issue 4 item 7), for a machine with a CUDA GPU.

Run through ``bash benchmarks/gpu.sh`` (which uses an installed CUDA JAX when there is one, else
installs ``.[cuda]`` into a venv), or ``python benchmarks/gpu_check.py`` where the package and a
CUDA JAX are importable. Sections, each printed as JSON lines as it finishes (and appended to
``--log`` when given); a section that fails prints its error and the next one still runs:

1. ``gpu_vs_cpu``: the full coupled step of 64 default nodes over 2 h (720 steps of 10 s) on the
   GPU against the CPU, in float64 and float32; the largest differences, failing when float64
   differs by more than 1e-6 m / 1e-9 K, or float32 by more than 10 m / 0.05 K (the bounds of
   docs/precision/float32.md, loosened: the orbit is float64 in both modes).
2. ``full_step``: node-steps/s at ``--sizes`` nodes in float32 and float64 (the NumPy orbit-only
   baseline runs on the host CPU in the same run, up to ``--baseline-max`` nodes).
3. ``unroll``: float32 at 1e4 and 1e5 nodes again with ``--unroll`` steps per loop iteration.
4. ``kernels``: how many GPU kernels one step of the compiled chunk launches (fusions and library
   calls inside the innermost loop of the optimised HLO, written to ``--hlo``).
5. stages alone (``orbit_only``, ``shadow``, ``irradiance``, ``power``, ``thermal``) at
   ``--stage-nodes`` nodes in float32.
6. ``pallas``: the chunk as one Pallas kernel (kernels/pallas_chunk.py, issue 16): whether it
   lowers on this GPU, its largest differences from the XLA chunk at 64 nodes, and node-steps/s
   at ``--pallas-sizes`` nodes in float32 and float64 (``--cpu-dry-run``: interpret mode).

    python benchmarks/gpu_check.py [--sizes 1000,10000,100000,1000000] [--steps 720]
"""

import argparse
import functools
import json
import re
import sys
import time
import traceback

import numpy as np

LOG = None


def emit(obj: dict) -> None:
    line = json.dumps(obj)
    print(line, flush=True)
    if LOG:
        with open(LOG, "a") as f:
            f.write(line + "\n")


def section(name, fn, *args, **kwargs):
    t0 = time.perf_counter()
    try:
        return fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - a diagnostic script: report and go on
        emit({"section": name, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()[-2000:]})
        return None
    finally:
        emit({"section": name, "wall_s": round(time.perf_counter() - t0, 2)})


def _chunk(n, dtype, steps, pallas_block=None, interpret=False):
    """The chunk function of ``n`` default nodes and its arguments: the XLA chunk, or with
    ``pallas_block`` the Pallas chunk (kernels/pallas_chunk.py) in node blocks of that size."""
    import jax.numpy as jnp

    from orbital_sim.bench import STEPS_PER_OUTPUT, default_model
    from orbital_sim.kernels.model import make_chunk_fn
    from orbital_sim.kernels.pallas_chunk import make_pallas_chunk_fn
    from orbital_sim.kernels.thermal import coupling_pattern

    config, model, state = default_model(n, dtype)
    params, env = model.params, model.env
    make = make_chunk_fn if pallas_block is None else functools.partial(
        make_pallas_chunk_fn, block_nodes=pallas_block, interpret=interpret)
    fn = make(model.propagator, model.shadow_fn, STEPS_PER_OUTPUT, max(1, steps // STEPS_PER_OUTPUT),
              ("temperature", "battery_energy", "sunlit_fraction"), albedo_model=model.albedo_model,
              thermal_pairs=coupling_pattern(params.thermal.conductance_w_k))
    dt = jnp.asarray(10.0, env.sink_k.dtype)
    return fn, (params, state, env, jnp.asarray(0), jnp.asarray(10**9), dt)


def _run(device, dtype, n=64, steps=720):
    import jax

    with jax.default_device(device):
        fn, args = _chunk(n, dtype, steps)
        args = jax.device_put(args, device)
        st, samples = fn(*args)
        return jax.tree_util.tree_map(np.asarray, (st, samples))


def correctness(gpu, cpu):
    failed = False
    for dtype, pos_tol_m, temp_tol_k in (("float64", 1e-6, 1e-9), ("float32", 10.0, 0.05)):
        (sc, xc), (sg, xg) = _run(cpu, dtype), _run(gpu, dtype)
        d_pos = float(np.max(np.abs(sc.r_eci_m - sg.r_eci_m)))
        d_temp = float(np.max(np.abs(xc["temperature"].astype(float) - xg["temperature"].astype(float))))
        d_lit = float(np.max(np.abs(xc["sunlit_fraction"].astype(float) - xg["sunlit_fraction"].astype(float))))
        d_bat = float(np.max(np.abs(xc["battery_energy"].astype(float) - xg["battery_energy"].astype(float))))
        finite = bool(np.all(np.isfinite(xg["temperature"])) and np.all(np.isfinite(sg.r_eci_m)))
        ok = finite and d_pos <= pos_tol_m and d_temp <= temp_tol_k
        failed |= not ok
        emit({"check": "gpu_vs_cpu", "dtype": dtype, "nodes": 64, "steps": 720, "max_position_m": d_pos,
              "max_temperature_k": d_temp, "max_sunlit_fraction": d_lit, "max_battery_energy_j": d_bat,
              "finite": finite, "ok": ok, "tolerance_position_m": pos_tol_m, "tolerance_temperature_k": temp_tol_k,
              "gpu": gpu.device_kind})
    return failed


def throughput(gpus, sizes, steps, baseline_max, dtypes):
    from orbital_sim.bench import run_benchmark

    for n in sizes:
        for dtype in dtypes:
            r = section(f"full_step {dtype} {n}", run_benchmark, "full_step", n, steps=steps, repeats=3,
                        dtype=dtype, devices=gpus, baseline=n <= baseline_max)
            if r:
                if n > baseline_max:
                    r["baseline_note"] = f"the host NumPy baseline runs up to --baseline-max={baseline_max} nodes"
                emit(r)


def unrolled(gpus, sizes, steps, unroll):
    from orbital_sim.bench import run_benchmark

    for n in sizes:
        r = section(f"full_step float32 {n} unroll {unroll}", run_benchmark, "full_step", n, steps=steps, repeats=3,
                    dtype="float32", devices=gpus, baseline=False, unroll=unroll)
        if r:
            emit(r)


def kernels_per_step(gpu, n, steps, hlo_path):
    """Fusions and library calls in the innermost loop body of the compiled chunk."""
    import jax

    with jax.default_device(gpu):
        fn, args = _chunk(n, "float32", steps)
        text = fn.lower(*jax.device_put(args, gpu)).compile().as_text()
    if hlo_path:
        with open(hlo_path, "w") as f:
            f.write(text)
    # computations by name, and what each launches
    comps = {}
    for block in re.split(r"\n(?=\S)", text):
        m = re.match(r"(?:ENTRY )?%?([\w.\-]+)", block)
        if m:
            comps[m.group(1)] = block
    counts = {}
    for name, body in comps.items():
        fusions = len(re.findall(r" fusion\(.*calls=", body))
        calls = len(re.findall(r"custom-call\(", body))
        whiles = len(re.findall(r" while\(", body))
        counts[name] = (fusions, calls, whiles)
    # the innermost while bodies: bodies of while loops that contain no while themselves
    bodies = set(re.findall(r"body=%?([\w.\-]+)", text))
    inner = {b: counts.get(b) for b in bodies if counts.get(b) and counts[b][2] == 0}
    emit({"check": "kernels_per_step", "nodes": n, "dtype": "float32",
          "loop_bodies": {b: {"fusions": c[0], "custom_calls": c[1],
                              "kernels": _fusion_scopes(comps, comps[b])} for b, c in inner.items()},
          "hlo_chars": len(text)})


STAGES = ("orbit", "sun", "shadow", "irradiance", "power", "thermal", "faults", "accumulate", "ground")


def _fusion_scopes(comps, body):
    """Each fusion of a loop body: its root operation and the stages (named scopes) its
    operations come from, most first: where the kernel boundaries of a step fall."""
    out = []
    for line in body.splitlines():
        m = re.match(r"\s*(?:ROOT )?%?([\w.\-]+) = .*? fusion\(.*calls=%?([\w.\-]+)", line)
        if not m or m.group(2) not in comps:
            continue
        comp = comps[m.group(2)]
        text = comp + "".join(comps.get(c, "") for c in re.findall(r"calls=%?([\w.\-]+)", comp))
        root = next((x for x in comp.splitlines() if "ROOT" in x), "")
        op = re.search(r"= \S+ ([\w\-]+)\(", root)
        scopes = {}
        for name in re.findall(r'op_name="([^"]+)"', text):
            parts = [p[5:-1] if p.startswith("vmap(") else p for p in name.split("/")]
            stage = next((p for p in reversed(parts) if p in STAGES), "-")
            scopes[stage] = scopes.get(stage, 0) + 1
        out.append({"fusion": m.group(1), "root": op.group(1) if op else "tuple",
                    "stages": dict(sorted(scopes.items(), key=lambda kv: -kv[1])[:3])})
    return out


def stages(gpus, n, steps):
    from orbital_sim.bench import run_benchmark

    for name in ("orbit_only", "shadow", "irradiance", "power", "thermal"):
        r = section(f"{name} float32 {n}", run_benchmark, name, n, steps=steps, repeats=3, dtype="float32",
                    devices=gpus, baseline=False)
        if r:
            emit(r)


def pallas(gpu, sizes, steps, block_nodes, interpret):
    """The Pallas chunk against the XLA chunk (64 nodes), then its throughput at ``sizes``."""
    import jax

    from orbital_sim.bench import STEPS_PER_OUTPUT

    n_steps = max(1, steps // STEPS_PER_OUTPUT) * STEPS_PER_OUTPUT

    def one(n, dtype):
        with jax.default_device(gpu):
            fn, args = _chunk(n, dtype, steps, pallas_block=block_nodes, interpret=interpret)
            args = jax.device_put(args, gpu)
            t0 = time.perf_counter()
            st, samples = jax.block_until_ready(fn(*args))
            first_s = time.perf_counter() - t0
            row = {"check": "pallas", "dtype": dtype, "nodes": n, "steps": n_steps,
                   "block_nodes": block_nodes, "interpret": interpret, "compile_and_first_run_s": round(first_s, 3)}
            if n == 64:  # against the XLA chunk on the same device
                xla, _ = _chunk(n, dtype, steps)
                sx, ox = jax.tree_util.tree_map(np.asarray, xla(*args))
                row.update(max_position_m=float(np.max(np.abs(np.asarray(st.r_eci_m) - sx.r_eci_m))),
                           max_temperature_k=float(np.max(np.abs(np.asarray(samples["temperature"], float)
                                                                 - ox["temperature"].astype(float)))))
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                jax.block_until_ready(fn(*args))
                times.append(time.perf_counter() - t0)
            row["node_steps_per_s"] = n * n_steps / float(np.median(times))
            emit(row)

    for dtype in ("float32", "float64"):
        for n in [64] + [n for n in sizes if n != 64]:
            section(f"pallas {dtype} {n}", one, n, dtype)


def main(argv=None) -> int:
    global LOG
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000,1000000")
    ap.add_argument("--dtypes", default="float32,float64")
    ap.add_argument("--steps", type=int, default=720)
    ap.add_argument("--baseline-max", type=int, default=10000,
                    help="largest node count for which the host NumPy baseline also runs")
    ap.add_argument("--stage-nodes", type=int, default=100000, help="0: skip the stages")
    ap.add_argument("--unroll", type=int, default=6, help="also time float32 at 1e4 and 1e5 nodes with the "
                    "inner loop unrolled this many steps (1: skip)")
    ap.add_argument("--pallas-sizes", default="10000,100000", help="node counts for the Pallas chunk ('': 64 only)")
    ap.add_argument("--pallas-block", type=int, default=128, help="nodes per Pallas program")
    ap.add_argument("--skip-check", action="store_true")
    ap.add_argument("--log", default=None, help="append every JSON line to this file")
    ap.add_argument("--hlo", default=None, help="write the compiled chunk's HLO text here")
    ap.add_argument("--cpu-dry-run", action="store_true", help="use the CPU as the 'GPU' (tries the script out)")
    args = ap.parse_args(argv)
    LOG = args.log
    import jax

    jax.config.update("jax_enable_x64", True)
    gpus = [d for d in jax.devices() if d.platform == "gpu"]
    if args.cpu_dry_run:
        gpus = jax.devices("cpu")[:1]
    emit({"jax": jax.__version__, "devices": [f"{d.platform}:{d.device_kind}" for d in jax.devices()],
          "python": sys.version.split()[0], "numpy": np.__version__})
    if not gpus:
        print("gpu_check: no GPU visible to JAX", file=sys.stderr)
        return 2
    cpu = jax.devices("cpu")[0]
    failed = False
    if not args.skip_check:
        failed = section("gpu_vs_cpu", correctness, gpus[0], cpu) is not False
    sizes = sorted(int(float(x)) for x in args.sizes.split(",") if x)
    dtypes = [d for d in args.dtypes.split(",") if d]
    # the largest sizes last, so that a time limit cuts the least
    throughput(gpus, [n for n in sizes if n <= 100000], args.steps, args.baseline_max, dtypes)
    if args.unroll > 1:
        unrolled(gpus, [n for n in (10000, 100000) if n in sizes], args.steps, args.unroll)
    section("kernels_per_step", kernels_per_step, gpus[0], min(10000, max(sizes)), args.steps, args.hlo)
    pallas(gpus[0], [int(float(x)) for x in args.pallas_sizes.split(",") if x], args.steps, args.pallas_block,
           interpret=args.cpu_dry_run)
    if args.stage_nodes:
        stages(gpus, args.stage_nodes, args.steps)
    throughput(gpus, [n for n in sizes if n > 100000], args.steps, args.baseline_max, dtypes)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
