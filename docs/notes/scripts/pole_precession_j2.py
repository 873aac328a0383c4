"""Precession of the Earth's pole since J2000, for J2: the kernel's J2 axis is the GCRS z axis.

Run: python docs/notes/scripts/pole_precession_j2.py   (about 7 s of CPU)
Note: docs/notes/pole_precession_j2.md

1. The angle between the GCRS z axis and the true rotation pole (the CIP, IAU 2006/2000A
   precession-nutation, ERFA ``pnm06a``), and the precession part alone (``pmat06``), at a few
   dates; and the kernel Sun's own IAU 1976 precession angle theta_A for comparison.
2. 30-day Cowell propagation (the kernel's ``accel_point_mass_j2`` and ``rk4_step``, 20 s steps)
   of the same initial GCRS states with the J2 axis along z (the kernel) and along the CIP of
   the start date: position, node, orbit-normal and beta-angle differences, and the J2 node
   rate about each axis.
"""

import erfa
import jax
import jax.numpy as jnp
import numpy as np

import _common as cm
from orbital_sim.kernels import orbit as korbit
from orbital_sim.kernels import sun as ksun

START = "2026-01-01T00:00:00Z"
DAYS = 30
DT_S = 20.0
SAMPLE_EVERY = 60  # steps (20 min)


def pole_angles():
    print("Angle between the GCRS z axis and the Earth's pole [arcsec]:")
    print("   date (UTC)      CIP (prec.+nut.)   mean pole (prec. only)   kernel IAU 1976 theta_A   CIP - mean pole")
    for iso in ["2000-01-01T12:00:00Z", "2026-01-01T00:00:00Z", "2026-07-01T00:00:00Z", "2030-01-01T00:00:00Z",
                "2050-01-01T00:00:00Z", "2100-01-01T00:00:00Z"]:
        w, f = cm.epoch_tt(iso)
        cip = erfa.pnm06a(w, f)[2]
        mean = erfa.pmat06(w, f)[2]
        theta = float(ksun.precession_angles_rad(ksun.julian_centuries_tt(w, f))[2])
        ang = lambda u: np.degrees(np.arctan2(np.hypot(u[0], u[1]), u[2])) * 3600  # noqa: E731
        sep = np.degrees(np.arccos(np.clip(cip @ mean, -1.0, 1.0))) * 3600
        print(f"   {iso[:10]}       {ang(cip):10.1f}           {ang(mean):10.1f}             {abs(theta) / cm.ARCSEC:10.1f}"
              f"            {sep:6.1f}")
    w, f = cm.epoch_tt(START)
    return erfa.pnm06a(w, f)


def propagate(r0, v0, rot):
    """(samples, n, 3) positions and velocities for each initial state, J2 along M^T z."""
    gm, req, j2 = cm.GM, cm.R_EQ_M, 1.08262668e-3
    m = jnp.asarray(rot)

    # ``v=None``: rk4_step passes (r) or (r, v) depending on the kernel version
    def accel_z(r, v=None):
        return korbit.accel_point_mass_j2(r, gm, req, j2)

    def accel_tilted(r, v=None):
        return m.T @ korbit.accel_point_mass_j2(m @ r, gm, req, j2)

    def run(accel, r_init, v_init):
        def sample(carry, _):
            def step(_, rv):
                return korbit.rk4_step(rv[0], rv[1], DT_S, accel)

            carry = jax.lax.fori_loop(0, SAMPLE_EVERY, step, carry)
            return carry, carry

        n_samples = int(DAYS * 86400 / DT_S / SAMPLE_EVERY)
        _, (rs, vs) = jax.lax.scan(sample, (r_init, v_init), None, length=n_samples)
        return rs, vs

    batched = jax.jit(jax.vmap(lambda r, v: (run(accel_z, r, v), run(accel_tilted, r, v))))
    return batched(jnp.asarray(r0), jnp.asarray(v0))


def main():
    rot = pole_angles()
    cip = rot[2]
    tilt = np.degrees(np.arccos(cip[2]))
    print(f"J2 axis tilt used below (CIP at {START[:10]}): {tilt * 3600:.1f} arcsec = {tilt:.4f} deg")

    cases = [(53.0, 0.0), (53.0, 90.0), (53.0, 180.0), (53.0, 270.0), (97.6, 0.0), (97.6, 90.0), (97.6, 180.0),
             (97.6, 270.0)]
    a_m = cm.R_EQ_M + 550e3
    r0, v0 = [], []
    for inc, raan in cases:
        r, v = korbit.elements_to_state(a_m, 0.0, np.radians(inc), np.radians(raan), 0.0, 0.0, cm.GM)
        r0.append(np.asarray(r))
        v0.append(np.asarray(v))
    r0, v0 = np.array(r0), np.array(v0)
    (rz, vz), (rt, vt) = (tuple(np.asarray(x) for x in pair) for pair in propagate(r0, v0, rot))
    # shapes (n_orbits, n_samples, 3)
    n_samples = rz.shape[1]
    t_s = (np.arange(n_samples) + 1) * DT_S * SAMPLE_EVERY
    epoch = cm.epoch_tt(START)
    sun = cm.sun_eci_m(epoch, t_s)
    s_hat = sun / np.linalg.norm(sun, axis=1, keepdims=True)

    def normal(r, v):
        h = np.cross(r, v)
        return h / np.linalg.norm(h, axis=-1, keepdims=True)

    j2 = 1.08262668e-3
    n_mean = np.sqrt(cm.GM / a_m**3)

    def node_rate_deg_day(i_rad):
        return np.degrees(-1.5 * n_mean * j2 * (cm.R_EQ_M / a_m) ** 2 * np.cos(i_rad)) * 86400

    print(f"30-day Cowell runs, 550 km circular, J2 axis = z (kernel) vs = CIP; same initial GCRS state:")
    print("   i[deg] node[deg]  i_true[deg]  node rate z / CIP [deg/day]   |dr| 30 d[km]  max |dr|[km]"
          "  normal diff 30 d[deg]  max |d beta|[deg]")
    worst = dict(dr=0.0, normal=0.0, beta=0.0, rate=0.0)
    for k, (inc, raan) in enumerate(cases):
        dr = np.linalg.norm(rz[k] - rt[k], axis=-1) / 1e3
        hz, ht = normal(rz[k], vz[k]), normal(rt[k], vt[k])
        dn = np.degrees(np.arctan2(np.linalg.norm(np.cross(hz, ht), axis=-1), np.sum(hz * ht, -1)))
        beta_z = np.degrees(np.arcsin(np.sum(hz * s_hat, -1)))
        beta_t = np.degrees(np.arcsin(np.sum(ht * s_hat, -1)))
        h0 = normal(r0[k], v0[k])
        i_true = np.arccos(np.clip(h0 @ cip, -1, 1))
        rate_z, rate_t = node_rate_deg_day(np.radians(inc)), node_rate_deg_day(i_true)
        worst["dr"] = max(worst["dr"], dr.max())
        worst["normal"] = max(worst["normal"], dn.max())
        worst["beta"] = max(worst["beta"], np.abs(beta_z - beta_t).max())
        worst["rate"] = max(worst["rate"], abs(rate_t - rate_z))
        print(f"   {inc:5.1f}  {raan:6.1f}     {np.degrees(i_true):8.4f}     {rate_z:8.4f} / {rate_t:8.4f}"
              f"          {dr[-1]:8.1f}     {dr.max():8.1f}           {dn[-1]:7.4f}             {np.abs(beta_z - beta_t).max():7.4f}")
    # Orbits designed relative to the true equator: J2 dynamics commute with rotations, so that
    # run is the kernel's run turned by the tilt: every vector moves by at most the tilt angle.
    r_max = a_m
    print(f"Same orbit designed relative to each pole (elements about z vs about the CIP): the runs differ by a"
          f" fixed rotation of {tilt:.4f} deg: |dr| <= {2 * r_max * np.sin(np.radians(tilt) / 2) / 1e3:.1f} km,"
          f" orbit normal and beta <= {tilt:.4f} deg, for any duration")
    # what a beta error does to the eclipse (cylindrical formula, REFERENCE.md), 550 km
    h_m = 550e3
    def ecl_min(beta_deg):
        x = np.sqrt(h_m**2 + 2 * cm.R_EQ_M * h_m) / (a_m * np.cos(np.radians(beta_deg)))
        return np.degrees(np.arccos(np.clip(x, -1, 1))) / 180.0 * 2 * np.pi / n_mean / 60.0
    dbeta = worst["beta"]
    print(f"Eclipse length change for a beta error of {dbeta:.3f} deg at 550 km (cylindrical shadow):")
    for b in (0.0, 30.0, 50.0, 60.0, 65.0):
        print(f"   beta {b:4.0f} deg: eclipse {ecl_min(b):5.2f} min, change {60 * (ecl_min(b + dbeta) - ecl_min(b)):+6.2f} s")
    print(f"RESULT pole_tilt_2026_arcsec = {tilt * 3600:.1f}")
    print(f"RESULT max_node_rate_difference_deg_per_day = {worst['rate']:.5f}")
    print(f"RESULT max_position_difference_30d_km = {worst['dr']:.1f}")
    print(f"RESULT max_orbit_normal_difference_30d_deg = {worst['normal']:.4f}")
    print(f"RESULT max_beta_difference_30d_deg = {worst['beta']:.4f}")
    print(f"cpu_s = {cm.cpu_seconds():.1f}")


if __name__ == "__main__":
    main()
