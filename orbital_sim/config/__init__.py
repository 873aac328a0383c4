"""Load a scenario (TOML), check all of it, and return frozen dataclasses in SI units.

A package by concern: :mod:`~orbital_sim.config.types` (the dataclasses, with each key's
declaration on its field), :mod:`~orbital_sim.config.fields` (how a key is declared: kind, unit,
range, default, doc), :mod:`~orbital_sim.config.schema` (the per-table schemas, read from those
declarations, and the constellation entries' keys),
:mod:`~orbital_sim.config.checker` (the walker and the cross-checks, :func:`validate_dict`),
:mod:`~orbital_sim.config.overrides` (files, ``--set``, :func:`load_config`);
:mod:`orbital_sim.config_text` holds :class:`ConfigError`, the message helpers and the TOML
writer (shared with :mod:`orbital_sim.sweep`). Every name is importable from here as before.

Entry points: :func:`load_config` (a file, or the built-in default, plus ``key.path=value``
overrides) and :func:`validate_dict` (an already parsed dict). Both raise :class:`ConfigError`
listing every problem found, one line each: ``key.path = value: message (unit)``.

How the checking works: each TOML table has a declarative schema (key -> :class:`Field`:
kind, unit, allowed range, default), checked by one generic walker; a few cross-checks follow
(multiples of the step, state-of-charge ordering, component references, orbits above the
surface, unique node names). Conversion to SI happens once, here, driven by the unit of the
field: ``_km`` -> ``_m``, ``_km_s`` -> ``_m_s``, ``_deg`` -> ``_rad``, ``_kwh`` -> ``_j``,
``_c`` (degrees Celsius) -> ``_k`` (kelvin, + 273.15). Ranges and messages stay in config units.

This module imports NumPy and the standard library only (no JAX), so configs are checked
before any JAX work starts.
"""

from __future__ import annotations

from orbital_sim.config.types import (  # noqa: F401
    BatteryConfig,
    ComponentConfig,
    ComputeConfig,
    Config,
    CouplingConfig,
    derive_surface_roles,
    DragConfig,
    EnvironmentConfig,
    GroundStationConfig,
    MassConfig,
    NodeClassConfig,
    OutputConfig,
    PowerConfig,
    SimulationConfig,
    SurfaceConfig,
)
from orbital_sim.config.schema import (  # noqa: F401
    APPROACHES_SCHEMA,
    BATTERY_SCHEMA,
    COMPONENT_SCHEMA,
    COMPUTE_SCHEMA,
    COUPLING_SCHEMA,
    CYCLE_LIFE_KEYS,
    DEFAULT_OUTPUT_VARIABLES,
    DRAG_SCHEMA,
    ENTRY_COMMON_SCHEMA,
    ENTRY_SCHEMAS,
    ENVIRONMENT_SCHEMA,
    EPOCH_YEARS,
    Field,
    GROUND_STATION_SCHEMA,
    MASS_SCHEMA,
    MAX_ECCENTRICITY,
    MAX_STEPS,
    NODE_CLASS_TABLES,
    OUTPUT_SCHEMA,
    OUTPUT_VARIABLES,
    POINTINGS,
    POWER_SCHEMA,
    RADIATION_SCHEMA,
    SIMULATION_SCHEMA,
    SURFACE_ROLES,
    SURFACE_SCHEMA,
    TOP_LEVEL_KEYS,
    _choice,
    _describe,
    _FRACTION,
    _int,
    _kind,
    _LIST_ERRORS_SHOWN,
    _listing,
    _NAME_RE,
    _NAME_RULE,
    _num,
    _ORBIT_ALTITUDE,
    _range_text,
    _range_unit,
    _REQUIRED,
    _SI_CONVERSIONS,
    _si_key,
    _to_si,
    _typename,
    _unit_text,
)
from orbital_sim.config.checker import (  # noqa: F401
    validate_dict,
    _approaches,
    _BAD,
    _build_node_class,
    _check_cluster,
    _check_component_limits,
    _check_constellation,
    _check_document,
    _check_entry,
    _check_ground_stations,
    _check_heater_steps,
    _check_node_class,
    _check_simulation,
    _check_statistics_window,
    _check_tle,
    _check_tle_epochs,
    _Checker,
    _optional_table,
    _perigee_problems,
    _radiation,
)
from orbital_sim.config.overrides import (  # noqa: F401
    apply_overrides,
    DEFAULT_CONFIG_RESOURCE,
    load_config,
    _parse_override_value,
    _parse_toml,
    _read_text,
)
from orbital_sim import (  # noqa: F401
    timescales,
)
from orbital_sim.sweep import (  # noqa: F401
    SweepConfig,
    validate_sweep,
)
from orbital_sim.config_text import (  # noqa: F401
    ConfigError,
    dumps_toml,
    MAX_NODES,
    _fmt,
    _fmt_num,
    _join,
    _suggest,
    _toml_string,
)
from orbital_sim.constellation import (  # noqa: F401
    build_groups,
    ConstellationEntry,
    entry_size,
    ENTRY_TYPES,
    node_names,
    NodeGroup,
    sso_inclination_rad,
)
from orbital_sim.kernels.constants import (  # noqa: F401
    GM_EARTH_M3_S2,
    R_EARTH_EQ_M,
)

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
