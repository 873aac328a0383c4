"""Work-precision of the coupled model (issue 17 item 5): errors against node-days per second
for a grid of steps and orbit integrators, against a fine reference run.

    python benchmarks/work_precision.py [--days 0.5] [--steps 15,30,60,120] [--figure PATH]

Four nodes (400 km LEO at 51.6 deg, a high-beta 650 km sun-synchronous orbit, GEO at the
equinox, an eccentric orbit with perigee 400 km) run the default node class through the whole
pipeline (``orbital_sim.run``, output every 600 s). The reference is RK8 at a 5 s step. Errors,
per setting, the worst over nodes and samples:

- position [m] (``position_eci`` at the samples),
- event time [s] (each contact against the reference's contact of the same node and kind),
- chip temperature [K] (``temperature`` of component ``chips`` at the samples),
- array energy [%] (``energy_generated`` over the run).

Cost: node-days per second of 64 nodes (each orbit 16 times, spread in mean anomaly) from the
difference of a run of ``timing_days`` and one of twice that, both in chunks of the same length
(the second loads the compiled chunk from the cache, so compilation cancels). Prints one JSON line per setting and writes the figure (4 panels).
The machine is shared: costs are noisy, ratios within one run mean most.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "app"))

import orbital_sim  # noqa: E402

R_KM = 6378.137
ELEMENTS = """
[[constellation]]
type = "elements"
name = "wp"
node_class = "compute"
a_km = [6778.137, 7028.137, 42164.17, 9683.05]
e = [0.0005, 0.001, 0.0002, 0.3]
i_deg = [51.6, 97.99, 0.05, 30.0]
raan_deg = [0.0, -62.0, 0.0, 28.6]
argp_deg = [0.0, 0.0, 0.0, 57.3]
mean_anomaly_deg = [0.0, 0.0, 0.0, 114.6]
"""


#: the timing runs: each orbit COPIES times, spread in mean anomaly (64 nodes: the per-step fixed
#: cost of a 4-node run would dominate its cost per node)
COPIES = 16
#: [samples] the chunk length of every run: runs of D and 2 D days then compile the same chunk (the
#: second loads it from the compilation cache) and their difference is the cost of D days
CHUNK_OUTPUTS = 48


def timing_elements() -> str:
    rows = [line.split("=", 1) for line in ELEMENTS.strip().splitlines()[4:]]
    table = {key.strip(): json.loads(value) for key, value in rows}
    n = len(table["a_km"])
    out = {k: [v for _ in range(COPIES) for v in vals] for k, vals in table.items()}
    out["mean_anomaly_deg"] = [(m + 360.0 * c / COPIES) % 360.0 for c in range(COPIES) for m in table["mean_anomaly_deg"][:n]]
    return "\n".join(ELEMENTS.strip().splitlines()[:4] + [f"{k} = {json.dumps(v)}" for k, v in out.items()]) + "\n"


def config_text(elements: str = ELEMENTS) -> str:
    base = (ROOT / "configs" / "default.toml").read_text()
    return base[:base.index("[[constellation]]")] + elements


def run(cfg: Path, out: Path, step: float, integrator: str, days: float):
    config = orbital_sim.load_config(str(cfg), overrides=[
        f"simulation.step_s={step}", f"simulation.integrator=\"{integrator}\"", "simulation.output_every_s=600",
        f"simulation.duration_s={86400.0 * days}", 'output.variables=["temperature", "position_eci"]',
        f"simulation.chunk_outputs={CHUNK_OUTPUTS}"])
    result = orbital_sim.run(config, out=str(out), overwrite=True, progress=False)
    with h5py.File(out, "r") as f:
        comps = [c.decode() if isinstance(c, bytes) else str(c) for c in f["component"][...]]
        data = {"position": f["position_eci"][...], "chip": f["temperature"][:, :, comps.index("chips")],
                "energy": f["energy_generated"][...],
                "events": {k: f["events"][k][...] for k in ("time", "node", "kind")}}
    return result.wall_s, data


def event_error(ev, ref) -> float:
    worst = 0.0
    for node in np.unique(ref["node"]):
        for kind in range(4):
            a = np.sort(ev["time"][(ev["node"] == node) & (ev["kind"] == kind)])
            b = np.sort(ref["time"][(ref["node"] == node) & (ref["kind"] == kind)])
            if a.size != b.size:
                return float("inf")
            if a.size:
                worst = max(worst, float(np.max(np.abs(a - b))))
    return worst


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--days", type=float, default=0.5, help="days of the error runs (4 nodes)")
    p.add_argument("--timing-days", type=float, default=1.0,
                   help="cost: the difference of a run of this many days and one of twice that (64 nodes)")
    p.add_argument("--steps", default="15,30,60,120")
    p.add_argument("--figure", default=str(ROOT / "docs" / "figures" / "work_precision.png"))
    args = p.parse_args(argv)
    steps = [float(x) for x in args.steps.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "wp.toml"
        cfg.write_text(config_text())
        timing_cfg = Path(tmp) / "wp_timing.toml"
        timing_cfg.write_text(config_text(timing_elements()))
        n_timing = 4 * COPIES
        out = Path(tmp) / "wp.h5"
        _, ref = run(cfg, out, 5.0, "rk8", args.days)
        for integrator in ("rk4", "rk8"):
            for step in steps:
                _, data = run(cfg, out, step, integrator, args.days)
                run(timing_cfg, out, step, integrator, CHUNK_OUTPUTS * 600.0 / 86400.0)  # compiles (or loads) the chunk
                w1, _ = run(timing_cfg, out, step, integrator, args.timing_days)
                w2, _ = run(timing_cfg, out, step, integrator, 2 * args.timing_days)
                if not w2 > w1:
                    raise SystemExit(f"the {2 * args.timing_days:g}-day run was not slower than the "
                                     f"{args.timing_days:g}-day one ({w2:.2f} s, {w1:.2f} s): lengthen --timing-days")
                per_day = (w2 - w1) / args.timing_days
                row = {
                    "benchmark": "work_precision", "integrator": integrator, "step_s": step, "nodes": 4,
                    "timing_nodes": n_timing, "timing_days": args.timing_days,
                    "node_days_per_s": round(n_timing / per_day, 2),
                    "node_steps_per_s": round(n_timing * 86400.0 / step / per_day),
                    "position_error_m": float(np.nanmax(np.linalg.norm(data["position"] - ref["position"], axis=-1))),
                    "event_error_s": event_error(data["events"], ref["events"]),
                    "chip_temperature_error_k": float(np.nanmax(np.abs(data["chip"] - ref["chip"]))),
                    "array_energy_error_percent": float(np.max(np.abs(data["energy"] / ref["energy"] - 1.0)) * 100),
                    "load_average_1min": round(os.getloadavg()[0], 1),
                }
                print(json.dumps(row), flush=True)
                rows.append(row)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [("position_error_m", "position error [m]"), ("event_error_s", "event time error [s]"),
            ("chip_temperature_error_k", "chip temperature error [K]"),
            ("array_energy_error_percent", "array energy error [%]")]
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.8))
    for ax, (key, label) in zip(axes, keys):
        for integrator, marker in (("rk4", "o"), ("rk8", "s")):
            pts = [(r["node_days_per_s"], max(r[key], 1e-9), r["step_s"]) for r in rows if r["integrator"] == integrator]
            ax.loglog([x for x, _, _ in pts], [y for _, y, _ in pts], marker=marker, label=integrator)
            for x, y, s in pts:
                ax.annotate(f"{s:g} s", (x, y), fontsize=7)
        ax.set_xlabel("node-days per second")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend()
    fig.suptitle(f"Coupled model: error against cost (errors: 4 nodes; cost: {4 * COPIES} nodes; 2 shared CPU cores)")
    fig.tight_layout()
    fig.savefig(args.figure, dpi=100)
    print(json.dumps({"figure": args.figure}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
