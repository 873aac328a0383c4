"""The checker: walks a raw config dict against the schema, collects every problem and
builds the :class:`~orbital_sim.config.types.Config` (:func:`validate_dict`)."""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any, Mapping

import numpy as np

from orbital_sim import timescales
from orbital_sim.sweep import validate_sweep
from orbital_sim.config_text import (
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
    ConstellationEntry,
    build_groups,
    entry_size,
    node_names,
    sso_inclination_rad,
)
from orbital_sim.kernels.constants import GM_EARTH_M3_S2, R_EARTH_EQ_M
from orbital_sim.config.types import (
    ApproachesConfig,
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
    RadiationConfig,
    SimulationConfig,
    SurfaceConfig,
)
from orbital_sim.config.schema import (
    APPROACHES_SCHEMA,
    COMPONENT_SCHEMA,
    COUPLING_SCHEMA,
    CYCLE_LIFE_KEYS,
    DRAG_SCHEMA,
    ENTRY_COMMON_SCHEMA,
    ENTRY_SCHEMAS,
    ENVIRONMENT_SCHEMA,
    EPOCH_YEARS,
    Field,
    GROUND_STATION_SCHEMA,
    MASS_SCHEMA,
    MAX_STEPS,
    NODE_CLASS_TABLES,
    OUTPUT_SCHEMA,
    RADIATION_SCHEMA,
    SIMULATION_SCHEMA,
    SURFACE_SCHEMA,
    TOP_LEVEL_KEYS,
    _default_si,
    _describe,
    _LIST_ERRORS_SHOWN,
    _listing,
    _NAME_RE,
    _NAME_RULE,
    _range_text,
    _range_unit,
    _REQUIRED,
    _si_key,
    _to_si,
    _typename,
    _unit_text,
)


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
                else:
                    out[si_key] = _default_si(f)
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
    # a surface is named in messages by its name where that addresses it (unique, not a number:
    # the path can be pasted into --set or [sweep]), else by its index
    all_names = [item.get("name") for _, item in items or []]
    for i, item in items or []:
        name = item.get("name")
        by_name = isinstance(name, str) and all_names.count(name) == 1 and _NAME_RE.match(name) is not None
        p = _join(spath, name if by_name else i)
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

    # references to components; the ones a class makes unambiguous may be left out
    if known is not None:
        _default_components(c, path, out, known)
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


def _default_components(c: _Checker, path: str, out: dict, known) -> None:
    """Fill ``power.bus_heat_component``, ``power.array_component`` and ``battery.component``
    where the config leaves them out and the class makes them unambiguous: the component named
    ``bus`` (``battery``), else the only component; the array's: the one component that holds
    every surface with solar cells (else the only component). Otherwise: required."""
    def only(names):
        names = list(dict.fromkeys(names))
        return names[0] if len(names) == 1 else None

    cells = [s.get("component") for s in out["surfaces"] if s.get("solar_cells") and s.get("component") in known]
    rules = (
        ("power", "bus_heat_component", "bus", None, 'a component named "bus"'),
        ("power", "array_component", None, cells, "the surfaces with solar cells on one component"),
        ("battery", "component", "battery", None, 'a component named "battery"'),
    )
    for table, key, named, candidates, needs in rules:
        values = out[table]
        if values is None or values.get(key, "") is not None:
            continue  # the table is missing (reported) or the key is given
        choice = named if named in known else only(candidates) if candidates else only(known)
        if choice is None:
            c.note(f"{path}.{table}.{key}", f"required key is missing (a component name; it can be left out "
                   f"only with {needs} or a single component)")
            del values[key]
        else:
            values[key] = choice


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


def _radiation(values: dict | None) -> RadiationConfig | None:
    return None if values is None else RadiationConfig(**values)


def _approaches(values: dict | None) -> ApproachesConfig | None:
    return None if values is None else ApproachesConfig(**values)
