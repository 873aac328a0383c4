"""The result file in real NetCDF-4 / HDF5 clients (ncdump, h5ls, xarray) and the command
line around it: `run` shows a progress bar and ends with the fleet summary table that `info`
prints too.

ncdump (Debian netcdf-bin) and h5ls (Debian hdf5-tools) are installed by .ci/run. A missing
tool skips its test on a developer machine, but fails it in CI (environment variable CI set).
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from orbital_sim import cli
from orbital_sim.output import SUMMARY, SURFACE_SERIES, TIME_SERIES, open_results
from tests.app.conftest import small_overrides

DEFAULT = Path(__file__).parents[2] / "configs" / "default.toml"
SMALL = small_overrides(1200, 1, 6, 6, "output.variables=['sunlit_fraction', 'temperature', 'position_eci']")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed; .ci/run installs it (netcdf-bin, hdf5-tools)")
        pytest.skip(f"{name} is not installed (apt-get install netcdf-bin hdf5-tools)")
    return path


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """`orbital-sim run` in a subprocess, as a user runs it: (path, stdout, stderr)."""
    path = tmp_path_factory.mktemp("nc") / "small.h5"
    args = [sys.executable, "-m", "orbital_sim.cli", "run", str(DEFAULT), "-o", str(path)]
    for override in SMALL:
        args += ["--set", override]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return path, proc.stdout, proc.stderr


def test_xarray_decodes_time_and_every_variable_has_units(cli_run):
    path, _, _ = cli_run
    ds = open_results(path)
    try:
        assert np.issubdtype(ds.time.dtype, np.datetime64)
        assert str(ds.time.values[0]) == "2026-03-20T00:01:00.000000000"  # first sample: one output interval in
        assert ds.time.size == 20 and ds.sizes["node"] == 10 and ds.sizes["xyz"] == 3
        for name, var in ds.data_vars.items():
            assert var.attrs.get("units"), f"{name} has no units"
            assert var.attrs.get("long_name"), f"{name} has no long_name"
        assert ds.temperature.attrs["units"] == "K" and ds.position_eci.attrs["units"] == "m"
        assert ds.attrs["Conventions"].startswith("CF-") and ds.attrs["completed"] == 1
    finally:
        ds.close()


def _ncdump_variables(header: str) -> dict[str, dict]:
    """Root-group variables of `ncdump -h` output: name -> {"type", "dims", "attrs"}."""
    variables: dict[str, dict] = {}
    section = None
    for line in header.splitlines():
        if line.startswith("group:"):
            break  # sub-groups (e.g. a restart state) are not result variables
        if re.match(r"^\S", line):
            section = line.split(":")[0]
            continue
        if section != "variables":
            continue
        m = re.match(r"^\t(\w+) (\w+)\((.*)\) ;$", line) or re.match(r"^\t(\w+) (\w+) ;$", line)
        if m:
            variables[m.group(2)] = {"type": m.group(1), "dims": m.group(3) if m.lastindex == 3 else "",
                                     "attrs": {}}
            continue
        a = re.match(r"^\t\t(?:string )?(\w+):(\w+) = (.*) ;$", line)
        if a and a.group(1) in variables:
            variables[a.group(1)]["attrs"][a.group(2)] = a.group(3).strip('"')
    return variables


def test_ncdump_lists_every_variable_with_units(cli_run):
    path, _, _ = cli_run
    proc = subprocess.run([_tool("ncdump"), "-h", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    header = proc.stdout
    assert re.search(r"time = UNLIMITED ; // \(20 currently\)", header)
    assert "node = 10 ;" in header and "component = 5 ;" in header and "xyz = 3 ;" in header
    variables = _ncdump_variables(header)
    expected = {"sunlit_fraction", "temperature", "position_eci", *SUMMARY} - {"energy_heater"}  # no heater here
    assert expected <= set(variables)
    for name, var in variables.items():
        if var["type"] == "string":  # labels (node, component, xyz, node_class): CF wants no units
            assert var["attrs"].get("long_name"), name
            continue
        assert var["attrs"].get("units"), f"ncdump shows no units for {name}"
    assert variables["time"]["attrs"]["units"] == "seconds since 2026-03-20 00:00:00"
    assert variables["temperature"]["dims"] == "time, node, component"
    for name in ("sunlit_fraction", "temperature", "position_eci"):
        assert variables[name]["attrs"]["units"] == TIME_SERIES[name][1]
    assert ':Conventions = "CF-' in header


def _h5ls_blocks(text: str) -> dict[str, str]:
    blocks: dict[str, str] = {}
    name = None
    for line in text.splitlines():
        m = re.match(r"^/(\S+)\s+Dataset ", line)
        if m:
            name = m.group(1)
            blocks[name] = ""
        elif re.match(r"^/\S", line):
            name = None
        elif name:
            blocks[name] += line + "\n"
    return blocks


def test_h5ls_shows_chunked_compressed_datasets(cli_run):
    path, _, _ = cli_run
    proc = subprocess.run([_tool("h5ls"), "-r", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    # time is unlimited (extendible): "Dataset {20/Inf, 10}"
    assert re.search(r"^/temperature\s+Dataset \{20/Inf, 10(/10)?, 5(/5)?\}", proc.stdout, re.M)
    verbose = subprocess.run([_tool("h5ls"), "-rv", str(path)], capture_output=True, text=True, timeout=60)
    blocks = _h5ls_blocks(verbose.stdout)
    for name in ("sunlit_fraction", "temperature", "position_eci"):
        assert re.search(r"Chunks:\s+\{", blocks[name]), f"{name} is not chunked"
        assert re.search(r"Filter-\d+:\s+deflate-\d+ OPT \{4\}", blocks[name]), f"{name} is not gzip-compressed"


def test_run_shows_progress_and_ends_with_the_info_summary(cli_run, capsys):
    path, stdout, stderr = cli_run
    # progress bar (not a terminal: one line per chunk), with node-steps/s and time left
    assert re.search(r"\[#+\] 100\.0%\s+\S+ node-steps/s\s+elapsed\s+\S+ s\s+left\s+\S+ s", stderr)
    last = stdout.strip().splitlines()[-1]
    assert re.match(rf"wrote {re.escape(str(path))}: 10 nodes x 20 steps in \S+ s wall .*node-steps/s$", last)
    # the summary table of `run` is the one `info` prints
    table = stdout[stdout.index("quantity"):stdout.index("\nwrote ")].strip()
    assert "eclipse fraction, mean" in table and "temperature max: chips" in table
    assert cli.main(["info", str(path)]) == 0
    info = capsys.readouterr().out
    assert "completed: yes" in info and "nodes: 10 in 1 class(es) (compute: 10)" in info
    assert re.search(r"^  temperature\s+\[K\]\s+\(time=20 x node=10 x component=5\)", info, re.M)
    assert table in info


@pytest.mark.slow
def test_quiet_run_prints_only_the_final_line(tmp_path):
    args = [sys.executable, "-m", "orbital_sim.cli", "run", str(DEFAULT), "-o", str(tmp_path / "q.h5"), "-q",
            "--set", "simulation.duration_s=120", "--set", "constellation.0.nodes_per_plane=1",
            "--set", "constellation.1.total=2", "--set", "constellation.1.planes=2",
            "--set", "output.variables=['temperature']"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "node-steps/s" not in proc.stderr and "quantity" not in proc.stdout
    assert len(proc.stdout.strip().splitlines()) == 1 and proc.stdout.startswith("wrote ")


def test_output_format_doc_lists_every_variable_with_its_units():
    doc = (Path(__file__).parents[2] / "docs" / "output_format.md").read_text()
    for name, (_, units, _) in {**TIME_SERIES, **SURFACE_SERIES, **SUMMARY}.items():
        assert re.search(rf"^\| `{name}` \| `{re.escape(units)}` \|", doc, re.M), f"{name} [{units}] not documented"
