"""Load a scenario (TOML), check all of it, and return frozen dataclasses in SI units.

Entry points: :func:`load_config` (a file, or the built-in default, plus ``key.path=value``
overrides) and :func:`validate_dict` (an already parsed dict). Both raise :class:`ConfigError`
listing every problem found, one line each: ``key.path = value: message (unit)``.

How the checking works: each TOML table has a declarative schema below (key -> :class:`Field`:
kind, unit, allowed range, default), checked by one generic walker; a few cross-checks follow
(multiples of the step, state-of-charge ordering, component references, orbits above the
surface, unique node names). Conversion to SI happens once, here, driven by the unit of the
field: ``_km`` -> ``_m``, ``_km_s`` -> ``_m_s``, ``_deg`` -> ``_rad``, ``_kwh`` -> ``_j``,
``_c`` (degrees Celsius) -> ``_k`` (kelvin, + 273.15). Ranges and messages stay in config units.

This module imports NumPy and the standard library only (no JAX), so configs are checked
before any JAX work starts.
"""

from __future__ import annotations

import copy
import datetime as _dt
import importlib.resources
import math
import os
import re
import tomllib
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from orbital_sim import timescales
from orbital_sim.sweep import SweepConfig, validate_sweep
from orbital_sim.config_text import (  # noqa: F401  (ConfigError, MAX_NODES, dumps_toml: public here too)
    MAX_NODES,
    ConfigError,
    _fmt,
    _fmt_num,
    _join,
    _suggest,
    _toml_string,
    dumps_toml,
)
from orbital_sim.constellation import (
    ENTRY_TYPES,
    ConstellationEntry,
    NodeGroup,
    build_groups,
    entry_size,
    node_names,
    sso_inclination_rad,
)
from orbital_sim.kernels.constants import GM_EARTH_M3_S2, R_EARTH_EQ_M

__all__ = [
    "BatteryConfig",
    "ComponentConfig",
    "ComputeConfig",
    "Config",
    "ConfigError",
    "CouplingConfig",
    "EnvironmentConfig",
    "GroundStationConfig",
    "MAX_NODES",
    "MassConfig",
    "NodeClassConfig",
    "OUTPUT_VARIABLES",
    "OutputConfig",
    "POINTINGS",
    "PowerConfig",
    "SimulationConfig",
    "SurfaceConfig",
    "apply_overrides",
    "dumps_toml",
    "load_config",
    "validate_dict",
]

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
# Output dataclasses (SI units; names carry units)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulationConfig:
    """``[simulation]``. Times in seconds; the run covers [0, duration_s] after ``epoch``."""

    epoch: _dt.datetime  # UTC, timezone-aware
    epoch_iso: str  # "2026-03-20T00:00:00Z"
    duration_s: float  # [s] a whole multiple of output_every_s
    step_s: float  # [s] integration step
    output_every_s: float  # [s] a whole multiple of step_s
    propagator: str  # "cowell" | "j2_secular"
    dtype: str  # "float64" | "float32"
    device: str  # "auto" | "cpu" | "gpu"
    shadow: str  # "conical" | "conical_oblate" | "cylindrical"
    chunk_outputs: int | None  # samples per chunk; None = automatic (from memory_budget_mib)
    memory_budget_mib: float = 512.0  # [MiB] bytes a chunk may hold: samples, tables, state, temporaries
    zonal_harmonics: int = 2  # highest zonal harmonic in the Cowell force model (2, 3 or 4)
    drag: str = "none"  # "none" | "exponential" (Vallado's exponential atmosphere)
    integrator: str = "auto"  # "auto" | "rk4" | "rk8" (Cowell only; kernels.orbit.INTEGRATORS)

    @property
    def steps_per_output(self) -> int:
        """Integration steps between two saved samples."""
        return int(round(self.output_every_s / self.step_s))

    @property
    def n_outputs(self) -> int:
        """Saved samples, at output_every_s, 2 output_every_s, ..., duration_s."""
        return int(round(self.duration_s / self.output_every_s))

    @property
    def n_steps(self) -> int:
        """Integration steps in the run."""
        return self.n_outputs * self.steps_per_output

    @property
    def epoch_jd_tt(self) -> tuple[float, float]:
        """The epoch as a two-part TT Julian date (whole day from noon, fraction in [0, 1))."""
        return timescales.julian_date_tt_two_part(self.epoch)


@dataclass(frozen=True)
class EnvironmentConfig:
    """``[environment]``."""

    solar_constant_w_m2: float  # [W/m^2] total solar irradiance at 1 AU
    albedo: float  # [1] Earth's bond albedo
    earth_ir_w_m2: float  # [W/m^2] Earth's outgoing longwave flux at the top of the atmosphere
    shadow_radius_m: float  # [m] radius of the spherical Earth that casts the shadow
    albedo_model: str = "subsatellite"  # "subsatellite" cosine, or "cap" quadrature of the visible cap
    # thermal design case (orbital_sim/design_cases.py): "mean" uses the values above as given;
    # "hot" / "cold" replace albedo, earth_ir_w_m2 and solar_constant_w_m2 with the case's values
    case: str = "mean"
    albedo_hot: float | None = None  # [1] overrides the design table's hot-case albedo
    earth_ir_hot_w_m2: float | None = None  # [W/m^2] overrides the table's hot-case Earth IR
    albedo_cold: float | None = None  # [1]
    earth_ir_cold_w_m2: float | None = None  # [W/m^2]
    solar_flux_hot_w_m2: float = 1407.6  # [W/m^2] perihelion: 1361 / (1 - 0.0167)^2
    solar_flux_cold_w_m2: float = 1316.7  # [W/m^2] aphelion: 1361 / (1 + 0.0167)^2
    case_values: dict | None = None  # every value a hot or cold case used (None: mean)


@dataclass(frozen=True)
class OutputConfig:
    """``[output]``."""

    path: str  # HDF5 file to write
    variables: tuple[str, ...]  # time series to write, from OUTPUT_VARIABLES
    compression: int  # gzip level, 0 = none
    dtype: str = "auto"  # time-series storage: "auto" (the run's precision) | "float32" (rounded on the device)
    statistics_window_s: float | None = None  # [s] write min/max/mean per window of samples instead of the samples


@dataclass(frozen=True)
class ComputeConfig:
    """``[node_class.NAME.compute]``."""

    accelerators: int  # number of accelerator boards
    accelerator_power_w: float  # [W] electrical power per board at full utilisation
    utilization: float  # [1] commanded utilisation before any throttling
    component: str  # thermal component that receives the compute heat
    throttle_temperature_k: float  # [K] component temperature where throttling starts
    throttle_band_k: float  # [K] width over which utilisation ramps down to zero


@dataclass(frozen=True)
class PowerConfig:
    """``[node_class.NAME.power]``."""

    bus_power_w: float  # [W] constant platform load
    bus_heat_component: str  # component that receives the bus heat
    array_efficiency: float  # [1] cell efficiency at the reference temperature
    array_reference_temperature_k: float  # [K]
    array_temperature_coefficient_per_k: float  # [1/K] relative efficiency change per kelvin
    array_packing_factor: float  # [1] cell area / array area
    array_degradation_per_year: float  # [1/yr]
    array_age_years: float  # [yr]
    array_component: str  # component whose temperature sets the cell efficiency
    array_design_life_years: float | None = None  # [yr] the age the hot and cold cases use (None: array_age_years)


@dataclass(frozen=True)
class BatteryConfig:
    """``[node_class.NAME.battery]``."""

    capacity_j: float  # [J]
    initial_soc: float  # [1]
    floor_soc: float  # [1] never discharged below
    throttle_soc: float  # [1] compute throttles below this state of charge
    charge_efficiency: float  # [1]
    discharge_efficiency: float  # [1]
    component: str  # component that receives the battery losses
    # optional cycle-life relation N(D) = cycle_life_cycles (cycle_life_dod / D)^cycle_life_exponent
    cycle_life_cycles: float | None = None  # [count] cycles to end of life at cycle_life_dod
    cycle_life_dod: float | None = None  # [1] depth of discharge of that reference point
    cycle_life_exponent: float | None = None  # [1] power-law exponent
    cycle_life_source: str | None = None  # where the three numbers come from (cell test data)
    max_depth_of_discharge: float | None = None  # [1] design limit (sizing, report); None: 1 - floor_soc


@dataclass(frozen=True)
class DragConfig:
    """``[node_class.NAME.drag]``: what atmospheric drag acts on (needed when simulation.drag is on)."""

    mass_kg: float  # [kg] node mass
    area_m2: float  # [m^2] mean cross-section facing the flow
    coefficient: float  # [1] drag coefficient C_D (2.2 is the usual flat-plate value)

    @property
    def ballistic_m2_kg(self) -> float:
        """C_D A / m [m^2/kg]."""
        return self.coefficient * self.area_m2 / self.mass_kg


@dataclass(frozen=True)
class GroundStationConfig:
    """One ``[[ground_station]]`` entry (WGS-84 geodetic position, SI)."""

    name: str
    latitude_rad: float  # [rad] geodetic latitude
    longitude_rad: float  # [rad] east longitude
    altitude_m: float  # [m] height above the WGS-84 ellipsoid
    elevation_mask_rad: float  # [rad] lowest elevation at which a node is in contact


@dataclass(frozen=True)
class MassConfig:
    """``[node_class.NAME.mass]`` (optional): what the hardware of a node weighs, for the
    feasibility report (orbital_sim/report.py). Defaults are published figures (REFERENCE.md)."""

    array_areal_mass_kg_m2: float = 3.1  # [kg/m^2] solar array wing; ISS iROSA (NASA figures)
    radiator_areal_mass_kg_m2: float = 7.0  # [kg/m^2] conventional radiator (NASA SBIR); ISS about 14
    battery_specific_energy_j_kg: float = 160.0 * 3600.0  # [J/kg] Li-ion cells, Saft VES180 (160 Wh/kg)
    accelerator_mass_kg: float = 1360.0 / 72.0  # [kg] per board: GB200 NVL72 rack 1.36 t / 72 GPUs (vendor data)
    bus_mass_kg: float = 0.0  # [kg] structure, avionics, propulsion: not counted unless given


@dataclass(frozen=True)
class ComponentConfig:
    """``[node_class.NAME.thermal.components.CNAME]``."""

    name: str
    heat_capacity_j_k: float  # [J/K]
    initial_temperature_k: float  # [K]
    operating_limits_k: tuple[float, float] | None = None  # [K] (low, high); None: not given
    survival_limits_k: tuple[float, float] | None = None  # [K] (low, high), around the operating ones
    heater_power_w: float = 0.0  # [W] thermostatic heater nameplate power (0: none; kernels/heaters.py)
    heater_on_k: float | None = None  # [K] heater at full power at or below
    heater_off_k: float | None = None  # [K] heater off at or above


@dataclass(frozen=True)
class CouplingConfig:
    """``[[node_class.NAME.thermal.couplings]]``: conductance between components a and b."""

    a: str
    b: str
    conductance_w_k: float  # [W/K]


@dataclass(frozen=True)
class SurfaceConfig:
    """``[[node_class.NAME.surfaces]]``. The front face points along the pointing rule."""

    name: str
    component: str  # component that absorbs and emits through this surface
    area_m2: float  # [m^2]
    pointing: str  # one of POINTINGS
    # unit vector in (radial, along-track, orbit-normal) when pointing == "rsw", else None
    pointing_rsw: tuple[float, float, float] | None
    absorptance: float  # [1] front face, solar
    emittance: float  # [1] front face, infrared
    two_sided: bool
    back_absorptance: float  # [1] back face; 0 for a one-sided surface
    back_emittance: float  # [1] back face; 0 for a one-sided surface
    solar_cells: bool  # the front face carries the array's cells
    absorptance_eol: float | None = None  # [1] front face at end of life (hot case); None: absorptance
    back_absorptance_eol: float | None = None  # [1] back face at end of life; None: back_absorptance
    role: str | None = None  # one of SURFACE_ROLES; None only before derive_surface_roles (validation sets it)

    def __post_init__(self):  # end-of-life values default to the beginning-of-life ones
        if self.absorptance_eol is None:
            object.__setattr__(self, "absorptance_eol", self.absorptance)
        if self.back_absorptance_eol is None:
            object.__setattr__(self, "back_absorptance_eol", self.back_absorptance)


@dataclass(frozen=True)
class NodeClassConfig:
    """``[node_class.NAME]``: hardware shared by all nodes of the class."""

    name: str
    compute: ComputeConfig
    power: PowerConfig
    battery: BatteryConfig
    drag: DragConfig | None
    components: tuple[ComponentConfig, ...]  # in config order: the component axis
    couplings: tuple[CouplingConfig, ...]
    surfaces: tuple[SurfaceConfig, ...]
    mass: MassConfig = MassConfig()  # optional [node_class.NAME.mass]; defaults when absent

    @property
    def component_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.components)

    def component_index(self, name: str) -> int:
        """Position of a component on the component axis."""
        return self.component_names.index(name)

    @property
    def has_array(self) -> bool:
        """Whether any surface carries solar cells (otherwise array power is zero)."""
        return any(s.solar_cells for s in self.surfaces)


@dataclass(frozen=True)
class Config:
    """A validated scenario."""

    simulation: SimulationConfig
    environment: EnvironmentConfig
    output: OutputConfig
    node_classes: dict[str, NodeClassConfig]
    constellation: list[NodeGroup]  # one group per [[constellation]] entry, in order
    source_toml: str  # the config text (overrides applied), stored in the output file
    constellation_entries: tuple[ConstellationEntry, ...] = ()  # the validated entries
    sweep: SweepConfig | None = None  # the variants when the config has [sweep]
    ground_stations: tuple[GroundStationConfig, ...] = ()  # [[ground_station]] entries, in order
    approaches: Any = None  # orbital_sim.approaches.ApproachesConfig when the config has [approaches]
    radiation: Any = None  # orbital_sim.radiation.RadiationConfig when the config has [radiation]

    @property
    def n_nodes(self) -> int:
        return sum(g.n_nodes for g in self.constellation)

    @property
    def node_names(self) -> list[str]:
        return [name for g in self.constellation for name in g.names]


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
    "bus_heat_component": _kind("name"),
    "array_efficiency": _num("", 0, 0.5, lo_open=True),
    "array_reference_temperature_c": _num("degC", -150, 200, default=28.0),
    "array_temperature_coefficient_per_k": _num("1/K", -0.01, 0, default=-0.0023),
    "array_packing_factor": _num("", 0, 1, lo_open=True, default=0.85),
    "array_degradation_per_year": _num("1/yr", 0, 0.2, default=0.0),
    "array_age_years": _num("yr", 0, 30, default=0.0),
    "array_component": _kind("name"),
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
    "component": _kind("name"),
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


# --------------------------------------------------------------------------------------------
# The checker
# --------------------------------------------------------------------------------------------

_BAD = object()  # returned by a check that failed (and recorded its problem)


class _Checker:
    """Walks a raw config dict, collecting every problem; returns SI values where valid."""

    def __init__(self):
        self.problems: list[str] = []

    # -- recording -------------------------------------------------------------------------
    def add(self, path: str, value, message: str) -> None:
        self.problems.append(f"{path} = {_fmt(value)}: {message}")

    def note(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def unknown(self, path: str, key, value, allowed) -> None:
        hint = _suggest(key, allowed) or _listing(allowed, "allowed keys")
        self.add(_join(path, key), value, f"unknown key{hint}")

    # -- scalar and list kinds -------------------------------------------------------------
    def _check(self, f: Field, value, path: str):
        return getattr(self, "_k_" + f.kind)(f, value, path)

    def _k_number(self, f: Field, value, path: str):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.add(path, value, f"must be {_describe(f)}, not {_typename(value)}")
            return _BAD
        try:
            x = float(value)
        except OverflowError:
            x = math.inf
        if not math.isfinite(x):
            self.add(path, value, f"must be a finite number {_range_unit(f)}".rstrip())
            return _BAD
        lo_bad = f.lo is not None and (x <= f.lo if f.lo_open else x < f.lo)
        hi_bad = f.hi is not None and (x >= f.hi if f.hi_open else x > f.hi)
        if lo_bad or hi_bad:
            self.add(path, value, f"must be {_range_unit(f)}")
            return _BAD
        y = _to_si(f, x)
        if not math.isfinite(y):
            self.add(path, value, f"is too large to convert to SI units {_unit_text(f).strip()}".rstrip())
            return _BAD
        return y

    def _k_int(self, f: Field, value, path: str):
        if isinstance(value, bool) or not isinstance(value, int):
            got = _typename(value) + (f" ({_fmt(value)})" if isinstance(value, float) else "")
            self.add(path, value, f"must be {_describe(f)}, not {got}")
            return _BAD
        if abs(value) > 2**63 - 1:
            self.add(path, value, f"is too large; must be {_describe(f)}")
            return _BAD
        if (f.lo is not None and value < f.lo) or (f.hi is not None and value > f.hi):
            self.add(path, value, f"must be {_range_text(f)}")
            return _BAD
        return int(value)

    def _k_bool(self, f: Field, value, path: str):
        if not isinstance(value, bool):
            self.add(path, value, f"must be true or false, not {_typename(value)}")
            return _BAD
        return value

    def _k_str(self, f: Field, value, path: str):
        if not isinstance(value, str) or not value.strip():
            what = "an empty string" if isinstance(value, str) else _typename(value)
            self.add(path, value, f"must be {_describe(f)}, not {what}")
            return _BAD
        return value

    def _k_name(self, f: Field, value, path: str):
        if not isinstance(value, str):
            self.add(path, value, f"must be {_describe(f)}, not {_typename(value)}")
            return _BAD
        if not _NAME_RE.match(value):
            self.add(path, value, f"must be a name of {_NAME_RULE}")
            return _BAD
        return value

    def _k_choice(self, f: Field, value, path: str):
        if not isinstance(value, str) or value not in f.choices:
            msg = f"must be {_describe(f)}"
            if not isinstance(value, str):
                msg += f", not {_typename(value)}"
            self.add(path, value, msg + _suggest(value, f.choices))
            return _BAD
        return value

    def _k_epoch(self, f: Field, value, path: str):
        if not isinstance(value, (str, _dt.date, _dt.time)):
            self.add(path, value, f"must be {_describe(f)}, not {_typename(value)}")
            return _BAD
        try:
            epoch = timescales.parse_epoch(value)
        except ValueError as err:
            self.add(path, value, f"{err}; must be {_describe(f)}")
            return _BAD
        if not EPOCH_YEARS[0] <= epoch.year <= EPOCH_YEARS[1]:
            self.add(
                path,
                value,
                f"must be in the years {EPOCH_YEARS[0]}-{EPOCH_YEARS[1]} "
                "(the span the Sun model is specified for)",
            )
            return _BAD
        return epoch

    def _list(self, value, path: str, f: Field, *, allow_empty=False):
        """The value if it is a (non-empty) list, else _BAD after recording the problem."""
        if not isinstance(value, (list, tuple)):
            self.add(path, value, f"must be {_describe(f)}, not {_typename(value)}")
            return _BAD
        if not value and not allow_empty:
            self.add(path, value, f"must be {_describe(f)}, not an empty array")
            return _BAD
        return value

    def _elements(self, items, path: str, check) -> list | object:
        """Apply ``check(item, item_path)`` to each item; record at most _LIST_ERRORS_SHOWN."""
        out, bad = [], 0
        for i, item in enumerate(items):
            n_before = len(self.problems)
            result = check(item, f"{path}[{i}]")
            if result is _BAD:
                bad += 1
                if bad > _LIST_ERRORS_SHOWN:
                    del self.problems[n_before:]  # keep the first few only
            out.append(result)
        if bad > _LIST_ERRORS_SHOWN:
            self.note(path, f"{bad - _LIST_ERRORS_SHOWN} more bad values not listed")
        return _BAD if bad else out

    def _k_numbers(self, f: Field, value, path: str):
        if self._list(value, path, f) is _BAD:
            return _BAD
        out = self._elements(value, path, lambda x, p: self._k_number(f, x, p))
        return _BAD if out is _BAD else np.asarray(out, dtype=np.float64)

    def _k_vectors(self, f: Field, value, path: str):
        if self._list(value, path, f) is _BAD:
            return _BAD

        def triple(item, p):
            if not isinstance(item, (list, tuple)) or len(item) != 3:
                self.add(p, item, f"must be an array of 3 numbers [x, y, z] {_range_unit(f)}".rstrip())
                return _BAD
            xs = [self._k_number(f, x, f"{p}[{j}]") for j, x in enumerate(item)]
            return _BAD if any(x is _BAD for x in xs) else xs

        out = self._elements(value, path, triple)
        return _BAD if out is _BAD else np.asarray(out, dtype=np.float64).reshape(-1, 3)

    def _k_number_or_numbers(self, f: Field, value, path: str):
        if isinstance(value, (list, tuple)):
            if self._list(value, path, f) is _BAD:
                return _BAD
            out = self._elements(value, path, lambda x, p: self._k_number(f, x, p))
            return _BAD if out is _BAD else tuple(out)
        x = self._k_number(f, value, path)
        return _BAD if x is _BAD else (x,)

    def _k_direction(self, f: Field, value, path: str):
        if not isinstance(value, (list, tuple)) or len(value) != 3:
            self.add(path, value, f"must be {_describe(f)}")
            return _BAD
        number = Field("number")
        xs = [self._k_number(number, x, f"{path}[{j}]") for j, x in enumerate(value)]
        if any(x is _BAD for x in xs):
            return _BAD
        norm = math.sqrt(sum(x * x for x in xs))
        if norm == 0.0 or not math.isfinite(norm):
            self.add(path, value, f"must be {_describe(f)}")
            return _BAD
        return tuple(x / norm for x in xs)

    def _k_pair(self, f: Field, value, path: str):
        if (
            not isinstance(value, (list, tuple))
            or len(value) != 2
            or not all(isinstance(v, str) for v in value)
        ):
            self.add(path, value, f"must be {_describe(f)}")
            return _BAD
        if value[0] == value[1]:
            self.add(path, value, "must name two different components")
            return _BAD
        return (value[0], value[1])

    def _k_limits(self, f: Field, value, path: str):
        """[low, high] in the field's unit, low < high; returned in SI."""
        if (not isinstance(value, (list, tuple)) or len(value) != 2
                or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in value)):
            self.add(path, value, f"must be {_describe(f)}")
            return _BAD
        number = Field("number", f.unit, f.lo, f.hi)
        xs = [self._k_number(number, x, f"{path}[{j}]") for j, x in enumerate(value)]
        if any(x is _BAD for x in xs):
            return _BAD
        if not xs[0] < xs[1]:
            self.add(path, value, "must be [min, max] with min < max" + _unit_text(f))
            return _BAD
        return (xs[0], xs[1])

    def _k_choices_list(self, f: Field, value, path: str):
        if self._list(value, path, f, allow_empty=True) is _BAD:
            return _BAD

        def one(item, p):
            return self._k_choice(Field("choice", choices=f.choices), item, p)

        out = self._elements(value, path, one)
        if out is _BAD:
            return _BAD
        dupes = sorted({v for v in out if out.count(v) > 1})
        if dupes:
            self.add(path, value, "lists " + ", ".join(_toml_string(d) for d in dupes) + " more than once")
            return _BAD
        return tuple(out)

    # -- tables ------------------------------------------------------------------------------
    def table(self, raw: Mapping, schema: Mapping[str, Field], path: str, *, check_unknown=True) -> dict:
        """Check a table against a schema. Returns {SI key: value} for the valid keys (defaults
        filled in); invalid keys are left out, so cross-checks test ``key in out`` first."""
        out = {}
        if check_unknown:
            for key, value in raw.items():
                if key not in schema:
                    self.unknown(path, key, value, schema)
        for key, f in schema.items():
            p = _join(path, key)
            si_key = _si_key(key, f)
            if key not in raw:
                if f.default is _REQUIRED:
                    self.note(p, f"required key is missing ({_describe(f)})")
                elif f.kind == "number" and f.default is not None:
                    out[si_key] = _to_si(f, float(f.default))
                else:
                    out[si_key] = f.default
                continue
            value = self._check(f, raw[key], p)
            if value is not _BAD:
                out[si_key] = value
        return out

    def subtable(self, parent: Mapping, key: str, path: str, *, required: bool, what: str):
        """``parent[key]`` if it is a table; None (and a problem) if missing/not a table;
        {} if missing and optional."""
        p = _join(path, key)
        if key not in parent:
            if required:
                self.note(p, f"required table is missing ({what})")
                return None
            return {}
        value = parent[key]
        if not isinstance(value, dict):
            self.add(p, value, f"must be a table ({what}), not {_typename(value)}")
            return None
        return value

    def array_of_tables(self, parent: Mapping, key: str, path: str, *, required: bool, what: str):
        """``parent[key]`` as a list of (index, table) pairs; bad items are reported."""
        p = _join(path, key)
        if key not in parent:
            if required:
                self.note(p, f"required key is missing (at least one {what})")
                return None
            return []
        value = parent[key]
        if not isinstance(value, list) or (required and not value):
            kind = "an empty array" if isinstance(value, list) else _typename(value)
            self.add(p, value, f"must be an array of tables, at least one {what}, not {kind}")
            return None
        items = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                self.add(_join(p, i), item, f"must be a table ({what}), not {_typename(item)}")
            else:
                items.append((i, item))
        return items

    def reference(self, path: str, value: str, known, what: str) -> bool:
        """Check that a name refers to something defined; did-you-mean otherwise."""
        if value in known:
            return True
        hint = _suggest(value, known) or _listing(known, f"defined {what}s")
        self.add(path, value, f"unknown {what}{hint}")
        return False


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


def _check_statistics_window(c: _Checker, raw_value, window: float, sim: Mapping) -> None:
    """``output.statistics_window_s``: whole samples per window, whole windows per run."""
    every, key = sim["output_every_s"], "output.statistics_window_s"
    ratio = window / every
    if round(ratio) < 1 or abs(window - round(ratio) * every) > 1e-9 * window:
        c.add(key, raw_value, f"must be a whole multiple of simulation.output_every_s ({_fmt_num(every)}) (s)")
    elif "duration_s" in sim:
        runs = sim["duration_s"] / window
        if round(runs) < 1 or abs(sim["duration_s"] - round(runs) * window) > 1e-9 * sim["duration_s"]:
            c.add(key, raw_value, f"must divide simulation.duration_s ({_fmt_num(sim['duration_s'])}) into whole "
                  "windows (s)")


def _check_simulation(c: _Checker, raw: Mapping) -> dict | None:
    table = c.subtable(raw, "simulation", "", required=True, what="[simulation]")
    if table is None:
        return None
    s = c.table(table, SIMULATION_SCHEMA, "simulation")
    if "step_s" in s and "output_every_s" in s:
        step = s["step_s"]
        if s["output_every_s"] is None:
            s["output_every_s"] = step
        else:
            every, key = s["output_every_s"], "simulation.output_every_s"
            ratio = every / step  # finite operands; may overflow to inf, never nan
            if every < step:
                c.add(key, table["output_every_s"], f"must be >= step_s ({_fmt_num(step)}) (s)")
                del s["output_every_s"]
            elif ratio > MAX_STEPS:
                msg = f"is more than {MAX_STEPS} steps of step_s ({_fmt_num(step)} s)"
                c.add(key, table["output_every_s"], msg)
                del s["output_every_s"]
            elif abs(every - round(ratio) * step) > 1e-9 * every:
                c.add(key, table["output_every_s"], f"must be a whole multiple of step_s ({_fmt_num(step)}) (s)")
                del s["output_every_s"]
    if "duration_s" in s and s.get("output_every_s") is not None:
        duration, every = s["duration_s"], s["output_every_s"]
        ratio = duration / every
        name = "output_every_s" if "output_every_s" in table else "step_s (output_every_s defaults to it)"
        if ratio > MAX_STEPS or ("step_s" in s and duration / s["step_s"] > MAX_STEPS):
            c.add(
                "simulation.duration_s",
                table["duration_s"],
                f"gives more than {MAX_STEPS} steps of step_s; shorten the run or lengthen the step",
            )
        elif round(ratio) < 1 or abs(duration - round(ratio) * every) > 1e-9 * duration:
            msg = f"must be a whole multiple of {name} ({_fmt_num(every)}) (s)"
            c.add("simulation.duration_s", table["duration_s"], msg)
    if s.get("propagator") == "j2_secular":  # analytic mean-element rates of J2 alone
        if s.get("zonal_harmonics", 2) > 2:
            c.add("simulation.zonal_harmonics", table["zonal_harmonics"],
                  'the "j2_secular" propagator models J2 only; use propagator = "cowell" for J3 and J4 '
                  "(or zonal_harmonics = 2)")
        if s.get("drag", "none") != "none":
            c.add("simulation.drag", table["drag"],
                  'the "j2_secular" propagator has no drag; use propagator = "cowell" (or drag = "none")')
    return s


def _check_node_class(c: _Checker, name: str, raw, path: str) -> dict | None:
    if not _NAME_RE.match(str(name)):
        c.note(path, f"class name must be made of {_NAME_RULE}")
    if not isinstance(raw, dict):
        c.add(path, raw, f"must be a table ([node_class.NAME]), not {_typename(raw)}")
        return None
    allowed = (*NODE_CLASS_TABLES, "thermal", "surfaces", "drag", "mass")
    for key, value in raw.items():
        if key not in allowed:
            c.unknown(path, key, value, allowed)
    out: dict[str, Any] = {"name": name}
    for key, schema in NODE_CLASS_TABLES.items():
        t = c.subtable(raw, key, path, required=True, what=f"[{path}.{key}]")
        out[key] = None if t is None else c.table(t, schema, _join(path, key))
    drag = c.subtable(raw, "drag", path, required=False, what=f"[{path}.drag]")
    out["drag"] = c.table(drag, DRAG_SCHEMA, _join(path, "drag")) if drag else None
    mass = c.subtable(raw, "mass", path, required=False, what=f"[{path}.mass]")
    out["mass"] = None if mass is None else c.table(mass, MASS_SCHEMA, _join(path, "mass"))

    # thermal components and couplings
    tpath = _join(path, "thermal")
    components: dict[str, dict] | None = None
    couplings: list[tuple[int, dict]] = []
    thermal = c.subtable(raw, "thermal", path, required=True, what=f"[{tpath}] with at least one component")
    if thermal is not None:
        for key, value in thermal.items():
            if key not in ("components", "couplings"):
                c.unknown(tpath, key, value, ("components", "couplings"))
        cpath = _join(tpath, "components")
        comp_raw = c.subtable(thermal, "components", tpath, required=True, what=f"[{cpath}.NAME] tables")
        if comp_raw is not None and not comp_raw:
            c.add(cpath, comp_raw, f"must define at least one component ([{cpath}.NAME])")
        elif comp_raw is not None:
            components = {}
            for cname, craw in comp_raw.items():
                p = _join(cpath, cname)
                if not _NAME_RE.match(str(cname)):
                    c.note(p, f"component name must be made of {_NAME_RULE}")
                if not isinstance(craw, dict):
                    c.add(p, craw, f"must be a table ([{p}]), not {_typename(craw)}")
                    continue
                components[cname] = comp = c.table(craw, COMPONENT_SCHEMA, p)
                _check_component_limits(c, p, craw, comp)
        known = list(comp_raw) if isinstance(comp_raw, dict) else None
        items = c.array_of_tables(thermal, "couplings", tpath, required=False, what=f"[[{tpath}.couplings]]")
        seen: dict[frozenset, int] = {}
        for i, item in items or []:
            p = _join(_join(tpath, "couplings"), i)
            cp = c.table(item, COUPLING_SCHEMA, p)
            if "between" in cp and known is not None:
                # all(), not a generator: report both names if both are unknown
                ok = all([c.reference(f"{p}.between", n, known, "component") for n in cp["between"]])
                pair = frozenset(cp["between"])
                if ok and pair in seen:
                    msg = f"duplicates couplings.{seen[pair]}; give one conductance per pair"
                    c.add(f"{p}.between", item["between"], msg)
                seen.setdefault(pair, i)
            couplings.append((i, cp))
    out["components"] = components
    out["couplings"] = couplings
    known = list(components) if components is not None else None

    # surfaces
    spath = _join(path, "surfaces")
    surfaces = []
    items = c.array_of_tables(raw, "surfaces", path, required=True, what=f"[[{spath}]]")
    names_seen: dict[str, int] = {}
    efficiency = (out["power"] or {}).get("array_efficiency")
    for i, item in items or []:
        p = _join(spath, i)
        s = c.table(item, SURFACE_SCHEMA, p)
        if "name" in s:
            if s["name"] in names_seen:
                c.add(f"{p}.name", s["name"], f"is already the name of surfaces.{names_seen[s['name']]}")
            names_seen.setdefault(s["name"], i)
        if "pointing" in s and "pointing_rsw" in s:
            if s["pointing"] == "rsw" and s["pointing_rsw"] is None:
                what = _describe(SURFACE_SCHEMA["pointing_rsw"])
                c.note(f"{p}.pointing_rsw", f'required key is missing when pointing = "rsw" ({what})')
            elif s["pointing"] != "rsw" and s["pointing_rsw"] is not None:
                msg = 'only allowed with pointing = "rsw" (this surface has pointing = '
                msg += f"{_toml_string(s['pointing'])})"
                c.add(f"{p}.pointing_rsw", item["pointing_rsw"], msg)
        backs = [k for k in ("back_absorptance", "back_emittance") if k in item]
        if item.get("two_sided") is False and backs:
            msg = f"contradicts {' and '.join(backs)}, which only a two-sided surface has"
            c.add(f"{p}.two_sided", False, msg)
        if all(k in s for k in ("two_sided", "absorptance", "emittance", "back_absorptance", "back_emittance")):
            two_sided = bool(s["two_sided"]) or bool(backs)
            s["two_sided"] = two_sided
            for back, front in (("back_absorptance", "absorptance"), ("back_emittance", "emittance")):
                if s[back] is None:
                    s[back] = s[front] if two_sided else 0.0
            if s.get("back_absorptance_eol") is None and "back_absorptance" not in item:
                # the back face defaults to the front: so does its end-of-life value
                s["back_absorptance_eol"] = s.get("absorptance_eol") if two_sided else 0.0
        cells = s.get("solar_cells") and "absorptance" in s and efficiency is not None
        if cells and s["absorptance"] < efficiency:
            c.add(
                f"{p}.absorptance",
                item["absorptance"],
                f"must be >= power.array_efficiency ({_fmt_num(efficiency)}) on a surface with "
                "solar_cells = true (the cells cannot convert more sunlight than they absorb)",
            )
        if s.get("role") is not None and "solar_cells" in s and (s["role"] == "array") != bool(s["solar_cells"]):
            c.add(f"{p}.role", s["role"], 'must be "array" exactly when the surface has solar_cells = true '
                  f"(this one has solar_cells = {'true' if s['solar_cells'] else 'false'})")
        if "component" in s and known is not None:
            c.reference(f"{p}.component", s["component"], known, "component")
        surfaces.append(s)
    out["surfaces"] = surfaces

    # references to components
    if known is not None:
        references = (
            ("compute", "component"),
            ("power", "bus_heat_component"),
            ("power", "array_component"),
            ("battery", "component"),
        )
        for table, key in references:
            values = out[table]
            if values is not None and key in values:
                c.reference(f"{path}.{table}.{key}", values[key], known, "component")
    battery = out["battery"]
    life_keys = [*CYCLE_LIFE_KEYS, "cycle_life_source"]
    if battery is not None and 0 < sum(battery.get(k) is not None for k in life_keys) < len(life_keys):
        for k in life_keys:
            if battery.get(k) is None and k in battery:
                c.note(f"{path}.battery.{k}", "required with the other cycle_life_* keys (the cycle-life relation "
                       "N(D) = cycle_life_cycles (cycle_life_dod / D)^cycle_life_exponent and its source)")
    if battery is not None and "floor_soc" in battery:
        for other in ("initial_soc", "throttle_soc"):
            if other in battery and battery["floor_soc"] > battery[other]:
                c.add(
                    f"{path}.battery.floor_soc",
                    battery["floor_soc"],
                    f"must be <= {other} ({_fmt_num(battery[other])})",
                )
    return out


def _check_component_limits(c: _Checker, p: str, raw: Mapping, comp: dict) -> None:
    """Survival limits around the operating ones; a heater's set points (both, on < off)."""
    op, sv = comp.get("operating_limits_k"), comp.get("survival_limits_k")
    if op is not None and sv is not None and not (sv[0] <= op[0] and op[1] <= sv[1]):
        c.add(f"{p}.survival_limits_c", raw["survival_limits_c"],
              f"must contain operating_limits_c ({_fmt(raw['operating_limits_c'])}) (degC)")
    if comp.get("heater_power_w", 0.0) > 0.0:
        on, off = comp.get("heater_on_k"), comp.get("heater_off_k")
        for key, value in (("heater_on_c", on), ("heater_off_c", off)):
            if key not in raw:
                c.note(f"{p}.{key}", "required key is missing when heater_power_w > 0 (degC)")
        if on is not None and off is not None and not on < off:
            c.add(f"{p}.heater_off_c", raw["heater_off_c"],
                  f"must be > heater_on_c ({_fmt(raw['heater_on_c'])}) (degC): the heater runs at full "
                  "power at or below heater_on_c and is off at or above heater_off_c")


def _check_heater_steps(c: _Checker, classes: Mapping, step_s: float) -> None:
    """A heater's thermostat is explicit (kernels/heaters.py): dt P / ((off - on) C) < 1."""
    for name, cls in classes.items():
        for cname, comp in ((cls or {}).get("components") or {}).items():
            power, on, off = comp.get("heater_power_w", 0.0), comp.get("heater_on_k"), comp.get("heater_off_k")
            cap = comp.get("heat_capacity_j_k")
            if power > 0 and on is not None and off is not None and off > on and cap:
                gain = step_s * power / ((off - on) * cap)
                if gain >= 1.0:
                    c.add(f"node_class.{name}.thermal.components.{cname}.heater_power_w", power,
                          f"with step_s = {_fmt_num(step_s)} s, step x power / ((heater_off_c - heater_on_c) x "
                          f"heat_capacity_j_k) = {gain:.3g} must be < 1 for a stable thermostat; widen the set "
                          "points, lower the power or shorten the step (W)")


def _perigee_problems(c: _Checker, path: str, a_m, e, describe) -> None:
    """Report nodes whose perigee radius a(1 - e) is not above the Earth's surface."""
    rp = np.asarray(a_m, dtype=np.float64) * (1.0 - np.asarray(e, dtype=np.float64))
    bad = np.flatnonzero(~(rp > R_EARTH_EQ_M))
    for k in bad[:_LIST_ERRORS_SHOWN]:
        key, value, detail = describe(int(k))
        c.add(
            key,
            value,
            f"{detail}perigee altitude {(rp.flat[k] - R_EARTH_EQ_M) / 1e3:.1f} km is not above the "
            f"Earth's surface (perigee radius must exceed {R_EARTH_EQ_M / 1e3} km)",
        )
    if bad.size > _LIST_ERRORS_SHOWN:
        c.note(path, f"{bad.size - _LIST_ERRORS_SHOWN} more orbits below the surface not listed")


def _check_entry(c: _Checker, i: int, raw: Mapping, class_names) -> ConstellationEntry | None:
    path = f"constellation.{i}"
    etype = raw.get("type")
    typed = isinstance(etype, str) and etype in ENTRY_SCHEMAS
    schema = {**ENTRY_COMMON_SCHEMA, **(ENTRY_SCHEMAS[etype] if typed else {})}
    v = c.table(raw, schema, path, check_unknown=typed)
    if "node_class" in v and class_names is not None:
        c.reference(f"{path}.node_class", v["node_class"], class_names, "node class")
    if not typed:
        return None
    keys = [_si_key(k, f) for k, f in ENTRY_SCHEMAS[etype].items()]
    if etype == "elements" and all(k in v for k in keys):
        lengths = {k: len(raw[k]) for k in ENTRY_SCHEMAS["elements"]}
        if len(set(lengths.values())) > 1:
            listed = ", ".join(f"{k}: {n}" for k, n in lengths.items())
            c.note(path, f"the element arrays must have equal lengths ({listed})")
            return None
        _perigee_problems(
            c, path, v["a_m"], v["e"],
            lambda k: (f"{path}.a_km[{k}]", raw["a_km"][k], f"with e[{k}] = {_fmt(raw['e'][k])} the "),
        )
    elif etype == "states" and all(k in v for k in keys):
        r, vel = v["r_eci_m"], v["v_eci_m_s"]
        if len(r) != len(vel):
            listed = f"r_eci_km: {len(r)}, v_eci_km_s: {len(vel)}"
            c.note(path, f"r_eci_km and v_eci_km_s must have equal lengths ({listed})")
            return None
        r_norm = np.linalg.norm(r, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            energy = 0.5 * np.sum(vel * vel, axis=1) - GM_EARTH_M3_S2 / r_norm
            h2 = np.sum(np.cross(r, vel) ** 2, axis=1)
            ecc = np.sqrt(np.maximum(0.0, 1.0 + 2.0 * energy * h2 / GM_EARTH_M3_S2**2))
            a_m = -GM_EARTH_M3_S2 / (2.0 * energy)
        unbound = np.flatnonzero(~(energy < 0.0))
        for k in unbound[:_LIST_ERRORS_SHOWN]:
            c.add(
                f"{path}.v_eci_km_s[{k}]",
                raw["v_eci_km_s"][k],
                f"escapes: specific orbital energy {energy[k] / 1e6:.4g} km^2/s^2 >= 0 at this position "
                f"(speed must be below {math.sqrt(2 * GM_EARTH_M3_S2 / r_norm[k]) / 1e3:.4g} km/s)"
                if r_norm[k] > 0 else "escapes: position is the Earth's centre",
            )
        if unbound.size > _LIST_ERRORS_SHOWN:
            c.note(path, f"{unbound.size - _LIST_ERRORS_SHOWN} more unbound states not listed")
        if unbound.size == 0:
            _perigee_problems(
                c, path, a_m, ecc,
                lambda k: (f"{path}.r_eci_km[{k}]", raw["r_eci_km"][k], "with this velocity the "),
            )
    elif etype == "sso" and all(k in v for k in ("altitude_m", "ltan_h", "nodes_per_plane", "e", "planes")):
        if v["planes"] is None:
            v["planes"] = len(v["ltan_h"])
        elif len(v["ltan_h"]) not in (1, v["planes"]):
            msg = f"has {len(v['ltan_h'])} values for planes = {v['planes']}; give one per plane, or a single one"
            c.add(f"{path}.ltan_h", raw["ltan_h"], msg)
        a_m = R_EARTH_EQ_M + v["altitude_m"]
        _perigee_problems(
            c, path, [a_m], [v["e"]], lambda k: (f"{path}.e", raw.get("e", 0.0), "with this altitude_km the ")
        )
        if a_m * (1 - v["e"]) > R_EARTH_EQ_M and not np.isfinite(sso_inclination_rad(a_m, v["e"])):
            c.add(
                f"{path}.altitude_km",
                raw["altitude_km"],
                f"no sun-synchronous orbit exists at this altitude with e = {_fmt_num(v['e'])} (J2 turns the "
                "node by less than 360 deg per year at any inclination; about 5974 km is the limit for e = 0)",
            )
    elif etype == "walker_delta" and all(k in v for k in ("total", "planes")):
        if v["total"] % v["planes"]:
            c.add(f"{path}.total", raw["total"], f"must be divisible by planes ({v['planes']})")
        if "phasing" in v and v["phasing"] > v["planes"] - 1:
            c.add(f"{path}.phasing", raw["phasing"], f"must be in [0, {v['planes'] - 1}] (0 to planes - 1)")
    elif etype == "cluster" and all(k in v for k in keys):
        _check_cluster(c, path, raw, v)
    elif etype == "tle" and all(k in v for k in keys):
        tles = _check_tle(c, path, raw, v)
        if tles is not None:
            v["tles"] = tles
        keys = [*keys, "tles"]
    if not all(k in v for k in (*ENTRY_COMMON_SCHEMA, *keys)):
        return None
    params = {k: v[k] for k in keys}
    return ConstellationEntry(
        index=i,
        type=etype,
        name=v["name"] if v["name"] is not None else f"{etype}{i}",
        node_class=v["node_class"],
        params=params,
    )


def _check_cluster(c: _Checker, path: str, raw: Mapping, v: dict) -> None:
    """Cross-checks of a ``cluster`` entry (reference orbit given once; layout keys)."""
    sso = v["ltan_h"] is not None
    if sso and (v["inclination_rad"] is not None or v["raan_rad"] is not None):
        c.note(path, "give either ltan_h (a sun-synchronous reference orbit) or inclination_deg and raan_deg, "
                     "not both")
    elif not sso and (v["inclination_rad"] is None or v["raan_rad"] is None):
        c.note(path, "the reference orbit needs ltan_h (sun-synchronous) or both inclination_deg and raan_deg")
    a_m = R_EARTH_EQ_M + v["altitude_m"]
    _perigee_problems(c, path, [a_m], [v["e"]],
                      lambda k: (f"{path}.e", raw.get("e", 0.0), "with this altitude_km the "))
    if sso and not np.isfinite(sso_inclination_rad(a_m, v["e"])):
        c.add(f"{path}.altitude_km", raw["altitude_km"],
              "no sun-synchronous orbit exists at this altitude (about 5974 km is the limit for e = 0)")
    if v["layout"] == "orbit_plane":
        for key in ("nodes", "radius_km"):
            if raw.get(key) is None:
                c.note(f"{path}.{key}", 'required key is missing (layout = "orbit_plane" needs nodes and radius_km)')
        if raw.get("offsets_rsw_km") is not None:
            c.note(f"{path}.offsets_rsw_km", 'is only read with layout = "offsets"')
    else:
        offsets = v["offsets_rsw_m"]
        if offsets is None:
            c.note(f"{path}.offsets_rsw_km", 'required key is missing (layout = "offsets" lists one [r, s, w] '
                                             "per node)")
            return
        if v["nodes"] is not None and v["nodes"] != len(offsets):
            c.add(f"{path}.nodes", raw["nodes"], f"must equal the number of offsets_rsw_km ({len(offsets)}) or be left out")
        if v["radius_m"] is not None:
            far = np.flatnonzero(np.linalg.norm(offsets, axis=1) > v["radius_m"])
            for k in far[:_LIST_ERRORS_SHOWN]:
                c.add(f"{path}.offsets_rsw_km[{k}]", raw["offsets_rsw_km"][k],
                      f"lies outside radius_km = {_fmt_num(raw['radius_km'])}")


def _check_tle(c: _Checker, path: str, raw: Mapping, v: dict):
    """Read and check the element sets of a ``tle`` entry; a tuple of Tle, or None."""
    if (v["tle"] is None) == (v["tle_file"] is None):
        c.note(path, "give exactly one of tle (the element sets as text) and tle_file (a file of them)")
        return None
    try:
        from orbital_sim import tle as tle_module
    except ImportError as err:  # pragma: no cover - sgp4 is a runtime dependency
        c.note(path, f"TLE input needs the sgp4 package ({err})")
        return None
    try:
        if v["tle"] is not None:
            return tuple(tle_module.parse_tles(v["tle"].splitlines(), where=f"{path}.tle"))
        return tuple(tle_module.read_tle_file(v["tle_file"]))
    except tle_module.TleError as err:
        c.problems.extend(err.problems)
    except OSError as err:
        c.add(f"{path}.tle_file", raw["tle_file"], f"cannot read the file ({err.strerror or err})")
    return None


def _check_tle_epochs(c: _Checker, entries, epoch) -> None:
    """Each TLE must be within max_age_days of the run epoch, and SGP4 must propagate it
    there without an error code (decayed, eccentricity out of range...)."""
    from orbital_sim import tle as tle_module

    for e in entries:
        if e.type != "tle":
            continue
        path = f"constellation.{e.index}"
        _, _, errors = tle_module.teme_states(e.params["tles"], epoch)
        for k, record in enumerate(e.params["tles"]):
            age = (epoch - record.epoch).total_seconds() / 86400.0
            label = f"element set {k} (catalog {record.catalog}{', ' + record.name if record.name else ''})"
            if abs(age) > e.params["max_age_days"]:
                c.note(path, f"{label} has its epoch {timescales.format_epoch(record.epoch)}, {abs(age):.1f} days "
                             f"from simulation.epoch; at most max_age_days = {_fmt_num(e.params['max_age_days'])} "
                             "(SGP4 errors grow by 1-3 km per day; raise max_age_days to accept)")
            if errors[k]:
                c.note(path, f"{label}: SGP4 error {errors[k]} at simulation.epoch: "
                             f"{tle_module.sgp4_error_message(errors[k])}")


def _check_constellation(c: _Checker, raw: Mapping, class_names) -> list[ConstellationEntry] | None:
    items = c.array_of_tables(raw, "constellation", "", required=True, what="[[constellation]] entry")
    if items is None:
        return None
    n_problems = len(c.problems)
    entries = [_check_entry(c, i, item, class_names) for i, item in items]
    incomplete = any(e is None for e in entries) or len(entries) != len(raw["constellation"])
    if len(c.problems) > n_problems or incomplete:
        return None
    total = sum(entry_size(e) for e in entries)
    if total > MAX_NODES:
        c.note("constellation", f"places {total} nodes; at most {MAX_NODES} per run")
        return None
    owner: dict[str, int] = {}
    clashes: set[tuple[int, int]] = set()
    for e in entries:
        for name in node_names(e):
            first = owner.setdefault(name, e.index)
            if first != e.index and (first, e.index) not in clashes:
                clashes.add((first, e.index))
                c.add(
                    f"constellation.{e.index}.name",
                    e.name,
                    f"gives node names that constellation.{first} already uses (e.g. {_toml_string(name)}); "
                    "give each entry its own name",
                )
    return None if clashes else entries


def _check_ground_stations(c: _Checker, raw: Mapping) -> list[dict]:
    """``[[ground_station]]`` entries (optional): [{SI key: value}], names unique."""
    items = c.array_of_tables(raw, "ground_station", "", required=False, what="[[ground_station]] entry")
    out, seen = [], {}
    for i, item in items or []:
        path = _join("ground_station", i)
        n_problems = len(c.problems)
        v = c.table(item, GROUND_STATION_SCHEMA, path)
        name = v.get("name")
        if isinstance(name, str) and name in seen:
            c.add(_join(path, "name"), name, f"is already the name of ground_station.{seen[name]}")
        elif isinstance(name, str):
            seen[name] = i
        if len(c.problems) == n_problems:
            out.append(v)
    return out


def _check_document(c: _Checker, raw) -> dict | None:
    if not isinstance(raw, dict):
        c.note("config", f"must be a table of sections, not {_typename(raw)}")
        return None
    if not raw:
        c.note(
            "config",
            "is empty; it must hold [simulation], at least one [node_class.NAME] table and at least one "
            "[[constellation]] entry",
        )
        return None
    for key, value in raw.items():
        if key not in TOP_LEVEL_KEYS:
            c.unknown("", key, value, TOP_LEVEL_KEYS)
    sim = _check_simulation(c, raw)
    env_raw = c.subtable(raw, "environment", "", required=False, what="[environment]")
    env = None if env_raw is None else c.table(env_raw, ENVIRONMENT_SCHEMA, "environment")
    out_raw = c.subtable(raw, "output", "", required=False, what="[output]")
    output = None if out_raw is None else c.table(out_raw, OUTPUT_SCHEMA, "output")
    if output and sim and output.get("statistics_window_s") is not None and sim.get("output_every_s") is not None:
        _check_statistics_window(c, out_raw["statistics_window_s"], output["statistics_window_s"], sim)
    classes_raw = c.subtable(raw, "node_class", "", required=True, what="at least one [node_class.NAME] table")
    classes = {}
    class_names = None
    if classes_raw is not None:
        if not classes_raw:
            c.note("node_class", "must define at least one class ([node_class.NAME])")
        for name, craw in classes_raw.items():
            classes[name] = _check_node_class(c, name, craw, _join("node_class", name))
        class_names = list(classes_raw)
    entries = _check_constellation(c, raw, class_names)
    if entries and sim and sim.get("epoch") is not None:
        _check_tle_epochs(c, entries, sim["epoch"])
    if sim and sim.get("drag", "none") != "none":
        for name in sorted({e.node_class for e in entries or []}):
            if classes.get(name) is not None and classes[name].get("drag") is None:
                c.note(f"node_class.{name}.drag", f'required table is missing when simulation.drag = "{sim["drag"]}" '
                       "(mass_kg, area_m2, coefficient)")
    if sim and "step_s" in sim:
        _check_heater_steps(c, classes, sim["step_s"])
    return {
        "simulation": sim,
        "environment": env,
        "output": output,
        "node_classes": classes,
        "entries": entries,
        "ground_stations": _check_ground_stations(c, raw),
        "approaches": _optional_table(c, raw, "approaches", APPROACHES_SCHEMA),
        "radiation": _optional_table(c, raw, "radiation", RADIATION_SCHEMA),
    }


def _optional_table(c: _Checker, raw: Mapping, key: str, schema) -> dict | None:
    """An optional top-level table checked against ``schema`` (None when absent)."""
    if not isinstance(raw, Mapping) or key not in raw:
        return None
    sub = c.subtable(raw, key, "", required=False, what=f"[{key}]")
    return None if sub is None else c.table(sub, schema, key)


def _build_node_class(d: dict) -> NodeClassConfig:
    return NodeClassConfig(
        name=d["name"],
        compute=ComputeConfig(**d["compute"]),
        power=PowerConfig(**d["power"]),
        battery=BatteryConfig(**d["battery"]),
        drag=DragConfig(**d["drag"]) if d.get("drag") else None,
        mass=MassConfig(**d["mass"]) if d.get("mass") is not None else MassConfig(),
        components=tuple(ComponentConfig(name=n, **v) for n, v in d["components"].items()),
        couplings=tuple(
            CouplingConfig(a=v["between"][0], b=v["between"][1], conductance_w_k=v["conductance_w_k"])
            for _, v in d["couplings"]
        ),
        surfaces=derive_surface_roles(tuple(SurfaceConfig(**s) for s in d["surfaces"]),
                                      tuple(d["components"])),
    )


def derive_surface_roles(surfaces: tuple[SurfaceConfig, ...], component_names) -> tuple[SurfaceConfig, ...]:
    """Surfaces with ``role`` set where the config leaves it out: ``array`` for a surface with
    solar cells; ``radiator`` for a cell-less surface on the radiator component, which is the
    component named ``radiator`` if there is one, else the one whose cell-less surfaces have
    the largest area; ``other`` for the rest. (The rule sizing used to apply itself.)"""
    if all(s.role is not None for s in surfaces):
        return surfaces
    if "radiator" in component_names:
        radiator = "radiator"
    else:
        area = {name: 0.0 for name in component_names}
        for s in surfaces:
            if not s.solar_cells and s.component in area:
                area[s.component] += s.area_m2
        radiator = max(area, key=area.get) if any(a > 0 for a in area.values()) else None
    return tuple(
        s if s.role is not None else dataclasses.replace(
            s, role="array" if s.solar_cells else ("radiator" if s.component == radiator else "other"))
        for s in surfaces)


def validate_dict(raw: dict, source_toml: str | None = None) -> Config:
    """Check a parsed config (the dict ``tomllib`` returns) and build the :class:`Config`.

    ``source_toml``: the text stored with the results (default: ``raw`` written as TOML).
    Raises :class:`ConfigError` listing every problem. ``raw`` is not modified.
    A ``[sweep]`` table: see :func:`orbital_sim.sweep.validate_sweep` (every variant checked).
    """
    if isinstance(raw, dict) and "sweep" in raw:
        return validate_sweep(raw, source_toml, validate=validate_dict)
    c = _Checker()
    parts = _check_document(c, raw)
    if c.problems:
        raise ConfigError(c.problems)
    sim = parts["simulation"]
    simulation = SimulationConfig(epoch_iso=timescales.format_epoch(sim["epoch"]), **sim)
    entries = tuple(parts["entries"])
    config = Config(
        simulation=simulation,
        environment=EnvironmentConfig(**parts["environment"]),
        output=OutputConfig(**parts["output"]),
        node_classes={name: _build_node_class(d) for name, d in parts["node_classes"].items()},
        constellation=build_groups(entries, simulation),
        source_toml=source_toml if source_toml is not None else dumps_toml(raw),
        constellation_entries=entries,
        ground_stations=tuple(GroundStationConfig(**g) for g in parts["ground_stations"]),
        approaches=_approaches(parts["approaches"]),
        radiation=_radiation(parts["radiation"]),
    )
    from orbital_sim.design_cases import apply_case

    return apply_case(config)  # [environment] case = "hot" | "cold"; "mean" returns config as it is


def _radiation(values: dict | None):
    if values is None:
        return None
    from orbital_sim.radiation import RadiationConfig

    return RadiationConfig(**values)


def _approaches(values: dict | None):
    if values is None:
        return None
    from orbital_sim.approaches import ApproachesConfig

    return ApproachesConfig(**values)


# --------------------------------------------------------------------------------------------
# Files and overrides
# --------------------------------------------------------------------------------------------

DEFAULT_CONFIG_RESOURCE = "data/default.toml"


def _read_text(path) -> tuple[str, str]:
    """(text, label) of a config file; ConfigError with one line on any failure."""
    try:
        p = Path(os.fspath(path))
    except TypeError:
        raise ConfigError([f"config path must be a path or a string, not {_typename(path)}"]) from None
    label = str(p)
    try:
        if p.is_dir():
            raise ConfigError([f"{label}: is a directory, not a config file"])
        data = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{label}: no such config file"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{label}: is a directory, not a config file"]) from None
    except OSError as err:
        raise ConfigError([f"{label}: cannot read the config file ({err.strerror or err})"]) from None
    try:
        return data.decode("utf-8"), label
    except UnicodeDecodeError as err:
        raise ConfigError([f"{label}: not UTF-8 text (byte {err.start}); TOML files are UTF-8"]) from None


def _parse_toml(text: str, label: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError([f"{label}: TOML syntax error: {err}"]) from None


def _parse_override_value(text: str):
    """A TOML value (``700``, ``"x"``, ``[1, 2]``, ``true``), else the bare string."""
    try:
        parsed = tomllib.loads(f"v = {text}")
    except tomllib.TOMLDecodeError:
        return text
    return parsed["v"] if list(parsed) == ["v"] else text


def apply_overrides(raw: dict, overrides: Iterable[str]) -> dict:
    """A copy of ``raw`` with ``key.path=value`` overrides applied (in order).

    Missing tables on the path are created; an integer segment indexes an array of tables
    (``constellation.0.altitude_km=700``). Raises ConfigError listing every malformed override.
    """
    if isinstance(overrides, str):
        overrides = [overrides]
    out = copy.deepcopy(raw)
    problems = []
    for text in overrides:
        if not isinstance(text, str) or "=" not in text:
            problems.append(f"override {_fmt(text)}: expected key.path=value")
            continue
        key, _, value_text = text.partition("=")
        segments = [s.strip() for s in key.strip().split(".")]
        if not all(segments):
            problems.append(f"override {_fmt(text)}: empty key in {_fmt(key.strip())}")
            continue
        value = _parse_override_value(value_text.strip())
        node: Any = out
        for depth, seg in enumerate(segments):
            where = ".".join(segments[:depth]) or "the config"
            last = depth == len(segments) - 1
            if isinstance(node, list):
                if not re.fullmatch(r"\d+", seg):
                    problems.append(
                        f"override {_fmt(text)}: {where} is an array; index it with an integer, "
                        f"not {_fmt(seg)}"
                    )
                    break
                k = int(seg)
                if k >= len(node):
                    span = f"index 0..{len(node) - 1}" if node else "none to index"
                    problems.append(f"override {_fmt(text)}: {where} has {len(node)} entries ({span})")
                    break
                if last:
                    node[k] = value
                else:
                    node = node[k]
            elif isinstance(node, dict):
                if last:
                    node[seg] = value
                else:
                    node = node.setdefault(seg, {})
            else:
                problems.append(f"override {_fmt(text)}: {where} is a value ({_fmt(node)}), not a table")
                break
    if problems:
        raise ConfigError(problems)
    return out


def load_config(path=None, overrides: Iterable[str] = ()) -> Config:
    """Read, check and convert a scenario.

    ``path``: a TOML file (str or path-like), or None for the built-in default
    (``orbital_sim/data/default.toml``, a copy of ``configs/default.toml``).
    ``overrides``: ``key.path=value`` strings applied before validation; the value is read as
    a TOML value, or as a bare string if it is not one.
    Raises :class:`ConfigError` (a ValueError) with every problem found.
    """
    if path is None:
        resource = importlib.resources.files("orbital_sim").joinpath(DEFAULT_CONFIG_RESOURCE)
        text, label = resource.read_text(encoding="utf-8"), "built-in default config"
    else:
        text, label = _read_text(path)
    raw = _parse_toml(text, label)
    overrides = [overrides] if isinstance(overrides, str) else list(overrides)
    if overrides:
        raw = apply_overrides(raw, overrides)
        header = [f"# {label}, with overrides:"] + [f"#   {o}" for o in overrides]
        text = "\n".join(header) + "\n" + dumps_toml(raw)
    return validate_dict(raw, text)
