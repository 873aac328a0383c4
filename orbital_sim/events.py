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
    return eclipse_summary_and_passes(events, n_nodes, duration_s, start_fraction)[0]


#: contacts walked at once by :func:`eclipse_summary_and_passes` (nodes in blocks of about this
#: many contacts): the walk holds about 25 arrays of this length, 8 bytes each, so 2^20 contacts
#: keep it near 200 MB however long the run (10,240 nodes for 30 days have 13.8 million contacts,
#: 3.65 GB of peak RSS when walked at once)
WALK_CONTACTS = 2 ** 20


def eclipse_summary_and_passes(events: dict[str, np.ndarray] | None, n_nodes: int, duration_s: float,
                               start_fraction: np.ndarray | None = None, block_contacts: int = WALK_CONTACTS):
    """``(summary, passes)``: :func:`eclipse_summary` and :func:`eclipse_passes` from one walk
    over the contacts, node block by node block (each block about ``block_contacts`` contacts,
    at least one node), so that the memory it takes does not grow with the run's length. The
    nodes are independent, so the result is that of one walk over all of them."""
    if events is None or len(events["node"]) <= block_contacts:
        return _walk(events, n_nodes, duration_s, start_fraction)
    node = np.asarray(events["node"])
    order = np.argsort(node, kind="stable")  # each node's rows together, in file order
    bounds = np.concatenate([[0], np.cumsum(np.bincount(node, minlength=n_nodes))])
    f0 = None if start_fraction is None else np.asarray(start_fraction, np.float64)
    summaries, tables = [], []
    a = 0
    while a < n_nodes:  # the block [a, b): as many nodes as fit in block_contacts (at least one)
        b = max(a + 1, int(np.searchsorted(bounds, bounds[a] + block_contacts, side="right")) - 1)
        b = min(b, n_nodes)
        rows = order[bounds[a]:bounds[b]]
        block = {"time": np.asarray(events["time"])[rows], "node": node[rows] - a, "kind": np.asarray(events["kind"])[rows]}
        summary, table = _walk(block, b - a, duration_s, None if f0 is None else f0[a:b])
        table["node"] += a
        summaries.append(summary)
        tables.append(table)
        a = b
    return ({name: np.concatenate([s[name] for s in summaries]) for name in summaries[0]},
            {name: np.concatenate([t[name] for t in tables]) for name in tables[0]})


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
    return eclipse_summary_and_passes(events, n_nodes, duration_s, start_fraction)[1]


#: the shadow level after each contact kind (0 sunlit, 1 penumbra, 2 umbra): a contact sets it
#: whatever came before
_LEVEL_AFTER = np.array([1, 2, 1, 0])
#: the level before a node's first contact, from its kind
_LEVEL_BEFORE = np.array([0, 1, 2, 1])


def _walk(events, n_nodes, duration_s, start_fraction):
    """The shadow levels between each node's contacts, vectorised over all contacts (a Python
    walk over them took 1.3 s a simulated day at 10,240 nodes). Returns (summary, passes).
    tests/app/test_events_cli.py checks it against a contact-by-contact walk."""
    if events is None:  # no events group: no contacts known
        events = {"time": np.zeros(0), "node": np.zeros(0, np.int32), "kind": np.zeros(0, np.int8)}
    duration_s = float(duration_s)
    t, node, kind = (np.asarray(events["time"], np.float64), np.asarray(events["node"], np.int64),
                     np.asarray(events["kind"], np.int64))
    order = np.lexsort((t, node))
    t, node, kind = t[order], node[order], kind[order]
    bounds = np.searchsorted(node, np.arange(n_nodes + 1))
    has = bounds[1:] > bounds[:-1]
    first = np.minimum(bounds[:-1], max(t.size - 1, 0))
    # the level at t = 0: from the first contact, or from the start fraction when there is none
    f0 = np.ones(n_nodes) if start_fraction is None else np.asarray(start_fraction, np.float64)
    level0 = np.where(has, _LEVEL_BEFORE[kind[first]] if t.size else 0,
                      np.where(f0 >= 1.0, 0, np.where(f0 <= 0.0, 2, 1)))
    # piece j ends at contact j (the last piece of a node ends at the run's end); its level is the
    # one after the node's previous contact, or level0
    is_first = np.zeros(t.size, bool)
    is_first[bounds[:-1][has]] = True
    clipped_t = np.minimum(t, duration_s)
    prev_t = np.where(is_first, 0.0, np.concatenate([[0.0], clipped_t[:-1]]))
    level = np.where(is_first, level0[node] if t.size else 0, np.concatenate([[0], _LEVEL_AFTER[kind[:-1]]]))
    span = np.maximum(0.0, clipped_t - prev_t)
    last = bounds[1:] - 1
    tail_level = np.where(has, _LEVEL_AFTER[kind[np.maximum(last, 0)]] if t.size else 0, level0)
    tail_span = np.maximum(0.0, duration_s - np.where(has, clipped_t[np.maximum(last, 0)] if t.size else 0.0, 0.0))
    penumbra = np.bincount(node, weights=np.where(level == 1, span, 0.0), minlength=n_nodes) \
        + np.where(tail_level == 1, tail_span, 0.0)
    umbra_piece = np.where(level == 2, span, 0.0)
    umbra = np.bincount(node, weights=umbra_piece, minlength=n_nodes) + np.where(tail_level == 2, tail_span, 0.0)
    # umbra time since the node's start, up to each contact: summed node by node (a node's
    # contacts in one row), so that rounding stays at the scale of one node's total
    position = np.arange(t.size) - bounds[:-1][node]
    rows = np.zeros((n_nodes, int(position.max()) + 1 if t.size else 0))
    rows[node, position] = umbra_piece
    cum_at = np.cumsum(rows, axis=1)[node, position]

    # passes: each penumbra exit closes the pass opened by the node's latest penumbra entry, if
    # no exit came between (or by t = 0 when the node starts in shadow)
    pen_entry, pen_exit = 0, 3
    marks = (kind == pen_entry) | (kind == pen_exit)
    idx = np.arange(t.size)
    last_mark = np.maximum.accumulate(np.where(marks, idx, -1)) if t.size else idx
    # the latest entry/exit before contact j within its node (-1: none)
    prev_mark = np.concatenate([[-1], last_mark[:-1]]) if t.size else idx
    prev_mark = np.where(prev_mark >= bounds[:-1][node], prev_mark, -1) if t.size else prev_mark
    exits = np.nonzero(kind == pen_exit)[0]
    opener = prev_mark[exits]
    from_entry = opener >= 0
    from_entry &= kind[np.maximum(opener, 0)] == pen_entry
    from_start = (opener < 0) & (level0[node[exits]] > 0)
    closed = exits[from_entry | from_start]
    start = np.where(from_entry, t[np.maximum(opener, 0)], 0.0)[from_entry | from_start]
    umbra_before = np.where(from_entry, cum_at[np.maximum(opener, 0)], 0.0)[from_entry | from_start]
    pass_umbra = cum_at[closed] - umbra_before
    # a pass under way at the end: opened by the node's last entry/exit mark if it is an entry,
    # or by t = 0 when the node has no mark and starts in shadow
    node_last_mark = np.where(has, last_mark[np.maximum(last, 0)] if t.size else -1, -1)
    node_last_mark = np.where(node_last_mark >= bounds[:-1], node_last_mark, -1)
    open_entry = (node_last_mark >= 0) & (kind[np.maximum(node_last_mark, 0)] == pen_entry if t.size else False)
    open_start = (node_last_mark < 0) & (level0 > 0)
    tail = np.nonzero(open_entry | open_start)[0]
    tail_start = np.where(open_entry, t[np.maximum(node_last_mark, 0)] if t.size else 0.0, 0.0)[tail]
    total_umbra = umbra[tail]
    tail_umbra = total_umbra - np.where(open_entry, cum_at[np.maximum(node_last_mark, 0)] if t.size else 0.0,
                                        0.0)[tail]
    pass_node = np.concatenate([node[closed], tail]).astype(np.int64)
    pass_start = np.concatenate([start, tail_start])
    pass_end = np.concatenate([t[closed], np.full(tail.size, duration_s)])
    pass_umb = np.concatenate([pass_umbra, tail_umbra])
    pass_clip = np.concatenate([(start == 0.0).astype(np.int64), np.ones(tail.size, np.int64)])
    by = np.lexsort((pass_end, pass_node))
    columns = (pass_node[by], pass_start[by], pass_end[by], (pass_end - pass_start)[by], pass_umb[by], pass_clip[by])
    count = np.bincount(pass_node, minlength=n_nodes).astype(np.float64)
    longest = np.zeros(n_nodes)
    np.maximum.at(longest, pass_node, pass_end - pass_start)
    summary = {"eclipse_count": count, "eclipse_longest": longest, "umbra_time": umbra, "penumbra_time": penumbra}
    table = {name: np.asarray(col, dtype=dtype) for col, (name, (dtype, _, _)) in zip(columns, PASS_VARIABLES.items())}
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
