"""Eclipse contacts located inside the step: the file's ``events`` group, the per-node eclipse
summary, and reading them back (``orbital-sim events``).

The kernels locate every shadow contact (``penumbra_entry``, ``umbra_entry``, ``umbra_exit``,
``penumbra_exit``) inside the integration steps by root finding on the step's dense trajectory
(``orbital_sim.kernels.events``); the runner appends them, chunk by chunk, to the group
``events`` of the result file, one row per contact (docs/output_format.md):

- ``events/time`` (event): float64 seconds since the epoch, CF ``units``;
- ``events/node`` (event): int32 index along the root's ``node`` dimension;
- ``events/kind`` (event): int8 code, CF ``flag_values`` 0..3 and ``flag_meanings``.

Rows are in chunk order and, inside a chunk, by node then time. On a resume the rows after the
last written sample are dropped before the run continues, so an interrupted and resumed run
holds the same events as an uninterrupted one.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import json
from typing import Any, Iterable, Sequence

import numpy as np

from orbital_sim.kernels.events import EVENT_KINDS

GROUP = "events"
_LONG_NAMES = {
    "time": "time of the shadow contact",
    "node": "index of the node along the node dimension",
    "kind": "kind of shadow contact (see flag_meanings)",
}
#: per-node eclipse summary (STK's Eclipse Summary): name -> (units, long_name)
SUMMARY = {
    "eclipse_count": ("1", "number of eclipse passes (penumbra entry to exit) in the run"),
    "eclipse_longest": ("s", "longest eclipse pass, penumbra entry to exit (clipped to the run)"),
    "umbra_time": ("s", "total time in the umbra"),
    "penumbra_time": ("s", "total time in the penumbra only (partial shadow)"),
}


def event_slots(output_every_s: float) -> int:
    """Contact slots per node per output interval: 4 per orbit with room for a second partial
    pass; the shortest Earth orbit lasts about 5,060 s."""
    return 4 * (int(np.ceil(float(output_every_s) / 5000.0)) + 1)


def _create(f, time_units: str):
    g = f.create_group(GROUP, track_order=True)
    event = g.create_dataset("event", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=(4096,))
    event.make_scale("event")
    event.attrs["long_name"] = "event number"
    specs = {"time": (np.float64, {"units": time_units, "calendar": "standard", "standard_name": "time"}),
             "node": (np.int32, {"units": "1"}),
             "kind": (np.int8, {})}
    for name, (dtype, attrs) in specs.items():
        ds = g.create_dataset(name, shape=(0,), maxshape=(None,), dtype=dtype, chunks=(4096,),
                              compression="gzip", compression_opts=4, shuffle=True)
        ds.dims[0].attach_scale(event)
        ds.attrs["long_name"] = _LONG_NAMES[name]
        for k, v in attrs.items():
            ds.attrs[k] = v
    g["kind"].attrs.create("flag_values", np.arange(len(EVENT_KINDS), dtype=np.int8))
    g["kind"].attrs["flag_meanings"] = " ".join(EVENT_KINDS)
    return g


def append_events(f, t_s, kind, time_units: str) -> int:
    """Append the contacts of one chunk. ``t_s`` (outputs, nodes, slots) float64 (NaN: empty),
    ``kind`` the same shape, int codes. Returns the number of rows added."""
    t = np.asarray(t_s, dtype=np.float64)
    k = np.asarray(kind)
    ok = np.isfinite(t)
    if not ok.any():
        if GROUP not in f:
            _create(f, time_units)
        return 0
    _, node, _ = np.nonzero(ok)
    # by node, then time
    times, kinds = t[ok], k[ok].astype(np.int8)
    order = np.lexsort((times, node))
    g = f[GROUP] if GROUP in f else _create(f, time_units)
    n0 = g["time"].shape[0]
    n1 = n0 + times.size
    for name, values in (("time", times[order]), ("node", node[order].astype(np.int32)), ("kind", kinds[order])):
        g[name].resize((n1,))
        g[name][n0:n1] = values
    g["event"].resize((n1,))
    g["event"][n0:n1] = np.arange(n0, n1, dtype=np.int32)
    return times.size


def truncate_events(f, t_last_s: float) -> None:
    """Drop the rows after ``t_last_s`` (the last sample kept on a resume)."""
    if GROUP not in f:
        return
    g = f[GROUP]
    t = g["time"][...]
    late = np.flatnonzero(t > t_last_s + 1e-9)
    if late.size == 0:
        return
    n = int(late[0])  # rows are appended in chunk order: the kept ones form a prefix
    for name in ("time", "node", "kind", "event"):
        g[name].resize((n,))


def read_events(path_or_file) -> dict[str, np.ndarray] | None:
    """``{"time": float64 s, "node": int32, "kind": int8}`` of every row, or None when the file
    has no events group (written by a version without it, or j2_secular-only tools)."""
    import h5py

    own = not hasattr(path_or_file, "keys")
    f = h5py.File(path_or_file, "r") if own else path_or_file
    try:
        if GROUP not in f:
            return None
        g = f[GROUP]
        return {name: g[name][...] for name in ("time", "node", "kind")}
    finally:
        if own:
            f.close()


def eclipse_summary(events: dict[str, np.ndarray], n_nodes: int, duration_s: float,
                    start_fraction: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per-node eclipse summary (:data:`SUMMARY`) over [0, duration_s] from the contacts.

    A pass that is under way at the start (its first contact is an exit) or at the end (no
    exit) is clipped to the run and counted. ``start_fraction``: sunlit fraction of each node at
    t = 0 (only its being < 1 or 0 is used, to tell which shadow a node starts in when it has no
    contact at all)."""
    return _walk(events, n_nodes, duration_s, start_fraction)[0]


#: the per-pass table (group ``eclipses``, dimension ``eclipse``): name -> (dtype, units, long_name)
PASSES_GROUP = "eclipses"
PASS_VARIABLES = {
    "node": (np.int32, "1", "index of the node along the node dimension"),
    "start": (np.float64, None, "start of the eclipse pass: penumbra entry (the run's start if under way then)"),
    "end": (np.float64, None, "end of the eclipse pass: penumbra exit (the run's end if under way then)"),
    "duration": (np.float64, "s", "eclipse duration of the pass: penumbra entry to penumbra exit"),
    "umbra_duration": (np.float64, "s", "time in the umbra during the pass"),
    "clipped": (np.int8, "1", "1 when the pass is cut by the run's start or end (its duration is then "
                "shorter than the pass), else 0"),
}


def eclipse_passes(events: dict[str, np.ndarray], n_nodes: int, duration_s: float,
                   start_fraction: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Every eclipse pass (penumbra entry to penumbra exit) of every node, by node then time:
    ``{name of PASS_VARIABLES: (passes,) array}`` (times in s since the epoch); the passes that
    :func:`eclipse_summary` counts, with the same clipping to [0, duration_s]."""
    return _walk(events, n_nodes, duration_s, start_fraction)[1]


def _walk(events, n_nodes, duration_s, start_fraction):
    if events is None:  # no events group: no contacts known
        events = {"time": np.zeros(0), "node": np.zeros(0, np.int32), "kind": np.zeros(0, np.int8)}
    count = np.zeros(n_nodes)
    longest = np.zeros(n_nodes)
    umbra = np.zeros(n_nodes)
    penumbra = np.zeros(n_nodes)
    t_all, node_all, kind_all = events["time"], events["node"], events["kind"]
    order = np.lexsort((t_all, node_all))
    t_all, node_all, kind_all = t_all[order], node_all[order], kind_all[order]
    bounds = np.searchsorted(node_all, np.arange(n_nodes + 1))
    pen_entry, umb_entry, umb_exit, pen_exit = range(4)
    passes = []
    for i in range(n_nodes):
        t = t_all[bounds[i]:bounds[i + 1]]
        k = kind_all[bounds[i]:bounds[i + 1]]
        # the shadow state at t = 0: from the first contact (or the start fraction when none)
        if k.size:
            first = int(k[0])
            level = {pen_entry: 0, umb_entry: 1, umb_exit: 2, pen_exit: 1}[first]
        else:
            f0 = 1.0 if start_fraction is None else float(start_fraction[i])
            level = 0 if f0 >= 1.0 else (2 if f0 <= 0.0 else 1)
        # level: 0 sunlit, 1 penumbra, 2 umbra; walk the contacts
        last_t = 0.0
        pass_start = 0.0 if level > 0 else None
        pass_umbra = 0.0
        for tk, kk in zip(list(t) + [duration_s], list(k) + [-1]):
            span = max(0.0, min(tk, duration_s) - last_t)
            if level == 1:
                penumbra[i] += span
            elif level == 2:
                umbra[i] += span
                pass_umbra += span
            last_t = min(tk, duration_s)
            if kk == pen_entry:
                level, pass_start, pass_umbra = 1, tk, 0.0
            elif kk == umb_entry:
                level = 2
            elif kk == umb_exit:
                level = 1
            elif kk == pen_exit:
                level = 0
                if pass_start is not None:
                    count[i] += 1
                    longest[i] = max(longest[i], tk - pass_start)
                    passes.append((i, pass_start, tk, tk - pass_start, pass_umbra, int(pass_start == 0.0)))
                pass_start = None
        if pass_start is not None:  # a pass under way at the end
            count[i] += 1
            longest[i] = max(longest[i], duration_s - pass_start)
            passes.append((i, pass_start, duration_s, duration_s - pass_start, pass_umbra, 1))
    summary = {"eclipse_count": count, "eclipse_longest": longest, "umbra_time": umbra, "penumbra_time": penumbra}
    table = {name: np.asarray([p[j] for p in passes], dtype=dtype)
             for j, (name, (dtype, _, _)) in enumerate(PASS_VARIABLES.items())}
    return summary, table


def write_passes(f, passes: dict[str, np.ndarray], time_units: str) -> None:
    """(Re)write the group ``eclipses``: one row per pass along dimension ``eclipse``."""
    if PASSES_GROUP in f:
        del f[PASSES_GROUP]
    g = f.create_group(PASSES_GROUP, track_order=True)
    n = int(passes["node"].size)
    scale = g.create_dataset("eclipse", data=np.arange(n, dtype=np.int32))
    scale.make_scale("eclipse")
    scale.attrs["long_name"] = "eclipse pass number"
    for name, (dtype, units, long_name) in PASS_VARIABLES.items():
        ds = g.create_dataset(name, data=np.asarray(passes[name], dtype=dtype))
        ds.dims[0].attach_scale(scale)
        ds.attrs["long_name"] = long_name
        if units is None:
            ds.attrs["units"] = time_units
            ds.attrs["calendar"] = "standard"
            ds.attrs["standard_name"] = "time"
        else:
            ds.attrs["units"] = units
    g["clipped"].attrs.create("flag_values", np.array([0, 1], dtype=np.int8))
    g["clipped"].attrs["flag_meanings"] = "whole clipped"


def read_passes(path_or_file) -> dict[str, np.ndarray] | None:
    """The ``eclipses`` group as ``{name: array}`` (times in s since the epoch), or None."""
    import h5py

    own = not hasattr(path_or_file, "keys")
    f = h5py.File(path_or_file, "r") if own else path_or_file
    try:
        if PASSES_GROUP not in f:
            return None
        return {name: f[PASSES_GROUP][name][...] for name in PASS_VARIABLES}
    finally:
        if own:
            f.close()


def iso_utc_ms(epoch: _dt.datetime, t_s: float) -> str:
    """ISO 8601 UTC with milliseconds and Z: '2026-03-20T00:41:07.123Z'."""
    when = epoch + _dt.timedelta(milliseconds=round(float(t_s) * 1000.0))
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def select_nodes(names: Sequence[str], patterns: Iterable[str] | None) -> list[int]:
    """Indices of the nodes matching any NAME or shell-style PATTERN (all when None); an
    unmatched pattern raises ValueError naming it."""
    if not patterns:
        return list(range(len(names)))
    chosen: list[int] = []
    for p in patterns:
        hit = [i for i, n in enumerate(names) if n == p or fnmatch.fnmatchcase(n, p)]
        if not hit:
            raise ValueError(f"--node {p!r}: no node matches (nodes are named like {names[0]!r})")
        chosen.extend(i for i in hit if i not in chosen)
    return sorted(chosen)


def _no_events_message(path) -> str:
    return (f"{path}: no events group (written before orbital_sim located contacts inside the step, "
            "or not a result file)")


def _names_and_epoch(f) -> tuple[list[str], _dt.datetime]:
    """An open result file's node names and its epoch (UTC)."""
    from orbital_sim import timescales

    names = [n.decode() if isinstance(n, bytes) else str(n) for n in f["node"][...]]
    epoch_attr = f.attrs["epoch"]
    return names, timescales.parse_epoch(epoch_attr.decode() if isinstance(epoch_attr, bytes) else str(epoch_attr))


def event_records(path, patterns: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The contacts of the chosen nodes as records {node, kind, t_s, time}, by node then time."""
    import h5py

    with h5py.File(path, "r") as f:
        if GROUP not in f:
            raise ValueError(_no_events_message(path))
        names, epoch = _names_and_epoch(f)
        ev = read_events(f)
    chosen = set(select_nodes(names, patterns))
    order = np.lexsort((ev["time"], ev["node"]))
    out = []
    for j in order:
        i = int(ev["node"][j])
        if i in chosen:
            t = float(ev["time"][j])
            out.append({"node": names[i], "kind": EVENT_KINDS[int(ev["kind"][j])], "t_s": round(t, 6),
                        "time": iso_utc_ms(epoch, t)})
    return out


def format_records(records: list[dict[str, Any]], as_json: bool) -> str:
    if as_json:
        return "\n".join(json.dumps(r) for r in records)
    lines = [f"{'node':<24} {'kind':<15} {'t_s':>14}  time (UTC)"]
    lines += [f"{r['node']:<24} {r['kind']:<15} {r['t_s']:14.3f}  {r['time']}" for r in records]
    return "\n".join(lines)


def pass_records(path, patterns: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The eclipse passes of the chosen nodes as records {node, start, end, duration_s,
    umbra_s, clipped, start_t_s}, by node then time: the file's ``eclipses`` group, or, in a file
    without it (an unfinished run), the passes walked from its ``events`` group up to its last
    sample."""
    import h5py

    with h5py.File(path, "r") as f:
        if GROUP not in f and PASSES_GROUP not in f:
            raise ValueError(_no_events_message(path))
        names, epoch = _names_and_epoch(f)
        passes = read_passes(f)
        if passes is None:
            t = f["time"][...]
            passes = eclipse_passes(read_events(f), len(names), float(t[-1]) if t.size else 0.0)
    chosen = set(select_nodes(names, patterns))
    out = []
    for j in np.lexsort((passes["start"], passes["node"])):
        i = int(passes["node"][j])
        if i in chosen:
            out.append({"node": names[i], "start": iso_utc_ms(epoch, passes["start"][j]),
                        "end": iso_utc_ms(epoch, passes["end"][j]),
                        "duration_s": round(float(passes["duration"][j]), 3),
                        "umbra_s": round(float(passes["umbra_duration"][j]), 3),
                        "clipped": bool(passes["clipped"][j]), "start_t_s": round(float(passes["start"][j]), 6)})
    return out


def format_passes(records: list[dict[str, Any]], as_json: bool) -> str:
    if as_json:
        return "\n".join(json.dumps(r) for r in records)
    lines = [f"{'node':<24} {'start (UTC)':<24} {'end (UTC)':<24} {'duration_s':>10} {'umbra_s':>9}"]
    lines += [f"{r['node']:<24} {r['start']:<24} {r['end']:<24} {r['duration_s']:10.1f} {r['umbra_s']:9.1f}"
              + ("  clipped by the run" if r["clipped"] else "") for r in records]
    return "\n".join(lines)
