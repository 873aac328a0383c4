"""The chunk plan counts bytes against ``simulation.memory_budget_mib`` (orbital_sim/memory.py).

- The planner, called directly: chunks fit the budget (and one sample more would not), long runs
  of few nodes get many chunks, an explicit ``chunk_outputs`` wins, a budget too small for one
  sample names the smallest that works.
- The model against XLA's own count: the compiled chunk's per-step temporaries and its total
  (``compiled.memory_analysis()``) stay within the planner's estimate.
- Through the command line: a budget too small exits 2 and names the smallest budget, which
  then runs; a device that runs out of memory ends the run with one line (exit 1, no
  traceback) and the finished chunks resume to the file an uninterrupted run writes.
- Memory of a one-node run long enough that the old planner (samples only) put it in one chunk
  holding 0.5 GB of Sun-table temporaries: with the chunk size left to the planner, 40 days
  peak within 10 % of 10 days (slow).
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from orbital_sim.memory import (MIB, MIN_CHUNK_NODE_STEPS, MIN_CHUNKS, SAMPLE_COPIES, STEP_TABLE_BYTES,
                                ChunkMemory, MemoryBudgetError, plan_chunks)

from tests.app.conftest import ROOT, two_node_overrides  # noqa: E402
ONE_NODE_TOML = ROOT / "configs" / "sentinel1_check.toml"  # one node, 5 variables (9 values per sample)
DEFAULT_TOML = ROOT / "configs" / "default.toml"


def _one_node(steps_per_output=1, n_devices=1):
    """One node of the default class: 9 float64 values per sample, 1 kB of parameters, 312 B of state."""
    return ChunkMemory.estimate(n_nodes=1, sample_bytes_per_node=72, params_bytes_per_node=756,
                                state_bytes_per_node=312, steps_per_output=steps_per_output, n_devices=n_devices)


# -- the planner ---------------------------------------------------------------------------------

@pytest.mark.parametrize("budget_mib", [8, 64, 512])
def test_plan_fills_the_budget_and_no_more(budget_mib):
    """A year at 10 s, every step written, one node: the chunk fits the budget, one sample more
    would not (the memory bound decides here, not the granularity rule)."""
    memory = _one_node()
    total = 365 * 8640
    budget = budget_mib * MIB
    per_chunk = plan_chunks(total, memory, budget, None, n_nodes=1)
    n_chunks = math.ceil(total / per_chunk)
    assert memory.chunk_bytes(per_chunk) <= budget
    fit = (budget - memory.fixed_bytes) // memory.per_output_bytes  # the most that fit
    assert per_chunk <= fit < per_chunk * n_chunks / (n_chunks - 1)  # balancing shortens chunks only a little
    assert n_chunks > 1
    # the per-step tables count: 4 kB per step, 57 times the 72 B of samples of one node
    assert memory.per_output_bytes == SAMPLE_COPIES * 72 + STEP_TABLE_BYTES


def test_long_runs_of_few_nodes_get_many_chunks():
    """One node for a year: at 10 s, 3.15e6 samples of 72 B (227 MB of samples, which the old
    planner's 64 MiB of samples per chunk cut in 4 chunks of 0.79e6 steps, 1.1 GB of Sun-table
    temporaries each) get chunks of at most 512 MiB in all (26 chunks at 4 kB of tables per step); at 1 s with a
    sample every 600 s (3.15e7 steps, one chunk and a 45 GB allocation under the old plan), 2.4 MB
    of tables per sample give chunks of 216 samples (244 chunks)."""
    a = plan_chunks(365 * 8640, _one_node(), 512 * MIB, None, n_nodes=1)
    assert math.ceil(365 * 8640 / a) == 26 and a * (72 * SAMPLE_COPIES + STEP_TABLE_BYTES) < 512 * MIB
    b_memory = _one_node(steps_per_output=600)
    b = plan_chunks(365 * 144, b_memory, 512 * MIB, None, n_nodes=1)
    assert b == math.ceil(365 * 144 / 244) and b_memory.chunk_bytes(b) < 512 * MIB
    # the per-device copies: 2 devices, twice the tables, chunks half as long (budget-bound case)
    two = plan_chunks(365 * 8640, _one_node(n_devices=2), 512 * MIB, None, n_nodes=1)
    assert 0.45 < two / a < 0.55


def test_short_runs_stay_in_few_chunks_and_explicit_sizes_win():
    memory = _one_node()
    assert plan_chunks(100, memory, 512 * MIB, None, n_nodes=1) == 100  # 100 node-steps: one chunk
    # 1,024 nodes, a day at 10 s, a sample a minute: 8.8e6 node-steps, MIN_CHUNKS chunks
    fleet = ChunkMemory.estimate(n_nodes=1024, sample_bytes_per_node=14 * 8, params_bytes_per_node=756,
                                 state_bytes_per_node=312, steps_per_output=6)
    per_chunk = plan_chunks(1440, fleet, 512 * MIB, None, n_nodes=1024)
    assert per_chunk == 180 and per_chunk * 1024 * 6 >= MIN_CHUNK_NODE_STEPS
    assert plan_chunks(1440, fleet, 512 * MIB, 7, n_nodes=1024) == 7
    assert plan_chunks(1440, fleet, 1 * MIB, 7, n_nodes=1024) == 7  # an explicit size is not checked
    assert plan_chunks(5, fleet, 512 * MIB, 7, n_nodes=1024) == 5


def test_budget_too_small_names_the_smallest_that_works():
    memory = ChunkMemory.estimate(n_nodes=100_000, sample_bytes_per_node=112, params_bytes_per_node=756,
                                  state_bytes_per_node=312, steps_per_output=6)
    with pytest.raises(MemoryBudgetError) as info:
        plan_chunks(1440, memory, 64 * MIB, None, n_nodes=100_000)
    need = info.value.needed_bytes
    text = str(info.value)
    assert text.startswith("simulation.memory_budget_mib = 64: too small for one sample")
    assert f"the smallest budget that works is {need // MIB} (MiB)" in text
    assert need % MIB == 0 and need >= memory.chunk_bytes(1) > need - MIB
    assert plan_chunks(1440, memory, need, None, n_nodes=100_000) == 1
    with pytest.raises(MemoryBudgetError):
        plan_chunks(1440, memory, need - MIB, None, n_nodes=100_000)


# -- the model against XLA's memory analysis -----------------------------------------------------

@pytest.mark.slow
def test_estimate_covers_xla_memory_analysis():
    """One node of sentinel1_check, output every step, chunks of 500 and 2,000 steps: XLA's
    temporaries grow by at most STEP_TABLE_BYTES per step (measured 1,387 B when written), and
    the whole compiled chunk (arguments, outputs, temporaries) stays within the estimate."""
    import jax.numpy as jnp

    from orbital_sim.config import load_config
    from orbital_sim.kernels.model import make_chunk_fn
    from orbital_sim.model import build_model
    from orbital_sim.runner import _bytes_per_node, _sample_bytes_per_node, enable_float64

    enable_float64()
    config = load_config(ONE_NODE_TOML)
    sim = config.simulation
    model, state = build_model(config, dtype=jnp.float64, resolve_integrator=False)
    fleet, env = model.fleet(state), model.env
    memory = ChunkMemory.estimate(
        n_nodes=1, sample_bytes_per_node=_sample_bytes_per_node(config.output.variables, 5, 8),
        params_bytes_per_node=_bytes_per_node(fleet.params, 1), state_bytes_per_node=_bytes_per_node(fleet.state, 1),
        steps_per_output=1)
    analyses = {}
    for steps in (500, 2000):
        fn = make_chunk_fn(model.propagator, model.shadow_fn, 1, steps, tuple(config.output.variables),
                           albedo_model=model.albedo_model)
        compiled = fn.lower(fleet.params, fleet.state, env, jnp.asarray(0), jnp.asarray(10 ** 6),
                            jnp.asarray(sim.step_s)).compile()
        analyses[steps] = compiled.memory_analysis()
        a = analyses[steps]
        xla_bytes = a.argument_size_in_bytes + a.output_size_in_bytes + a.temp_size_in_bytes
        assert xla_bytes <= memory.chunk_bytes(steps), (steps, xla_bytes, memory.chunk_bytes(steps))
    per_step = (analyses[2000].temp_size_in_bytes - analyses[500].temp_size_in_bytes) / 1500
    assert 0 <= per_step <= STEP_TABLE_BYTES, per_step
    samples = (analyses[2000].output_size_in_bytes - analyses[500].output_size_in_bytes) / 1500
    assert samples == memory.sample_bytes == 72  # 9 float64 values per sample: the count is exact


# -- through the command line --------------------------------------------------------------------

TINY = two_node_overrides(1200, "simulation.propagator=j2_secular")


def _cli(args, capsys):
    from orbital_sim import cli

    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_budget_too_small_exits_2_and_names_the_budget_that_works(tmp_path, capsys):
    out = tmp_path / "small.h5"
    sets = [x for s in TINY for x in ("--set", s)]
    code, _, err = _cli(["run", "-q", "-o", str(out), *sets, "--set", "simulation.memory_budget_mib=1"], capsys)
    assert code == 2, err
    assert "Traceback" not in err and not out.exists()
    found = re.search(r"simulation\.memory_budget_mib = 1: too small .* the smallest budget that works is (\d+) "
                      r"\(MiB\)", err)
    assert found, err
    need = int(found.group(1))
    assert 1 < need <= 8
    code, stdout, err = _cli(["run", "-q", "-o", str(out), *sets, "--set", f"simulation.memory_budget_mib={need}"],
                             capsys)
    assert code == 0, err
    from orbital_sim.output import read_restart_info

    info = read_restart_info(out)
    assert info["chunks"] >= 1 and info["chunk_bytes_estimated"] <= need * MIB


def test_device_out_of_memory_is_one_line_and_resumable(tmp_path, capsys, monkeypatch):
    """The third chunk launch fails as XLA does when an allocation fails: exit 1, one line that
    says what to lower, no traceback; the file keeps the first chunk (completed = 0) and
    ``--resume`` finishes it with the samples an uninterrupted run writes."""
    import h5py
    import jax

    from orbital_sim import runner

    sets = [x for s in [*TINY, "simulation.chunk_outputs=5"] for x in ("--set", s)]
    calls = []
    real = runner._call_chunk

    def failing(fn, args):
        calls.append(1)
        if len(calls) == 3:
            raise jax.errors.JaxRuntimeError("RESOURCE_EXHAUSTED: Out of memory allocating 45159555336 bytes.")
        return real(fn, args)

    out = tmp_path / "oom.h5"
    monkeypatch.setattr(runner, "_call_chunk", failing)
    code, _, err = _cli(["run", "-q", "-o", str(out), *sets], capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("orbital-sim: the device ran out of memory after chunk 1/4 (RESOURCE_EXHAUSTED")
    assert "lower simulation.memory_budget_mib (now 512 MiB" in lines[0]
    assert f"{out} keeps 5 samples of finished chunks (completed = 0): continue with --resume" in lines[0]
    monkeypatch.setattr(runner, "_call_chunk", real)
    code, _, err = _cli(["run", "-q", "-o", str(out), "--resume", *sets], capsys)
    assert code == 0, err
    ref = tmp_path / "ref.h5"
    code, _, err = _cli(["run", "-q", "-o", str(ref), *sets], capsys)
    assert code == 0, err
    with h5py.File(out, "r") as a, h5py.File(ref, "r") as b:
        assert a.attrs["completed"][0] == 1 and a["time"].shape == (20,)
        for name in ("temperature", "battery_energy", "sunlit_fraction"):
            np.testing.assert_array_equal(a[name][...], b[name][...])


# -- memory of a long one-node run, chunk size left to the planner (slow) --------------------------

CHILD = textwrap.dedent("""
    import json, sys
    from orbital_sim.config import load_config
    from orbital_sim.runner import run

    chunks = []
    result = run(load_config(sys.argv[1], sys.argv[3:]), sys.argv[2], progress=False,
                 on_chunk=lambda done, total: chunks.append(total))
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
    print(json.dumps({"peak_bytes": peak, "chunks": chunks[-1], "steps": result.steps, "wall_s": result.wall_s}))
""")


def _child(tmp_path, days, budget_mib):
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env.pop("XLA_FLAGS", None)
    sets = [f"simulation.duration_s={days * 86400.0}", "simulation.propagator=j2_secular",
            f"simulation.memory_budget_mib={budget_mib}", "output.compression=0"]
    path = tmp_path / f"{days}d.h5"
    proc = subprocess.run([sys.executable, "-c", CHILD, str(ONE_NODE_TOML), str(path), *sets], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    path.unlink()
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # two one-node runs of 86,400 and 345,600 steps in child processes, about 1-2 min
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM of /proc/self/status (Linux)")
def test_one_node_memory_flat_with_duration_without_a_fixed_chunk(tmp_path):
    """One node sampled every 10 s step, budget 64 MiB, no chunk_outputs: 10 and 40 days peak
    within 10 % of each other. With the old samples-only plan, 40 days was one chunk of 345,600
    steps: 0.48 GB of Sun-table temporaries (1.4 kB per step) more than 10 days (0.12 GB)."""
    ten = _child(tmp_path, 10, 64)
    forty = _child(tmp_path, 40, 64)
    assert ten["steps"] == 86_400 and forty["steps"] == 345_600
    assert forty["chunks"] > ten["chunks"] > 1, (ten, forty)
    assert forty["peak_bytes"] <= 1.10 * ten["peak_bytes"], (ten, forty)
    leak = (forty["steps"] - ten["steps"]) * 3802  # what a one-chunk plan would add (3.8 kB per step, test above)
    assert leak > 0.5 * ten["peak_bytes"], (leak, ten)  # the test would see it
    print(f"one node, budget 64 MiB: 10 days {ten['peak_bytes'] / MIB:.0f} MiB peak ({ten['chunks']} chunks), "
          f"40 days {forty['peak_bytes'] / MIB:.0f} MiB ({forty['chunks']} chunks)")
