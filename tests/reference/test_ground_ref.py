"""The ground-station reference against analytic truths (it shares no code with kernels/ground.py)."""

import numpy as np
import pytest

from tests.reference import ground_ref


def test_geodetic_to_ecef_analytic_points():
    r, up = ground_ref.geodetic_to_ecef(0.0, 0.0, 0.0)
    np.testing.assert_allclose(r, [6378137.0, 0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(up, [1.0, 0.0, 0.0], atol=1e-15)
    r, up = ground_ref.geodetic_to_ecef(np.pi / 2, 1.0, 100.0)
    np.testing.assert_allclose(r, [0.0, 0.0, 6356752.314245 + 100.0], atol=1e-5)  # b = a (1 - f)
    lat = np.radians(45.0)
    _, up = ground_ref.geodetic_to_ecef(lat, 0.0, 0.0)
    assert np.arctan2(up[2], up[0]) == pytest.approx(lat, abs=1e-14)  # the vertical makes angle lat


def test_terrestrial_to_celestial_is_a_rotation_about_the_pole():
    m = ground_ref.terrestrial_to_celestial([2461119.5, 2461119.5], [0.0, 0.5], 37)
    for k in range(2):
        np.testing.assert_allclose(m[k] @ m[k].T, np.eye(3), atol=1e-14)
    # half a UT1 day later the Earth has turned by pi x 1.0027378 (the ERA rate), within the
    # pole's slow motion: compare the rotation about the CIP (row 3 of the celestial-to-terrestrial matrix)
    turned = m[0].T @ m[1]  # terrestrial(t0) -> terrestrial(t1)
    angle = np.arccos(np.clip((np.trace(turned) - 1) / 2, -1, 1))
    expected = (np.pi * 1.00273781191135448) % (2 * np.pi)
    assert abs(angle - min(expected, 2 * np.pi - expected)) < 1e-6


def test_contact_windows_and_gaps_on_a_known_curve():
    t = np.arange(0.0, 1000.0 + 0.5, 1.0)
    el = np.sin(2 * np.pi * t / 400.0)  # above 0.5 for t in (400k + 33.3, 400k + 166.7)
    windows = ground_ref.contact_windows(t, el, 0.5)
    assert len(windows) == 3
    for k, (a, b) in enumerate(windows):
        assert a == pytest.approx(400 * k + 400 / 12, abs=0.01)
        assert b == pytest.approx(400 * k + 2000 / 12, abs=0.01)
    assert ground_ref.longest_gap_s(windows, 1000.0) == pytest.approx(400 - 400 / 3, abs=0.02)
    assert ground_ref.contact_windows(t, el, 2.0) == []
    assert ground_ref.longest_gap_s([], 1000.0) == 1000.0
    assert ground_ref.contact_windows(t, np.ones_like(t), 0.5) == [(0.0, 1000.0)]
