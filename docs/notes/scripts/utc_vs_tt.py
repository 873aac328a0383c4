"""UTC versus TT for the Sun: what using the UTC date as if it were TT would do.

Run: python docs/notes/scripts/utc_vs_tt.py   (about 10 s of CPU)
Note: docs/notes/utc_vs_tt.md

The run epoch is UTC; the runner hands the kernel Sun a TT Julian date
(``orbital_sim.timescales.julian_date_tt_two_part``: TT - UTC = 32.184 s + (TAI - UTC), 69.184 s
since 2017-01-01). This script measures the error that passing the UTC date instead would make:
the Sun would be evaluated 69.184 s early. It prints the TT - UTC offset (checked against ERFA's
leap-second table, ``erfa.dat``), the Sun direction and distance error over 2026, and the shift of
eclipse contacts (kernel conical shadow, sunlit fraction 0.5) in LEO and GEO. It also prints the
size of the two other time-scale differences the model ignores: TDB - TT and UT1 - UTC.
"""

import warnings

import erfa
import numpy as np

import _common as cm
from orbital_sim import timescales

UT1_MINUS_UTC_MAX_S = 0.9  # kept below 0.9 s by leap seconds (IERS)


def offsets():
    epoch = timescales.parse_epoch("2026-01-01T00:00:00Z")
    tt_utc = timescales.utc_to_tt_offset_s(epoch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ERFA warns "dubious year" past its table's horizon
        dat = erfa.dat(2026, 1, 1, 0.0)
    print(f"TT - UTC in 2026: orbital_sim.timescales {tt_utc:.3f} s; ERFA dat + 32.184 = {dat + 32.184:.3f} s")
    # TDB - TT: periodic, amplitude about 1.66 ms (ERFA dtdb, geocentre)
    w, f = cm.epoch_tt("2026-01-01T00:00:00Z")
    days = np.arange(0.0, 366.0, 1.0)
    tdb_tt = np.array([erfa.dtdb(w, f + d, 0.0, 0.0, 0.0, 0.0) for d in days])
    print(f"TDB - TT over 2026 (ERFA dtdb, geocentre): {tdb_tt.min() * 1e3:+.3f} to {tdb_tt.max() * 1e3:+.3f} ms")
    return tt_utc, float(np.abs(tdb_tt).max())


def sun_error(shift_s):
    epoch = cm.epoch_tt("2026-01-01T00:00:00Z")
    t = np.arange(0.0, 365.25 * 86400, 3600.0 * 6)
    s_tt = cm.sun_eci_m(epoch, t)
    s_utc = cm.sun_eci_m(epoch, t - shift_s)
    ang = np.degrees(np.arctan2(np.linalg.norm(np.cross(s_tt, s_utc), axis=1), np.sum(s_tt * s_utc, 1))) * 3600
    dist = np.abs(np.linalg.norm(s_tt, axis=1) / np.linalg.norm(s_utc, axis=1) - 1.0)
    print(f"Sun evaluated {shift_s:.3f} s early (UTC used as TT), 2026 every 6 h: direction error"
          f" {ang.min():.3f} to {ang.max():.3f} arcsec; relative distance error max {dist.max():.2e}")
    return float(ang.max()), float(dist.max())


def leo_contacts(shift_s):
    worst_deep, worst_all = 0.0, 0.0
    for date in ["2026-01-03T00:00:00Z", "2026-03-20T15:00:00Z", "2026-06-21T09:00:00Z"]:
        epoch = cm.epoch_tt(date)
        ii, oo = np.meshgrid(np.radians([0.0, 53.0, 97.6]), np.radians(np.arange(0.0, 360.0, 15.0)), indexing="ij")
        orbits = cm.orbits_facing_sun(epoch, cm.R_EQ_M + 550e3, ii.ravel(), oo.ravel())
        t1 = orbits.period_s.max() + 120.0
        a = cm.contacts(orbits, cm.SunTable(epoch, 0.0, t1), cm.sphere_shadow(cm.R_EQ_M), 20.0)
        b = cm.contacts(orbits, cm.SunTable(epoch, 0.0, t1, shift_s=shift_s), cm.sphere_shadow(cm.R_EQ_M), 20.0)
        s0 = cm.sun_eci_m(epoch, np.zeros(1))[0]
        deep = np.abs(orbits.beta_rad(s0 / np.linalg.norm(s0))) < np.radians(50.0)
        for x, y in zip(a, b):
            d = np.abs(x - y)
            worst_all = max(worst_all, np.nanmax(d))
            worst_deep = max(worst_deep, np.nanmax(np.where(deep, d, np.nan)))
    print(f"LEO 550 km (i = 0/53/97.6 deg x 24 nodes, 3 dates): |contact shift| max {worst_deep:.3f} s for"
          f" |beta| < 50 deg, {worst_all:.3f} s for all")
    return worst_deep


def geo_contacts(shift_s):
    worst = 0.0
    rows = []
    for equinox in ["2026-03-20T15:00:00Z", "2026-09-23T01:00:00Z"]:
        base = cm.epoch_tt(equinox)
        for days in (-20.0, -10.0, 0.0, 10.0, 20.0):
            epoch = (base[0], base[1] + days)
            orbits = cm.orbits_facing_sun(epoch, cm.R_GEO_M, 0.0, 0.0)
            t1 = orbits.period_s.max() + 120.0
            a_in, a_out = cm.contacts(orbits, cm.SunTable(epoch, 0.0, t1), cm.sphere_shadow(cm.R_EQ_M), 60.0)
            b_in, b_out = cm.contacts(orbits, cm.SunTable(epoch, 0.0, t1, shift_s=shift_s),
                                      cm.sphere_shadow(cm.R_EQ_M), 60.0)
            worst = max(worst, abs((b_in - a_in)[0]), abs((b_out - a_out)[0]))
            rows.append(f"{equinox[:10]}{days:+4.0f} d: {(b_in - a_in)[0]:+.3f} / {(b_out - a_out)[0]:+.3f}")
    print("GEO contacts (ingress / egress shift, s): " + "; ".join(rows))
    print(f"GEO max |contact shift| = {worst:.3f} s")
    return worst


def main():
    tt_utc, tdb_tt = offsets()
    ang, dist = sun_error(tt_utc)
    leo = leo_contacts(tt_utc)
    geo = geo_contacts(tt_utc)
    # the same arithmetic for the two ignored scale differences (the Sun moves ~0.041 arcsec/s)
    rate = ang / tt_utc
    print(f"TDB used as TT: Sun error <= {rate * tdb_tt:.1e} arcsec; UT1 - UTC (<= 0.9 s, used only through the"
          f" mean Sun of the SSO builder): <= {rate * UT1_MINUS_UTC_MAX_S:.3f} arcsec")
    print(f"RESULT tt_minus_utc_s = {tt_utc:.3f}")
    print(f"RESULT sun_direction_error_arcsec = {ang:.3f}")
    print(f"RESULT leo_contact_shift_s = {leo:.3f}")
    print(f"RESULT geo_contact_shift_s = {geo:.3f}")
    print(f"cpu_s = {cm.cpu_seconds():.1f}")


if __name__ == "__main__":
    main()
