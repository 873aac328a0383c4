"""What happens when things go wrong (README section of that name), end to end:

1. bad configurations at the command line (a hypothesis property over mutated scenarios);
2. files and paths, and a full disk;
3. SIGINT, SIGTERM and SIGKILL in the middle of a run, and ``--resume``;
4. numerical faults (a non-finite state, an orbit into the Earth) injected through the API;
5. determinism, on one device and sharded over two;
6. memory that stays flat however long the run (marked slow).

Sections 2-5 share one small scenario (5 nodes, 60 samples in 6 chunks of 10, every variable)
and one persistent JAX compilation cache, so that the chunk function is compiled once for the
module and the many short subprocess runs only load it.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import tomllib
from collections import Counter
from pathlib import Path

import h5py
import numpy as np
import pytest

from tests.app.filecheck import assert_identical, datasets
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from orbital_sim import cli
from orbital_sim.config import ConfigError, dumps_toml, load_config
from orbital_sim.orbit_means import SUMMARY_SOURCES

from tests.app.conftest import DEFAULT_TOML, SMALL_TOML, small_overrides  # noqa: E402
R_EARTH_KM = 6378.137

# The tiny run every file test uses: 8 nodes, 20 minutes, 4 samples per chunk (5 chunks).
TINY = small_overrides(1200, 1, 4, 2, "simulation.chunk_outputs=4")

BASES = {
    "small": tomllib.loads(SMALL_TOML),
    "default": tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8")),
}


# -- 1. config fuzzing at the command line -----------------------------------------------------
#
# Each mutation is drawn from a category that the issue lists and returns the fragments that
# the CLI's report must contain (the key path; for a deleted named table, its quoted name,
# which the references to it report). Mutations that happen to leave the config valid are
# rejected with `assume` (checked in-process with load_config, the function the CLI calls);
# hypothesis fails the test if it has to reject too many, and the test counts, per category,
# the examples that really reached the CLI, so it cannot pass vacuously.


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _walk(node, path=()):
    """(path, parent, key, value) for every table key and every element of an array of
    tables; the path segments of table keys and table-array indices are joined with '.'."""
    items = node.items() if isinstance(node, dict) else ()
    for k, v in items:
        yield (*path, k), node, k, v
        if isinstance(v, dict):
            yield from _walk(v, (*path, k))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for i, item in enumerate(v):
                yield from _walk(item, (*path, k, i))


def _dotted(path) -> str:
    return ".".join(str(p) for p in path)


def _surfaces_by_index(err: str, raw) -> str:
    """``err`` with every surface named by its index as well as by its name: messages name a
    surface by its name (``node_class.sat.surfaces.panel``), the mutations by its index."""
    out = err
    classes = raw.get("node_class") if isinstance(raw, dict) else None
    for cls, nc in (classes.items() if isinstance(classes, dict) else ()):
        surfaces = nc.get("surfaces") if isinstance(nc, dict) else None
        for i, surface in enumerate(surfaces if isinstance(surfaces, list) else ()):
            if isinstance(surface, dict) and isinstance(surface.get("name"), str):
                out = out.replace(f"node_class.{cls}.surfaces.{surface['name']}.", f"node_class.{cls}.surfaces.{i}.")
    return err + "\n" + out


def _numeric_slots(raw):
    """(path text, setter) for every number: scalar keys, and elements of number arrays
    (``a_km[0]``, ``r_eci_km[0][1]``)."""
    out = []
    for path, parent, key, value in _walk(raw):
        if _is_number(value):
            out.append((_dotted(path), lambda x, p=parent, k=key: p.__setitem__(k, x), value))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if _is_number(item):
                    out.append((f"{_dotted(path)}[{i}]", lambda x, lst=value, j=i: lst.__setitem__(j, x), item))
                elif isinstance(item, list):
                    for j, sub in enumerate(item):
                        if _is_number(sub):
                            out.append((f"{_dotted(path)}[{i}][{j}]",
                                        lambda x, lst=item, jj=j: lst.__setitem__(jj, x), sub))
    return out


def _leaves(raw):
    """(path, parent, key, value) of every key that holds a value (not a table)."""
    return [(p, parent, k, v) for p, parent, k, v in _walk(raw)
            if not isinstance(v, dict) and not (isinstance(v, list) and v and all(isinstance(x, dict) for x in v))]


def _entries(raw, etype):
    cons = raw.get("constellation")
    if not isinstance(cons, list):
        return []
    return [(i, e) for i, e in enumerate(cons) if isinstance(e, dict) and e.get("type") == etype]


OTHER_TYPE = {
    "number": ["700 W", [1.0, 2.0], {"value": 1.0}, True, dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)],
    "str": [3, 2.5, ["sun"], {"name": "x"}, False],
    "bool": ["yes", 1, 0.0, ["true"]],
    "list": ["x", 3.0, {"a": 1.0}, True],
}


def m_wrong_type(draw, raw, sets):
    path, parent, key, value = draw(st.sampled_from(_leaves(raw)))
    kind = ("bool" if isinstance(value, bool) else "number" if _is_number(value) else
            "str" if isinstance(value, str) else "list" if isinstance(value, list) else None)
    assume(kind is not None)
    new = copy.deepcopy(draw(st.sampled_from(OTHER_TYPE[kind])))
    _set_or_override(draw, parent, key, new, path, sets)
    return {_dotted(path)}


def m_non_finite(draw, raw, sets):
    text, setter, _ = draw(st.sampled_from(_numeric_slots(raw)))
    setter(draw(st.sampled_from([math.nan, math.inf, -math.inf])))
    return {text}


def _slot_fragments(text: str) -> set[str]:
    """What a problem with the number at ``text`` may be reported as: its own path, or, for an
    element of an array (``operating_limits_c[1]``), the array's key when the array is checked
    as a whole (``operating_limits_c = [0.0, -85.0]: must be [min, max] with min < max``)."""
    return {text, text.split("[", 1)[0] + " = "} if "[" in text else {text}


def m_negative(draw, raw, sets):
    text, setter, value = draw(st.sampled_from(_numeric_slots(raw)))
    setter(-(abs(value) or 1.0) * draw(st.sampled_from([1, 2, 1000])))
    return _slot_fragments(text)


def m_huge(draw, raw, sets):
    text, setter, _ = draw(st.sampled_from(_numeric_slots(raw)))
    setter(draw(st.sampled_from([1e300, 1e30, 1e20, 2**62, 10**30])))
    return _slot_fragments(text)


def m_missing_key(draw, raw, sets):
    path, parent, key, value = draw(st.sampled_from([w for w in _walk(raw) if isinstance(w[1], dict)]))
    del parent[key]
    expected = {_dotted(path)}
    if len(path) >= 2 and path[-2] in ("node_class", "components"):
        expected.add(json.dumps(key))  # a named table: the references to it name it
    return expected


def m_unknown_key(draw, raw, sets):
    tables = [((), raw)] + [(p, v) for p, _, _, v in _walk(raw) if isinstance(v, dict)]
    path, table = draw(st.sampled_from(tables))
    base = draw(st.sampled_from(sorted(table) or ["key"]))
    how = draw(st.sampled_from(["suffix", "drop", "double"]))
    if how == "suffix":
        new = base + draw(st.sampled_from(["x", "_", "s", "2"]))
    elif how == "drop" and len(base) > 1:
        i = draw(st.integers(0, len(base) - 1))
        new = base[:i] + base[i + 1:]
    else:
        new = base + base[-1]
    assume(new not in table)
    table[new] = 1.0
    return {_dotted((*path, new))}


def m_empty_constellation(draw, raw, sets):
    if draw(st.booleans()):
        raw["constellation"] = []
    else:
        raw.pop("constellation", None)
    return {"constellation"}


def m_mismatched_lengths(draw, raw, sets):
    choices = [("elements", i) for i, _ in _entries(raw, "elements")]
    choices += [("states", i) for i, _ in _entries(raw, "states")]
    choices += [("sso", i) for i, _ in _entries(raw, "sso")]
    assume(choices)
    etype, i = draw(st.sampled_from(choices))
    entry = raw["constellation"][i]
    if etype == "elements":
        key = draw(st.sampled_from(["a_km", "e", "i_deg", "raan_deg", "argp_deg", "mean_anomaly_deg"]))
        entry[key] = list(entry[key]) + [entry[key][-1]] * draw(st.integers(1, 3))
        return {f"constellation.{i}"}
    if etype == "states":
        key = draw(st.sampled_from(["r_eci_km", "v_eci_km_s"]))
        entry[key] = list(entry[key]) + [list(entry[key][-1])]
        return {f"constellation.{i}"}
    planes = entry.get("planes", 4)
    n = draw(st.sampled_from([k for k in range(2, planes + 3) if k != planes]))
    entry["ltan_h"] = [6.0 + 0.5 * k for k in range(n)]
    return {f"constellation.{i}.ltan_h"}


BAD_EPOCHS = ["2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-03-20T25:00:00Z", "yesterday", "",
              "2026-03-20", "2026-03-20T00:00:00", "1800-01-01T00:00:00Z", "2200-06-01T00:00:00Z",
              dt.datetime(1900, 1, 1, tzinfo=dt.timezone.utc), dt.date(2026, 3, 20), "20260320T000000"]


def m_invalid_date(draw, raw, sets):
    sim = raw.setdefault("simulation", {})
    assume(isinstance(sim, dict))
    _set_or_override(draw, sim, "epoch", draw(st.sampled_from(BAD_EPOCHS)), ("simulation", "epoch"), sets)
    return {"simulation.epoch"}


def m_unknown_pointing(draw, raw, sets):
    surfaces = [(p, parent) for p, parent, k, v in _walk(raw) if k == "pointing"]
    assume(surfaces)
    path, parent = draw(st.sampled_from(surfaces))
    word = draw(st.sampled_from(["sunward", "Sun", "nadirr", "orbit-normal", "rsw2", "", "SUN_EDGE"])
                | st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12))
    _set_or_override(draw, parent, "pointing", word, path, sets)
    return {_dotted(path)}


def m_step_longer_than_output(draw, raw, sets):
    sim = raw.get("simulation")
    assume(isinstance(sim, dict))
    every = 60.0
    sim["output_every_s"] = every
    sim["step_s"] = every * draw(st.sampled_from([1.5, 2.0, 6.0, 10.0, 60.0, 100.0]))
    return {"simulation.output_every_s", "simulation.step_s"}


def m_perigee_below_surface(draw, raw, sets):
    choices = [("elements", i) for i, _ in _entries(raw, "elements")]
    choices += [("states", i) for i, _ in _entries(raw, "states")]
    choices += [("sso", i) for i, _ in _entries(raw, "sso")]
    choices += [("walker_delta", i) for i, _ in _entries(raw, "walker_delta")]
    assume(choices)
    etype, i = draw(st.sampled_from(choices))
    entry, p = raw["constellation"][i], f"constellation.{i}"
    if etype == "elements":
        k = draw(st.integers(0, len(entry["a_km"]) - 1))
        if draw(st.booleans()):
            entry["a_km"][k] = draw(st.floats(1.0, R_EARTH_KM - 1.0))
        else:
            entry["e"][k] = draw(st.floats(0.1, 0.99))
        return {f"{p}.a_km[{k}]"}
    if etype == "states":
        entry["r_eci_km"][0] = [draw(st.floats(1000.0, R_EARTH_KM - 1.0)), 0.0, 0.0]
        return {f"{p}.r_eci_km[0]"}
    if etype == "sso":
        entry["e"] = draw(st.floats(0.2, 0.9))
        return {f"{p}.e"}
    entry["altitude_km"] = draw(st.floats(-R_EARTH_KM, 149.0))
    return {f"{p}.altitude_km"}


def _set_or_override(draw, parent, key, value, path, sets):
    """Set parent[key] = value in the file, or (half of the time, where TOML can say it)
    pass it to the CLI as ``--set path=value`` and leave the file alone."""
    text = _toml_value(value)
    if text is not None and all(isinstance(p, (str, int)) for p in path) and draw(st.booleans()):
        sets.append(f"{_dotted(path)}={text}")
    else:
        parent[key] = value


def _toml_value(value) -> str | None:
    try:
        return dumps_toml({"v": value}).strip()[len("v = "):]
    except TypeError:
        return None


CATEGORIES = {
    "wrong_type": m_wrong_type,
    "non_finite": m_non_finite,
    "negative": m_negative,
    "huge": m_huge,
    "missing_key": m_missing_key,
    "unknown_key": m_unknown_key,
    "empty_constellation": m_empty_constellation,
    "mismatched_lengths": m_mismatched_lengths,
    "invalid_date": m_invalid_date,
    "unknown_pointing": m_unknown_pointing,
    "step_longer_than_output": m_step_longer_than_output,
    "perigee_below_surface": m_perigee_below_surface,
}


def test_cli_rejects_mutated_configs(tmp_path, capsys):
    """Property: a mutated config makes `run` and `validate` exit 2, print no traceback, name
    the mutated key path, and write no file."""
    reached: Counter = Counter()
    multi = Counter()

    @settings(max_examples=240, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def prop(data):
        raw = copy.deepcopy(BASES[data.draw(st.sampled_from(sorted(BASES)), label="base")])
        sets: list[str] = []
        names = data.draw(st.lists(st.sampled_from(sorted(CATEGORIES)), min_size=1, max_size=3), label="mutations")
        expected = [CATEGORIES[name](data.draw, raw, sets) for name in names]
        work = Path(tempfile.mkdtemp(dir=tmp_path))
        try:
            cfg = work / "mutated.toml"
            cfg.write_text(dumps_toml(raw), encoding="utf-8")
            try:
                load_config(cfg, sets)
            except ConfigError:
                pass
            else:
                assume(False)  # the mutation left the config valid
            out = work / "out.h5"
            set_args = [a for s in sets for a in ("--set", s)]
            capsys.readouterr()
            for verb in ("run", "validate"):
                argv = [verb, str(cfg), *set_args] + (["-o", str(out), "-q"] if verb == "run" else [])
                assert cli.main(argv) == 2, argv
                err = capsys.readouterr().err
                named = _surfaces_by_index(err, raw)
                assert "Traceback" not in err and err.startswith("orbital-sim: invalid configuration"), err
                problems = [line[2:] for line in err.splitlines()[1:]]
                assert problems and all(line.startswith("  ") for line in err.splitlines()[1:]), err
                if len(names) == 1:
                    assert any(frag in named for frag in expected[0]), (names, expected, sets, err)
                else:
                    assert any(frag in named for exp in expected for frag in exp), (names, expected, sets, err)
            assert sorted(p.name for p in work.iterdir()) == ["mutated.toml"]  # no output file
        finally:
            shutil.rmtree(work, ignore_errors=True)
        reached.update(names)
        multi[len(names)] += 1
        if sets:
            multi["via --set"] += 1

    prop()
    # not vacuous: every category reached the CLI as an invalid config, alone and combined
    assert set(reached) == set(CATEGORIES), reached
    assert min(reached.values()) >= 8, reached
    assert multi[1] >= 40 and multi[2] + multi[3] >= 40 and multi["via --set"] >= 20, multi


# -- the shared scenario: 5 nodes, 60 samples in 6 chunks, every variable -------------------------

N_CHUNKS, CHUNK = 6, 10
N_NODES = 5  # odd: on two devices one inert padding node is computed and never written


def _run_toml() -> str:
    from orbital_sim.output import TIME_SERIES

    raw = tomllib.loads(SMALL_TOML)
    raw["simulation"].update(output_every_s=10.0, chunk_outputs=CHUNK)
    raw["output"] = {"variables": list(TIME_SERIES), "compression": 4}
    el = raw["constellation"][1]
    el.update(a_km=[6778.137, 6878.137, 6778.137, 7078.137], e=[0.0005, 0.001, 0.0005, 0.01],
              i_deg=[51.6, 97.5, 70.0, 53.0], raan_deg=[30.0, 120.0, 180.0, 250.0],
              argp_deg=[0.0, 10.0, 0.0, 20.0], mean_anomaly_deg=[0.0, 90.0, 216.0, 180.0])
    return dumps_toml(raw)


def _env(cache_dir: Path, **extra) -> dict:
    """Subprocess environment: CPU, one device, a persistent compilation cache shared by the
    module's runs (compiling once keeps these tests short; the executables are the same)."""
    from orbital_sim.runner import PAUSE_ENV

    env = dict(os.environ)
    env.pop("XLA_FLAGS", None)
    env.pop(PAUSE_ENV, None)
    env.update(JAX_PLATFORMS="cpu", JAX_COMPILATION_CACHE_DIR=str(cache_dir),
               JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0")
    env.update(extra)
    return env


def _cli_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "orbital_sim.cli", *args]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """The scenario file, a compilation cache, and the uninterrupted reference run."""
    root = tmp_path_factory.mktemp("scenario")
    cfg = root / "run.toml"
    cfg.write_text(_run_toml(), encoding="utf-8")
    cache = root / "jax-cache"
    ref = root / "ref.h5"
    proc = subprocess.run(_cli_cmd("run", str(cfg), "-o", str(ref), "-q"), env=_env(cache),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return {"cfg": cfg, "cache": cache, "ref": ref}


def assert_prefix_of(partial, ref, n_samples: int) -> None:
    """``partial`` holds exactly the first n_samples of ``ref`` in every time series."""
    from orbital_sim.output import TIME_SERIES

    a, b = datasets(partial), datasets(ref)
    assert a["time"].shape == (n_samples,)
    for name in ["time", *TIME_SERIES]:
        if name in b:
            assert a[name].tobytes() == b[name][:n_samples].tobytes(), name


def _one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    return lines[-1]


# -- 2. files and paths ------------------------------------------------------------------------


def test_missing_or_directory_config_one_line_exit_2(tmp_path, capsys):
    out = tmp_path / "out.h5"
    for verb in ("run", "validate"):
        for config, words in ((tmp_path / "nope.toml", "no such config file"),
                              (tmp_path, "is a directory, not a config file")):
            argv = [verb, str(config)] + (["-o", str(out)] if verb == "run" else [])
            assert cli.main(argv) == 2
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and words in err and str(config) in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_output_folder_missing_is_a_directory_or_file_exists(scenario, tmp_path, capsys):
    cfg = str(scenario["cfg"])
    existing = tmp_path / "exists.h5"
    existing.write_bytes(b"earlier results, not to be touched")
    cases = [  # (output, words, the path the message names); a missing folder is created (test_small_fixes)
        (existing / "such" / "out.h5", "output directory is not a directory", existing),
        (tmp_path, "is a directory, not a file", tmp_path),
        (existing, "already exists", existing),
    ]
    for out, words, named in cases:
        assert cli.main(["run", cfg, "-o", str(out), "-q"]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and words in err and str(named) in err, err
    assert "--overwrite" in err and "--resume" in err
    assert existing.read_bytes() == b"earlier results, not to be touched"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exists.h5"]


def test_unreadable_config_and_unwritable_output_folder(scenario, tmp_path, capsys, monkeypatch):
    """Real permissions for an ordinary user; root reads and writes anything, so there the
    operating system's refusal is simulated (PermissionError on read, os.access False)."""
    secret = tmp_path / "secret.toml"
    shutil.copy(scenario["cfg"], secret)
    locked = tmp_path / "locked"
    locked.mkdir()
    if os.geteuid() != 0:
        secret.chmod(0o200)
        locked.chmod(0o500)
    else:
        real_read_bytes, real_access = Path.read_bytes, os.access

        def read_bytes(self):
            if self == secret:
                raise PermissionError(13, "Permission denied", str(self))
            return real_read_bytes(self)

        monkeypatch.setattr(Path, "read_bytes", read_bytes)
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: Path(p) != locked and real_access(p, mode, **kw))
    try:
        runs = [
            (["run", str(secret), "-o", str(tmp_path / "a.h5")], 2, "cannot read the config file"),
            (["run", str(scenario["cfg"]), "-o", str(locked / "b.h5"), "-q"], 1, "output directory is not writable"),
        ]
        for argv, code, words in runs:
            assert cli.main(argv) == code
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and words in err and "Traceback" not in err, err
    finally:
        secret.chmod(0o600)
        locked.chmod(0o700)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["locked", "secret.toml"]
    assert list(locked.iterdir()) == []


FULL_DISK_SCRIPT = textwrap.dedent("""
    # The CLI under a file-size limit set once chunk 2 is on disk (SIGXFSZ ignored, so writes
    # past the limit fail with EFBIG as on a full disk).
    import os, resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    from orbital_sim import cli, runner
    out, real_run = sys.argv[1], runner.run

    def limited(*args, **kwargs):
        def on_chunk(done, total):
            if done == 2:
                size = os.path.getsize(out)
                resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        return real_run(*args, on_chunk=on_chunk, **kwargs)

    runner.run = limited
    sys.exit(cli.main(sys.argv[2:]))
""")


def test_full_disk_keeps_finished_chunks_then_resumes(scenario, tmp_path):
    out = tmp_path / "out.h5"
    other = tmp_path / "other.dat"
    other.write_bytes(b"x" * 1000)
    args = ["run", str(scenario["cfg"]), "-o", str(out), "-q"]
    proc = subprocess.run([sys.executable, "-c", FULL_DISK_SCRIPT, str(out), *args], env=_env(scenario["cache"]),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    line = _one_line_error(proc.stderr)
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert line.startswith(f"orbital-sim: cannot write {out}: no room") and "File too large" in line, line
    assert "keeps 20 samples" in line and "--resume" in line, line
    # no damage: the file opens, holds chunks 1 and 2 exactly, completed = 0; the other file is intact
    with h5py.File(out, "r") as f:
        assert int(f.attrs["completed"][0]) == 0
    assert_prefix_of(out, scenario["ref"], 2 * CHUNK)
    from orbital_sim.output import open_results, read_restart_info

    with open_results(out) as ds:
        assert ds.sizes["time"] == 2 * CHUNK
    assert read_restart_info(out)["next_chunk"] == 2
    assert other.read_bytes() == b"x" * 1000
    # room again: --resume finishes the run, identical to the uninterrupted one
    proc = subprocess.run(_cli_cmd(*args, "--resume"), env=_env(scenario["cache"]), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert_identical(out, scenario["ref"])


# -- 3. interrupted runs and --resume ------------------------------------------------------------


def _start_and_wait_for_chunk_2(scenario, out: Path):
    return _start_and_wait_for_chunk(_cli_cmd("run", str(scenario["cfg"]), "-o", str(out)), scenario, 2)


def _start_and_wait_for_chunk(cmd, scenario, chunk: int):
    """Start ``cmd`` (a run) paused after ``chunk`` (the runner's test hook) and return the
    process once that chunk is on disk, with the stderr lines read up to the pause line."""
    from orbital_sim.runner import PAUSE_ENV

    proc = subprocess.Popen(cmd, env=_env(scenario["cache"], **{PAUSE_ENV: str(chunk)}),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(120.0, proc.kill)  # never hang the test session
    watchdog.start()
    lines = []
    try:
        for line in proc.stderr:
            lines.append(line)
            if line.startswith(f"orbital-sim: paused after chunk {chunk}/"):
                return proc, lines
    finally:
        watchdog.cancel()
    proc.kill()
    proc.wait(timeout=30)
    pytest.fail(f"the run ended before chunk {chunk}:\n" + "".join(lines))


# SIGTERM takes the same handler as SIGINT (slow); SIGKILL none
@pytest.mark.parametrize("sig", [signal.SIGINT, pytest.param(signal.SIGTERM, marks=pytest.mark.slow), signal.SIGKILL],
                         ids=lambda s: s.name)
def test_signal_mid_run_keeps_chunks_and_resume_is_identical(scenario, tmp_path, sig):
    out = tmp_path / "out.h5"
    proc, lines = _start_and_wait_for_chunk_2(scenario, out)
    assert any(f"chunk 2/{N_CHUNKS}" in line for line in lines)  # the progress bar
    try:
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:  # a clean stop after the chunk in hand: 128 + signal number and a one-line message
        assert proc.returncode == 128 + sig, err
        assert "Traceback" not in err and err.count("\n") == 1, err
        assert err.startswith(f"orbital-sim: stopped by {sig.name} after chunk 2/{N_CHUNKS}: {out} keeps "
                              f"{2 * CHUNK} samples (completed = 0); continue with --resume"), err
    # the file opens (h5py and xarray) and holds exactly the finished chunks, completed = 0
    with h5py.File(out, "r") as f:
        assert int(f.attrs["completed"][0]) == 0
    assert_prefix_of(out, scenario["ref"], 2 * CHUNK)
    from orbital_sim.output import describe, open_results, read_restart_info

    with open_results(out) as ds:
        assert ds.sizes["time"] == 2 * CHUNK and int(ds.attrs["completed"]) == 0
    assert read_restart_info(out)["next_chunk"] == 2
    assert f"restart state: after chunk 2 of {N_CHUNKS}" in describe(out)
    # --resume continues from chunk 2: the same file as an uninterrupted run, bit for bit
    done = subprocess.run(_cli_cmd("run", str(scenario["cfg"]), "-o", str(out), "-q", "--resume"),
                          env=_env(scenario["cache"]), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert_identical(out, scenario["ref"])
    with h5py.File(out, "r") as f:
        assert int(f.attrs["completed"][0]) == 1


def test_signal_before_the_first_chunk_stops_at_once(scenario, tmp_path, monkeypatch):
    """While the fleet is built there is nothing to keep: the run stops at once, writes
    nothing, and gives the previous signal handlers back."""
    from orbital_sim import fleet, runner

    real_build_fleet = fleet.build_fleet

    def build_fleet(config, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        return real_build_fleet(config, **kwargs)

    monkeypatch.setattr(fleet, "build_fleet", build_fleet)
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    out = tmp_path / "out.h5"
    with pytest.raises(runner.RunInterrupted) as info:
        runner.run(load_config(scenario["cfg"]), out, progress=False, handle_signals=True)
    assert info.value.exit_code == 143 and str(info.value) == "stopped by SIGTERM before the first chunk"
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
    assert not out.exists()


def test_resume_drops_a_partly_written_chunk(scenario, tmp_path):
    """A kill in the middle of chunk 3's write can leave samples past the restart state (and
    the spare restart slot half written): --resume cuts them off and still matches."""
    from orbital_sim.output import RESTART_GROUP, TIME_SERIES

    out = tmp_path / "out.h5"
    proc, _ = _start_and_wait_for_chunk_2(scenario, out)
    proc.kill()
    proc.communicate(timeout=30)
    with h5py.File(out, "r+") as f:  # what an interrupted chunk 3 write may leave behind
        for name in ["time", *TIME_SERIES]:
            ds = f[name]
            ds.resize(ds.shape[0] + 7, axis=0)
            ds[-7:] = 12345.0
        spare = f[RESTART_GROUP][f"slot{1 - int(f[RESTART_GROUP].attrs['slot'][0])}"]
        spare["r_eci_m"][...] = np.nan
        spare.attrs.modify("samples", np.array([3 * CHUNK], dtype=np.int32))
    done = subprocess.run(_cli_cmd("run", str(scenario["cfg"]), "-o", str(out), "-q", "--resume"),
                          env=_env(scenario["cache"]), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert_identical(out, scenario["ref"])


def test_resume_refusals_leave_the_file_alone(scenario, tmp_path, capsys):
    """Before any computation: another configuration, a finished file, no file, or --resume
    with --overwrite are refused with one line, and the file is not modified."""
    cfg = str(scenario["cfg"])
    finished = tmp_path / "finished.h5"
    shutil.copy(scenario["ref"], finished)
    unfinished = tmp_path / "unfinished.h5"
    shutil.copy(scenario["ref"], unfinished)
    with h5py.File(unfinished, "r+") as f:
        f.attrs.modify("completed", np.array([0], dtype=np.int8))
    before = {p: p.read_bytes() for p in (finished, unfinished)}
    cases = [
        (["run", cfg, "-o", str(unfinished), "--resume", "--set", "simulation.duration_s=1200"], 1,
         "different configuration (simulation.duration_s: 600.0 in the file, 1200 now)"),
        (["run", cfg, "-o", str(unfinished), "--resume", "--set", "constellation.1.e=[0.001, 0.001, 0.0005, 0.01]"],
         1, "constellation.1.e: [0.0005, 0.001, 0.0005, 0.01] in the file, [0.001, 0.001, 0.0005, 0.01] now"),
        (["run", cfg, "-o", str(finished), "--resume"], 1, "holds a completed run; nothing to do"),
        (["run", cfg, "-o", str(tmp_path / "none.h5"), "--resume"], 1, "does not exist"),
        (["run", cfg, "-o", str(unfinished), "--resume", "--overwrite"], 2, "exclude each other"),
    ]
    for argv, code, words in cases:
        assert cli.main(argv + ["-q"]) == code, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and words in err and "Traceback" not in err, err
    assert {p: p.read_bytes() for p in before} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["finished.h5", "unfinished.h5"]


# -- 4. numerical faults -----------------------------------------------------------------------------
#
# The config validator refuses orbits below the surface, so the faults are injected through the
# Python API: a script wraps orbital_sim.fleet.build_fleet to corrupt the initial state of two
# nodes (a NaN chip temperature; the velocity cut to 30 %, so that the orbit falls into the
# Earth), then runs the ordinary CLI.

NAN_NODE, FALL_NODE = 1, 3  # node indices: non-finite state, below the surface

FAULT_SCRIPT = textwrap.dedent(f"""
    import dataclasses, sys
    from orbital_sim import cli, fleet

    real_build_fleet = fleet.build_fleet

    def build_fleet(config, **kwargs):
        built = real_build_fleet(config, **kwargs)
        st = built.state
        state = dataclasses.replace(st, temperature_k=st.temperature_k.at[{NAN_NODE}, 0].set(float("nan")),
                                    v_eci_m_s=st.v_eci_m_s.at[{FALL_NODE}].multiply(0.3))
        return dataclasses.replace(built, state=state)

    fleet.build_fleet = build_fleet
    sys.exit(cli.main(sys.argv[1:]))
""")


@pytest.fixture(scope="module")
def faulty(scenario):
    out = scenario["cache"].parent / "faulty.h5"
    proc = subprocess.run([sys.executable, "-c", FAULT_SCRIPT, "run", str(scenario["cfg"]), "-o", str(out)],
                          env=_env(scenario["cache"]), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr  # everything written; exit 3: nodes with a numerical fault
    return out, proc


def test_faulted_nodes_named_marked_and_others_unaffected(scenario, faulty):
    from orbital_sim.kernels.constants import R_EARTH_EQ_M
    from orbital_sim.output import STATUS_FLAGS, TIME_SERIES

    out, proc = faulty
    with h5py.File(out, "r") as f, h5py.File(scenario["ref"], "r") as g:
        names = f["node"].asstr()[...].tolist()
        status = f["status"][...]
        times = f["time"][...]
        assert int(f.attrs["completed"][0]) == 1
        assert f["status"].dtype == np.int8 and status.tolist() == [0, 1, 0, 2, 0]
        meanings = dict(zip(f["status"].attrs["flag_values"].tolist(), f["status"].attrs["flag_meanings"].split()))
        assert meanings == STATUS_FLAGS
        position, temperature = f["position_eci"][...], f["temperature"][...]
        # the other nodes run to the end, bit for bit as in the run without the faulty nodes
        healthy = [i for i in range(N_NODES) if status[i] == 0]
        for name in f:
            if not (isinstance(f[name], h5py.Dataset) and f[name].dtype.kind == "f" and "node" in _dims(f[name])):
                continue
            axis = _dims(f[name]).index("node")
            mine, theirs = np.take(f[name][...], healthy, axis=axis), np.take(g[name][...], healthy, axis=axis)
            # NaN means "none" in these: no brown-out, no limits given, a run shorter than one orbit
            # (no orbit means: orbital_sim/orbit_means.py)
            assert np.all(np.isfinite(mine)) or name in ("brownout_start", "temperature_margin_operating",
                                                          "temperature_margin_survival", "orbit_mean_start",
                                                          *SUMMARY_SOURCES), name
            assert mine.tobytes() == theirs.tobytes(), name
        assert g["status"][...].tolist() == [0] * N_NODES

    # the runner names each node and the time: on stderr as it happens, on stdout in the report
    assert f"node {names[NAN_NODE]} stopped at t = 10 s: non_finite_state" in proc.stderr  # the first step
    assert f"fault: node {names[NAN_NODE]} at t = 10 s (status 1)" in proc.stdout
    fall = [line for line in proc.stderr.splitlines() if line.startswith(f"node {names[FALL_NODE]} stopped at t = ")]
    assert len(fall) == 1 and fall[0].endswith("s: below_surface"), proc.stderr
    t_fall = float(fall[0].split("t = ")[1].split(" s")[0])
    assert f"fault: node {names[FALL_NODE]} at t = {t_fall:.0f} s (status 2)" in proc.stdout
    assert times[2 * CHUNK] < t_fall < times[-1]  # in a later chunk, well before the end
    assert "Traceback" not in proc.stderr
    # a faulted node reports NaN from its fault on, and finite values before it
    assert np.all(np.isnan(temperature[:, NAN_NODE]))
    before = times < t_fall
    assert np.all(np.isfinite(position[before, FALL_NODE])) and np.all(np.isnan(position[~before, FALL_NODE]))
    assert R_EARTH_EQ_M < np.linalg.norm(position[before, FALL_NODE][-1]) < R_EARTH_EQ_M + 200e3


def test_progress_names_at_most_the_first_faults(scenario, tmp_path):
    """With the progress limit at 1, the run names the first faulted node as it happens and then
    says once that more stopped; the final report still lists both (the same faulty run)."""
    script = FAULT_SCRIPT.replace("fleet.build_fleet = build_fleet",
                                  "fleet.build_fleet = build_fleet\nimport orbital_sim.runner\n"
                                  "orbital_sim.runner.FAULT_MESSAGES_MAX = 1")
    proc = subprocess.run([sys.executable, "-c", script, "run", str(scenario["cfg"]), "-o", str(tmp_path / "f.h5")],
                          env=_env(scenario["cache"]), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr
    named = [line for line in proc.stderr.splitlines() if " stopped at t = " in line]
    assert len(named) == 1 and named[0].endswith("non_finite_state"), proc.stderr
    assert proc.stderr.count("more nodes stopped; further faults are not listed here") == 1
    assert len([line for line in proc.stdout.splitlines() if line.startswith("fault: node ")]) == 2


def test_a_fleet_of_faults_is_listed_in_a_few_lines(capsys):
    """A fleet falling out of the sky (the 10,240-node soak at a 180 s step) printed one line per
    node; the report now names the first FAULT_LINES_MAX and counts the rest."""
    faults = [(f"n{i:05d}", 6.4e6 + i, 2) for i in range(10240)]
    cli._print_faults(faults)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == cli.FAULT_LINES_MAX + 1
    assert lines[0] == "fault: node n00000 at t = 6400000 s (status 2)"
    assert lines[-1].startswith(f"fault: {10240 - cli.FAULT_LINES_MAX} more nodes faulted (10240 in all)")
    cli._print_faults(faults[:3])
    assert len(capsys.readouterr().out.splitlines()) == 3


def _dims(ds) -> tuple[str, ...]:
    return tuple(d[0].name.lstrip("/") if len(d) else "" for d in ds.dims)


def test_faults_survive_sigterm_and_resume(scenario, faulty, tmp_path):
    """Status and fault time are part of the restart state: stopped after the fall and resumed,
    the faulty run writes the same file and reports the same faults."""
    out = tmp_path / "out.h5"
    cmd = [sys.executable, "-c", FAULT_SCRIPT, "run", str(scenario["cfg"]), "-o", str(out)]
    proc, _ = _start_and_wait_for_chunk(cmd, scenario, 4)
    try:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    with h5py.File(out, "r") as f:
        assert f["time"].shape == (4 * CHUNK,) and "status" not in f
    done = subprocess.run(cmd + ["--resume"], env=_env(scenario["cache"]), capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert_identical(out, faulty[0])
    reported = [line for line in faulty[1].stdout.splitlines() if line.startswith("fault:")]
    assert len(reported) == 2 and [line for line in done.stdout.splitlines() if line.startswith("fault:")] == reported
    assert "(before the resume)" in done.stderr  # the faults carried over are named again


# -- 5. determinism, one device and two ------------------------------------------------------------


def test_same_config_twice_identical(scenario, tmp_path):
    again = tmp_path / "again.h5"
    proc = subprocess.run(_cli_cmd("run", str(scenario["cfg"]), "-o", str(again), "-q"), env=_env(scenario["cache"]),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert_identical(scenario["ref"], again)


def test_one_and_two_devices_agree(scenario, tmp_path):
    """Nodes sharded over two host CPU devices (forced with XLA_FLAGS before JAX starts) agree
    with one device to 1e-12 relative; 5 nodes on 2 devices: one padding node, not written."""
    two = tmp_path / "two.h5"
    env = _env(scenario["cache"], XLA_FLAGS="--xla_force_host_platform_device_count=2")
    proc = subprocess.run(_cli_cmd("run", str(scenario["cfg"]), "-o", str(two), "-q"), env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    worst = 0.0
    with h5py.File(scenario["ref"], "r") as f, h5py.File(two, "r") as g:
        assert str(g.attrs["device"]).endswith(" x2") and not str(f.attrs["device"]).endswith(" x2")
        assert g["node"].shape == (N_NODES,)
        names = [n for n in f if isinstance(f[n], h5py.Dataset)]
        assert names == [n for n in g if isinstance(g[n], h5py.Dataset)]
        for name in names:
            a, b = f[name][...], g[name][...]
            assert a.shape == b.shape and a.dtype == b.dtype, name
            if a.dtype.kind != "f":
                assert a.tolist() == b.tolist(), name
                continue
            assert np.array_equal(np.isnan(a), np.isnan(b)), name
            ok = ~np.isnan(a)
            np.testing.assert_allclose(b[ok], a[ok], rtol=1e-12, atol=0, err_msg=name)
            scale = np.where(a[ok] != 0, np.abs(a[ok]), 1.0)
            worst = max(worst, float(np.max(np.abs(b[ok] - a[ok]) / scale, initial=0.0)))
    print(f"one vs two devices: largest relative difference {worst:.3g}")


# -- 6. memory stays flat with the simulated duration ---------------------------------------------

MEMORY_SCRIPT = textwrap.dedent("""
    # One run; prints its peak RSS (VmHWM: getrusage's ru_maxrss would report the parent's peak,
    # which Linux carries across exec) and the RSS after every chunk (/proc/self/statm).
    import json, os, sys
    from orbital_sim.config import load_config
    from orbital_sim.runner import run

    page = os.sysconf("SC_PAGE_SIZE")

    def rss_bytes():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * page

    after = []
    result = run(load_config(sys.argv[1], sys.argv[3:]), sys.argv[2], progress=False,
                 on_chunk=lambda done, total: after.append(rss_bytes()))
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
    print(json.dumps({"peak_bytes": peak,
                      "rss_after_chunk": after, "wall_s": result.wall_s, "steps": result.steps,
                      "nodes": result.nodes}))
""")


def _memory_toml(n_nodes: int) -> str:
    raw = tomllib.loads(SMALL_TOML)
    del raw["constellation"][0]
    k = range(n_nodes)
    raw["constellation"][0].update(
        a_km=[6778.137 + 10.0 * (j % 8) for j in k], e=[0.001] * n_nodes, i_deg=[40.0 + (j % 5) * 10.0 for j in k],
        raan_deg=[(j * 37.0) % 360.0 for j in k], argp_deg=[0.0] * n_nodes,
        mean_anomaly_deg=[(j * 53.0) % 360.0 for j in k])
    raw["output"] = {"compression": 0}
    return dumps_toml(raw)


@pytest.mark.slow  # three runs of 64 nodes, one compiling: 15-35 s on 2 cores, depending on their load
@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads /proc/self/statm (Linux)")
def test_memory_flat_with_duration(tmp_path):
    """Peak RSS and the RSS after the last chunk of a run of D and of 4 D agree within 10 %.

    Sensitivity: 64 nodes sampled every 10 s step; the 4 D run writes about 47 MB more samples
    than the D run, more than 10 % of either RSS, so keeping the samples (or a copy of every
    chunk) in memory would fail the test; chunks of 360 samples keep both runs many chunks long.
    """
    n_nodes, day_s = 64, 86400.0
    cfg = tmp_path / "mem.toml"
    cfg.write_text(_memory_toml(n_nodes), encoding="utf-8")
    stats = {}
    # a one-chunk run first compiles into the cache (the chunk function does not depend on the
    # duration), so that both measured runs load it: compiling takes more memory than running
    for label, duration_s in (("warm-up", 3600.0), ("D", day_s / 4), ("4D", day_s)):
        sets = [f"simulation.duration_s={duration_s}", "simulation.output_every_s=10", "simulation.chunk_outputs=360"]
        proc = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(cfg), str(tmp_path / f"{label}.h5"), *sets],
                              env=_env(tmp_path / "jax-cache"), capture_output=True, text=True, timeout=180)
        assert proc.returncode == 0, proc.stderr
        stats[label] = json.loads(proc.stdout.strip().splitlines()[-1])
    short, long = stats["D"], stats["4D"]
    extra_sample_bytes = (long["steps"] - short["steps"]) * n_nodes * 14 * 8  # 14 float64 per node-sample
    assert extra_sample_bytes > 0.1 * long["peak_bytes"]  # a leak of the samples would show
    assert len(long["rss_after_chunk"]) == 24 and len(short["rss_after_chunk"]) == 6
    assert long["peak_bytes"] <= 1.10 * short["peak_bytes"], stats
    assert long["rss_after_chunk"][-1] <= 1.10 * short["rss_after_chunk"][-1], stats
    # within the long run: the RSS after its last chunk is that after its sixth, within 10 %
    assert long["rss_after_chunk"][-1] <= 1.10 * long["rss_after_chunk"][5], stats
    print(f"memory: D = {short['steps']} steps: peak {short['peak_bytes'] / 2**20:.0f} MiB, after last chunk "
          f"{short['rss_after_chunk'][-1] / 2**20:.0f} MiB, {short['wall_s']:.1f} s; "
          f"4D = {long['steps']} steps: peak {long['peak_bytes'] / 2**20:.0f} MiB, after last chunk "
          f"{long['rss_after_chunk'][-1] / 2**20:.0f} MiB, {long['wall_s']:.1f} s")
