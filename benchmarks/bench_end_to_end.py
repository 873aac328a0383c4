"""End to end against the kernel's own time for one workload (issue 13).

The default scenario scaled to 10,240 nodes (as benchmarks/soak.py), ``--days`` days at a 30 s
step with a sample every 600 s, through ``orbital-sim run`` (the command line's devices: one
per core on the CPU). The kernel's own time is the same run with the writer's work taken out
(``ResultWriter.write_chunk`` and ``write_restart`` do nothing; on the CPU the device-to-host
copy is a view, so what remains is the chunk function, the set-up and the compilation, which
both runs load from the same warm persistent cache). Runs alternate, kernel first (it fills
the cache); the first is dropped. One JSON line per run, then the medians and their ratio, of
wall time and of CPU time (user + system of every thread: on a machine shared with other work
the CPU seconds a run needs move less than its wall time).

    python benchmarks/bench_end_to_end.py --days 1 --repeats 2
    python benchmarks/bench_end_to_end.py --days 30 --repeats 1 --no-warm-up

``--no-warm-up`` (for long runs): no dropped first run; the end-to-end run goes first and
compiles, the kernel run loads the compiled chunk (the compilation, 10-15 s, counts against the
end-to-end run only).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

CHILD = r"""
import json, sys, time
from orbital_sim import cli, output
mode, out = sys.argv[1], sys.argv[2]
if mode == "kernel":
    output.ResultWriter.write_chunk = lambda self, *a, **k: None
    output.ResultWriter.write_restart = lambda self, *a, **k: None
t = time.perf_counter()
code = cli.main(["run", "-q", "--overwrite", "-o", out, *sys.argv[3:]])
wall = time.perf_counter() - t
import resource
usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process: XLA's and the writer's
with open("/proc/self/status") as f:
    peak = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:"))
print(json.dumps({"mode": mode, "code": code, "wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
                  "peak_rss_bytes": peak}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=2, help="measured runs of each mode after the warm-up")
    ap.add_argument("--no-warm-up", action="store_true", help="no dropped first run; end to end first")
    args = ap.parse_args()
    steps = int(round(args.days * 86400 / 30))
    sets = ["constellation.0.nodes_per_plane=640", "constellation.1.total=7680",
            f"simulation.duration_s={args.days * 86400.0}", "simulation.step_s=30", "simulation.output_every_s=600"]
    sets = [x for s in sets for x in ("--set", s)]
    runs = {"kernel": [], "end_to_end": []}
    cpu = {"kernel": [], "end_to_end": []}
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, ORBITAL_SIM_COMPILATION_CACHE=os.path.join(tmp, "cache"))
        order = (["end_to_end", "kernel"] * args.repeats if args.no_warm_up
                 else ["kernel"] + ["end_to_end", "kernel"] * args.repeats)
        first_kept = 0 if args.no_warm_up else 1
        for i, mode in enumerate(order):
            proc = subprocess.run([sys.executable, "-c", CHILD, mode, os.path.join(tmp, "out.h5"), *sets],
                                  env=env, capture_output=True, text=True)
            line = json.loads(proc.stdout.strip().splitlines()[-1])
            last = [l for l in proc.stdout.splitlines() if l.startswith("wrote ")]
            line.update(benchmark="end_to_end_vs_kernel", nodes=10240, steps=steps, node_steps=10240 * steps,
                        warm_up=i < first_kept, summary=last[-1] if last else proc.stderr[-300:], load1=os.getloadavg()[0])
            print(json.dumps(line), flush=True)
            if i >= first_kept:
                runs[mode].append(line["wall_s"])
                cpu[mode].append(line["cpu_s"])
    e2e, kernel = statistics.median(runs["end_to_end"]), statistics.median(runs["kernel"])
    e2e_cpu, kernel_cpu = statistics.median(cpu["end_to_end"]), statistics.median(cpu["kernel"])
    print(json.dumps({"benchmark": "end_to_end_vs_kernel", "nodes": 10240, "days": args.days, "steps": steps,
                      "end_to_end_wall_s": e2e, "kernel_wall_s": kernel, "ratio": round(e2e / kernel, 3),
                      "end_to_end_cpu_s": e2e_cpu, "kernel_cpu_s": kernel_cpu,
                      "cpu_ratio": round(e2e_cpu / kernel_cpu, 3), "runs": runs, "cpu": cpu}), flush=True)


if __name__ == "__main__":
    main()
