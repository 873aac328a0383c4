"""Self-tests of the independent references against analytic or published truths.

These make the references trustworthy before the kernels are tested against them. Each test
runs in well under 10 s on one core.
"""

import math
import warnings

import numpy as np
import pytest
from astropy.time import Time
from scipy.optimize import brentq

from tests.reference import orbit_ref, power_ref, shadow_ref, sun_ref, thermal_ref, viewfactor_ref
from tests.reference.constants_ref import (
    AU_M, GM_EARTH_M3_S2, J2_EARTH, R_EARTH_EQ_M, R_SUN_M, STEFAN_BOLTZMANN_W_M2_K4,
)

RE = R_EARTH_EQ_M


# ----------------------------------------------------------------------------- orbit


ELEMENT_SETS = [
    # a_m, e, i_rad, raan_rad, argp_rad, mean_anomaly_rad
    (RE + 550e3, 0.001, math.radians(53.0), 0.3, 1.0, 2.0),
    (RE + 650e3, 1e-4, math.radians(97.99), 4.0, 5.5, 0.1),  # SSO, retrograde
    (26_560e3, 0.74, math.radians(63.4), 1.0, math.radians(270.0), 3.0),  # Molniya
    (42_164e3, 0.2, math.radians(0.5), 6.0, 0.2, 6.2),
    (RE + 400e3, 0.05, math.radians(120.0), 2.5, 3.3, math.pi),
]


def _angle_diff(a, b):
    return abs((a - b + math.pi) % (2 * math.pi) - math.pi)


@pytest.mark.parametrize("e", [0.0, 1e-6, 0.01, 0.3, 0.7, 0.95, 0.999])
def test_kepler_solver_residual(e):
    for m in np.linspace(-7.0, 7.0, 57):
        ecc = orbit_ref.solve_kepler(m, e)
        m_wrapped = (m + math.pi) % (2 * math.pi) - math.pi
        assert abs(ecc - e * math.sin(ecc) - m_wrapped) < 2e-15


@pytest.mark.parametrize("elements", ELEMENT_SETS)
def test_state_agrees_with_true_anomaly_form(elements):
    # The reference builds the state from E; check it against the conic in the true anomaly.
    a, e, i, raan, argp, m = elements
    r, v = orbit_ref.elements_to_state(*elements)
    ecc = orbit_ref.solve_kepler(m, e)
    nu = 2 * math.atan2(math.sqrt(1 + e) * math.sin(ecc / 2), math.sqrt(1 - e) * math.cos(ecc / 2))
    p = a * (1 - e * e)
    assert np.linalg.norm(r) == pytest.approx(p / (1 + e * math.cos(nu)), rel=1e-14)
    assert np.linalg.norm(np.cross(r, v)) == pytest.approx(math.sqrt(GM_EARTH_M3_S2 * p), rel=1e-14)
    assert 0.5 * v @ v - GM_EARTH_M3_S2 / np.linalg.norm(r) == pytest.approx(
        -GM_EARTH_M3_S2 / (2 * a), rel=1e-13)
    # node direction (cos raan, sin raan, 0) is perpendicular to h; h_z = |h| cos i
    h = np.cross(r, v)
    assert h @ [math.cos(raan), math.sin(raan), 0.0] == pytest.approx(0.0, abs=1e-9 * np.linalg.norm(h))
    assert h[2] / np.linalg.norm(h) == pytest.approx(math.cos(i), abs=1e-14)
    # argument of latitude u = argp + nu: z = r sin(i) sin(u)
    assert r[2] == pytest.approx(np.linalg.norm(r) * math.sin(i) * math.sin(argp + nu), abs=1e-7)


@pytest.mark.parametrize("elements", ELEMENT_SETS)
def test_elements_round_trip(elements):
    r, v = orbit_ref.elements_to_state(*elements)
    el = orbit_ref.state_to_elements(r, v)
    a, e, i, raan, argp, m = elements
    assert el["a_m"] == pytest.approx(a, rel=1e-13)
    assert el["e"] == pytest.approx(e, abs=1e-13)
    assert el["i_rad"] == pytest.approx(i, abs=1e-13)
    assert _angle_diff(el["raan_rad"], raan) < 1e-12
    assert _angle_diff(el["argp_rad"], argp) < 1e-8  # e = 1e-4 case: ~1e-16 / e
    assert _angle_diff(el["mean_anomaly_rad"], m) < 1e-8
    r2, v2 = orbit_ref.elements_to_state(*(el[k] for k in (
        "a_m", "e", "i_rad", "raan_rad", "argp_rad", "mean_anomaly_rad")))
    np.testing.assert_allclose(r2, r, rtol=0, atol=1e-6)
    np.testing.assert_allclose(v2, v, rtol=0, atol=1e-9)


def test_singular_element_conventions():
    # circular inclined: argp = 0, mean anomaly = argument of latitude
    r, v = orbit_ref.elements_to_state(7e6, 0.0, 0.5, 1.0, 0.0, 0.7)
    el = orbit_ref.state_to_elements(r, v)
    assert el["e"] < 1e-14 and el["argp_rad"] == 0.0
    assert _angle_diff(el["mean_anomaly_rad"], 0.7) < 1e-12
    assert _angle_diff(el["raan_rad"], 1.0) < 1e-12
    # equatorial eccentric: raan = 0, argp = longitude of periapsis
    r, v = orbit_ref.elements_to_state(7e6, 0.1, 0.0, 0.0, 2.0, 0.3)
    el = orbit_ref.state_to_elements(r, v)
    assert el["raan_rad"] == 0.0
    assert _angle_diff(el["argp_rad"], 2.0) < 1e-12


def test_circular_orbit_period():
    a = RE + 700e3
    r0, v0 = orbit_ref.elements_to_state(a, 0.0, 0.9, 0.2, 0.0, 0.4)
    assert np.linalg.norm(r0) == pytest.approx(a, rel=1e-15)
    assert np.linalg.norm(v0) == pytest.approx(math.sqrt(GM_EARTH_M3_S2 / a), rel=1e-15)
    period_s = 2 * math.pi * math.sqrt(a**3 / GM_EARTH_M3_S2)
    r, v = orbit_ref.propagate_j2(r0, v0, [0.5 * period_s, period_s], j2=0.0)
    np.testing.assert_allclose(r[0], -r0, rtol=0, atol=1e-5)  # half a period: opposite side
    np.testing.assert_allclose(r[1], r0, rtol=0, atol=1e-5)  # one period: back, to 10 um
    np.testing.assert_allclose(v[1], v0, rtol=0, atol=1e-8)


def _j2_closed_form(r):
    """The usual closed form (Vallado eq. 8-30), written independently of the reference."""
    x, y, z = r
    rn = np.linalg.norm(r)
    k = 1.5 * J2_EARTH * (RE / rn) ** 2
    zz = (z / rn) ** 2
    f = -GM_EARTH_M3_S2 / rn**3
    return np.array([f * x * (1 + k * (1 - 5 * zz)), f * y * (1 + k * (1 - 5 * zz)),
                     f * z * (1 + k * (3 - 5 * zz))])


def test_j2_acceleration_matches_closed_form_and_potential():
    rng = np.random.default_rng(1)
    for _ in range(50):
        d = rng.normal(size=3)
        r = d / np.linalg.norm(d) * rng.uniform(RE + 200e3, 45_000e3)
        acc = orbit_ref.acceleration_point_mass_j2(r)
        np.testing.assert_allclose(acc, _j2_closed_form(r), rtol=0,
                                   atol=2e-15 * np.linalg.norm(acc))
        # and minus the gradient of the potential by 4th-order central differences
        h = 1.0
        grad = np.zeros(3)
        for k in range(3):
            e = np.zeros(3)
            e[k] = h
            u = [orbit_ref.potential_point_mass_j2(r + s * e) for s in (-2, -1, 1, 2)]
            grad[k] = (u[0] - 8 * u[1] + 8 * u[2] - u[3]) / (12 * h)
        np.testing.assert_allclose(acc, -grad, rtol=0, atol=1e-7 * np.linalg.norm(acc))


def test_propagation_conserves_energy_and_hz_over_a_day():
    r0, v0 = orbit_ref.elements_to_state(RE + 500e3, 0.02, math.radians(45.0), 0.1, 0.2, 0.3)
    t = np.linspace(0.0, 86400.0, 97)
    r, v = orbit_ref.propagate_j2(r0, v0, t)
    energy = orbit_ref.specific_energy(r, v)
    hz = np.cross(r, v)[:, 2]
    assert np.max(np.abs(energy / energy[0] - 1)) < 1e-10
    assert np.max(np.abs(hz / hz[0] - 1)) < 1e-10
    # J2 does change |h| (it is not a central force): the test is not trivially satisfied
    h = np.linalg.norm(np.cross(r, v), axis=1)
    assert np.ptp(h) / h[0] > 1e-5


def test_node_regression_matches_secular_rates_over_10_days():
    a, e, i = RE + 700e3, 0.01, math.radians(50.0)
    r0, v0 = orbit_ref.elements_to_state(a, e, i, 0.5, 1.0, 0.0)
    t = np.arange(0.0, 10 * 86400.0 + 1, 600.0)
    r, v = orbit_ref.propagate_j2(r0, v0, t)
    el = [orbit_ref.state_to_elements(x, y) for x, y in zip(r, v)]
    raan = np.unwrap([d["raan_rad"] for d in el])
    argp = np.unwrap([d["argp_rad"] for d in el])
    raan_dot, argp_dot, _ = orbit_ref.j2_secular_rates(a, e, i)
    assert np.polyfit(t, raan, 1)[0] == pytest.approx(raan_dot, rel=0.01)
    assert np.polyfit(t, argp, 1)[0] == pytest.approx(argp_dot, rel=0.01)


def test_secular_rates_sun_synchronous_inclination():
    # REFERENCE.md: SSO at 650 km has i = 97.99 deg, node rate 360 deg / 365.2422 d
    ss_rate = 2 * math.pi / (365.2422 * 86400.0)
    a = RE + 650e3
    i_ss = brentq(lambda i: orbit_ref.j2_secular_rates(a, 0.0, i)[0] - ss_rate, 1.6, 3.1)
    assert math.degrees(i_ss) == pytest.approx(97.99, abs=0.005)
    n = math.sqrt(GM_EARTH_M3_S2 / a**3)
    _, _, m_dot = orbit_ref.j2_secular_rates(a, 0.0, math.asin(math.sqrt(2 / 3)))
    assert m_dot == pytest.approx(n, rel=1e-15)  # 2 - 3 sin^2 i = 0: no J2 drift of M


# ----------------------------------------------------------------------------- sun


@pytest.mark.parametrize("entry", sun_ref.TABULATED_SUN, ids=lambda e: e["frame"])
def test_astropy_reproduces_tabulated_sun(entry):
    ref = sun_ref.astropy_sun_like(entry)
    if entry["frame"] == "TETE":
        sep = sun_ref.angle_between_arcsec(entry["ra_deg"], entry["dec_deg"], ref["ra_deg"],
                                           ref["dec_deg"])
    else:
        sep = sun_ref.angle_between_arcsec(entry["lon_deg"], entry["lat_deg"], ref["lon_deg"],
                                           ref["lat_deg"])
    assert sep < entry["tolerance_arcsec"]
    assert abs(ref["distance_au"] - entry["distance_au"]) < entry["tolerance_au"]


def test_sun_works_offline_without_warnings():
    from astropy.utils import iers
    assert iers.conf.auto_download is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no IERS / download / leap-second warnings
        r = sun_ref.sun_gcrs_m(["1950-01-01T00:00:00", "2026-01-01T00:00:00",
                                "2099-06-01T00:00:00"])
    assert r.shape == (3, 3)
    assert np.all(np.abs(np.linalg.norm(r, axis=1) / AU_M - 1) < 0.02)
    # scalar input gives (1, 3)
    assert sun_ref.sun_gcrs_m("2026-03-20T12:00:00").shape == (1, 3)


def test_sun_distance_over_a_year():
    days = [f"2026-{m:02d}-{d:02d}T00:00:00" for m in range(1, 13) for d in range(1, 29, 3)]
    r_au = np.linalg.norm(sun_ref.sun_gcrs_m(days), axis=1) / AU_M
    assert 0.983 < r_au.min() and r_au.max() < 1.017
    assert days[int(np.argmin(r_au))].startswith("2026-01")  # perihelion early January
    assert days[int(np.argmax(r_au))].startswith("2026-07")  # aphelion early July


def test_sun_two_part_tt_matches_utc():
    # 2000-01-01T12:00:00 TT = 11:58:55.816 UTC (TT - UTC = 32.184 + 32 s)
    r_tt = sun_ref.sun_gcrs_m_from_jd_tt(2451545.0, 0.0)
    r_utc = sun_ref.sun_gcrs_m("2000-01-01T11:58:55.816")
    np.testing.assert_allclose(r_tt, r_utc, rtol=0, atol=10.0)
    r_split = sun_ref.sun_gcrs_m_from_jd_tt([2461041.0, 2461041.5], [0.5, 0.0])
    np.testing.assert_allclose(r_split[0], r_split[1], rtol=0, atol=1e-3)


def test_sun_against_usno_low_precision_formula():
    # USNO "Approximate Solar Coordinates" (from the Astronomical Almanac): apparent ecliptic
    # longitude to ~0.01 deg and distance for 1950-2050; an independent sanity check that
    # sun_gcrs_m really is the geocentric Sun.
    for month in range(1, 13, 2):
        iso = f"2026-{month:02d}-15T00:00:00"
        ref = sun_ref.astropy_sun_like(dict(time=iso, time_scale="tt",
                                            frame="GeocentricTrueEcliptic"))
        d = Time(iso, scale="tt").jd - 2451545.0
        g = math.radians(357.529 + 0.98560028 * d)
        q = 280.459 + 0.98564736 * d
        lon = (q + 1.915 * math.sin(g) + 0.020 * math.sin(2 * g)) % 360.0
        r_au = 1.00014 - 0.01671 * math.cos(g) - 0.00014 * math.cos(2 * g)
        assert _angle_diff(math.radians(lon), math.radians(ref["lon_deg"])) < math.radians(0.01)
        assert abs(ref["lat_deg"]) < 1e-3
        assert r_au == pytest.approx(ref["distance_au"], abs=1e-4)


# ----------------------------------------------------------------------------- shadow


R_SUN_VEC = np.array([AU_M, 0.0, 0.0])


def _annular_exact(theta_e, theta_s):
    # solid angle of a cap: 2 pi (1 - cos theta) = 4 pi sin^2(theta / 2) (no cancellation)
    return 1 - (math.sin(theta_e / 2) / math.sin(theta_s / 2)) ** 2


def test_shadow_fully_sunlit_and_umbra():
    f = shadow_ref.sunlit_fraction_quadrature
    assert f([RE + 500e3, 0, 0], R_SUN_VEC) == 1.0  # sub-solar side
    assert f([0, RE + 500e3, 0], R_SUN_VEC) == 1.0  # terminator, well outside the shadow
    assert f([-(RE + 500e3), 0, 0], R_SUN_VEC) == 0.0  # behind the Earth on the axis
    assert f([-(RE + 500e3), 0.5 * RE, 0], R_SUN_VEC) == 0.0


@pytest.mark.parametrize("offset_frac", [0.0, 0.3, 0.8])
def test_shadow_annular(offset_frac):
    # Far beyond the umbra tip (~1.38e9 m) the Earth disk fits inside the Sun disk.
    d_m = 2.5e9
    theta_e = math.asin(RE / d_m)
    theta_s = math.asin(R_SUN_M / (AU_M + d_m))
    c = offset_frac * (theta_s - theta_e)  # Earth disk still wholly inside the Sun disk
    r_sat = -d_m * np.array([math.cos(c), math.sin(c), 0.0])
    # angle between the Sun direction seen from the satellite and the Earth direction
    to_sun = R_SUN_VEC - r_sat
    c_true = math.atan2(np.linalg.norm(np.cross(to_sun, -r_sat)), to_sun @ -r_sat)
    assert c_true < theta_s - theta_e
    theta_s = math.asin(R_SUN_M / np.linalg.norm(to_sun))
    frac = shadow_ref.sunlit_fraction_quadrature(r_sat, R_SUN_VEC)
    assert frac == pytest.approx(_annular_exact(theta_e, theta_s), abs=1e-12)
    assert frac == pytest.approx(1 - (theta_e / theta_s) ** 2, abs=1e-5)  # flat-disk version


def _ray_cast_fraction(r_sat, r_sun, n_rho=2500, n_phi=2500):
    """Brute force: a grid of rays over the Sun cap, each tested against the Earth sphere."""
    to_sun = r_sun - r_sat
    s_hat = to_sun / np.linalg.norm(to_sun)
    theta_s = math.asin(R_SUN_M / np.linalg.norm(to_sun))
    u_hat = np.cross(s_hat, [0.0, 0.0, 1.0])
    u_hat /= np.linalg.norm(u_hat)
    w_hat = np.cross(s_hat, u_hat)
    edges = np.linspace(0.0, theta_s, n_rho + 1)  # rings of equal width
    rho = 0.5 * (edges[:-1] + edges[1:])
    ring_w = np.cos(edges[:-1]) - np.cos(edges[1:])  # exact solid angle / 2 pi of each ring
    # azimuths offset ring by ring (golden ratio) so no cell edge lines up with the Earth limb
    shift = (np.arange(n_rho) * 0.6180339887498949) % 1.0
    phi = (np.arange(n_phi)[None, :] + shift[:, None]) * 2 * np.pi / n_phi
    # b = d . r_sat for d = cos(rho) s + sin(rho) (cos(phi) u + sin(phi) w)
    b = (np.cos(rho)[:, None] * (s_hat @ r_sat)
         + np.sin(rho)[:, None] * (np.cos(phi) * (u_hat @ r_sat) + np.sin(phi) * (w_hat @ r_sat)))
    # the ray r_sat + t d meets |x| = R for some t > 0 when b < 0 and b^2 >= |r|^2 - R^2
    hit = (b < 0) & (b * b >= r_sat @ r_sat - RE * RE)
    return 1.0 - np.sum(ring_w * hit.mean(axis=1)) / np.sum(ring_w)


@pytest.mark.parametrize("alt_m,k", [(500e3, -0.7), (500e3, 0.0), (500e3, 0.5),
                                     (35_786e3, -0.5), (35_786e3, 0.3)])
def test_shadow_penumbra_matches_ray_casting(alt_m, k):
    # Put the satellite at perpendicular distance R_E + k * |x| * theta_s from the shadow axis:
    # inside the penumbra for |k| < ~1 (k < 0 darker).
    a = RE + alt_m
    theta_s = R_SUN_M / AU_M
    x = -a
    for _ in range(3):
        p = RE + k * abs(x) * theta_s
        x = -math.sqrt(a * a - p * p)
    r_sat = np.array([x, p * math.cos(0.4), p * math.sin(0.4)])
    frac = shadow_ref.sunlit_fraction_quadrature(r_sat, R_SUN_VEC)
    assert 0.01 < frac < 0.99
    assert frac == pytest.approx(_ray_cast_fraction(r_sat, R_SUN_VEC), abs=1e-5)
    frac_fine = shadow_ref.sunlit_fraction_quadrature(r_sat, R_SUN_VEC, n=200)
    assert frac == pytest.approx(frac_fine, abs=1e-13)


def test_shadow_monotone_through_penumbra_and_vectorised():
    a = RE + 550e3
    ang0 = math.pi - math.asin(RE / a)
    angs = ang0 + np.linspace(-0.01, 0.01, 201)
    r_sat = a * np.stack([np.cos(angs), np.sin(angs), np.zeros_like(angs)], axis=1)
    frac = shadow_ref.sunlit_fraction_quadrature(r_sat, R_SUN_VEC)
    assert frac.shape == (201,)
    assert frac[0] == 1.0 and frac[-1] == 0.0
    assert np.all(np.diff(frac) <= 1e-15)
    assert np.any((frac > 0.1) & (frac < 0.9))
    frac_cos = shadow_ref.sunlit_fraction_quadrature(r_sat, R_SUN_VEC, cosine_weighted=True)
    assert np.max(np.abs(frac_cos - frac)) < 1e-6


def test_cylindrical_eclipse_fraction():
    f = shadow_ref.eclipse_fraction_cylindrical
    # REFERENCE.md: 280 km, beta 0: sunlit 59 % of the orbit (Wikipedia "Beta angle")
    assert 1 - f(280e3, 0.0) == pytest.approx(0.59, abs=0.005)
    # ISS-like 400 km, beta 0: about 36 min of shadow in a 92.6 min orbit
    period_min = 2 * math.pi * math.sqrt((RE + 400e3) ** 3 / GM_EARTH_M3_S2) / 60
    assert period_min == pytest.approx(92.6, abs=0.1)
    assert f(400e3, 0.0) * period_min == pytest.approx(36.0, abs=0.5)
    beta_star = math.asin(RE / (RE + 400e3))
    assert f(400e3, beta_star + 1e-9) == 0.0 and f(400e3, -beta_star - 1e-3) == 0.0
    # against direct sampling of a circular orbit in a cylindrical shadow
    for beta in (0.0, 0.5, 1.0, 1.2):
        h = 800e3
        s_hat = np.array([math.cos(beta), 0.0, math.sin(beta)])  # orbit in the xy plane
        u = np.linspace(0, 2 * math.pi, 200_000, endpoint=False)
        r = (RE + h) * np.stack([np.cos(u), np.sin(u), np.zeros_like(u)], axis=1)
        along = r @ s_hat
        perp = np.linalg.norm(r - along[:, None] * s_hat, axis=1)
        frac_sampled = np.mean((along < 0) & (perp < RE))
        assert f(h, beta) == pytest.approx(frac_sampled, abs=2e-5)


def test_eclipse_events_linear_ramps():
    t = np.arange(0.0, 400.0, 1.0)
    frac = np.interp(t, [0, 100, 110, 200, 210, 300, 305, 310, 400],
                     [1, 1, 0, 0, 1, 1, 0.5, 1, 1])
    ev = shadow_ref.eclipse_events(t, frac)
    np.testing.assert_allclose(ev["penumbra_entry"], [100, 300], atol=1e-6)
    np.testing.assert_allclose(ev["umbra_entry"], [110], atol=1e-6)
    np.testing.assert_allclose(ev["umbra_exit"], [200], atol=1e-6)
    np.testing.assert_allclose(ev["penumbra_exit"], [210, 310], atol=1e-6)


# ----------------------------------------------------------------------------- view factor


def _howell_tilted_plate_sphere(big_h, lam):
    """Closed form (Howell's catalogue, sphere to tilted differential plate)."""
    if lam <= math.acos(1 / big_h):
        return math.cos(lam) / big_h**2
    if lam >= math.pi - math.acos(1 / big_h):
        return 0.0
    s = math.sqrt(big_h**2 - 1)
    return (0.5 - math.asin(s / (big_h * math.sin(lam))) / math.pi
            + (math.cos(lam) * math.acos(-s / math.tan(lam))
               - s * math.sqrt(1 - big_h**2 * math.cos(lam) ** 2)) / (math.pi * big_h**2))


@pytest.mark.parametrize("big_h", [1.05, 1.1, 1.5, 6.6])
def test_view_factor(big_h):
    vf = viewfactor_ref.view_factor_plate_sphere_quadrature
    assert vf(big_h, 0.0) == pytest.approx(1 / big_h**2, abs=1e-11)
    assert vf(big_h, math.pi) == 0.0
    lam_full = math.acos(1 / big_h)
    for lam in list(np.linspace(0, math.pi, 25)) + [lam_full, lam_full + 1e-3, math.pi / 2,
                                                     math.pi - lam_full - 1e-3]:
        assert vf(big_h, lam) == pytest.approx(_howell_tilted_plate_sphere(big_h, lam), abs=1e-9)
    assert vf(big_h, -0.7) == vf(big_h, 0.7)


# ----------------------------------------------------------------------------- thermal


def _one_plate_time(temp_k, t0_k, t_eq_k, k_per_s_k3):
    """Exact t(T) for dT/dt = k (T_eq^4 - T^4)."""
    def phi(x):
        return np.log(np.abs((t_eq_k + x) / (t_eq_k - x))) + 2 * np.arctan(x / t_eq_k)
    return (phi(temp_k) - phi(t0_k)) / (4 * k_per_s_k3 * t_eq_k**3)


@pytest.mark.parametrize("t0_k", [150.0, 500.0])
def test_one_plate_exact_trajectory_and_equilibrium(t0_k):
    c, area, q = 2000.0, 0.9, 800.0
    t_eq = thermal_ref.equilibrium_one_plate(q, area)
    assert STEFAN_BOLTZMANN_W_M2_K4 * area * (t_eq**4 - 2.7**4) == pytest.approx(q, rel=1e-14)
    t_eval = np.linspace(0.0, 2000.0, 41)
    temp = thermal_ref.solve_network([c], [[0.0]], [area], [q], [t0_k], t_eval)[:, 0]
    k = STEFAN_BOLTZMANN_W_M2_K4 * area / c
    # the exact t(T) of each computed T matches its time (observed 1e-9 relative, ~4e-9 K)
    np.testing.assert_allclose(_one_plate_time(temp[1:25], t0_k, t_eq, k), t_eval[1:25],
                               rtol=1e-8)
    long = thermal_ref.solve_network([c], [[0.0]], [area], lambda t: np.array([q]), [t0_k],
                                     [0.0, 20_000.0])
    assert long[-1, 0] == pytest.approx(t_eq, rel=1e-9)


def test_two_nodes_conduction_only():
    c = np.array([500.0, 2000.0])
    g = np.array([[0.0, 3.0], [3.0, 0.0]])
    t0 = np.array([350.0, 250.0])
    t_eval = np.linspace(0.0, 1500.0, 31)
    temp = thermal_ref.solve_network(c, g, [0.0, 0.0], [0.0, 0.0], t0, t_eval)
    np.testing.assert_allclose(temp @ c, t0 @ c, rtol=1e-12)
    rate = 3.0 * (1 / c[0] + 1 / c[1])
    np.testing.assert_allclose(temp[:, 0] - temp[:, 1], 100.0 * np.exp(-rate * t_eval),
                               rtol=1e-7, atol=1e-7)


def test_ledger_closes():
    c = np.array([5e3, 2e4, 800.0])
    g = np.array([[0, 2.0, 0.5], [2.0, 0, 10.0], [0.5, 10.0, 0]])
    area = np.array([0.3, 2.0, 0.0])
    q = lambda t: np.array([300 + 200 * np.sin(2 * np.pi * t / 5400), 50.0, 400.0])  # noqa: E731
    t_eval = np.linspace(0, 10_800, 61)
    out = thermal_ref.ledger(c, g, area, q, [290.0, 280.0, 300.0], t_eval)
    assert np.max(np.abs(out["residual_j"])) < 1e-9 * np.max(np.abs(out["absorbed_j"]))
    np.testing.assert_allclose(out["conducted_in_j"].sum(axis=1), 0.0,
                               atol=1e-9 * np.max(np.abs(out["conducted_in_j"])))
    temp = thermal_ref.solve_network(c, g, area, q, [290.0, 280.0, 300.0], t_eval)
    np.testing.assert_allclose(out["temperature_k"], temp, rtol=1e-8)
    # absorbed is the integral of q: check against its closed form
    t = t_eval[-1]
    absorbed_0 = 300 * t + 200 * 5400 / (2 * np.pi) * (1 - np.cos(2 * np.pi * t / 5400))
    assert out["absorbed_j"][-1, 0] == pytest.approx(absorbed_0, rel=1e-8)
    assert out["emitted_j"][-1, 2] == 0.0


# ----------------------------------------------------------------------------- power


def test_power_hand_computed_steps():
    out = power_ref.power_loop(
        p_array_w=[100.0, 0.0, 0.0, 5.0], p_bus_w=10.0, p_compute_nominal_w=100.0,
        utilization0=0.5, throttle=[1.0, 1.0, 0.5, 1.0], e0_j=950.0, e_capacity_j=1000.0,
        e_floor_j=100.0, eta_charge=0.9, eta_discharge=0.8, dt_s=10.0)
    np.testing.assert_allclose(out["energy_j"], [1000.0, 250.0, 100.0, 100.0], rtol=1e-15)
    np.testing.assert_allclose(out["charge_w"], [50 / 9, 0, 0, 0], rtol=1e-15)
    np.testing.assert_allclose(out["shed_w"], [40 - 50 / 9, 0, 0, 0], rtol=1e-15)
    np.testing.assert_allclose(out["discharge_w"], [0, 60.0, 12.0, 0.0], rtol=1e-15)
    np.testing.assert_allclose(out["compute_served_w"], [50.0, 50.0, 2.0, 0.0], rtol=1e-15)
    np.testing.assert_allclose(out["bus_served_w"], [10.0, 10.0, 10.0, 5.0], rtol=1e-15)
    np.testing.assert_allclose(out["battery_heat_w"], [0.1 * 50 / 9, 15.0, 3.0, 0.0], rtol=1e-14)
    np.testing.assert_allclose(out["utilization"], [0.5, 0.5, 0.25, 0.5])


def test_power_ledger_and_bounds_random():
    rng = np.random.default_rng(7)
    n, dt = 5000, 30.0
    orbit = (np.arange(n) * dt % 5700.0) < 3600.0  # sunlit / eclipse pattern
    # weak array for the first half (drains to the floor), strong after (fills to capacity)
    p_arr = orbit * np.where(np.arange(n) < n // 2, rng.uniform(0, 3000, n),
                             rng.uniform(2000, 6000, n))
    throttle = rng.choice([0.0, 0.5, 1.0], size=n)
    e0, e_cap, e_floor = 2e6, 3.6e6, 0.4e6
    out = power_ref.power_loop(p_arr, 400.0, 2000.0, 0.9, throttle, e0, e_cap, e_floor,
                               0.95, 0.92, dt)
    flow = p_arr + out["discharge_w"] - out["charge_w"] - out["shed_w"] - out["load_served_w"]
    scale = np.sum(p_arr + out["discharge_w"]) * dt
    assert abs(np.sum(flow) * dt) < 1e-12 * scale
    assert np.max(np.abs(flow)) < 1e-9
    stored = np.sum(0.95 * out["charge_w"] - out["discharge_w"] / 0.92) * dt
    assert out["energy_j"][-1] - e0 == pytest.approx(stored, rel=1e-12, abs=1e-12 * e_cap)
    assert np.all(out["energy_j"] <= e_cap * (1 + 1e-15))
    assert np.all(out["energy_j"] >= e_floor * (1 - 1e-15))
    assert np.all(out["charge_w"] >= 0) and np.all(out["discharge_w"] >= 0)
    assert np.all(out["shed_w"] >= -1e-9)
    # the battery both filled and emptied, so both clamps were exercised
    assert np.isclose(out["energy_j"].max(), e_cap) and np.isclose(out["energy_j"].min(), e_floor)
    assert np.any(out["compute_served_w"] < 2000.0 * 0.9 * throttle - 1e-9)
    loss = (1 - 0.95) * out["charge_w"] + (1 / 0.92 - 1) * out["discharge_w"]
    np.testing.assert_allclose(out["battery_heat_w"], loss, rtol=1e-15, atol=1e-12)
