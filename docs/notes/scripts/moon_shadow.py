"""The Moon's shadow: how often, how deep and how much energy solar eclipses take from nodes, 2026.

Run: python docs/notes/scripts/moon_shadow.py   (about 20 s of CPU)
Note: docs/notes/moon_shadow.md

The kernel shadows the Sun by the Earth only. Here the Moon is added: ERFA ``moon98``
(Meeus's lunar theory, GCRS, worst 18 arcsec / 32 km over 1950-2100) for the Moon, the kernel Sun,
and the kernel's own ``sunlit_fraction_conical`` with the Moon as the occulting sphere
(radius 1737.4 km, IAU WGCCRE) and positions taken relative to the Moon; the Earth's shadow
(6378.137 km sphere) is applied too, and the light lost is f_earth * (1 - f_moon).

1. Scan 2026 hourly for the geocentric Sun-Moon elongation; keep the windows where a satellite
   at the given radius could see the Moon cross the Sun (elongation below the sum of the two
   disks' radii plus the Moon's parallax from that radius).
2. Inside each window, step populations of circular orbits (LEO 550 km at 53 and 97.6 deg,
   20 planes x 15 satellites each; GEO at 72 longitudes) and integrate the lost light.
"""

import erfa
import numpy as np

import _common as cm

R_MOON_M = 1737.4e3  # IAU WGCCRE mean lunar radius (Archinal et al. 2018)
AU_M = 149_597_870_700.0
YEAR_MIN = 365.25 * 1440.0
START = "2026-01-01T00:00:00Z"


def moon_eci_m(epoch, t_s):
    """ERFA moon98 geocentric Moon [m], GCRS, (k, 3), at TT seconds after epoch."""
    return erfa.moon98(np.full(np.shape(t_s), float(epoch[0])), float(epoch[1]) + np.asarray(t_s) / 86400.0)["p"] * AU_M


def elongation_deg(sun, moon):
    return np.degrees(np.arctan2(np.linalg.norm(np.cross(sun, moon), axis=1), np.sum(sun * moon, 1)))


def windows(epoch, radius_m):
    """Time intervals [s] of 2026 in which a satellite at ``radius_m`` can see a solar eclipse."""
    t = np.arange(0.0, 365.25 * 86400 + 3600.0, 3600.0)
    sun, moon = cm.sun_eci_m(epoch, t), moon_eci_m(epoch, t)
    el = elongation_deg(sun, moon)
    d_moon = np.linalg.norm(moon, axis=1) - radius_m
    limit = (np.degrees(np.arcsin(R_MOON_M / d_moon) + np.arcsin(cm.R_SUN_M / np.linalg.norm(sun, axis=1))
                        + np.arcsin(radius_m / d_moon)) + 0.6)  # + 0.6 deg: the hourly grid (0.55 deg/h)
    inside = el < limit
    out = []
    k = 0
    while k < len(t):
        if inside[k]:
            j = k
            while j + 1 < len(t) and inside[j + 1]:
                j += 1
            out.append((t[max(k - 1, 0)], t[min(j + 1, len(t) - 1)], float(el[k:j + 1].min()), t[k + np.argmin(el[k:j + 1])]))
            k = j + 1
        else:
            k += 1
    return out


def population(kind):
    if kind == "LEO":
        planes, per_plane = 20, 15
        orbits_list = []
        for inc in (53.0, 97.6):
            raan = np.repeat(np.arange(planes) * 2 * np.pi / planes, per_plane)
            u0 = np.tile(np.arange(per_plane) * 2 * np.pi / per_plane, planes) + raan / per_plane
            orbits_list.append((np.full(raan.shape, np.radians(inc)), raan, u0))
        i = np.concatenate([o[0] for o in orbits_list])
        raan = np.concatenate([o[1] for o in orbits_list])
        u0 = np.concatenate([o[2] for o in orbits_list])
        return cm.CircularOrbits(np.full(i.shape, cm.R_EQ_M + 550e3), i, raan, u0), 10.0
    lon = np.radians(np.arange(0.0, 360.0, 5.0))
    return cm.CircularOrbits(np.full(lon.shape, cm.R_GEO_M), np.zeros_like(lon), np.zeros_like(lon), lon), 30.0


def run(kind):
    epoch = cm.epoch_tt(START)
    orbits, step_s = population(kind)
    n = len(orbits)
    wins = windows(epoch, orbits.a_m[0])
    lost_min = np.zeros(n)
    max_depth = np.zeros(n)
    events = np.zeros(n, int)
    longest_min = 0.0
    longest_umbra_s = 0.0
    umbra_sats = np.zeros(n, bool)
    print(f"{kind}: {n} satellites (radius {orbits.a_m[0] / 1e3:.0f} km), {len(wins)} eclipse windows in 2026:")
    for t0, t1, el_min, t_min in wins:
        times = np.arange(t0, t1, step_s)
        sun, moon = cm.sun_eci_m(epoch, times), moon_eci_m(epoch, times)
        run_len = np.zeros(n)
        run_umbra = np.zeros(n)
        in_event = np.zeros(n, bool)
        win_lost = np.zeros(n)
        win_depth = np.zeros(n)
        chunk = max(1, 60000 // n)
        for c0 in range(0, len(times), chunk):
            tt = times[c0:c0 + chunk]
            m = len(tt)
            idx = np.tile(np.arange(n), m)
            r = orbits.position(idx, np.repeat(tt, n))
            s = np.repeat(sun[c0:c0 + m], n, axis=0)
            mo = np.repeat(moon[c0:c0 + m], n, axis=0)
            f_earth = cm.sunlit(r, s, cm.R_EQ_M).reshape(m, n)
            f_moon = cm.sunlit(r - mo, s - mo, R_MOON_M).reshape(m, n)
            hidden = f_earth * (1.0 - f_moon)
            win_lost += hidden.sum(0) * step_s / 60.0
            win_depth = np.maximum(win_depth, (1.0 - f_moon).max(0))
            umbra = (f_moon < 1e-3) & (f_earth > 0.999)  # the Moon hides the whole Sun
            for row, total in zip(hidden > 1e-9, umbra):
                started = row & ~in_event
                events += started
                run_len = np.where(row, run_len + step_s, 0.0)
                longest_min = max(longest_min, run_len.max() / 60.0)
                in_event = row
                run_umbra = np.where(total, run_umbra + step_s, 0.0)
                longest_umbra_s = max(longest_umbra_s, run_umbra.max())
                umbra_sats |= total
        lost_min += win_lost
        max_depth = np.maximum(max_depth, win_depth)
        hit = win_lost > 0
        date = np.datetime64("2026-01-01T00:00") + np.timedelta64(int(t_min / 60), "m")
        print(f"  {str(date)[:16]}  min geocentric elongation {el_min:5.2f} deg: {int(hit.sum()):4d} satellites"
              f" dimmed, mean {win_lost[hit].mean() if hit.any() else 0:6.2f} / max {win_lost.max():6.2f}"
              f" min of full Sun lost, deepest {win_depth.max():.3f}")
    sunlit_min = 0.628 if kind == "LEO" else 0.99  # lower bounds of the yearly sunlit fraction
    print(f"  per satellite and year: lost {lost_min.mean():.2f} min (mean), {lost_min.max():.2f} min (max) of full"
          f" sunlight; {events.mean():.1f} dimming passes (mean), longest pass {longest_min:.1f} min;"
          f" deepest {max_depth.max():.3f} of the disk")
    print(f"  total eclipse (whole Sun hidden by the Moon): {int(umbra_sats.sum())} of {n} satellites,"
          f" longest {longest_umbra_s:.0f} s (to the {step_s:.0f} s step)")
    frac_max = lost_min.max() / (YEAR_MIN * sunlit_min)
    print(f"  fraction of the year's solar energy: mean {lost_min.mean() / (YEAR_MIN * sunlit_min):.1e},"
          f" max {frac_max:.1e} (sunlit fraction >= {sunlit_min})")
    return dict(frac_max=frac_max, lost_max=lost_min.max(), depth=max_depth.max(), longest=longest_min,
                umbra_s=longest_umbra_s,
                events=events.mean(), windows=len(wins), affected=float(np.mean(lost_min > 0)))


def main():
    leo = run("LEO")
    geo = run("GEO")
    print(f"RESULT leo_energy_lost_fraction_max = {leo['frac_max']:.2e}")
    print(f"RESULT leo_longest_pass_min = {leo['longest']:.1f}")
    print(f"RESULT leo_deepest_fraction = {leo['depth']:.3f}")
    print(f"RESULT leo_longest_total_eclipse_s = {leo['umbra_s']:.0f}")
    print(f"RESULT geo_energy_lost_fraction_max = {geo['frac_max']:.2e}")
    print(f"RESULT geo_longest_pass_min = {geo['longest']:.1f}")
    print(f"cpu_s = {cm.cpu_seconds():.1f}")


if __name__ == "__main__":
    main()
