"""Multi-process runs (orbital_sim.distributed, docs/distributed.md).

1. Two local CPU processes joined by ``jax.distributed`` (``orbital-sim run --process-id I
   --num-processes 2 --coordinator 127.0.0.1:PORT``) each write their part, process 0 stitches
   them; the stitched file equals a one-process run of the same scenario to rounding (1e-14
   relative; most variables byte for byte: a 6-node and a 3-node batch may round a
   transcendental function differently).
2. Stitching alone, without JAX: part files written with ``ResultWriter`` from random data are
   stitched and compared with the file that holds every node; the result opens in xarray
   (h5netcdf, real dimension names through the dimension scales on the virtual datasets) and in
   ncdump, still reads after the set of files is moved, and bad sets of parts are refused.
3. The node split and the command-line checks of the multi-process options.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from tests.app.filecheck import assert_identical, datasets

from orbital_sim import cli, distributed
from orbital_sim.output import ResultWriter, open_results
from orbital_sim.runner import RunError, node_slice

from tests.app.conftest import ROOT  # noqa: E402
DEFAULT_TOML = ROOT / "configs" / "default.toml"
# 6 nodes (2 dawn-dusk, 4 in the 53 deg shell), 2 hours at a 60 s step: 120 samples in 3 chunks
SMALL = ["constellation.0.nodes_per_plane=1", "constellation.0.planes=2", "constellation.0.ltan_h=[17.25, 18.25]",
         "constellation.1.total=4",
         "constellation.1.planes=2", "simulation.duration_s=7200", "simulation.step_s=60",
         "simulation.output_every_s=60", "simulation.chunk_outputs=40"]
N_NODES = 6


def _sets(overrides) -> list[str]:
    out = []
    for item in overrides:
        out += ["--set", item]
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(cache: Path) -> dict:
    env = dict(os.environ)
    env.pop("XLA_FLAGS", None)
    for name in cli.PROCESS_ENV.values():
        env.pop(name, None)
    env.update(JAX_PLATFORMS="cpu", JAX_COMPILATION_CACHE_DIR=str(cache),
               JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0")
    return env


# -- 1. two processes through jax.distributed ---------------------------------------------------

@pytest.fixture(scope="module")
def two_process_run(tmp_path_factory):
    """The two-process run and the one-process reference, launched together: three processes
    each start JAX and compile a chunk function (two shapes: 6 nodes, and 3 per part)."""
    root = tmp_path_factory.mktemp("distributed")
    env = _env(root / "jax-cache")
    out, ref = root / "out.h5", root / "ref.h5"
    coordinator = f"127.0.0.1:{_free_port()}"
    base = [sys.executable, "-m", "orbital_sim.cli", "run", str(DEFAULT_TOML), *_sets(SMALL)]
    procs = [subprocess.Popen(base + ["-o", str(out), "--num-processes", "2", "--process-id", str(i),
                                      "--coordinator", coordinator, "-q"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in (0, 1)]
    procs.append(subprocess.Popen(base + ["-o", str(ref), "-q"], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True))
    results = []
    try:
        for p in procs:
            stdout, stderr = p.communicate(timeout=180)
            results.append((p.returncode, stdout, stderr))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return {"out": out, "ref": ref, "results": results}


@pytest.mark.slow  # 15-50 s on 2 shared cores: three JAX processes start and compile at once
def test_two_processes_stitched_equal_one_process(two_process_run):
    run = two_process_run
    for rc, stdout, stderr in run["results"]:
        assert rc == 0, stderr
    assert "stitched" in run["results"][0][1]
    out = run["out"]
    parts = [distributed.part_path(out, i, 2) for i in (0, 1)]
    with h5py.File(parts[0], "r") as a, h5py.File(parts[1], "r") as b:
        assert a["node"].shape == (3,) and b["node"].shape == (3,)  # 6 nodes, 3 per process
        assert int(a.attrs["part_first_node"][0]) == 0 and int(b.attrs["part_first_node"][0]) == 3
        assert a.attrs["completed"][0] == 1 and b.attrs["completed"][0] == 1
    with h5py.File(out, "r") as f:
        assert f["temperature"].is_virtual and f["status"].is_virtual
        assert [s.decode() if isinstance(s, bytes) else s for s in f.attrs["parts"]] == \
            ["out.part0of2.h5", "out.part1of2.h5"]
        assert f.attrs["completed"][0] == 1 and "restart" not in f
    _assert_same_to_rounding(run["ref"], out)


def _assert_same_to_rounding(ref_path, path, rtol: float = 1e-14) -> None:
    """Coordinates, names, status codes identical; every float equal to ``rtol`` relative
    (NaN where the reference has NaN), and the differing values counted. Why not byte for
    byte: XLA compiles the vmapped step once for 6 nodes and once for 3, and the SIMD and
    scalar code of a transcendental function can round differently in the last bits
    (measured: 0 to 9 of the 720 beta_angle values, 9e-16 relative, depending on the kernels'
    version; every other variable byte-identical)."""
    a, b = datasets(ref_path), datasets(path)
    assert list(a) == list(b)
    report = []
    for name in a:
        x, y = a[name], b[name]
        assert x.dtype == y.dtype and x.shape == y.shape, name
        if x.dtype.kind != "f":
            assert x.tolist() == y.tolist(), name
            continue
        assert np.array_equal(np.isnan(x), np.isnan(y)), name
        ok = ~np.isnan(x)
        np.testing.assert_allclose(y[ok], x[ok], rtol=rtol, atol=0, err_msg=name)
        if not np.array_equal(x[ok], y[ok]):
            rel = np.abs(y[ok] - x[ok]) / np.where(x[ok] != 0, np.abs(x[ok]), 1.0)
            report.append(f"{name}: {int(np.sum(x[ok] != y[ok]))} of {x.size} values differ, "
                          f"at most {rel.max():.2g} relative")
    assert a["time"].tobytes() == b["time"].tobytes()
    print("two processes vs one: " + ("; ".join(report) if report else "identical, byte for byte"))


@pytest.mark.slow  # shares the run above
def test_stitched_run_opens_as_one_dataset(two_process_run):
    ds, ref = open_results(two_process_run["out"]), open_results(two_process_run["ref"])
    try:
        assert dict(ds.sizes) == dict(ref.sizes) and ds.sizes["node"] == N_NODES and ds.sizes["time"] == 120
        assert ds.temperature.dims == ("time", "node", "component")
        assert ds.energy_generated.dims == ("node",)
        assert list(ds.node.values) == list(ref.node.values)
        assert ds.attrs["title"] == ref.attrs["title"]  # the full node count, not a part's
        for name in ref.data_vars:  # to rounding (see _assert_same_to_rounding)
            np.testing.assert_allclose(ds[name].values, ref[name].values, rtol=1e-14, atol=0, err_msg=name)
    finally:
        ds.close()
        ref.close()


def test_a_refused_part_path_stops_every_process(tmp_path):
    """Process 1's part file exists already: both processes learn it at start-up (through
    jax.distributed) and stop with exit code 1 before simulating; nothing is written."""
    out = tmp_path / "out.h5"
    taken = distributed.part_path(out, 1, 2)
    taken.write_bytes(b"not mine")
    coordinator = f"127.0.0.1:{_free_port()}"
    base = [sys.executable, "-m", "orbital_sim.cli", "run", str(DEFAULT_TOML), *_sets(SMALL), "-o", str(out),
            "--num-processes", "2", "--coordinator", coordinator, "-q"]
    procs = [subprocess.Popen(base + ["--process-id", str(i)], env=_env(tmp_path / "jax-cache"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in (0, 1)]
    try:
        results = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert [p.returncode for p in procs] == [1, 1], results
    assert "process(es) [1] refused their output path" in results[0][1]
    assert "output file already exists" in results[1][1]
    assert sorted(x.name for x in tmp_path.iterdir() if x.suffix == ".h5") == [taken.name]
    assert taken.read_bytes() == b"not mine"


# -- 2. stitching alone (no JAX) --------------------------------------------------------------

COMPONENTS = ["chips", "radiator"]
VARIABLES = ["sunlit_fraction", "temperature", "position_eci"]
N_TIMES = 7


def _synthetic(rng, n_nodes):
    return {
        "sunlit_fraction": rng.uniform(0, 1, (N_TIMES, n_nodes)),
        "temperature": rng.uniform(200, 350, (N_TIMES, n_nodes, len(COMPONENTS))),
        "position_eci": rng.normal(0, 7e6, (N_TIMES, n_nodes, 3)),
        "summary": {"energy_generated": rng.uniform(0, 1e9, n_nodes),
                    "temperature_max": rng.uniform(300, 360, (n_nodes, len(COMPONENTS))),
                    "status": rng.integers(0, 3, n_nodes).astype(np.int8)},
    }


def _node_class(names):
    return ["odd" if int(n[1:]) % 2 else "even" for n in names]


def _write(path, names, data, attrs, completed=True, times=None):
    writer = ResultWriter(path, node_names=names, node_class=_node_class(names),
                          component_names=COMPONENTS, epoch_iso="2026-03-20T00:00:00Z", variables=VARIABLES,
                          attrs={"title": f"orbital_sim run: {len(names)} nodes, 420 s", "config_toml": "x = 1",
                                 **attrs}, compression=1, expected_times=N_TIMES)
    t = np.arange(1, N_TIMES + 1) * 60.0 if times is None else times
    writer.write_chunk(t[:4], {k: data[k][:4] for k in VARIABLES})
    writer.write_chunk(t[4:], {k: data[k][4:] for k in VARIABLES})
    writer.write_summary(data["summary"])
    writer.close(completed=completed)


@pytest.fixture
def parts(tmp_path, rng):
    """A whole file of 7 nodes and its three parts (3, 2, 2 nodes), all from the same data."""
    names = [f"n{i}" for i in range(7)]
    data = _synthetic(rng, 7)
    whole = tmp_path / "whole.h5"
    _write(whole, names, data, {})
    out = tmp_path / "run" / "out.h5"
    out.parent.mkdir()
    for i in range(3):
        lo, hi = node_slice(7, i, 3)
        sub = {k: v[:, lo:hi] for k, v in data.items() if k != "summary"}
        sub["summary"] = {k: v[lo:hi] for k, v in data["summary"].items()}
        _write(distributed.part_path(out, i, 3), names[lo:hi], sub,
               {"part_index": i, "part_count": 3, "part_first_node": lo, "part_nodes_total": 7})
    return {"whole": whole, "out": out, "parts": [distributed.part_path(out, i, 3) for i in range(3)]}


def test_stitch_equals_the_whole_file(parts):
    shuffled = [parts["parts"][i] for i in (2, 0, 1)]  # put back in node order by part_first_node
    distributed.stitch(parts["out"], shuffled)
    assert_identical(parts["whole"], parts["out"])
    with h5py.File(parts["out"], "r") as f:
        for name in [*VARIABLES, "energy_generated", "temperature_max", "status"]:
            assert f[name].is_virtual, name
        assert not f["time"].is_virtual and f["time"].is_scale and f["node"].is_scale
        # netCDF-4 bookkeeping on a virtual dataset: dimension scales and dimension ids
        assert [f["temperature"].dims[i][0].name for i in range(3)] == ["/time", "/node", "/component"]
        assert f["temperature"].attrs["_Netcdf4Coordinates"].tolist() == [0, 1, 2]
        assert f.attrs["completed"][0] == 1


def test_stitched_file_in_xarray_and_after_a_move(parts, tmp_path):
    distributed.stitch(parts["out"], parts["parts"])
    moved = tmp_path / "moved"
    shutil.move(parts["out"].parent, moved)  # the virtual datasets name their parts relative to the file
    ds, whole = open_results(moved / "out.h5"), open_results(parts["whole"])
    try:
        assert ds.temperature.dims == ("time", "node", "component")  # not phony_dim_*: scales attached
        assert ds.position_eci.dims == ("time", "node", "xyz") and ds.status.dims == ("node",)
        assert str(ds.time.values[0]) == "2026-03-20T00:01:00.000000000"
        for name in whole.data_vars:
            np.testing.assert_array_equal(ds[name].values, whole[name].values, err_msg=name)
            assert ds[name].attrs["units"] == whole[name].attrs["units"], name
    finally:
        ds.close()
        whole.close()


def test_stitched_file_in_ncdump(parts):
    ncdump = shutil.which("ncdump")
    if ncdump is None:
        if os.environ.get("CI"):
            pytest.fail("ncdump is not installed; .ci/run installs it (netcdf-bin)")
        pytest.skip("ncdump is not installed (apt-get install netcdf-bin)")
    distributed.stitch(parts["out"], parts["parts"])
    proc = subprocess.run([ncdump, "-v", "status", str(parts["out"])], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "double temperature(time, node, component)" in proc.stdout
    assert "node = 7 ;" in proc.stdout
    with h5py.File(parts["whole"], "r") as f:
        status = ", ".join(str(int(v)) for v in f["status"][...])
    assert f"status = {status} ;" in " ".join(proc.stdout.split())  # ncdump may wrap the line


def test_stitch_refuses_sets_that_do_not_fit(parts, rng, tmp_path):
    out = parts["out"]
    with pytest.raises(distributed.StitchError, match=r"missing part\(s\) \[1\]"):
        distributed.stitch(out, [parts["parts"][0], parts["parts"][2]])
    with pytest.raises(distributed.StitchError, match="named twice"):
        distributed.stitch(out, [parts["parts"][0], parts["parts"][0]])
    other = tmp_path / "other.h5"  # the same nodes as part 1, but other times
    _write(other, ["n3", "n4"], {k: v[:, :2] if k != "summary" else {n: a[:2] for n, a in v.items()}
                                 for k, v in _synthetic(rng, 2).items()},
           {}, times=np.arange(1, N_TIMES + 1) * 30.0)
    with pytest.raises(distributed.StitchError, match="time samples"):
        distributed.stitch(tmp_path / "x.h5", [parts["parts"][0], other])
    distributed.stitch(out, parts["parts"])
    with pytest.raises(FileExistsError):
        distributed.stitch(out, parts["parts"])
    distributed.stitch(out, parts["parts"], overwrite=True)
    assert not out.with_name(out.name + ".stitching").exists()


def test_stitch_command(parts, capsys):
    assert cli.main(["stitch", str(parts["out"])]) == 0  # the parts found beside OUT
    assert "3 parts stitched" in capsys.readouterr().out
    assert_identical(parts["whole"], parts["out"])
    assert cli.main(["stitch", str(parts["out"]), *map(str, parts["parts"])]) == 1  # exists
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["stitch", str(parts["out"].with_name("none.h5"))]) == 2  # no parts
    assert cli.main(["stitch", "--overwrite", str(parts["out"]), str(parts["parts"][0])]) == 1
    assert "missing part(s) [1, 2]" in capsys.readouterr().err


# -- 3. node split, command-line checks ---------------------------------------------------------

@pytest.mark.parametrize("n_nodes,count", [(6, 2), (7, 3), (1024, 7), (5, 5), (3, 1)])
def test_node_slice_covers_every_node_once(n_nodes, count):
    bounds = [node_slice(n_nodes, i, count) for i in range(count)]
    assert bounds[0][0] == 0 and bounds[-1][1] == n_nodes
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))  # contiguous, in order
    sizes = [hi - lo for lo, hi in bounds]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1


def test_node_slice_refuses_more_parts_than_nodes():
    with pytest.raises(RunError):
        node_slice(3, 0, 4)
    with pytest.raises(RunError):
        node_slice(3, 3, 3)


@pytest.mark.parametrize("options,message", [
    (["--num-processes", "2", "--process-id", "0"], "--coordinator"),
    (["--process-id", "1"], "needs --num-processes"),
    (["--num-processes", "two", "--process-id", "0", "--coordinator", "h:1"], "must be an integer in 1..6"),
    (["--num-processes", "7", "--process-id", "0", "--coordinator", "h:1"], "must be in 1..6"),
    (["--num-processes", "2", "--process-id", "2", "--coordinator", "h:1"], "must be in 0..1"),
    (["--num-processes", "2", "--process-id", "0", "--coordinator", "h:99999"], "HOST:PORT"),
])
def test_bad_process_options_exit_2(options, message, tmp_path, capsys, monkeypatch):
    for name in cli.PROCESS_ENV.values():
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "x.h5"
    code = cli.main(["run", str(DEFAULT_TOML), "-o", str(out), *_sets(SMALL), *options])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing written


def test_process_options_from_the_environment(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ORBITAL_SIM_NUM_PROCESSES", "2")
    monkeypatch.setenv("ORBITAL_SIM_PROCESS_ID", "5")
    monkeypatch.setenv("ORBITAL_SIM_COORDINATOR", "127.0.0.1:1234")
    code = cli.main(["run", str(DEFAULT_TOML), "-o", str(tmp_path / "x.h5"), *_sets(SMALL)])
    assert code == 2 and "ORBITAL_SIM_PROCESS_ID) = 5: must be in 0..1" in capsys.readouterr().err
