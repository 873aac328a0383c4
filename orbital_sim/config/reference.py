"""The key reference (docs/config_reference.md), generated from the key declarations.

Every key of every table, as the checker sees it: what it accepts (kind, unit, range: the words
of the error messages), its default ("required" where it has none) and its ``doc`` line, all
from the one declaration of the key (``key(...)`` on a dataclass field in
:mod:`orbital_sim.config.types`; the ``[[constellation]]`` entries in
:mod:`orbital_sim.config.schema`). Nothing here is written by hand, so the reference cannot
fall behind the checker; tests/app/test_config_reference.py keeps the docs file equal to this
output.

    python -m orbital_sim.config.reference > docs/config_reference.md
"""

from __future__ import annotations

from orbital_sim.config import schema
from orbital_sim.config_text import _fmt

#: (table heading, schema variable in schema.py, what the table is); the node-class tables
#: repeat for every class, the constellation ones for every entry
TABLES = (
    ("[simulation]", "SIMULATION_SCHEMA", "time grid, propagator, precision, devices"),
    ("[environment]", "ENVIRONMENT_SCHEMA", "Sun, Earth albedo and infrared, shadow, design cases"),
    ("[output]", "OUTPUT_SCHEMA", "the result file"),
    ("[node_class.NAME.compute]", "COMPUTE_SCHEMA", "accelerators and their throttle"),
    ("[node_class.NAME.power]", "POWER_SCHEMA", "solar array and bus load"),
    ("[node_class.NAME.battery]", "BATTERY_SCHEMA", "battery"),
    ("[node_class.NAME.thermal.components.CNAME]", "COMPONENT_SCHEMA", "one thermal node"),
    ("[[node_class.NAME.thermal.couplings]]", "COUPLING_SCHEMA", "a conductance between two components"),
    ("[[node_class.NAME.surfaces]]", "SURFACE_SCHEMA",
     "a radiating, absorbing surface; its front face follows the pointing rule"),
    ("[node_class.NAME.drag]", "DRAG_SCHEMA", "what drag acts on (needed when simulation.drag is on)"),
    ("[node_class.NAME.mass]", "MASS_SCHEMA", "masses for the feasibility report and sizing (optional)"),
    ("[[constellation]] (every entry)", "ENTRY_COMMON_SCHEMA", "keys every entry type takes"),
    ("[[ground_station]]", "GROUND_STATION_SCHEMA", "a ground station (optional)"),
    ("[approaches]", "APPROACHES_SCHEMA", "close-approach screening (optional)"),
    ("[radiation]", "RADIATION_SCHEMA", "radiation environment (optional)"),
)


def _default(field) -> str:
    if field.default is schema._REQUIRED:
        return "required"
    if field.default is None:
        return "not set"
    return f"`{_fmt(field.default)}`"


def _row(key: str, field) -> str:
    accepts = schema._describe(field).replace("|", "\\|")
    return f"| `{key}` | {accepts} | {_default(field)} | {field.doc.replace('|', '/')} |"


def _table(heading: str, what: str, fields: dict) -> list[str]:
    out = [f"## {heading}", "", what[0].upper() + what[1:] + ".", "",
           "| key | accepts | default | note |", "| --- | --- | --- | --- |"]
    out += [_row(key, f) for key, f in fields.items()]
    return out + [""]


def key_reference() -> str:
    """The whole reference as Markdown."""
    out = ["# Configuration key reference", "",
           "Generated from the key declarations (`python -m orbital_sim.config.reference > docs/config_reference.md`):",
           "each key is declared once, on the dataclass field that holds its value in SI",
           "(orbital_sim/config/types.py; the `[[constellation]]` entry keys in orbital_sim/config/schema.py).",
           "Keys with a unit suffix are in that unit (`_km`, `_deg`, `_c`, `_kwh`, ...) and converted to",
           "SI once, when the config is read. A key",
           "whose default is \"not set\" is optional; where its note says `None -> ...` its value is then",
           "derived from other keys. Arrays of tables (`[[...]]`) are",
           "addressed by index or by an element's `name` in `--set` and `[sweep]`",
           "(`node_class.compute.surfaces.radiator.area_m2`).", ""]
    for heading, var, what in TABLES:
        out += _table(heading, what, getattr(schema, var))
    for entry_type, fields in schema.ENTRY_SCHEMAS.items():
        out += _table(f'[[constellation]] type = "{entry_type}"', f"the keys of a {entry_type} entry", fields)
    out += ["## [sweep]", "", "Key paths (as in `--set`) with arrays of values, and `mode` (\"grid\" or \"zip\"):",
            "see orbital_sim/sweep.py and the README.", ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(key_reference(), end="")
