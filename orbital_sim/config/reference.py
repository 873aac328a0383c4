"""The key reference (docs/config_reference.md), generated from the schema declarations.

Every key of every table, as the checker sees it: what it accepts (kind, unit, range: the words
of the error messages), its default ("required" where it has none) and the note written beside
its declaration in :mod:`orbital_sim.config.schema` (the comment on the key's line, or on the
lines just above it). Nothing here is written by hand, so the reference cannot fall behind the
checker; tests/app/test_config_reference.py keeps the docs file equal to this output.

    python -m orbital_sim.config.reference > docs/config_reference.md
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

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


def _notes() -> dict[str, dict[str, str]]:
    """``{schema variable: {key: note}}`` from the comments beside the declarations."""
    path = Path(schema.__file__)
    text = path.read_text(encoding="utf-8")
    comments: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string.lstrip("#:").strip()
    lines = text.splitlines()
    out: dict[str, dict[str, str]] = {}

    def walk(node: ast.Dict, into: dict[str, str]) -> None:
        for key, value in zip(node.keys, node.values):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                continue
            if isinstance(value, ast.Dict):  # a nested schema (the entry types)
                sub: dict[str, str] = {}
                walk(value, sub)
                into.update({f"{key.value}.{k}": v for k, v in sub.items()})
                continue
            note = comments.get(value.end_lineno, "") if lines[value.end_lineno - 1].rstrip().endswith(
                comments.get(value.end_lineno, "\0")) else ""
            above, row = [], key.lineno - 1  # whole-line comments right above the key (1-based rows)
            while row in comments and lines[row - 1].lstrip().startswith("#"):
                above.insert(0, comments[row])
                row -= 1
            into[key.value] = " ".join([*above, note]).strip()

    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    walk(node.value, out.setdefault(target.id, {}))
    return out


def _default(field) -> str:
    if field.default is schema._REQUIRED:
        return "required"
    if field.default is None:
        return "not set"
    return f"`{_fmt(field.default)}`"


def _row(key: str, field, note: str) -> str:
    accepts = schema._describe(field).replace("|", "\\|")
    return f"| `{key}` | {accepts} | {_default(field)} | {note.replace('|', '/')} |"


def _table(heading: str, what: str, fields: dict, notes: dict[str, str]) -> list[str]:
    out = [f"## {heading}", "", what[0].upper() + what[1:] + ".", "",
           "| key | accepts | default | note |", "| --- | --- | --- | --- |"]
    out += [_row(key, f, notes.get(key, "")) for key, f in fields.items()]
    return out + [""]


def key_reference() -> str:
    """The whole reference as Markdown."""
    notes = _notes()
    out = ["# Configuration key reference", "",
           "Generated from the schema (`python -m orbital_sim.config.reference > docs/config_reference.md`;",
           "orbital_sim/config/schema.py declares each key once). Keys with a unit suffix are in that unit",
           "(`_km`, `_deg`, `_c`, `_kwh`, ...) and converted to SI once, when the config is read. A key",
           "whose default is \"not set\" is optional; where its note says `None -> ...` its value is then",
           "derived from other keys. Arrays of tables (`[[...]]`) are",
           "addressed by index or by an element's `name` in `--set` and `[sweep]`",
           "(`node_class.compute.surfaces.radiator.area_m2`).", ""]
    for heading, var, what in TABLES:
        out += _table(heading, what, getattr(schema, var), notes.get(var, {}))
    for entry_type, fields in schema.ENTRY_SCHEMAS.items():
        entry_notes = {k.split(".", 1)[1]: v for k, v in notes.get("ENTRY_SCHEMAS", {}).items()
                       if k.startswith(f"{entry_type}.")}
        out += _table(f'[[constellation]] type = "{entry_type}"', f"the keys of a {entry_type} entry", fields,
                      entry_notes)
    out += ["## [sweep]", "", "Key paths (as in `--set`) with arrays of values, and `mode` (\"grid\" or \"zip\"):",
            "see orbital_sim/sweep.py and the README.", ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(key_reference(), end="")
