"""`orbital-sim bench` (issue 4 item 1) and the default split of the CPU into devices (item 4).

Throughput is measured by benchmarks/, never asserted here: these tests check the command's
contract (one JSON line per node count with the SPEC fields, errors with exit code 2) on a
tiny workload."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from orbital_sim.cli import CPU_DEVICES_ENV, configure_cpu_devices, main

FIELDS = {"benchmark", "nodes", "steps", "node_steps_per_s", "compile_s", "device", "dtype", "times_s"}


def test_bench_json_lines_have_the_spec_fields(capsys):
    assert main(["bench", "--json", "--nodes", "4", "--steps", "12", "--repeats", "2"]) == 0
    assert main(["bench", "--json", "--nodes", "3,5", "--steps", "12", "--repeats", "2",
                 "--benchmark", "orbit_only"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(r["benchmark"], r["nodes"]) for r in lines] == [("full_step", 4), ("orbit_only", 3), ("orbit_only", 5)]
    for r in lines:
        assert FIELDS <= set(r), FIELDS - set(r)
        assert r["dtype"] == "float64" and r["device"].startswith("cpu:") and len(r["times_s"]) == 2
        assert r["steps"] == 12 and r["node_steps_per_s"] > 0 and r["compile_s"] > 0
        # median of the repeats, compile excluded
        med = sorted(r["times_s"])[0] / 2 + sorted(r["times_s"])[1] / 2
        assert r["node_steps_per_s"] == pytest.approx(r["nodes"] * r["steps"] / med, rel=1e-12)
        # the NumPy orbit-only baseline of the same nodes and steps, measured in the same run
        assert r["baseline"] == "numpy_rk4_j2_orbit_only" and r["baseline_node_steps_per_s"] > 0
        assert r["ratio_vs_baseline"] == pytest.approx(r["node_steps_per_s"] / r["baseline_node_steps_per_s"])
        # node-days per second at the stated step, and the time of one node-step
        assert r["node_days_per_s"] == pytest.approx(r["node_steps_per_s"] * r["step_s"] / 86400.0, rel=1e-12)
        assert r["ns_per_node_step"] == pytest.approx(1e9 / r["node_steps_per_s"], rel=1e-12)
        assert r["integrator"] == "rk8"
    # the full step's fixed cost: one node on one device, microseconds per step
    full = lines[0]
    assert 0 < full["one_node_us_per_step"] < 1e5 and "one_node_us_per_step" not in lines[1]


@pytest.mark.parametrize("argv, message", [
    (["--nodes", "0"], "--nodes"), (["--nodes", "ten"], "--nodes"), (["--nodes", ","], "--nodes"),
    (["--benchmark", "warp"], "--benchmark"), (["--steps", "-3"], "--steps"), (["--repeats", "x"], "--repeats"),
])
def test_bench_bad_arguments_exit_2(argv, message, capsys):
    assert main(["bench", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_cpu_split_into_one_device_per_core_by_default():
    env = {}
    n = configure_cpu_devices(environ=env, jax_started=False)
    cores = len(os.sched_getaffinity(0))
    if cores > 1:
        assert n == cores and env["XLA_FLAGS"] == f"--xla_force_host_platform_device_count={cores}"
    else:
        assert n is None and "XLA_FLAGS" not in env
    # an explicit count in XLA_FLAGS wins; the environment variable chooses; a started JAX is left alone
    env = {"XLA_FLAGS": "--xla_force_host_platform_device_count=3"}
    assert configure_cpu_devices(environ=env, jax_started=False) is None
    assert env["XLA_FLAGS"] == "--xla_force_host_platform_device_count=3"
    env = {CPU_DEVICES_ENV: "4", "XLA_FLAGS": "--xla_cpu_enable_fast_math=false"}
    assert configure_cpu_devices(environ=env, jax_started=False) == 4
    assert env["XLA_FLAGS"] == "--xla_cpu_enable_fast_math=false --xla_force_host_platform_device_count=4"
    env = {CPU_DEVICES_ENV: "1"}
    assert configure_cpu_devices(environ=env, jax_started=False) is None and "XLA_FLAGS" not in env
    assert configure_cpu_devices(environ={}, jax_started=True) is None


def test_bench_cli_shards_over_two_cpu_devices():
    """The command line splits the CPU into devices before JAX starts and the benchmark shards
    the nodes over them (the figure itself is in benchmarks/README.md)."""
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", CPU_DEVICES_ENV)}
    env.update(JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, "-m", "orbital_sim.cli", "bench", "--json", "--nodes", "5", "--steps", "6",
                           "--repeats", "1", "--cpu-devices", "2", "--benchmark", "orbit_only", "--no-baseline"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout.splitlines()[-1])
    assert r["devices"] == 2 and r["device"].endswith(" x2") and r["nodes"] == 5


def test_closed_pipe_gives_no_traceback():
    """`orbital-sim validate | true`: the reader is gone before the first line is written; no
    BrokenPipeError traceback on stderr (the earlier code printed one)."""
    proc = subprocess.run(f"{sys.executable} -m orbital_sim.cli validate | true", shell=True,
                          capture_output=True, text=True, timeout=60)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr


@pytest.mark.slow  # about 90 s: the GPU script's every section, with the CPU standing in for the GPU
def test_gpu_check_script_runs_every_section_on_the_cpu(tmp_path):
    """benchmarks/gpu_check.py runs only where a GPU is lent, rarely: its dry run on the CPU keeps
    it from rotting (GPU-vs-CPU check, sizes, unrolled run, kernels per step, stages, the Pallas chunk)."""
    script = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "gpu_check.py")
    log = tmp_path / "gpu.jsonl"
    proc = subprocess.run([sys.executable, script, "--cpu-dry-run", "--sizes", "8,10000", "--dtypes", "float32",
                           "--steps", "12", "--stage-nodes", "8", "--unroll", "3", "--baseline-max", "8",
                           "--pallas-sizes", "8", "--pallas-block", "4",
                           "--log", str(log)], capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert not [r for r in lines if "error" in r], [r for r in lines if "error" in r]
    checks = [r for r in lines if r.get("check") == "gpu_vs_cpu"]
    assert [r["dtype"] for r in checks] == ["float64", "float32"] and all(r["ok"] for r in checks)
    runs = [(r["benchmark"], r["nodes"], r.get("unroll", 1)) for r in lines if "benchmark" in r]
    assert runs == [("full_step", 8, 1), ("full_step", 10000, 1), ("full_step", 10000, 3), ("orbit_only", 8, 1),
                    ("shadow", 8, 1), ("irradiance", 8, 1), ("power", 8, 1), ("thermal", 8, 1)]
    full = [r for r in lines if r.get("benchmark") == "full_step"]
    assert "baseline_node_steps_per_s" in full[0] and "baseline_note" in full[1]
    kernels = [r for r in lines if r.get("check") == "kernels_per_step"]
    assert len(kernels) == 1 and all(v["fusions"] > 0 for v in kernels[0]["loop_bodies"].values())
    pallas = [r for r in lines if r.get("check") == "pallas"]  # interpret mode on the CPU
    assert [(r["dtype"], r["nodes"]) for r in pallas] == [("float32", 64), ("float32", 8), ("float64", 64),
                                                          ("float64", 8)]
    assert pallas[2]["max_position_m"] <= 1e-6 and pallas[2]["max_temperature_k"] <= 1e-9
