"""Constellation builders (orbital_sim.constellation): SSO, Walker delta, names and counts."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from orbital_sim.config import load_config
from orbital_sim.constellation import (
    ConstellationEntry,
    NodeGroup,
    build_groups,
    mean_sun_right_ascension_rad,
    node_names,
    sso_inclination_rad,
    sso_raan_rad,
)
from orbital_sim.kernels.constants import GM_EARTH_M3_S2, J2_EARTH, R_EARTH_EQ_M

UTC = dt.timezone.utc
EQUINOX_2026 = dt.datetime(2026, 3, 20, tzinfo=UTC)


class _Sim:
    epoch = EQUINOX_2026


def _wrap_deg(x):
    """Angle difference in (-180, 180] deg."""
    return (np.asarray(x) + 180.0) % 360.0 - 180.0


def test_sso_inclination_650_km():
    assert math.degrees(sso_inclination_rad(R_EARTH_EQ_M + 650e3)) == pytest.approx(97.99, abs=0.01)


def test_sso_inclination_gives_the_sun_synchronous_node_rate():
    # independent check: the J2 node rate dOmega/dt = -(3/2) n J2 (R/p)^2 cos i must be
    # 360 deg per tropical year, for several altitudes and eccentricities
    a = R_EARTH_EQ_M + np.array([300e3, 693e3, 1200e3, 3000e3])
    e = np.array([0.0, 0.001, 0.01, 0.1])
    i = sso_inclination_rad(a, e)
    n = np.sqrt(GM_EARTH_M3_S2 / a**3)
    p = a * (1 - e**2)
    rate = -1.5 * n * J2_EARTH * (R_EARTH_EQ_M / p) ** 2 * np.cos(i)
    np.testing.assert_allclose(rate, 2 * math.pi / (365.2422 * 86400.0), rtol=1e-12)
    # Sentinel-1 (693 km) flies at 98.18 deg
    assert math.degrees(i[1]) == pytest.approx(98.18, abs=0.03)
    # above about 5 974 km no circular orbit is sun-synchronous
    assert np.isnan(sso_inclination_rad(R_EARTH_EQ_M + 6000e3))


def test_mean_sun_at_march_equinox_2026():
    # The true Sun crosses RA 0 at 14:46 UTC on 2026-03-20; the mean Sun differs by the equation
    # of time (about -7.5 min = -1.9 deg that day) and by 14.8 h of motion (-0.6 deg).
    ra = math.degrees(mean_sun_right_ascension_rad(EQUINOX_2026))
    assert abs(_wrap_deg(ra)) < 3.0
    assert _wrap_deg(ra) == pytest.approx(-1.9 - 0.6 - 0.34, abs=0.3)  # 0.34 deg: precession to J2000
    # dawn-dusk: LTAN 18:00 puts the ascending node 90 deg east of the mean Sun
    raan = math.degrees(sso_raan_rad(18.0, EQUINOX_2026))
    assert _wrap_deg(raan - 90.0) == pytest.approx(_wrap_deg(ra), abs=1e-9)
    assert abs(_wrap_deg(raan - 90.0)) < 3.0
    # noon LTAN: the node under the mean Sun. The mean Sun advances 360 deg per tropical year
    # against the equinox of date; on the fixed J2000 axes it lags by the precession, 0.0128 deg/yr
    year_later = EQUINOX_2026 + dt.timedelta(days=365.2422)
    assert _wrap_deg(math.degrees(sso_raan_rad(12.0, year_later)) - ra) == pytest.approx(-0.0128, abs=0.002)


@pytest.mark.filterwarnings("ignore:ERFA function")
def test_mean_sun_against_erfa_gmst_and_precession():
    """Independent check with ERFA (IAU 2006): the mean Sun's Greenwich hour angle is UT1 - 12 h,
    so its RA on the mean equator of date is GMST - (UT - 12 h); the IAU 2006 bias-precession
    matrix then takes that direction to the GCRS (J2000) axes. UT1 = UTC (< 0.9 s)."""
    erfa = pytest.importorskip("erfa")
    for epoch in (EQUINOX_2026, dt.datetime(1975, 7, 1, 6, tzinfo=UTC), dt.datetime(2090, 11, 3, 18, tzinfo=UTC)):
        ut1, ut2 = erfa.dtf2d("UTC", epoch.year, epoch.month, epoch.day, epoch.hour, epoch.minute, 0.0)
        tt1, tt2 = erfa.taitt(*erfa.utctai(ut1, ut2))
        gmst_deg = math.degrees(erfa.gmst06(ut1, ut2, tt1, tt2))
        ut_deg = (epoch.hour + epoch.minute / 60) * 15.0
        ra_of_date = math.radians(gmst_deg - ut_deg + 180.0)
        v_of_date = np.array([math.cos(ra_of_date), math.sin(ra_of_date), 0.0])
        v_gcrs = erfa.pmat06(tt1, tt2).T @ v_of_date  # pmat06: GCRS -> mean of date
        ra_gcrs = math.degrees(math.atan2(v_gcrs[1], v_gcrs[0]))
        ours = math.degrees(mean_sun_right_ascension_rad(epoch))
        assert _wrap_deg(ours - ra_gcrs) == pytest.approx(0.0, abs=0.01), epoch


def _walker(total=24, planes=6, phasing=2, raan0_deg=10.0):
    return ConstellationEntry(
        index=0, type="walker_delta", name="w", node_class="c",
        params=dict(altitude_m=550e3, inclination_rad=math.radians(53.0), total=total, planes=planes,
                    phasing=phasing, raan0_rad=math.radians(raan0_deg)),
    )


def test_walker_delta_geometry():
    (group,) = build_groups([_walker()], _Sim())
    el = group.elements
    assert isinstance(group, NodeGroup) and group.states is None and group.n_nodes == 24
    raan = np.degrees(el["raan_rad"]).reshape(6, 4)
    m = np.degrees(el["mean_anomaly_rad"]).reshape(6, 4)
    # planes 360/p apart from raan0; all nodes of a plane share its RAAN
    np.testing.assert_allclose(raan[:, 0], 10.0 + 60.0 * np.arange(6))
    np.testing.assert_allclose(raan, raan[:, :1] * np.ones((1, 4)))
    # slots 360/(t/p) apart within a plane; plane j shifted by j f 360/t
    np.testing.assert_allclose(_wrap_deg(np.diff(m, axis=1)), 90.0)
    np.testing.assert_allclose(m[:, 0], np.arange(6) * 2 * 360.0 / 24)
    np.testing.assert_allclose(np.degrees(el["i_rad"]), 53.0)
    np.testing.assert_allclose(el["a_m"], R_EARTH_EQ_M + 550e3)
    np.testing.assert_array_equal(el["e"], 0.0)
    assert all(v.dtype == np.float64 and v.shape == (24,) for v in el.values())
    assert group.names[:5] == ["w-p00-s000", "w-p00-s001", "w-p00-s002", "w-p00-s003", "w-p01-s000"]


def test_walker_phasing_zero_aligns_planes():
    (group,) = build_groups([_walker(phasing=0)], _Sim())
    m = np.degrees(group.elements["mean_anomaly_rad"]).reshape(6, 4)
    np.testing.assert_allclose(m, m[:1] * np.ones((6, 1)))


def _sso(ltan_h, planes, per_plane):
    return ConstellationEntry(
        index=3, type="sso", name="s", node_class="c",
        params=dict(altitude_m=650e3, ltan_h=tuple(ltan_h), planes=planes, nodes_per_plane=per_plane, e=0.0),
    )


def test_sso_planes_from_ltans():
    (group,) = build_groups([_sso((17.25, 17.75, 18.25, 18.75), 4, 8)], _Sim())
    el = group.elements
    raan = np.degrees(el["raan_rad"]).reshape(4, 8)
    # 30 min of LTAN = 7.5 deg of RAAN
    np.testing.assert_allclose(np.diff(raan[:, 0]), 7.5)
    ra_sun = math.degrees(mean_sun_right_ascension_rad(EQUINOX_2026))
    np.testing.assert_allclose(_wrap_deg(raan[:, 0] - ra_sun), [78.75, 86.25, 93.75, 101.25])
    np.testing.assert_allclose(np.degrees(el["i_rad"]), 97.986, atol=1e-3)
    m = np.degrees(el["mean_anomaly_rad"]).reshape(4, 8)
    np.testing.assert_allclose(_wrap_deg(np.diff(m, axis=1)), 45.0)
    np.testing.assert_allclose(m[:, 0], np.arange(4) * 360.0 / 32)  # planes interleaved
    np.testing.assert_array_equal(el["argp_rad"], 0.0)


def test_sso_shared_ltan_interleaves_nodes():
    (group,) = build_groups([_sso((18.0,), 3, 4)], _Sim())
    el = group.elements
    np.testing.assert_allclose(el["raan_rad"], el["raan_rad"][0])  # one orbital plane
    u = np.sort(np.degrees(el["mean_anomaly_rad"]))
    np.testing.assert_allclose(np.diff(u), 30.0)  # 12 nodes evenly spread: 360 / (3 x 4)
    assert group.names[-1] == "s-p02-s003"


def test_elements_and_states_entries():
    entries = [
        ConstellationEntry(0, "elements", "el", "c", dict(
            a_m=np.array([7e6, 8e6]), e=np.array([0.0, 0.1]), i_rad=np.array([0.5, 1.0]),
            raan_rad=np.array([-0.5, 7.0]), argp_rad=np.array([0.0, 1.0]), mean_anomaly_rad=np.array([0.0, 2.0]))),
        ConstellationEntry(1, "states", "st", "c", dict(
            r_eci_m=np.array([[7e6, 0, 0]]), v_eci_m_s=np.array([[0, 7.5e3, 0]]))),
    ]
    elements, states = build_groups(entries, _Sim())
    assert elements.names == ["el-0000", "el-0001"] and states.names == ["st-0000"]
    np.testing.assert_allclose(elements.elements["raan_rad"], [2 * math.pi - 0.5, 7.0 - 2 * math.pi])
    assert states.elements is None and states.states["r_eci_m"].shape == (1, 3)
    assert node_names(entries[0]) == elements.names


def test_default_constellation_counts_and_names():
    cfg = load_config()
    dawn, shell = cfg.constellation
    assert (dawn.n_nodes, shell.n_nodes, cfg.n_nodes) == (256, 768, 1024)
    assert dawn.class_name == shell.class_name == "compute"
    assert dawn.names[0] == "dawn-dusk-p00-s000" and dawn.names[-1] == "dawn-dusk-p03-s063"
    assert shell.names[0] == "shell53-p00-s000" and shell.names[-1] == "shell53-p23-s031"
    assert len(set(cfg.node_names)) == 1024
    # dawn-dusk planes within 2.5 deg (mean Sun at the equinox) of 90 deg +- 11.25 deg
    raan = np.degrees(dawn.elements["raan_rad"][::64])
    np.testing.assert_allclose(raan, [78.75, 86.25, 93.75, 101.25], atol=3.0)
    # Walker 768/24/1: planes 15 deg apart, neighbouring planes offset by 360/768 deg
    shell_raan = np.degrees(shell.elements["raan_rad"][::32])
    np.testing.assert_allclose(np.diff(shell_raan), 15.0)
    m = np.degrees(shell.elements["mean_anomaly_rad"]).reshape(24, 32)
    np.testing.assert_allclose(m[1, 0] - m[0, 0], 360.0 / 768)
