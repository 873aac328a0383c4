"""Item 4: one node for 365 days, (a) 10 s every step written, (b) 1 s, output every 600 s.
Each case at the default budget and at a smaller one, in child processes (VmHWM), then the
files compared variable by variable. JSON lines on stdout."""
import json, subprocess, sys, os, time
import h5py, numpy as np
CHILD = r'''
import json, sys, time
from orbital_sim.config import load_config
from orbital_sim.runner import run
chunks = []
t = time.perf_counter()
r = run(load_config(sys.argv[1], sys.argv[3:]), sys.argv[2], progress=False, overwrite=True,
        on_chunk=lambda d, n: chunks.append(n))
with open("/proc/self/status") as f:
    peak = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:"))
print(json.dumps({"peak_rss_bytes": peak, "chunks": chunks[-1], "steps": r.steps, "nodes": r.nodes,
                  "wall_s": round(r.wall_s, 1), "compile_first_chunk_s": round(r.compile_s, 2)}))
'''
TOML = "/work/wt-i13/configs/sentinel1_check.toml"
CASES = {"a": ["simulation.duration_s=31536000", "simulation.step_s=10", "simulation.output_every_s=10"],
         "b": ["simulation.duration_s=31536000", "simulation.step_s=1", "simulation.output_every_s=600",
               "simulation.propagator=j2_secular"]}
env = dict(os.environ, JAX_PLATFORMS="cpu"); env.pop("XLA_FLAGS", None)
which = sys.argv[1:] or ["a", "b"]
for case in which:
    files = {}
    for budget in (512, 64):
        out = f"/tmp/i13/year/{case}_{budget}.h5"
        sets = CASES[case] + [f"simulation.memory_budget_mib={budget}"]
        p = subprocess.run([sys.executable, "-c", CHILD, TOML, out, *sets], env=env, capture_output=True, text=True)
        if p.returncode:
            print(json.dumps({"case": case, "budget_mib": budget, "error": p.stderr[-2000:]}), flush=True); break
        d = json.loads(p.stdout.strip().splitlines()[-1])
        d.update(benchmark="one_node_year", case=case, budget_mib=budget, peak_rss_mib=round(d["peak_rss_bytes"] / 2**20, 1),
                 load1=os.getloadavg()[0])
        print(json.dumps(d), flush=True)
        files[budget] = out
    if len(files) == 2:
        with h5py.File(files[512]) as x, h5py.File(files[64]) as y:
            names = [n for n in x if isinstance(x[n], h5py.Dataset) and x[n].dtype.kind == "f" and n in y]
            diff = {n: float(np.nanmax(np.abs(x[n][...] - y[n][...]))) if x[n].size else 0.0 for n in names}
            same = all(np.array_equal(x[n][...], y[n][...], equal_nan=True) for n in names)
        print(json.dumps({"benchmark": "one_node_year", "case": case, "identical": same, "max_abs_diff": diff}), flush=True)
