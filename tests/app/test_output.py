"""Tests of orbital_sim/output.py: NetCDF-4 layout written with h5py, readers, file safety."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import types
import zlib
from pathlib import Path

import h5py
import numpy as np
import pytest

from orbital_sim import output
from orbital_sim.output import (
    DEFAULT_VARIABLES,
    SUMMARY,
    TIME_SERIES,
    ResultWriter,
    describe,
    format_summary_table,
    open_results,
    read_summary,
)

OUTPUT_PY = Path(output.__file__).resolve()
NODES = ["gpu-000", "gpu-001", "relay-000"]
CLASSES = ["gpu", "gpu", "relay"]
COMPONENTS = ["chip", "radiator"]
EPOCH = "2026-01-01T00:00:00Z"
SIZES = {"node": 3, "component": 2, "xyz": 3}
N_CHUNKS, K = 3, 5
STEP_S = 60.0


def _series(chunk: int, variables, dtype=np.float64):
    rng = np.random.default_rng(chunk)
    out = {}
    for name in variables:
        shape = (K,) + tuple(SIZES[d] for d in TIME_SERIES[name][0][1:])
        out[name] = rng.random(shape).astype(dtype)
    return out


def _times(chunk: int):
    return STEP_S * (np.arange(K) + 1 + K * chunk)


def _summary():
    return {
        "eclipse_fraction": np.array([0.30, 0.35, 0.40]),
        "temperature_min": np.array([[250.0, 180.0], [251.0, 181.0], [200.0, 150.0]]),
        "temperature_max": np.array([[350.0, 280.0], [351.0, 281.0], [300.0, 250.0]]),
        "energy_generated": np.array([1.0e9, 2.0e9, 3.0e8]),
        "energy_shed": np.array([1.0e7, 0.0, 0.0]),
        "energy_consumed": np.array([9.0e8, 1.0e9, 2.0e8]),
        "state_of_charge_min": np.array([0.4, 0.5, 0.9]),
        "compute_delivered": np.array([1.0e4, 2.0e4, 0.0]),
        "compute_availability": np.array([0.9, 0.95, 1.0]),
        "status": np.array([0, 0, 2], dtype=np.int8),
    }


def _writer(path, variables=None, **kw):
    kw.setdefault("attrs", {"title": "test run", "config_toml": "[simulation]\nstep_s = 60\n",
                            "device": "cpu", "dtype": "float64"})
    return ResultWriter(path, node_names=NODES, node_class=CLASSES, component_names=COMPONENTS,
                        epoch_iso=EPOCH, variables=variables or list(TIME_SERIES),
                        expected_times=N_CHUNKS * K + 5, **kw)


@pytest.fixture(scope="module")
def result_file(tmp_path_factory):
    """A finished file (all variables, 3 chunks of 5 samples, summary) and the data written."""
    path = tmp_path_factory.mktemp("out") / "run.h5"
    written = []
    with _writer(path) as w:
        for c in range(N_CHUNKS):
            s = _series(c, TIME_SERIES)
            w.write_chunk(_times(c), s)
            written.append(s)
        w.write_summary(_summary())
        w.close(completed=True)
    data = {n: np.concatenate([s[n] for s in written]) for n in TIME_SERIES}
    return path, data


def test_xarray_reads_dims_coords_and_values(result_file):
    pytest.importorskip("xarray")
    pytest.importorskip("h5netcdf")
    path, data = result_file
    with open_results(path) as ds:
        assert dict(ds.sizes) == {"time": N_CHUNKS * K, "node": 3, "component": 2, "xyz": 3}
        assert ds["time"].dtype.kind == "M"
        expected = np.datetime64("2026-01-01T00:00:00", "ns") + (
            np.arange(1, N_CHUNKS * K + 1) * np.timedelta64(60, "s"))
        np.testing.assert_array_equal(ds["time"].values, expected)
        assert list(ds["node"].values) == NODES
        assert list(ds["component"].values) == COMPONENTS
        assert list(ds["xyz"].values) == ["x", "y", "z"]
        assert list(ds["node_class"].values) == CLASSES
        assert "node_class" in ds.coords
        for name in TIME_SERIES:
            assert ds[name].dims == TIME_SERIES[name][0]
            np.testing.assert_array_equal(ds[name].values, data[name])  # exact round trip
        for name, value in _summary().items():
            assert ds[name].dims == SUMMARY[name][0]
            np.testing.assert_array_equal(ds[name].values, value)
        for name, var in ds.data_vars.items():
            assert var.attrs.get("units"), name
            assert var.attrs.get("long_name"), name
        for name in ("node", "component", "xyz", "node_class"):
            assert ds[name].attrs.get("long_name"), name
        assert ds["time"].encoding["units"] == "seconds since 2026-01-01 00:00:00"
        assert ds["time"].encoding["calendar"] == "standard"
        assert list(ds["status"].attrs["flag_values"]) == [0, 1, 2]
        assert ds["status"].attrs["flag_meanings"] == "ok non_finite_state below_surface"
        assert ds.attrs["Conventions"] == "CF-1.10"
        assert ds.attrs["epoch"] == EPOCH
        assert ds.attrs["title"] == "test run"
        assert ds.attrs["config_toml"].startswith("[simulation]")
        for key in ("software_version", "device", "dtype"):
            assert key in ds.attrs
        assert ds.attrs["completed"] == 1
        assert ds.attrs["expected_time_samples"] == N_CHUNKS * K + 5


def test_layout_chunking_and_compression(result_file):
    path, _ = result_file
    with h5py.File(path, "r") as f:
        assert f["time"].maxshape == (None,)
        t = f["temperature"]
        assert t.chunks == (K, 3, 2)
        assert t.compression == "gzip" and t.compression_opts == 4 and t.shuffle
        for i, dim in enumerate(("time", "node", "component")):
            assert t.dims[i][0].name == f"/{dim}"
        for dim_id, name in enumerate(("time", "node", "component", "xyz")):
            assert f[name].attrs["CLASS"] == b"DIMENSION_SCALE"
            assert int(f[name].attrs["_Netcdf4Dimid"]) == dim_id
        assert f.attrs["completed"].dtype == np.int8


def test_completed_flag_and_flush_per_chunk(tmp_path):
    path = tmp_path / "partial.h5"
    w = _writer(path, DEFAULT_VARIABLES, compression=0)
    try:
        w.write_chunk(_times(0), _series(0, DEFAULT_VARIABLES))
        # The file is flushed: another handle sees the chunk, and completed is still 0.
        with h5py.File(path, "r") as f:
            assert int(f.attrs["completed"][0]) == 0
            assert f["time"].shape == (K,)
            assert "position_eci" not in f
            assert f["temperature"].compression is None
        assert w.samples_written == K
    finally:
        w.close(completed=False)
    with h5py.File(path, "r") as f:
        assert int(f.attrs["completed"][0]) == 0


def test_context_manager_exception_leaves_incomplete(tmp_path):
    path = tmp_path / "err.h5"
    with pytest.raises(RuntimeError):
        with _writer(path, DEFAULT_VARIABLES) as w:
            w.write_chunk(_times(0), _series(0, DEFAULT_VARIABLES))
            raise RuntimeError("boom")
    assert read_summary(path)["attrs"]["completed"] == 0


def test_unclosed_writer_leaves_readable_file(tmp_path):
    """Drop the h5py handle without close(): the finished chunks are there, completed = 0."""
    path = tmp_path / "dropped.h5"
    w = _writer(path, DEFAULT_VARIABLES)
    for c in range(2):
        w.write_chunk(_times(c), _series(c, DEFAULT_VARIABLES))
    w._file.close()  # what a crash leaves: no completed flag set
    w._file = None
    pytest.importorskip("h5netcdf")
    with open_results(path) as ds:
        assert ds.sizes["time"] == 2 * K
        assert ds.attrs["completed"] == 0
        np.testing.assert_array_equal(ds["temperature"].values[K:],
                                      _series(1, DEFAULT_VARIABLES)["temperature"])


def test_sigkill_after_second_chunk_leaves_readable_file(tmp_path):
    path = tmp_path / "killed.h5"
    script = textwrap.dedent(f"""
        import importlib.util, sys, time
        import numpy as np
        spec = importlib.util.spec_from_file_location("osim_output", {str(OUTPUT_PY)!r})
        out = importlib.util.module_from_spec(spec); spec.loader.exec_module(out)
        w = out.ResultWriter({str(path)!r}, node_names={NODES!r}, node_class={CLASSES!r},
                             component_names={COMPONENTS!r}, epoch_iso={EPOCH!r},
                             variables=["temperature", "state_of_charge"], attrs={{}},
                             expected_times=15)
        for c in range(2):
            t = 60.0 * (np.arange(5) + 1 + 5 * c)
            w.write_chunk(t, {{"temperature": np.full((5, 3, 2), 300.0 + c),
                               "state_of_charge": np.full((5, 3), 0.5)}})
        print("ready", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        # The writer is alive and holds the HDF5 lock: `orbital-sim info` still reads the file.
        assert "10 written of 15 expected" in describe(path)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    with h5py.File(path, "r") as f:
        assert int(f.attrs["completed"][0]) == 0
        np.testing.assert_array_equal(f["time"][...], 60.0 * np.arange(1, 11))
        assert np.all(f["temperature"][5:] == 301.0)
    text = describe(path)
    assert "10 written of 15 expected" in text
    assert "NO" in text


def test_float32_round_trip(tmp_path):
    path = tmp_path / "f32.h5"
    s = _series(0, ["temperature"], dtype=np.float32)
    with _writer(path, ["temperature"]) as w:
        w.write_chunk(_times(0), s)
    with h5py.File(path, "r") as f:
        assert f["temperature"].dtype == np.float32
        assert f["temperature"].attrs["_FillValue"].dtype == np.float32
        np.testing.assert_array_equal(f["temperature"][...], s["temperature"])


def test_overwrite_refused_and_allowed(tmp_path):
    path = tmp_path / "exists.h5"
    path.write_bytes(b"not hdf5")
    with pytest.raises(FileExistsError, match=str(path)):
        _writer(path)
    assert path.read_bytes() == b"not hdf5"  # untouched
    _writer(path, overwrite=True).close(completed=True)
    assert read_summary(path)["attrs"]["completed"] == 1


def test_missing_output_directory(tmp_path):
    path = tmp_path / "no" / "such" / "dir" / "run.h5"
    with pytest.raises(FileNotFoundError, match="output directory does not exist"):
        _writer(path)
    assert not path.parent.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_unwritable_output_directory(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="not writable"):
            _writer(d / "run.h5")
    finally:
        d.chmod(0o700)


def test_bad_inputs_rejected(tmp_path):
    with pytest.raises(ValueError, match="unknown output variables"):
        _writer(tmp_path / "a.h5", ["temperature", "nope"])
    with pytest.raises(ValueError, match="epoch_iso"):
        ResultWriter(tmp_path / "b.h5", node_names=NODES, node_class=CLASSES,
                     component_names=COMPONENTS, epoch_iso="yesterday", variables=None, attrs={})
    assert not (tmp_path / "b.h5").exists()
    with pytest.raises(TypeError, match="'bad'"):
        _writer(tmp_path / "c.h5", attrs={"bad": {"a": 1}})
    assert not (tmp_path / "c.h5").exists()
    with _writer(tmp_path / "d.h5", ["temperature"]) as w:
        with pytest.raises(ValueError, match="shape"):
            w.write_chunk(_times(0), {"temperature": np.zeros((K, 3))})
        with pytest.raises(ValueError, match="missing variables"):
            w.write_chunk(_times(0), {})
        w.write_chunk(_times(0), _series(0, ["temperature"]))
        with pytest.raises(ValueError, match="strictly increasing"):
            w.write_chunk(_times(0), _series(0, ["temperature"]))
        with pytest.raises(ValueError, match="unknown summary"):
            w.write_summary({"nope": np.zeros(3)})


def test_time_units_epoch_forms():
    assert output.cf_time_units("2026-01-01T00:00:00Z") == "seconds since 2026-01-01 00:00:00"
    assert output.cf_time_units("2026-03-01T02:30:00+02:00") == \
        "seconds since 2026-03-01 00:30:00"
    assert output.cf_time_units("2026-01-01T00:00:00.25") == \
        "seconds since 2026-01-01 00:00:00.250000"


def test_read_summary_and_table(result_file):
    path, _ = result_file
    s = read_summary(path)
    assert list(s["node"]) == NODES and list(s["component"]) == COMPONENTS
    for name, value in _summary().items():
        np.testing.assert_array_equal(s[name], value)
        assert isinstance(s[name], np.ndarray)
    assert s["attrs"]["completed"] == 1 and s["attrs"]["epoch"] == EPOCH
    table = format_summary_table(s, s["component"], s["node_class"])
    for text in ("gpu", "relay", "fleet", "%", "K", "degC", "MWh", "chip", "radiator"):
        assert text in table
    cells = {}
    for line in table.splitlines()[2:]:
        label, unit, *values = re.split(r"\s{2,}", line.strip())
        cells[label, unit] = values
    assert cells["nodes", "count"] == ["2", "1", "3"]
    assert cells["temperature max: chip", "K"] == ["351.0", "300.0", "351.0"]
    assert cells["temperature max: chip", "degC"][-1] == "77.9"
    assert cells["state of charge, min", "%"] == ["40.0", "90.0", "40.0"]
    assert cells["energy generated, total", "MWh"][-1] == "0.9167"
    assert cells["nodes with fault status", "count"] == ["0", "1", "1"]
    fleet_only = format_summary_table({"eclipse_fraction": np.array([0.5, np.nan])}, None)
    assert "fleet" in fleet_only and "50.0" in fleet_only


def test_describe(result_file):
    path, _ = result_file
    text = describe(path)
    for piece in (str(path), "completed: yes", EPOCH, "15 written of 20 expected",
                  "0.25 h", "3 in 2 class(es)", "chip, radiator", "temperature", "[K]",
                  "[m s-1]", "MWh"):
        assert piece in text, piece


@pytest.mark.skipif(shutil.which("ncdump") is None, reason="ncdump (netcdf-bin) not installed")
def test_ncdump_reads_header(result_file):
    path, _ = result_file
    res = subprocess.run(["ncdump", "-h", str(path)], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "time = UNLIMITED ; // (15 currently)" in out
    for line in ("node = 3 ;", "component = 2 ;", "xyz = 3 ;",
                 "double temperature(time, node, component) ;",
                 "double position_eci(time, node, xyz) ;", "string node(node) ;",
                 'time:units = "seconds since 2026-01-01 00:00:00"', ":completed = 1b ;"):
        assert line in out, line


def test_module_imports_neither_jax_nor_xarray():
    code = textwrap.dedent(f"""
        import importlib.util, sys
        spec = importlib.util.spec_from_file_location("osim_output", {str(OUTPUT_PY)!r})
        mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
        bad = [m for m in ("jax", "xarray", "h5netcdf") if m in sys.modules]
        assert not bad, bad
    """)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_open_results_without_xarray(monkeypatch, result_file):
    monkeypatch.setitem(sys.modules, "xarray", None)
    with pytest.raises(ImportError, match="pip install xarray h5netcdf"):
        open_results(result_file[0])


def test_restart_leaves_carry_units(tmp_path):
    """Every dataset of the restart group has units (from the state's field names) and a
    long_name, like every other variable of the file."""
    from orbital_sim.output import restart_units

    assert [restart_units(x) for x in ("r_eci_m", "v_eci_m_s", "battery_energy_j", "temperature_k",
                                        "acc.energy_generated_j", "acc.sunlit_s", "status",
                                        "acc.state_of_charge_min", "ground.visible_s")] == \
        ["m", "m s-1", "J", "K", "J", "s", "1", "1", "s"]
    path = tmp_path / "r.h5"
    leaves = {"r_eci_m": (("node", "xyz"), np.zeros((len(NODES), 3))),
              "acc.energy_generated_j": (("node",), np.ones(len(NODES))),
              "status": (("node",), np.zeros(len(NODES), np.int32))}
    with _writer(path) as w:
        w.write_chunk(_times(0), _series(0, TIME_SERIES), restart=(leaves, {"chunks_done": 1}))
        w.close(completed=False)
    with h5py.File(path, "r") as f:
        slots = [f["restart"][k] for k in ("slot0", "slot1")]
        for slot in slots:
            for name in leaves:
                assert slot[name].attrs["units"] in (b"m", "m", b"J", "J", b"1", "1"), name
                assert "restart state" in str(slot[name].attrs["long_name"])


def _inflate_unshuffle(data: bytes, dtype, shape):
    """A stored chunk decoded by hand: inflate, then HDF5's byte unshuffle."""
    raw = np.frombuffer(zlib.decompress(data), np.uint8)
    itemsize = np.dtype(dtype).itemsize
    return raw.reshape(itemsize, -1).T.copy().view(dtype).reshape(shape)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_deflated_chunks_equal_hdf5s_own(tmp_path, monkeypatch, dtype):
    """Whole chunks are shuffled and deflated in threads and stored with write_direct_chunk;
    the rows of chunks covered in part go through HDF5. Writes of 4, 3, 6, 1 and 4 samples
    over time chunks of 4 (whole, part, part-whole-part, part, part-whole), 7 nodes in
    chunks of 3 (the last chunk past the end): every value reads back exactly, every stored
    chunk decodes with a plain inflate + unshuffle, and the threaded chunks are byte for byte
    what HDF5 stores when it writes the same values itself."""
    monkeypatch.setattr(output, "_MAX_NODE_CHUNK", 3)
    nodes = [f"n{i}" for i in range(7)]
    w = ResultWriter(tmp_path / "d.h5", node_names=nodes, node_class=["c"] * 7, component_names=COMPONENTS,
                     epoch_iso=EPOCH, variables=["temperature", "state_of_charge"], attrs={}, compression=4)
    rng = np.random.default_rng(3)
    written = {"temperature": [], "state_of_charge": []}
    compressed = []

    def compress(data, level):
        compressed.append(level)
        return zlib.compress(data, level)

    monkeypatch.setattr(output, "zlib", types.SimpleNamespace(compress=compress))
    n = 0
    for k in (4, 3, 6, 1, 4):
        series = {"temperature": 250 + rng.random((k, 7, 2)).astype(dtype),
                  "state_of_charge": rng.random((k, 7)).astype(dtype)}
        for v, a in series.items():
            written[v].append(a)
        w.write_chunk(STEP_S * (np.arange(k) + 1 + n), series)
        n += k
    w.close(True)
    with h5py.File(tmp_path / "d.h5") as f:
        for v in written:
            ds = f[v]
            want = np.concatenate(written[v])
            assert ds.chunks[:2] == (4, 3) and ds.compression == "gzip" and ds.shuffle
            assert ds.dtype == dtype and np.array_equal(ds[...], want)
            for t0 in range(0, 16, 4):  # every chunk of the first 16 rows, through our decoder
                for j0 in range(0, 7, 3):
                    mask, data = ds.id.read_direct_chunk((t0, j0) + (0,) * (ds.ndim - 2))
                    assert mask == 0
                    got = _inflate_unshuffle(data, dtype, ds.chunks)
                    part = want[t0:t0 + 4, j0:j0 + 3]
                    assert np.array_equal(got[:, :part.shape[1]], part)
    # the same values written by HDF5 alone: rows 0-3 and 8-11 went through the threads
    # (6 chunks per variable), and their stored bytes are HDF5's, edge chunk included
    assert len(compressed) == 12
    with h5py.File(tmp_path / "d.h5") as f, h5py.File(tmp_path / "h.h5", "w") as g:
        for v in written:
            ds = f[v]
            h = g.create_dataset(v, data=np.concatenate(written[v]), chunks=ds.chunks, compression="gzip",
                                 compression_opts=4, shuffle=True, fillvalue=ds.fillvalue)
            for t0 in (0, 8):
                for j0 in range(0, 7, 3):
                    offset = (t0, j0) + (0,) * (ds.ndim - 2)
                    assert ds.id.read_direct_chunk(offset)[1] == h.id.read_direct_chunk(offset)[1], (v, offset)
