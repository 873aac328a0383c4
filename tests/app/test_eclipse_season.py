"""Eclipse seasons (issue #3, item 2): a 650 km dawn-dusk SSO (LTAN 18:00) over 2026 with the
``j2_secular`` propagator, against the cylindrical closed form, and the Sentinel-1 check.

The simulator's numbers come from the user-facing helper (``orbital_sim.analysis``:
``python -m orbital_sim.analysis season CONFIG``, ``eclipse_season``, ``season_from_result``).
The closed form is ``shadow_ref.eclipse_fraction_cylindrical`` (REFERENCE.md) at the beta angle
the simulator sampled. Its known differences from the conical shadow (a Sun of angular radius
theta_s = 0.262-0.271 deg), for a circular orbit: the angle psi between the satellite and the
anti-Sun direction (cos psi = cos beta cos u) is, up to parallax, the angle between the Earth's
and the Sun's centres seen from the satellite, so

- the time with the Sun's centre hidden is the cylindrical eclipse (psi < beta*,
  sin beta* = R / (R + h)) to about a second (parallax R / 1 AU, the orbit's turn with the Sun);
- the umbra (psi < beta* - theta_s) is shorter, and umbra + penumbra (psi < beta* + theta_s)
  longer, by about one penumbra crossing (25 s at the solstice): the same closed form with
  beta* shifted by -theta_s or +theta_s;
- the umbra season ends where the smallest beta of the day reaches beta* - theta_s, the
  cylindrical one at beta*: the cylindrical closed form counts one more day at each end.

Measured over 2026 (10 s step; ``test_full_year_2026_season``): 90 days with umbra (2026-05-08
.. 2026-08-05; cylindrical closed form 92, conical 90), 94 with penumbra or umbra; the longest
eclipse on 2026-06-21 at beta = 58.576 deg: umbra 1160.0 s (19.33 min; conical closed form
1159.6 s), penumbra to penumbra 1210.3 s (20.17 min; 1209.9 s), Sun's centre hidden 1185.1 s
(cylindrical closed form 1185.0 s, 19.75 min).

The full year is the slow test (about 100 s at 10 s steps on one core); the fast tests cover
the whole season's window (May to mid-August, 60 s steps) for the day counts, and the
solstice at 10 s for the durations.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from astropy.time import TimeDelta
from scipy.optimize import brentq

from tests.reference import eclipse_ref, orbit_ref, shadow_ref, sun_ref
from tests.reference.constants_ref import R_EARTH_EQ_M, R_SUN_M

from tests.app.conftest import ROOT  # noqa: E402
RE = R_EARTH_EQ_M
ALTITUDE_M = 650e3
BETA_STAR = math.asin(RE / (RE + ALTITUDE_M))  # 65.164 deg: critical beta of the cylinder


def _node_class() -> str:
    """The default scenario's [node_class.compute] tables, copied by name."""
    default = (ROOT / "configs" / "default.toml").read_text()
    start = default.index("[node_class.compute.compute]")
    end = default.index("# The constellation:")
    return default[start:end].rsplit("\n# ----", 1)[0] + "\n"


def _sso_entry(name, altitude_km):
    return f'''
[[constellation]]
type = "sso"
name = "{name}"
node_class = "compute"
altitude_km = {altitude_km!r}
ltan_h = 18.0                    # dawn-dusk
nodes_per_plane = 1
'''


def scenario_toml(epoch="2026-01-01T00:00:00Z", entries=(("dawn-dusk", 650.0),)) -> str:
    """Dawn-dusk SSO scenario(s) for the season runs (step and duration set by the helper)."""
    return f'''[simulation]
epoch = "{epoch}"
duration_s = 86400.0
step_s = 10.0
propagator = "j2_secular"        # mean elements, first-order J2 secular rates
dtype = "float64"
shadow = "conical"

[environment]
shadow_radius_km = 6378.137
''' + "".join(_sso_entry(n, h) for n, h in entries) + "\n" + _node_class()


def _argument_of_latitude_rate(altitude_m):
    """u' = argp' + M' (rad/s) of the circular sun-synchronous orbit, first-order J2."""
    a = RE + altitude_m
    rate = 2 * math.pi / (365.2422 * 86400.0)
    i = brentq(lambda x: orbit_ref.j2_secular_rates(a, 0.0, x)[0] - rate, 1.6, 3.1)
    _, argp_dot, mean_anomaly_dot = orbit_ref.j2_secular_rates(a, 0.0, i)
    return argp_dot + mean_anomaly_dot


def closed_form(altitude_m, beta_rad, theta_s_rad):
    """Eclipse durations (s) of a circular orbit at beta from the cylindrical closed form:
    ``cylindrical``, and the conical ``umbra`` and ``total`` (penumbra to penumbra) as the same
    closed form with the critical angle beta* shifted by -theta_s and +theta_s, i.e. evaluated
    at the altitude h' with R / (R + h') = sin(beta* -+ theta_s) (see the module docstring).
    Duration = eclipse fraction * 2 pi / u', u' the argument-of-latitude rate.
    """
    u_dot = _argument_of_latitude_rate(altitude_m)
    beta = np.abs(np.asarray(beta_rad, dtype=float))
    beta_star = math.asin(RE / (RE + altitude_m))

    def duration(critical_rad):
        altitude = RE / np.sin(critical_rad) - RE
        return 2 * np.pi * shadow_ref.eclipse_fraction_cylindrical(altitude, beta) / u_dot

    theta_s = np.asarray(theta_s_rad, dtype=float)
    return {"cylindrical": duration(beta_star), "umbra": duration(beta_star - theta_s),
            "total": duration(beta_star + theta_s)}


def sun_angular_radius(start_iso, t_s):
    """theta_s (rad) seen from the Earth's centre at elapsed times t_s (astropy)."""
    times = eclipse_ref.epoch_time(start_iso).tt + TimeDelta(np.atleast_1d(t_s), format="sec")
    return np.arcsin(R_SUN_M / np.linalg.norm(sun_ref.sun_gcrs_m(times), axis=1))


def check_passes_against_closed_form(passes, start_iso, altitude_m, edge_margin_deg=0.5):
    """Every complete umbra pass at least ``edge_margin_deg`` inside the umbra season (closer
    to its edge the durations go like the square root of the distance, and parallax-sized
    differences of 0.003 deg in beta move them by tens of seconds): the Sun's centre hidden =
    cylindrical, umbra and umbra + penumbra = the conical closed forms, all within 1.5 s.
    Returns the number of passes checked."""
    mid = 0.5 * (passes["penumbra_entry"] + passes["penumbra_exit"])
    beta = passes["beta_rad"]
    theta_s = sun_angular_radius(start_iso, np.where(np.isfinite(mid), mid, 0.0))
    beta_star = math.asin(RE / (RE + altitude_m))
    ok = (np.isfinite(mid) & (passes["umbra_s"] > 0)
          & (np.abs(beta) < beta_star - theta_s - math.radians(edge_margin_deg)))
    want = closed_form(altitude_m, beta[ok], theta_s[ok])
    np.testing.assert_allclose(passes["central_s"][ok], want["cylindrical"], rtol=0, atol=1.5)
    np.testing.assert_allclose(passes["umbra_s"][ok], want["umbra"], rtol=0, atol=1.5)
    np.testing.assert_allclose(passes["total_s"][ok], want["total"], rtol=0, atol=1.5)
    return int(np.count_nonzero(ok))


def check_day_counts(season, start_iso):
    """Days with umbra / with any shadow against the closed forms at each day's smallest |beta|."""
    noon = (np.arange(len(season.dates)) + 0.5) * 86400.0
    theta_s = sun_angular_radius(start_iso, noon)
    beta = season.min_abs_beta_rad
    cylindrical_days = int(np.count_nonzero(shadow_ref.eclipse_fraction_cylindrical(ALTITUDE_M, beta) > 0))
    umbra_days = int(np.count_nonzero(beta < BETA_STAR - theta_s))
    shadow_days = int(np.count_nonzero(beta < BETA_STAR + theta_s))
    assert season.days_with_umbra == umbra_days
    assert season.days_with_shadow == shadow_days
    # the known difference: the cylinder's season is longer by about a day at each end
    assert 1 <= cylindrical_days - season.days_with_umbra <= 4
    # and day by day, not just in total
    np.testing.assert_array_equal(season.has_umbra, beta < BETA_STAR - theta_s)
    return cylindrical_days


@pytest.fixture(scope="module")
def season_window(tmp_path_factory):
    """The documented command on the eclipse season's window: 2026-05-01 + 106 days at 60 s
    (enough to count the days; durations need 10 s, see the solstice tests)."""
    tmp = tmp_path_factory.mktemp("season")
    config = tmp / "dawn_dusk.toml"
    config.write_text(scenario_toml())
    out = tmp / "season.h5"
    cmd = [sys.executable, "-m", "orbital_sim.analysis", "season", str(config), "--start", "2026-05-01T00:00:00Z",
           "--days", "106", "--step", "60", "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    from orbital_sim.analysis import season_from_result

    return proc.stdout, season_from_result(out)


@pytest.mark.slow
def test_season_command_days_with_umbra_match_closed_form(season_window):
    stdout, season = season_window
    print("\n" + stdout)
    assert "days with umbra:" in stdout and f"{season.days_with_umbra:4d}" in stdout
    # the window holds the whole season: no shadow on its first and last days
    assert not season.has_shadow[0] and not season.has_shadow[-1]
    cylindrical_days = check_day_counts(season, "2026-05-01T00:00:00Z")
    assert season.days_with_umbra == 90 and cylindrical_days == 92  # measured, 2026
    first = season.dates[int(np.argmax(season.has_umbra))]
    assert str(first) == "2026-05-08"


@pytest.fixture(scope="module")
def solstice(tmp_path_factory):
    """650 km dawn-dusk and Sentinel-1 (693 km, LTAN 18:00) over 2026-06-19 .. 06-23, 10 s."""
    import orbital_sim
    from orbital_sim.analysis import season_from_result

    tmp = tmp_path_factory.mktemp("solstice")
    config = tmp / "solstice.toml"
    config.write_text(scenario_toml("2026-06-19T00:00:00Z", (("dawn-dusk", 650.0), ("sentinel-1", 693.0))))
    cfg = orbital_sim.load_config(config, ["simulation.duration_s=345600.0", "simulation.step_s=10.0",
                                           "simulation.output_every_s=10.0",
                                           'output.variables=["sunlit_fraction", "beta_angle"]'])
    orbital_sim.run(cfg, out=tmp / "solstice.h5", progress=False)
    return {name: season_from_result(tmp / "solstice.h5", name) for name in cfg.node_names}


def test_solstice_eclipse_durations_match_closed_form(solstice):
    season = solstice["dawn-dusk-p00-s000"]
    checked = check_passes_against_closed_form(season.passes, "2026-06-19T00:00:00Z", ALTITUDE_M)
    assert checked >= 55  # every pass of the 4 days
    longest, date = season.longest("umbra")
    assert str(date) in ("2026-06-20", "2026-06-21", "2026-06-22")
    assert longest == pytest.approx(1160.0, abs=2.0)  # 19.33 min (measured over the whole year)


def test_sentinel1_maximum_eclipse_19_min(solstice):
    # ESA Sentinel-1 data sheet: 693 km, i = 98.18 deg, LTAN 18:00, "max eclipse duration:
    # 19 minutes". Within a minute: the figure is rounded to the minute, the mission's own
    # LTAN and altitude vary around the nominal ones, and which definition it uses (umbra,
    # Sun's centre, any penumbra) changes the answer by 25 s either way.
    season = solstice["sentinel-1-p00-s000"]
    for kind in ("umbra", "central", "total"):
        longest, _ = season.longest(kind)
        assert longest / 60 == pytest.approx(19.0, abs=1.0), kind
    checked = check_passes_against_closed_form(season.passes, "2026-06-19T00:00:00Z", 693e3)
    assert checked >= 55


@pytest.mark.slow
def test_full_year_2026_season(tmp_path):
    """The whole of 2026 at 10 s through ``eclipse_season`` (about 100 s on one core)."""
    from orbital_sim.analysis import eclipse_season, format_season

    config = tmp_path / "dawn_dusk.toml"
    config.write_text(scenario_toml())
    season = eclipse_season(config, days=365, step_s=10.0)
    print("\n" + format_season(season))
    assert len(season.dates) == 365 and str(season.dates[-1]) == "2026-12-31"
    cylindrical_days = check_day_counts(season, "2026-01-01T00:00:00Z")
    assert (season.days_with_umbra, season.days_with_shadow, cylindrical_days) == (90, 94, 92)
    assert check_passes_against_closed_form(season.passes, "2026-01-01T00:00:00Z", ALTITUDE_M) > 1000
    # the longest eclipse of the year against the closed form at the year's smallest beta
    beta_min = float(np.nanmin(season.min_abs_beta_rad))
    date = season.longest("umbra")[1]
    noon = [(date - season.dates[0]).days * 86400.0 + 43200.0]
    want = closed_form(ALTITUDE_M, beta_min, sun_angular_radius("2026-01-01T00:00:00Z", noon)[0])
    assert season.longest("central")[0] == pytest.approx(want["cylindrical"], abs=1.5)  # 1185.0 s
    assert season.longest("umbra")[0] == pytest.approx(want["umbra"], abs=1.5)  # 1159.9 s
    assert season.longest("total")[0] == pytest.approx(want["total"], abs=1.5)  # 1210.1 s
    assert str(date) == "2026-06-21"
