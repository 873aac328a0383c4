"""Self-tests of the eclipse-contact reference (tests/reference/eclipse_ref.py).

Before the simulator is checked against it, the reference is checked against a closed form
(the penumbra and umbra cones of a fixed Sun), against the independent shadow quadrature and
orbit propagator of this folder, and against astropy called directly. Each test takes a few
seconds at most on one core.
"""

import math

import numpy as np
import pytest

from tests.reference import eclipse_ref, orbit_ref, shadow_ref, sun_ref
from tests.reference.constants_ref import AU_M, GM_EARTH_M3_S2, R_EARTH_EQ_M

RE = R_EARTH_EQ_M


@pytest.mark.parametrize("altitude_m", [400e3, 1200e3, 35_786e3])
def test_contacts_match_cone_closed_form_for_a_fixed_sun(altitude_m):
    # Two-body circular orbit in the plane of a fixed Sun (beta = 0): the satellite crosses the
    # penumbra and umbra cones at angles phi_pen, phi_umb from the anti-Sun axis (closed form).
    d_sun = AU_M
    sun = np.array([d_sun, 0.0, 0.0])
    a = RE + altitude_m
    n = math.sqrt(GM_EARTH_M3_S2 / a**3)
    lam0 = math.pi / 2  # start 90 deg ahead of the Sun direction, heading for the shadow
    r0 = a * np.array([math.cos(lam0), math.sin(lam0), 0.0])
    v0 = a * n * np.array([-math.sin(lam0), math.cos(lam0), 0.0])
    t_end = (math.pi + 0.5 * math.pi) / n  # up to 90 deg past the anti-Sun point
    ref = eclipse_ref.EclipseReference("2026-01-01T00:00:00Z", r0, v0, t_end, j2=0.0,
                                       sun_fn=lambda t: np.tile(sun, (np.size(t), 1)))
    got = ref.contacts(grid_step_s=5.0)
    phi_pen, phi_umb = eclipse_ref.cone_contact_angles(a, d_sun)
    want = {
        "penumbra_entry": (math.pi - phi_pen - lam0) / n,
        "umbra_entry": (math.pi - phi_umb - lam0) / n,
        "umbra_exit": (math.pi + phi_umb - lam0) / n,
        "penumbra_exit": (math.pi + phi_pen - lam0) / n,
    }
    for name, t_want in want.items():
        assert got[name].shape == (1,), name
        # integration to 1e-12 relative: microseconds, against contact times of hours in GEO
        assert got[name][0] == pytest.approx(t_want, abs=1e-5), name
    assert got["min_g_pen"] < 0


def test_contacts_bound_the_quadrature_shadow():
    # At each reference contact the independent quadrature gives 1 (penumbra contact) or 0
    # (umbra contact); 10 ms inside it is strictly between 0 and 1, and within 1e-3 of the
    # contact's value (the fraction leaves 1 and 0 like the 3/2 power of time).
    epoch = "2026-03-20T00:00:00Z"
    r0, v0 = orbit_ref.elements_to_state(RE + 550e3, 0.001, math.radians(97.6), 0.3, 0.0, 0.0)
    ref = eclipse_ref.EclipseReference(epoch, r0, v0, 6000.0)
    got = ref.contacts()
    assert all(got[k].size == 1 for k in eclipse_ref.CONTACT_NAMES)

    def fraction(t):
        return shadow_ref.sunlit_fraction_quadrature(ref.position([t])[0], ref.sun(t))

    eps = 0.01
    (pen_in,), (umb_in,) = got["penumbra_entry"], got["umbra_entry"]
    (umb_out,), (pen_out,) = got["umbra_exit"], got["penumbra_exit"]
    assert fraction(pen_in - eps) == 1.0 and 1 - 1e-3 < fraction(pen_in + eps) < 1.0
    assert fraction(umb_in + eps) == 0.0 and 0.0 < fraction(umb_in - eps) < 1e-3
    assert fraction(umb_out - eps) == 0.0 and 0.0 < fraction(umb_out + eps) < 1e-3
    assert fraction(pen_out + eps) == 1.0 and 1 - 1e-3 < fraction(pen_out - eps) < 1.0
    # mid-penumbra (Sun's centre on the limb) gives half the disk
    half = 0.5 * (pen_in + umb_in)
    assert fraction(half) == pytest.approx(0.5, abs=0.02)


def test_dense_orbit_matches_orbit_reference():
    r0, v0 = orbit_ref.elements_to_state(RE + 1200e3, 0.02, math.radians(90.0), 0.4, 1.0, 0.2)
    t = np.linspace(0.0, 10800.0, 37)
    r_ref, v_ref = orbit_ref.propagate_j2(r0, v0, t)
    dense = eclipse_ref.propagate_dense(r0, v0, t[-1])(t)
    np.testing.assert_allclose(dense[:3].T, r_ref, rtol=0, atol=1e-3)  # m
    np.testing.assert_allclose(dense[3:].T, v_ref, rtol=0, atol=1e-6)  # m/s
    # and between the steps (dense output), against a run that stops exactly there
    t_mid = np.array([1234.567, 7777.7])
    r_mid, _ = orbit_ref.propagate_j2(r0, v0, t_mid)
    np.testing.assert_allclose(eclipse_ref.propagate_dense(r0, v0, t[-1])(t_mid)[:3].T, r_mid, rtol=0, atol=1e-3)


def test_sun_spline_matches_astropy_between_nodes():
    epoch = "2026-06-21T00:00:00Z"
    spline = eclipse_ref.sun_spline(epoch, 7200.0)
    t = np.array([0.0, 333.3, 1850.0, 7199.0])
    start = eclipse_ref.epoch_time(epoch).tt
    from astropy.time import TimeDelta

    direct = sun_ref.sun_gcrs_m(start + TimeDelta(t, format="sec"))
    np.testing.assert_allclose(spline(t), direct, rtol=0, atol=1.0)  # m, at 1.5e11 m
    # the elapsed-time axis is SI seconds: one day later the Sun has moved about 1 deg
    far = eclipse_ref.sun_spline(epoch, 86400.0)
    s0, s1 = far(0.0), far(86400.0)
    angle = math.degrees(math.acos(s0 @ s1 / np.linalg.norm(s0) / np.linalg.norm(s1)))
    assert 0.95 < angle < 0.97  # near aphelion the Sun moves 0.953 deg/day


def test_beta_zero_eclipse_duration_agrees_with_cylindrical_closed_form():
    # Sun's centre on the limb (mid-penumbra) is the cylindrical shadow edge up to parallax:
    # a 280 km circular orbit at beta ~ 0 (equatorial orbit at the equinox) must give the
    # closed form's eclipse fraction (0.407: sunlit 59 %) to about a second per orbit.
    epoch = "2026-03-20T14:00:00Z"  # equinox 14:46 UTC: the Sun's declination is -0.01 deg
    a = RE + 280e3
    r0, v0 = orbit_ref.elements_to_state(a, 0.0, 0.0, 0.0, 0.0, 0.0)
    ref = eclipse_ref.EclipseReference(epoch, r0, v0, 12000.0, j2=0.0)
    got = ref.contacts()
    k = 0
    central = 0.5 * (got["umbra_exit"][k] + got["penumbra_exit"][k]) - 0.5 * (
        got["penumbra_entry"][k] + got["umbra_entry"][k])
    period = 2 * math.pi * math.sqrt(a**3 / GM_EARTH_M3_S2)
    cylindrical = float(shadow_ref.eclipse_fraction_cylindrical(280e3, 0.0)) * period
    assert central == pytest.approx(cylindrical, abs=2.0)
    assert 1 - cylindrical / period == pytest.approx(0.59, abs=0.005)  # Wikipedia, "Beta angle"
