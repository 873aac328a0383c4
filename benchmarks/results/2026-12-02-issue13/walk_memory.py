"""Peak RSS of the eclipse walk on 13.8 million synthetic contacts (10,240 nodes, 30 days): the
old way (eclipse_summary then eclipse_passes, each walking all contacts at once) against the
blocked one-walk path. Each mode in its own process (VmHWM)."""
import sys, time, numpy as np
mode = sys.argv[1]
n_nodes, days = 10240, 30
per_node = 45 * days  # ~15 orbits a day x 3 contacts
rng = np.random.default_rng(1)
period = 5760.0
base = np.arange(per_node // 3)[:, None] * period + np.array([0.0, 8.0, 2100.0])[None, :]
t = (base.ravel()[None, :] + rng.uniform(0, period, n_nodes)[:, None]).ravel()
node = np.repeat(np.arange(n_nodes, dtype=np.int32), per_node)
kind = np.tile(np.array([0, 1, 3], np.int8), per_node // 3 * n_nodes)
perm = np.argsort(np.tile(np.arange(per_node), n_nodes) // 45, kind="stable")  # chunk by chunk, node within
ev = {"time": t[perm], "node": node[perm], "kind": kind[perm]}
del t, node, kind, perm, base
def rss():
    with open("/proc/self/status") as f:
        return {l.split(":")[0]: int(l.split()[1]) // 1024 for l in f if l.startswith(("VmHWM", "VmRSS"))}
before = rss()
from orbital_sim import events as E
t0 = time.perf_counter()
if mode == "old":
    s = E._walk(ev, n_nodes, days * 86400.0, None)[0]
    p = E._walk(ev, n_nodes, days * 86400.0, None)[1]
else:
    s, p = E.eclipse_summary_and_passes(ev, n_nodes, days * 86400.0, None)
print(mode, len(ev["time"]), "contacts", f"{time.perf_counter()-t0:.1f} s", "before", before, "after", rss(), "passes", len(p["node"]))
