"""Streaming keeps memory bounded: a 10-day run peaks at the same RSS as a 1-day run (within
10 %), because the runner holds at most two chunks of samples (the one being written and the
one being computed) whatever the simulated duration.

Each run is a child process that reports its own peak, ``VmHWM`` of ``/proc/self/status``
(``resource.getrusage(RUSAGE_CHILDREN)`` would mix the children, and the child's own
``ru_maxrss`` is no better: Linux carries the parent's peak across the child's exec, so from a
pytest worker of several GB every child "peaked" at the worker's size). A first one-chunk run fills a persistent JAX
compilation cache, so that both measured runs load the same executable: compiling takes more
memory than running (the chunk function does not depend on the duration).

Sensitivity: 64 nodes sampled every 60 s step, 14 float64 values per node-sample (9 scalar
series and 5 component temperatures); the 10-day run produces 12 960 x 64 x 14 x 8 B = 93 MB
more samples than the 1-day run, more than 10 % of either peak, so a runner that kept every
sample (or every chunk's buffers) would fail. The child checks that the measurement sees a
leak of that size: after its run it loads every sample of its file and its RSS must rise by
at least half the samples' bytes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from orbital_sim.config.schema import DEFAULT_OUTPUT_VARIABLES
from tests.app.conftest import ROOT, two_node_overrides
DEFAULT_TOML = ROOT / "configs" / "default.toml"
DAY_S = 86400.0
N_NODES = 64
# the default variables: every scalar series and the temperature of each of the 5 components
VALUES_PER_NODE_SAMPLE = len(DEFAULT_OUTPUT_VARIABLES) - 1 + 5
# 64 nodes (32 dawn-dusk, 32 in the 53 deg shell), 60 s step and output, 6 hours per chunk
SCENARIO = ["constellation.0.nodes_per_plane=8", "constellation.1.total=32", "constellation.1.planes=4",
            "simulation.step_s=60", "simulation.output_every_s=60", "simulation.chunk_outputs=360",
            "output.compression=0"]

CHILD = textwrap.dedent("""
    import json, os, sys
    import h5py
    import jax
    from orbital_sim.config import load_config
    from orbital_sim.output import TIME_SERIES
    from orbital_sim.runner import run

    page = os.sysconf("SC_PAGE_SIZE")

    def rss_bytes():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * page

    def peak_rss_bytes():  # this process's own high-water mark (ru_maxrss carries the parent's)
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))

    misses = []  # executables compiled here rather than loaded from the persistent cache
    jax.monitoring.register_event_listener(
        lambda event, **kw: misses.append(event) if event == "/jax/compilation_cache/cache_misses" else None)
    after = []
    result = run(load_config(sys.argv[1], sys.argv[3:]), sys.argv[2], progress=False,
                 on_chunk=lambda done, total: after.append(rss_bytes()))
    peak = peak_rss_bytes()
    before_load = rss_bytes()
    with h5py.File(sys.argv[2], "r") as f:  # the control: hold every sample, as a leak would
        held = [f[name][...] for name in TIME_SERIES if name in f]
    print(json.dumps({"peak_bytes": peak, "rss_after_chunk": after, "wall_s": result.wall_s,
                      "steps": result.steps, "nodes": result.nodes,
                      "sample_bytes": sum(a.nbytes for a in held),
                      "rss_rise_holding_samples": rss_bytes() - before_load, "cache_misses": len(misses)}))
""")


def _env(cache: Path) -> dict:
    env = dict(os.environ)
    env.pop("XLA_FLAGS", None)
    env.update(JAX_PLATFORMS="cpu", JAX_COMPILATION_CACHE_DIR=str(cache),
               JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0")
    return env


def _run_child(tmp_path: Path, label: str, duration_s: float) -> dict:
    sets = [*SCENARIO, f"simulation.duration_s={duration_s}"]
    path = tmp_path / f"{label}.h5"
    proc = subprocess.run([sys.executable, "-c", CHILD, str(DEFAULT_TOML), str(path), *sets],
                          env=_env(tmp_path / "jax-cache"), capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    path.unlink()
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _measured_run(tmp_path: Path, label: str, duration_s: float) -> dict:
    """A run that loads every executable from the cache; run again once if it had to compile
    (the kernels' source changed since the warm-up, or the cache was not written in time)."""
    stats = _run_child(tmp_path, label, duration_s)
    if stats["cache_misses"]:
        stats = _run_child(tmp_path, label, duration_s)
    assert stats["cache_misses"] == 0, stats
    return stats


@pytest.mark.slow  # three child runs (one compiling), about 25-40 s on 2 shared cores
@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads /proc/self/statm (Linux)")
def test_peak_rss_10_days_equals_1_day(tmp_path):
    _run_child(tmp_path, "warm-up", 6 * 3600.0)  # one chunk: compiles into the cache
    day = _measured_run(tmp_path, "1d", DAY_S)
    ten = _measured_run(tmp_path, "10d", 10 * DAY_S)
    assert day["nodes"] == ten["nodes"] == N_NODES
    assert len(day["rss_after_chunk"]) == 4 and len(ten["rss_after_chunk"]) == 40  # many chunks each
    extra_bytes = (ten["steps"] - day["steps"]) * N_NODES * VALUES_PER_NODE_SAMPLE * 8
    assert ten["sample_bytes"] - day["sample_bytes"] == extra_bytes  # the arithmetic above
    assert extra_bytes > 0.10 * ten["peak_bytes"], (extra_bytes, ten)  # a leak would break the 10 %
    assert ten["rss_rise_holding_samples"] > 0.5 * ten["sample_bytes"], ten  # and RSS shows it
    stats = {k: {n: v for n, v in d.items() if n != "rss_after_chunk"} for k, d in (("1d", day), ("10d", ten))}
    assert abs(ten["peak_bytes"] - day["peak_bytes"]) <= 0.10 * day["peak_bytes"], stats
    assert abs(ten["rss_after_chunk"][-1] - day["rss_after_chunk"][-1]) <= 0.10 * day["rss_after_chunk"][-1], stats
    # within the 10-day run: no drift from its fourth chunk (one day) to its last
    assert ten["rss_after_chunk"][-1] <= 1.10 * ten["rss_after_chunk"][3], stats
    print(f"peak RSS: 1 day {day['peak_bytes'] / 2**20:.0f} MiB ({day['wall_s']:.1f} s), 10 days "
          f"{ten['peak_bytes'] / 2**20:.0f} MiB ({ten['wall_s']:.1f} s); samples of 10 days "
          f"{ten['sample_bytes'] / 2**20:.0f} MiB")


# 2 nodes, 20 minutes at 60 s, 5 samples per chunk: 4 chunks (a fast check of the loop itself)
TINY = two_node_overrides(1200, "simulation.chunk_outputs=5", "simulation.propagator=j2_secular")


def test_at_most_two_chunks_of_samples_alive(tmp_path):
    """After chunk k is written (the callback), the device holds the samples of chunk k+1 only:
    chunk k's arrays are released before chunk k+2 is queued, so at most two chunks of samples
    (one being written, one being computed) ever exist. Sample arrays are told apart by their
    leading axis: 5 samples per chunk (state and parameter arrays lead with the 2 nodes)."""
    import jax

    from orbital_sim.config import load_config
    from orbital_sim.runner import run

    config = load_config(DEFAULT_TOML, TINY)
    # each chunk's samples: the output variables plus the shadow contacts located inside its steps
    # (event_t_s and event_kind, kernels/model.py make_chunk_fn with event_slots > 0) and the four
    # running energy totals sampled for the orbit means (orbital_sim/orbit_means.py KERNEL_VARIABLES)
    from orbital_sim.orbit_means import KERNEL_VARIABLES

    n_vars = len(config.output.variables) + 2 + len(KERNEL_VARIABLES)

    def sample_sets():
        arrays = [a for a in jax.live_arrays() if a.ndim >= 2 and a.shape[:2] == (5, 2)]
        return len(arrays) / n_vars

    seen = []
    result = run(config, tmp_path / "tiny.h5", progress=False,
                 on_chunk=lambda done, total: seen.append((done, total, sample_sets())))
    assert result.nodes == 2 and [s[:2] for s in seen] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    # chunks 1-3: the next chunk's samples are in flight, the written chunk's are gone; none after the last
    assert [s[2] for s in seen] == [1.0, 1.0, 1.0, 0.0], seen
