import json, subprocess, sys, os
sys.path.insert(0, "/tmp/i13/year")
CHILD = open("/tmp/i13/year/year.py").read().split("CHILD = r'''")[1].split("'''")[0]
env = dict(os.environ, JAX_PLATFORMS="cpu"); env.pop("XLA_FLAGS", None)
sets = ["simulation.duration_s=5184000", "simulation.step_s=1", "simulation.output_every_s=600",
        "simulation.propagator=j2_secular", "simulation.memory_budget_mib=64"]
p = subprocess.run([sys.executable, "-c", CHILD, "/work/wt-i13/configs/sentinel1_check.toml", "/tmp/i13/year/b60_64.h5", *sets],
                   env=env, capture_output=True, text=True)
d = json.loads(p.stdout.strip().splitlines()[-1]) if p.returncode == 0 else {"error": p.stderr[-1000:]}
d.update(benchmark="one_node_60_days_b", budget_mib=64, load1=os.getloadavg()[0])
print(json.dumps(d), flush=True)
