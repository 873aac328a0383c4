"""Compiled kernels cached on disk (orbital_sim/cache.py): where, on by default, off on request,
shared safely by concurrent runs, and a run that cannot use it goes on without it.

Each run here is a child process (JAX's cache directory is set once per process); it counts
JAX's own cache events (``/jax/compilation_cache/cache_hits`` and ``cache_misses``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest

from orbital_sim.cache import CACHE_ENV, cache_directory
from tests.app.conftest import two_node_overrides

TINY = two_node_overrides(1200, "simulation.propagator=j2_secular", 'output.variables=["temperature", "state_of_charge"]')

CHILD = textwrap.dedent("""
    import json, sys
    import jax
    from orbital_sim.cli import main

    events = {"hits": 0, "misses": 0}

    def listen(event, **kwargs):
        if event == "/jax/compilation_cache/cache_hits":
            events["hits"] += 1
        elif event == "/jax/compilation_cache/cache_misses":
            events["misses"] += 1

    jax.monitoring.register_event_listener(listen)
    code = main(sys.argv[1:])
    print(json.dumps({"code": code, **events}))
""")


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in (CACHE_ENV, "JAX_COMPILATION_CACHE_DIR", "XDG_CACHE_HOME", "XLA_FLAGS")}
    env.update(JAX_PLATFORMS="cpu", ORBITAL_SIM_CPU_DEVICES="1", **extra)
    return env


def _start(out: Path, env: dict, *options: str) -> subprocess.Popen:
    sets = [x for s in TINY for x in ("--set", s)]
    return subprocess.Popen([sys.executable, "-c", CHILD, "run", "-q", "-o", str(out), *sets, *options], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen) -> tuple[dict, str]:
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    return json.loads(stdout.strip().splitlines()[-1]), stderr


def test_cache_directory_follows_xdg_and_the_switch(tmp_path):
    home = Path.home()
    assert cache_directory({}) == home / ".cache" / "orbital_sim"
    assert cache_directory({"XDG_CACHE_HOME": ""}) == home / ".cache" / "orbital_sim"
    assert cache_directory({"XDG_CACHE_HOME": "relative/dir"}) == home / ".cache" / "orbital_sim"  # spec: ignored
    assert cache_directory({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "orbital_sim"
    assert cache_directory({"XDG_CACHE_HOME": str(tmp_path), CACHE_ENV: str(tmp_path / "x")}) == tmp_path / "x"
    for off in ("off", "0", "no", "false", "OFF"):
        assert cache_directory({"XDG_CACHE_HOME": str(tmp_path), CACHE_ENV: off}) is None


@pytest.mark.slow  # three child runs, two at once: 25 s on 2 quiet cores, 55 s on shared ones
def test_concurrent_runs_share_the_cache_and_the_next_run_loads_it(tmp_path):
    """Two runs start at once on an empty cache: both finish with the same results and the
    cache holds their executables; a third run compiles nothing (every lookup a hit)."""
    env = _env(XDG_CACHE_HOME=str(tmp_path / "xdg"))
    first = [_start(tmp_path / f"a{i}.h5", env) for i in range(2)]
    stats = [_finish(p)[0] for p in first]
    assert all(s["code"] == 0 and s["misses"] > 0 for s in stats), stats
    entries = list((tmp_path / "xdg" / "orbital_sim").glob("*-cache"))
    assert len(entries) >= 1, entries
    with h5py.File(tmp_path / "a0.h5", "r") as a, h5py.File(tmp_path / "a1.h5", "r") as b:
        np.testing.assert_array_equal(a["temperature"][...], b["temperature"][...])
    third, _ = _finish(_start(tmp_path / "b.h5", env))
    assert third["code"] == 0 and third["misses"] == 0 and third["hits"] >= 1, third
    with h5py.File(tmp_path / "a0.h5", "r") as a, h5py.File(tmp_path / "b.h5", "r") as b:
        np.testing.assert_array_equal(a["temperature"][...], b["temperature"][...])


@pytest.mark.slow
def test_unusable_cache_warns_once_and_off_switches_write_nothing(tmp_path):
    """XDG_CACHE_HOME names a file: one warning line, the run goes on uncached. --no-cache (which
    sets ORBITAL_SIM_COMPILATION_CACHE=off for the run): no cache directory is made, no warning."""
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the cache directory would go")
    bad = _start(tmp_path / "bad.h5", _env(XDG_CACHE_HOME=str(blocker)))
    off = _start(tmp_path / "off.h5", _env(XDG_CACHE_HOME=str(tmp_path / "xdg")), "--no-cache")
    (bad_stats, bad_err), (off_stats, off_err) = _finish(bad), _finish(off)
    warnings = [line for line in bad_err.splitlines() if "compilation cache" in line]
    assert len(warnings) == 1 and warnings[0].startswith(f"orbital-sim: warning: compilation cache {blocker}"), bad_err
    assert "running without it" in warnings[0] and "Traceback" not in bad_err
    assert bad_stats["code"] == 0 and bad_stats["hits"] == 0 and (tmp_path / "bad.h5").exists()
    assert off_stats["code"] == 0 and off_stats["hits"] == off_stats["misses"] == 0 and off_err == ""
    assert not (tmp_path / "xdg").exists()
