"""How a config key is declared: :class:`Field` says what the key accepts (kind, config unit,
allowed range, default, choices) and what it is for (``doc``, its line in the key reference);
:func:`key` attaches a Field to the dataclass field that holds the key's value in SI units
(orbital_sim/config/types.py), so each key is written down once. :func:`schema_of` reads a
table's keys back from its dataclass ({TOML key: Field}); the unit conversions to SI and the
words that describe a field in messages live here too.

Standard library only (and the message helpers of :mod:`orbital_sim.config_text`).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import re
from dataclasses import dataclass
from typing import Any

from orbital_sim.config_text import _fmt_num, _toml_string

_REQUIRED = object()


@dataclass(frozen=True)
class Field:
    """One config key: ``kind`` (see ``_Checker._check``), unit (config unit, drives the SI
    conversion), allowed range [lo, hi] with open ends, default (``_REQUIRED`` if none),
    allowed strings for ``choice`` kinds, and ``doc``: one line for the key reference."""

    kind: str
    unit: str = ""
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    default: Any = _REQUIRED
    choices: tuple[str, ...] = ()
    doc: str = ""


def _num(unit="", lo=None, hi=None, *, lo_open=False, hi_open=False, default=_REQUIRED, kind="number", doc=""):
    return Field(kind, unit, lo, hi, lo_open, hi_open, default, doc=doc)


def _int(lo=None, hi=None, *, default=_REQUIRED, doc=""):
    return Field("int", "", lo, hi, default=default, doc=doc)


def _choice(*choices, default=_REQUIRED, doc=""):
    return Field("choice", choices=tuple(choices), default=default, doc=doc)


def _kind(kind, default=_REQUIRED, choices=(), doc=""):
    return Field(kind, default=default, choices=tuple(choices), doc=doc)


_FRACTION = dict(lo=0.0, hi=1.0)

# config unit -> (key suffix, SI key suffix, factor, offset): SI = factor * value + offset
_SI_CONVERSIONS = {
    "km": ("_km", "_m", 1.0e3, 0.0),
    "km/s": ("_km_s", "_m_s", 1.0e3, 0.0),
    "deg": ("_deg", "_rad", math.pi / 180.0, 0.0),
    "kWh": ("_kwh", "_j", 3.6e6, 0.0),
    "Wh/kg": ("_wh_kg", "_j_kg", 3600.0, 0.0),
    "degC": ("_c", "_k", 1.0, 273.15),
    "mm": ("_mm", "_m", 1.0e-3, 0.0),
    "krad": ("_krad", "_gy", 10.0, 0.0),  # krad(Si) -> Gy(Si)
}


def _si_key(key: str, f: Field) -> str:
    """The SI name of a config key: ``altitude_km`` -> ``altitude_m``."""
    conv = _SI_CONVERSIONS.get(f.unit)
    if conv is None:
        return key
    suffix, si_suffix = conv[0], conv[1]
    if not key.endswith(suffix):  # a schema bug, not a user error
        raise AssertionError(f"key {key!r} with unit {f.unit} must end in {suffix}")
    return key[: -len(suffix)] + si_suffix


def _config_key(si_name: str, f: Field) -> str:
    """The config (TOML) name of an SI field: ``heater_on_k`` with unit degC -> ``heater_on_c``."""
    conv = _SI_CONVERSIONS.get(f.unit)
    if conv is None:
        return si_name
    suffix, si_suffix = conv[0], conv[1]
    if not si_name.endswith(si_suffix):  # a declaration bug, not a user error
        raise AssertionError(f"field {si_name!r} with unit {f.unit} must end in {si_suffix}")
    return si_name[: -len(si_suffix)] + suffix


def _to_si(f: Field, x: float) -> float:
    conv = _SI_CONVERSIONS.get(f.unit)
    return x if conv is None else x * conv[2] + conv[3]


def _default_si(f: Field):
    """The value a key takes when the config leaves it out: its default, numbers in SI."""
    if f.kind == "number" and f.default is not None:
        return _to_si(f, float(f.default))
    return f.default


# --------------------------------------------------------------------------------------------
# Declaring keys on dataclass fields
# --------------------------------------------------------------------------------------------

_KEY = "orbital_sim.config.key"  # dataclass field metadata: the key's Field
_TOML = "orbital_sim.config.toml"  # dataclass field metadata: the TOML name where it is not derived


def key(spec: Field, doc: str = "", *, toml: str | None = None, init_default: bool = False) -> Any:
    """Declare a config key on the dataclass field that holds its value in SI units.

    ``spec``: what the key accepts (kind, config unit, range, default, choices); ``doc``: its
    line in the key reference. The key's TOML name is the field's name with the SI suffix put
    back in the config unit (``heater_on_k``, unit degC: ``heater_on_c``), or ``toml`` for a
    key the checker reads into more than this one field (couplings' ``between``: ``a`` and
    ``b``). ``init_default``: the dataclass default is the key's default (in SI); otherwise
    the constructor takes the value (the checker always passes one)."""
    if doc:
        spec = dataclasses.replace(spec, doc=doc)
    extra = {}
    if init_default:
        if spec.default is _REQUIRED:
            raise AssertionError("init_default needs a default")
        extra["default"] = _default_si(spec)
    return dataclasses.field(metadata={_KEY: spec, _TOML: toml}, **extra)


def schema_of(cls) -> dict[str, Field]:
    """{TOML key: Field} of a config dataclass, in field order: the keys its table accepts."""
    out = {}
    for f in dataclasses.fields(cls):
        spec = f.metadata.get(_KEY)
        if spec is None:
            continue  # derived, not read from the config (e.g. SimulationConfig.epoch_iso)
        toml = f.metadata[_TOML]
        if toml is None:
            toml = _config_key(f.name, spec)
            assert _si_key(toml, spec) == f.name
        out[toml] = spec
    return out


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_NAME_RULE = "letters, digits, '_' or '-', starting with a letter or '_'"


def _typename(value) -> str:
    if value is None:
        return "nothing (None)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, _dt.datetime):
        return "a date-time"
    if isinstance(value, (_dt.date, _dt.time)):
        return "a date or time"
    return type(value).__name__


def _range_text(f: Field) -> str:
    lo = None if f.lo is None else _fmt_num(f.lo)
    hi = None if f.hi is None else _fmt_num(f.hi)
    if lo is not None and hi is not None:
        return f"in {'(' if f.lo_open else '['}{lo}, {hi}{')' if f.hi_open else ']'}"
    if lo is not None:
        return f"{'>' if f.lo_open else '>='} {lo}"
    if hi is not None:
        return f"{'<' if f.hi_open else '<='} {hi}"
    return ""


def _unit_text(f: Field) -> str:
    return f" ({f.unit})" if f.unit else ""


def _range_unit(f: Field) -> str:
    rng = _range_text(f)
    return (rng + _unit_text(f)) if rng else _unit_text(f).strip()


def _describe(f: Field) -> str:
    """What a field accepts, in words: 'a number > 0 (s)'."""
    ru = _range_unit(f)
    each = f", each {ru}" if ru else ""
    return {
        "number": f"a number {ru}".rstrip(),
        "int": f"an integer {_range_text(f)}".rstrip(),
        "str": "a non-empty string",
        "name": f"a name ({_NAME_RULE})",
        "bool": "true or false",
        "choice": "one of " + ", ".join(_toml_string(c) for c in f.choices),
        "epoch": "an ISO 8601 UTC date and time such as \"2026-03-20T00:00:00Z\"",
        "numbers": f"a non-empty array of numbers{each}",
        "vectors": f"a non-empty array of [x, y, z] triples{each}",
        "number_or_numbers": f"a number or a non-empty array of numbers, {ru}",
        "direction": "an array of 3 numbers, not all zero (radial, along-track, orbit-normal)",
        "pair": "an array of two different component names",
        "limits": f"an array [min, max] of two numbers, min < max, each {_range_unit(f)}",
        "choices_list": "an array of distinct names from " + ", ".join(_toml_string(c) for c in f.choices),
    }[f.kind]


def _listing(candidates, what: str) -> str:
    names = [str(c) for c in candidates]
    if not names:
        return "; none is defined"
    shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    return f"; {what}: {shown}"
