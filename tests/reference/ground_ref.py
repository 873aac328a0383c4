"""Independent ground-station reference: station positions, Earth orientation, contact windows.

Methods chosen to differ from kernels/ground.py:

- Station position from the WGS-84 ellipse written with both semi-axes,
  ``N = a^2 / sqrt(a^2 cos^2 lat + b^2 sin^2 lat)``, ``z = (b^2/a^2 N + h) sin lat``, and the
  geodetic vertical as the normalised gradient of the ellipsoid ``x^2/a^2 + y^2/a^2 + z^2/b^2``
  at the foot point (not the closed-form cos/sin vector).
- Earth orientation from ERFA's full IAU 2006/2000A celestial-to-terrestrial matrix
  (``erfa.c2t06a``: CIO-based, precession-nutation with 1300+ terms), polar motion zero and
  UT1 = UTC (the simulator's stated assumptions; nothing else is shared).
- Elevation by ``arcsin(rho . up / |rho|)`` (the kernel uses atan2 of the two components).
- The orbit by ``orbit_ref.propagate_j2`` (DOP853, rtol 1e-13) on a 1 s grid; rise and set
  times by linear interpolation of the elevation between grid points (error far below 0.1 s:
  the elevation of a LEO pass is smooth on a 1 s scale).

Time: UTC two-part Julian dates; TT = UTC + 32.184 s + (TAI - UTC), the leap-second count
passed in by the caller (37 s from 2017 on). All SI: m, s, rad.
"""

from __future__ import annotations

import erfa
import numpy as np

from . import orbit_ref

WGS84_A_M = 6378137.0  # WGS-84 semi-major axis (NIMA TR8350.2, Table 3.1)
WGS84_F = 1.0 / 298.257223563  # WGS-84 flattening (NIMA TR8350.2, Table 3.1)
C_M_S = 299_792_458.0  # speed of light, exact (SI)
TT_MINUS_TAI_S = 32.184  # IAU 1991 Resolution A4


def geodetic_to_ecef(lat_rad, lon_rad, h_m):
    """WGS-84 geodetic -> (Earth-fixed position (3,) m, unit geodetic vertical (3,))."""
    a = WGS84_A_M
    b = a * (1.0 - WGS84_F)
    cl, sl = np.cos(lat_rad), np.sin(lat_rad)
    n = a * a / np.sqrt(a * a * cl * cl + b * b * sl * sl)
    r = np.array([(n + h_m) * cl * np.cos(lon_rad), (n + h_m) * cl * np.sin(lon_rad),
                  (b * b / (a * a) * n + h_m) * sl])
    foot = np.array([n * cl * np.cos(lon_rad), n * cl * np.sin(lon_rad), b * b / (a * a) * n * sl])
    grad = foot / np.array([a * a, a * a, b * b])
    return r, grad / np.linalg.norm(grad)


def terrestrial_to_celestial(jd_utc_whole, jd_utc_fraction, tai_minus_utc_s):
    """(n, 3, 3) matrices taking Earth-fixed vectors to GCRS at UTC instants (arrays of
    two-part Julian dates); UT1 = UTC, no polar motion; full IAU 2006/2000A otherwise."""
    whole = np.atleast_1d(np.asarray(jd_utc_whole, float))
    frac = np.atleast_1d(np.asarray(jd_utc_fraction, float))
    tt_frac = frac + (TT_MINUS_TAI_S + tai_minus_utc_s) / 86400.0
    c2t = erfa.c2t06a(whole, tt_frac, whole, frac, 0.0, 0.0)
    return np.swapaxes(c2t, -1, -2)


def elevation_and_range(r_sat_gcrs_m, station_gcrs_m, up_gcrs):
    """Elevation [rad] and range [m] of satellites (n, 3) from a station (n, 3) with verticals (n, 3)."""
    rho = r_sat_gcrs_m - station_gcrs_m
    rng = np.linalg.norm(rho, axis=-1)
    return np.arcsin(np.clip(np.sum(rho * up_gcrs, axis=-1) / rng, -1.0, 1.0)), rng


def pass_geometry(r0_m, v0_m_s, epoch_jd_utc, tai_minus_utc_s, duration_s, station_llh, grid_s=1.0):
    """Elevation [rad] and range [m] of one satellite over one station on a regular grid.

    ``epoch_jd_utc``: (whole, fraction) of the epoch; ``station_llh``: (lat_rad, lon_rad, h_m).
    Returns (t_s (n,), elevation (n,), range_m (n,)).
    """
    t = np.arange(0.0, duration_s + 0.5 * grid_s, grid_s)
    r_sat, _ = orbit_ref.propagate_j2(r0_m, v0_m_s, t)
    return (t, *look_from_station(t, r_sat, epoch_jd_utc, tai_minus_utc_s, station_llh))


def look_from_station(t_s, r_sat_gcrs_m, epoch_jd_utc, tai_minus_utc_s, station_llh, matrices=None):
    """Elevation [rad] and range [m] (n,) of satellite positions (n, 3) at t_s seconds after the
    epoch ((whole, fraction) UTC Julian date) from a station (lat_rad, lon_rad, h_m).
    ``matrices``: the (n, 3, 3) terrestrial-to-celestial matrices at t_s, if already computed."""
    t, r_sat = t_s, r_sat_gcrs_m
    r_st, up = geodetic_to_ecef(*station_llh)
    m = matrices if matrices is not None else terrestrial_to_celestial(
        np.full(t.shape, epoch_jd_utc[0]), epoch_jd_utc[1] + t / 86400.0, tai_minus_utc_s)
    station = m @ r_st
    up_g = m @ up
    return elevation_and_range(r_sat, station, up_g)


def contact_windows(t_s, elevation_rad, mask_rad):
    """[(aos_s, los_s)] where elevation >= mask, crossing times by linear interpolation; a window
    open at the first or last grid point starts at t_s[0] or ends at t_s[-1]."""
    above = elevation_rad >= mask_rad
    windows = []
    start = t_s[0] if above[0] else None
    for i in range(1, t_s.size):
        if above[i] != above[i - 1]:
            e0, e1 = elevation_rad[i - 1] - mask_rad, elevation_rad[i] - mask_rad
            tc = t_s[i - 1] + (t_s[i] - t_s[i - 1]) * e0 / (e0 - e1)
            if above[i]:
                start = tc
            else:
                windows.append((start, tc))
                start = None
    if start is not None:
        windows.append((start, t_s[-1]))
    return windows


def longest_gap_s(windows, duration_s):
    """Longest time without contact in [0, duration_s], the run's edges included."""
    edges = [0.0] + [x for w in windows for x in w] + [duration_s]
    gaps = [edges[i + 1] - edges[i] for i in range(0, len(edges), 2)]
    return max(gaps)
