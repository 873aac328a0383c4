"""Soak (issue 6 item 6) and end-to-end timing (issue 4 item 6): run the default scenario scaled
to 10,240 nodes through the command line, sample the process's resident memory every few
seconds, and print one JSON line: wall time, peak RSS, RSS at 10 %, 50 % and 100 % of the run,
node-steps, file size.

    python benchmarks/soak.py --days 365 --step 180 --output 3600 --propagator j2_secular -o /tmp/soak.h5  # issue 6 soak
    python benchmarks/soak.py --days 30 --step 30 --output 600 -o /tmp/e2e.h5     # issue 4 item 6

The scaled fleet: the default's 4 dawn-dusk planes with 640 nodes each (2,560) and its 53 deg
Walker shell with 7,680 nodes (24 planes of 320), all of the default node class.

The year-long soak uses a 180 s step to fit in under an hour on 2 cores, with the j2_secular
propagator: RK4 (the default ``cowell``) loses orbital energy as the step to the fourth power,
and at 180 s (32 steps per 550 km orbit) every node reached the Earth (flagged
``below_surface``) between day 74 and day 95; at 300 s within 65 days. A year of RK4 with
healthy nodes needs about 90 s or less (about an hour on 2 cores). Figures: benchmarks/README.md.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--step", type=float, default=180.0)
    ap.add_argument("--output", type=float, default=3600.0)
    ap.add_argument("--propagator", default="cowell", choices=("cowell", "j2_secular"))
    ap.add_argument("-o", "--out", default="soak.h5")
    ap.add_argument("--every", type=float, default=5.0, help="RSS sampling interval [s]")
    args = ap.parse_args(argv)
    out = Path(args.out)
    cmd = [sys.executable, "-m", "orbital_sim.cli", "run", "-o", str(out), "--overwrite", "-q",
           "--set", "constellation.0.nodes_per_plane=640", "--set", "constellation.1.total=7680",
           "--set", f"simulation.duration_s={args.days * 86400.0}", "--set", f"simulation.step_s={args.step}",
           "--set", f"simulation.output_every_s={args.output}", "--set", f'simulation.propagator="{args.propagator}"']
    t0 = time.perf_counter()
    # the child's output goes to files: a pipe nobody reads fills up (64 kB: one line per faulted
    # node of a 10,240-node fleet) and blocks the child at its final report
    import tempfile

    with tempfile.TemporaryFile("w+") as out_f, tempfile.TemporaryFile("w+") as err_f:
        proc = subprocess.Popen(cmd, stdout=out_f, stderr=err_f, text=True)
        samples = []
        while proc.poll() is None:
            samples.append((time.perf_counter() - t0, rss_bytes(proc.pid)))
            time.sleep(args.every)
        wall = time.perf_counter() - t0
        out_f.seek(0)
        err_f.seek(0)
        stdout, stderr = out_f.read(), err_f.read()
    import resource

    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    rss = [r for _, r in samples if r > 0]

    def at(frac):
        return rss[min(len(rss) - 1, int(frac * (len(rss) - 1)))] if rss else None

    steps = int(round(args.days * 86400.0 / args.step))
    print(json.dumps({
        "benchmark": "soak_end_to_end", "returncode": proc.returncode, "nodes": 10240, "days": args.days,
        "step_s": args.step, "output_every_s": args.output, "propagator": args.propagator, "steps": steps, "node_steps": 10240 * steps,
        "wall_s": wall, "node_steps_per_s": 10240 * steps / wall, "peak_rss_bytes": peak,
        "rss_10pct_bytes": at(0.1), "rss_50pct_bytes": at(0.5), "rss_end_bytes": at(1.0),
        "rss_samples": len(rss), "file_bytes": out.stat().st_size if out.exists() else None,
        "cpu_devices": os.environ.get("ORBITAL_SIM_CPU_DEVICES", "one per core"),
        "stdout_tail": stdout.strip().splitlines()[-1:] if stdout else [], "stderr_tail": stderr.strip().splitlines()[-3:],
    }), flush=True)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
