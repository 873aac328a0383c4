"""Config values as text, shared by :mod:`orbital_sim.config` and :mod:`orbital_sim.sweep`
(neither imports the other's internals): :class:`ConfigError`, the message helpers (a value as
TOML-like text, a key path, a "did you mean" suggestion) and the TOML writer (tomli-w).

Standard library and tomli-w only.
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
# TOML text
# --------------------------------------------------------------------------------------------


def find_element(items: list, segment: str) -> tuple[int | None, int, list]:
    """Where a key-path ``segment`` points in an array of tables (``--set`` and ``[sweep]``
    address elements the same way): ``(index, named, names)``. An integer segment is the index
    (not checked against the length); otherwise the index of the one element whose ``name`` is
    ``segment``, or None when ``named`` (how many elements carry that name) is not 1. ``names``:
    the names the elements carry, for the message."""
    if re.fullmatch(r"\d+", segment):
        return int(segment), 0, []
    named = [i for i, item in enumerate(items) if isinstance(item, dict) and item.get("name") == segment]
    names = [item["name"] for item in items if isinstance(item, dict) and "name" in item]
    return (named[0] if len(named) == 1 else None), len(named), names


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


def dumps_toml(data: Mapping) -> str:
    """TOML text for a dict of TOML values (tables, arrays of tables, scalars, arrays,
    date-times), written by tomli-w; ``tomllib.loads(dumps_toml(d)) == d``. Raises TypeError for
    a value TOML cannot hold."""
    import tomli_w

    return tomli_w.dumps(data)
