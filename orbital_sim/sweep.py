"""Parameter sweeps: many variants of one scenario in one compiled run (``[sweep]``).

A ``[sweep]`` table names config key paths and lists their values::

    [sweep]
    mode = "grid"                                         # cartesian product (default) or "zip"
    "constellation.0.altitude_km" = [500, 550, 600, 650]
    "constellation.0.ltan_h" = [6.0, 9.0, 12.0]
    "node_class.compute.surfaces.radiator.area_m2" = [60, 80]

Each variant is the scenario with one value of every parameter written in (like ``--set``):
``grid`` makes every combination (4 x 3 x 2 = 24 variants, the last parameter varying fastest),
``zip`` takes the k-th value of every list (all lists the same length). A key path is the
dotted path of ``--set``; inside an array of tables a segment is an index (``constellation.0``)
or the ``name`` of an element (``surfaces.radiator``, ``constellation.dawn-dusk``). Unquoted
dotted keys (``constellation.0.altitude_km = [...]`` without quotes, which TOML reads as nested
tables) mean the same path.

What can vary: keys under ``node_class`` and ``constellation`` (per-node hardware and orbits),
and ``[environment]`` keys but the shadow's (``shadow_radius_km``, ``albedo_model``): each node
then carries its variant's albedo, Earth IR and solar constant (``environment.case`` sweeps the
thermal design cases, orbital_sim/design_cases.py). ``[simulation]`` and ``[output]`` are shared
by every variant (one time grid, one Sun, one compiled function) and cannot be swept. Every variant is checked as a whole config
(problems name the variant, the key path and the value), and every variant must place the same
nodes (names and count) with the same thermal components.

The run flattens (variant, node) into the node axis of one fleet: variant k's nodes are named
``v{k}/{node}`` (``v07/dawn-dusk-p00-s000``, zero-padded) and follow variant k-1's. The output
file records the sweep (``variant`` dimension, ``node_variant(node)``, one ``sweep_*(variant)``
variable per parameter); :func:`orbital_sim.open_results` presents it with a ``variant``
dimension (docs/output_format.md).

This module imports NumPy, the standard library and :mod:`orbital_sim.config_text` only (no JAX,
nothing of :mod:`orbital_sim.config`).
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from orbital_sim.config_text import MAX_NODES, ConfigError, _fmt, _join, _suggest, dumps_toml, find_element

__all__ = [
    "MAX_VARIANTS",
    "SWEEP_MODES",
    "SweepConfig",
    "merged_config",
    "output_records",
    "parameter_variable_name",
    "parameter_units",
    "variant_label",
    "validate_sweep",
]

SWEEP_MODES = ("grid", "zip")
MAX_VARIANTS = 10_000  # each variant is validated as a whole config (about 1-10 ms each)
SWEEPABLE_SECTIONS = ("node_class", "constellation", "environment")
_SHARED_SECTIONS = ("simulation", "output")
#: environment keys every variant shares (one shadow model for the compiled run)
_SHARED_ENVIRONMENT_KEYS = ("shadow_radius_km", "albedo_model")
_PROBLEMS_SHOWN = 20  # distinct variant problems listed before summarising the rest


@dataclass(frozen=True)
class SweepConfig:
    """A validated ``[sweep]``: ``values[p][k]`` is parameter ``parameters[p]`` in variant k
    (as written in the config, config units); ``variants[k]`` the variant's own Config."""

    mode: str  # "grid" | "zip"
    parameters: tuple[str, ...]  # key paths, in config order
    values: tuple[tuple[Any, ...], ...]  # (n_parameters, n_variants)
    variants: tuple[Any, ...]  # orbital_sim.config.Config per variant (sweep = None)

    @property
    def n_variants(self) -> int:
        return len(self.variants)

    def overrides(self, k: int) -> dict[str, Any]:
        """``{key path: value}`` that make variant k from the base scenario."""
        return {p: self.values[i][k] for i, p in enumerate(self.parameters)}

    def label(self, k: int) -> str:
        """``v07``: the prefix of variant k's node names."""
        return variant_label(k, self.n_variants)


def variant_label(k: int, n_variants: int) -> str:
    """Variant k's node-name prefix: ``v`` and k zero-padded to the width of n_variants - 1."""
    width = max(2, len(str(max(n_variants - 1, 0))))
    return f"v{k:0{width}d}"


def parameter_variable_name(path: str) -> str:
    """The output variable of a swept parameter: ``constellation.0.altitude_km`` ->
    ``sweep_constellation_0_altitude_km`` (characters other than letters, digits, _ -> _)."""
    return "sweep_" + re.sub(r"[^A-Za-z0-9_]", "_", path)


_UNIT_SUFFIXES = (  # key suffix -> units attribute (CF/udunits spelling)
    ("_km_s", "km s-1"), ("_km", "km"), ("_deg", "degree"), ("_kwh", "kWh"), ("_c", "degC"),
    ("_m2", "m2"), ("_w_k", "W K-1"), ("_j_k", "J K-1"), ("_w_m2", "W m-2"), ("_w", "W"),
    ("_h", "h"), ("_kg", "kg"), ("_per_k", "K-1"), ("_per_year", "year-1"), ("_years", "year"),
    ("_k", "K"), ("_s", "s"),
)


def parameter_units(path: str) -> str:
    """Units of a swept key from its name's suffix (``altitude_km`` -> ``km``); ``1`` if none."""
    last = path.rsplit(".", 1)[-1]
    for suffix, units in _UNIT_SUFFIXES:
        if last.endswith(suffix):
            return units
    return "1"


# --------------------------------------------------------------------------------------------
# Parsing [sweep]
# --------------------------------------------------------------------------------------------

def _flatten(table: Mapping, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested tables -> [(dotted path, leaf)]: ``{"a": {"b": [1]}}`` -> ``[("a.b", [1])]``."""
    out = []
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.extend(_flatten(value, path))
        else:
            out.append((path, value))
    return out


def _locate(raw: dict, path: str):
    """``(container, key)`` where ``path`` points in ``raw``, or a message saying why not.

    Tables must exist on the way (the last key may be new: an optional key left at its
    default); in an array of tables a segment is an index or the ``name`` of an element."""
    segments = path.split(".")
    if not all(segments):
        return None, f"empty segment in the key path {path!r}"
    node: Any = raw
    for depth, seg in enumerate(segments):
        where = ".".join(segments[:depth]) or "the config"
        last = depth == len(segments) - 1
        if isinstance(node, list):
            k, named, names = find_element(node, seg)
            if k is None:
                what = "no element" if not named else f"{named} elements"
                return None, (f"{where} has {what} named {seg!r}; use an index 0..{len(node) - 1}"
                              + (f" or one of the names {names}" if names else ""))
            if k >= len(node):
                return None, f"{where} has {len(node)} entries (index 0..{len(node) - 1})"
            if last:
                return (node, k), None
            node = node[k]
        elif isinstance(node, dict):
            if last:
                return (node, seg), None
            if seg not in node:
                return None, f"{where} has no key {seg!r}{_suggest(seg, list(node))}"
            node = node[seg]
        else:
            return None, f"{where} is a value, not a table"
    return None, "unreachable"  # pragma: no cover


def _variant_raw(raw: dict, parameters, values) -> dict:
    out = copy.deepcopy(raw)
    for path, value in zip(parameters, values):
        (container, key), _ = _locate(out, path)
        container[key] = copy.deepcopy(value)
    return out


def validate_sweep(raw: dict, source_toml: str | None = None, *, validate: Callable[..., Any]):
    """Expand a config dict holding ``[sweep]`` into its variants and check each one with
    ``validate(variant_raw, source_toml="")`` (:func:`orbital_sim.config.validate_dict`, which
    calls this: the expansion comes before validation, so this module needs nothing of config).

    Returns variant 0's :class:`~orbital_sim.config.Config` with ``sweep`` set (a
    :class:`SweepConfig`) and ``source_toml`` the whole text, ``[sweep]`` included. Raises
    ConfigError listing every problem: bad ``[sweep]`` keys or values, and each variant's
    problems (identical problems of several variants reported once, with their variants).
    """
    problems: list[str] = []
    table = raw["sweep"]
    base = {k: v for k, v in raw.items() if k != "sweep"}
    if not isinstance(table, dict):
        raise ConfigError([f"sweep = {_fmt(table)}: must be a table of key paths and arrays of values"])
    mode = table.get("mode", "grid")
    if mode not in SWEEP_MODES:
        problems.append(f"sweep.mode = {_fmt(mode)}: must be one of "
                        + ", ".join(f'"{m}"' for m in SWEEP_MODES) + _suggest(mode, SWEEP_MODES))
    # a path given twice (a quoted key and nested tables, e.g. --set sweep.constellation.0.x=[...]
    # over a quoted key in the file): the last one counts
    params = list(dict(_flatten({k: v for k, v in table.items() if k != "mode"})).items())
    if not params:
        problems.append('sweep: names no parameter; add key paths with arrays of values, e.g. '
                        '"constellation.0.altitude_km" = [500, 550, 600]')
    parameters, columns = [], []
    for path, values in params:
        where = _join("sweep", path)
        first = path.split(".", 1)[0]
        if first not in SWEEPABLE_SECTIONS:
            if first in _SHARED_SECTIONS or first == "sweep":
                problems.append(f"{where}: cannot be swept: [{first}] is shared by every variant "
                                "(one time grid, one output file, one compiled run); "
                                "sweep keys under node_class, constellation or environment")
            else:
                problems.append(f"{where}: unknown section {first!r}{_suggest(first, SWEEPABLE_SECTIONS)}; "
                                "sweep keys under " + " or ".join(SWEEPABLE_SECTIONS))
            continue
        if first == "environment" and path.split(".")[-1] in _SHARED_ENVIRONMENT_KEYS:
            problems.append(f"{where}: cannot be swept: the shadow model is shared by every variant "
                            "(one compiled run); sweep albedo, earth_ir_w_m2, solar_constant_w_m2 or case")
            continue
        if not isinstance(values, list):
            problems.append(f"{where} = {_fmt(values)}: must be an array of the values to sweep")
            continue
        if not values:
            problems.append(f"{where} = []: must list at least one value")
            continue
        bad = [v for v in values if isinstance(v, (dict, list))]
        if bad and not all(isinstance(v, list) for v in values):
            problems.append(f"{where} = {_fmt(values)}: each value must be a number, string or boolean "
                            "(or all of them arrays)")
            continue
        if mode != "zip" and len({repr(v) for v in values}) != len(values):
            problems.append(f"{where} = {_fmt(values)}: lists a value twice; each variant must differ")
            continue
        found, why = _locate(base, path)
        if found is None:
            problems.append(f"{where}: {why}")
            continue
        parameters.append(path)
        columns.append(values)
    if problems:
        raise ConfigError(problems)

    if mode == "zip":
        lengths = {p: len(v) for p, v in zip(parameters, columns)}
        if len(set(lengths.values())) > 1:
            raise ConfigError([f'sweep: mode = "zip" needs arrays of one length; got '
                               + ", ".join(f"{p}: {n}" for p, n in lengths.items())])
        combos = list(zip(*columns))
        seen: dict[str, int] = {}
        for k, combo in enumerate(combos):
            first = seen.setdefault(repr(combo), k)
            if first != k:
                raise ConfigError([f'sweep: mode = "zip": variants {first} and {k} are the same '
                                   f'({", ".join(f"{p} = {_fmt(v)}" for p, v in zip(parameters, combo))}); '
                                   "each variant must differ"])
    else:
        n = math.prod(len(v) for v in columns)
        if n > MAX_VARIANTS:
            raise ConfigError([f"sweep: makes {n} variants (" + " x ".join(str(len(v)) for v in columns)
                               + f"); at most {MAX_VARIANTS}"])
        combos = list(itertools.product(*columns))
    if len(combos) > MAX_VARIANTS:
        raise ConfigError([f"sweep: makes {len(combos)} variants; at most {MAX_VARIANTS}"])

    # every variant, checked as a whole config; identical problems reported once
    by_problem: dict[str, list[int]] = {}
    variants = []
    for k, combo in enumerate(combos):
        try:
            variants.append(validate(_variant_raw(base, parameters, combo), source_toml=""))
        except ConfigError as err:
            for line in err.problems:
                by_problem.setdefault(line, []).append(k)
    if by_problem:
        n = len(combos)
        lines = []
        for line, ks in by_problem.items():
            if len(ks) == n and n > 1:
                who = f"all {n} sweep variants"
            else:
                shown = ks[:4]
                who = ("sweep variants " if len(ks) > 1 else "sweep variant ") + ", ".join(
                    f"{k} ({', '.join(f'{p} = {_fmt(combos[k][i])}' for i, p in enumerate(parameters))})"
                    for k in shown) + (f" and {len(ks) - len(shown)} more" if len(ks) > len(shown) else "")
            lines.append(f"{who}: {line}")
        if len(lines) > _PROBLEMS_SHOWN:
            lines = lines[:_PROBLEMS_SHOWN] + [f"sweep: {len(lines) - _PROBLEMS_SHOWN} more problems not listed"]
        raise ConfigError(lines)

    # one fleet: the same nodes and the same component axis in every variant
    first = variants[0]
    names0 = first.node_names
    comps0 = first.node_classes[first.constellation[0].class_name].component_names
    shape_problems = []
    for k, v in enumerate(variants):
        label = f"sweep variant {k} ({', '.join(f'{p} = {_fmt(combos[k][i])}' for i, p in enumerate(parameters))})"
        if v.node_names != names0:
            shape_problems.append(
                f"{label}: places {v.n_nodes} nodes ({_fmt(v.node_names[:3])}...), variant 0 places "
                f"{len(names0)} ({_fmt(names0[:3])}...); every variant must place the same nodes, so "
                "sweep values may not change node counts or names")
        for cls in dict.fromkeys(g.class_name for g in v.constellation):
            comps = v.node_classes[cls].component_names
            if comps != comps0:
                shape_problems.append(
                    f"{label}: node_class.{cls}.thermal.components = {list(comps)}: every variant must "
                    f"have the components of variant 0 ({list(comps0)}), in that order")
    if shape_problems:
        raise ConfigError(shape_problems[:_PROBLEMS_SHOWN])
    if len(names0) * len(variants) > MAX_NODES:
        raise ConfigError([f"sweep: {len(variants)} variants x {len(names0)} nodes = "
                           f"{len(names0) * len(variants)} nodes; at most {MAX_NODES} per run"])

    sweep = SweepConfig(
        mode=mode,
        parameters=tuple(parameters),
        values=tuple(tuple(c[i] for c in combos) for i in range(len(parameters))),
        variants=tuple(variants),
    )
    text = source_toml if source_toml is not None else dumps_toml(raw)
    return dataclasses.replace(first, source_toml=text, sweep=sweep)


# --------------------------------------------------------------------------------------------
# The fleet of a sweep
# --------------------------------------------------------------------------------------------

def merged_config(config):
    """A sweep-free Config whose constellation holds every variant's nodes, variant after
    variant: node names prefixed ``v{k}/``, node classes renamed ``{class}@v{k}`` (each variant
    keeps its own hardware). ``orbital_sim.fleet.build_fleet`` builds it in one call."""
    sweep = config.sweep
    groups, entries, classes = [], [], {}
    for k, variant in enumerate(sweep.variants):
        label = sweep.label(k)
        variant_entries = list(variant.constellation_entries) or [None] * len(variant.constellation)
        for g, e in zip(variant.constellation, variant_entries):
            cls = f"{g.class_name}@{label}"
            classes[cls] = dataclasses.replace(variant.node_classes[g.class_name], name=cls)
            groups.append(dataclasses.replace(g, class_name=cls, names=[f"{label}/{n}" for n in g.names]))
            entries.append(e)
    if any(e is None for e in entries):
        entries = []
    return dataclasses.replace(config, constellation=groups, constellation_entries=tuple(entries),
                               node_classes=classes, sweep=None)


def output_records(config):
    """What the result file records of ``config.sweep``: ``(mode, node_variant,
    [(variable name, key path, units, values)])`` for ``ResultWriter.write_sweep``."""
    import numpy as np

    sweep = config.sweep
    n_per_variant = config.n_nodes
    node_variant = np.repeat(np.arange(sweep.n_variants, dtype=np.int32), n_per_variant)
    params = [(parameter_variable_name(p), p, parameter_units(p), list(sweep.values[i]))
              for i, p in enumerate(sweep.parameters)]
    return sweep.mode, node_variant, params


def variant_columns(parameters, values) -> tuple[str, list[str]]:
    """Column names of a sweep's variants for tables (the run's summary, ``info``, ``report``):
    ``("variant columns: <key path> / <key path>", ["3/5", "3/10", ...])``, each name the
    variant's swept values in parameter order, joined by ``/`` (``v{k}:`` in front when two
    variants have the same values). ``values``: ``{key path: per-variant values}``."""
    parameters = [str(p) for p in parameters]
    n = len(values[parameters[0]]) if parameters else 0

    def short(v) -> str:
        if isinstance(v, bytes):
            v = v.decode()
        try:
            return f"{float(v):g}"
        except (TypeError, ValueError):
            return str(v)

    names = ["/".join(short(values[p][k]) for p in parameters) for k in range(n)]
    if len(set(names)) < len(names):
        names = [f"{variant_label(k, n)}:{name}" for k, name in enumerate(names)]
    return "variant columns: " + " / ".join(parameters), names
