"""Time the full step of two source trees alternately in one sitting (how a speed-up is claimed).

Each measurement runs in its own process with ``PYTHONPATH`` at one tree (a checkout or a
``git worktree`` of the commit), builds the default scenario's fleet at the requested node
count and times its compiled chunk (``kernels.model.make_chunk_fn``) at the given step and
substeps, outputs every step, one CPU device: the median of the repeats, compilation excluded.
One JSON line per measurement, then a summary line with the median of each tree and the ratio.

    git worktree add /tmp/old <commit>
    python benchmarks/alternate_step.py --old /tmp/old --new . --nodes 1,10000 --step-s 60 --rounds 3
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

_CHILD = r"""
import inspect, json, statistics, sys, time
import jax, jax.numpy as jnp
jax.config.update("jax_enable_x64", True)
from orbital_sim.bench import default_model, device_description
from orbital_sim.kernels import model as km
n, steps, step_s, substeps, repeats = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
config, model, state = default_model(n)
kw = {"substeps": substeps, "albedo_model": model.albedo_model}
if "thermal_pairs" in inspect.signature(km.make_chunk_fn).parameters:
    from orbital_sim.kernels.thermal import coupling_pattern
    kw["thermal_pairs"] = coupling_pattern(model.params.thermal.conductance_w_k)
chunk = km.make_chunk_fn(model.propagator, model.shadow_fn, 1, steps, tuple(config.output.variables), **kw)
args = (model.params, state, model.env, jnp.asarray(0), jnp.asarray(10**9), jnp.asarray(step_s))
compiled = chunk.lower(*args).compile()
jax.block_until_ready(compiled(*args))
times = []
for _ in range(repeats):
    t0 = time.perf_counter(); jax.block_until_ready(compiled(*args)); times.append(time.perf_counter() - t0)
rate = n * steps / statistics.median(times)
print(json.dumps({"nodes": n, "steps": steps, "step_s": step_s, "substeps": substeps, "node_steps_per_s": rate,
                  "ns_per_node_step": 1e9 / rate, "node_days_per_s": rate * step_s / 86400.0, "times_s": times,
                  "integrator": model.integrator, "device": device_description(jax.local_devices()[:1])}))
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", required=True, help="source tree of the old commit")
    ap.add_argument("--new", required=True, help="source tree of the new commit")
    ap.add_argument("--nodes", default="1,10000")
    ap.add_argument("--step-s", type=float, default=60.0)
    ap.add_argument("--substeps", type=int, default=None, help="default: the runner's rule for the step")
    ap.add_argument("--steps", type=int, default=None, help="default: 1,440 for one node, 120 for more")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    if args.substeps is None:
        from orbital_sim.runner import thermal_substeps

        args.substeps = thermal_substeps(args.step_s)
    results = {}
    for round_ in range(args.rounds):
        for label, tree in (("old", args.old), ("new", args.new)):
            for n in (int(x) for x in args.nodes.split(",")):
                steps = args.steps or (1440 if n == 1 else 120)
                env = {**os.environ, "PYTHONPATH": os.path.abspath(tree), "JAX_PLATFORMS": "cpu"}
                env.pop("XLA_FLAGS", None)
                proc = subprocess.run([sys.executable, "-c", _CHILD, str(n), str(steps), str(args.step_s),
                                       str(args.substeps), str(args.repeats)], env=env, cwd=os.path.abspath(tree),
                                      capture_output=True, text=True)
                if proc.returncode:
                    print(proc.stderr[-2000:], file=sys.stderr)
                    return 1
                line = json.loads(proc.stdout.strip().splitlines()[-1])
                line.update(tree=label, round=round_)
                print(json.dumps(line), flush=True)
                results.setdefault((label, n), []).append(line["ns_per_node_step"])
    for n in sorted({n for _, n in results}):
        old, new = statistics.median(results[("old", n)]), statistics.median(results[("new", n)])
        print(json.dumps({"summary": True, "nodes": n, "old_ns_per_node_step": old, "new_ns_per_node_step": new,
                          "speedup": old / new, "step_s": args.step_s, "substeps": args.substeps}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
