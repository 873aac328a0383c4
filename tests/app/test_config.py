"""Config loading and validation (orbital_sim.config) and time scales (orbital_sim.timescales)."""

from __future__ import annotations

import copy
import datetime as dt
import math
import pickle
import subprocess
import sys
import tomllib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orbital_sim import timescales
from orbital_sim.config import (
    OUTPUT_VARIABLES,
    Config,
    ConfigError,
    apply_overrides,
    dumps_toml,
    load_config,
    validate_dict,
)

from tests.app.conftest import DEFAULT_TOML, ROOT, SMALL_TOML  # noqa: E402

PACKAGED_TOML = ROOT / "orbital_sim" / "data" / "default.toml"
R_EARTH_M = 6378137.0


@pytest.fixture(scope="module")
def default_raw() -> dict:
    return tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8"))


@pytest.fixture
def raw(default_raw) -> dict:
    return copy.deepcopy(default_raw)


@pytest.fixture
def small_raw() -> dict:
    return tomllib.loads(SMALL_TOML)


def problems_of(raw: dict) -> list[str]:
    with pytest.raises(ConfigError) as info:
        validate_dict(raw)
    return info.value.problems


def set_path(raw: dict, dotted: str, value) -> dict:
    """Set (or with value=DELETE, delete) a key given as a dotted path with list indices."""
    *head, last = dotted.split(".")
    node = raw
    for seg in head:
        node = node[int(seg)] if isinstance(node, list) else node[seg]
    if value is DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return raw


DELETE = object()


# -- the default and the examples -----------------------------------------------------------


def test_default_loads_with_si_units():
    cfg = load_config()
    assert isinstance(cfg, Config)
    sim = cfg.simulation
    assert sim.epoch == dt.datetime(2026, 3, 20, tzinfo=dt.timezone.utc)
    assert sim.epoch_iso == "2026-03-20T00:00:00Z"
    assert (sim.duration_s, sim.step_s, sim.output_every_s) == (86400.0, 60.0, 60.0)
    assert (sim.steps_per_output, sim.n_outputs, sim.n_steps) == (1, 1440, 1440)
    assert cfg.n_nodes == 1024 and len(set(cfg.node_names)) == 1024
    assert cfg.environment.shadow_radius_m == R_EARTH_M
    assert cfg.output.variables == tuple(v for v in OUTPUT_VARIABLES
                                         if not v.endswith("_eci") and v not in ("heater_power", "battery_power")
                                         and not v.startswith("absorbed_"))
    nc = cfg.node_classes["compute"]
    assert nc.battery.capacity_j == pytest.approx(120 * 3.6e6)
    assert nc.compute.throttle_temperature_k == pytest.approx(358.15)
    assert nc.power.array_reference_temperature_k == pytest.approx(301.15)
    assert all(c.initial_temperature_k == pytest.approx(293.15) for c in nc.components)
    assert nc.component_names == ("chips", "cold_plate", "radiator", "array", "battery")
    array, radiator = nc.surfaces
    assert array.solar_cells and array.two_sided and array.back_absorptance == 0.90
    assert radiator.two_sided and (radiator.back_absorptance, radiator.back_emittance) == (0.12, 0.90)
    assert nc.has_array
    # the source text is kept verbatim (comments included) when there are no overrides
    assert cfg.source_toml == PACKAGED_TOML.read_text(encoding="utf-8")


def test_default_identical_to_packaged_copy():
    assert DEFAULT_TOML.read_bytes() == PACKAGED_TOML.read_bytes()


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_config_loads(path):
    assert load_config(path).n_nodes > 0


def test_application_layer_does_not_import_jax():
    code = (
        "import sys; import orbital_sim.config, orbital_sim.constellation, orbital_sim.timescales; "
        "orbital_sim.config.load_config(); sys.exit('jax' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr or "orbital_sim.config imported jax"


def test_states_and_elements_example(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL_TOML, encoding="utf-8")
    cfg = load_config(str(path))
    states, elements = cfg.constellation
    assert states.elements is None and elements.states is None
    assert states.names == ["states0-0000"] and elements.names == ["elements1-0000"]
    np.testing.assert_array_equal(states.states["r_eci_m"], [[6778137.0, 0.0, 0.0]])
    np.testing.assert_allclose(states.states["v_eci_m_s"], [[0.0, 4760.0, 6000.0]])
    el = elements.elements
    np.testing.assert_allclose(el["a_m"], [6778137.0])
    np.testing.assert_allclose(el["e"], [0.0005])
    np.testing.assert_allclose(el["i_rad"], [math.radians(51.6)])
    np.testing.assert_allclose(el["raan_rad"], [math.radians(30.0)])
    assert all(v.dtype == np.float64 and v.shape == (1,) for v in el.values())
    side = cfg.node_classes["sat"].surfaces[1]
    assert side.pointing_rsw == pytest.approx((0.0, 0.6, 0.8))  # normalised
    assert not side.two_sided and side.back_absorptance == 0.0 and side.back_emittance == 0.0
    assert cfg.output.path == "orbital_sim_out.h5" and cfg.output.compression == 4
    assert cfg.simulation.output_every_s == 10.0  # defaults to step_s
    assert cfg.environment.solar_constant_w_m2 == 1361.0


def test_epoch_as_toml_datetime_with_offset(small_raw):
    text = SMALL_TOML.replace('"2026-03-20T00:00:00Z"', "2026-03-20T02:00:00+02:00")
    cfg = validate_dict(tomllib.loads(text), text)
    assert cfg.simulation.epoch == dt.datetime(2026, 3, 20, tzinfo=dt.timezone.utc)
    assert cfg.simulation.epoch_iso == "2026-03-20T00:00:00Z"


# -- messages ---------------------------------------------------------------------------------


def test_message_format_names_key_value_range_and_unit(raw):
    raw["node_class"]["compute"]["battery"]["capacity_kwh"] = -3
    assert problems_of(raw) == ["node_class.compute.battery.capacity_kwh = -3: must be in (0, 1000000] (kWh)"]


def test_every_problem_reported_at_once(raw):
    raw["simulation"]["step_s"] = 7200.0
    raw["environment"]["albedo"] = 1.5
    raw["constellation"][1]["inclination_deg"] = float("nan")
    assert problems_of(raw) == [
        "simulation.step_s = 7200.0: must be in (0, 3600] (s)",
        "environment.albedo = 1.5: must be in [0, 1]",
        "constellation.1.inclination_deg = nan: must be a finite number in [0, 180] (deg)",
    ]


def test_unknown_key_did_you_mean(raw):
    raw["simulation"]["step"] = 10
    raw["node_class"]["compute"]["battery"]["capacity_kw"] = 1.0
    raw["node_class"]["compute"]["zzz"] = 1
    lines = problems_of(raw)
    assert lines[0] == "simulation.step = 10: unknown key; did you mean 'step_s'?"
    assert "node_class.compute.battery.capacity_kw = 1.0: unknown key; did you mean 'capacity_kwh'?" in lines
    assert any(line.startswith("node_class.compute.zzz = 1: unknown key; allowed keys: compute") for line in lines)
    assert len(lines) == 3


def test_missing_required_keys(raw):
    del raw["simulation"]["duration_s"]
    del raw["node_class"]["compute"]["battery"]["capacity_kwh"]
    del raw["constellation"][0]["nodes_per_plane"]
    assert problems_of(raw) == [
        "simulation.duration_s: required key is missing (a number > 0 (s))",
        "node_class.compute.battery.capacity_kwh: required key is missing (a number in (0, 1000000] (kWh))",
        "constellation.0.nodes_per_plane: required key is missing (an integer >= 1)",
    ]


@pytest.mark.parametrize(
    "path, value, expected",
    [
        ("simulation.duration_s", True, "simulation.duration_s = true: must be a number > 0 (s), not a boolean"),
        ("simulation.duration_s", "600", 'simulation.duration_s = "600": must be a number > 0 (s), not a string'),
        ("simulation.duration_s", math.inf, "simulation.duration_s = inf: must be a finite number > 0 (s)"),
        ("simulation.step_s", -1.0, "simulation.step_s = -1.0: must be in (0, 3600] (s)"),
        ("node_class.compute.compute.accelerators", 64.0,
         "node_class.compute.compute.accelerators = 64.0: must be an integer in [0, 1000000], not a float (64.0)"),
        ("node_class.compute.compute.accelerators", False,
         "node_class.compute.compute.accelerators = false: must be an integer in [0, 1000000], not a boolean"),
        ("simulation.propagator", "cowel",
         "simulation.propagator = \"cowel\": must be one of \"cowell\", \"j2_secular\"; did you mean 'cowell'?"),
        ("simulation.dtype", 64, 'simulation.dtype = 64: must be one of "float64", "float32", not an integer'),
        ("output.compression", 10, "output.compression = 10: must be in [0, 9]"),
        ("output.variables", ["temperature", "temprature"],
         "output.variables[1] = \"temprature\": must be one of \"sunlit_fraction\", \"beta_angle\", "
         "\"array_power\", \"load_power\", \"shed_power\", \"battery_energy\", \"state_of_charge\", "
         "\"compute_utilization\", \"temperature\", \"heat_rejected\", \"energy_unmet\", \"battery_power\", "
         "\"position_eci\", \"velocity_eci\", \"heater_power\", \"absorbed_solar\", \"absorbed_albedo\", "
         "\"absorbed_ir\"; "
         "did you mean 'temperature'?"),
        ("output.variables", ["temperature", "temperature"],
         'output.variables = ["temperature", "temperature"]: lists "temperature" more than once'),
        ("node_class.compute.power.array_efficiency", 0.6,
         "node_class.compute.power.array_efficiency = 0.6: must be in (0, 0.5]"),
        ("node_class.compute.battery.floor_soc", 1.0, "node_class.compute.battery.floor_soc = 1.0: must be in [0, 1)"),
        ("node_class.compute.compute.throttle_temperature_c", 200.0,
         "node_class.compute.compute.throttle_temperature_c = 200.0: must be in [-50, 150] (degC)"),
        ("node_class.compute.surfaces.1.pointing", "sunedge",
         "node_class.compute.surfaces.radiator.pointing = \"sunedge\": must be one of \"sun\", \"nadir\", \"zenith\", "
         "\"orbit_normal\", \"anti_orbit_normal\", \"sun_edge\", \"ram\", \"wake\", \"rsw\"; did you mean 'sun_edge'?"),
        ("node_class.compute.surfaces.1.two_sided", "yes",
         'node_class.compute.surfaces.radiator.two_sided = "yes": must be true or false, not a string'),
        ("simulation", 5, "simulation = 5: must be a table ([simulation]), not an integer"),
        ("environment.shadow_radius_km", 6000.0, "environment.shadow_radius_km = 6000.0: must be in [6300, 6500] (km)"),
        ("constellation.0.ltan_h", [17.0, 24.0],
         "constellation.0.ltan_h[1] = 24.0: must be in [0, 24) (h)"),
        ("constellation.1.type", "walker", 'constellation.1.type = "walker": must be one of "states", "elements", '
         "\"sso\", \"walker_delta\", \"cluster\", \"tle\"; did you mean 'walker_delta'?"),
    ],
)
def test_bad_values(raw, path, value, expected):
    set_path(raw, path, value)
    assert problems_of(raw) == [expected]


@pytest.mark.parametrize(
    "epoch, fragment",
    [
        ("2026-03-20T00:00:00", "no time zone; add Z (UTC) or an offset"),
        ("2026-02-30T00:00:00Z", "not a valid ISO 8601 date and time"),
        ("2026-03-20", "a date without a time"),
        ("yesterday", "not a valid ISO 8601 date and time"),
        ("1900-01-01T00:00:00Z", "must be in the years 1950-2100"),
        (dt.datetime(2026, 3, 20), "no time zone"),
        (dt.date(2026, 3, 20), "a date without a time"),
        (20260320, "must be an ISO 8601 UTC date and time"),
    ],
)
def test_bad_epochs(raw, epoch, fragment):
    raw["simulation"]["epoch"] = epoch
    (line,) = problems_of(raw)
    assert line.startswith("simulation.epoch = ") and fragment in line


def test_output_and_duration_multiples(raw):
    raw["simulation"]["step_s"] = 10.0
    raw["simulation"]["output_every_s"] = 25.0
    assert problems_of(raw) == ["simulation.output_every_s = 25.0: must be a whole multiple of step_s (10) (s)"]
    raw["simulation"]["output_every_s"] = 5.0
    assert problems_of(raw) == ["simulation.output_every_s = 5.0: must be >= step_s (10) (s)"]
    raw["simulation"]["output_every_s"] = 70.0
    assert problems_of(raw) == ["simulation.duration_s = 86400.0: must be a whole multiple of output_every_s (70) (s)"]
    raw["simulation"]["step_s"] = 0.1
    raw["simulation"]["output_every_s"] = 0.3  # 0.1 * 3 != 0.3 in binary: within 1e-9 relative
    raw["simulation"]["duration_s"] = 0.9
    assert validate_dict(raw).simulation.steps_per_output == 3


def test_huge_run_is_refused(raw):
    raw["simulation"]["duration_s"] = 1e300
    raw["simulation"]["step_s"] = 10.0
    raw["simulation"]["output_every_s"] = 10.0
    (line,) = problems_of(raw)
    assert line.startswith("simulation.duration_s = 1e+300: gives more than 2147483647 steps")


def test_component_references_and_couplings(raw):
    nc = raw["node_class"]["compute"]
    nc["compute"]["component"] = "chip"
    nc["thermal"]["couplings"][0]["between"] = ["chips", "chips"]
    nc["thermal"]["couplings"][1]["between"] = ["cold_plate", "radiatr"]
    nc["surfaces"][0]["component"] = "xyz"
    assert problems_of(raw) == [
        "node_class.compute.thermal.couplings.0.between = [\"chips\", \"chips\"]: must name two different components",
        "node_class.compute.thermal.couplings.1.between = \"radiatr\": unknown component; did you mean 'radiator'?",
        'node_class.compute.surfaces.array.component = "xyz": unknown component; defined components: chips, '
        "cold_plate, radiator, array, battery",
        "node_class.compute.compute.component = \"chip\": unknown component; did you mean 'chips'?",
    ]


def test_duplicate_coupling_and_surface_name(raw):
    nc = raw["node_class"]["compute"]
    nc["thermal"]["couplings"][1]["between"] = ["cold_plate", "chips"]
    nc["surfaces"][1]["name"] = "array"
    lines = problems_of(raw)
    assert lines == [
        'node_class.compute.thermal.couplings.1.between = ["cold_plate", "chips"]: duplicates couplings.0; '
        "give one conductance per pair",
        'node_class.compute.surfaces.1.name = "array": is already the name of surfaces.0',
    ]


def test_surface_rules(raw):
    array, radiator = raw["node_class"]["compute"]["surfaces"]
    radiator["pointing"] = "rsw"  # needs pointing_rsw
    array["pointing_rsw"] = [1.0, 0.0, 0.0]  # only with rsw
    array["two_sided"] = False  # contradicts back_* keys
    array["absorptance"] = 0.2  # below array_efficiency 0.295
    lines = problems_of(raw)
    assert lines == [
        'node_class.compute.surfaces.array.pointing_rsw = [1.0, 0.0, 0.0]: only allowed with pointing = "rsw" '
        '(this surface has pointing = "sun")',
        "node_class.compute.surfaces.array.two_sided = false: contradicts back_absorptance and back_emittance, "
        "which only a two-sided surface has",
        "node_class.compute.surfaces.array.absorptance = 0.2: must be >= power.array_efficiency (0.295) on a "
        "surface with solar_cells = true (the cells cannot convert more sunlight than they absorb)",
        'node_class.compute.surfaces.radiator.pointing_rsw: required key is missing when pointing = "rsw" (an array '
        "of 3 numbers, not all zero (radial, along-track, orbit-normal))",
    ]
    radiator["pointing_rsw"] = [0.0, 0.0, 0.0]
    assert problems_of(raw)[-1].startswith(
        "node_class.compute.surfaces.radiator.pointing_rsw = [0.0, 0.0, 0.0]: must be")


def test_back_values_imply_two_sided(small_raw):
    side = small_raw["node_class"]["sat"]["surfaces"][1]
    side["back_emittance"] = 0.5
    s = validate_dict(small_raw).node_classes["sat"].surfaces[1]
    assert s.two_sided and s.back_emittance == 0.5 and s.back_absorptance == s.absorptance == 0.2


def test_class_without_solar_cells_is_allowed(small_raw):
    small_raw["node_class"]["sat"]["surfaces"][0]["solar_cells"] = False
    assert not validate_dict(small_raw).node_classes["sat"].has_array


def test_battery_soc_order(raw):
    battery = raw["node_class"]["compute"]["battery"]
    battery["floor_soc"] = 0.5
    battery["initial_soc"] = 0.4
    assert problems_of(raw) == [
        "node_class.compute.battery.floor_soc = 0.5: must be <= initial_soc (0.4)",
        "node_class.compute.battery.floor_soc = 0.5: must be <= throttle_soc (0.3)",
    ]


def test_thermal_needs_components(raw):
    raw["node_class"]["compute"]["thermal"]["components"] = {}
    lines = problems_of(raw)
    assert lines[0] == (
        "node_class.compute.thermal.components = {}: must define at least one component "
        "([node_class.compute.thermal.components.NAME])"
    )


def test_unknown_node_class_did_you_mean(raw):
    raw["constellation"][0]["node_class"] = "compte"
    assert problems_of(raw) == [
        "constellation.0.node_class = \"compte\": unknown node class; did you mean 'compute'?"
    ]


def test_bad_names(raw):
    raw["node_class"]["1gpu"] = raw["node_class"]["compute"]
    raw["constellation"][0]["name"] = "dawn dusk"
    lines = problems_of(raw)
    assert "node_class.1gpu: class name must be made of letters, digits, '_' or '-', starting with a letter or '_'" in lines
    assert (
        'constellation.0.name = "dawn dusk": must be a name of letters, digits, \'_\' or \'-\', '
        "starting with a letter or '_'" in lines
    )


# -- files --------------------------------------------------------------------------------------


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "empty.toml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == [
        "config: is empty; it must hold [simulation], at least one [node_class.NAME] table and at least "
        "one [[constellation]] entry"
    ]


def test_missing_sections(small_raw):
    del small_raw["constellation"]
    assert problems_of(small_raw) == [
        "constellation: required key is missing (at least one [[constellation]] entry)"
    ]
    small_raw["constellation"] = []
    assert problems_of(small_raw) == [
        "constellation = []: must be an array of tables, at least one [[constellation]] entry, not an empty array"
    ]
    del small_raw["simulation"]
    assert problems_of(small_raw)[0] == "simulation: required table is missing ([simulation])"


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.toml: no such config file$"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match=r"is a directory, not a config file$"):
        load_config(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text('[simulation]\nepoch = "2026-03-20T00:00:00Z"\nduration_s = = 3\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(bad)
    (line,) = info.value.problems
    assert line.startswith(f"{bad}: TOML syntax error: ") and "line 3" in line
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"# caf\xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_config(latin)


def test_config_error_is_a_value_error_and_pickles():
    err = ConfigError(["a = 1: bad", "b = 2: worse"])
    assert isinstance(err, ValueError) and str(err) == "a = 1: bad\nb = 2: worse"
    again = pickle.loads(pickle.dumps(err))
    assert again.problems == err.problems


# -- overrides ----------------------------------------------------------------------------------


def test_overrides():
    cfg = load_config(
        None,
        [
            "simulation.step_s=20",
            "simulation.propagator=j2_secular",  # bare string
            'simulation.shadow="cylindrical"',  # TOML string
            "constellation.0.altitude_km=700",
            "constellation.0.ltan_h=18.0",
            "environment.albedo = 0.25",
        ],
    )
    assert cfg.simulation.step_s == 20.0 and cfg.simulation.steps_per_output == 3
    assert cfg.simulation.propagator == "j2_secular" and cfg.simulation.shadow == "cylindrical"
    assert cfg.environment.albedo == 0.25
    np.testing.assert_allclose(cfg.constellation[0].elements["a_m"], R_EARTH_M + 700e3)
    # the stored text holds the overrides and reproduces the same config
    assert "#   constellation.0.altitude_km=700" in cfg.source_toml
    again = validate_dict(tomllib.loads(cfg.source_toml))
    assert again.simulation == cfg.simulation
    np.testing.assert_array_equal(again.constellation[0].elements["raan_rad"], cfg.constellation[0].elements["raan_rad"])


def test_override_errors():
    with pytest.raises(ConfigError) as info:
        load_config(None, ["constellation.5.altitude_km=700", "simulation.step_s.x=1", "nokey", "simulation.stepp=3"])
    assert info.value.problems == [
        'override "constellation.5.altitude_km=700": constellation has 2 entries (index 0..1)',
        'override "simulation.step_s.x=1": simulation.step_s is a value (60.0), not a table',
        'override "nokey": expected key.path=value',
    ]
    with pytest.raises(ConfigError) as info:  # a typo in the key is caught by validation
        load_config(None, ["simulation.stepp=3"])
    assert info.value.problems == ["simulation.stepp = 3: unknown key; did you mean 'step_s'?"]


def test_apply_overrides_does_not_modify_input(default_raw):
    before = copy.deepcopy(default_raw)
    out = apply_overrides(default_raw, ["simulation.step_s=5", "output.variables=['temperature']"])
    assert default_raw == before and out["simulation"]["step_s"] == 5 and out["output"]["variables"] == ["temperature"]


def test_dumps_toml_round_trips(default_raw, small_raw):
    for raw in (default_raw, small_raw):
        assert tomllib.loads(dumps_toml(raw)) == raw
    odd = {"a b": {"x": [1, 2.5, "q\"\\\n\u0001"], "t": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)},
           "e": {}, "arr": [{"k": {"z": 1}}, {"k": {"z": 2}}], "nan": math.inf}
    assert tomllib.loads(dumps_toml(odd)) == odd


# -- constellation checks ----------------------------------------------------------------------


def test_perigee_below_surface(small_raw):
    small_raw["constellation"][1]["a_km"] = [6778.137, 6500.0]
    for key in ("e", "i_deg", "raan_deg", "argp_deg", "mean_anomaly_deg"):
        small_raw["constellation"][1][key] *= 2
    small_raw["constellation"][1]["e"] = [0.0005, 0.1]
    assert problems_of(small_raw) == [
        "constellation.1.a_km[1] = 6500.0: with e[1] = 0.1 the perigee altitude -528.1 km is not above the "
        "Earth's surface (perigee radius must exceed 6378.137 km)"
    ]


def test_states_below_surface_and_unbound(small_raw):
    entry = small_raw["constellation"][0]
    entry["r_eci_km"] = [[6778.137, 0.0, 0.0], [6778.137, 0.0, 0.0], [7000.0, 0.0, 0.0]]
    entry["v_eci_km_s"] = [[0.0, 4.76, 6.0], [0.0, 1.0, 0.0], [0.0, 11.0, 0.0]]
    lines = problems_of(small_raw)
    assert len(lines) == 1 and lines[0].startswith(
        "constellation.0.v_eci_km_s[2] = [0.0, 11.0, 0.0]: escapes: specific orbital energy"
    )
    entry["v_eci_km_s"][2] = [0.0, 7.5, 0.0]
    (line,) = problems_of(small_raw)
    assert line.startswith("constellation.0.r_eci_km[1] = [6778.137, 0.0, 0.0]: with this velocity the perigee altitude -")


def test_mismatched_list_lengths(small_raw):
    small_raw["constellation"][1]["e"] = [0.0005, 0.001]
    small_raw["constellation"][0]["v_eci_km_s"] = []
    assert problems_of(small_raw) == [
        "constellation.0.v_eci_km_s = []: must be a non-empty array of [x, y, z] triples, each in [-50, 50] "
        "(km/s), not an empty array",
        "constellation.1: the element arrays must have equal lengths (a_km: 1, e: 2, i_deg: 1, raan_deg: 1, "
        "argp_deg: 1, mean_anomaly_deg: 1)",
    ]
    small_raw["constellation"][0]["v_eci_km_s"] = [[0.0, 4.76, 6.0], [0.0, 4.76, 6.0]]
    assert problems_of(small_raw)[0] == (
        "constellation.0: r_eci_km and v_eci_km_s must have equal lengths (r_eci_km: 1, v_eci_km_s: 2)"
    )


def test_sso_checks(raw):
    sso = raw["constellation"][0]
    sso["e"] = 0.5
    assert problems_of(raw) == [
        "constellation.0.e = 0.5: with this altitude_km the perigee altitude -2864.1 km is not above the "
        "Earth's surface (perigee radius must exceed 6378.137 km)"
    ]
    sso["e"] = 0.0
    sso["altitude_km"] = 5990.0
    assert problems_of(raw)[0].startswith(
        "constellation.0.altitude_km = 5990.0: no sun-synchronous orbit exists at this altitude"
    )
    sso["altitude_km"] = 650.0
    sso["ltan_h"] = [6.0, 18.0]
    assert problems_of(raw) == [
        "constellation.0.ltan_h = [6.0, 18.0]: has 2 values for planes = 4; give one per plane, or a single one"
    ]
    del sso["planes"]  # planes defaults to the number of LTANs
    assert validate_dict(raw).constellation[0].n_nodes == 2 * 64


def test_walker_checks(raw):
    walker = raw["constellation"][1]
    walker["total"] = 770
    walker["phasing"] = 24
    assert problems_of(raw) == [
        "constellation.1.total = 770: must be divisible by planes (24)",
        "constellation.1.phasing = 24: must be in [0, 23] (0 to planes - 1)",
    ]


def test_node_names_unique_across_run(raw):
    raw["constellation"][1]["name"] = "dawn-dusk"
    raw["constellation"][1]["planes"] = 4
    raw["constellation"][1]["total"] = 256
    assert problems_of(raw) == [
        'constellation.1.name = "dawn-dusk": gives node names that constellation.0 already uses '
        '(e.g. "dawn-dusk-p00-s000"); give each entry its own name'
    ]


def test_too_many_nodes(raw):
    raw["constellation"][1]["total"] = 2**40
    raw["constellation"][1]["planes"] = 1
    raw["constellation"][1]["phasing"] = 0
    assert problems_of(raw) == ["constellation: places 1099511628032 nodes; at most 10000000 per run"]


# -- robustness: mutated configs raise ConfigError or load, nothing else --------------------------


def _paths(node, prefix=()):
    """Every key path in a raw config (tables, arrays and leaves)."""
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        out.append((*prefix, k))
        out.extend(_paths(v, (*prefix, k)))
    return out


BAD_VALUES = [
    float("nan"), math.inf, -math.inf, -1, -1.0, 0, 0.0, 1e300, -1e300, 2**62, 10**30, True, False,
    "", "x", "rsw", [], [1.0], [[1.0, 2.0, 3.0]], ["chips", "chips"], {}, {"a": 1}, None,
    dt.datetime(2026, 1, 1), dt.date(2026, 1, 1), dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
]


@st.composite
def mutations(draw, base):
    raw = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(raw)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = raw
        for seg in path[:-1]:
            parent = parent[seg]
        action = draw(st.sampled_from(["set", "set", "delete", "unknown", "scale"]))
        key = path[-1]
        if action == "set":
            parent[key] = copy.deepcopy(draw(st.sampled_from(BAD_VALUES)))
        elif action == "delete":
            if isinstance(parent, list):
                parent.pop(key)
            else:
                del parent[key]
        elif action == "unknown" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["stepp", "capacity", "zz", "1x", "a b"]))] = 1.0
        elif action == "scale" and isinstance(parent[key], (int, float)) and not isinstance(parent[key], bool):
            parent[key] = parent[key] * draw(st.sampled_from([-1, 0, 2, 1e6, 1e-6]))
    return raw


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_configs_fail_cleanly(data, default_raw):
    base = default_raw if data.draw(st.booleans()) else tomllib.loads(SMALL_TOML)
    raw = data.draw(mutations(base))
    try:
        cfg = validate_dict(raw)
    except ConfigError as err:
        assert err.problems and all(isinstance(p, str) and p for p in err.problems)
    else:
        assert isinstance(cfg, Config) and cfg.n_nodes >= 1


# -- time scales ------------------------------------------------------------------------------


UTC = dt.timezone.utc


def test_j2000_epoch_is_jd_2451545_tt():
    epoch = timescales.parse_epoch("2000-01-01T11:58:55.816Z")
    assert timescales.utc_to_tt_offset_s(epoch) == pytest.approx(64.184)
    assert timescales.julian_date_tt_two_part(epoch) == (2451545.0, 0.0)
    assert timescales.julian_date_utc_two_part(dt.datetime(2000, 1, 1, 12, tzinfo=UTC)) == (2451545.0, 0.0)


def test_leap_second_boundary():
    before = dt.datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)
    after = dt.datetime(2017, 1, 1, 0, 0, 0, tzinfo=UTC)
    assert timescales.utc_to_tt_offset_s(before) == pytest.approx(68.184)
    assert timescales.utc_to_tt_offset_s(after) == pytest.approx(69.184)
    (w0, f0), (w1, f1) = timescales.julian_date_tt_two_part(before), timescales.julian_date_tt_two_part(after)
    # 1 s of UTC plus the inserted leap second: 2 s of TT
    assert (w1 - w0) * 86400.0 + (f1 - f0) * 86400.0 == pytest.approx(2.0, abs=1e-9)
    # an instant inside the leap second maps to its end
    assert timescales.utc_from_julian_date_tt(w1, f1 - 0.5 / 86400.0) == after


def test_two_part_fraction_is_exact():
    epoch = dt.datetime(2026, 3, 20, 0, 0, 0, 1, tzinfo=UTC)  # 1 microsecond past midnight
    whole, fraction = timescales.julian_date_tt_two_part(epoch)
    assert whole == 2461119.0 and 0.0 <= fraction < 1.0
    assert fraction == (12 * 3600 * 10**6 + 69_184_000 + 1) / 86_400_000_000


@given(st.datetimes(min_value=dt.datetime(1960, 1, 1), max_value=dt.datetime(2150, 1, 1)))
@settings(max_examples=200, deadline=None)
def test_round_trip(naive):
    epoch = naive.replace(tzinfo=UTC)
    whole, fraction = timescales.julian_date_tt_two_part(epoch)
    assert whole == int(whole) and 0.0 <= fraction < 1.0
    assert timescales.utc_from_julian_date_tt(whole, fraction) == epoch
    assert timescales.parse_epoch(timescales.format_epoch(epoch)) == epoch


@pytest.mark.filterwarnings("ignore:ERFA function")
def test_leap_second_table_against_erfa():
    erfa = pytest.importorskip("erfa")
    for day, tai_utc in timescales.LEAP_SECONDS:
        for d in (day, day + dt.timedelta(days=100)):
            assert erfa.dat(d.year, d.month, d.day, 0.5) == pytest.approx(tai_utc), d
    assert erfa.dat(2026, 3, 20, 0.0) == 37.0
    assert timescales.tai_minus_utc_s(dt.datetime(1971, 6, 1, tzinfo=UTC)) == 10  # documented approximation


def test_every_number_has_an_upper_bound():
    """A typo such as 1e300 W or 10**30 accelerators is refused by range, not simulated: every
    number and integer key of the node-class, environment and station schemas has a finite upper
    bound (the bounds are generous: they catch typos, not designs)."""
    from orbital_sim import config as cfg

    schemas = {name: getattr(cfg, name) for name in dir(cfg) if name.endswith("_SCHEMA") and name not in (
        "SIMULATION_SCHEMA", "OUTPUT_SCHEMA", "ENTRY_COMMON_SCHEMA")}
    assert {"COMPUTE_SCHEMA", "POWER_SCHEMA", "BATTERY_SCHEMA", "SURFACE_SCHEMA", "DRAG_SCHEMA"} <= set(schemas)
    unbounded = [f"{name}.{key}" for name, schema in schemas.items() if isinstance(schema, dict)
                 for key, f in schema.items() if getattr(f, "kind", None) in ("number", "int")
                 and (f.hi is None or not math.isfinite(f.hi))]
    assert not unbounded, unbounded
