"""Close approaches between the nodes of a fleet (``[approaches]`` in the config).

Method, per output interval [t_k, t_k+1] (positions and velocities at both ends):

1. **Broad phase** (:func:`candidate_pairs`): each node's path over the interval lies in a ball
   around the midpoint of its chord, of radius |chord|/2 + bulge + margin, where the bulge
   0.25 max(|h v0 - d|, |h v1 - d|) bounds the cubic Hermite curve's distance from its chord
   (d = r1 - r0, h the interval; the Hermite curve minus the chord is
   s(1-s)[(1-s)(h v0 - d) + s(d - h v1)]), and the margin bounds the Hermite curve's distance
   from the true path (h^4 max|r''''| / 384 with |r''''| <= (GM/r_min^3)^2 r_max, doubled).
   The balls' centres go into a k-d tree (``scipy.spatial.cKDTree``); ``query_pairs`` with the
   largest possible reach returns every pair whose balls can come within the threshold: no
   distance matrix, O(N log N + pairs) per interval.
2. **Narrow phase**: for each such pair, the relative path is the Hermite curve of the relative
   states; its distance from the origin is at least the distance of its chord minus its own
   bulge and the two margins. Pairs whose bound exceeds the threshold are dropped.
3. **Refinement** (``kernels/approach.py``): both nodes of every remaining pair are advanced
   again from t_k with the run's own propagator and step, and the closest approach is located
   inside the step on the dense (cubic Hermite) trajectory.

An approach is a local minimum in time of a pair's separation that is at most the threshold:
the minimum over an interval counts when it lies inside the interval, or at the run's first or
last instant (a pair that only separates, or still closes in at the end).

Per node, the closest approach over the run is the smallest of its approaches (NaN, -1 when it
had none below the threshold).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from orbital_sim.config.types import ApproachesConfig  # noqa: F401  (declared with its keys)

#: netCDF-4 group of the file that holds the list of approaches
GROUP = "approaches"
#: dimension id of the group's ``approach`` dimension (clear of the root group's ids)
_DIM_ID = 16
#: pairs refined in one call are padded to a power of two no smaller than this (few compiles)
_MIN_BATCH = 64
#: at most this many pairs refined in one call (bounds the call's memory: about 1 kB a pair)
_MAX_BATCH = 1 << 16
#: an interval minimum this close (in steps) to an end of the interval counts as at that end
_END_TOLERANCE_STEPS = 1e-9



# --------------------------------------------------------------------------------------------
# Screening
# --------------------------------------------------------------------------------------------

def _norm(x):
    return np.sqrt(np.einsum("...i,...i->...", x, x))


def _reach(r0, v0, r1, v1, h_s):
    """Per node: (chord midpoint (N, 3), Hermite bulge (N,), ball radius without margin (N,))."""
    d = r1 - r0
    bulge = 0.25 * np.maximum(_norm(h_s * v0 - d), _norm(h_s * v1 - d))
    return 0.5 * (r0 + r1), bulge, 0.5 * _norm(d) + bulge


def hermite_margin_m(r0, r1, h_s: float) -> float:
    """Bound [m] on |true path - cubic Hermite| of any node over an interval of ``h_s`` seconds:
    2 x h^4 / 384 x (GM / r_min^3)^2 x r_max (the fourth derivative of a Keplerian path is
    about n^4 r; doubled for J2 and eccentricity), plus 1 m."""
    from orbital_sim.kernels.constants import GM_EARTH_M3_S2

    radii = np.concatenate([_norm(r0), _norm(r1)])
    r_min, r_max = float(np.min(radii)), float(np.max(radii))
    n2 = GM_EARTH_M3_S2 / r_min ** 3
    return 2.0 * h_s ** 4 / 384.0 * n2 * n2 * r_max + 1.0


#: the interval is cut into pieces no longer than this (s) for the broad phase: the k-d tree
#: query reach grows with the distance a node flies in a piece and the pairs it returns with its
#: square (measured at 10,240 nodes: see benchmarks/README.md)
PIECE_S = 20.0


def candidate_pairs(r0, v0, r1, v1, h_s: float, threshold_m: float, piece_s: float | None = None):
    """Pairs ``(i, j)`` (i < j, int64 arrays) of nodes that may come within ``threshold_m`` of
    each other over an interval of ``h_s`` seconds, from the states (N, 3) at its ends. Nodes
    with non-finite states (faulted) are left out. The interval's Hermite curves are cut into
    pieces of at most ``piece_s`` (default :data:`PIECE_S`); a cubic restricted to a piece is
    the Hermite cubic of the piece's own end states, so each piece is screened like an interval."""
    from scipy.spatial import cKDTree

    r0, v0, r1, v1 = (np.asarray(x, dtype=np.float64) for x in (r0, v0, r1, v1))
    ok = np.all(np.isfinite(r0) & np.isfinite(v0) & np.isfinite(r1) & np.isfinite(v1), axis=1)
    idx = np.nonzero(ok)[0]
    empty = np.zeros(0, np.int64)
    if idx.size < 2:
        return empty, empty
    r0, v0, r1, v1 = r0[idx], v0[idx], r1[idx], v1[idx]
    margin = hermite_margin_m(r0, r1, h_s)
    pieces = max(1, math.ceil(h_s / (piece_s or PIECE_S) - 1e-9))
    found = []
    ra, va = r0, v0
    for j in range(1, pieces + 1):
        if j == pieces:
            rb, vb = r1, v1
        else:
            rb, vb = _hermite(r0, v0, r1, v1, h_s, j / pieces)
        found.append(_piece_pairs(cKDTree, ra, va, rb, vb, h_s / pieces, threshold_m, margin))
        ra, va = rb, vb
    a = np.concatenate([f[0] for f in found])
    b = np.concatenate([f[1] for f in found])
    if a.size == 0:
        return empty, empty
    key = np.unique(a.astype(np.int64) * len(idx) + b)
    a, b = idx[key // len(idx)], idx[key % len(idx)]
    swap = a > b
    return np.where(swap, b, a).astype(np.int64), np.where(swap, a, b).astype(np.int64)


def _hermite(r0, v0, r1, v1, h_s, s):
    """NumPy twin of ``kernels.approach.hermite_state`` at one fraction ``s`` for all nodes."""
    s2, s3 = s * s, s * s * s
    r = (2 * s3 - 3 * s2 + 1) * r0 + (s3 - 2 * s2 + s) * h_s * v0 + (3 * s2 - 2 * s3) * r1 + (s3 - s2) * h_s * v1
    v = ((6 * s2 - 6 * s) * r0 + (6 * s - 6 * s2) * r1) / h_s + (3 * s2 - 4 * s + 1) * v0 + (3 * s2 - 2 * s) * v1
    return r, v


def _piece_pairs(tree_type, r0, v0, r1, v1, h_s, threshold_m, margin):
    mid, _, radius = _reach(r0, v0, r1, v1, h_s)
    radius = radius + margin
    reach = threshold_m + 2.0 * float(np.max(radius))
    pairs = tree_type(mid).query_pairs(reach, output_type="ndarray")
    if pairs.size == 0:
        return pairs[:, 0], pairs[:, 1]
    a, b = pairs[:, 0], pairs[:, 1]
    # the relative Hermite curve: chord distance from the origin minus its bulge and margins
    dr0, dr1 = r0[a] - r0[b], r1[a] - r1[b]
    _, bulge, _ = _reach(dr0, v0[a] - v0[b], dr1, v1[a] - v1[b], h_s)
    chord = dr1 - dr0
    c2 = np.einsum("ij,ij->i", chord, chord)
    t = np.clip(-np.einsum("ij,ij->i", dr0, chord) / np.where(c2 > 0, c2, 1.0), 0.0, 1.0)
    closest = _norm(dr0 + t[:, None] * chord)
    keep = closest - bulge - 2.0 * margin <= threshold_m
    return a[keep], b[keep]


class Screener:
    """Screens a run chunk by chunk. ``feed(times_s, r, v)`` takes the samples of one chunk
    (times (K,), states (K, N, 3)) and returns that chunk's approaches as a dict of arrays
    ``node_a``, ``node_b`` (int32 indices, node_a < node_b), ``t_s``, ``distance_m``.

    ``params``: the fleet's NodeParams (node axis first, on the device); ``propagator``, ``env``,
    ``dt_s``, ``steps_per_output`` as in the run; ``t0_s, r0, v0``: the state the first
    interval starts from (the initial state, or the restart state of a resumed run);
    ``t_end_s``: the time of the run's last sample.
    """

    def __init__(self, *, params, propagator, env, dt_s: float, steps_per_output: int, threshold_m: float,
                 t0_s: float, r0, v0, t_end_s: float):
        from orbital_sim.kernels.approach import make_interval_fn

        self.params = params
        self.env = env
        self.dt_s = float(dt_s)
        self.steps = int(steps_per_output)
        self.h_s = self.dt_s * self.steps
        self.threshold_m = float(threshold_m)
        self.t_end_s = float(t_end_s)
        self._fn = make_interval_fn(propagator, self.steps)
        self._t, self._r, self._v = float(t0_s), np.asarray(r0, np.float64), np.asarray(v0, np.float64)
        self.pairs_refined = 0  #: pair-intervals refined so far (for the benchmark)
        self.wall_s = 0.0  #: [s] wall time spent in feed (for the benchmark)

    def feed(self, times_s, r, v) -> dict:
        """Screen the intervals that end at ``times_s`` (K,), with states ``r``, ``v`` (K, N, 3);
        the candidate pairs of all K intervals are refined in one call."""
        import time

        start = time.perf_counter()
        try:
            return self._feed(times_s, r, v)
        finally:
            self.wall_s += time.perf_counter() - start

    def _feed(self, times_s, r, v) -> dict:
        ia, ib, t0, r_a, v_a, r_b, v_b, last = [], [], [], [], [], [], [], []
        for k in range(len(times_s)):
            r1, v1 = np.asarray(r[k], np.float64), np.asarray(v[k], np.float64)
            t1 = float(times_s[k])
            a, b = candidate_pairs(self._r, self._v, r1, v1, t1 - self._t, self.threshold_m)
            ia.append(a)
            ib.append(b)
            t0.append(np.full(a.size, self._t))
            last.append(np.full(a.size, t1 >= self.t_end_s))
            r_a.append(self._r[a]), v_a.append(self._v[a]), r_b.append(self._r[b]), v_b.append(self._v[b])
            self._t, self._r, self._v = t1, r1, v1
        n = int(sum(a.size for a in ia))
        if n == 0:
            empty = np.zeros(0)
            return {"node_a": np.zeros(0, np.int32), "node_b": np.zeros(0, np.int32), "t_s": empty,
                    "distance_m": empty}
        a, b, t0, last = (np.concatenate(x) for x in (ia, ib, t0, last))
        states = [np.concatenate(x) for x in (r_a, v_a, r_b, v_b)]
        t_s, d_m, k = self._refine(a, b, t0, *states)
        self.pairs_refined += n
        end = _END_TOLERANCE_STEPS
        inside = (k > end) & (k < self.steps - end)
        counted = inside | ((t0 <= 0.0) & (k <= end)) | (last & (k >= self.steps - end))
        keep = counted & (d_m <= self.threshold_m)
        return {"node_a": a[keep].astype(np.int32), "node_b": b[keep].astype(np.int32), "t_s": t_s[keep],
                "distance_m": d_m[keep]}

    def _refine(self, a, b, t0, r_a, v_a, r_b, v_b):
        """The closest approach of each pair over its interval, in calls of at most
        ``_MAX_BATCH`` pairs padded to a power of two (a few compiled sizes)."""
        import jax.numpy as jnp

        out = []
        for lo in range(0, a.size, _MAX_BATCH):
            sl = slice(lo, min(lo + _MAX_BATCH, a.size))
            n = sl.stop - sl.start
            size = max(_MIN_BATCH, 1 << math.ceil(math.log2(n)))

            def pad(x):
                x = x[sl]
                return np.concatenate([x, np.repeat(x[:1], size - n, axis=0)])

            res = self._fn(self.params, jnp.asarray(pad(a)), jnp.asarray(pad(b)), *(jnp.asarray(pad(x)) for x in
                                                                                     (r_a, v_a, r_b, v_b)),
                           jnp.asarray(pad(t0), jnp.float64), jnp.asarray(self.dt_s, jnp.float64), self.env)
            out.append([np.asarray(x)[:n] for x in res])
        return (np.concatenate(x) for x in zip(*out))


def closest_per_node(n_nodes: int, events: dict) -> dict:
    """Per node: the smallest approach distance [m], its time [s] and the other node's index
    (NaN, NaN, -1 for a node without approaches)."""
    distance = np.full(n_nodes, np.nan)
    time_s = np.full(n_nodes, np.nan)
    other = np.full(n_nodes, -1, np.int32)
    d = np.asarray(events["distance_m"], np.float64)
    if d.size:
        order = np.argsort(-d, kind="stable")  # largest first: the smallest is written last
        a, b = np.asarray(events["node_a"])[order], np.asarray(events["node_b"])[order]
        t, d = np.asarray(events["t_s"])[order], d[order]
        for me, you in ((a, b), (b, a)):
            # per node, the position of its last (smallest) entry in ``order``
            last = np.full(n_nodes, -1)
            last[me] = np.arange(me.size)
            has = last >= 0
            cand = d[last[has]]
            better = ~(cand >= distance[has])  # NaN (none yet) or smaller
            rows = np.nonzero(has)[0][better]
            pick = last[has][better]
            distance[rows], time_s[rows], other[rows] = d[pick], t[pick], you[pick]
    return {"closest_approach_distance": distance, "closest_approach_time": time_s,
            "closest_approach_node": other}


# --------------------------------------------------------------------------------------------
# The file
# --------------------------------------------------------------------------------------------

_EVENT_VARS = {  # name: (dtype, units, long_name)
    "node_a": (np.int32, "1", "index along node of the first node of the pair"),
    "node_b": (np.int32, "1", "index along node of the second node of the pair (node_b > node_a)"),
    "t_s": (np.float64, "s", "time of closest approach since the run epoch"),
    "distance_m": (np.float64, "m", "distance at closest approach"),
}


def create_group(f, threshold_m: float) -> None:
    """The (empty) group ``approaches`` in the open h5py file ``f``: dimension ``approach``
    (unlimited) and the variables of :data:`_EVENT_VARS`; attribute ``threshold_m``."""
    if GROUP in f:
        return
    g = f.create_group(GROUP, track_order=True)
    g.attrs["threshold_m"] = np.array([float(threshold_m)])
    g.attrs["long_name"] = "close approaches between nodes (local minima of a pair's separation)"
    scale = g.create_dataset("approach", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=(4096,),
                             track_order=True)
    scale.make_scale("approach")
    scale.attrs.create("_Netcdf4Dimid", np.int32(_DIM_ID))
    scale.attrs.create("_Netcdf4Coordinates", np.array([_DIM_ID], np.int32))
    for name, (dtype, units, long_name) in _EVENT_VARS.items():
        ds = g.create_dataset(name, shape=(0,), maxshape=(None,), dtype=dtype, chunks=(4096,),
                              compression="gzip", compression_opts=4, track_order=True)
        ds.dims[0].attach_scale(scale)
        ds.attrs.create("_Netcdf4Coordinates", np.array([_DIM_ID], np.int32))
        ds.attrs["units"] = units
        ds.attrs["long_name"] = long_name


def append_events(f, events: dict) -> None:
    """Append a chunk's approaches to the group (the caller flushes with the chunk)."""
    g = f[GROUP]
    n0 = g["approach"].shape[0]
    n = len(events["t_s"])
    if n == 0:
        return
    g["approach"].resize((n0 + n,))
    g["approach"][n0:] = np.arange(n0, n0 + n, dtype=np.int32)
    for name in _EVENT_VARS:
        g[name].resize((n0 + n,))
        g[name][n0:] = np.asarray(events[name])


def truncate_events(f, t_max_s: float) -> None:
    """Drop the approaches after ``t_max_s`` (a resumed run continues from there)."""
    if GROUP not in f:
        return
    g = f[GROUP]
    keep = int(np.count_nonzero(g["t_s"][...] <= t_max_s))
    for name in ("approach", *_EVENT_VARS):
        g[name].resize((keep,))


def read_events(path) -> dict[str, Any] | None:
    """``{"node": names, "epoch": ISO text, "threshold_m": float, node_a, node_b, t_s,
    distance_m}`` from a result file, or None if the run did not screen approaches."""
    import h5py

    with h5py.File(path, "r") as f:
        if GROUP not in f:
            return None
        g = f[GROUP]
        out = {name: g[name][...] for name in _EVENT_VARS}
        out["threshold_m"] = float(np.ravel(g.attrs["threshold_m"])[0])
        out["node"] = [s.decode() if isinstance(s, bytes) else str(s) for s in f["node"][...]]
        epoch = f.attrs.get("epoch")
        out["epoch"] = epoch.decode() if isinstance(epoch, bytes) else str(np.ravel(epoch)[0] if
                                                                          isinstance(epoch, np.ndarray) else epoch)
    return out


def iso_time(epoch_iso: str, t_s: float) -> str:
    """ISO 8601 UTC with milliseconds and ``Z`` of ``t_s`` seconds after ``epoch_iso``."""
    from datetime import datetime, timedelta, timezone

    epoch = datetime.fromisoformat(epoch_iso.replace("Z", "+00:00")).astimezone(timezone.utc)
    when = epoch + timedelta(milliseconds=round(float(t_s) * 1000.0))
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def approach_records(path, below_m: float | None = None) -> list[dict] | None:
    """The file's approaches as dicts ``node_a``, ``node_b`` (names), ``t_s``, ``time``,
    ``distance_m``, in time order; ``below_m``: only those at or below it. None: not screened."""
    ev = read_events(path)
    if ev is None:
        return None
    order = np.lexsort((ev["node_b"], ev["node_a"], ev["t_s"]))
    out = []
    for i in order:
        d = float(ev["distance_m"][i])
        if below_m is not None and d > below_m:
            continue
        t = float(ev["t_s"][i])
        out.append({"node_a": ev["node"][int(ev["node_a"][i])], "node_b": ev["node"][int(ev["node_b"][i])],
                    "t_s": round(t, 3), "time": iso_time(ev["epoch"], t), "distance_m": round(d, 3)})
    return out


# --------------------------------------------------------------------------------------------
# In a run (orbital_sim/runner.py)
# --------------------------------------------------------------------------------------------

#: the samples the screening needs from every chunk (taken from the kernel, written only if asked)
SCREEN_VARIABLES = ("position_eci", "velocity_eci")


class RunScreen:
    """The screening of one run: the file's group (created, or cut back to the restart time of
    a resumed run), the chunks' approaches appended before each chunk's flush, and the per-node
    summary at the end."""

    def __init__(self, cfg: ApproachesConfig, writer, *, params, propagator, env, simulation, state,
                 t0_s: float, total_outputs: int):
        self.writer = writer
        f = writer._require_open()
        create_group(f, cfg.threshold_m)
        truncate_events(f, t0_s)
        self.screener = Screener(
            params=params, propagator=propagator, env=env, dt_s=simulation.step_s,
            steps_per_output=int(round(simulation.output_every_s / simulation.step_s)),
            threshold_m=cfg.threshold_m, t0_s=t0_s, r0=np.asarray(state.r_eci_m, np.float64),
            v0=np.asarray(state.v_eci_m_s, np.float64), t_end_s=total_outputs * simulation.output_every_s)

    def chunk(self, times_s, samples, n_valid: int, n_nodes: int) -> None:
        r = np.asarray(samples["position_eci"])[:n_valid, :n_nodes]
        v = np.asarray(samples["velocity_eci"])[:n_valid, :n_nodes]
        append_events(self.writer._require_open(), self.screener.feed(times_s, r, v))

    def summary(self, n_nodes: int) -> dict:
        g = self.writer._require_open()[GROUP]
        return closest_per_node(n_nodes, {name: g[name][...] for name in _EVENT_VARS})


def format_records(records: list[dict], below_m: float | None = None) -> str:
    """A plain-text table of :func:`approach_records` (closest first in each line's order of time)."""
    if not records:
        return "no approaches" + (f" at or below {below_m:g} m" if below_m is not None else "")
    wa = max(len("node_a"), *(len(r["node_a"]) for r in records))
    wb = max(len("node_b"), *(len(r["node_b"]) for r in records))
    lines = [f"{'time (UTC)':<24}  {'t (s)':>12}  {'node_a':<{wa}}  {'node_b':<{wb}}  {'distance (m)':>12}"]
    for r in records:
        lines.append(f"{r['time']:<24}  {r['t_s']:>12.3f}  {r['node_a']:<{wa}}  {r['node_b']:<{wb}}  "
                     f"{r['distance_m']:>12.3f}")
    closest = min(records, key=lambda r: r["distance_m"])
    lines.append(f"{len(records)} approaches; closest {closest['distance_m']:.3f} m between {closest['node_a']} "
                 f"and {closest['node_b']} at {closest['time']}")
    return "\n".join(lines)
