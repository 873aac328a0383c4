"""Figures and numbers of issue 19 (docs/risks.md): dose per node across a fleet by plane, and a
cluster's separations with the station-keeping delta-v that would hold it.

Run (from the repository root, after the runs named in docs/risks.md):

    python docs/notes/scripts/risk_figures.py dose RESULT.h5 [-o docs/figures/dose_by_plane.png]
    python docs/notes/scripts/risk_figures.py cluster RESULT.h5 [-o docs/figures/cluster_separation.png]

``dose`` needs a run with ``[radiation]``; ``cluster`` a run of one cluster with
``position_eci`` and ``velocity_eci`` written. Each prints one JSON line of figures.

Station keeping (``cluster``), an estimate, not a controller: every node's position relative to
the cluster's centroid is taken in the centroid's RSW frame (radial, along-track, cross-track)
and averaged over each orbit (the 2:1 Hill-Clohessy-Wiltshire ellipse averages out). Over the
run the orbit-averaged along-track offset y(t) is fitted with y0 + y' t + y'' t^2 / 2 and the
amplitudes of the radial and cross-track oscillation (half the peak-to-peak in each orbit) with
straight lines. In Hill-Clohessy-Wiltshire terms an along-track drift y' comes from a
semi-major-axis offset da = -2 y' / (3 n), removed by a tangential impulse n da / 2 = |y'| / 3
(once; twice to also return, counted once a year), a drift that grows (y'') needs |y''| / 3 per
unit time, and an oscillation amplitude that grows at A' needs about n A' per unit time
(cross-track) or n A' / 2 (radial). Delta-v per year = |y'| / 3 x 2 + (|y''| / 3 + n |A'_z| +
n |A'_x| / 2) x 1 year: the cost of undoing what the run shows, with impulsive burns. It ignores
drag (differential drag between nodes of equal ballistic coefficient is nil in the model).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import h5py
import numpy as np

YEAR_S = 365.25 * 86400.0
GM = 3.986004418e14


def _names(f, key):
    return [s.decode() if isinstance(s, bytes) else str(s) for s in f[key][...]]


def dose_figure(path, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with h5py.File(path, "r") as f:
        names = _names(f, "node")
        dose = f["ionizing_dose"][...]
        saa = f["saa_time"][...]
        duration = float(f["time"][-1])
    per_year = dose / duration * YEAR_S / 10.0  # krad(Si)/yr
    planes = {}
    for n, name in enumerate(names):
        plane = name.rsplit("-s", 1)[0]  # "<entry>-p03-s011" -> "<entry>-p03"
        planes.setdefault(plane, []).append(n)
    labels = list(planes)
    fig, ax = plt.subplots(figsize=(max(6, 0.35 * len(labels) + 3), 4))
    for k, plane in enumerate(labels):
        idx = planes[plane]
        ax.scatter(np.full(len(idx), k) + np.linspace(-0.25, 0.25, len(idx)), per_year[idx] * 1e3, s=6)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_ylabel("ionising dose, rad(Si) per year")
    ax.set_title(f"{Path(path).name}: dose per node by plane (behind the [radiation] shield)")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    by_entry = {}
    for plane, idx in planes.items():
        entry = plane.rsplit("-p", 1)[0]
        by_entry.setdefault(entry, []).extend(idx)
    print(json.dumps({"figure": str(out), "nodes": len(names), "duration_s": duration,
                      "dose_rad_per_year": {e: {"min": round(float(per_year[i].min() * 1e3), 1),
                                                "mean": round(float(per_year[i].mean() * 1e3), 1),
                                                "max": round(float(per_year[i].max() * 1e3), 1)}
                                            for e, i in by_entry.items()},
                      "saa_percent_mean": {e: round(float(100 * saa[i].mean() / duration), 2)
                                           for e, i in by_entry.items()}}))


def _rsw(r_c, v_c):
    rh = r_c / np.linalg.norm(r_c, axis=-1, keepdims=True)
    wh = np.cross(r_c, v_c)
    wh /= np.linalg.norm(wh, axis=-1, keepdims=True)
    return rh, np.cross(wh, rh), wh


def cluster_figure(path, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with h5py.File(path, "r") as f:
        t = f["time"][...]
        r = f["position_eci"][...]
        v = f["velocity_eci"][...]
    r_c, v_c = r.mean(axis=1), v.mean(axis=1)
    rh, sh, wh = _rsw(r_c, v_c)
    rel = r - r_c[:, None, :]
    x = np.einsum("kni,ki->kn", rel, rh)
    y = np.einsum("kni,ki->kn", rel, sh)
    z = np.einsum("kni,ki->kn", rel, wh)
    radius = np.linalg.norm(rel, axis=-1)
    d = np.linalg.norm(r[:, :, None, :] - r[:, None, :, :], axis=-1)
    d[:, np.arange(r.shape[1]), np.arange(r.shape[1])] = np.inf
    nearest = d.min(axis=2)  # (K, N)
    n_mean = float(np.sqrt(GM / np.mean(np.linalg.norm(r_c, axis=-1)) ** 3))
    period = 2 * np.pi / n_mean
    orbit = np.floor(t / period).astype(int)
    full = [k for k in np.unique(orbit) if np.sum(orbit == k) >= 0.9 * period / (t[1] - t[0])]
    tk = np.array([t[orbit == k].mean() for k in full])
    y_avg = np.array([y[orbit == k].mean(axis=0) for k in full])  # (orbits, N)
    ax_amp = np.array([np.ptp(x[orbit == k], axis=0) / 2 for k in full])
    az_amp = np.array([np.ptp(z[orbit == k], axis=0) / 2 for k in full])
    c2 = np.polyfit(tk, y_avg, 2)  # (3, N): y''/2, y', y0
    ydd, yd = 2 * c2[0], c2[1] + 2 * c2[0] * tk[0]  # y' at the start
    ax_rate = np.polyfit(tk, ax_amp, 1)[0]
    az_rate = np.polyfit(tk, az_amp, 1)[0]
    dv_year = 2 * np.abs(yd) / 3 + (np.abs(ydd) / 3 + n_mean * np.abs(az_rate) + n_mean * np.abs(ax_rate) / 2) * YEAR_S

    with h5py.File(path, "r") as f:  # the refined approaches (local minima), when screened
        ap = {k: f["approaches"][k][...] for k in ("t_s", "distance_m")} if "approaches" in f else None
    per = [orbit == k for k in full]
    fig, axes = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    days = tk / 86400.0
    axes[0].plot(days, [radius[m].max() for m in per], label="farthest node from the centroid (max per orbit)")
    axes[0].plot(days, [np.median(radius[m]) for m in per], label="median node (median per orbit)")
    axes[0].set_ylabel("distance from centroid, m")
    axes[0].legend(fontsize=8)
    axes[1].plot(days, [np.median(nearest[m]) for m in per], label="median nearest-neighbour distance (per orbit)")
    axes[1].plot(days, [nearest[m].min() for m in per], label="closest pair at the samples (min per orbit)")
    if ap is not None and ap["t_s"].size:
        day = np.minimum(np.floor(ap["t_s"] / 86400.0), np.ceil(t[-1] / 86400.0) - 1).astype(int)
        dmin = [ap["distance_m"][day == k].min() for k in np.unique(day)]
        axes[1].plot(np.unique(day) + 0.5, dmin, "k.", label="closest approach of the day (refined)")
    axes[1].set_ylabel("separation, m")
    axes[1].set_xlabel("days since epoch")
    axes[1].legend(fontsize=8)
    axes[0].set_title(f"{Path(path).name}: {r.shape[1]} nodes under J2, no station keeping")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    closest = {}
    if ap is not None and ap["t_s"].size:
        k = int(np.argmin(ap["distance_m"]))
        closest = {"closest_approach_m": round(float(ap["distance_m"][k]), 3),
                   "closest_approach_day": round(float(ap["t_s"][k] / 86400.0), 2),
                   "first_day_under_10_m": (round(float(ap["t_s"][ap["distance_m"] < 10].min() / 86400.0), 2)
                                            if np.any(ap["distance_m"] < 10) else None)}
    print(json.dumps({
        "figure": str(out), "nodes": r.shape[1], "days": round(float(t[-1] / 86400.0), 2),
        "centroid_radius_max_m": {"first_day": round(float(radius[t <= 86400].max()), 1),
                                  "last_day": round(float(radius[t >= t[-1] - 86400].max()), 1)},
        "closest_pair_m": {"first_day": round(float(nearest[t <= 86400].min()), 1),
                           "last_day": round(float(nearest[t >= t[-1] - 86400].min()), 1),
                           "run": round(float(nearest.min()), 1)},
        "along_track_drift_m_per_day": {"median": round(float(np.median(np.abs(yd)) * 86400), 2),
                                        "max": round(float(np.max(np.abs(yd)) * 86400), 2)},
        "station_keeping_dv_m_s_per_year": {"median": round(float(np.median(dv_year)), 4),
                                            "max": round(float(np.max(dv_year)), 4)}, **closest}))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("dose", "cluster"))
    ap.add_argument("file")
    ap.add_argument("-o", "--out")
    args = ap.parse_args(argv)
    out = Path(args.out or f"docs/figures/{'dose_by_plane' if args.what == 'dose' else 'cluster_separation'}.png")
    (dose_figure if args.what == "dose" else cluster_figure)(args.file, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
