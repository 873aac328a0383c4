"""What every config key accepts, declared once per table: kind, unit, allowed range and
default (:class:`Field`), the unit conversions to SI and the words that describe a field in
messages."""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass
from typing import Any

from orbital_sim.config_text import _fmt_num, _toml_string
from orbital_sim.constellation import ENTRY_TYPES


OUTPUT_VARIABLES = (
    "sunlit_fraction",
    "beta_angle",
    "array_power",
    "load_power",
    "shed_power",
    "battery_energy",
    "state_of_charge",
    "compute_utilization",
    "temperature",
    "heat_rejected",
    "energy_unmet",
    "battery_power",
    "position_eci",
    "velocity_eci",
    "heater_power",
    "absorbed_solar",
    "absorbed_albedo",
    "absorbed_ir",
)
#: written unless [output] variables says otherwise: all but the ECI vectors, heater_power, battery_power
#: and the absorbed power per surface
DEFAULT_OUTPUT_VARIABLES = tuple(v for v in OUTPUT_VARIABLES
                                 if v not in ("position_eci", "velocity_eci", "heater_power", "battery_power",
                                              "absorbed_solar", "absorbed_albedo", "absorbed_ir"))
POINTINGS = (
    "sun",
    "nadir",
    "zenith",
    "orbit_normal",
    "anti_orbit_normal",
    "sun_edge",
    "ram",
    "wake",
    "rsw",
)
#: what a surface is for (``role``; default: derived, see :func:`derive_surface_roles`)
SURFACE_ROLES = ("array", "radiator", "other")
MAX_STEPS = 2**31 - 1  # steps per run: int32 step counters stay valid
EPOCH_YEARS = (1950, 2100)  # span over which the Sun model is specified (SPEC section 2)
_LIST_ERRORS_SHOWN = 10  # element errors reported per list before summarising the rest


# --------------------------------------------------------------------------------------------
# The schema
# --------------------------------------------------------------------------------------------

_REQUIRED = object()


@dataclass(frozen=True)
class Field:
    """One config key: ``kind`` (see ``_Checker._check``), unit (config unit, drives the SI
    conversion), allowed range [lo, hi] with open ends, default (``_REQUIRED`` if none),
    allowed strings for ``choice`` kinds."""

    kind: str
    unit: str = ""
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    default: Any = _REQUIRED
    choices: tuple[str, ...] = ()


def _num(unit="", lo=None, hi=None, *, lo_open=False, hi_open=False, default=_REQUIRED, kind="number"):
    return Field(kind, unit, lo, hi, lo_open, hi_open, default)


def _int(lo=None, hi=None, *, default=_REQUIRED):
    return Field("int", "", lo, hi, default=default)


def _choice(*choices, default=_REQUIRED):
    return Field("choice", choices=tuple(choices), default=default)


def _kind(kind, default=_REQUIRED, choices=()):
    return Field(kind, default=default, choices=tuple(choices))


_FRACTION = dict(lo=0.0, hi=1.0)

SIMULATION_SCHEMA = {
    "epoch": _kind("epoch"),
    "duration_s": _num("s", 0, lo_open=True),
    "step_s": _num("s", 0, 3600, lo_open=True),
    "output_every_s": _num("s", 0, lo_open=True, default=None),  # None -> step_s
    "propagator": _choice("cowell", "j2_secular", default="cowell"),
    "dtype": _choice("float64", "float32", default="float64"),
    "device": _choice("auto", "cpu", "gpu", default="auto"),
    "shadow": _choice("conical", "conical_oblate", "cylindrical", default="conical"),
    "chunk_outputs": _int(1, default=None),
    "memory_budget_mib": _num("MiB", 1, 1e9, default=512.0),  # what a chunk may hold (orbital_sim/memory.py)
    "zonal_harmonics": _int(2, 4, default=2),  # highest zonal term of the Cowell force model
    "drag": _choice("none", "exponential", default="none"),
    # Cowell integrator; "auto": the cheapest that holds 10 m per day on the configured orbits
    "integrator": _choice("auto", "rk4", "rk8", default="auto"),
}
ENVIRONMENT_SCHEMA = {
    "solar_constant_w_m2": _num("W/m^2", 1000, 1500, default=1361.0),
    "albedo": _num("", **_FRACTION, default=0.30),
    "earth_ir_w_m2": _num("W/m^2", 0, 500, default=237.0),
    "shadow_radius_km": _num("km", 6300, 6500, default=6378.137),
    "albedo_model": _choice("subsatellite", "cap", default="subsatellite"),
    # thermal design cases (orbital_sim/design_cases.py)
    "case": _choice("mean", "hot", "cold", default="mean"),
    "albedo_hot": _num("", **_FRACTION, default=None),
    "earth_ir_hot_w_m2": _num("W/m^2", 0, 500, default=None),
    "albedo_cold": _num("", **_FRACTION, default=None),
    "earth_ir_cold_w_m2": _num("W/m^2", 0, 500, default=None),
    "solar_flux_hot_w_m2": _num("W/m^2", 1000, 1500, default=1407.6),  # perihelion, REFERENCE.md
    "solar_flux_cold_w_m2": _num("W/m^2", 1000, 1500, default=1316.7),  # aphelion, REFERENCE.md
}
OUTPUT_SCHEMA = {
    "path": _kind("str", default="orbital_sim_out.h5"),
    "variables": _kind("choices_list", default=DEFAULT_OUTPUT_VARIABLES, choices=OUTPUT_VARIABLES),
    "compression": _int(0, 9, default=4),
    "dtype": _choice("auto", "float32", default="auto"),  # storage of the time series; auto = simulation.dtype
    "statistics_window_s": _num("s", 0, lo_open=True, default=None),  # per-window min/max/mean instead of samples
}
COMPUTE_SCHEMA = {
    "accelerators": _int(0, 1_000_000),  # upper bounds here catch typos (1e300), not designs
    "accelerator_power_w": _num("W", 0, 1e5),
    "utilization": _num("", **_FRACTION, default=1.0),
    "component": _kind("name"),
    "throttle_temperature_c": _num("degC", -50, 150, default=85.0),
    "throttle_band_k": _num("K", 0, 500, lo_open=True, default=5.0),
}
POWER_SCHEMA = {
    "bus_power_w": _num("W", 0, 1e8),
    "bus_heat_component": _kind("name", default=None),  # None -> the component named "bus", or the only one
    "array_efficiency": _num("", 0, 0.5, lo_open=True),
    "array_reference_temperature_c": _num("degC", -150, 200, default=28.0),
    "array_temperature_coefficient_per_k": _num("1/K", -0.01, 0, default=-0.0023),
    "array_packing_factor": _num("", 0, 1, lo_open=True, default=0.85),
    "array_degradation_per_year": _num("1/yr", 0, 0.2, default=0.0),
    "array_age_years": _num("yr", 0, 30, default=0.0),
    "array_component": _kind("name", default=None),  # None -> the one component of the surfaces with cells
    "array_design_life_years": _num("yr", 0, 30, default=None),  # the hot and cold cases' array age
}
#: the numeric keys of the optional cycle-life relation, with their upper bounds
CYCLE_LIFE_KEYS = {"cycle_life_cycles": 1e9, "cycle_life_dod": 1.0, "cycle_life_exponent": 10.0}
BATTERY_SCHEMA = {
    "capacity_kwh": _num("kWh", 0, 1e6, lo_open=True),
    "initial_soc": _num("", **_FRACTION, default=0.9),
    "floor_soc": _num("", 0, 1, hi_open=True, default=0.2),
    "throttle_soc": _num("", **_FRACTION, default=0.3),
    "charge_efficiency": _num("", 0, 1, lo_open=True, default=0.97),
    "discharge_efficiency": _num("", 0, 1, lo_open=True, default=0.97),
    "component": _kind("name", default=None),  # None -> the component named "battery", or the only one
    **{key: _num("", 0, hi, lo_open=True, default=None) for key, hi in CYCLE_LIFE_KEYS.items()},
    "cycle_life_source": _kind("str", default=None),
    "max_depth_of_discharge": _num("", 0, 1, lo_open=True, default=None),  # sizing's DoD limit
}
COMPONENT_SCHEMA = {
    "heat_capacity_j_k": _num("J/K", 0, 1e12, lo_open=True),
    "initial_temperature_c": _num("degC", -150, 200, default=20.0),
    "operating_limits_c": Field("limits", "degC", -273.15, 1000.0, default=None),  # [min, max]
    "survival_limits_c": Field("limits", "degC", -273.15, 1000.0, default=None),
    "heater_power_w": _num("W", 0, 1e7, default=0.0),
    "heater_on_c": _num("degC", -150, 200, default=None),
    "heater_off_c": _num("degC", -150, 200, default=None),
}
COUPLING_SCHEMA = {
    "between": _kind("pair"),
    "conductance_w_k": _num("W/K", 0, 1e9),
}
SURFACE_SCHEMA = {
    "name": _kind("name"),
    "component": _kind("name"),
    "area_m2": _num("m^2", 0, 1e7),
    "pointing": _choice(*POINTINGS),
    "pointing_rsw": _kind("direction", default=None),
    "absorptance": _num("", **_FRACTION),
    "emittance": _num("", **_FRACTION),
    "two_sided": _kind("bool", default=None),  # None -> implied by back_* keys
    "back_absorptance": _num("", **_FRACTION, default=None),
    "back_emittance": _num("", **_FRACTION, default=None),
    "solar_cells": _kind("bool", default=False),
    "absorptance_eol": _num("", **_FRACTION, default=None),  # end of life (hot case)
    "back_absorptance_eol": _num("", **_FRACTION, default=None),
    "role": _choice(*SURFACE_ROLES, default=None),  # None -> derived (derive_surface_roles)
}
DRAG_SCHEMA = {
    "mass_kg": _num("kg", 0, 1e7, lo_open=True),
    "area_m2": _num("m^2", 0, 1e6),
    "coefficient": _num("", 0, 10, default=2.2),
}
GROUND_STATION_SCHEMA = {
    "name": _kind("name"),
    "latitude_deg": _num("deg", -90, 90),
    "longitude_deg": _num("deg", -180, 360),
    "altitude_m": _num("m", -500, 9000, default=0.0),  # Dead Sea shore to above Everest
    "elevation_mask_deg": _num("deg", 0, 90, hi_open=True, default=5.0),
}
MASS_SCHEMA = {  # optional; defaults are the published figures in shared REFERENCE.md
    "array_areal_mass_kg_m2": _num("kg/m^2", 0, 100, lo_open=True, default=3.1),  # ISS iROSA (NASA)
    "radiator_areal_mass_kg_m2": _num("kg/m^2", 0, 100, lo_open=True, default=7.0),  # conventional (NASA SBIR)
    "battery_specific_energy_wh_kg": _num("Wh/kg", 0, 1000, lo_open=True, default=160.0),  # Saft VES180
    "accelerator_mass_kg": _num("kg", 0, 10000, default=1360.0 / 72.0),  # GB200 NVL72: 1.36 t / 72 GPUs
    "bus_mass_kg": _num("kg", 0, 1.0e7, default=0.0),  # structure, avionics, propulsion (not counted)
}
NODE_CLASS_TABLES = {
    "compute": COMPUTE_SCHEMA,
    "power": POWER_SCHEMA,
    "battery": BATTERY_SCHEMA,
}
_ORBIT_ALTITUDE = dict(unit="km", lo=150)
ENTRY_COMMON_SCHEMA = {
    "type": _choice(*ENTRY_TYPES),
    "node_class": _kind("name"),
    "name": _kind("name", default=None),  # None -> f"{type}{index}"
}
#: highest eccentricity accepted: kernels.orbit.solve_kepler is tested to it (and beyond, to 0.9999)
#: against SciPy over every mean anomaly (tests/kernels/test_kepler.py)
MAX_ECCENTRICITY = 0.99

ENTRY_SCHEMAS = {
    "states": {
        # positions within the Earth's Hill sphere (about 1.5e6 km); speeds far above escape
        "r_eci_km": _num("km", -1.5e6, 1.5e6, kind="vectors"),
        "v_eci_km_s": _num("km/s", -50, 50, kind="vectors"),
    },
    "elements": {
        "a_km": _num("km", 0, 1.5e6, lo_open=True, kind="numbers"),
        "e": _num("", 0, MAX_ECCENTRICITY, kind="numbers"),
        "i_deg": _num("deg", 0, 180, kind="numbers"),
        "raan_deg": _num("deg", -360, 360, kind="numbers"),
        "argp_deg": _num("deg", -360, 360, kind="numbers"),
        "mean_anomaly_deg": _num("deg", -360, 360, kind="numbers"),
    },
    "sso": {
        "altitude_km": _num(**_ORBIT_ALTITUDE, hi=6000),
        "ltan_h": _num("h", 0, 24, hi_open=True, kind="number_or_numbers"),
        "planes": _int(1, default=None),  # None -> number of ltan_h values
        "nodes_per_plane": _int(1),
        "e": _num("", 0, MAX_ECCENTRICITY, default=0.0),
    },
    "walker_delta": {
        "altitude_km": _num(**_ORBIT_ALTITUDE, hi=1.0e6),
        "inclination_deg": _num("deg", 0, 180),
        "total": _int(1),
        "planes": _int(1),
        "phasing": _int(0, default=0),
        "raan0_deg": _num("deg", -360, 360, default=0.0),
    },
    "cluster": {
        # reference orbit: altitude (a - R_eq) and either ltan_h (sun-synchronous) or
        # inclination_deg + raan_deg; e, argp_deg, mean_anomaly_deg complete the elements
        "altitude_km": _num(**_ORBIT_ALTITUDE, hi=1.0e6),
        "ltan_h": _num("h", 0, 24, hi_open=True, default=None),
        "inclination_deg": _num("deg", 0, 180, default=None),
        "raan_deg": _num("deg", -360, 360, default=None),
        "e": _num("", 0, 0.1, hi_open=True, default=0.0),
        "argp_deg": _num("deg", -360, 360, default=0.0),
        "mean_anomaly_deg": _num("deg", -360, 360, default=0.0),
        # the formation: "orbit_plane" (nodes, radius_km) or "offsets" (offsets_rsw_km)
        "layout": _choice("orbit_plane", "offsets", default="orbit_plane"),
        "nodes": _int(1, default=None),
        "radius_km": _num("km", 0, 100, lo_open=True, default=None),
        "offsets_rsw_km": _num("km", -100, 100, kind="vectors", default=None),
    },
    "tle": {
        "tle": _kind("str", default=None),  # TLE text (2- or 3-line format), e.g. a ''' string
        "tle_file": _kind("str", default=None),  # or a TLE file, relative to the working directory
        "max_age_days": _num("d", 0, lo_open=True, default=30.0),  # |run epoch - TLE epoch| allowed
    },
}
TOP_LEVEL_KEYS = ("simulation", "environment", "output", "node_class", "constellation", "sweep", "ground_station",
                  "approaches", "radiation")
#: [approaches] (orbital_sim/approaches.py): pairs closer than threshold_m are listed
APPROACHES_SCHEMA = {"threshold_m": _num("m", 0, 1.0e7, lo_open=True, default=5000.0)}
#: [radiation] (orbital_sim/radiation.py): AE-8/AP-8 fluences, SAA time, dose behind an Al shell
RADIATION_SCHEMA = {"shield_thickness_mm": _num("mm", 0, 1000, default=3.0),
                    "chip_tolerance_krad": _num("krad", 0, 1.0e6, lo_open=True, default=2.0)}

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
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_NAME_RULE = "letters, digits, '_' or '-', starting with a letter or '_'"


def _si_key(key: str, f: Field) -> str:
    conv = _SI_CONVERSIONS.get(f.unit)
    if conv is None:
        return key
    suffix, si_suffix = conv[0], conv[1]
    if not key.endswith(suffix):  # a schema bug, not a user error
        raise AssertionError(f"key {key!r} with unit {f.unit} must end in {suffix}")
    return key[: -len(suffix)] + si_suffix


def _to_si(f: Field, x: float) -> float:
    conv = _SI_CONVERSIONS.get(f.unit)
    return x if conv is None else x * conv[2] + conv[3]


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------


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
