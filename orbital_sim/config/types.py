"""The validated scenario: frozen dataclasses in SI units (names carry units), made by
:mod:`orbital_sim.config.checker`."""

from __future__ import annotations

import datetime as _dt
import dataclasses
from dataclasses import dataclass
from typing import Any

from orbital_sim import timescales
from orbital_sim.sweep import SweepConfig
from orbital_sim.constellation import ConstellationEntry, NodeGroup


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
