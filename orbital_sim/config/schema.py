"""What every config key accepts, per table: ``{TOML key: Field}`` (kind, unit, allowed range,
default, doc). The tables that become dataclasses are read from the key declarations on those
dataclasses (:mod:`orbital_sim.config.types`, :func:`~orbital_sim.config.fields.schema_of`); the
``[[constellation]]`` entries, whose keys become a parameter dict, are declared here. The Field
type, the unit conversions and the words that describe a field in messages are in
:mod:`orbital_sim.config.fields` (re-exported here)."""

from __future__ import annotations

from orbital_sim.constellation import ENTRY_TYPES
from orbital_sim.config.fields import (  # noqa: F401
    _choice,
    _config_key,
    _default_si,
    _describe,
    _FRACTION,
    _int,
    _kind,
    _listing,
    _NAME_RE,
    _NAME_RULE,
    _num,
    _range_text,
    _range_unit,
    _REQUIRED,
    _SI_CONVERSIONS,
    _si_key,
    _to_si,
    _typename,
    _unit_text,
    Field,
    schema_of,
)
from orbital_sim.config.types import (  # noqa: F401
    ApproachesConfig,
    BatteryConfig,
    ComponentConfig,
    ComputeConfig,
    CouplingConfig,
    DEFAULT_OUTPUT_VARIABLES,
    DragConfig,
    EnvironmentConfig,
    GroundStationConfig,
    MassConfig,
    OUTPUT_VARIABLES,
    OutputConfig,
    POINTINGS,
    PowerConfig,
    RadiationConfig,
    SimulationConfig,
    SURFACE_ROLES,
    SurfaceConfig,
)

MAX_STEPS = 2**31 - 1  # steps per run: int32 step counters stay valid
EPOCH_YEARS = (1950, 2100)  # span over which the Sun model is specified (SPEC section 2)
_LIST_ERRORS_SHOWN = 10  # element errors reported per list before summarising the rest


# --------------------------------------------------------------------------------------------
# The schema: read from the dataclasses' key declarations
# --------------------------------------------------------------------------------------------

SIMULATION_SCHEMA = schema_of(SimulationConfig)
ENVIRONMENT_SCHEMA = schema_of(EnvironmentConfig)
OUTPUT_SCHEMA = schema_of(OutputConfig)
COMPUTE_SCHEMA = schema_of(ComputeConfig)
POWER_SCHEMA = schema_of(PowerConfig)
BATTERY_SCHEMA = schema_of(BatteryConfig)
#: the numeric keys of the optional cycle-life relation, with their upper bounds
CYCLE_LIFE_KEYS = {k: BATTERY_SCHEMA[k].hi for k in ("cycle_life_cycles", "cycle_life_dod", "cycle_life_exponent")}
COMPONENT_SCHEMA = schema_of(ComponentConfig)
COUPLING_SCHEMA = schema_of(CouplingConfig)
SURFACE_SCHEMA = schema_of(SurfaceConfig)
DRAG_SCHEMA = schema_of(DragConfig)
GROUND_STATION_SCHEMA = schema_of(GroundStationConfig)
MASS_SCHEMA = schema_of(MassConfig)  # optional; defaults are the published figures in shared REFERENCE.md
NODE_CLASS_TABLES = {
    "compute": COMPUTE_SCHEMA,
    "power": POWER_SCHEMA,
    "battery": BATTERY_SCHEMA,
}
#: [approaches] (orbital_sim/approaches.py): pairs closer than threshold_m are listed
APPROACHES_SCHEMA = schema_of(ApproachesConfig)
#: [radiation] (orbital_sim/radiation.py): AE-8/AP-8 fluences, SAA time, dose behind an Al shell
RADIATION_SCHEMA = schema_of(RadiationConfig)

# --------------------------------------------------------------------------------------------
# [[constellation]] entries: keys every entry takes, then each type's (declared here only: an
# entry's keys become ConstellationEntry.params, in SI)
# --------------------------------------------------------------------------------------------

_ORBIT_ALTITUDE = dict(unit="km", lo=150)
ENTRY_COMMON_SCHEMA = {
    "type": _choice(*ENTRY_TYPES, doc="how the entry places its nodes (the tables below)"),
    "node_class": _kind("name", doc="the [node_class.NAME] its nodes are"),
    "name": _kind("name", default=None, doc="prefix of its node names; None -> f\"{type}{index}\""),
}
#: highest eccentricity accepted: kernels.orbit.solve_kepler is tested to it (and beyond, to 0.9999)
#: against SciPy over every mean anomaly (tests/kernels/test_kepler.py)
MAX_ECCENTRICITY = 0.99

ENTRY_SCHEMAS = {
    "states": {
        # positions within the Earth's Hill sphere (about 1.5e6 km); speeds far above escape
        "r_eci_km": _num("km", -1.5e6, 1.5e6, kind="vectors",
                         doc="one ECI position per node (bounds: the Earth's Hill sphere, about 1.5e6 km)"),
        "v_eci_km_s": _num("km/s", -50, 50, kind="vectors", doc="one ECI velocity per node"),
    },
    "elements": {
        "a_km": _num("km", 0, 1.5e6, lo_open=True, kind="numbers", doc="semi-major axis, one per node"),
        "e": _num("", 0, MAX_ECCENTRICITY, kind="numbers",
                  doc="eccentricity (up to the 0.99 the Kepler solver is tested to)"),
        "i_deg": _num("deg", 0, 180, kind="numbers", doc="inclination"),
        "raan_deg": _num("deg", -360, 360, kind="numbers", doc="right ascension of the ascending node"),
        "argp_deg": _num("deg", -360, 360, kind="numbers", doc="argument of perigee"),
        "mean_anomaly_deg": _num("deg", -360, 360, kind="numbers", doc="mean anomaly at the epoch"),
    },
    "sso": {
        "altitude_km": _num(**_ORBIT_ALTITUDE, hi=6000, doc="a - R_eq; the inclination makes the orbit "
                                                            "sun-synchronous"),
        "ltan_h": _num("h", 0, 24, hi_open=True, kind="number_or_numbers",
                       doc="local time of the ascending node, one per plane or one for all"),
        "planes": _int(1, default=None, doc="None -> number of ltan_h values"),
        "nodes_per_plane": _int(1, doc="nodes spread evenly in mean anomaly in each plane"),
        "e": _num("", 0, MAX_ECCENTRICITY, default=0.0, doc="eccentricity"),
    },
    "walker_delta": {
        "altitude_km": _num(**_ORBIT_ALTITUDE, hi=1.0e6, doc="a - R_eq, circular orbits"),
        "inclination_deg": _num("deg", 0, 180, doc="inclination of every plane"),
        "total": _int(1, doc="nodes in all planes, a multiple of planes"),
        "planes": _int(1, doc="planes evenly spaced in RAAN over 360 deg"),
        "phasing": _int(0, default=0, doc="Walker phasing F, 0 to planes - 1"),
        "raan0_deg": _num("deg", -360, 360, default=0.0, doc="RAAN of the first plane"),
    },
    "cluster": {
        # reference orbit: altitude (a - R_eq) and either ltan_h (sun-synchronous) or
        # inclination_deg + raan_deg; e, argp_deg, mean_anomaly_deg complete the elements
        "altitude_km": _num(**_ORBIT_ALTITUDE, hi=1.0e6, doc="reference orbit: a - R_eq"),
        "ltan_h": _num("h", 0, 24, hi_open=True, default=None,
                       doc="reference orbit sun-synchronous at this local time of the ascending node; "
                           "or give inclination_deg and raan_deg"),
        "inclination_deg": _num("deg", 0, 180, default=None, doc="reference orbit's inclination (without ltan_h)"),
        "raan_deg": _num("deg", -360, 360, default=None, doc="reference orbit's RAAN (without ltan_h)"),
        "e": _num("", 0, 0.1, hi_open=True, default=0.0, doc="reference orbit's eccentricity"),
        "argp_deg": _num("deg", -360, 360, default=0.0, doc="reference orbit's argument of perigee"),
        "mean_anomaly_deg": _num("deg", -360, 360, default=0.0, doc="reference orbit's mean anomaly at the epoch"),
        # the formation: "orbit_plane" (nodes, radius_km) or "offsets" (offsets_rsw_km)
        "layout": _choice("orbit_plane", "offsets", default="orbit_plane",
                          doc='the formation: "orbit_plane" (nodes, radius_km) or "offsets" (offsets_rsw_km)'),
        "nodes": _int(1, default=None, doc="nodes in the formation"),
        "radius_km": _num("km", 0, 100, lo_open=True, default=None, doc="radius of the formation"),
        "offsets_rsw_km": _num("km", -100, 100, kind="vectors", default=None,
                               doc="one [radial, along-track, cross-track] offset per node"),
    },
    "tle": {
        "tle": _kind("str", default=None, doc="TLE text (2- or 3-line format), e.g. a ''' string"),
        "tle_file": _kind("str", default=None, doc="or a TLE file, relative to the working directory"),
        "max_age_days": _num("d", 0, lo_open=True, default=30.0, doc="|run epoch - TLE epoch| allowed"),
    },
}
TOP_LEVEL_KEYS = ("simulation", "environment", "output", "node_class", "constellation", "sweep", "ground_station",
                  "approaches", "radiation")
