"""Earth oblateness in the shadow: eclipse contacts with the WGS-84 ellipsoid vs the kernel's sphere.

Run: python docs/notes/scripts/oblate_shadow.py   (about 10 s of CPU)
Note: docs/notes/oblate_shadow.md

The kernel's shadow (``sunlit_fraction_conical``) is cast by a sphere of radius
``environment.shadow_radius_km`` (default 6378.137 km, the equatorial radius). The real Earth is
close to the WGS-84 ellipsoid (f = 1/298.257223563, polar radius 6356.752 km). The ellipsoid's
shadow is found with the same kernel after scaling z by a/b (see ``_common.ellipsoid_shadow``).
Circular orbits, fixed Keplerian planes over one revolution; contact = sunlit fraction 0.5.
"""

import numpy as np

import _common as cm

MEAN_RADIUS_M = 6371.0088e3  # IUGG mean Earth radius R1 = (2a + b) / 3


def leo_sweep():
    dates = ["2026-03-20T15:00:00Z", "2026-05-05T00:00:00Z", "2026-06-21T09:00:00Z"]
    incl_deg = [0.0, 30.0, 53.0, 70.0, 97.6]
    raan_deg = np.arange(0.0, 360.0, 15.0)
    alt_m = 550e3
    rows = []
    for date in dates:
        epoch = cm.epoch_tt(date)
        ii, oo = np.meshgrid(np.radians(incl_deg), np.radians(raan_deg), indexing="ij")
        orbits = cm.orbits_facing_sun(epoch, cm.R_EQ_M + alt_m, ii.ravel(), oo.ravel())
        sun = cm.SunTable(epoch, 0.0, orbits.period_s.max() + 120.0)
        sphere = cm.contacts(orbits, sun, cm.sphere_shadow(cm.R_EQ_M), 20.0)
        ellipsoid = cm.contacts(orbits, sun, cm.ellipsoid_shadow(), 20.0)
        mean = cm.contacts(orbits, sun, cm.sphere_shadow(MEAN_RADIUS_M), 20.0)
        lat_in = cm.grazing_latitude_deg(orbits, sphere[0], sun)
        lat_out = cm.grazing_latitude_deg(orbits, sphere[1], sun)
        s0 = sun(np.zeros(1))[0]
        beta = np.degrees(orbits.beta_rad(s0 / np.linalg.norm(s0)))
        rows.append(dict(sphere=sphere, ellipsoid=ellipsoid, mean=mean, lat=(lat_in, lat_out), beta=beta,
                         period=orbits.period_s))
    cat = {k: None for k in ("s_in", "s_out", "e_in", "e_out", "m_in", "m_out", "lat_in", "lat_out", "beta", "period")}
    for key, fn in [("s_in", lambda r: r["sphere"][0]), ("s_out", lambda r: r["sphere"][1]),
                    ("e_in", lambda r: r["ellipsoid"][0]), ("e_out", lambda r: r["ellipsoid"][1]),
                    ("m_in", lambda r: r["mean"][0]), ("m_out", lambda r: r["mean"][1]),
                    ("lat_in", lambda r: r["lat"][0]), ("lat_out", lambda r: r["lat"][1]),
                    ("beta", lambda r: r["beta"]), ("period", lambda r: r["period"])]:
        cat[key] = np.concatenate([fn(r) for r in rows])
    return cat


def report_leo(d):
    dur_s = d["s_out"] - d["s_in"]
    dur_e = d["e_out"] - d["e_in"]
    both = np.isfinite(dur_s) & np.isfinite(dur_e)
    dt_in = d["e_in"] - d["s_in"]  # > 0: the ellipsoid's shadow is entered later
    dt_out = d["e_out"] - d["s_out"]  # < 0: and left earlier
    shift = np.fmax(np.abs(dt_in), np.abs(dt_out))
    abs_beta = np.abs(d["beta"])
    print("LEO 550 km circular; inclinations 0/30/53/70/97.6 deg x 24 nodes x 3 dates "
          f"({len(dur_s)} orbits, {int(np.sum(np.isfinite(dur_s)))} with an eclipse; critical beta 67.0 deg)")
    print("  ellipsoid - sphere 6378.137 km (the kernel default), by |beta|:")
    print("    |beta| [deg]  orbits  shortest eclipse[min]  max |contact shift|[s]  max eclipse shortening[s]")
    results = {}
    for lo, hi in [(0, 20), (20, 40), (40, 50), (50, 60), (60, 70)]:
        sel = both & (abs_beta >= lo) & (abs_beta < hi)
        if not sel.any():
            continue
        results[(lo, hi)] = float(np.max(shift[sel]))
        print(f"    {lo:3d}-{hi:<3d}       {int(sel.sum()):5d}        {cm.fmt(np.min(dur_s[sel]) / 60, 1):>8s}"
              f"               {cm.fmt(np.max(shift[sel]), 2):>8s}                {cm.fmt(np.max((dur_s - dur_e)[sel]), 2):>8s}")
    short = (np.nan_to_num(dur_s) - np.nan_to_num(dur_e)) / d["period"]
    print(f"  eclipse shortening as a fraction of the orbit (the extra sunlight the ellipsoid gives):"
          f" max {cm.fmt(100 * np.max(short[abs_beta < 60]), 3)} % for |beta| < 60 deg,"
          f" max {cm.fmt(100 * np.max(short), 3)} % near the critical beta,"
          f" mean {cm.fmt(100 * np.mean(short), 3)} % over all {len(short)} sampled orbits")
    print(f"  eclipses present with the sphere only: {int(np.sum(np.isfinite(dur_s) & ~np.isfinite(dur_e)))}")
    deep = both & (abs_beta < 50)
    lat = np.abs(np.concatenate([d["lat_in"], d["lat_out"]]))
    sh2 = np.concatenate([np.abs(dt_in), np.abs(dt_out)])
    deep2 = np.concatenate([deep, deep])
    print("  |beta| < 50 deg, max |contact shift| by |latitude| of the grazing point:")
    for lo, hi in [(0, 30), (30, 60), (60, 75), (75, 90.01)]:
        sel = deep2 & (lat >= lo) & (lat < hi)
        val = np.nanmax(sh2[sel]) if sel.any() else float("nan")
        print(f"      {lo:2.0f}-{min(hi, 90):2.0f} deg: {cm.fmt(val, 2)} s  ({int(sel.sum())} contacts)")
    dm = np.fmax(np.abs(d["e_in"] - d["m_in"]), np.abs(d["e_out"] - d["m_out"]))
    print("  ellipsoid - sphere of the mean radius 6371.009 km (environment.shadow_radius_km = 6371.009):")
    print(f"    |beta| < 50 deg: max |contact shift| = {cm.fmt(np.nanmax(dm[deep]), 2)} s "
          f"(default sphere: {cm.fmt(np.nanmax(shift[deep]), 2)} s); "
          f"rms {cm.fmt(np.sqrt(np.nanmean(dm[deep] ** 2)), 2)} s (default: {cm.fmt(np.sqrt(np.nanmean(shift[deep] ** 2)), 2)} s)")
    return results


def geo_sweep():
    print("GEO (r = 42164 km, equatorial), contacts ellipsoid - sphere 6378.137 km:")
    print("   date (UTC)    days from equinox  eclipse[min]  ingress shift[s]  egress shift[s]  duration change[s]")
    worst = 0.0
    for label, equinox in [("March", "2026-03-20T15:00:00Z"), ("September", "2026-09-23T01:00:00Z")]:
        base = cm.epoch_tt(equinox)
        for days in [0.0, 5.0, 10.0, 15.0, 19.0, 21.0]:
            for sign in ([1.0] if days == 0 else [-1.0, 1.0]):
                epoch = (base[0], base[1] + sign * days)
                orbits = cm.orbits_facing_sun(epoch, cm.R_GEO_M, 0.0, 0.0)
                sun = cm.SunTable(epoch, 0.0, orbits.period_s.max() + 120.0)
                s_in, s_out = cm.contacts(orbits, sun, cm.sphere_shadow(cm.R_EQ_M), 60.0)
                e_in, e_out = cm.contacts(orbits, sun, cm.ellipsoid_shadow(), 60.0)
                d_in, d_out = (e_in - s_in)[0], (e_out - s_out)[0]
                dur = (s_out - s_in)[0] / 60.0
                ddur = ((e_out - e_in) - (s_out - s_in))[0]
                if np.isfinite(dur) and dur > 30.0:
                    worst = max(worst, abs(d_in), abs(d_out))
                print(f"   {label:9s} {sign * days:+5.0f}         {cm.fmt(dur, 1):>8s}     {cm.fmt(d_in, 2):>10s}"
                      f"        {cm.fmt(d_out, 2):>10s}       {cm.fmt(ddur, 2):>10s}")
    print(f"  GEO max |contact shift| for eclipses longer than 30 min = {cm.fmt(worst, 2)} s")
    return worst


def main():
    print(f"WGS-84: a = {cm.R_EQ_M / 1e3:.3f} km, b = {cm.R_POLAR_M / 1e3:.3f} km, a - b = {(cm.R_EQ_M - cm.R_POLAR_M) / 1e3:.3f} km")
    leo = leo_sweep()
    leo = report_leo(leo)
    geo_max = geo_sweep()
    print(f"RESULT leo_max_contact_shift_beta_below_40deg_s = {max(leo[(0, 20)], leo[(20, 40)]):.2f}")
    print(f"RESULT leo_max_contact_shift_beta_40_to_60deg_s = {max(leo[(40, 50)], leo[(50, 60)]):.2f}")
    print(f"RESULT geo_max_contact_shift_s = {geo_max:.2f}")
    print(f"cpu_s = {cm.cpu_seconds():.1f}")


if __name__ == "__main__":
    main()
