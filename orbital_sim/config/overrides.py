"""Files and ``--set`` overrides: read a scenario (a file or the built-in default), apply
``key.path=value`` overrides and validate (:func:`load_config`)."""

from __future__ import annotations

import copy
import importlib.resources
import os
import tomllib
from pathlib import Path
from typing import Any, Iterable

from orbital_sim.config_text import ConfigError, _fmt, _suggest, dumps_toml, find_element
from orbital_sim.config.types import Config
from orbital_sim.config.schema import _typename
from orbital_sim.config.checker import validate_dict


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

    Missing tables on the path are created; in an array of tables a segment is an index or the
    ``name`` of an element, as in ``[sweep]`` (``constellation.0.altitude_km=700``,
    ``node_class.compute.surfaces.radiator.area_m2=90``). Raises ConfigError listing every
    malformed override.
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
                # an index or the name of an element, as in [sweep] (surfaces.radiator, constellation.dawn-dusk)
                k, named, names = find_element(node, seg)
                if k is None:
                    what = "no element" if not named else f"{named} elements"
                    problems.append(
                        f"override {_fmt(text)}: {where} is an array with {what} named {_fmt(seg)}; index it "
                        f"with an integer{f' 0..{len(node) - 1}' if node else ''}"
                        + (f" or one of the names {names}{_suggest(seg, names)}" if names else "")
                    )
                    break
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
