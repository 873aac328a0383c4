"""Thermal design cases ([environment] case), component limits and margins (orbital_sim/design_cases.py)."""

import math
import subprocess
import sys

import numpy as np
import pytest

import orbital_sim
from orbital_sim import design_cases as dc
from orbital_sim.config import ConfigError, load_config
from tests.app.conftest import small_overrides

SMALL = small_overrides(14400, 1, 4, 4, simulation=("simulation.step_s=30", "simulation.output_every_s=300"))


@pytest.fixture(scope="module")
def case_sweep(tmp_path_factory):
    """The default node class in the mean, hot and cold cases: one run, the case swept."""
    path = tmp_path_factory.mktemp("cases") / "cases.h5"
    config = load_config(None, SMALL + ['sweep.environment.case=["mean", "hot", "cold"]'])
    orbital_sim.run(config, out=path, overwrite=True, progress=False)
    ds = orbital_sim.open_results(path)
    yield config, ds
    ds.close()


def test_cases_order_the_radiator_hot_over_mean_over_cold(case_sweep):
    """Must show: the radiator's highest temperature (after a 2.7 h warm-up from the common
    20 C start; the last 1.3 h, about one orbit) orders hot > mean > cold by at least 1 K each."""
    _, ds = case_sweep
    assert list(ds.sweep_environment_case.values) == ["mean", "hot", "cold"]
    late = ds.temperature.sel(component="radiator").isel(time=slice(-16, None))
    mean, hot, cold = (float(late.sel(variant=k).max()) for k in range(3))
    assert hot - mean >= 1.0 and mean - cold >= 1.0, (hot, mean, cold)
    chips = ds.temperature.sel(component="chips").isel(time=slice(-16, None))
    assert float(chips.sel(variant=1).max()) > float(chips.sel(variant=0).max()) > float(chips.sel(variant=2).max())


def test_swept_cases_use_each_variants_environment(case_sweep):
    config, ds = case_sweep
    envs = [v.environment for v in config.sweep.variants]
    assert [e.case for e in envs] == ["mean", "hot", "cold"]
    assert ds.attrs["environment_albedo"].tolist() == [0.3, 0.55, 0.18]
    assert ds.attrs["environment_earth_ir_w_m2"].tolist() == [237.0, 350.0, 150.0]
    from orbital_sim.fleet import build_fleet

    params = build_fleet(config).params
    n = config.n_nodes
    np.testing.assert_array_equal(np.asarray(params.environment.albedo), np.repeat([0.3, 0.55, 0.18], n))
    # a run with one environment keeps the scalar path (no per-node fields: the step of before)
    assert build_fleet(load_config(None, SMALL)).params.environment is None


def test_hot_and_cold_values_and_their_record():
    mean = load_config(None, SMALL)
    assert mean.environment.case == "mean" and mean.environment.case_values is None
    assert (mean.environment.albedo, mean.environment.earth_ir_w_m2, mean.environment.solar_constant_w_m2) == (
        0.30, 237.0, 1361.0)
    hot = load_config(None, SMALL + ["environment.case=hot"])
    cold = load_config(None, SMALL + ["environment.case=cold"])
    for cfg, flux, albedo, ir in ((hot, 1407.6, 0.55, 350.0), (cold, 1316.7, 0.18, 150.0)):
        v = cfg.environment.case_values
        assert (cfg.environment.albedo, cfg.environment.earth_ir_w_m2) == (albedo, ir)
        # the kernels scale the solar constant by (1 AU / d)^2: at mid-run the flux is the case's
        d = v["earth_sun_distance_mid_au"]
        assert abs(cfg.environment.solar_constant_w_m2 / d**2 - flux) < 1e-9
        assert v["inclination_bands"] == "medium,high"  # 53 deg shell and 98 deg dawn-dusk planes
        assert v["averaging_time_s"] in dc.AVERAGING_TIMES_S
        # the array at the end of its 5-year design life: 0.9769^5
        nc = cfg.node_classes["compute"]
        assert nc.power.array_age_years == 5.0
        assert abs((1 - nc.power.array_degradation_per_year) ** 5 - 0.89) < 1e-3
    rad_hot = [s for s in hot.node_classes["compute"].surfaces if s.name == "radiator"][0]
    rad_cold = [s for s in cold.node_classes["compute"].surfaces if s.name == "radiator"][0]
    assert (rad_hot.absorptance, rad_hot.back_absorptance) == (0.20, 0.20)  # end of life
    assert (rad_cold.absorptance, rad_cold.back_absorptance) == (0.12, 0.12)  # beginning of life
    # explicit values override the table
    given = load_config(None, SMALL + ["environment.case=hot", "environment.albedo_hot=0.4"])
    assert given.environment.albedo == 0.4 and given.environment.earth_ir_w_m2 == 350.0


def test_earth_sun_distance_against_the_kernel_sun():
    """The NumPy formula that sets the case's solar constant against kernels/sun.py (an
    independent, precise model), at 12 dates across 2026: within 1e-4 AU (0.02 % of the flux; the
    formula is for the Earth-Moon barycentre, which is up to 3.1e-5 AU from the Earth)."""
    import datetime as dt

    from orbital_sim import timescales
    from orbital_sim.kernels.sun import sun_position_eci

    for month in range(1, 13):
        epoch = dt.datetime(2026, month, 5, tzinfo=dt.timezone.utc)
        whole, frac = timescales.julian_date_tt_two_part(epoch)
        d_kernel = float(np.linalg.norm(np.asarray(sun_position_eci(whole, frac)))) / 1.495978707e11
        assert abs(dc.earth_sun_distance_au(epoch) - d_kernel) < 1e-4, (month, d_kernel)


def test_inclination_bands():
    deg = math.radians
    assert [dc.inclination_band(deg(i)) for i in (0, 30, 30.1, 53, 60, 61, 97.99, 140, 180)] == [
        "low", "low", "medium", "medium", "medium", "high", "high", "medium", "low"]


def test_limit_summary_margins_and_flags():
    """Hand-computed: limits [0, 85] operating, [-40, 105] survival (in K below)."""
    k = 273.15
    limits = np.array([[[0 + k, np.nan]], [[85 + k, np.nan]], [[-40 + k, np.nan]], [[105 + k, np.nan]]])
    limits = np.repeat(limits, 3, axis=1)  # 3 nodes, 2 components (the second without limits)
    tmin = np.array([[20, 0], [-10, 0], [-50, 0]]) + k
    tmax = np.array([[60, 0], [70, 0], [30, 0]]) + k
    out = dc.limit_summary(limits, tmin, tmax)
    np.testing.assert_allclose(out["temperature_margin_operating"][:, 0], [20.0, -10.0, -50.0])
    np.testing.assert_allclose(out["temperature_margin_survival"][:, 0], [45.0, 30.0, -10.0])
    assert out["temperature_limit_flag"][:, 0].tolist() == [0, 1, 2]
    assert np.isnan(out["temperature_margin_operating"][:, 1]).all()
    assert out["temperature_limit_flag"][:, 1].tolist() == [0, 0, 0]


@pytest.mark.parametrize("override, expect", [
    ("node_class.compute.thermal.components.chips.operating_limits_c=[90.0, 80.0]",
     "node_class.compute.thermal.components.chips.operating_limits_c = [90.0, 80.0]: must be [min, max] with min < max"),
    ("node_class.compute.thermal.components.chips.survival_limits_c=[-10.0, 80.0]",
     "node_class.compute.thermal.components.chips.survival_limits_c = [-10.0, 80.0]: must contain operating_limits_c"),
    ("node_class.compute.thermal.components.battery.heater_power_w=500.0",
     "node_class.compute.thermal.components.battery.heater_on_c: required key is missing when heater_power_w > 0"),
    ("environment.case=worst", 'environment.case = "worst": must be one of "mean", "hot", "cold"'),
])
def test_bad_limits_cases_and_heaters_are_reported(override, expect):
    with pytest.raises(ConfigError) as info:
        load_config(None, [override])
    assert any(expect in p for p in info.value.problems), info.value.problems


def test_cli_hot_case_info_prints_the_case_and_margins(tmp_path):
    """Must show: `--set environment.case=hot`, then `orbital-sim info` prints the case's values
    and each component's margin to its operating limits, in K, with numbers."""
    out = tmp_path / "hot.h5"
    cmd = [sys.executable, "-m", "orbital_sim.cli", "run", "-q", "-o", str(out),
           "--set", "environment.case=hot", "--set", "simulation.duration_s=3600",
           "--set", "simulation.step_s=30", "--set", "simulation.output_every_s=600",
           "--set", "constellation.0.nodes_per_plane=1", "--set", "constellation.0.planes=1",
           "--set", "constellation.0.ltan_h=18.0",
           "--set", "constellation.1.total=1", "--set", "constellation.1.planes=1",
           "--set", "constellation.1.phasing=0"]
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300)
    info = subprocess.run([sys.executable, "-m", "orbital_sim.cli", "info", str(out)], check=True,
                          capture_output=True, text=True, timeout=120).stdout
    assert "design case: hot (albedo 0.55, Earth IR 350.0 W/m^2" in info
    assert "solar_flux_w_m2: 1407.6" in info
    assert "compute.chips: operating [0, 85], survival [-40, 105]" in info
    for comp in ("chips", "cold_plate", "radiator", "array", "battery"):
        line = [ln for ln in info.splitlines() if ln.startswith(f"margin to operating limits: {comp} ")]
        assert len(line) == 1, info
        value = float(line[0].split()[-1])
        assert math.isfinite(value)
    ds = orbital_sim.open_results(out)
    try:
        chips = ds.temperature_margin_operating.sel(component="chips").values
        t = ds.temperature.sel(component="chips")
        expect = min(float(t.min()) - 273.15 - 0.0, 85.0 - (float(t.max()) - 273.15))
        # the summary's extremes include every step (and the start), the samples only every 600 s
        assert np.all(chips <= expect + 1e-9)
        assert ds.temperature_limit_flag.attrs["flag_meanings"].split()[0] == "within_operating_limits"
    finally:
        ds.close()


def test_a_configured_heater_runs_and_is_recorded(tmp_path):
    """A 2 kW heater on the battery with set points 25-35 C (the battery starts at 20 C and runs
    near 30 C): the file records the energy it drew (the kernel test checks it against the heat
    it dissipated) and its power, within the nameplate."""
    base = ["simulation.duration_s=3600", "simulation.step_s=30", "simulation.output_every_s=600",
            "constellation.0.nodes_per_plane=1", "constellation.0.planes=1", "constellation.0.ltan_h=18.0",
            "constellation.1.total=1", "constellation.1.planes=1", "constellation.1.phasing=0",
            'output.variables=["temperature", "heater_power", "load_power"]']
    heater = ["node_class.compute.thermal.components.battery.heater_power_w=2000.0",
              "node_class.compute.thermal.components.battery.heater_on_c=25.0",
              "node_class.compute.thermal.components.battery.heater_off_c=35.0"]
    with_heater = load_config(None, base + heater)
    orbital_sim.run(with_heater, out=tmp_path / "h.h5", overwrite=True, progress=False)
    ds = orbital_sim.open_results(tmp_path / "h.h5")
    try:
        energy = ds.energy_heater.values
        assert np.all(energy > 0) and np.all(energy <= 2000.0 * 3600.0 + 1e-6)
        assert ds.heater_power.attrs["units"] == "W" and float(ds.heater_power.max()) <= 2000.0 + 1e-9
    finally:
        ds.close()


def test_an_unstable_heater_is_refused():
    """dt P / ((off - on) C) = 60 s x 1e6 W / (5 K x 45,000 J/K) = 267 >= 1 (default step 60 s)."""
    with pytest.raises(ConfigError) as info:
        load_config(None, ["node_class.compute.thermal.components.chips.heater_power_w=1000000.0",
                           "node_class.compute.thermal.components.chips.heater_on_c=0.0",
                           "node_class.compute.thermal.components.chips.heater_off_c=5.0"])
    assert any("node_class.compute.thermal.components.chips.heater_power_w = 1000000.0: with step_s = 60 s" in p
               and "must be < 1" in p for p in info.value.problems), info.value.problems
