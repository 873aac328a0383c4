"""kernels/ground.py: Earth rotation, station positions, look angles, the per-step accumulators.

References: ERFA (the IAU SOFA library's C code, through pyerfa) for the Earth rotation angle,
GMST and the full IAU 2006/2000A celestial-to-terrestrial matrix; the WGS-84 defining numbers
for the station positions; analytic look geometry for the elevation and the light time.
"""

import erfa
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from orbital_sim.kernels import ground as g
from tests.reference import ground_ref

TWO_PI = 2.0 * np.pi
ANGLE_TOL_RAD = 1e-10  # 0.6 mm at the Earth's surface
# nutation (<= 0.5 km), neglected in the kernel, is the whole difference to ERFA's full chain
STATION_TOL_M = 1000.0
C_M_S = 299_792_458.0
J2000 = 2451545.0


def _wrap(x):
    return (np.asarray(x) + np.pi) % TWO_PI - np.pi


def _dates():
    """Two-part UT1 Julian dates from 1950 to 2100, fractions spread over the day."""
    rng = np.random.default_rng(7)
    whole = np.floor(rng.uniform(2433282.5, 2488069.5, 40)) + 0.5
    return whole, rng.uniform(0.0, 1.0, 40)


def test_era_known_value_and_rate():
    # at J2000.0 UT1 the angle is 2 pi x 0.7790572732640 = 280.46061837504 deg (IERS 2010, 5.15)
    era = float(g.earth_rotation_angle_rad(J2000, 0.0))
    assert np.degrees(era) == pytest.approx(280.46061837504, abs=1e-9)
    # one UT1 day later the Earth has turned 1.00273781191135448 times
    later = float(g.earth_rotation_angle_rad(J2000 + 1.0, 0.0))
    assert _wrap(later - era - TWO_PI * 0.00273781191135448) == pytest.approx(0.0, abs=ANGLE_TOL_RAD)


def test_era_and_gmst_match_erfa_1950_2100():
    whole, frac = _dates()
    era = np.asarray(jax.vmap(g.earth_rotation_angle_rad)(whole, frac))
    assert np.max(np.abs(_wrap(era - erfa.era00(whole, frac)))) < ANGLE_TOL_RAD
    tt = frac + 69.184 / 86400.0
    gmst = np.asarray(jax.vmap(g.gmst_rad)(whole, frac, whole, tt))
    assert np.max(np.abs(_wrap(gmst - erfa.gmst06(whole, frac, whole, tt)))) < ANGLE_TOL_RAD
    assert np.all((era >= 0) & (era < TWO_PI))


@pytest.mark.parametrize("lat_deg, lon_deg, h_m", [(0.0, 0.0, 0.0), (90.0, 0.0, 0.0), (78.23, 15.39, 500.0),
                                                   (-45.0, 200.0, 2000.0), (-90.0, 33.0, -100.0)])
def test_station_position_wgs84(lat_deg, lon_deg, h_m):
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    r, up = (np.asarray(x) for x in g.geodetic_to_itrs(lat, lon, h_m))
    r_ref, up_ref = ground_ref.geodetic_to_ecef(lat, lon, h_m)
    np.testing.assert_allclose(r, r_ref, atol=1e-6)  # 1 um
    np.testing.assert_allclose(r, erfa.gd2gc(1, lon, lat, h_m), atol=1e-6)
    np.testing.assert_allclose(up, up_ref, atol=1e-12)
    if lat_deg == 0.0:  # on the equator at the prime meridian: (a, 0, 0)
        np.testing.assert_allclose(r, [6378137.0, 0.0, 0.0], atol=1e-6)
    if abs(lat_deg) == 90.0:  # at a pole: z = +-(b + h), b = a (1 - f) = 6356752.314245 m
        assert abs(r[2]) == pytest.approx(6356752.314245 + h_m, abs=1e-5)


@pytest.mark.parametrize("year_offset_days", [-18262.5, 0.0, 9496.0, 18262.0])  # 1950, 2000, 2026, 2050
def test_itrs_to_eci_against_full_iau2006(year_offset_days):
    whole, frac = J2000 - 0.5 + year_offset_days, 0.3141
    tt = frac + 69.184 / 86400.0
    m = np.asarray(g.itrs_to_eci_matrix(whole, frac, whole, tt))
    np.testing.assert_allclose(m @ m.T, np.eye(3), atol=1e-14)
    assert np.linalg.det(m) == pytest.approx(1.0, abs=1e-14)
    ref = erfa.c2t06a(whole, tt, whole, frac, 0.0, 0.0).T
    for lat_deg, lon_deg in [(78.23, 15.39), (0.0, -70.0), (-35.4, 149.0)]:
        r, _ = ground_ref.geodetic_to_ecef(np.radians(lat_deg), np.radians(lon_deg), 0.0)
        assert np.linalg.norm(m @ r - ref @ r) < STATION_TOL_M
    if year_offset_days == 9496.0:  # 2026: without precession the station would be ~40 km off
        rz = np.asarray(g.rot_z(-g.gmst_rad(whole, frac, whole, tt)))
        r, _ = ground_ref.geodetic_to_ecef(0.0, 0.0, 0.0)
        assert np.linalg.norm(rz @ r - ref @ r) > 30e3


def _station(lat_deg=40.0, lon_deg=-105.0, h_m=1600.0, mask_deg=10.0, bin_s=1e-5):
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    r, up = g.geodetic_to_itrs(jnp.array([lat]), jnp.array([lon]), jnp.array([h_m]))
    return g.GroundParams(
        station_itrs_m=r, station_up_itrs=up, elevation_mask_rad=jnp.array([np.radians(mask_deg)]),
        epoch_jd_ut1_whole=jnp.asarray(2461119.5), epoch_jd_ut1_fraction=jnp.asarray(0.25),
        latency_bin_s=jnp.asarray(bin_s))


def _east_north(up):
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east)
    return east, np.cross(up, east)


def test_zenith_and_known_elevations():
    ground = _station()
    st, up = (np.asarray(x) for x in g.stations_eci(ground, 2461119.5, 0.25 + 69.184 / 86400, 1234.5))
    np.testing.assert_allclose(np.linalg.norm(up, axis=1), 1.0, atol=1e-15)
    zenith = st[0] + 500e3 * up[0]
    el, rng = g.look_geometry(jnp.asarray(zenith), jnp.asarray(st), jnp.asarray(up))
    assert float(el[0]) == pytest.approx(np.pi / 2, abs=1e-9)
    assert float(rng[0]) == pytest.approx(500e3, abs=1e-6)
    assert float(g.light_time_s(rng[0])) == pytest.approx(500e3 / C_M_S, rel=1e-15)  # 1.66782 ms
    east, north = _east_north(up[0])
    for el_deg, az_deg in [(9.9, 30.0), (10.1, 200.0), (45.0, 90.0), (-20.0, 0.0)]:
        e_rad, a_rad = np.radians(el_deg), np.radians(az_deg)
        d = np.cos(e_rad) * (np.sin(a_rad) * east + np.cos(a_rad) * north) + np.sin(e_rad) * up[0]
        node = st[0] + 1500e3 * d
        el, rng = g.look_geometry(jnp.asarray(node), jnp.asarray(st), jnp.asarray(up))
        assert np.degrees(float(el[0])) == pytest.approx(el_deg, abs=1e-9)
        gstate = g.init_ground_state(1, 8)
        _, diag = g.ground_node_step(ground, gstate, jnp.asarray(node), jnp.asarray(st), jnp.asarray(up),
                                     30.0, jnp.asarray(True))
        assert float(diag["visible"][0]) == (1.0 if el_deg >= 10.0 else 0.0)


def test_accumulators_follow_a_contact_pattern():
    """Visible / not visible sequence -> visible time, gaps, min/max latency and histogram, by hand."""
    ground = _station(bin_s=1e-3)
    st, up = (jnp.asarray(x) for x in g.stations_eci(ground, 2461119.5, 0.25, 0.0))
    east, _ = _east_north(np.asarray(up[0]))
    hidden = np.asarray(st[0]) + 1000e3 * east - 300e3 * np.asarray(up[0])  # below the horizon
    ranges = {1: 3000e3, 2: 900e3, 5: 1500e3, 6: 600e3}  # visible steps and their ranges [m]
    dt = 60.0
    step = jax.jit(lambda s, r, n: g.ground_node_step(ground, s, r, st, up, dt, n))
    s = g.init_ground_state(1, 16)
    for k in range(11):
        r = np.asarray(st[0]) + ranges[k] * np.asarray(up[0]) if k in ranges else hidden
        s, diag = step(s, jnp.asarray(r), jnp.asarray(True))
        if k in ranges:
            assert float(diag["slant_range"][0]) == pytest.approx(ranges[k], abs=1e-6)
        else:
            assert np.isnan(float(diag["slant_range"][0]))
    s_before = s
    s, _ = step(s, jnp.asarray(hidden), jnp.asarray(False))  # a step that does not count
    for a, b in zip(jax.tree_util.tree_leaves(s), jax.tree_util.tree_leaves(s_before)):
        np.testing.assert_array_equal(a, b)
    assert float(s.visible_s[0]) == 4 * dt
    assert float(s.latency_min_s[0]) == pytest.approx(600e3 / C_M_S, rel=1e-14)
    assert float(s.latency_max_s[0]) == pytest.approx(3000e3 / C_M_S, rel=1e-14)
    assert float(s.gap_max_s[0]) == 4 * dt  # steps 7..10 hidden: the trailing gap is the longest
    assert float(s.gap_current_s[0]) == 4 * dt
    expected = np.zeros(16, np.int32)
    for r in ranges.values():
        expected[int(r / C_M_S / 1e-3)] += 1  # 2.0, 3.0, 5.0, 10.0 ms -> bins 2, 3, 5, 10 (of 1 ms)
    np.testing.assert_array_equal(np.asarray(s.latency_hist[0]), expected)
