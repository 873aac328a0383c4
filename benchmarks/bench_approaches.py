"""Cost of screening close approaches (issue 19): the default scenario scaled to 10,240 nodes
(4 dawn-dusk planes of 640, a 53 deg Walker shell of 7,680) for one day at the default 10 s
step and 60 s output, run through ``orbital_sim.run`` without and with ``[approaches]``
(alternated, ``--repeats`` each); one JSON line per run and one with the medians and the ratio.

    python benchmarks/bench_approaches.py [--hours 24] [--threshold-m 10000] [--repeats 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--threshold-m", type=float, default=10_000.0)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args(argv)
    import jax

    import orbital_sim
    from orbital_sim import runner
    from orbital_sim.approaches import Screener

    overrides = ["constellation.0.nodes_per_plane=640", "constellation.1.total=7680",
                 f"simulation.duration_s={args.hours * 3600.0}"]
    feed_s = []
    orig_feed = Screener.feed

    def timed_feed(self, *a, **k):
        out = orig_feed(self, *a, **k)
        feed_s[-1] = self.wall_s
        return out

    Screener.feed = timed_feed
    walls = {"off": [], "on": []}
    events = None
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeats):
            for mode in ("off", "on"):
                extra = [f"approaches.threshold_m={args.threshold_m}"] if mode == "on" else []
                config = orbital_sim.load_config(None, overrides + extra)
                feed_s.append(0.0)
                t0 = time.perf_counter()
                runner.run(config, Path(tmp) / f"{mode}.h5", overwrite=True, progress=False)
                wall = time.perf_counter() - t0
                walls[mode].append(wall)
                if mode == "on":
                    from orbital_sim.approaches import read_events

                    events = len(read_events(Path(tmp) / "on.h5")["t_s"])
                print(json.dumps({"benchmark": "approaches_run", "mode": mode, "repeat": rep, "nodes": config.n_nodes,
                                  "hours": args.hours, "wall_s": round(wall, 2),
                                  "screen_feed_s": round(feed_s[-1], 2) if mode == "on" else None,
                                  "device": jax.devices()[0].device_kind, "dtype": "float64",
                                  "jax": jax.__version__}), flush=True)
    off, on = statistics.median(walls["off"]), statistics.median(walls["on"])
    feeds = [f for f in feed_s if f > 0]
    print(json.dumps({"benchmark": "approaches_cost", "nodes": 10240, "hours": args.hours,
                      "threshold_m": args.threshold_m, "wall_off_s": round(off, 2), "wall_on_s": round(on, 2),
                      "added_s": round(on - off, 2), "added_over_simulation": round((on - off) / off, 3),
                      "screen_feed_s": round(statistics.median(feeds), 2) if feeds else None,
                      "feed_over_simulation": round(statistics.median(feeds) / off, 3) if feeds else None,
                      "approaches": events, "device": jax.devices()[0].device_kind}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
