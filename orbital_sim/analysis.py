"""Eclipse analysis of simulation results: contact times and eclipse seasons (NumPy + h5py).

Command line (``python -m orbital_sim.analysis --help``)::

    python -m orbital_sim.analysis events RESULT.h5 [--node NAME]
    python -m orbital_sim.analysis season CONFIG.toml [--days 365] [--step 10] [--node NAME]

Python: :func:`eclipse_events` (contact times from a result file), :func:`eclipse_passes`
(the same from plain arrays), :func:`eclipse_season` (run a scenario for a year and summarise
its eclipses per day).

Contact times from a sampled sunlit fraction
--------------------------------------------
Seen from the satellite, the Earth's limb crosses the solar disk. Penumbra contact (first and
fourth contact) is when the two disks touch from outside, umbra contact (second and third)
when the Sun's disk touches the Earth's from inside; in between, the sunlit fraction f goes
from 1 to 0 and it leaves 1 (and 0) like (t - t_contact)^(3/2), so a threshold on the samples
("f < 1") finds a contact only to about one sample interval.

Instead each sample inside a crossing is turned into the depth of the limb in the solar disk,
x = G^-1(f) in [-1, 1], where G(x) = 1 - (arccos x - x sqrt(1 - x^2)) / pi is the visible
fraction of a uniform disk of unit radius cut by a straight edge at signed distance x from its
centre. With the limb's curvature neglected, x = (c - theta_e) / theta_s (c: angle between the
Earth's and the Sun's centres, theta_e and theta_s their angular radii), a smooth, nearly
linear function of time; x = +1 is penumbra contact, x = -1 umbra contact and x = 0 puts the
Sun's centre on the limb (the conical counterpart of the cylindrical shadow edge). The contact
times are the roots of a low-order polynomial fitted to x(t) on the samples nearest each level
(quadratic on up to 5 samples; linear with 2-3), clipped to the interval that the samples on
either side allow.

Accuracy: x = +-1 hold exactly for the true geometry, whatever the limb's curvature: the
straight-edge G only distorts x inside the crossing, by about (1 - |x|) theta_s / (3 theta_e)
(1e-3 in LEO, 1 % in GEO), which vanishes at the contacts. With two or more samples in a
crossing (LEO at beta = 0: about 9 s; dawn-dusk SSO: about 25 s; GEO: about 2 min), the contact
times come out within a few milliseconds of the sunlit fraction's true contacts (tested on
exact fractions in tests/app/test_eclipse_timing.py, up to 30 s samples in GEO). The Sun's
centre on the limb (``half_*``, x = 0) is not a contact, so there the straight edge biases the
time by about 1e-4 of the crossing in LEO (1 ms) and 0.25 % in GEO (0.3 s, late on entry,
early on exit). With one sample in a crossing the slope is borrowed from the pass's other
crossing (or the nearest pass); with none, the contacts are only known to within the sample
interval (the record's ``penumbra_samples`` says which case applies). A pass whose samples
show penumbra but no umbra is checked for an umbra hidden between two samples by a parabola
through the deepest samples.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np

__all__ = [
    "PASS_FIELDS",
    "SeasonResult",
    "eclipse_events",
    "eclipse_passes",
    "eclipse_season",
    "format_events",
    "format_season",
    "main",
    "segment_depth",
    "season_from_result",
    "segment_fraction",
]

#: a sample is fully sunlit when f >= 1 - SUNLIT_TOL, in umbra when f <= SUNLIT_TOL
SUNLIT_TOL = 1e-12
#: samples used by each local fit of the limb depth
FIT_SAMPLES = 5

#: fields of a pass record (:func:`eclipse_passes`), all float64 arrays with one value per pass
PASS_FIELDS = (
    "penumbra_entry",  # [s] first contact: the Earth's limb starts to cover the Sun
    "half_entry",  # [s] the Sun's centre on the limb, entering (NaN if it never reaches it)
    "umbra_entry",  # [s] second contact: the Sun fully hidden (NaN if no umbra)
    "umbra_exit",  # [s] third contact (NaN if no umbra)
    "half_exit",  # [s] the Sun's centre on the limb, leaving
    "penumbra_exit",  # [s] fourth contact: the Sun fully visible again
    "umbra_s",  # [s] umbra_exit - umbra_entry (0 for a penumbral pass)
    "total_s",  # [s] penumbra_exit - penumbra_entry: any part of the Sun hidden
    "central_s",  # [s] half_exit - half_entry: Sun's centre hidden (cylindrical counterpart)
    "min_fraction",  # [1] the smallest sampled sunlit fraction in the pass
    "beta_rad",  # [rad] mean sampled beta angle over the pass (NaN if not given)
    "penumbra_samples",  # [1] fewest samples inside one of the pass's penumbra crossings
)


# --------------------------------------------------------------------------------------------
# Limb depth: the visible fraction of a disk cut by a straight edge, and its inverse
# --------------------------------------------------------------------------------------------


def segment_fraction(x):
    """Visible fraction G(x) in [0, 1] of a uniform disk of unit radius whose part beyond a
    straight edge at signed distance x from the centre is hidden: G(1) = 1, G(0) = 1/2,
    G(-1) = 0. ``x`` is clipped to [-1, 1]."""
    x = np.clip(np.asarray(x, dtype=np.float64), -1.0, 1.0)
    return 1.0 - (np.arccos(x) - x * np.sqrt(1.0 - x * x)) / np.pi


def segment_depth(fraction):
    """Inverse of :func:`segment_fraction`: x in [-1, 1] with G(x) = ``fraction`` (clipped to
    [0, 1]); bisection to 1e-15 (G is increasing). Any shape."""
    f = np.clip(np.asarray(fraction, dtype=np.float64), 0.0, 1.0)
    lo = np.full(f.shape, -1.0)
    hi = np.full(f.shape, 1.0)
    for _ in range(52):
        mid = 0.5 * (lo + hi)
        below = segment_fraction(mid) < f
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return 0.5 * (lo + hi)


# --------------------------------------------------------------------------------------------
# Contact times from samples
# --------------------------------------------------------------------------------------------


def _fit_crossing(t, x, level, t_lo, t_hi, slope_hint=None):
    """Time in [t_lo, t_hi] where the limb depth x(t) sampled at (t, x) crosses ``level``.

    Fits a polynomial (degree 2 with >= 4 samples, else 1) to the FIT_SAMPLES samples whose x
    is nearest the level and takes the real root nearest those samples. With one sample,
    ``slope_hint`` (dx/dt) gives the line through it; without samples, a crossing of that
    slope centred in the interval; without slope either, the middle of the interval.
    """
    n = len(t)
    if n >= 2:
        order = np.argsort(np.abs(x - level), kind="stable")[:FIT_SAMPLES]
        order = np.sort(order)
        ts, xs = t[order], x[order]
        t0 = ts[np.argmin(np.abs(xs - level))]
        scale = max(float(np.ptp(ts)), 1e-9)
        tau = (ts - t0) / scale
        for degree in ((2, 1) if len(ts) >= 4 else (1,)):
            coeffs = np.polyfit(tau, xs, degree)
            coeffs[-1] -= level
            roots = np.roots(coeffs)
            roots = roots[np.abs(roots.imag) < 1e-9].real
            if roots.size:
                root = t0 + scale * roots[np.argmin(np.abs(roots))]
                return float(np.clip(root, t_lo, t_hi))
    usable = slope_hint is not None and np.isfinite(slope_hint) and slope_hint != 0
    if n == 1 and usable:
        return float(np.clip(t[0] + (level - x[0]) / slope_hint, t_lo, t_hi))
    if n == 0 and usable:  # no sample inside: centre the crossing in the interval
        return float(np.clip(0.5 * (t_lo + t_hi) + level / slope_hint, t_lo, t_hi))
    return 0.5 * (t_lo + t_hi)


def _edge_slope(t, x):
    """dx/dt of a crossing from its samples (least squares line), or NaN with < 2 samples."""
    if len(t) < 2:
        return float("nan")
    return float(np.polyfit(t - t[0], x, 1)[0])


def _slope_hint(slopes, mid, k, side):
    """dx/dt for crossing ``side`` (0 entry, 1 exit) of pass k: its own, else the mirrored
    other crossing of the same pass, else the same crossing of the nearest pass in time."""
    if np.isfinite(slopes[k, side]):
        return float(slopes[k, side])
    if np.isfinite(slopes[k, 1 - side]):
        return float(-slopes[k, 1 - side])
    ok = np.nonzero(np.isfinite(slopes[:, side]))[0]
    if ok.size:
        return float(slopes[ok[np.argmin(np.abs(mid[ok] - mid[k]))], side])
    return None


def _crossing_bracket(t_edge, x_edge, level, t_outer, t_inner, falling):
    """The interval that must hold the crossing of ``level`` on one edge of a pass: walking
    from the fully sunlit sample (``t_outer``) inward through the edge's samples to the umbra
    sample (``t_inner``, or None), between the last sample at or above the level and the first
    below it. None if the level is not crossed."""
    seq_t = t_edge if falling else t_edge[::-1]
    seq_x = x_edge if falling else x_edge[::-1]
    inner = [t_inner] if t_inner is not None else []
    times = np.concatenate([np.array([t_outer], dtype=np.float64), seq_t, np.array(inner, dtype=np.float64)])
    above = np.concatenate([np.array([True]), seq_x >= level, np.zeros(len(inner), dtype=bool)])
    below = np.nonzero(~above)[0]
    if below.size == 0:
        return None
    a, b = times[below[0] - 1], times[below[0]]
    return (min(a, b), max(a, b))


def _split_pass(f, x, i0, i1):
    """Sample indices of a pass's entry and exit crossings, and of its first and last umbra
    samples (None without). A penumbral pass is split at its deepest sample, which both
    halves share."""
    idx = np.arange(i0, i1 + 1)
    umbra = f[idx] <= SUNLIT_TOL
    if umbra.any():
        u0, u1 = int(idx[umbra][0]), int(idx[umbra][-1])
        return np.arange(i0, u0), np.arange(u1 + 1, i1 + 1), u0, u1
    k = i0 + int(np.argmin(x[idx]))
    return np.arange(i0, k + 1), np.arange(k, i1 + 1), None, None


def _pass_record(t, f, x, i0, i1, beta, split, hint_in, hint_out):
    """Record (dict of PASS_FIELDS) for the shadow pass on samples i0..i1 (inclusive).

    ``split``: :func:`_split_pass` of the pass; ``hint_in``, ``hint_out``: dx/dt of the entry
    and exit crossings to use where a crossing holds a single sample.
    """
    nan = float("nan")
    rec = dict.fromkeys(PASS_FIELDS, nan)
    idx = np.arange(i0, i1 + 1)
    rec["min_fraction"] = float(np.min(f[idx]))
    if beta is not None:
        rec["beta_rad"] = float(np.mean(beta[idx]))
    t_before = t[i0 - 1] if i0 > 0 else None  # last fully sunlit sample before the pass
    t_after = t[i1 + 1] if i1 + 1 < len(f) else None  # first fully sunlit sample after it
    entry, exit_, u0, u1 = split
    has_umbra_sample = u0 is not None
    rec["penumbra_samples"] = float(min(len(entry), len(exit_)))

    levels = (("penumbra", 1.0), ("half", 0.0), ("umbra", -1.0))
    for side, samples, t_outer, t_inner, falling, hint in (
            ("entry", entry, t_before, t[u0] if has_umbra_sample else None, True, hint_in),
            ("exit", exit_, t_after, t[u1] if has_umbra_sample else None, False, hint_out)):
        if t_outer is None:  # the pass is cut by the start or the end of the series
            continue
        for name, level in levels:
            br = _crossing_bracket(t[samples], x[samples], level, t_outer, t_inner, falling)
            if br is not None:
                rec[f"{name}_{side}"] = _fit_crossing(t[samples], x[samples], level, br[0], br[1], hint)

    complete = t_before is not None and t_after is not None
    if not has_umbra_sample and len(idx) >= 3:
        _hidden_umbra(t[idx], x[idx], rec)
    if not has_umbra_sample and np.isnan(rec["umbra_entry"]) and complete:
        rec["umbra_s"] = 0.0
    else:
        rec["umbra_s"] = rec["umbra_exit"] - rec["umbra_entry"]
    rec["total_s"] = rec["penumbra_exit"] - rec["penumbra_entry"]
    if np.min(x[idx]) > 0 and complete:
        rec["central_s"] = 0.0
    else:
        rec["central_s"] = rec["half_exit"] - rec["half_entry"]
    return rec


def _hidden_umbra(t, x, rec):
    """Umbra between two samples of a penumbral pass: a parabola through the deepest samples
    (up to 5 around the minimum) that dips below x = -1 gives the umbra contacts."""
    k = int(np.argmin(x))
    sel = slice(max(0, k - 2), min(len(x), k + 3))
    ts, xs = t[sel], x[sel]
    if len(ts) < 3:
        return
    t0, scale = t[k], max(float(np.ptp(ts)), 1e-9)
    a, b, c = np.polyfit((ts - t0) / scale, xs, 2)
    if a <= 0:
        return
    vertex = -b / (2 * a)
    if c - b * b / (4 * a) >= -1.0 or not (ts[0] - t0) / scale <= vertex <= (ts[-1] - t0) / scale:
        return
    half_width = math.sqrt(b * b - 4 * a * (c + 1.0)) / (2 * a)
    rec["umbra_entry"] = t0 + scale * (vertex - half_width)
    rec["umbra_exit"] = t0 + scale * (vertex + half_width)


def eclipse_passes(t_s, sunlit, beta_rad=None) -> dict[str, np.ndarray]:
    """Eclipse passes and their contact times from a sampled sunlit-fraction series.

    ``t_s``: (n,) increasing sample times [s]; ``sunlit``: (n,) sunlit fraction in [0, 1]
    (non-finite samples, e.g. after a node fault, are dropped); ``beta_rad``: optional (n,)
    beta angle [rad] (averaged over each pass).
    A pass is a maximal run of samples that are not fully sunlit. Returns a dict of
    :data:`PASS_FIELDS` -> (n_passes,) float64 arrays, in time order; a contact that falls
    outside the series (pass cut by the start or the end) is NaN. See the module docstring for
    the method and its accuracy.
    """
    t = np.asarray(t_s, dtype=np.float64)
    f = np.asarray(sunlit, dtype=np.float64)
    beta = None if beta_rad is None else np.asarray(beta_rad, dtype=np.float64)
    keep = np.isfinite(f)
    t, f = t[keep], f[keep]
    if beta is not None:
        beta = beta[keep]
    records = []
    if f.size:
        shadow = f < 1.0 - SUNLIT_TOL
        edges = np.diff(shadow.astype(np.int8))
        starts = list(np.nonzero(edges == 1)[0] + 1)
        ends = list(np.nonzero(edges == -1)[0])
        if shadow[0]:
            starts.insert(0, 0)
        if shadow[-1]:
            ends.append(f.size - 1)
        x = np.ones_like(f)
        x[shadow] = segment_depth(f[shadow])
        splits = [_split_pass(f, x, i0, i1) for i0, i1 in zip(starts, ends)]
        slopes = np.array([[_edge_slope(t[s[0]], x[s[0]]), _edge_slope(t[s[1]], x[s[1]])] for s in splits],
                          dtype=np.float64).reshape(-1, 2)  # NaN where a crossing has < 2 samples
        mid = np.array([0.5 * (t[i0] + t[i1]) for i0, i1 in zip(starts, ends)])
        for k, ((i0, i1), split) in enumerate(zip(zip(starts, ends), splits)):
            hint_in, hint_out = (_slope_hint(slopes, mid, k, side) for side in (0, 1))
            records.append(_pass_record(t, f, x, i0, i1, beta, split, hint_in, hint_out))
    return {name: np.asarray([r[name] for r in records], dtype=np.float64) for name in PASS_FIELDS}


# --------------------------------------------------------------------------------------------
# Result files
# --------------------------------------------------------------------------------------------


def _node_index(names: Sequence[str], node) -> int:
    if node is None:
        return 0
    if isinstance(node, (int, np.integer)):
        if not -len(names) <= int(node) < len(names):
            raise IndexError(f"node index {node} out of range: the file has {len(names)} nodes")
        return int(node) % len(names)
    names = list(names)
    if node not in names:
        raise KeyError(f"node {node!r} not in the file (nodes: {', '.join(names[:5])}"
                       f"{', ...' if len(names) > 5 else ''})")
    return names.index(node)


def _read_series(ds_or_path, node):
    """(t_s, sunlit, beta or None, epoch ISO string, node name) of one node."""
    if isinstance(ds_or_path, (str, os.PathLike)):
        import h5py

        try:
            h5 = h5py.File(ds_or_path, "r")
        except BlockingIOError:  # a running writer holds the lock: read what is flushed
            h5 = h5py.File(ds_or_path, "r", locking=False)
        with h5:
            names = [s for s in h5["node"].asstr()[...]]
            k = _node_index(names, node)
            if "sunlit_fraction" not in h5:
                raise KeyError(f"{ds_or_path}: no sunlit_fraction variable (add it to output.variables)")
            t = np.asarray(h5["time"][...], dtype=np.float64)
            sunlit = np.asarray(h5["sunlit_fraction"][:, k], dtype=np.float64)
            beta = np.asarray(h5["beta_angle"][:, k], dtype=np.float64) if "beta_angle" in h5 else None
            epoch = h5.attrs.get("epoch", "")
            epoch = epoch.decode() if isinstance(epoch, bytes) else str(epoch)
            return t, sunlit, beta, epoch, names[k]
    ds = ds_or_path  # an xarray.Dataset from orbital_sim.open_results
    names = [str(n) for n in ds["node"].values]
    k = _node_index(names, node)
    epoch = str(ds.attrs.get("epoch", ""))
    time = ds["time"].values
    if np.issubdtype(time.dtype, np.datetime64):
        start = np.datetime64(epoch.rstrip("Z"), "ns")
        t = (time - start).astype("timedelta64[ns]").astype(np.float64) * 1e-9
    else:
        t = np.asarray(time, dtype=np.float64)
    sunlit = np.asarray(ds["sunlit_fraction"].values[:, k], dtype=np.float64)
    beta = np.asarray(ds["beta_angle"].values[:, k], dtype=np.float64) if "beta_angle" in ds else None
    return t, sunlit, beta, epoch, names[k]


def eclipse_events(ds_or_path, node=None) -> dict[str, Any]:
    """Eclipse contact times of one node from a result file.

    ``ds_or_path``: path of an orbital_sim HDF5 result, or the ``xarray.Dataset`` of
    ``orbital_sim.open_results``; it must hold ``sunlit_fraction`` (and, optionally,
    ``beta_angle``), sampled often enough to put two samples in each penumbra crossing for
    sub-second contacts (1 s in LEO; see the module docstring). ``node``: name or index
    (default: the first node).
    Returns the :func:`eclipse_passes` dict (times in s since the epoch) plus ``node`` (its
    name), ``epoch`` (ISO string) and ``sample_interval_s``.
    """
    t, sunlit, beta, epoch, name = _read_series(ds_or_path, node)
    out: dict[str, Any] = eclipse_passes(t, sunlit, beta)
    out["node"] = name
    out["epoch"] = epoch
    out["sample_interval_s"] = float(np.median(np.diff(t))) if t.size > 1 else float("nan")
    return out


def _fmt_s(x: float, decimals: int = 2) -> str:
    return "        -" if not np.isfinite(x) else f"{x:9.{decimals}f}"


#: samples at most this far apart put two or more samples in a LEO penumbra crossing (about 9 s
#: at beta = 0), where the contact fit is good to milliseconds; beyond it a contact is known
#: only to about the sample interval (a penumbra may read 0 s or one interval)
FINE_SAMPLES_S = 5.0


def events_resolution(sample_interval_s: float, crossings_s=()) -> tuple[int, str | None]:
    """``(decimals, warning)`` for printing contact times from samples ``sample_interval_s``
    apart. Fine (2 decimals, no warning) when every penumbra crossing in ``crossings_s``
    (umbra entry - penumbra entry, penumbra exit - umbra exit) holds two samples or more, or,
    with no crossing known, when the samples are at most FINE_SAMPLES_S apart; else 1 decimal
    (up to 10 s) or 0 and a warning line that states the resolution."""
    dt = float(sample_interval_s)
    crossings = np.asarray(crossings_s, dtype=np.float64).reshape(-1)
    crossings = crossings[np.isfinite(crossings)]
    fine = crossings.min() >= 2.0 * dt if crossings.size else dt <= FINE_SAMPLES_S
    if not np.isfinite(dt) or fine:
        return 2, None
    decimals = 1 if dt <= 10.0 else 0
    return decimals, (f"warning: samples every {dt:g} s, fewer than two in a penumbra crossing (LEO: about "
                      f"9-25 s), so these contact times and durations are resolved to about {dt:g} s (printed to "
                      f"{10.0 ** -decimals:g} s); write sunlit_fraction every {FINE_SAMPLES_S:g} s or less "
                      "(simulation.output_every_s) for contacts to about a millisecond")


def format_events(events: dict[str, Any]) -> str:
    """A text table of :func:`eclipse_events` (one line per pass)."""
    try:
        epoch = _dt.datetime.fromisoformat(events["epoch"].replace("Z", "+00:00"))
    except ValueError:
        epoch = None
    crossings = np.concatenate([np.asarray(events["umbra_entry"]) - np.asarray(events["penumbra_entry"]),
                                np.asarray(events["penumbra_exit"]) - np.asarray(events["umbra_exit"])])
    decimals, warning = events_resolution(events["sample_interval_s"], crossings)
    lines = [f"node {events['node']}: {len(events['penumbra_entry'])} eclipse pass(es); times in s since "
             f"{events['epoch']} (samples every {events['sample_interval_s']:g} s)"]
    if warning:  # coarse samples: say the resolution (in-step event location: `orbital-sim events`)
        lines.append(warning)
    lines.append("  pen. entry (UTC)       pen. entry  umbra entry  umbra exit   pen. exit    umbra s    total s"
                 "   beta deg")
    for k in range(len(events["penumbra_entry"])):
        start, beta = events["penumbra_entry"][k], events["beta_rad"][k]
        utc = (epoch + _dt.timedelta(seconds=float(start))).strftime("%Y-%m-%d %H:%M:%S") \
            if epoch is not None and np.isfinite(start) else "-".ljust(19)
        d = decimals
        lines.append("  ".join([
            "  " + utc, _fmt_s(start, d), "  " + _fmt_s(events["umbra_entry"][k], d),
            " " + _fmt_s(events["umbra_exit"][k], d), " " + _fmt_s(events["penumbra_exit"][k], d),
            _fmt_s(events["umbra_s"][k], d), _fmt_s(events["total_s"][k], d),
            "       -" if not np.isfinite(beta) else f"{math.degrees(beta):8.3f}",
        ]))
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Eclipse seasons
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SeasonResult:
    """Eclipses of one node, day by day (UTC days from the run's start).

    Per-day arrays have one value per day; durations are the longest pass of the day and 0 on
    a day without that kind of shadow.
    """

    node: str  #: node name
    start: _dt.datetime  #: UTC start of the run (the first day's start)
    step_s: float  #: [s] simulator step and output interval
    propagator: str  #: the orbit propagator used
    dates: list  #: datetime.date of each day
    has_umbra: np.ndarray  #: bool (days,): some umbra that day
    has_shadow: np.ndarray  #: bool (days,): some penumbra or umbra that day
    longest_umbra_s: np.ndarray  #: [s] (days,) longest umbra
    longest_total_s: np.ndarray  #: [s] (days,) longest penumbra-to-penumbra eclipse
    longest_central_s: np.ndarray  #: [s] (days,) longest time with the Sun's centre hidden
    min_abs_beta_rad: np.ndarray  #: [rad] (days,) smallest |beta| sampled that day
    passes: dict  #: the eclipse_passes dict of the whole run
    wall_s: float  #: [s] wall time of the simulation (NaN when read from an existing file)

    @property
    def days_with_umbra(self) -> int:
        """Number of days with some umbra."""
        return int(np.count_nonzero(self.has_umbra))

    @property
    def days_with_shadow(self) -> int:
        """Number of days with some penumbra or umbra."""
        return int(np.count_nonzero(self.has_shadow))

    def longest(self, kind: str = "umbra") -> tuple[float, _dt.date | None]:
        """(duration s, date) of the longest eclipse of a kind: umbra, total or central."""
        per_day = {"umbra": self.longest_umbra_s, "total": self.longest_total_s,
                   "central": self.longest_central_s}[kind]
        if per_day.size == 0 or not np.any(per_day > 0):
            return 0.0, None
        k = int(np.nanargmax(per_day))
        return float(per_day[k]), self.dates[k]


def _select_node(config, node):
    """A copy of ``config`` that keeps only one node (name or index; default the first)."""
    from orbital_sim.constellation import NodeGroup

    names = config.node_names
    k = _node_index(names, node)
    offset = 0
    for g_index, group in enumerate(config.constellation):
        if k < offset + group.n_nodes:
            j = k - offset
            pick = {key: value[j:j + 1] for key, value in (group.elements or group.states).items()}
            group1 = NodeGroup(class_name=group.class_name, names=[group.names[j]],
                               elements=pick if group.elements is not None else None,
                               states=pick if group.states is not None else None,
                               formation=None if group.formation is None else {
                                   key: (value if key == "reference_elements" or value is None else value[j:j + 1])
                                   for key, value in group.formation.items()})
            entries = tuple(config.constellation_entries)
            entries = entries[g_index:g_index + 1] if entries else entries
            return dataclasses.replace(config, constellation=[group1], constellation_entries=entries)
        offset += group.n_nodes
    raise IndexError(node)


def eclipse_season(config, *, days: float = 365.0, step_s: float = 10.0, start: str | None = None,
                   node=None, propagator: str | None = "j2_secular", out=None,
                   progress: bool = False) -> SeasonResult:
    """Run one node of a scenario for ``days`` days and summarise its eclipses day by day.

    ``config``: a TOML path or a ``Config`` (``orbital_sim.load_config``); its node classes
    and constellation are used as written. ``start``: UTC ISO 8601 start (default: the
    config's epoch); the constellation is placed at that epoch (for ``sso`` entries: the LTAN
    is the one at the start). ``step_s``: simulator step and output interval [s]: each penumbra
    crossing should hold two samples (a dawn-dusk SSO crosses in about 25 s; at beta = 0 in
    LEO, 9 s); a year of one node at 10 s takes about 100 s on one CPU core. ``node``: name or
    index (default the first). ``propagator``: ``j2_secular`` (default: mean elements, no
    short-period terms), ``cowell``, or None for the config's. ``out``: keep the HDF5 result
    there (default: a temporary file, deleted).
    Days are UTC days counted from the start; a pass belongs to the day of its middle.
    """
    from orbital_sim.config import load_config
    from orbital_sim.runner import run

    duration_s = round(days * 86400.0 / step_s) * step_s
    overrides = [f"simulation.duration_s={duration_s!r}", f"simulation.step_s={float(step_s)!r}",
                 f"simulation.output_every_s={float(step_s)!r}",
                 'output.variables=["sunlit_fraction", "beta_angle"]']
    if start is not None:
        overrides.append(f'simulation.epoch="{start}"')
    if propagator is not None:
        overrides.append(f'simulation.propagator="{propagator}"')
        if propagator == "j2_secular":  # it models J2 alone (config refuses J3/J4 or drag with it)
            overrides += ["simulation.zonal_harmonics=2", 'simulation.drag="none"']
    with tempfile.TemporaryDirectory(prefix="orbital_sim_season_") as tmp:
        if isinstance(config, (str, os.PathLike)):
            cfg = load_config(config, overrides)
        else:
            source = Path(tmp) / "config.toml"
            source.write_text(config.source_toml, encoding="utf-8")
            cfg = load_config(source, overrides)
        cfg = _select_node(cfg, node)
        path = Path(out) if out is not None else Path(tmp) / "season.h5"
        result = run(cfg, out=path, overwrite=True, progress=progress)
        season = season_from_result(path, 0)
    return dataclasses.replace(season, wall_s=result.wall_s)


def season_from_result(ds_or_path, node=None) -> SeasonResult:
    """Day-by-day eclipse summary of one node of an existing result file (or Dataset) that
    holds ``sunlit_fraction`` (and ``beta_angle`` for the per-day |beta|). Days are UTC days
    counted from the run's epoch; a pass belongs to the day of its middle. See
    :func:`eclipse_season` for the sampling it needs."""
    events = eclipse_events(ds_or_path, node)
    t, _, beta, epoch_iso, name = _read_series(ds_or_path, node)
    attrs = _read_attrs(ds_or_path)
    epoch = _dt.datetime.fromisoformat(epoch_iso.replace("Z", "+00:00"))
    if epoch.tzinfo is None:
        epoch = epoch.replace(tzinfo=_dt.timezone.utc)
    step_s = float(np.median(np.diff(t))) if t.size > 1 else float("nan")
    n_days = int(math.ceil((t[-1] if t.size else 0.0) / 86400.0 - 1e-9))
    mid = 0.5 * (events["penumbra_entry"] + events["penumbra_exit"])
    # a pass cut by the start or end of the run: place it by whichever contact is known
    known = np.where(np.isfinite(events["penumbra_entry"]), events["penumbra_entry"], events["penumbra_exit"])
    day_of_pass = np.floor(np.where(np.isfinite(mid), mid, known) / 86400.0)

    def per_day(values):
        out = np.zeros(n_days)
        for d, v in zip(day_of_pass, values):
            if np.isfinite(d) and 0 <= d < n_days and np.isfinite(v):
                out[int(d)] = max(out[int(d)], v)
        return out

    has_umbra = np.zeros(n_days, dtype=bool)
    has_shadow = np.zeros(n_days, dtype=bool)
    for d, umbra_s, min_fraction in zip(day_of_pass, events["umbra_s"], events["min_fraction"]):
        if np.isfinite(d) and 0 <= d < n_days:
            has_shadow[int(d)] = True
            # umbra: a fitted umbra (also one hidden between two samples) or an umbra sample
            has_umbra[int(d)] |= bool(umbra_s > 0) or bool(min_fraction <= SUNLIT_TOL)
    min_beta = np.full(n_days, np.nan)
    if beta is not None:
        day_index = np.floor((t - 1e-9) / 86400.0).astype(int)
        valid = (day_index >= 0) & (day_index < n_days) & np.isfinite(beta)
        np.fmin.at(min_beta, day_index[valid], np.abs(beta[valid]))
    return SeasonResult(
        node=name, start=epoch, step_s=step_s, propagator=str(attrs.get("propagator", "?")),
        dates=[(epoch + _dt.timedelta(days=d)).date() for d in range(n_days)],
        has_umbra=has_umbra, has_shadow=has_shadow,
        longest_umbra_s=per_day(events["umbra_s"]), longest_total_s=per_day(events["total_s"]),
        longest_central_s=per_day(events["central_s"]), min_abs_beta_rad=min_beta,
        passes={k: events[k] for k in PASS_FIELDS}, wall_s=float("nan"),
    )


def _read_attrs(ds_or_path) -> dict:
    """Root attributes as plain Python values."""
    if not isinstance(ds_or_path, (str, os.PathLike)):
        return dict(ds_or_path.attrs)
    import h5py

    try:
        h5 = h5py.File(ds_or_path, "r")
    except BlockingIOError:
        h5 = h5py.File(ds_or_path, "r", locking=False)
    with h5:
        out = {}
        for key, value in h5.attrs.items():
            if isinstance(value, bytes):
                value = value.decode()
            elif isinstance(value, np.ndarray) and value.size == 1:
                value = value.item()
            out[key] = value
        return out


def _spans(dates, mask):
    """'2026-05-09 .. 2026-08-04' style runs of consecutive True days."""
    out, k = [], 0
    while k < len(mask):
        if mask[k]:
            j = k
            while j + 1 < len(mask) and mask[j + 1]:
                j += 1
            out.append(f"{dates[k]} .. {dates[j]}" if j > k else f"{dates[k]}")
            k = j + 1
        else:
            k += 1
    return ", ".join(out) if out else "none"


def format_season(season: SeasonResult) -> str:
    """A text summary of :func:`eclipse_season`."""
    n = len(season.dates)
    lines = [
        f"node {season.node}: {n} days from {season.start.isoformat()} ({season.propagator}, step "
        f"{season.step_s:g} s{f', {season.wall_s:.0f} s wall' if np.isfinite(season.wall_s) else ''})",
        f"  days with umbra:              {season.days_with_umbra:4d}   ({_spans(season.dates, season.has_umbra)})",
        f"  days with penumbra or umbra:  {season.days_with_shadow:4d}   ({_spans(season.dates, season.has_shadow)})",
    ]
    for kind, label in (("umbra", "umbra"), ("total", "penumbra + umbra"), ("central", "Sun's centre hidden")):
        dur, date = season.longest(kind)
        lines.append(f"  longest eclipse, {label + ':':21s}{dur / 60:7.2f} min ({dur:7.1f} s)"
                     + (f" on {date}" if date else ""))
    if np.any(np.isfinite(season.min_abs_beta_rad)):
        lines.append(f"  smallest |beta|: {math.degrees(np.nanmin(season.min_abs_beta_rad)):.3f} deg")
    samples = season.passes["penumbra_samples"]
    if samples.size and np.count_nonzero(samples < 2) > samples.size // 10:
        lines.append(f"  note: {np.count_nonzero(samples < 2)} of {samples.size} passes have fewer than two samples in a "
                     "penumbra crossing: their durations are good to about one step only (use a smaller step)")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def add_season_arguments(parser: argparse.ArgumentParser) -> None:
    """The season command's arguments, shared by ``python -m orbital_sim.analysis season`` and
    ``orbital-sim season``."""
    parser.add_argument("config", help="scenario TOML")
    parser.add_argument("--days", type=float, default=365.0, help="days to simulate (default 365)")
    parser.add_argument("--step", type=float, default=10.0, help="step and output interval, s (default 10)")
    parser.add_argument("--start", default=None, help="UTC start, ISO 8601 (default: the config's epoch)")
    parser.add_argument("--node", default=None, help="node name or index (default: the first)")
    parser.add_argument("--propagator", default="j2_secular", choices=("j2_secular", "cowell", "config"),
                        help="orbit propagator (default j2_secular; 'config': as in the file)")
    parser.add_argument("-o", "--out", default=None, help="keep the simulation result here")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m orbital_sim.analysis {events,season} ...``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m orbital_sim.analysis",
                                     description="Eclipse contact times and eclipse seasons.")
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("events", help="eclipse contact times of one node from a result file")
    ev.add_argument("result", help="orbital_sim HDF5 result with sunlit_fraction")
    ev.add_argument("--node", default=None, help="node name or index (default: the first)")
    add_season_arguments(sub.add_parser("season", help="run one node for a year and count its eclipse days"))
    args = parser.parse_args(argv)

    def node_arg(text):
        return int(text) if text is not None and text.lstrip("-").isdigit() else text

    try:
        if args.command == "events":
            print(format_events(eclipse_events(args.result, node_arg(args.node))))
        else:
            season = eclipse_season(args.config, days=args.days, step_s=args.step, start=args.start,
                                    node=node_arg(args.node),
                                    propagator=None if args.propagator == "config" else args.propagator,
                                    out=args.out, progress=True)
            print(format_season(season))
    except (KeyError, IndexError, OSError, ValueError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"orbital_sim.analysis: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
