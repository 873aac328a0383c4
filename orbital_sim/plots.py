"""Figures of a result file: what a thermal or power engineer looks at first.

One function per figure, each returning a :class:`matplotlib.figure.Figure` (drawn with the
Agg renderer; nothing is shown on screen and pyplot's global state is not touched):

- :func:`temperature_figure`: the temperature of every thermal component of chosen nodes, in
  degrees Celsius (kelvin on the right axis), eclipses shaded, the compute throttle marked.
- :func:`power_figure`: array power, load and shed power (kW) and battery state of charge (%)
  of chosen nodes, eclipses shaded, the throttle and floor states of charge marked.
- :func:`eclipse_figure`: the Sun's visible fraction of chosen nodes as a timeline, their beta
  angles (deg), and the share of each group of the fleet that is in the Earth's shadow.
- :func:`fleet_figure`: per-node distributions of maximum chip temperature, minimum state of
  charge, eclipse fraction and compute delivered, grouped by orbital plane or by shell.

:func:`write_figures` writes them all as PNG files (``orbital-sim plot``).

Sweeps (``[sweep]``): :func:`sweep_summary` gives one summary per variant (a per-node summary
reduced over each variant's nodes, or the derived ``capacity_factor``); :func:`sweep_figure`
draws it against one swept key (lines) or two (a map); :func:`write_sweep_figure` writes it
(``orbital-sim plot FILE --sweep SUMMARY[:PARAM[:PARAM2]]``).

Every function takes a result file path or an ``xarray.Dataset`` opened from one
(:func:`orbital_sim.open_results`); files are read with h5py, so xarray is not needed.
Time axes are hours since the run epoch (UTC), written in the axis label.

Node groups. Node names are ``{entry}-p{plane:02d}-s{slot:03d}`` for ``sso`` and
``walker_delta`` entries and ``{entry}-{k:04d}`` for the others
(:mod:`orbital_sim.constellation`): a group is an entry (a "shell"), or an entry's plane.
Names that match neither pattern are grouped by their node class.

Default nodes (when none are named): one per constellation entry, the one with the largest
eclipse fraction (the longest shadow: the coldest array, the deepest battery discharge), at
most four.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

__all__ = [
    "FIGURES",
    "NodeGroup",
    "default_nodes",
    "eclipse_figure",
    "fleet_figure",
    "node_groups",
    "power_figure",
    "select_nodes",
    "sweep_figure",
    "sweep_summary",
    "temperature_figure",
    "write_figures",
    "write_sweep_figure",
]

KELVIN_OFFSET = 273.15  # 0 degC in K (definition)
_SHADE = "0.80"  # eclipse shading colour (grey)
_PLANE_RE = re.compile(r"^(?P<entry>.+)-p(?P<plane>\d{2,})-s(?P<slot>\d{3,})$")
_INDEX_RE = re.compile(r"^(?P<entry>.+)-(?P<k>\d{4,})$")
_MAX_DEFAULT_NODES = 4
_MAX_PLANE_GROUPS = 40  # more planes than this: group by entry instead
_COMPONENT_COLORS = ("tab:red", "tab:blue", "tab:purple", "tab:orange", "tab:green", "tab:brown",
                     "tab:pink", "tab:olive", "tab:cyan", "tab:gray")
_ENTRY_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
                 "tab:pink", "tab:olive", "tab:cyan", "tab:gray")
#: the default scenario's components keep these colours; any other name gets one from its hash,
#: so a component's colour does not change with the order the config defines them in
_NAMED_COMPONENT_COLORS = {"chips": "tab:red", "cold_plate": "tab:blue", "radiator": "tab:purple",
                           "array": "tab:orange", "battery": "tab:green"}


def component_color(name: str) -> str:
    """A matplotlib colour for a thermal component, fixed by its name (not its position)."""
    import zlib

    name = str(name)
    if name in _NAMED_COMPONENT_COLORS:
        return _NAMED_COMPONENT_COLORS[name]
    return _COMPONENT_COLORS[zlib.crc32(name.encode()) % len(_COMPONENT_COLORS)]


# --------------------------------------------------------------------------------------------
# Reading a result file (h5py) or an xarray Dataset
# --------------------------------------------------------------------------------------------


def _strings(values) -> list[str]:
    out = []
    for v in np.asarray(values).tolist():
        out.append(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v))
    return out


def _attr(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "SO":
            items = _strings(value)
            return items[0] if len(items) == 1 else items
        return value.reshape(()).item() if value.size == 1 else value
    if isinstance(value, np.generic):
        return value.item()
    return value


class _Results:
    """The parts of a result file the figures need. ``time_s`` [s] since the epoch (finite
    samples only); ``node``, ``node_class``, ``component`` names; ``attrs``; ``series`` and
    ``summary`` read variables on demand."""

    def __init__(self, source):
        self._file = None
        self._ds = None
        if isinstance(source, (str, os.PathLike)):
            import h5py

            try:
                self._file = h5py.File(source, "r")
            except BlockingIOError:  # a run is writing it: read what was flushed
                self._file = h5py.File(source, "r", locking=False)
            f = self._file
            self.attrs = {k: _attr(f.attrs[k]) for k in f.attrs}
            self.node = _strings(f["node"].asstr()[...]) if "node" in f else []
            self.node_class = _strings(f["node_class"].asstr()[...]) if "node_class" in f else \
                ["?"] * len(self.node)
            self.component = _strings(f["component"].asstr()[...]) if "component" in f else []
            time = np.asarray(f["time"][...], dtype=np.float64) if "time" in f else np.zeros(0)
            self._names = set(f.keys())
        elif hasattr(source, "data_vars") and hasattr(source, "coords"):
            ds = self._ds = source
            self.attrs = dict(ds.attrs)
            self.node = _strings(ds["node"].values)
            self.node_class = _strings(ds["node_class"].values) if "node_class" in ds.variables else \
                ["?"] * len(self.node)
            self.component = _strings(ds["component"].values) if "component" in ds.variables else []
            time = self._dataset_time_s(ds)
            self._names = set(ds.variables)
        else:
            raise TypeError(f"expected a result file path or an xarray.Dataset, not {type(source).__name__}")
        self._n_time = int(np.sum(np.isfinite(time)))
        self._row0 = 0  # first sample shown (set_window)
        self.time_s = time[: self._n_time]
        self.epoch = self._epoch()
        self.config = self._config()

    def _dataset_time_s(self, ds) -> np.ndarray:
        values = np.asarray(ds["time"].values)
        if values.dtype.kind == "M":
            epoch = _parse_epoch(self.attrs.get("epoch"))
            if epoch is None:
                raise ValueError("the dataset has no 'epoch' attribute to measure time from")
            start = np.datetime64(epoch.replace(tzinfo=None), "ns")
            seconds = (values - start) / np.timedelta64(1, "s")
            return np.where(np.isnat(values), np.nan, seconds).astype(np.float64)
        return values.astype(np.float64)

    def _epoch(self) -> _dt.datetime | None:
        return _parse_epoch(self.attrs.get("epoch"))

    def _config(self) -> dict:
        try:
            return tomllib.loads(str(self.attrs.get("config_toml", "")))
        except tomllib.TOMLDecodeError:
            return {}

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def has(self, name: str) -> bool:
        return name in self._names

    def set_window(self, start_h: float | None, end_h: float | None) -> None:
        """Show only the samples from ``start_h`` to ``end_h`` hours after the epoch (None: the
        run's start or end). ValueError when no sample lies in the window."""
        t = self.time_s
        lo = -np.inf if start_h is None else float(start_h) * 3600.0
        hi = np.inf if end_h is None else float(end_h) * 3600.0
        inside = np.nonzero((t >= lo) & (t <= hi))[0]
        if inside.size == 0:
            span = f"{t[0] / 3600:g}-{t[-1] / 3600:g} h" if t.size else "no samples"
            raise ValueError(f"time window {start_h}-{end_h} h holds no sample (the file holds {span})")
        self._row0, self._n_time = self._row0 + int(inside[0]), self._row0 + int(inside[-1]) + 1
        self.time_s = t[inside[0]: inside[-1] + 1]

    def series(self, name: str, index: Sequence[int]) -> np.ndarray:
        """Variable ``name`` (time first) for the nodes ``index``, finite time samples only,
        as float64 with shape (time, len(index), ...)."""
        index = np.asarray(index, dtype=np.int64)
        order = np.argsort(index)
        if self._file is not None:
            data = self._file[name][self._row0: self._n_time, np.sort(index), ...]  # h5py: increasing
        else:
            data = self._ds[name].isel(node=np.sort(index)).values[self._row0: self._n_time]
        out = np.empty_like(data, dtype=np.float64)
        out[:, order, ...] = data
        return out

    def summary(self, name: str) -> np.ndarray | None:
        if not self.has(name):
            return None
        if self._file is not None:
            return np.asarray(self._file[name][...], dtype=np.float64)
        return np.asarray(self._ds[name].values, dtype=np.float64)

    # -- config values with the schema defaults ------------------------------------------------
    def class_value(self, node_class: str, table: str, key: str):
        """``[node_class.NAME.<table>] <key>`` as the stored config gives it (config units), else the
        key's declared default (None for a required key)."""
        from orbital_sim.config.schema import NODE_CLASS_TABLES, _REQUIRED

        default = NODE_CLASS_TABLES[table][key].default
        default = None if default is _REQUIRED else default
        try:
            value = self.config["node_class"][node_class][table][key]
        except (KeyError, TypeError):
            return default
        return value if isinstance(value, (int, float, str)) and not isinstance(value, bool) else default


def _parse_epoch(text) -> _dt.datetime | None:
    if not text:
        return None
    from orbital_sim.timescales import parse_epoch

    try:
        return parse_epoch(str(text))
    except ValueError:
        return None


def _open(source) -> tuple[_Results, bool]:
    if isinstance(source, _Results):
        return source, False
    return _Results(source), True


# --------------------------------------------------------------------------------------------
# Node groups and node selection
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeGroup:
    """A set of nodes shown together: ``entry`` (the constellation entry's name, or the node
    class when the names do not follow the pattern), ``plane`` (int or None), ``label`` (for
    axes), ``index`` (node positions in the file, int array)."""

    entry: str
    plane: int | None
    label: str
    index: np.ndarray


def _parse_name(name: str, node_class: str) -> tuple[str, int | None]:
    m = _PLANE_RE.match(name)
    if m:
        return m["entry"], int(m["plane"])
    m = _INDEX_RE.match(name)
    if m:
        return m["entry"], None
    return node_class, None


def node_groups(node_names: Sequence[str], node_class: Sequence[str] | None = None,
                by: str = "auto") -> list[NodeGroup]:
    """Group nodes by constellation entry (``by="entry"``), by entry and orbital plane
    (``by="plane"``), or by node class (``by="class"``). ``"auto"``: by plane unless that
    gives more than 40 groups, then by entry. Groups keep the file's order of first appearance.

    Entry and plane are parsed from the node names (``{entry}-p{plane:02d}-s{slot:03d}`` for
    ``sso`` and ``walker_delta`` entries, ``{entry}-{k:04d}`` otherwise); a name that matches
    neither falls back to its node class.
    """
    names = list(node_names)
    classes = list(node_class) if node_class is not None else ["?"] * len(names)
    if by not in ("auto", "plane", "entry", "class"):
        raise ValueError(f"by = {by!r}: must be 'auto', 'plane', 'entry' or 'class'")
    parsed = [_parse_name(n, c) for n, c in zip(names, classes)]
    if by == "auto":
        n_planes = len({p for p in parsed})
        by = "plane" if n_planes <= _MAX_PLANE_GROUPS else "entry"
    keys: dict[tuple, list[int]] = {}
    for k, ((entry, plane), cls) in enumerate(zip(parsed, classes)):
        if by == "class":
            key = (cls, None)
        elif by == "entry":
            key = (entry, None)
        else:
            key = (entry, plane)
        keys.setdefault(key, []).append(k)
    groups = []
    for (entry, plane), index in keys.items():
        label = entry if plane is None else f"{entry} p{plane:02d}"
        groups.append(NodeGroup(entry=entry, plane=plane, label=label, index=np.asarray(index, dtype=np.int64)))
    return groups


def select_nodes(node_names: Sequence[str], patterns: Sequence[str]) -> list[int]:
    """Positions of the nodes matching ``patterns`` (exact names or shell-style wildcards,
    ``shell53-p03-*``), in pattern order, without repeats. Raises ValueError naming every
    pattern that matches nothing."""
    names = list(node_names)
    out: list[int] = []
    missing = []
    for pattern in patterns:
        if pattern in names:
            hits = [names.index(pattern)]
        else:
            hits = [k for k, n in enumerate(names) if fnmatch.fnmatchcase(n, pattern)]
        if not hits:
            missing.append(pattern)
        out += [k for k in hits if k not in out]
    if missing:
        example = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        raise ValueError(f"no node matches {', '.join(repr(m) for m in missing)} (the file's nodes: {example})")
    return out


def default_nodes(source, max_nodes: int = _MAX_DEFAULT_NODES) -> list[int]:
    """Node positions to plot when none are named: one per constellation entry, the one with
    the largest eclipse fraction (the first on ties), at most ``max_nodes``."""
    res, close = _open(source)
    try:
        eclipse = res.summary("eclipse_fraction")
        if eclipse is None and res.has("sunlit_fraction") and res.time_s.size:
            eclipse = 1.0 - np.nanmean(res.series("sunlit_fraction", np.arange(len(res.node))), axis=0)
        chosen = []
        for group in node_groups(res.node, res.node_class, by="entry")[:max_nodes]:
            if eclipse is None:
                chosen.append(int(group.index[0]))
            else:
                values = np.where(np.isfinite(eclipse[group.index]), eclipse[group.index], -1.0)
                chosen.append(int(group.index[int(np.argmax(values))]))
        return chosen
    finally:
        if close:
            res.close()


# --------------------------------------------------------------------------------------------
# Drawing helpers
# --------------------------------------------------------------------------------------------


def _new_figure(width_in: float, height_in: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _time_axis(res: _Results) -> tuple[np.ndarray, str]:
    """Time values for the x axis and its label: hours since the epoch (days if > 4 days)."""
    span_h = float(res.time_s[-1]) / 3600.0 if res.time_s.size else 0.0
    since = res.epoch.strftime("%Y-%m-%d %H:%M UTC") if res.epoch else "the epoch"
    if span_h > 96.0:
        return res.time_s / 86400.0, f"time since {since} [days]"
    return res.time_s / 3600.0, f"time since {since} [h]"


def _time_ticks(ax, t) -> None:
    """Ticks at whole hours that divide a day (1, 2, 3, 6, 12 h), about 8-12 per axis."""
    from matplotlib.ticker import MultipleLocator

    span = float(t[-1] - min(0.0, float(t[0]))) if t.size and t[0] < 0.1 * t[-1] else \
        float(t[-1] - t[0]) if t.size else 1.0  # a time window late in the run: its own span
    for step in (0.25, 0.5, 1.0, 2.0, 3.0, 6.0, 12.0, 24.0):
        if span / step <= 12:
            ax.xaxis.set_major_locator(MultipleLocator(step))
            return


def _eclipse_handle():
    from matplotlib.patches import Patch

    return Patch(facecolor=_SHADE, alpha=0.6, label="eclipse (Sun < 100 % visible)")


def _component_label(name: str) -> str:
    return name.replace("_", " ")


def _shade_eclipses(ax, t, sunlit, label: bool = False) -> None:
    """Grey bands where the Sun is not fully visible (sunlit fraction < 1): penumbra and umbra."""
    if sunlit is None:
        return
    dark = np.asarray(sunlit) < 0.999
    if not dark.any():
        return
    ax.fill_between(t, 0.0, 1.0, where=dark, step="mid", color=_SHADE, alpha=0.6, linewidth=0,
                    transform=ax.get_xaxis_transform(), label="eclipse" if label else None, zorder=0)


def _style(ax) -> None:
    ax.grid(True, color="0.88", linewidth=0.6)
    ax.set_axisbelow(True)


def _check_series(res: _Results, names: Sequence[str], figure: str) -> None:
    missing = [n for n in names if not res.has(n)]
    if missing:
        raise ValueError(f"{figure} needs {', '.join(missing)}, which the file does not hold "
                         "(add it to [output] variables)")
    if res.time_s.size == 0:
        raise ValueError(f"{figure}: the file holds no time samples yet")


def _node_index(res: _Results, nodes) -> list[int]:
    if nodes is None:
        return default_nodes(res)
    if isinstance(nodes, str):
        nodes = [nodes]
    nodes = list(nodes)
    if all(isinstance(n, (int, np.integer)) for n in nodes):
        return [int(n) for n in nodes]
    return select_nodes(res.node, [str(n) for n in nodes])


def _node_title(res: _Results, k: int) -> str:
    """``NAME (class CLASS)``, and in a sweep the variant's swept values (``area_m2 = 10, ...``)."""
    title = f"{res.node[k]} (class {res.node_class[k]})"
    if res.has("node_variant") and res.has("variant"):
        try:
            paths, values, node_variant = _sweep_names(res)
            v = int(node_variant[k])
            title += ": " + ", ".join(f"{p.rsplit('.', 1)[-1]} = "
                                      + (f"{values[p][v]:g}" if np.issubdtype(values[p].dtype, np.number)
                                         else str(values[p][v])) for p in paths)
        except (KeyError, ValueError, IndexError):  # an unreadable sweep record: the plain title
            pass
    return title


# --------------------------------------------------------------------------------------------
# The figures
# --------------------------------------------------------------------------------------------


def temperature_figure(source, nodes=None):
    """Temperature of every thermal component over time, one panel per node.

    ``source``: a result file path or an xarray Dataset; ``nodes``: names, wildcard patterns
    or positions (default: :func:`default_nodes`). Left axis degC, right axis K. Grey bands:
    eclipse (Sun not fully visible). Dashed red line: the compute component's throttle
    temperature (``throttle_temperature_c``, where utilisation starts to fall). Each panel
    lists the node's smallest margin to every component's operating limits (K; negative:
    outside), from the run's ``temperature_margin_operating`` summary when the file has it.
    Returns a matplotlib Figure.
    """
    res, close = _open(source)
    try:
        _check_series(res, ["temperature"], "the temperature figure")
        index = _node_index(res, nodes)
        t, xlabel = _time_axis(res)
        temp_c = res.series("temperature", index) - KELVIN_OFFSET
        sunlit = res.series("sunlit_fraction", index) if res.has("sunlit_fraction") else None
        fig = _new_figure(11.0, 1.2 + 2.9 * len(index))
        axes = fig.subplots(len(index), 1, sharex=True, squeeze=False)[:, 0]
        margins = res.summary("temperature_margin_operating")  # (node, component) K, or None
        for row, (ax, k) in enumerate(zip(axes, index)):
            _shade_eclipses(ax, t, None if sunlit is None else sunlit[:, row])
            for j, comp in enumerate(res.component):
                ax.plot(t, temp_c[:, row, j], color=component_color(comp),
                        linewidth=1.6, label=_component_label(comp))
            cls = res.node_class[k]
            throttle = res.class_value(cls, "compute", "throttle_temperature_c")
            chip = res.class_value(cls, "compute", "component")
            if throttle is not None:
                ax.axhline(float(throttle), color="tab:red", linestyle="--", linewidth=1.0,
                           label=f"{_component_label(chip or 'compute')} throttle, {float(throttle):g} °C")
            if margins is not None and np.isfinite(margins[k]).any():
                text = ", ".join(f"{_component_label(comp)} {margins[k, j]:+.1f}" for j, comp in enumerate(res.component)
                                 if np.isfinite(margins[k, j]))
                ax.text(0.995, 0.97, f"margin to operating limits [K]: {text}", transform=ax.transAxes,
                        ha="right", va="top", fontsize=8, color="0.25")
            ax.set_ylabel("temperature [°C]")
            secondary = ax.secondary_yaxis("right", functions=(lambda c: c + KELVIN_OFFSET,
                                                                lambda kel: kel - KELVIN_OFFSET))
            secondary.set_ylabel("temperature [K]")
            ax.set_title(_node_title(res, k), loc="left", fontsize=10)
            _style(ax)
        handles, labels = axes[0].get_legend_handles_labels()
        if sunlit is not None:
            handles.append(_eclipse_handle())
            labels.append(handles[-1].get_label())
        axes[0].legend(handles, labels, loc="lower left", bbox_to_anchor=(0.0, 1.12), ncol=4,
                       frameon=False, fontsize=9)
        axes[-1].set_xlabel(xlabel)
        axes[-1].set_xlim(min(0.0, float(t[0])), t[-1])
        _time_ticks(axes[-1], t)
        fig.suptitle("Component temperatures (grey: eclipse)", fontsize=12)
        return fig
    finally:
        if close:
            res.close()


def power_figure(source, nodes=None):
    """Electrical power and battery state of charge over time, two panels per node.

    Upper panel: array power, load power (bus + compute) and shed (surplus) power in kW.
    Lower panel: state of charge in %, with the compute-throttle and floor states of charge of
    the node's class (dashed). Grey bands: eclipse. Returns a matplotlib Figure.
    """
    res, close = _open(source)
    try:
        _check_series(res, ["array_power", "load_power", "state_of_charge"], "the power figure")
        index = _node_index(res, nodes)
        t, xlabel = _time_axis(res)
        array_kw = res.series("array_power", index) / 1e3
        load_kw = res.series("load_power", index) / 1e3
        shed_kw = res.series("shed_power", index) / 1e3 if res.has("shed_power") else None
        soc = res.series("state_of_charge", index) * 100.0
        sunlit = res.series("sunlit_fraction", index) if res.has("sunlit_fraction") else None
        fig = _new_figure(11.0, 1.2 + 4.4 * len(index))
        axes = fig.subplots(2 * len(index), 1, sharex=True, squeeze=False,
                            gridspec_kw={"height_ratios": [3, 2] * len(index)})[:, 0]
        for row, k in enumerate(index):
            ax_p, ax_s = axes[2 * row], axes[2 * row + 1]
            lit = None if sunlit is None else sunlit[:, row]
            _shade_eclipses(ax_p, t, lit)
            _shade_eclipses(ax_s, t, lit)
            ax_p.plot(t, array_kw[:, row], color="tab:orange", linewidth=1.6, label="array power")
            ax_p.plot(t, load_kw[:, row], color="tab:blue", linewidth=1.6, label="load (bus + compute)")
            if shed_kw is not None:
                ax_p.plot(t, shed_kw[:, row], color="tab:gray", linewidth=1.2, label="shed (surplus)")
            ax_p.set_ylabel("power [kW]")
            ax_p.set_ylim(bottom=0.0)
            ax_p.set_title(_node_title(res, k), loc="left", fontsize=10)
            ax_s.plot(t, soc[:, row], color="tab:green", linewidth=1.6, label="state of charge")
            cls = res.node_class[k]
            for key, text in (("throttle_soc", "compute throttle"), ("floor_soc", "floor")):
                value = res.class_value(cls, "battery", key)
                if value is not None:
                    ax_s.axhline(100.0 * float(value), color="tab:red" if key == "floor_soc" else "tab:purple",
                                 linestyle="--", linewidth=1.0, label=f"{text}, {100 * float(value):g} %")
            ax_s.set_ylim(0.0, 104.0)
            ax_s.set_ylabel("state of\ncharge [%]")
            for ax in (ax_p, ax_s):
                _style(ax)
        handles, labels = [], []
        for ax in axes[:2]:
            h, lab = ax.get_legend_handles_labels()
            handles += h
            labels += lab
        if sunlit is not None:
            handles.append(_eclipse_handle())
            labels.append(handles[-1].get_label())
        axes[0].legend(handles, labels, loc="lower left", bbox_to_anchor=(0.0, 1.12), ncol=4,
                       frameon=False, fontsize=9)
        axes[-1].set_xlabel(xlabel)
        axes[-1].set_xlim(min(0.0, float(t[0])), t[-1])
        _time_ticks(axes[-1], t)
        fig.suptitle("Power and battery (grey: eclipse)", fontsize=12)
        return fig
    finally:
        if close:
            res.close()


def eclipse_figure(source, nodes=None, group_by: str = "entry"):
    """Sunlight and eclipses over time.

    Top: the Sun's visible fraction for the chosen nodes as a timeline (white: full Sun,
    black: umbra, grey: penumbra). Middle: their beta angles in degrees (the Sun's elevation
    above the orbit plane). Bottom: the percentage of each group's nodes in the Earth's shadow
    (sunlit fraction below 1/2), from every node in the file; groups as in
    :func:`node_groups` (``group_by``, default by entry). Returns a matplotlib Figure.
    """
    res, close = _open(source)
    try:
        _check_series(res, ["sunlit_fraction"], "the eclipse figure")
        index = _node_index(res, nodes)
        t, xlabel = _time_axis(res)
        sunlit = res.series("sunlit_fraction", index)
        has_beta = res.has("beta_angle")
        n_rows = 3 if has_beta else 2
        ratios = [max(1.0, 0.45 * len(index)), 2.2, 2.2][:n_rows] if has_beta else \
            [max(1.0, 0.45 * len(index)), 2.2]
        fig = _new_figure(11.0, 1.6 + 1.2 * sum(ratios))
        axes = fig.subplots(n_rows, 1, sharex=True, gridspec_kw={"height_ratios": ratios})
        ax_tl = axes[0]
        dt = (t[1] - t[0]) if t.size > 1 else 1.0
        image = ax_tl.imshow(100.0 * sunlit.T, aspect="auto", cmap="gray", vmin=0.0, vmax=100.0,
                             interpolation="nearest", extent=(t[0] - dt / 2, t[-1] + dt / 2, len(index) - 0.5, -0.5))
        ax_tl.set_yticks(range(len(index)), [res.node[k] for k in index], fontsize=9)
        for row in range(len(index) - 1):
            ax_tl.axhline(row + 0.5, color="tab:blue", linewidth=0.8)
        ax_tl.set_title("Sun visible (white: full Sun, black: umbra)", loc="left", fontsize=10)
        bar = fig.colorbar(image, ax=ax_tl, pad=0.01, aspect=8 if len(index) < 3 else 15)
        bar.set_label("Sun visible [%]")
        if has_beta:
            ax_b = axes[1]
            beta = np.degrees(res.series("beta_angle", index))
            for row, k in enumerate(index):
                ax_b.plot(t, beta[:, row], linewidth=1.6, color=_ENTRY_COLORS[row % len(_ENTRY_COLORS)],
                          label=res.node[k])
            ax_b.set_ylabel("beta angle [deg]")
            ax_b.axhline(0.0, color="0.5", linewidth=0.8)
            ax_b.legend(loc="best", frameon=False, fontsize=9, ncol=2)
            ax_b.set_title("Beta angle (Sun elevation above the orbit plane)", loc="left", fontsize=10)
            _style(ax_b)
        ax_f = axes[-1]
        groups = node_groups(res.node, res.node_class, by=group_by)
        for g, group in enumerate(groups[:len(_ENTRY_COLORS)]):
            dark = _group_shadow_percent(res, group.index)
            ax_f.plot(t, dark, linewidth=1.4, color=_ENTRY_COLORS[g % len(_ENTRY_COLORS)],
                      label=f"{group.label} ({group.index.size} nodes)")
        ax_f.set_ylabel("nodes in shadow [%]")
        ax_f.set_ylim(-2.0, 102.0)
        ax_f.legend(loc="best", frameon=False, fontsize=9)
        ax_f.set_title("Share of each group in the Earth's shadow (Sun < 50 % visible)", loc="left", fontsize=10)
        _style(ax_f)
        ax_f.set_xlabel(xlabel)
        ax_f.set_xlim(min(0.0, float(t[0])), t[-1])
        _time_ticks(ax_f, t)
        fig.suptitle("Eclipses", fontsize=12)
        return fig
    finally:
        if close:
            res.close()


def _group_shadow_percent(res: _Results, index: np.ndarray, block: int = 4096) -> np.ndarray:
    """Percentage of the nodes ``index`` with sunlit fraction < 0.5 at each sample (read in
    blocks of nodes so memory stays bounded)."""
    count = np.zeros(res.time_s.size)
    for start in range(0, index.size, block):
        part = res.series("sunlit_fraction", index[start:start + block])
        count += np.sum(part < 0.5, axis=1)
    return 100.0 * count / max(index.size, 1)


def _compute_component_index(res: _Results) -> tuple[int, str]:
    names = res.component
    for cls in dict.fromkeys(res.node_class):
        comp = res.class_value(cls, "compute", "component")
        if comp in names:
            return names.index(comp), comp
    if "chips" in names:
        return names.index("chips"), "chips"
    return 0, names[0] if names else "component 0"


def fleet_figure(source, group_by: str = "auto"):
    """Distributions over the fleet, one box (quartiles, whiskers to the extremes) and one dot
    per node for each group: maximum temperature of the compute component (degC), minimum
    state of charge (%), eclipse fraction (% of the run in shadow, time-averaged) and compute
    delivered (accelerator-hours per node). Groups: :func:`node_groups` (``group_by``: auto,
    plane, entry or class). Needs the per-node summary (a finished run). Returns a Figure.
    """
    res, close = _open(source)
    try:
        needed = ["temperature_max", "state_of_charge_min", "eclipse_fraction", "compute_delivered"]
        missing = [n for n in needed if not res.has(n)]
        if missing:
            raise ValueError(f"the fleet figure needs the per-node summary ({', '.join(missing)} missing: "
                             "the run did not finish)")
        groups = node_groups(res.node, res.node_class, by=group_by)
        j, comp = _compute_component_index(res)
        panels = [
            (res.summary("temperature_max")[:, j] - KELVIN_OFFSET,
             f"max {_component_label(comp)} temperature [°C]", f"Maximum {_component_label(comp)} temperature"),
            (100.0 * res.summary("state_of_charge_min"), "min state of charge [%]", "Minimum state of charge"),
            (100.0 * res.summary("eclipse_fraction"), "eclipse fraction [% of time]", "Time in eclipse"),
            (res.summary("compute_delivered") / 3600.0, "compute delivered\n[accelerator-hours per node]",
             "Compute delivered"),
        ]
        entries = list(dict.fromkeys(g.entry for g in groups))
        colors = {e: _ENTRY_COLORS[i % len(_ENTRY_COLORS)] for i, e in enumerate(entries)}
        many = len(groups) > 12
        width = min(16.0, max(9.0, 0.42 * len(groups) + 3.0))
        fig = _new_figure(width, 9.5)
        axes = fig.subplots(2, 2).ravel()
        rng = np.random.default_rng(0)  # jitter of the dots only
        positions = np.arange(len(groups))
        for ax, (values, ylabel, title) in zip(axes, panels):
            data = [values[g.index][np.isfinite(values[g.index])] for g in groups]
            box = ax.boxplot([d if d.size else [np.nan] for d in data], positions=positions, widths=0.6,
                             whis=(0, 100), patch_artist=True, showfliers=False,
                             medianprops={"color": "black", "linewidth": 1.2})
            for patch, g in zip(box["boxes"], groups):
                patch.set_facecolor(colors[g.entry])
                patch.set_alpha(0.35)
            for pos, d, g in zip(positions, data, groups):
                jitter = rng.uniform(-0.18, 0.18, d.size)
                ax.plot(pos + jitter, d, ".", color=colors[g.entry], markersize=3, alpha=0.7)
            for pos in range(1, len(groups)):
                if groups[pos].entry != groups[pos - 1].entry:
                    ax.axvline(pos - 0.5, color="0.4", linewidth=0.9, linestyle=":")
            ax.set_ylabel(ylabel)
            ax.set_title(title, loc="left", fontsize=10)
            if many:
                labels = [f"p{g.plane:02d}" if g.plane is not None else g.label for g in groups]
                ax.set_xticks(positions, labels, rotation=90, fontsize=8)
            else:
                ax.set_xticks(positions, [g.label for g in groups], rotation=30 if len(groups) > 4 else 0,
                              ha="right" if len(groups) > 4 else "center", fontsize=9)
            _style(ax)
        # reference lines from the first class's limits
        cls = res.node_class[0] if res.node_class else ""
        throttle = res.class_value(cls, "compute", "throttle_temperature_c")
        axes[0].axhline(float(throttle), color="tab:red", linestyle="--", linewidth=1.0,
                        label=f"throttle, {float(throttle):g} °C")
        axes[0].legend(loc="best", frameon=False, fontsize=9)
        for key, text, color in (("throttle_soc", "compute throttle", "tab:purple"),
                                 ("floor_soc", "floor", "tab:red")):
            value = float(res.class_value(cls, "battery", key))
            axes[1].axhline(100.0 * value, color=color, linestyle="--", linewidth=1.0,
                            label=f"{text}, {100 * value:g} %")
        axes[1].set_ylim(0.0, 100.0)
        axes[1].legend(loc="best", frameon=False, fontsize=9)
        axes[2].set_ylim(bottom=0.0)
        accelerators = res.class_value(cls, "compute", "accelerators")
        if accelerators is not None and res.time_s.size:
            nameplate_h = float(accelerators) * float(res.time_s[-1]) / 3600.0
            axes[3].axhline(nameplate_h, color="tab:red", linestyle="--", linewidth=1.0,
                            label=f"nameplate: {accelerators} accelerators x {res.time_s[-1] / 3600:.4g} h")
            axes[3].legend(loc="lower right", frameon=False, fontsize=9)
        axes[3].set_ylim(bottom=0.0)
        from matplotlib.patches import Patch

        n_nodes = len(res.node)
        handles = [Patch(facecolor=colors[e], alpha=0.5,
                         label=f"{e} ({sum(g.index.size for g in groups if g.entry == e)} nodes)") for e in entries]
        # below the panels: above them a long legend (a sweep's many variants) ran over the title
        fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 6), frameon=False, fontsize=9)
        by = "plane" if any(g.plane is not None for g in groups) else "entry or class"
        fig.suptitle(f"Fleet distributions: {n_nodes} nodes by {by} (box: quartiles and extremes; dots: nodes)",
                     fontsize=12, x=0.01, ha="left")
        return fig
    finally:
        if close:
            res.close()


# --------------------------------------------------------------------------------------------
# All of them
# --------------------------------------------------------------------------------------------

#: file stem -> (figure function, takes nodes)
FIGURES = {
    "temperatures": (temperature_figure, True),
    "power": (power_figure, True),
    "eclipses": (eclipse_figure, True),
    "fleet": (fleet_figure, False),
}


def write_figures(source, out_dir, nodes=None, group_by: str = "auto", dpi: int = 110,
                  window_h: tuple[float | None, float | None] | None = None) -> tuple[dict, dict]:
    """Write every figure the file supports as PNG into ``out_dir`` (created if missing).

    Returns ``(written, skipped)``: ``{stem: path}`` of the PNG files written
    (``temperatures.png``, ``power.png``, ``eclipses.png``, ``fleet.png``) and ``{stem: reason}``
    for the figures the file cannot make (a variable not written, an unfinished run).
    ``nodes``: as in :func:`temperature_figure`; a pattern that matches nothing raises
    ValueError before anything is written. ``window_h``: ``(start, end)`` in hours after the
    epoch (either None: open) for the time-series figures (a 3-day run crams 45 orbits).
    """
    out = Path(out_dir)
    written, skipped = {}, {}
    with _Results(source) if not isinstance(source, _Results) else _nullcontext(source) as res:
        if window_h is not None:
            res.set_window(*window_h)
        index = _node_index(res, nodes)
        out.mkdir(parents=True, exist_ok=True)
        for stem, (make, takes_nodes) in FIGURES.items():
            try:
                fig = make(res, index) if takes_nodes else make(res, group_by)
            except ValueError as err:
                skipped[stem] = str(err)
                continue
            path = out / f"{stem}.png"
            fig.savefig(path, dpi=dpi)
            written[stem] = path
    return written, skipped


class _nullcontext:
    def __init__(self, value):
        self.value = value

    def __enter__(self):
        return self.value

    def __exit__(self, *exc):
        return False


# --------------------------------------------------------------------------------------------
# Sweeps ([sweep]: a summary against swept parameters)
# --------------------------------------------------------------------------------------------

#: summaries that are not variables of the file, derived from them
SWEEP_DERIVED = {
    "capacity_factor": ("1", "array capacity factor (energy / rated power x run time)"),
}
SWEEP_REDUCTIONS = ("mean", "max", "min")


@dataclass(frozen=True)
class SweepSummary:
    """One summary per sweep variant. ``parameters``: swept key paths; ``values[p]``: the
    values of parameter p per variant (n_variants,); ``summary`` per variant (reduced over each
    variant's nodes with ``reduce``); ``label`` and ``units`` describe it."""

    name: str
    reduce: str
    parameters: tuple[str, ...]
    values: dict
    summary: np.ndarray
    label: str
    units: str


def rated_array_power_w(node_class, solar_constant_w_m2: float) -> float:
    """Electrical power [W] of a node class's cells facing the Sun at 1 AU, at their reference
    temperature: solar constant x cell area x efficiency x packing factor x age factor."""
    pw = node_class.power
    area_m2 = sum(s.area_m2 for s in node_class.surfaces if s.solar_cells)
    age = (1.0 - pw.array_degradation_per_year) ** pw.array_age_years
    return solar_constant_w_m2 * area_m2 * pw.array_efficiency * pw.array_packing_factor * age


def _sweep_names(res: _Results) -> tuple[list[str], dict, np.ndarray]:
    """(key paths, {key path: values per variant}, node_variant) of a sweep result."""
    if not (res.has("node_variant") and res.has("variant")):
        raise ValueError("the file holds no sweep (no variant dimension); run a config with [sweep]")
    from orbital_sim.sweep import parameter_variable_name

    paths = res.attrs.get("sweep_parameters", [])
    paths = [paths] if isinstance(paths, str) else list(paths)
    values = {}
    for p in paths:
        name = parameter_variable_name(p)
        if res._file is not None:
            ds = res._file[name]
            raw = ds.asstr()[...] if ds.dtype.kind == "O" else ds[...]
        else:
            raw = res._ds[name].values
        values[p] = np.asarray(raw)
    if res._file is not None:
        node_variant = np.asarray(res._file["node_variant"][...])
    else:
        node_variant = np.asarray(res._ds["node_variant"].values)
    return paths, values, node_variant


def _match_parameter(paths: Sequence[str], name: str) -> str:
    from orbital_sim.sweep import parameter_variable_name

    exact = [p for p in paths if name in (p, parameter_variable_name(p))]
    found = exact or [p for p in paths if p.endswith("." + name)]
    if len(found) != 1:
        what = "matches several" if found else "matches none"
        raise ValueError(f"sweep parameter {name!r} {what} of the swept keys {list(paths)}")
    return found[0]


def default_reduction(summary: str) -> str:
    """How a variant's nodes are combined when no ``reduce`` is given: ``max`` for a summary
    named ``*_max`` (a limit needs the worst node), ``min`` for ``*_min``, else ``mean``."""
    return "max" if summary.endswith("_max") else "min" if summary.endswith("_min") else "mean"


def sweep_summary(source, summary: str, reduce: str | None = None, component: str | None = None) -> SweepSummary:
    """A summary per sweep variant: any per-node summary variable (``output.SUMMARY``; the
    per-component ones for ``component``, default the compute component), or a derived one
    (``SWEEP_DERIVED``: ``capacity_factor``), reduced over each variant's nodes (``mean``,
    ``max`` or ``min``). Needs a finished sweep run (flat layout: a file path, or a Dataset
    from ``open_results(path, flat=True)``)."""
    from orbital_sim.output import SUMMARY

    reduce = default_reduction(summary) if reduce is None else reduce
    if reduce not in SWEEP_REDUCTIONS:
        raise ValueError(f"reduce = {reduce!r}: one of {SWEEP_REDUCTIONS}")
    res, close = _open(source)
    try:
        paths, values, node_variant = _sweep_names(res)
        n_variants = len(next(iter(values.values()))) if values else int(node_variant.max()) + 1
        if summary in SWEEP_DERIVED:
            units, long_name = SWEEP_DERIVED[summary]
            per_node = _capacity_factor(res, node_variant)
            label = long_name
        elif summary in SUMMARY:
            dims, units, long_name = SUMMARY[summary]
            per_node = res.summary(summary)
            if per_node is None:
                raise ValueError(f"{summary}: not in the file (an unfinished run?)")
            label = long_name
            if "component" in dims:
                if component is None:
                    k, component = _compute_component_index(res)
                elif component in res.component:
                    k = res.component.index(component)
                else:
                    raise ValueError(f"component {component!r}: the file has {res.component}")
                per_node = per_node[:, k]
                label = f"{long_name}: {component}"
        else:
            raise ValueError(f"summary {summary!r}: one of {list(SUMMARY) + list(SWEEP_DERIVED)}")
        fn = {"mean": np.nanmean, "max": np.nanmax, "min": np.nanmin}[reduce]
        reduced = np.array([fn(per_node[node_variant == k]) if np.any(node_variant == k) else np.nan
                            for k in range(n_variants)], dtype=np.float64)
        return SweepSummary(name=summary, reduce=reduce, parameters=tuple(paths), values=values,
                            summary=reduced, label=label, units=units)
    finally:
        if close:
            res.close()


def _capacity_factor(res: _Results, node_variant: np.ndarray) -> np.ndarray:
    """energy_generated / (rated array power x duration) per node, with each variant's hardware
    from the config stored in the file."""
    from orbital_sim.config import ConfigError, validate_dict

    energy_j = res.summary("energy_generated")
    if energy_j is None:
        raise ValueError("capacity_factor needs energy_generated (an unfinished run?)")
    try:
        config = validate_dict(res.config, "")
    except ConfigError as err:
        raise ValueError(f"capacity_factor: the stored config does not validate here ({err.problems[0]})") from None
    if config.sweep is None:
        raise ValueError("capacity_factor: the stored config has no [sweep]")
    s0 = config.environment.solar_constant_w_m2
    duration_s = config.simulation.duration_s
    classes = [g.class_name for g in config.constellation for _ in g.names]
    rated = np.array([rated_array_power_w(config.sweep.variants[k].node_classes[classes[i % len(classes)]], s0)
                      for i, k in enumerate(node_variant)])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(rated > 0, energy_j / (rated * duration_s), np.nan)


def _axis_label(path: str) -> str:
    from orbital_sim.sweep import parameter_units

    units = parameter_units(path)
    return path if units == "1" else f"{path} [{units}]"


def _scaled(s: SweepSummary) -> tuple[np.ndarray, str]:
    """Values in friendly units for the plot: K -> degC, 1 -> %, J -> MWh."""
    if s.units == "K":
        return s.summary - KELVIN_OFFSET, "degC"
    if s.units == "1" and s.name != "status":
        return 100.0 * s.summary, "%"
    if s.units == "J":
        return s.summary / 3.6e9, "MWh"
    return s.summary, s.units


def sweep_figure(source, summary: str, parameters: Sequence[str] = (), reduce: str | None = None,
                 component: str | None = None):
    """A summary (see :func:`sweep_summary`) against one swept parameter (a line; one line
    per value of the other swept parameters, at most 12) or two (a map, each cell labelled
    with its value). ``parameters``: key paths or their last segment (``altitude_km``);
    default: the swept parameters, if there are one or two. Returns a Figure."""
    s = sweep_summary(source, summary, reduce=reduce, component=component)
    params = [_match_parameter(s.parameters, p) for p in parameters] or list(s.parameters)
    if not 1 <= len(params) <= 2:
        raise ValueError(f"name one or two of the swept parameters {list(s.parameters)} to plot against")
    y, units = _scaled(s)
    title = f"{s.label}, {s.reduce} over each variant's nodes"
    others = [p for p in s.parameters if p not in params]
    if len(params) == 1:
        x_all = s.values[params[0]]
        keys = [tuple(str(s.values[o][k]) for o in others) for k in range(len(y))]
        groups = list(dict.fromkeys(keys))
        if len(groups) > 12:
            raise ValueError(f"{len(groups)} combinations of the other swept parameters {others}: "
                             "plot against two parameters, or sweep fewer")
        fig = _new_figure(7.0, 4.4)
        ax = fig.add_subplot()
        for g in groups:
            idx = [k for k in range(len(y)) if keys[k] == g]
            order = sorted(idx, key=lambda k: x_all[k])
            label = ", ".join(f"{o.rsplit('.', 1)[-1]} = {v}" for o, v in zip(others, g)) or None
            ax.plot([x_all[k] for k in order], y[order], marker="o", label=label)
        ax.set_xlabel(_axis_label(params[0]))
        ax.set_ylabel(f"{s.name} [{units}]")
        if others:
            ax.legend(fontsize=8)
        ax.set_title(title, fontsize=10)
        _style(ax)
        return fig
    px, py = params
    xs, ys = list(dict.fromkeys(s.values[px].tolist())), list(dict.fromkeys(s.values[py].tolist()))
    xs, ys = sorted(xs), sorted(ys)
    grid = np.full((len(ys), len(xs)), np.nan)
    seen = np.zeros(grid.shape, dtype=int)
    for k in range(len(y)):
        i, j = ys.index(s.values[py][k]), xs.index(s.values[px][k])
        grid[i, j] = y[k]
        seen[i, j] += 1
    if seen.max() > 1:
        raise ValueError(f"several variants share each ({px}, {py}) pair (the other swept parameters "
                         f"{others} vary too): plot against those as well, or sweep fewer")
    fig = _new_figure(8.0, 5.6)
    ax = fig.add_subplot()
    mesh = ax.pcolormesh(np.arange(len(xs) + 1) - 0.5, np.arange(len(ys) + 1) - 0.5,
                         np.ma.masked_invalid(grid), cmap="viridis", shading="flat")
    bar = fig.colorbar(mesh, ax=ax)
    bar.set_label(f"{s.name} [{units}]")
    finite = grid[np.isfinite(grid)]
    mid = 0.5 * (finite.min() + finite.max()) if finite.size else 0.0
    for i in range(len(ys)):
        for j in range(len(xs)):
            if np.isfinite(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.3g}", ha="center", va="center", fontsize=7,
                        color="white" if grid[i, j] < mid else "black")
    ax.set_xticks(range(len(xs)), [f"{v:g}" if isinstance(v, float) else str(v) for v in xs])
    ax.set_yticks(range(len(ys)), [f"{v:g}" if isinstance(v, float) else str(v) for v in ys])
    ax.set_xlabel(_axis_label(px))
    ax.set_ylabel(_axis_label(py))
    ax.set_title(title, fontsize=9.5)
    return fig


def write_sweep_figure(source, out_dir, summary: str, parameters: Sequence[str] = (), reduce: str | None = None,
                       component: str | None = None, dpi: int = 110) -> Path:
    """:func:`sweep_figure` as ``out_dir/sweep_{summary}.png`` (``_{reduce}`` added unless the
    summary's default reduction; out_dir created if missing). Returns the path."""
    reduce = default_reduction(summary) if reduce is None else reduce
    fig = sweep_figure(source, summary, parameters, reduce=reduce, component=component)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"sweep_{summary}{'' if reduce == default_reduction(summary) else '_' + reduce}.png"
    fig.savefig(path, dpi=dpi)
    return path
