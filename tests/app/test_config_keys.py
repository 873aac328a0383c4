"""Each config key is declared once (issue 15): on the dataclass field that holds its SI value
(``key(...)`` in orbital_sim/config/types.py); the checker's schema tables and the key
reference are read from those declarations."""

import dataclasses

import pytest

from orbital_sim.config import fields, schema, types
from orbital_sim.config.reference import key_reference

#: config dataclass -> its table's schema; the fields that are not read from a key of the table
#: (derived from other keys, or the table's name)
TABLES = {
    types.SimulationConfig: (schema.SIMULATION_SCHEMA, {"epoch_iso"}),
    types.EnvironmentConfig: (schema.ENVIRONMENT_SCHEMA, {"case_values"}),
    types.OutputConfig: (schema.OUTPUT_SCHEMA, set()),
    types.ComputeConfig: (schema.COMPUTE_SCHEMA, set()),
    types.PowerConfig: (schema.POWER_SCHEMA, set()),
    types.BatteryConfig: (schema.BATTERY_SCHEMA, set()),
    types.ComponentConfig: (schema.COMPONENT_SCHEMA, {"name"}),
    types.CouplingConfig: (schema.COUPLING_SCHEMA, {"b"}),  # `between` is read into a and b
    types.SurfaceConfig: (schema.SURFACE_SCHEMA, set()),
    types.DragConfig: (schema.DRAG_SCHEMA, set()),
    types.GroundStationConfig: (schema.GROUND_STATION_SCHEMA, set()),
    types.MassConfig: (schema.MASS_SCHEMA, set()),
    types.ApproachesConfig: (schema.APPROACHES_SCHEMA, set()),
    types.RadiationConfig: (schema.RADIATION_SCHEMA, set()),
}


@pytest.mark.parametrize("cls", list(TABLES), ids=lambda c: c.__name__)
def test_every_field_is_a_declared_key_or_derived(cls):
    """A field added to a config dataclass without a key declaration (or a key without a field)
    fails here: the table's schema is exactly the declared fields, each named in SI."""
    table, derived = TABLES[cls]
    declared = [f for f in dataclasses.fields(cls) if fields._KEY in f.metadata]
    assert {f.name for f in dataclasses.fields(cls)} - {f.name for f in declared} == derived
    assert list(table.values()) == [f.metadata[fields._KEY] for f in declared]  # same objects, same order
    for toml, f in zip(table, declared):
        if f.metadata[fields._TOML] is None:
            assert fields._si_key(toml, table[toml]) == f.name  # heater_on_c (degC) -> heater_on_k


def test_the_dataclass_defaults_are_the_key_defaults_in_si():
    """Where a config dataclass has its own default (MassConfig(), RadiationConfig(), ...), it is
    the key's default converted to SI, not a second copy of it."""
    assert types.MassConfig().battery_specific_energy_j_kg == 160.0 * 3600.0
    assert types.RadiationConfig() == types.RadiationConfig(shield_thickness_m=3e-3, chip_tolerance_gy=20.0)
    assert types.ApproachesConfig().threshold_m == 5000.0
    for cls in TABLES:
        for f in dataclasses.fields(cls):
            spec = f.metadata.get(fields._KEY)
            if spec is not None and f.default is not dataclasses.MISSING:
                assert f.default == fields._default_si(spec), (cls.__name__, f.name)


def test_every_key_has_a_doc_line_and_the_reference_shows_it():
    text = key_reference()
    tables = [schema.ENTRY_COMMON_SCHEMA, *schema.ENTRY_SCHEMAS.values()] + [t for t, _ in TABLES.values()]
    for table in tables:
        for toml, f in table.items():
            assert f.doc, toml
            assert f"| `{toml}` |" in text and f.doc.replace("|", "/") in text, toml


def test_the_toml_name_follows_from_the_field_name_and_unit():
    spec = fields._num("degC", -150, 200)
    assert fields._config_key("heater_on_k", spec) == "heater_on_c"
    assert fields._si_key("heater_on_c", spec) == "heater_on_k"
    assert fields._config_key("capacity_j", fields._num("kWh")) == "capacity_kwh"
    assert fields._config_key("area_m2", fields._num("m^2")) == "area_m2"  # no conversion: the same name
    with pytest.raises(AssertionError):
        fields._config_key("heater_on_c", spec)  # a degC key must be held in kelvin
