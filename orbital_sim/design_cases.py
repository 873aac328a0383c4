"""Thermal design cases (``[environment] case = "mean" | "hot" | "cold"``) and component limits.

A thermal engineer signs a design after two bounding cases, not after the mean environment:

- **hot**: solar flux at perihelion (1407.6 W/m^2), the hot-case albedo and Earth IR, end-of-life
  surface absorptance (``absorptance_eol`` where a surface gives it) and the array at the end of
  its design life (it converts less sunlight, so more of it stays as heat);
- **cold**: solar flux at aphelion (1316.7 W/m^2), the cold-case albedo and Earth IR,
  beginning-of-life absorptance, and the array at the end of its design life (the least power:
  the case the battery and the array are sized in);
- **mean**: the values of ``[environment]`` as given (the default; results bitwise those of a
  config without ``case``).

Solar flux: REFERENCE.md (1361 W/m^2 at 1 AU, x 1/(1 -+ e)^2, e = 0.0167). The kernels scale the
solar constant by (1 AU / d)^2 with the Sun's distance d of each step; a case therefore sets the
solar constant to ``flux x (d_mid / 1 AU)^2``, d_mid the Earth-Sun distance at the middle of the
run (Astronomical Almanac low-precision formula, about 1e-5 AU), so the flux equals the design
flux at mid-run and departs from it by the distance change over the run (recorded: 0.03 % over
one day; up to 3.4 % over a year, when a design case means little anyway).

Albedo and Earth IR: NASA/TM-2001-211221 (Anderson, Justus, Batts, "Guidelines for the Selection
of Near-Earth Thermal Environment Parameters for Spacecraft Design", 2001) tabulates hot- and
cold-case pairs per inclination band (low 0-30 deg, medium 30-60 deg, high 60-90 deg) and per
averaging time (16 s, 128 s, 896 s, 30 min, 90 min, 6 h, 24 h): a component of short thermal time
constant sees the extremes of short averages, a massive one only the milder long averages.
**Status of the table below**: the TM's per-band, per-averaging-time cells could not be read
from this project's sources (only its design ranges, albedo 0.18-0.55 and Earth IR
150-350 W/m^2, REFERENCE.md); rather than invent cells, every band and averaging time carries
that envelope (hot: albedo 0.55 with 350 W/m^2; cold: 0.18 with 150 W/m^2). The envelope is at
least as severe as every cell of the TM (it is their range), so the cases bound the TM's, at the
cost of pairing extremes the TM does not pair (high albedo and high IR are anti-correlated).
The band and the averaging time are still chosen and recorded (``design_case_*`` attributes), so
that verified cells drop into ``DESIGN_TABLE`` without other changes; ``[environment]``
``albedo_hot``, ``earth_ir_hot_w_m2``, ``albedo_cold``, ``earth_ir_cold_w_m2`` override the table.

Averaging time: the longest tabulated averaging time not longer than the shortest thermal time
constant among the components that own surfaces (tau = C / (sum of conductances + 4 sigma
sum(eps A) T^3) at the initial temperature): conservative for every radiating component.
Nodes in several bands in one run: one environment for the run (the kernels take one albedo and
one Earth IR per node but a case sets them per run); the hot case takes the highest values of
the bands present, the cold case the lowest.

Component limits (``operating_limits_c``, ``survival_limits_c``): :func:`limit_summary` turns the
run's per-component extremes into margins (K; negative = outside) and a flag per (node,
component): 0 within the operating limits, 1 outside them, 2 outside the survival limits.

NumPy and the standard library only (no JAX): runs inside config validation.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from orbital_sim.config.schema import ENVIRONMENT_SCHEMA

__all__ = [
    "AVERAGING_TIMES_S",
    "CASES",
    "DESIGN_TABLE",
    "LIMIT_FLAGS",
    "SOLAR_FLUX_APHELION_W_M2",
    "SOLAR_FLUX_PERIHELION_W_M2",
    "apply_case",
    "case_attributes",
    "earth_sun_distance_au",
    "inclination_band",
    "limit_summary",
    "node_limits_k",
    "thermal_time_constants_s",
]

CASES = ("mean", "hot", "cold")
#: [W/m^2] 1361 / (1 - 0.0167)^2 and 1361 / (1 + 0.0167)^2 (REFERENCE.md): the defaults of
#: environment.solar_flux_hot_w_m2 and solar_flux_cold_w_m2, declared on EnvironmentConfig
SOLAR_FLUX_PERIHELION_W_M2 = ENVIRONMENT_SCHEMA["solar_flux_hot_w_m2"].default
SOLAR_FLUX_APHELION_W_M2 = ENVIRONMENT_SCHEMA["solar_flux_cold_w_m2"].default
#: [s] the averaging times of NASA/TM-2001-211221's tables
AVERAGING_TIMES_S = (16.0, 128.0, 896.0, 1800.0, 5400.0, 21600.0, 86400.0)
#: inclination bands of NASA/TM-2001-211221: name -> (lowest, highest inclination) [deg]
BANDS = {"low": (0.0, 30.0), "medium": (30.0, 60.0), "high": (60.0, 90.0)}
TABLE_SOURCE = ("NASA/TM-2001-211221 design ranges (albedo 0.18-0.55, Earth IR 150-350 W/m^2; "
                "shared REFERENCE.md) as an envelope for every band and averaging time: the TM's "
                "per-band cells were not available to this project (orbital_sim/design_cases.py)")
_ENVELOPE = {"hot": (0.55, 350.0), "cold": (0.18, 150.0)}  # (albedo, Earth IR W/m^2)
#: (band, averaging time s) -> {"hot": (albedo, IR), "cold": (albedo, IR)}; see the module note
DESIGN_TABLE = {(band, t): dict(_ENVELOPE) for band in BANDS for t in AVERAGING_TIMES_S}
#: flag values of the ``temperature_limit_flag`` summary (CF flag_values / flag_meanings)
LIMIT_FLAGS = {0: "within_operating_limits", 1: "outside_operating_limits", 2: "outside_survival_limits"}
_SIGMA = 5.670374419e-8  # [W/m^2/K^4] CODATA 2018
_AU_M = 1.495978707e11


def inclination_band(inclination_rad: float) -> str:
    """The TM's band of an orbit: low (<= 30 deg), medium (<= 60 deg) or high; a retrograde
    orbit counts as 180 deg minus its inclination (a sun-synchronous 98 deg orbit is high)."""
    i = math.degrees(float(inclination_rad)) % 360.0
    i = min(i, 360.0 - i)
    i = min(i, 180.0 - i)
    return "low" if i <= 30.0 else "medium" if i <= 60.0 else "high"


def earth_sun_distance_au(epoch, offset_s: float = 0.0) -> float:
    """Earth-Sun distance [AU] at ``epoch`` (aware datetime) + ``offset_s``: the Astronomical
    Almanac's low-precision formula R = 1.00014 - 0.01671 cos g - 0.00014 cos 2g (about 1e-5 AU
    over 1950-2050), g the Sun's mean anomaly."""
    import datetime as dt

    j2000 = dt.datetime(2000, 1, 1, 12, tzinfo=dt.timezone.utc)
    n_days = ((epoch - j2000).total_seconds() + offset_s) / 86400.0
    g = math.radians((357.529 + 0.98560028 * n_days) % 360.0)
    return 1.00014 - 0.01671 * math.cos(g) - 0.00014 * math.cos(2.0 * g)


def _node_inclinations_rad(config) -> np.ndarray:
    out = []
    for g in config.constellation:
        if g.elements is not None:
            out.append(np.asarray(g.elements["i_rad"], dtype=np.float64).ravel())
        else:
            r = np.asarray(g.states["r_eci_m"], dtype=np.float64).reshape(-1, 3)
            v = np.asarray(g.states["v_eci_m_s"], dtype=np.float64).reshape(-1, 3)
            h = np.cross(r, v)
            out.append(np.arccos(np.clip(h[:, 2] / np.linalg.norm(h, axis=1), -1.0, 1.0)))
    return np.concatenate(out) if out else np.zeros(0)


def thermal_time_constants_s(node_class) -> dict[str, float]:
    """Per component: C / (sum of its conductances + 4 sigma sum(eps A) T0^3) [s], T0 its
    initial temperature; infinite for a component with neither couplings nor surfaces."""
    out = {}
    for comp in node_class.components:
        g = sum(c.conductance_w_k for c in node_class.couplings if comp.name in (c.a, c.b))
        eps_a = sum(s.area_m2 * (s.emittance + s.back_emittance) for s in node_class.surfaces
                    if s.component == comp.name)
        k = g + 4.0 * _SIGMA * eps_a * comp.initial_temperature_k ** 3
        out[comp.name] = comp.heat_capacity_j_k / k if k > 0 else math.inf
    return out


def _averaging_time_s(config) -> tuple[float, float, str]:
    """(table averaging time, shortest radiating time constant, its component)."""
    best = (math.inf, "")
    used = {g.class_name for g in config.constellation}
    for name in sorted(used):
        nc = config.node_classes[name]
        radiating = {s.component for s in nc.surfaces if s.area_m2 > 0}
        for comp, tau in thermal_time_constants_s(nc).items():
            if comp in radiating and tau < best[0]:
                best = (tau, f"{name}.{comp}")
    tau, who = best
    fitting = [t for t in AVERAGING_TIMES_S if t <= tau]
    return (fitting[-1] if fitting else AVERAGING_TIMES_S[0]), tau, who


def apply_case(config):
    """The config with its design case applied (``mean``: ``config`` itself, untouched).

    Hot and cold replace ``environment`` albedo, Earth IR and solar constant, the surfaces'
    absorptances (hot: ``absorptance_eol``) and the arrays' age (``array_design_life_years``),
    and record every value used in ``environment.case_values`` (written to the result file's
    attributes and shown by ``orbital-sim info``)."""
    env = config.environment
    case = env.case
    if case == "mean":
        return config
    sim = config.simulation
    incl = _node_inclinations_rad(config)
    bands = sorted({inclination_band(i) for i in incl}, key=list(BANDS).index)
    t_avg, tau, tau_component = _averaging_time_s(config)
    pick = max if case == "hot" else min
    albedo = pick(DESIGN_TABLE[(b, t_avg)][case][0] for b in bands)
    earth_ir = pick(DESIGN_TABLE[(b, t_avg)][case][1] for b in bands)
    source = TABLE_SOURCE
    given_albedo = getattr(env, f"albedo_{case}")
    given_ir = getattr(env, f"earth_ir_{case}_w_m2")
    if given_albedo is not None or given_ir is not None:
        source = f"[environment] albedo_{case} / earth_ir_{case}_w_m2 where given; else " + source
    albedo = given_albedo if given_albedo is not None else albedo
    earth_ir = given_ir if given_ir is not None else earth_ir
    flux = getattr(env, f"solar_flux_{case}_w_m2")
    d_mid = earth_sun_distance_au(sim.epoch, 0.5 * sim.duration_s)
    solar_constant = flux * d_mid * d_mid
    flux_edges = [solar_constant / earth_sun_distance_au(sim.epoch, t) ** 2 for t in (0.0, sim.duration_s)]

    classes = {}
    for name, nc in config.node_classes.items():
        surfaces = tuple(
            dataclasses.replace(s, absorptance=s.absorptance_eol, back_absorptance=s.back_absorptance_eol)
            if case == "hot" else s
            for s in nc.surfaces)
        life = nc.power.array_design_life_years
        power = nc.power if life is None else dataclasses.replace(nc.power, array_age_years=life)
        classes[name] = dataclasses.replace(nc, surfaces=surfaces, power=power)

    values = {
        "case": case,
        "albedo": float(albedo),
        "earth_ir_w_m2": float(earth_ir),
        "solar_flux_w_m2": float(flux),
        "solar_flux_range_w_m2": [float(min(flux_edges + [flux])), float(max(flux_edges + [flux]))],
        "solar_constant_w_m2": float(solar_constant),
        "earth_sun_distance_mid_au": float(d_mid),
        "inclination_bands": ",".join(bands),
        "averaging_time_s": float(t_avg),
        "shortest_time_constant_s": float(tau),
        "shortest_time_constant_component": tau_component,
        "optical_properties": "end of life (absorptance_eol)" if case == "hot" else "beginning of life",
        "array_age_factors": ",".join(
            f"{n}={(1.0 - c.power.array_degradation_per_year) ** c.power.array_age_years:.4f}"
            for n, c in classes.items()),
        "albedo_earth_ir_source": source,
    }
    env = dataclasses.replace(env, albedo=float(albedo), earth_ir_w_m2=float(earth_ir),
                              solar_constant_w_m2=float(solar_constant), case_values=values)
    return dataclasses.replace(config, environment=env, node_classes=classes)


def case_attributes(config) -> dict[str, Any]:
    """Root attributes of a result file that record the design case and every value it used
    (``design_case`` = mean with the environment as given, otherwise ``design_case_*``)."""
    env = config.environment
    attrs = {"design_case": env.case, "environment_albedo": float(env.albedo),
             "environment_earth_ir_w_m2": float(env.earth_ir_w_m2),
             "environment_solar_constant_w_m2": float(env.solar_constant_w_m2)}
    for key, value in (env.case_values or {}).items():
        if key != "case":
            attrs[f"design_case_{key}"] = value
    sweep = getattr(config, "sweep", None)
    if sweep is not None and len({(v.environment.case, v.environment.albedo, v.environment.earth_ir_w_m2,
                                   v.environment.solar_constant_w_m2) for v in sweep.variants}) > 1:
        # a swept [environment]: each variant's values, in variant order
        attrs["design_case"] = [v.environment.case for v in sweep.variants]
        for key in ("albedo", "earth_ir_w_m2", "solar_constant_w_m2"):
            attrs[f"environment_{key}"] = [float(getattr(v.environment, key)) for v in sweep.variants]
    lines = []
    for name in dict.fromkeys(g.class_name for g in config.constellation):
        for comp in config.node_classes[name].components:
            parts = [f"{word} [{lim[0] - 273.15:g}, {lim[1] - 273.15:g}]"
                     for word, lim in (("operating", comp.operating_limits_k), ("survival", comp.survival_limits_k))
                     if lim is not None]
            if parts:
                lines.append(f"{name}.{comp.name}: " + ", ".join(parts))
    if lines:
        attrs["component_limits_c"] = lines
    return attrs


# --------------------------------------------------------------------------------------------
# Component limits and margins
# --------------------------------------------------------------------------------------------

def _class_limits(nc) -> np.ndarray:
    """(4, C) [K]: operating low, high, survival low, high (NaN where not given)."""
    out = np.full((4, len(nc.components)), np.nan)
    for j, comp in enumerate(nc.components):
        if comp.operating_limits_k is not None:
            out[0:2, j] = comp.operating_limits_k
        if comp.survival_limits_k is not None:
            out[2:4, j] = comp.survival_limits_k
    return out


def node_limits_k(config) -> np.ndarray:
    """(4, n_nodes, C) [K] per node: operating low, high, survival low, high (NaN: none given).
    A sweep: each variant's own classes, variant after variant (the fleet's node order)."""
    sweep = getattr(config, "sweep", None)
    configs = sweep.variants if sweep is not None else (config,)
    blocks = []
    for cfg in configs:
        for g in cfg.constellation:
            lim = _class_limits(cfg.node_classes[g.class_name])
            blocks.append(np.repeat(lim[:, None, :], g.n_nodes, axis=1))
    return np.concatenate(blocks, axis=1)


def limit_summary(limits_k: np.ndarray, temperature_min_k, temperature_max_k) -> dict[str, np.ndarray]:
    """Margins and flags (node, component) from a run's extremes and ``node_limits_k``.

    ``temperature_margin_operating`` [K] = min(T_min - low, high - T_max): positive inside the
    operating limits, negative outside, NaN where none are given; likewise
    ``temperature_margin_survival``; ``temperature_limit_flag`` 0/1/2 (LIMIT_FLAGS), 0 where no
    limits are given, and for a faulted node (NaN extremes)."""
    tmin = np.asarray(temperature_min_k, dtype=np.float64)
    tmax = np.asarray(temperature_max_k, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        op = np.minimum(tmin - limits_k[0], limits_k[1] - tmax)
        sv = np.minimum(tmin - limits_k[2], limits_k[3] - tmax)
        flag = np.where(sv < 0, 2, np.where(op < 0, 1, 0)).astype(np.int8)
    return {"temperature_margin_operating": op, "temperature_margin_survival": sv,
            "temperature_limit_flag": flag}
