"""power.bus_heat_component, power.array_component and battery.component may be left out where
the class makes them unambiguous (issue 15): the component named "bus" ("battery"), the one
component holding every surface with solar cells, or the only component."""

import tomllib

import pytest

from orbital_sim.config import ConfigError, validate_dict
from tests.app.conftest import SMALL_TOML

KEYS = (("power", "bus_heat_component"), ("power", "array_component"), ("battery", "component"))


def _without(*keys):
    raw = tomllib.loads(SMALL_TOML)  # components bus and panel; the cells on panel
    for table, key in keys:
        del raw["node_class"]["sat"][table][key]
    return raw


def test_left_out_where_the_class_makes_them_unambiguous():
    nc = validate_dict(_without(*KEYS[:2])).node_classes["sat"]
    assert (nc.power.bus_heat_component, nc.power.array_component) == ("bus", "panel")
    given = validate_dict(tomllib.loads(SMALL_TOML)).node_classes["sat"]
    assert nc == given  # the same class as with the keys written out


def test_ambiguous_is_still_required_with_the_reason():
    with pytest.raises(ConfigError) as err:
        validate_dict(_without(KEYS[2]))  # no component named "battery", two components
    assert err.value.problems == [
        'node_class.sat.battery.component: required key is missing (a component name; it can be left out only '
        'with a component named "battery" or a single component)']


def test_the_default_scenario_names_them_as_before():
    from orbital_sim.config import load_config

    nc = load_config(None).node_classes["compute"]
    assert (nc.power.bus_heat_component, nc.power.array_component, nc.battery.component) == (
        "cold_plate", "array", "battery")
