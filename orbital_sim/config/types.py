"""The validated scenario: frozen dataclasses in SI units (names carry units), made by
:mod:`orbital_sim.config.checker`.

Each config key is declared once, here, on the dataclass field that holds its value in SI:
``key(spec, doc)`` (:mod:`orbital_sim.config.fields`) gives what the key accepts in the config
(kind, config unit, range, default, choices) and its line in docs/config_reference.md. The
TOML name is the field's name in the config unit (``throttle_temperature_k``, unit degC:
``throttle_temperature_c``). :mod:`orbital_sim.config.schema` reads the per-table schemas back
from these declarations; the checker walks them. A new key of a table: one field here."""

from __future__ import annotations

import datetime as _dt
import dataclasses
from dataclasses import dataclass

from orbital_sim import timescales
from orbital_sim.sweep import SweepConfig
from orbital_sim.constellation import ConstellationEntry, NodeGroup
from orbital_sim.config.fields import _choice, _FRACTION, _int, _kind, _num, Field, key

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


# --------------------------------------------------------------------------------------------
# Output dataclasses (SI units; names carry units), one key declaration per field
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulationConfig:
    """``[simulation]``. Times in seconds; the run covers [0, duration_s] after ``epoch``."""

    epoch: _dt.datetime = key(_kind("epoch"), "start of the run (UTC, timezone-aware once read)")
    epoch_iso: str  # derived from epoch: "2026-03-20T00:00:00Z"
    duration_s: float = key(_num("s", 0, lo_open=True), "length of the run; a whole multiple of output_every_s")
    step_s: float = key(_num("s", 0, 3600, lo_open=True), "integration step")
    output_every_s: float = key(_num("s", 0, lo_open=True, default=None),
                                "time between saved samples, a whole multiple of step_s; None -> step_s")
    propagator: str = key(_choice("cowell", "j2_secular", default="cowell"),
                          "orbits: numerical integration (Cowell) or the analytic J2 mean-element rates")
    dtype: str = key(_choice("float64", "float32", default="float64"), "precision of the simulation")
    device: str = key(_choice("auto", "cpu", "gpu", default="auto"), "where JAX runs; auto: a GPU if JAX finds one")
    shadow: str = key(_choice("conical", "conical_oblate", "cylindrical", default="conical"),
                      "Earth shadow: umbra and penumbra of a spherical or oblate Earth, or a cylinder")
    chunk_outputs: int | None = key(_int(1, default=None),
                                    "samples per chunk; None -> automatic (from memory_budget_mib)")
    memory_budget_mib: float = key(_num("MiB", 1, 1e9, default=512.0),
                                   "what a chunk may hold: samples, tables, state, temporaries (orbital_sim/memory.py)",
                                   init_default=True)
    zonal_harmonics: int = key(_int(2, 4, default=2), "highest zonal term of the Cowell force model",
                               init_default=True)
    drag: str = key(_choice("none", "exponential", default="none"),
                    "atmospheric drag: none, or Vallado's exponential atmosphere (needs [node_class.NAME.drag])",
                    init_default=True)
    integrator: str = key(_choice("auto", "rk4", "rk8", default="auto"),
                          'Cowell integrator (kernels.orbit.INTEGRATORS); "auto": the cheapest that holds 10 m '
                          "per day on the configured orbits", init_default=True)

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

    solar_constant_w_m2: float = key(_num("W/m^2", 1000, 1500, default=1361.0), "total solar irradiance at 1 AU")
    albedo: float = key(_num("", **_FRACTION, default=0.30), "Earth's bond albedo")
    earth_ir_w_m2: float = key(_num("W/m^2", 0, 500, default=237.0),
                               "Earth's outgoing longwave flux at the top of the atmosphere")
    shadow_radius_m: float = key(_num("km", 6300, 6500, default=6378.137),
                                 "radius of the spherical Earth that casts the shadow")
    albedo_model: str = key(_choice("subsatellite", "cap", default="subsatellite"),
                            '"subsatellite": cosine at the subsatellite point; "cap": quadrature of the visible cap',
                            init_default=True)
    case: str = key(_choice("mean", "hot", "cold", default="mean"),
                    'thermal design case (orbital_sim/design_cases.py): "mean" uses the values above as given; '
                    '"hot" / "cold" replace albedo, earth_ir_w_m2 and solar_constant_w_m2 with the case\'s values',
                    init_default=True)
    albedo_hot: float | None = key(_num("", **_FRACTION, default=None),
                                   "overrides the design table's hot-case albedo", init_default=True)
    earth_ir_hot_w_m2: float | None = key(_num("W/m^2", 0, 500, default=None),
                                         "overrides the design table's hot-case Earth IR", init_default=True)
    albedo_cold: float | None = key(_num("", **_FRACTION, default=None),
                                    "overrides the design table's cold-case albedo", init_default=True)
    earth_ir_cold_w_m2: float | None = key(_num("W/m^2", 0, 500, default=None),
                                          "overrides the design table's cold-case Earth IR", init_default=True)
    solar_flux_hot_w_m2: float = key(_num("W/m^2", 1000, 1500, default=1407.6),
                                     "hot-case solar flux: perihelion, 1361 / (1 - 0.0167)^2 (REFERENCE.md)",
                                     init_default=True)
    solar_flux_cold_w_m2: float = key(_num("W/m^2", 1000, 1500, default=1316.7),
                                      "cold-case solar flux: aphelion, 1361 / (1 + 0.0167)^2 (REFERENCE.md)",
                                      init_default=True)
    case_values: dict | None = None  # derived: every value a hot or cold case used (None: mean)


@dataclass(frozen=True)
class OutputConfig:
    """``[output]``."""

    path: str = key(_kind("str", default="orbital_sim_out.h5"),
                    "HDF5 file to write, relative to the working directory (`orbital-sim run -o` overrides it)")
    variables: tuple[str, ...] = key(_kind("choices_list", default=DEFAULT_OUTPUT_VARIABLES, choices=OUTPUT_VARIABLES),
                                     "time series to write; default: all but position_eci, velocity_eci, "
                                     "heater_power, battery_power and the absorbed power per surface")
    compression: int = key(_int(0, 9, default=4), "gzip level, 0 = none")
    dtype: str = key(_choice("auto", "float32", default="auto"),
                     "storage of the time series: auto = simulation.dtype; float32 is rounded on the device",
                     init_default=True)
    statistics_window_s: float | None = key(_num("s", 0, lo_open=True, default=None),
                                            "write min/max/mean per window of samples instead of the samples",
                                            init_default=True)


@dataclass(frozen=True)
class ComputeConfig:
    """``[node_class.NAME.compute]``."""

    accelerators: int = key(_int(0, 1_000_000),
                            "number of accelerator boards (upper bounds here catch typos such as 1e300, not designs)")
    accelerator_power_w: float = key(_num("W", 0, 1e5), "electrical power per board at full utilisation")
    utilization: float = key(_num("", **_FRACTION, default=1.0), "commanded utilisation before any throttling")
    component: str = key(_kind("name"), "thermal component that receives the compute heat")
    throttle_temperature_k: float = key(_num("degC", -50, 150, default=85.0),
                                        "component temperature where throttling starts")
    throttle_band_k: float = key(_num("K", 0, 500, lo_open=True, default=5.0),
                                 "width over which utilisation ramps down to zero")


@dataclass(frozen=True)
class PowerConfig:
    """``[node_class.NAME.power]``."""

    bus_power_w: float = key(_num("W", 0, 1e8), "constant platform load")
    bus_heat_component: str = key(_kind("name", default=None),
                                  'component that receives the bus heat; None -> the component named "bus", '
                                  "or the only one")
    array_efficiency: float = key(_num("", 0, 0.5, lo_open=True), "cell efficiency at the reference temperature")
    array_reference_temperature_k: float = key(_num("degC", -150, 200, default=28.0),
                                               "temperature at which the cells have array_efficiency")
    array_temperature_coefficient_per_k: float = key(_num("1/K", -0.01, 0, default=-0.0023),
                                                     "relative efficiency change per kelvin")
    array_packing_factor: float = key(_num("", 0, 1, lo_open=True, default=0.85), "cell area / array area")
    array_degradation_per_year: float = key(_num("1/yr", 0, 0.2, default=0.0), "relative power lost per year")
    array_age_years: float = key(_num("yr", 0, 30, default=0.0), "age of the array at the epoch")
    array_component: str = key(_kind("name", default=None),
                               "component whose temperature sets the cell efficiency; None -> the one component "
                               "of the surfaces with cells")
    array_design_life_years: float | None = key(_num("yr", 0, 30, default=None),
                                                "the array age the hot and cold cases use; None -> array_age_years",
                                                init_default=True)


@dataclass(frozen=True)
class BatteryConfig:
    """``[node_class.NAME.battery]``. The optional cycle-life relation:
    N(D) = cycle_life_cycles (cycle_life_dod / D)^cycle_life_exponent."""

    capacity_j: float = key(_num("kWh", 0, 1e6, lo_open=True), "energy stored at state of charge 1")
    initial_soc: float = key(_num("", **_FRACTION, default=0.9), "state of charge at the epoch")
    floor_soc: float = key(_num("", 0, 1, hi_open=True, default=0.2), "never discharged below")
    throttle_soc: float = key(_num("", **_FRACTION, default=0.3), "compute throttles below this state of charge")
    charge_efficiency: float = key(_num("", 0, 1, lo_open=True, default=0.97), "energy stored / energy charged")
    discharge_efficiency: float = key(_num("", 0, 1, lo_open=True, default=0.97),
                                      "energy delivered / energy drawn")
    component: str = key(_kind("name", default=None),
                         'component that receives the battery losses; None -> the component named "battery", '
                         "or the only one")
    cycle_life_cycles: float | None = key(_num("", 0, 1e9, lo_open=True, default=None),
                                          "cycles to end of life at cycle_life_dod (cycle-life relation)",
                                          init_default=True)
    cycle_life_dod: float | None = key(_num("", 0, 1.0, lo_open=True, default=None),
                                       "depth of discharge of that reference point", init_default=True)
    cycle_life_exponent: float | None = key(_num("", 0, 10.0, lo_open=True, default=None),
                                            "power-law exponent of the cycle-life relation", init_default=True)
    cycle_life_source: str | None = key(_kind("str", default=None),
                                        "where the three cycle_life numbers come from (cell test data)",
                                        init_default=True)
    max_depth_of_discharge: float | None = key(_num("", 0, 1, lo_open=True, default=None),
                                               "design limit (sizing, report); None -> 1 - floor_soc",
                                               init_default=True)


@dataclass(frozen=True)
class DragConfig:
    """``[node_class.NAME.drag]``: what atmospheric drag acts on (needed when simulation.drag is on)."""

    mass_kg: float = key(_num("kg", 0, 1e7, lo_open=True), "node mass")
    area_m2: float = key(_num("m^2", 0, 1e6), "mean cross-section facing the flow")
    coefficient: float = key(_num("", 0, 10, default=2.2), "drag coefficient C_D (2.2: the usual flat-plate value)")

    @property
    def ballistic_m2_kg(self) -> float:
        """C_D A / m [m^2/kg]."""
        return self.coefficient * self.area_m2 / self.mass_kg


@dataclass(frozen=True)
class GroundStationConfig:
    """One ``[[ground_station]]`` entry (WGS-84 geodetic position, SI)."""

    name: str = key(_kind("name"), "station name, unique")
    latitude_rad: float = key(_num("deg", -90, 90), "geodetic latitude")
    longitude_rad: float = key(_num("deg", -180, 360), "east longitude")
    altitude_m: float = key(_num("m", -500, 9000, default=0.0),
                            "height above the WGS-84 ellipsoid (Dead Sea shore to above Everest)")
    elevation_mask_rad: float = key(_num("deg", 0, 90, hi_open=True, default=5.0),
                                    "lowest elevation at which a node is in contact")


@dataclass(frozen=True)
class MassConfig:
    """``[node_class.NAME.mass]`` (optional): what the hardware of a node weighs, for the
    feasibility report (orbital_sim/report.py). Defaults are published figures (REFERENCE.md)."""

    array_areal_mass_kg_m2: float = key(_num("kg/m^2", 0, 100, lo_open=True, default=3.1),
                                        "solar array wing; ISS iROSA (NASA figures)", init_default=True)
    radiator_areal_mass_kg_m2: float = key(_num("kg/m^2", 0, 100, lo_open=True, default=7.0),
                                           "conventional radiator (NASA SBIR); ISS about 14", init_default=True)
    battery_specific_energy_j_kg: float = key(_num("Wh/kg", 0, 1000, lo_open=True, default=160.0),
                                              "Li-ion cells, Saft VES180", init_default=True)
    accelerator_mass_kg: float = key(_num("kg", 0, 10000, default=1360.0 / 72.0),
                                     "per board: GB200 NVL72 rack 1.36 t / 72 GPUs (vendor data)", init_default=True)
    bus_mass_kg: float = key(_num("kg", 0, 1.0e7, default=0.0),
                             "structure, avionics, propulsion: not counted unless given", init_default=True)


@dataclass(frozen=True)
class ComponentConfig:
    """``[node_class.NAME.thermal.components.CNAME]``."""

    name: str  # CNAME, the table's name
    heat_capacity_j_k: float = key(_num("J/K", 0, 1e12, lo_open=True), "heat capacity")
    initial_temperature_k: float = key(_num("degC", -150, 200, default=20.0), "temperature at the epoch")
    operating_limits_k: tuple[float, float] | None = key(
        Field("limits", "degC", -273.15, 1000.0, default=None),
        "[min, max] operating temperatures (thermal margins in the report)", init_default=True)
    survival_limits_k: tuple[float, float] | None = key(
        Field("limits", "degC", -273.15, 1000.0, default=None),
        "[min, max] survival temperatures, around the operating ones", init_default=True)
    heater_power_w: float = key(_num("W", 0, 1e7, default=0.0),
                                "thermostatic heater nameplate power (0: none; kernels/heaters.py)", init_default=True)
    heater_on_k: float | None = key(_num("degC", -150, 200, default=None),
                                    "heater at full power at or below (needed when heater_power_w > 0)",
                                    init_default=True)
    heater_off_k: float | None = key(_num("degC", -150, 200, default=None), "heater off at or above",
                                     init_default=True)


@dataclass(frozen=True)
class CouplingConfig:
    """``[[node_class.NAME.thermal.couplings]]``: conductance between components a and b."""

    a: str = key(_kind("pair"), "the two components it couples, [a, b]", toml="between")
    b: str  # the second name of `between`
    conductance_w_k: float = key(_num("W/K", 0, 1e9), "conductance between them")


@dataclass(frozen=True)
class SurfaceConfig:
    """``[[node_class.NAME.surfaces]]``. The front face points along the pointing rule."""

    name: str = key(_kind("name"), "names the surface in messages, `--set` and `[sweep]`")
    component: str = key(_kind("name"), "component that absorbs and emits through this surface")
    area_m2: float = key(_num("m^2", 0, 1e7), "area of one face")
    pointing: str = key(_choice(*POINTINGS), "the direction the front face's normal follows (kernels/irradiance.py)")
    pointing_rsw: tuple[float, float, float] | None = key(
        _kind("direction", default=None),
        'with pointing = "rsw": the normal in (radial, along-track, orbit-normal), made a unit vector')
    absorptance: float = key(_num("", **_FRACTION), "front face, solar")
    emittance: float = key(_num("", **_FRACTION), "front face, infrared")
    two_sided: bool = key(_kind("bool", default=None),
                          "whether the back face also absorbs and emits; None -> implied by back_* keys")
    back_absorptance: float = key(_num("", **_FRACTION, default=None),
                                  "back face, solar; None -> absorptance if two-sided, else 0")
    back_emittance: float = key(_num("", **_FRACTION, default=None),
                                "back face, infrared; None -> emittance if two-sided, else 0")
    solar_cells: bool = key(_kind("bool", default=False), "the front face carries the array's cells")
    absorptance_eol: float | None = key(_num("", **_FRACTION, default=None),
                                        "front face at end of life (hot case); None -> absorptance",
                                        init_default=True)
    back_absorptance_eol: float | None = key(_num("", **_FRACTION, default=None),
                                             "back face at end of life; None -> back_absorptance",
                                             init_default=True)
    role: str | None = key(_choice(*SURFACE_ROLES, default=None),
                           "what the surface is for; None -> derived (derive_surface_roles): array with solar "
                           "cells, radiator on the radiator component, else other", init_default=True)

    def __post_init__(self):  # end-of-life values default to the beginning-of-life ones
        if self.absorptance_eol is None:
            object.__setattr__(self, "absorptance_eol", self.absorptance)
        if self.back_absorptance_eol is None:
            object.__setattr__(self, "back_absorptance_eol", self.back_absorptance)


@dataclass(frozen=True)
class ApproachesConfig:
    """``[approaches]`` (orbital_sim/approaches.py): screen every pair of nodes for separations
    below ``threshold_m``."""

    threshold_m: float = key(_num("m", 0, 1.0e7, lo_open=True, default=5000.0),
                             "approaches at or below this distance are listed", init_default=True)


@dataclass(frozen=True)
class RadiationConfig:
    """``[radiation]`` (orbital_sim/radiation.py): AE-8/AP-8 fluences, SAA time and dose behind
    an aluminium shell, per node."""

    shield_thickness_m: float = key(_num("mm", 0, 1000, default=3.0), "aluminium shell around the chips",
                                    init_default=True)
    chip_tolerance_gy: float = key(_num("krad", 0, 1.0e6, lo_open=True, default=2.0),
                                   "total dose the chips tolerate, krad(Si)", init_default=True)


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
    approaches: ApproachesConfig | None = None  # when the config has [approaches]
    radiation: RadiationConfig | None = None  # when the config has [radiation]

    @property
    def n_nodes(self) -> int:
        return sum(g.n_nodes for g in self.constellation)

    @property
    def node_names(self) -> list[str]:
        return [name for g in self.constellation for name in g.names]

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
