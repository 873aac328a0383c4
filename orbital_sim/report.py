"""Feasibility report of a finished run: power, compute, eclipses, battery, mass and launch economics,
side by side with a terrestrial data centre of the same compute.

Two layers:

- Pure economics (no file, no config): :func:`launch_cost_usd`,
  :func:`launched_power_price_usd_per_kw_yr`, :func:`terrestrial_energy_cost_usd`,
  :func:`terrestrial_power_price_usd_per_kw_yr`, :func:`solar_nameplate_w`,
  :func:`rated_array_power_w`, :func:`parity_launch_price_usd_per_kg`. The published
  reproductions (Suncatcher Table 1, Starcloud's 40 MW ten-year totals) call these.
- Run analysis: :func:`rainflow_cycles`, :func:`battery_cycle_stats`, :func:`eclipse_events`, and
  :func:`feasibility_report` (a result file -> :class:`FeasibilityReport`), with writers
  :func:`write_csv`, :func:`to_markdown`, :func:`format_text`, :func:`write_report`.

Definitions (also printed with the report):

- Rated array power of a node = sum over the surfaces that carry cells of area x cell efficiency at
  the reference temperature (beginning of life) x packing factor x solar constant of the run
  (1361 W/m^2: 1 AU, normal incidence). Capacity factor = array energy produced (the
  ``energy_generated`` summary, counted every step, surplus that was later shed included) /
  (rated power x run duration). Albedo on the cells counts as produced energy, so it can exceed
  what direct sunlight alone would give.
- Compute availability = accelerator-seconds delivered / (accelerators x run duration).
- Eclipse: a run of consecutive samples with sunlit fraction below 1 (penumbra or umbra). Its
  length is the equivalent full-shadow time, sum of (1 - sunlit fraction) x sample interval, so
  it is resolved to the output interval. The mean eclipse fraction comes from the per-step
  summary ``eclipse_fraction``.
- Battery: cycles are counted by rainflow (ASTM E1049-85, section 5.4.4) on the sampled
  ``state_of_charge`` from its first peak on (the first charge from the launch state of charge
  is not a cycle): full cycles count 1, half cycles 0.5 (so a finite series is uncertain by
  half a cycle at each end). A cycle's depth of discharge (DoD) is its range in state of charge; cycles
  shallower than ``min_cycle_dod`` (1 % by default) are not counted. Swings faster than the
  output interval are not seen; a short run extrapolates its cycles to a year.
- Array = the surfaces with cells; radiator = every other surface (both faces of a two-sided
  surface share its area). Masses: array and radiator area x areal mass, battery capacity /
  specific energy, accelerators x mass per board, plus the bus mass, all from the class's
  optional ``[node_class.NAME.mass]`` table (defaults: REFERENCE.md).
- Launched power price = launched mass x launch price / (power x life). Two powers are shown:
  the rated array power (Suncatcher's definition) and the compute power delivered (nameplate x
  availability), which is what the terrestrial price per kW of IT load compares with.
- Terrestrial power price per kW of IT load and year = PUE x 8760 h x electricity price.
- Latency: the ground-station summary variables when the file holds them; otherwise the
  one-way light time at the zenith from the lowest perigee, a lower bound.

Years: economic rates use 8760 h (365 d), as the Suncatcher and Starcloud papers do; rates of the
simulated run (cycles per year) use 365.25 d.

This module uses numpy, h5py (through orbital_sim.output) and the standard library; no JAX.
"""

from __future__ import annotations

import csv
import io
import math
import os
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from orbital_sim import output as _output
from orbital_sim.health import compute_availability, node_availability

__all__ = [
    "HOURS_PER_YEAR",
    "SPEED_OF_LIGHT_M_S",
    "DEFAULT_LAUNCH_PRICES_USD_PER_KG",
    "TERRESTRIAL_POWER_PRICE_BAND_USD_PER_KW_YR",
    "ReportInputs",
    "ReportError",
    "FeasibilityReport",
    "launch_cost_usd",
    "launched_power_price_usd_per_kw_yr",
    "terrestrial_energy_cost_usd",
    "terrestrial_power_price_usd_per_kw_yr",
    "solar_nameplate_w",
    "rated_array_power_w",
    "parity_launch_price_usd_per_kg",
    "rainflow_cycles",
    "battery_cycle_stats",
    "eclipse_events",
    "feasibility_report",
    "format_text",
    "to_markdown",
    "write_csv",
    "write_report",
]

HOURS_PER_YEAR = 8760.0  # [h] 365 d: the year of the Suncatcher and Starcloud cost figures
_YEAR_S = 365.25 * 86400.0  # [s] Julian year, for rates of the simulated run
SPEED_OF_LIGHT_M_S = 299_792_458.0  # [m/s] exact, SI definition of the metre
_R_EARTH_EQ_M = 6378.137e3  # [m] WGS-84 equatorial radius (as kernels/constants.py)
_J_PER_KWH = 3.6e6

#: Launch prices of the sweep [$/kg]: 3 600 is today's price in Suncatcher (arXiv 2511.19468,
#: Table 1), 200 the price Suncatcher projects for about 2035; 1 000, 60 and 15 complete the
#: sweep of issue 7 (60 and 15: the range of fully reusable heavy-lift projections).
DEFAULT_LAUNCH_PRICES_USD_PER_KG = (3600.0, 1000.0, 200.0, 60.0, 15.0)
#: Terrestrial power cost for ML data centres: 570-3 000 $/kW/yr (0.06-0.25 $/kWh at PUE
#: 1.09-1.4), Suncatcher (arXiv 2511.19468); REFERENCE.md.
TERRESTRIAL_POWER_PRICE_BAND_USD_PER_KW_YR = (570.0, 3000.0)


class ReportError(ValueError):
    """A report that cannot be made: bad inputs (one line naming the input) or an unusable file."""


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportInputs:
    """Economic and terrestrial inputs, each with its source.

    ``launch_prices_usd_per_kg``: [$/kg] the sweep (see DEFAULT_LAUNCH_PRICES_USD_PER_KG).
    ``life_years``: [yr] service life of a node: 5, the Starlink v2 mini life in Suncatcher Table 1.
    ``pue``: [1] power usage effectiveness of the terrestrial data centre: 1.56, the 2024
    industry average (Uptime Institute Global Data Center Survey 2024); hyperscale about 1.1.
    ``electricity_price_usd_per_kwh``: [$/kWh] 0.08, about the 2024 average US industrial retail
    price (EIA, Electric Power Monthly, table 5.6.A); Suncatcher's range is 0.06-0.25.
    ``solar_capacity_factor``: [1] US utility-scale solar, about 24 % (EIA; also Starcloud).
    ``interconnection_wait_years``: [yr] 5: the median time from interconnection request to
    commercial operation of US projects built in 2023 was nearly five years (Lawrence Berkeley
    National Laboratory, "Queued Up: 2024 Edition", Rand et al., April 2024).
    """

    launch_prices_usd_per_kg: tuple[float, ...] = DEFAULT_LAUNCH_PRICES_USD_PER_KG
    life_years: float = 5.0
    pue: float = 1.56
    electricity_price_usd_per_kwh: float = 0.08
    solar_capacity_factor: float = 0.24
    interconnection_wait_years: float = 5.0
    min_cycle_dod: float = 0.01  # [1] battery cycles shallower than this are not counted

    # name: (low, high, low open) of the allowed range, in the unit of the name
    _RANGES = {
        "life_years": (0.0, 50.0, True),
        "pue": (1.0, 5.0, False),
        "electricity_price_usd_per_kwh": (0.0, 10.0, True),
        "solar_capacity_factor": (0.0, 1.0, True),
        "interconnection_wait_years": (0.0, 50.0, False),
        "min_cycle_dod": (0.0, 1.0, False),
    }

    def check(self) -> "ReportInputs":
        """Raise :class:`ReportError` naming the first bad input; return self."""
        prices = tuple(self.launch_prices_usd_per_kg)
        if not prices:
            raise ReportError("launch_prices_usd_per_kg: at least one launch price is needed")
        for p in prices:
            if not isinstance(p, (int, float)) or isinstance(p, bool) or not math.isfinite(p) \
                    or not 0.0 < p <= 1.0e6:
                raise ReportError(f"launch price {p!r}: must be a number in (0, 1e6] ($/kg)")
        for name, (lo, hi, lo_open) in self._RANGES.items():
            v = getattr(self, name)
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) \
                and (v > lo if lo_open else v >= lo) and v <= hi
            if not ok:
                raise ReportError(f"{name} = {v!r}: must be in {'(' if lo_open else '['}{lo:g}, {hi:g}]")
        return self


# --------------------------------------------------------------------------------------------
# Economics: pure functions (numbers or numpy arrays in, same out)
# --------------------------------------------------------------------------------------------

def launch_cost_usd(mass_kg, launch_price_usd_per_kg):
    """Launch cost [$] = mass [kg] x launch price [$/kg]."""
    return np.multiply(mass_kg, launch_price_usd_per_kg)


def launched_power_price_usd_per_kw_yr(mass_kg, launch_price_usd_per_kg, power_w, life_years):
    """Launched power price [$/kW/yr] = mass x launch price / (power [kW] x life [yr]).

    The launch cost spread over every kW and year of service (Suncatcher, arXiv 2511.19468,
    Table 1: Starlink v2 mini, 575 kg, 28 kW, 5 yr: 14 700 $/kW/yr at 3 600 $/kg).
    """
    return np.asarray(mass_kg) * np.asarray(launch_price_usd_per_kg) / (
        np.asarray(power_w) / 1.0e3 * np.asarray(life_years))


def terrestrial_energy_cost_usd(it_power_w, duration_years, electricity_price_usd_per_kwh, pue=1.0):
    """Electricity bill [$] of a data centre = IT power [kW] x PUE x hours x price [$/kWh]
    (years of 8760 h)."""
    return (np.asarray(it_power_w) / 1.0e3 * np.asarray(pue) * np.asarray(duration_years) * HOURS_PER_YEAR
            * np.asarray(electricity_price_usd_per_kwh))


def terrestrial_power_price_usd_per_kw_yr(electricity_price_usd_per_kwh, pue=1.0):
    """Terrestrial power price [$/kW/yr] per kW of IT load = PUE x 8760 h x price [$/kWh]."""
    return np.asarray(pue) * HOURS_PER_YEAR * np.asarray(electricity_price_usd_per_kwh)


def solar_nameplate_w(it_power_w, capacity_factor, pue=1.0):
    """Nameplate [W] of a solar plant that yields, on average, an IT load times its PUE."""
    return np.asarray(it_power_w) * np.asarray(pue) / np.asarray(capacity_factor)


def rated_array_power_w(cell_area_m2, efficiency, packing_factor, solar_constant_w_m2=1361.0):
    """Rated array power [W] = area of the cell faces [m^2] x cell efficiency at the reference
    temperature x packing factor x solar constant [W/m^2] (1 AU, normal incidence)."""
    return np.asarray(cell_area_m2) * efficiency * packing_factor * solar_constant_w_m2


def parity_launch_price_usd_per_kg(mass_kg, power_w, life_years, terrestrial_usd_per_kw_yr):
    """Launch price [$/kg] at which the launched power price equals a terrestrial power price."""
    return np.asarray(terrestrial_usd_per_kw_yr) * np.asarray(power_w) / 1.0e3 * np.asarray(life_years) \
        / np.asarray(mass_kg)


# --------------------------------------------------------------------------------------------
# Battery cycles and eclipses from the sampled time series
# --------------------------------------------------------------------------------------------

def _reversals(x: np.ndarray) -> np.ndarray:
    """Turning points of a series (first and last points included; plateaus merged; NaN dropped)."""
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size < 2:
        return x
    keep = np.concatenate(([True], np.diff(x) != 0.0))
    x = x[keep]
    if x.size < 3:
        return x
    d = np.diff(x)
    turn = np.sign(d[1:]) != np.sign(d[:-1])
    return np.concatenate((x[:1], x[1:-1][turn], x[-1:]))


def rainflow_cycles(series) -> list[tuple[float, float]]:
    """Rainflow count (ASTM E1049-85, 5.4.4, three-point method) of a series.

    Returns ``[(range, count), ...]``: count 1.0 for a full cycle, 0.5 for a half cycle (the
    ranges that contain the starting point, and those left at the end). Ranges are in the
    series' unit.
    """
    stack: list[float] = []
    cycles: list[tuple[float, float]] = []
    for point in _reversals(series):
        stack.append(float(point))
        while len(stack) >= 3:
            x = abs(stack[-1] - stack[-2])
            y = abs(stack[-2] - stack[-3])
            if x < y:
                break
            if len(stack) == 3:  # Y contains the starting point: half cycle, drop the start
                cycles.append((y, 0.5))
                stack.pop(0)
            else:
                cycles.append((y, 1.0))
                last = stack.pop()
                del stack[-2:]
                stack.append(last)
    cycles.extend((abs(b - a), 0.5) for a, b in zip(stack[:-1], stack[1:]))
    return cycles


def battery_cycle_stats(state_of_charge, duration_s: float, min_dod: float = 0.01) -> dict[str, float]:
    """Depth of discharge and cycles of one node's sampled state of charge (time,).

    The series is taken from its first peak on (the charge from the launch state of charge is
    not a cycle), then counted by rainflow (:func:`rainflow_cycles`). Returns ``dod_max`` [1]
    (largest cycle range), ``dod_mean`` [1] (count-weighted mean range of the counted cycles),
    ``cycles_per_year`` (cycles of at least ``min_dod``, full = 1, half = 0.5, per 365.25 d: a
    finite series is uncertain by half a cycle at each end) and
    ``equivalent_full_cycles_per_year`` (sum of all state-of-charge decreases per year: the
    discharge throughput in capacities). NaN for fewer than 2 finite samples.
    """
    soc = np.asarray(state_of_charge, dtype=np.float64)
    soc = soc[np.isfinite(soc)]
    years = float(duration_s) / _YEAR_S
    if soc.size < 2 or years <= 0:
        nan = float("nan")
        return {"dod_max": nan, "dod_mean": nan, "cycles_per_year": nan,
                "equivalent_full_cycles_per_year": nan}
    rev = _reversals(soc)
    first_peak = 0 if rev.size < 2 or rev[0] > rev[1] else 1
    cycles = rainflow_cycles(rev[first_peak:])
    ranges = np.array([r for r, _ in cycles]) if cycles else np.zeros(0)
    counts = np.array([c for _, c in cycles]) if cycles else np.zeros(0)
    counted = ranges >= min_dod
    n = float(counts[counted].sum())
    drops = -np.diff(soc)
    return {
        "dod_max": float(ranges.max()) if ranges.size else 0.0,
        "dod_mean": float((ranges[counted] * counts[counted]).sum() / n) if n > 0 else 0.0,
        "cycles_per_year": n / years,
        "equivalent_full_cycles_per_year": float(drops[drops > 0].sum()) / years,
    }


def cycles_to_end_of_life(depth_of_discharge, cycles, dod, exponent):
    """Cycles to end of life [count] at a depth of discharge [1]: the power law
    N(D) = N_ref (D_ref / D)^k through the reference point (``dod``, ``cycles``) with exponent
    ``exponent``: the usual fit of cell cycle-life test data against depth of discharge
    (``[node_class.NAME.battery]`` ``cycle_life_*`` keys, with their source)."""
    return cycles * (dod / np.asarray(depth_of_discharge, dtype=np.float64)) ** exponent


def battery_life_years(state_of_charge, duration_s: float, cycles: float, dod: float, exponent: float,
                       min_dod: float = 0.01) -> float:
    """Years to end of life [yr] that the cycling of one node's sampled state of charge allows.

    The cycles are counted as in :func:`battery_cycle_stats` (rainflow from the first peak on,
    ranges of at least ``min_dod``); each cycle of range D uses 1 / N(D) of the life
    (:func:`cycles_to_end_of_life`) and the uses add (Palmgren-Miner rule: M. A. Miner,
    "Cumulative damage in fatigue", J. Appl. Mech. 12, A159-A164, 1945). Life = 1 / (damage per
    year); ``inf`` when no counted cycle. Calendar ageing, temperature and charge rate are not
    modelled: they only shorten the life. NaN for fewer than 2 finite samples.
    """
    soc = np.asarray(state_of_charge, dtype=np.float64)
    soc = soc[np.isfinite(soc)]
    years = float(duration_s) / _YEAR_S
    if soc.size < 2 or years <= 0:
        return float("nan")
    rev = _reversals(soc)
    first_peak = 0 if rev.size < 2 or rev[0] > rev[1] else 1
    damage = sum(count / float(cycles_to_end_of_life(rng, cycles, dod, exponent))
                 for rng, count in rainflow_cycles(rev[first_peak:]) if rng >= min_dod)
    return math.inf if damage == 0 else years / damage


def eclipse_events(sunlit_fraction, dt_s: float) -> dict[str, np.ndarray]:
    """Eclipses in a sampled sunlit fraction (time, node) with sample interval ``dt_s`` [s].

    An eclipse is a run of consecutive samples with sunlit fraction < 1 (NaN ends a run); its
    length is the equivalent full-shadow time sum((1 - f) dt). Returns per node ``count`` (int)
    and ``longest_s`` [s] (0 where there is none).
    """
    f = np.asarray(sunlit_fraction, dtype=np.float64)
    if f.ndim == 1:
        f = f[:, None]
    hidden = np.where(np.isfinite(f), 1.0 - f, 0.0)
    shade = hidden > 1e-12
    n_t, n_n = shade.shape
    count = np.zeros(n_n, dtype=np.int64)
    longest = np.zeros(n_n)
    if n_t == 0:
        return {"count": count, "longest_s": longest}
    starts = shade & ~np.vstack([np.zeros((1, n_n), bool), shade[:-1]])
    count = starts.sum(axis=0).astype(np.int64)
    event_id = np.cumsum(starts, axis=0)  # 1-based id of the current/last event per node
    for j in np.nonzero(count)[0]:
        ids = event_id[shade[:, j], j]
        sums = np.bincount(ids, weights=hidden[shade[:, j], j])
        longest[j] = sums.max() * dt_s
    return {"count": count, "longest_s": longest}


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------

@dataclass
class FeasibilityReport:
    """A feasibility report: ``rows`` (one dict per quantity: ``section``, ``quantity``, ``unit``,
    then one value per group in ``groups``: a float, or a string), ``comparison`` (one dict per
    aspect: ``aspect``, ``orbital``, ``terrestrial``), the ``inputs``, ``definitions`` and the
    ``source`` file."""

    groups: list[str]
    rows: list[dict[str, Any]]
    comparison: list[dict[str, str]]
    inputs: ReportInputs
    source: str = ""
    definitions: list[str] = field(default_factory=list)
    sweep_note: str = ""  #: a sweep file: what the variant columns are

    def value(self, quantity: str, group: str = "fleet") -> Any:
        """The value of ``quantity`` for ``group`` (KeyError if there is no such row)."""
        for row in self.rows:
            if row["quantity"] == quantity:
                return row[group]
        raise KeyError(quantity)


def _group_masks(node_class: Sequence[str], nodes: Sequence[str] = (),
                 entries: Sequence[tuple[str, Sequence[str]]] = ()) -> list[tuple[str, np.ndarray]]:
    """Columns: one per node class, one per constellation entry (``entry:NAME``, only when there
    are several entries), and ``fleet``."""
    classes = list(dict.fromkeys(str(c) for c in node_class))
    arr = np.array([str(c) for c in node_class])
    groups = [(c, arr == c) for c in classes]
    if len(entries) > 1:
        names = np.array([str(n) for n in nodes])
        for entry_name, members in entries:
            groups.append((f"entry:{entry_name}", np.isin(names, np.array([str(m) for m in members]))))
    groups.append(("fleet", np.ones(arr.size, dtype=bool)))
    return groups


def _config_from_file(attrs: Mapping[str, Any], path) -> Any:
    from orbital_sim.config import ConfigError, validate_dict

    text = attrs.get("config_toml")
    if not text:
        raise ReportError(f"{path}: holds no configuration (root attribute config_toml)")
    try:
        return validate_dict(tomllib.loads(str(text)), source_toml=str(text))
    except (tomllib.TOMLDecodeError, ConfigError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ReportError(f"{path}: its stored configuration does not load ({first})") from err


def _perigee_altitudes_m(config) -> dict[str, float]:
    """Node name -> perigee altitude above the equatorial radius [m] at the epoch."""
    out: dict[str, float] = {}
    for g in config.constellation:
        if g.elements is not None:
            rp = g.elements["a_m"] * (1.0 - g.elements["e"])
        else:
            rp = np.linalg.norm(g.states["r_eci_m"], axis=1)
        for name, r in zip(g.names, np.atleast_1d(rp)):
            out[name] = float(r) - _R_EARTH_EQ_M
    return out


_LATENCY_VARS = ("latency_min", "latency_median", "latency_max", "contact_gap_max")


def _node_block_reader(f, name: str, n_nodes: int, block: int = 2048):
    """Yield (node slice, array (time, nodes in block)) of a (time, node) variable."""
    ds = f[name]
    for lo in range(0, n_nodes, block):
        sl = slice(lo, min(lo + block, n_nodes))
        yield sl, ds[:, sl]


def feasibility_report(path: str | os.PathLike, inputs: ReportInputs | None = None,
                       **overrides: Any) -> FeasibilityReport:
    """Build the feasibility report of the finished run in ``path``.

    ``inputs``: a :class:`ReportInputs` (default: its sourced defaults); keyword ``overrides``
    replace single fields (``launch_prices_usd_per_kg=(200.0,)``, ``pue=1.1``...). Needs the
    summary variables (a finished run), the stored configuration, and the ``state_of_charge``
    and ``sunlit_fraction`` time series for the battery and eclipse rows (rows without their
    variable read n/a). Raises :class:`ReportError` with a one-line message.
    """
    with warnings.catch_warnings():
        return _feasibility_report(path, inputs, **overrides)


def _feasibility_report(path: str | os.PathLike, inputs: ReportInputs | None = None,
                        **overrides: Any) -> FeasibilityReport:
    import dataclasses

    inputs = dataclasses.replace(inputs or ReportInputs(), **overrides).check()
    path = Path(path)
    if not path.is_file():
        raise ReportError(f"cannot read {path}: no such file")
    try:
        summary = _output.read_summary(path)
    except OSError as err:
        raise ReportError(f"cannot read {path}: {err}") from err
    attrs = summary["attrs"]
    if "energy_generated" not in summary or "node_class" not in summary:
        raise ReportError(f"{path}: no summary variables (the run did not finish; resume it first)")
    config = _config_from_file(attrs, path)
    sim = config.simulation
    duration_s = float(sim.duration_s)
    nodes = [str(n) for n in summary["node"]]
    node_class = [str(c) for c in summary["node_class"]]
    n = len(nodes)
    entries = [(e.name, g.names) for e, g in zip(config.constellation_entries, config.constellation)]
    groups = _group_masks(node_class, nodes, entries)
    variant = None
    if getattr(config, "sweep", None) is not None and "node_variant" in summary:
        # a sweep: one column per variant (each design alone, its own hardware), named by its
        # swept values; no fleet column (the variants are alternatives, not one fleet)
        from orbital_sim.sweep import variant_columns

        variant = np.asarray(summary["node_variant"])
        _, names = variant_columns(config.sweep.parameters,
                                   {p: config.sweep.values[i] for i, p in enumerate(config.sweep.parameters)})
        groups = [(name, variant == k) for k, name in enumerate(names)]
    solar_constant = float(config.environment.solar_constant_w_m2)

    # per-node hardware from the class
    rated_w = np.zeros(n)
    compute_w = np.zeros(n)
    accelerators = np.zeros(n)
    array_area = np.zeros(n)
    radiator_area = np.zeros(n)
    capacity_j = np.zeros(n)
    m_array = np.zeros(n)
    m_radiator = np.zeros(n)
    m_battery = np.zeros(n)
    m_accel = np.zeros(n)
    m_bus = np.zeros(n)
    cycle_life = np.full((n, 3), np.nan)  # (cycles, dod, exponent) of the class's relation, if any
    designs = []  # (nodes, their class's hardware)
    for cname in set(node_class):
        is_class = np.array([c == cname for c in node_class])
        if variant is None:
            designs.append((is_class, config.node_classes.get(cname)))
        else:
            designs += [(is_class & (variant == k), v.node_classes.get(cname))
                        for k, v in enumerate(config.sweep.variants)]
    for sel, nc in designs:
        if nc is None:
            raise ReportError(f"{path}: a node class of the file is not in the stored configuration")
        cells = sum(s.area_m2 for s in nc.surfaces if s.solar_cells)
        rad = sum(s.area_m2 for s in nc.surfaces if not s.solar_cells)
        rated_w[sel] = rated_array_power_w(cells, nc.power.array_efficiency, nc.power.array_packing_factor,
                                           solar_constant)
        compute_w[sel] = nc.compute.accelerators * nc.compute.accelerator_power_w
        accelerators[sel] = nc.compute.accelerators
        array_area[sel] = cells
        radiator_area[sel] = rad
        capacity_j[sel] = nc.battery.capacity_j
        m = nc.mass
        m_array[sel] = cells * m.array_areal_mass_kg_m2
        m_radiator[sel] = rad * m.radiator_areal_mass_kg_m2
        m_battery[sel] = nc.battery.capacity_j / m.battery_specific_energy_j_kg
        m_accel[sel] = nc.compute.accelerators * m.accelerator_mass_kg
        m_bus[sel] = m.bus_mass_kg
        if getattr(nc.battery, "cycle_life_cycles", None) is not None:
            cycle_life[sel] = (nc.battery.cycle_life_cycles, nc.battery.cycle_life_dod, nc.battery.cycle_life_exponent)
    m_total = m_array + m_radiator + m_battery + m_accel + m_bus

    generated = np.asarray(summary["energy_generated"], dtype=np.float64)
    shed = np.asarray(summary.get("energy_shed", np.full(n, np.nan)), dtype=np.float64)
    delivered = np.asarray(summary.get("compute_delivered", np.full(n, np.nan)), dtype=np.float64)
    ecl = np.asarray(summary.get("eclipse_fraction", np.full(n, np.nan)), dtype=np.float64)
    soc_min = np.asarray(summary.get("state_of_charge_min", np.full(n, np.nan)), dtype=np.float64)
    status = np.asarray(summary.get("status", np.zeros(n)), dtype=np.int64)

    # time series: eclipses and battery cycles, read in node blocks
    ecl_count = np.full(n, np.nan)
    ecl_longest = np.full(n, np.nan)
    dod_max = np.full(n, np.nan)
    dod_max_run = np.full(n, np.nan)  # whole run, the first discharge from the launch state included
    settled_from = np.asarray(summary["warmup_end"], dtype=np.float64) if "warmup_end" in summary else None
    if "state_of_charge_min_settled" in summary and np.isfinite(summary["state_of_charge_min_settled"]).any():
        soc_min = np.asarray(summary["state_of_charge_min_settled"], dtype=np.float64)
    cycles_yr = np.full(n, np.nan)
    efc_yr = np.full(n, np.nan)
    life_yr = np.full(n, np.nan)
    latency: dict[str, np.ndarray] = {}
    with _output._open_read(path) as f:
        t = f["time"][...] if "time" in f else np.zeros(0)
        if t.size and abs(float(t[-1]) - duration_s) > 1e-6 * duration_s:
            raise ReportError(f"{path}: holds {float(t[-1]):g} s of the {duration_s:g} s run "
                              "(unfinished; resume it first)")
        dt_out = float(sim.output_every_s)
        if "sunlit_fraction" in f:
            for sl, block in _node_block_reader(f, "sunlit_fraction", n):
                ev = eclipse_events(block, dt_out)
                ecl_count[sl] = ev["count"]
                ecl_longest[sl] = ev["longest_s"]
        if "state_of_charge" in f:
            for sl, block in _node_block_reader(f, "state_of_charge", n):
                for j in range(block.shape[1]):
                    i = sl.start + j
                    st = battery_cycle_stats(block[:, j], duration_s, inputs.min_cycle_dod)
                    dod_max_run[i] = st["dod_max"]
                    series, span_s = block[:, j], duration_s
                    if settled_from is not None:  # the settled window (health.WINDOW_RULE)
                        inside = t >= settled_from[i]
                        series, span_s = block[inside, j], duration_s - float(settled_from[i])
                        st = battery_cycle_stats(series, span_s, inputs.min_cycle_dod)
                    dod_max[i] = st["dod_max"]
                    cycles_yr[i] = st["cycles_per_year"]
                    efc_yr[i] = st["equivalent_full_cycles_per_year"]
                    if np.isfinite(cycle_life[i, 0]):  # life: the whole run's cycles (a long-run rate)
                        life_yr[i] = battery_life_years(block[:, j], duration_s, *cycle_life[i],
                                                        min_dod=inputs.min_cycle_dod)
        if all(v in f for v in _LATENCY_VARS):
            latency = {v: np.asarray(f[v][...], dtype=np.float64) for v in _LATENCY_VARS}
    perigee = _perigee_altitudes_m(config)
    alt_m = np.array([perigee.get(name, np.nan) for name in nodes])

    life = inputs.life_years
    delivered_w = compute_w * np.where(accelerators > 0, delivered / np.maximum(accelerators, 1) / duration_s, 0.0)
    terr_price = float(terrestrial_power_price_usd_per_kw_yr(inputs.electricity_price_usd_per_kwh, inputs.pue))

    rows: list[dict[str, Any]] = []

    def add(section: str, quantity: str, unit: str, fn) -> None:
        row: dict[str, Any] = {"section": section, "quantity": quantity, "unit": unit}
        for gname, mask in groups:
            try:
                with np.errstate(all="ignore"):
                    v = fn(mask)
            except (ValueError, ZeroDivisionError, FloatingPointError):
                v = float("nan")
            row[gname] = v if isinstance(v, str) else float(v)
        rows.append(row)

    def s(a, m):  # sum of finite values
        x = a[m]
        x = x[np.isfinite(x)]
        return float(x.sum())

    def mean(a, m):
        x = a[m]
        x = x[np.isfinite(x)]
        return float(x.mean()) if x.size else float("nan")

    def mx(a, m):
        x = a[m]
        x = x[np.isfinite(x)]
        return float(x.max()) if x.size else float("nan")

    def mn(a, m):
        x = a[m]
        x = x[np.isfinite(x)]
        return float(x.min()) if x.size else float("nan")

    def ratio(a, b):
        return a / b if b else float("nan")

    ok = status == 0
    sec = "fleet"
    add(sec, "nodes", "count", lambda m: m.sum())
    add(sec, "nodes with fault status", "count", lambda m: (~ok[m]).sum())
    if "brownout" in summary:
        browned = np.asarray(summary["brownout"]) != 0
        unmet = np.asarray(summary.get("energy_unmet_total", np.full(n, np.nan)), dtype=np.float64)
        add(sec, "nodes browned out (bus not carried)", "count", lambda m: browned[m].sum())
        add(sec, "energy unmet (bus), total", "kWh", lambda m: s(unmet, m) / _J_PER_KWH)
    add(sec, "simulated time", "d", lambda m: duration_s / 86400.0)
    add(sec, "rated array power per node", "kW", lambda m: mean(rated_w, m) / 1e3)
    add(sec, "compute nameplate per node", "kW", lambda m: mean(compute_w, m) / 1e3)
    add(sec, "compute nameplate, total", "MW", lambda m: s(compute_w, m) / 1e6)
    sec = "power"
    add(sec, "array capacity factor", "%",
        lambda m: 100 * ratio(s(generated, m), s(rated_w, m & np.isfinite(generated)) * duration_s))
    add(sec, "array energy shed", "% of produced", lambda m: 100 * ratio(s(shed, m), s(generated, m)))
    # one computation with the run's summary table (health.compute_availability)
    nameplate = np.asarray(summary["compute_nameplate"], dtype=np.float64) if "compute_nameplate" in summary \
        else accelerators * duration_s
    add(sec, "compute availability", "%", lambda m: 100 * compute_availability(delivered, nameplate, m))
    add(sec, "compute availability, worst node", "%",
        lambda m: 100 * mn(node_availability(delivered, nameplate), m))
    sec = "eclipses"
    add(sec, "eclipse fraction, mean", "%", lambda m: 100 * mean(ecl, m))
    add(sec, "eclipse fraction, max", "%", lambda m: 100 * mx(ecl, m))
    add(sec, "eclipses per day, mean", "1/d", lambda m: mean(ecl_count, m) / (duration_s / 86400.0))
    add(sec, "longest eclipse", "min", lambda m: mx(ecl_longest, m) / 60.0)
    sec = "battery"
    add(sec, "capacity per node", "kWh", lambda m: mean(capacity_j, m) / _J_PER_KWH)
    # settled window (health.WINDOW_RULE) when the file has warmup_end; the definitions say so
    add(sec, "depth of discharge, max", "%", lambda m: 100 * mx(dod_max, m))
    add(sec, "depth of discharge, mean of node maxima", "%", lambda m: 100 * mean(dod_max, m))
    if settled_from is not None:
        add(sec, "depth of discharge, max, whole run", "%", lambda m: 100 * mx(dod_max_run, m))
    add(sec, "state of charge, min", "%", lambda m: 100 * mn(soc_min, m))
    add(sec, "cycles per year (rainflow)", "1/yr", lambda m: mean(cycles_yr, m))
    add(sec, "equivalent full cycles per year", "1/yr", lambda m: mean(efc_yr, m))
    if np.isfinite(cycle_life[:, 0]).any():  # a class gives a cycle-life relation
        add(sec, "battery cycle life, shortest (rainflow, Miner)", "yr", lambda m: mn(life_yr, m))
        add(sec, "battery cycle life used per year, max", "%/yr",
            lambda m: 100 * mx(np.where(life_yr > 0, 1.0 / life_yr, np.nan), m))
    sec = "thermal margins"  # to each component's operating_limits_c / survival_limits_c (design_cases.py)
    margins = _limit_margins(path)
    for comp, (op, _) in margins.items():
        add(sec, f"margin to operating limits, worst node: {comp}", "K", lambda m, a=op: mn(a, m))
    for word, level in (("operating", 1), ("survival", 2)):
        if margins:
            flags = np.stack([fl for _, fl in margins.values()], axis=1)
            add(sec, f"nodes outside {word} limits", "count", lambda m, lv=level: int(((flags[m] >= lv).any(1)).sum()))
    sec = "size and mass"
    add(sec, "array area per node", "m^2", lambda m: mean(array_area, m))
    add(sec, "radiator area per node", "m^2", lambda m: mean(radiator_area, m))
    add(sec, "radiator area per kW of compute", "m^2/kW", lambda m: ratio(s(radiator_area, m), s(compute_w, m) / 1e3))
    add(sec, "array mass per node", "kg", lambda m: mean(m_array, m))
    add(sec, "radiator mass per node", "kg", lambda m: mean(m_radiator, m))
    add(sec, "battery mass per node", "kg", lambda m: mean(m_battery, m))
    add(sec, "accelerator mass per node", "kg", lambda m: mean(m_accel, m))
    add(sec, "bus mass per node", "kg", lambda m: mean(m_bus, m))
    add(sec, "launched mass per node", "kg", lambda m: mean(m_total, m))
    add(sec, "launched mass, total", "t", lambda m: s(m_total, m) / 1e3)
    add(sec, "launched mass per MW of compute", "t/MW", lambda m: ratio(s(m_total, m) / 1e3, s(compute_w, m) / 1e6))
    sec = "launch economics"
    add(sec, "service life", "yr", lambda m: life)
    for price in inputs.launch_prices_usd_per_kg:
        tag = f"at {price:,.0f} $/kg"
        add(sec, f"launch cost, total, {tag}", "M$", lambda m, p=price: s(m_total, m) * p / 1e6)
        add(sec, f"launched power price per kW of array, {tag}", "$/kW/yr",
            lambda m, p=price: launched_power_price_usd_per_kw_yr(s(m_total, m), p, s(rated_w, m), life))
        add(sec, f"launched power price per kW of compute delivered, {tag}", "$/kW/yr",
            lambda m, p=price: launched_power_price_usd_per_kw_yr(s(m_total, m), p, s(delivered_w, m), life))
    add(sec, "launch price at parity with terrestrial power", "$/kg",
        lambda m: parity_launch_price_usd_per_kg(s(m_total, m), s(delivered_w, m), life, terr_price))
    sec = "terrestrial (same compute)"
    add(sec, "PUE", "1", lambda m: inputs.pue)
    add(sec, "electricity price", "$/kWh", lambda m: inputs.electricity_price_usd_per_kwh)
    add(sec, "power price per kW of IT load", "$/kW/yr", lambda m: terr_price)
    add(sec, "electricity cost over the service life", "M$",
        lambda m: terrestrial_energy_cost_usd(s(delivered_w, m), life, inputs.electricity_price_usd_per_kwh,
                                              inputs.pue) / 1e6)
    add(sec, "solar nameplate for the same compute", "MW",
        lambda m: solar_nameplate_w(s(delivered_w, m), inputs.solar_capacity_factor, inputs.pue) / 1e6)
    add(sec, "solar capacity factor", "%", lambda m: 100 * inputs.solar_capacity_factor)
    add(sec, "interconnection wait", "yr", lambda m: inputs.interconnection_wait_years)
    rad_cfg = getattr(config, "radiation", None)
    if rad_cfg is not None and "ionizing_dose" in summary:  # [radiation] (orbital_sim/radiation.py)
        sec = "radiation"
        dose_yr = np.asarray(summary["ionizing_dose"], float) / duration_s * 365.25 * 86400.0  # Gy(Si)/yr
        saa_pct = 100 * np.asarray(summary["saa_time"], float) / duration_s
        shield = f"{rad_cfg.shield_thickness_m * 1e3:g} mm Al"
        add(sec, f"ionising dose behind {shield}, mean", "krad(Si)/yr", lambda m: mean(dose_yr, m) / 10.0)
        add(sec, f"ionising dose behind {shield}, max", "krad(Si)/yr", lambda m: mx(dose_yr, m) / 10.0)
        add(sec, f"life at the chip tolerance ({rad_cfg.chip_tolerance_gy / 10:g} krad), worst node", "yr",
            lambda m: rad_cfg.chip_tolerance_gy / mx(dose_yr, m))
        add(sec, "time in the South Atlantic Anomaly, mean", "%", lambda m: mean(saa_pct, m))
    sec = "latency"
    if latency:
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows (a node no station saw) -> NaN
        best = np.nanmin(latency["latency_min"], axis=1) if latency["latency_min"].ndim == 2 \
            else latency["latency_min"]
        med = np.nanmedian(latency["latency_median"], axis=1) if latency["latency_median"].ndim == 2 \
            else latency["latency_median"]
        worst = np.nanmax(latency["latency_max"], axis=1) if latency["latency_max"].ndim == 2 \
            else latency["latency_max"]
        gap = np.nanmin(latency["contact_gap_max"], axis=1) if latency["contact_gap_max"].ndim == 2 \
            else latency["contact_gap_max"]
        add(sec, "latency to ground, min", "ms", lambda m: 1e3 * mn(best, m))
        add(sec, "latency to ground, median", "ms", lambda m: 1e3 * mean(med, m))
        add(sec, "latency to ground, max", "ms", lambda m: 1e3 * mx(worst, m))
        add(sec, "longest contact gap (best station)", "min", lambda m: mx(gap, m) / 60.0)
    else:
        add(sec, "one-way light time at zenith (lower bound)", "ms",
            lambda m: 1e3 * mn(alt_m, m) / SPEED_OF_LIGHT_M_S)
    add(sec, "lowest perigee altitude", "km", lambda m: mn(alt_m, m) / 1e3)

    report = FeasibilityReport(groups=[g for g, _ in groups], rows=rows, comparison=[], inputs=inputs,
                               source=str(path))
    if variant is not None:
        report.sweep_note = (f"sweep ({config.sweep.mode}): one column per variant, named by its values of "
                             + " / ".join(config.sweep.parameters))
    # the terrestrial comparison speaks of one fleet: not of a sweep's alternative designs
    report.comparison = [] if variant is not None else _comparison(report, inputs, bool(latency))
    report.definitions = _definitions(inputs, bool(latency))
    if settled_from is not None:  # first: the window the battery rows use
        from orbital_sim.health import WINDOW_RULE

        report.definitions.insert(0, f"battery depth of discharge, cycles and minimum state of charge: {WINDOW_RULE} "
                                     f"(warmup_end {np.nanmin(settled_from) / 3600:.3g}-"
                                     f"{np.nanmax(settled_from) / 3600:.3g} h here); 'whole run' rows include "
                                     "the start")
    return report


def _limit_margins(path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{component: (margin to its operating limits [K] per node, limit flag per node)} for the
    components that have limits; {} for a file without the limit summaries."""
    import h5py

    with h5py.File(path, "r") as f:
        if "temperature_margin_operating" not in f or "temperature_limit_flag" not in f:
            return {}
        comps = [c.decode() if isinstance(c, bytes) else str(c) for c in f["component"][...]]
        op = np.asarray(f["temperature_margin_operating"][...], dtype=np.float64)
        flag = np.asarray(f["temperature_limit_flag"][...])
    return {c: (op[:, j], flag[:, j]) for j, c in enumerate(comps) if np.isfinite(op[:, j]).any()}


def _num(x: Any, spec: str = ".3g") -> str:
    if isinstance(x, str):
        return x
    if x is None or not np.isfinite(x):
        return "n/a"
    if spec == ",.0f":
        return f"{x:,.0f}"
    text = format(x, spec)
    if "e" in text:  # 3 significant figures without exponents for readable money
        text = f"{x:,.0f}" if abs(x) >= 1 else f"{x:.3g}"
    return text


def _comparison(r: FeasibilityReport, inputs: ReportInputs, has_latency: bool):
    v = r.value
    prices = inputs.launch_prices_usd_per_kg
    ref_price = 200.0 if 200.0 in prices else prices[len(prices) // 2]
    lpp = v(f"launched power price per kW of compute delivered, at {ref_price:,.0f} $/kg")
    lpp_lo = min(v(f"launched power price per kW of compute delivered, at {p:,.0f} $/kg") for p in prices)
    lpp_hi = max(v(f"launched power price per kW of compute delivered, at {p:,.0f} $/kg") for p in prices)
    if has_latency:
        lat = (f"{_num(v('latency to ground, min'))}-{_num(v('latency to ground, max'))} ms to the ground "
               f"stations (median {_num(v('latency to ground, median'))} ms); longest gap without a "
               f"station {_num(v('longest contact gap (best station)'))} min")
    else:
        lat = (f">= {_num(v('one-way light time at zenith (lower bound)'))} ms one way (light time at the "
               f"zenith from {_num(v('lowest perigee altitude'))} km; a lower bound: no ground stations "
               "in the file)")
    return [
        {"aspect": "energy source",
         "orbital": (f"solar array, capacity factor {_num(v('array capacity factor'))} % "
                     f"(rated {_num(v('rated array power per node'))} kW per node, eclipsed "
                     f"{_num(v('eclipse fraction, mean'))} % of the time, longest eclipse "
                     f"{_num(v('longest eclipse'))} min); battery {_num(v('capacity per node'))} kWh per "
                     f"node, max depth of discharge {_num(v('depth of discharge, max'))} %, "
                     f"{_num(v('cycles per year (rainflow)'))} cycles/yr"),
         "terrestrial": (f"grid at {inputs.electricity_price_usd_per_kwh:g} $/kWh x PUE {inputs.pue:g}: "
                         f"{_num(v('power price per kW of IT load'))} $/kW/yr; or solar at "
                         f"{100 * inputs.solar_capacity_factor:g} % capacity factor: "
                         f"{_num(v('solar nameplate for the same compute'))} MW nameplate for the fleet's "
                         "delivered compute (plus storage for the night)")},
        {"aspect": "cooling",
         "orbital": (f"radiators: {_num(v('radiator area per node'))} m^2 per node "
                     f"({_num(v('radiator area per kW of compute'))} m^2 per kW of compute), "
                     f"{_num(v('radiator mass per node'))} kg per node; no water"),
         "terrestrial": (f"PUE {inputs.pue:g}: {_num(100 * (inputs.pue - 1))} % of the IT power again for "
                         "cooling and power distribution (water use not modelled)")},
        {"aspect": "maintenance",
         "orbital": (f"none in orbit: a node is replaced by launching a new one after "
                     f"{inputs.life_years:g} yr; compute availability {_num(v('compute availability'))} % "
                     f"(worst node {_num(v('compute availability, worst node'))} %), "
                     f"{_num(v('nodes with fault status'), '.0f')} faulted nodes in "
                     f"{_num(v('simulated time'))} d"),
         "terrestrial": "on-site repair and hardware refresh (not modelled: n/a)"},
        {"aspect": "latency",
         "orbital": lat,
         "terrestrial": "set by the site's distance to users (not modelled: n/a)"},
        {"aspect": "deployment barrier",
         "orbital": (f"launch: {_num(v('launched mass per MW of compute'))} t per MW of compute, "
                     f"{_num(v('launched mass, total'))} t for the fleet; launch cost "
                     f"{_num(v(f'launch cost, total, at {prices[0]:,.0f} $/kg'))} M$ at "
                     f"{prices[0]:,.0f} $/kg to {_num(v(f'launch cost, total, at {prices[-1]:,.0f} $/kg'))} "
                     f"M$ at {prices[-1]:,.0f} $/kg"),
         "terrestrial": (f"grid interconnection: median wait {inputs.interconnection_wait_years:g} yr "
                         "(LBNL Queued Up 2024), plus permits and land")},
        {"aspect": "scalability limit",
         "orbital": (f"launch price: {_num(lpp_lo)}-{_num(lpp_hi)} $/kW/yr of delivered compute over the "
                     f"sweep ({_num(lpp)} at {ref_price:,.0f} $/kg); parity with terrestrial power at "
                     f"{_num(v('launch price at parity with terrestrial power'))} $/kg"),
         "terrestrial": (f"power: {_num(v('power price per kW of IT load'))} $/kW/yr "
                         f"(published band {TERRESTRIAL_POWER_PRICE_BAND_USD_PER_KW_YR[0]:,.0f}-"
                         f"{TERRESTRIAL_POWER_PRICE_BAND_USD_PER_KW_YR[1]:,.0f}); grid capacity and "
                         "the interconnection queue")},
    ]


def _definitions(inputs: ReportInputs, has_latency: bool) -> list[str]:
    return [
        "rated array power = area of the cell faces x cell efficiency at the reference temperature "
        "x packing factor x solar constant (1 AU, normal incidence, beginning of life)",
        "capacity factor = array energy produced (every step; shed surplus and albedo included) / "
        "(rated power x run duration)",
        "compute availability = accelerator-seconds delivered / (accelerators x run duration)",
        "eclipse = consecutive samples with sunlit fraction < 1; length = sum of (1 - sunlit "
        "fraction) x output interval (resolved to the output interval)",
        f"battery cycles: rainflow (ASTM E1049-85) on the sampled state of charge from its first peak "
        f"on; cycles (full 1, half 0.5) of at least {100 * inputs.min_cycle_dod:g} % depth counted and "
        "scaled from the run to a year; depth of discharge = "
        "cycle range in state of charge; equivalent full cycles = sum of decreases of the state of "
        "charge per year",
        "array = surfaces with cells; radiator = every other surface; masses from "
        "[node_class.NAME.mass] (defaults: array 3.1 kg/m^2 ISS iROSA, radiator 7 kg/m^2 "
        "conventional (NASA SBIR), battery 160 Wh/kg Saft VES180, accelerator 18.9 kg = GB200 NVL72 "
        "1.36 t / 72, bus 0 kg: structure, avionics and propulsion are not counted unless given)",
        f"launched power price = launched mass x launch price / (power x {inputs.life_years:g} yr); "
        "per kW of array: Suncatcher's definition; per kW of compute delivered: nameplate x availability",
        "terrestrial power price = PUE x 8760 h x electricity price, per kW of IT load; "
        f"PUE {inputs.pue:g} (Uptime Institute 2024 average; hyperscale about 1.1), "
        f"{inputs.electricity_price_usd_per_kwh:g} $/kWh (EIA 2024 US industrial average), solar "
        f"capacity factor {100 * inputs.solar_capacity_factor:g} % (EIA), interconnection wait "
        f"{inputs.interconnection_wait_years:g} yr (LBNL, Queued Up 2024)",
        ("latency from the ground-station summary variables" if has_latency else
         "latency: one-way light time at the zenith from the lowest perigee (a lower bound: the file "
         "holds no ground-station variables)"),
    ]


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------

def _cell(v: Any) -> str:
    if isinstance(v, str):
        return v
    if not np.isfinite(v):
        return "n/a"
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def write_csv(report: FeasibilityReport, path: str | os.PathLike,
              comparison_path: str | os.PathLike | None = None) -> list[Path]:
    """Write the quantities (full precision) to ``path`` and the comparison table to
    ``comparison_path`` (default: ``path`` with ``_comparison`` before the suffix)."""
    path = Path(path)
    comparison_path = Path(comparison_path) if comparison_path else \
        path.with_name(path.stem + "_comparison" + path.suffix)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["section", "quantity", "unit", *report.groups])
        for row in report.rows:
            w.writerow([row["section"], row["quantity"], row["unit"],
                         *[(row[g] if isinstance(row[g], str) else repr(float(row[g])))
                           for g in report.groups]])
    with open(comparison_path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["aspect", "orbital", "terrestrial"])
        for row in report.comparison:
            w.writerow([row["aspect"], row["orbital"], row["terrestrial"]])
    return [path, comparison_path]


def to_markdown(report: FeasibilityReport, title: str = "Feasibility report") -> str:
    """The report as Markdown: the comparison table, the quantities by section, the definitions."""
    out = [f"# {title}", ""]
    if report.source:
        out += [f"Run: `{Path(report.source).name}`.", ""]
    out += ["## Orbital vs terrestrial", "", "| aspect | orbital (this run) | terrestrial, same compute |",
            "|---|---|---|"]
    out += [f"| {r['aspect']} | {r['orbital']} | {r['terrestrial']} |" for r in report.comparison]
    section = None
    for row in report.rows:
        if row["section"] != section:
            section = row["section"]
            out += ["", f"## {section[0].upper() + section[1:]}", "",
                    "| quantity | unit | " + " | ".join(report.groups) + " |",
                    "|---|---|" + "---:|" * len(report.groups)]
        out.append(f"| {row['quantity']} | {row['unit']} | "
                   + " | ".join(_cell(row[g]) for g in report.groups) + " |")
    out += ["", "## Definitions and inputs", ""]
    out += [f"- {d}" for d in report.definitions]
    return "\n".join(out) + "\n"


def format_text(report: FeasibilityReport) -> str:
    """Plain-text table for the terminal: quantities by section, then the comparison."""
    head = ["quantity", "unit", *report.groups]
    body = [[r["quantity"], r["unit"], *[_cell(r[g]) for g in report.groups]] for r in report.rows]
    widths = [max(len(str(x[i])) for x in [head, *body]) for i in range(len(head))]

    def line(cells):
        return "  ".join([str(cells[0]).ljust(widths[0]), str(cells[1]).ljust(widths[1])]
                         + [str(c).rjust(w) for c, w in zip(cells[2:], widths[2:])]).rstrip()

    out = io.StringIO()
    section = None
    if report.sweep_note:
        print(report.sweep_note, file=out)
    for d in report.definitions:  # the window of the battery rows, above the table
        if d.startswith("battery depth of discharge, cycles"):
            print(d, file=out)
    print(line(head), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for r, cells in zip(report.rows, body):
        if r["section"] != section:
            section = r["section"]
            print(f"[{section}]", file=out)
        print(line(cells), file=out)
    print("", file=out)
    for c in report.comparison:
        print(f"{c['aspect']}:", file=out)
        print(f"  orbital:     {c['orbital']}", file=out)
        print(f"  terrestrial: {c['terrestrial']}", file=out)
    return out.getvalue().rstrip("\n")


def write_report(report: FeasibilityReport, out_dir: str | os.PathLike, stem: str = "report",
                 title: str = "Feasibility report") -> list[Path]:
    """Write ``STEM.csv``, ``STEM_comparison.csv`` and ``STEM.md`` into ``out_dir`` (which must
    exist). Returns the paths."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise ReportError(f"output directory does not exist: {out_dir} (create it first)")
    written = write_csv(report, out_dir / f"{stem}.csv")
    md = out_dir / f"{stem}.md"
    md.write_text(to_markdown(report, title))
    return [*written, md]
