"""Config values as text, shared by :mod:`orbital_sim.config` and :mod:`orbital_sim.sweep`
(neither imports the other's internals): :class:`ConfigError`, the message helpers (a value as
TOML-like text, a key path, a "did you mean" suggestion) and the TOML writer.

Standard library only.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
from typing import Iterable, Mapping

MAX_NODES = 10_000_000  # keeps a typo (total = 1e9) from exhausting memory while building


class ConfigError(ValueError):
    """A config with problems. ``problems``: one line per problem; ``str()`` joins them."""

    def __init__(self, problems: Iterable[str]):
        self.problems = [str(p) for p in problems]
        super().__init__("\n".join(self.problems))

    def __str__(self) -> str:
        return "\n".join(self.problems)

    def __reduce__(self):
        return (type(self), (self.problems,))


_BARE_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+$")


def _fmt_num(x) -> str:
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return str(x) if isinstance(x, int) else repr(x)


def _fmt(value, limit: int = 80) -> str:
    """A value as TOML-like text for messages (strings quoted), shortened to ``limit``."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = "nan" if math.isnan(value) else {math.inf: "inf", -math.inf: "-inf"}.get(value, repr(value))
    elif isinstance(value, int):
        text = str(value) if abs(value) < 10**30 else f"(a {len(str(abs(value)))}-digit integer)"
    elif isinstance(value, str):
        text = _toml_string(value)
    elif isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        text = value.isoformat()
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(_fmt(v, limit) for v in value[:20]) + (", ..." if len(value) > 20 else "") + "]"
    elif isinstance(value, dict):
        items = list(value.items())[:10]
        more = ", ..." if len(value) > 10 else ""
        text = "{" + ", ".join(f"{_key_text(k)} = {_fmt(v, limit)}" for k, v in items) + more + "}"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _key_text(key) -> str:
    key = str(key)
    return key if _BARE_KEY_RE.match(key) else _toml_string(key)


def _join(path: str, key) -> str:
    text = str(key) if isinstance(key, int) else _key_text(key)
    return f"{path}.{text}" if path else text


def _suggest(word, candidates) -> str:
    """'; did you mean 'x'?' or '' (difflib close match)."""
    if not isinstance(word, str):
        return ""
    match = difflib.get_close_matches(word, [str(c) for c in candidates], n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""


# --------------------------------------------------------------------------------------------
# A small TOML writer (for the config with overrides applied; comments are not kept)
# --------------------------------------------------------------------------------------------


def _toml_string(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(ch, f"\\u{ord(ch):04x}"))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _toml_string(v)
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key_text(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def _is_table_array(v) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def dumps_toml(data: Mapping) -> str:
    """TOML text for a dict of TOML values (tables, arrays of tables, scalars, arrays,
    date-times); ``tomllib.loads(dumps_toml(d)) == d``."""
    lines: list[str] = []

    def emit(table: Mapping, path: list[str], header: str | None) -> None:
        scalars = [(k, v) for k, v in table.items() if not isinstance(v, dict) and not _is_table_array(v)]
        if header is not None and (scalars or not table or header.startswith("[[")):
            if lines:
                lines.append("")
            lines.append(header)
        for k, v in scalars:
            lines.append(f"{_key_text(k)} = {_toml_value(v)}")
        for k, v in table.items():
            dotted = ".".join(_key_text(p) for p in [*path, k])
            if isinstance(v, dict):
                emit(v, [*path, k], f"[{dotted}]")
            elif _is_table_array(v):
                for item in v:
                    emit(item, [*path, k], f"[[{dotted}]]")

    emit(data, [], None)
    return "\n".join(lines) + "\n"
