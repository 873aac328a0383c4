"""Sun light-time and aberration: what the kernel's -20.49"/R correction does to eclipse contacts.

Run: python docs/notes/scripts/sun_light_time_aberration.py   (about 10 s of CPU)
Note: docs/notes/sun_light_time_aberration.md

The kernel Sun (``sun_position_eci``) is the apparent one: Meeus's -20.4898"/R in ecliptic
longitude (annual aberration, which for the Sun equals the Earth's motion during the 499 s
light time). This script

1. checks that correction against ERFA (``epv00`` for the geometric Sun, ``ab`` for annual
   aberration from the Earth's barycentric velocity), and sizes the part that is light-time of
   the Sun's own (barycentric) motion;
2. measures what dropping it would do: eclipse contacts (kernel conical shadow, sunlit
   fraction 0.5) with the apparent Sun vs the geometric Sun, in LEO and GEO;
3. prints the satellite's own aberration (v/c), which does not move the shadow.
"""

import erfa
import numpy as np

import _common as cm

C_M_S = 299_792_458.0  # definition
AU_M = 149_597_870_700.0  # IAU 2012 B2
DAY_S = 86400.0


def erfa_check():
    print("Apparent - geometric Sun direction [arcsec], 2026, first of each month (TT):")
    print("   month   ERFA (annual aberration)   kernel (20.4898/R)   kernel - ERFA apparent   Sun light-time part")
    worst_kernel_vs_erfa = 0.0
    sizes = []
    for month in range(1, 13):
        iso = f"2026-{month:02d}-01T00:00:00Z"
        w, f = cm.epoch_tt(iso)
        pvh, pvb = erfa.epv00(w, f)  # Earth heliocentric / barycentric, AU and AU/day (BCRS axes)
        geo = -pvh[0]  # geometric geocentric Sun (no light-time)
        dist = np.linalg.norm(geo)
        v_over_c = pvb[1] * AU_M / DAY_S / C_M_S
        bm1 = np.sqrt(1.0 - np.sum(v_over_c**2))
        app = erfa.ab(geo / dist, v_over_c, dist, bm1)
        ang = lambda a, b: np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b)), np.dot(a, b))) * 3600  # noqa: E731
        k_app = cm.sun_eci_m((w, f), np.zeros(1))[0]
        k_geo = cm.sun_eci_m((w, f), np.zeros(1), aberration_removed=True)[0]
        # light-time: the Sun's barycentric motion during the 499 s the light travels
        v_sun = pvb[1] - pvh[1]  # AU/day
        tau_day = dist * AU_M / C_M_S / DAY_S
        lt = np.linalg.norm(np.cross(v_sun * tau_day, geo / dist)) / dist / cm.ARCSEC
        worst_kernel_vs_erfa = max(worst_kernel_vs_erfa, ang(k_app, app))
        sizes.append(ang(k_app, k_geo))
        print(f"   {month:5d}        {ang(geo, app):8.3f}             {ang(k_app, k_geo):8.3f}              "
              f"{ang(k_app, app):6.3f}                {lt:6.4f}")
    print(f"  kernel apparent Sun vs ERFA apparent Sun: max {worst_kernel_vs_erfa:.2f} arcsec")
    return min(sizes), max(sizes)


def leo_contacts():
    shifts, shifts_deep = [], []
    for date in ["2026-03-20T15:00:00Z", "2026-06-21T09:00:00Z"]:
        epoch = cm.epoch_tt(date)
        ii, oo = np.meshgrid(np.radians([0.0, 53.0, 97.6]), np.radians(np.arange(0.0, 360.0, 15.0)), indexing="ij")
        orbits = cm.orbits_facing_sun(epoch, cm.R_EQ_M + 550e3, ii.ravel(), oo.ravel())
        t1 = orbits.period_s.max() + 120.0
        app = cm.contacts(orbits, cm.SunTable(epoch, 0.0, t1), cm.sphere_shadow(cm.R_EQ_M), 20.0)
        geo = cm.contacts(orbits, cm.SunTable(epoch, 0.0, t1, aberration_removed=True), cm.sphere_shadow(cm.R_EQ_M), 20.0)
        s0 = cm.sun_eci_m(epoch, np.zeros(1))[0]
        deep = np.abs(orbits.beta_rad(s0 / np.linalg.norm(s0))) < np.radians(50.0)
        for a, g in zip(app, geo):
            d = np.abs(a - g)
            shifts.append(d)
            shifts_deep.append(np.where(deep, d, np.nan))
    shifts = np.concatenate(shifts)
    shifts_deep = np.concatenate(shifts_deep)
    print(f"LEO 550 km (i = 0/53/97.6 deg x 24 nodes, equinox and solstice): |contact shift| without aberration:"
          f" max {np.nanmax(shifts_deep):.3f} s for |beta| < 50 deg, max {np.nanmax(shifts):.3f} s for all")
    return float(np.nanmax(shifts_deep)), float(np.nanmax(shifts))


def geo_contacts():
    print("GEO (equatorial, 42164 km): contacts with the geometric Sun - with the apparent Sun [s]:")
    print("   date                  eclipse[min]   ingress   egress")
    worst = 0.0
    for label, equinox in [("March", "2026-03-20T15:00:00Z"), ("September", "2026-09-23T01:00:00Z")]:
        base = cm.epoch_tt(equinox)
        for days in (-20.0, -10.0, 0.0, 10.0, 20.0):
            epoch = (base[0], base[1] + days)
            orbits = cm.orbits_facing_sun(epoch, cm.R_GEO_M, 0.0, 0.0)
            t1 = orbits.period_s.max() + 120.0
            a_in, a_out = cm.contacts(orbits, cm.SunTable(epoch, 0.0, t1), cm.sphere_shadow(cm.R_EQ_M), 60.0)
            g_in, g_out = cm.contacts(orbits, cm.SunTable(epoch, 0.0, t1, aberration_removed=True),
                                      cm.sphere_shadow(cm.R_EQ_M), 60.0)
            worst = max(worst, abs((g_in - a_in)[0]), abs((g_out - a_out)[0]))
            print(f"   {label:9s} {days:+4.0f} d        {(a_out - a_in)[0] / 60:6.1f}      {(g_in - a_in)[0]:+6.3f}   {(g_out - a_out)[0]:+6.3f}")
    print(f"  GEO max |contact shift| without aberration: {worst:.3f} s")
    return worst


def consistency_check():
    """The offset path in _common (used for the geometric Sun) must be the kernel's Sun at 0."""
    epoch = cm.epoch_tt("2026-01-01T00:00:00Z")
    t = np.linspace(0.0, 365 * 86400.0, 50)
    a = cm.sun_eci_m(epoch, t)
    b = cm.sun_eci_m(epoch, t, dlon_rad=0.0)
    err = np.max(np.linalg.norm(a - b, axis=1) / np.linalg.norm(a, axis=1))
    print(f"check: the longitude-offset Sun with offset 0 reproduces the kernel Sun to {err:.1e} (relative)")
    assert err < 1e-12, "docs/notes/scripts/_common._sun_with_offset no longer matches kernels/sun.py"


def main():
    consistency_check()
    lo, hi = erfa_check()
    leo_deep, leo_all = leo_contacts()
    geo = geo_contacts()
    for name, r_m in [("LEO 550 km", cm.R_EQ_M + 550e3), ("GEO", cm.R_GEO_M)]:
        v = np.sqrt(cm.GM / r_m)
        print(f"Satellite's own aberration ({name}, v = {v / 1e3:.2f} km/s): v/c = {v / C_M_S / cm.ARCSEC:.2f} arcsec"
              " (moves the Sun seen by the arrays, not the shadow)")
    print(f"RESULT kernel_aberration_arcsec_min = {lo:.2f}")
    print(f"RESULT kernel_aberration_arcsec_max = {hi:.2f}")
    print(f"RESULT leo_contact_shift_without_aberration_s = {leo_deep:.3f}")
    print(f"RESULT geo_contact_shift_without_aberration_s = {geo:.3f}")
    print(f"cpu_s = {cm.cpu_seconds():.1f}")


if __name__ == "__main__":
    main()
