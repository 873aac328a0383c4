"""Node-days per second of the whole coupled run (orbit, Sun, shadow with contacts inside the
step, irradiance, power, thermal, HDF5 output every 600 s) at the default 60 s step, against
the plain-NumPy RK4 + J2 orbit-only propagation at the 20 s step RK4 needs for 10 m per day
(issue 17 item 6).

    python benchmarks/node_days.py [--nodes 1024,10240] [--days 1,4] [--month]

The cost per simulated day of the coupled run is the difference between a run of the longer and
the shorter duration divided by the difference in days, so compilation, set-up and file opening
cancel. The NumPy rate is timed on the same nodes for a fraction of a day (it is linear in the
steps). ``--month`` adds the 10,240-node x 30-day run at the default settings (wall time, the
item's 90 s goal). Prints one JSON line per measurement (SPEC section 8). Runs in this process:
the CPU is split into one JAX device per core as by the command line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from orbital_sim.cli import configure_cpu_devices  # noqa: E402

configure_cpu_devices(None)

import numpy as np  # noqa: E402

import orbital_sim  # noqa: E402
from orbital_sim.model import build_model  # noqa: E402

import numpy_baselines  # noqa: E402


def fleet_overrides(nodes: int) -> list[str]:
    """The default scenario's two entries scaled to ``nodes`` (a multiple of 1,024)."""
    k = nodes // 1024
    return [f"constellation.0.nodes_per_plane={64 * k}", f"constellation.1.total={768 * k}"]


def coupled_wall_s(nodes: int, days: float, out: Path, extra=()) -> float:
    config = orbital_sim.load_config(None, overrides=[
        *fleet_overrides(nodes), f"simulation.duration_s={86400.0 * days}", "simulation.output_every_s=600", *extra])
    t = time.perf_counter()
    orbital_sim.run(config, out=str(out), overwrite=True, progress=False)
    return time.perf_counter() - t


def numpy_node_days_per_s(nodes: int, step_s: float = 20.0, steps: int = 270) -> float:
    config = orbital_sim.load_config(None, overrides=fleet_overrides(nodes))
    _, state = build_model(config, resolve_integrator=False)
    r, v = np.asarray(state.r_eci_m), np.asarray(state.v_eci_m_s)
    numpy_baselines.orbit_rk4_j2(r, v, step_s, 5)  # warm
    t = time.perf_counter()
    numpy_baselines.orbit_rk4_j2(r, v, step_s, steps)
    wall = time.perf_counter() - t
    return nodes * steps * step_s / 86400.0 / wall


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nodes", default="1024,10240")
    p.add_argument("--days", default="1,4", help="the two durations (days) whose difference is timed")
    p.add_argument("--month", action="store_true", help="also 10,240 nodes x 30 days at the default settings")
    args = p.parse_args(argv)
    d1, d2 = (float(x) for x in args.days.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.h5"
        for nodes in (int(x) for x in args.nodes.split(",")):
            coupled_wall_s(nodes, d1, out)  # fills the compilation cache: both timed runs then find it
            w1 = coupled_wall_s(nodes, d1, out)
            w2 = coupled_wall_s(nodes, d2, out)
            per_day = (w2 - w1) / (d2 - d1)
            base = numpy_node_days_per_s(nodes)
            rate = nodes / per_day
            print(json.dumps({
                "benchmark": "coupled_run_node_days", "device": "cpu", "dtype": "float64", "nodes": nodes,
                "step_s": 60.0, "output_every_s": 600.0, "days": [d1, d2], "wall_s": [round(w1, 2), round(w2, 2)],
                "wall_s_per_day": round(per_day, 3), "node_days_per_s": round(rate, 1),
                "baseline": "numpy_rk4_j2_orbit_only_step_20s", "baseline_node_days_per_s": round(base, 1),
                "ratio_vs_baseline": round(rate / base, 3), "cpu_count": os.cpu_count(),
                "load_average_1min": round(os.getloadavg()[0], 2),
            }), flush=True)
        if args.month:
            w = coupled_wall_s(10240, 30.0, out, extra=["simulation.output_every_s=60"])
            print(json.dumps({"benchmark": "month_10240_nodes_default_settings", "nodes": 10240, "days": 30,
                              "wall_s": round(w, 1), "goal_s": 90.0, "node_days_per_s": round(10240 * 30 / w, 1),
                              "load_average_1min": round(os.getloadavg()[0], 2)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
