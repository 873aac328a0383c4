"""The atmosphere's effective shadow height: eclipse contacts with an enlarged shadowing sphere.

Run: python docs/notes/scripts/atmosphere_shadow.py   (about 7 s of CPU)
Note: docs/notes/atmosphere_shadow.md

The kernel's Earth is an airless sphere. Air absorbs and refracts grazing sunlight, so the
shadow behaves as if the Earth were larger by an effective height H. Published allowances:
15-20 km (visual satellite-eclipse timings, Molczan and Matson, SeeSat-L 1997), and for the
lunar-eclipse umbra Danjon's rule of +1/85 of the Earth's radius, i.e. 75 km (Espenak,
"Enlargement of Earth's Shadows"). This script measures what a sphere of 6378.137 km + H does
to the contacts (sunlit fraction 0.5) through the kernel's ``sunlit_fraction_conical``, with
H = 15, 20, 50 and 75 km, in LEO and GEO.
"""

import numpy as np

import _common as cm

HEIGHTS_KM = (15.0, 20.0, 50.0, 75.0)
EQUINOX = "2026-03-20T15:00:00Z"


def polar_orbits_at_beta(epoch, alt_m, betas_deg):
    """Polar circular orbits whose plane makes beta with the Sun (at t = 0)."""
    s = cm.sun_eci_m(epoch, np.zeros(1))[0]
    ra = np.arctan2(s[1], s[0])
    # polar orbit: h = (sin raan, -cos raan, 0), so sin(beta) = sin(raan - ra) for a Sun on the equator
    raan = ra + np.radians(np.asarray(betas_deg, float))
    return cm.orbits_facing_sun(epoch, cm.R_EQ_M + alt_m, np.full(raan.shape, np.pi / 2), raan)


def table(label, orbits, epoch, step_s):
    sun = cm.SunTable(epoch, 0.0, orbits.period_s.max() + 2 * step_s)
    base_in, base_out = cm.contacts(orbits, sun, cm.sphere_shadow(cm.R_EQ_M), step_s)
    pen_in, _ = cm.contacts(orbits, sun, cm.sphere_shadow(cm.R_EQ_M), step_s, level=0.999)
    umb_in, _ = cm.contacts(orbits, sun, cm.sphere_shadow(cm.R_EQ_M), step_s, level=0.001)
    s0 = sun(np.zeros(1))[0]
    beta = np.degrees(orbits.beta_rad(s0 / np.linalg.norm(s0)))
    worst = {}
    for k in range(len(orbits)):
        print(f"  {label:22s} beta {beta[k]:5.1f} deg: eclipse {cm.fmt((base_out - base_in)[k] / 60, 1)} min,"
              f" penumbra crossing {cm.fmt((umb_in - pen_in)[k], 1)} s")
    for h_km in HEIGHTS_KM:
        t_in, t_out = cm.contacts(orbits, sun, cm.sphere_shadow(cm.R_EQ_M + h_km * 1e3), step_s)
        d_in = base_in - t_in  # > 0: shadow entered earlier
        d_out = t_out - base_out  # > 0: left later
        longer = d_in + d_out
        for k in range(len(orbits)):
            print(f"    H = {h_km:4.0f} km  beta {beta[k]:5.1f}: ingress {cm.fmt(d_in[k], 2)} s earlier,"
                  f" egress {cm.fmt(d_out[k], 2)} s later, eclipse +{cm.fmt(longer[k], 2)} s"
                  f" ({cm.fmt(100 * longer[k] / orbits.period_s[k], 3)} % of the orbit)")
        worst[h_km] = (float(np.nanmax(np.fmax(d_in, d_out))), float(np.nanmax(longer / orbits.period_s)))
    return worst


def main():
    epoch = cm.epoch_tt(EQUINOX)
    results = {}
    print("Contacts with the shadowing sphere raised by H (kernel conical shadow), 2026 March equinox:")
    for alt_km in (400.0, 550.0, 1200.0):
        orbits = polar_orbits_at_beta(epoch, alt_km * 1e3, [0.0, 30.0, 50.0])
        results[f"LEO {alt_km:.0f} km"] = table(f"LEO {alt_km:.0f} km", orbits, epoch, 10.0)
    geo_rows = []
    for days in (0.0, 15.0):
        ep = (epoch[0], epoch[1] + days)
        orbits = cm.orbits_facing_sun(ep, cm.R_GEO_M, 0.0, 0.0)
        geo_rows.append(table(f"GEO equinox+{days:.0f} d", orbits, ep, 60.0))
    results["GEO"] = {h: (max(r[h][0] for r in geo_rows), max(r[h][1] for r in geo_rows)) for h in HEIGHTS_KM}
    print("Summary: max contact shift [s] / max eclipse lengthening [% of orbit]")
    for name, worst in results.items():
        cells = "  ".join(f"H={h:.0f}km: {worst[h][0]:.2f} s / {100 * worst[h][1]:.3f} %" for h in HEIGHTS_KM)
        print(f"  {name:13s} {cells}")
    leo = [v for k, v in results.items() if k.startswith("LEO")]
    for h in (20.0, 50.0):
        print(f"RESULT leo_max_contact_shift_H{h:.0f}km_s = {max(w[h][0] for w in leo):.2f}")
        print(f"RESULT geo_max_contact_shift_H{h:.0f}km_s = {results['GEO'][h][0]:.2f}")
    print(f"cpu_s = {cm.cpu_seconds():.1f}")


if __name__ == "__main__":
    main()
