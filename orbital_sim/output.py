"""Result file: HDF5 written with h5py, laid out as valid NetCDF-4 (SPEC section 5).

The file is a plain HDF5 file that follows the netCDF-4 conventions, so that
``xarray.open_dataset(path, engine="h5netcdf")``, ``ncdump`` and CF-aware tools read it:

- Every dimension (``time``, ``node``, ``component``, ``xyz``) is a coordinate variable that is an
  HDF5 dimension scale (``make_scale(name)``: ``CLASS = "DIMENSION_SCALE"``, ``NAME = name``), with
  an int32 ``_Netcdf4Dimid`` attribute (0 time, 1 node, 2 component, 3 xyz) and an int32
  ``_Netcdf4Coordinates`` attribute. ``time`` is the unlimited dimension (``maxshape=(None,)``).
- Every other variable has each axis attached to its scale (``dims[i].attach_scale``) and an int32
  ``_Netcdf4Coordinates`` attribute listing its dimension ids.
- The file, and every dataset, track link and attribute creation order (``track_order=True``),
  which the netCDF-4 format requires.
- Text attributes are variable-length UTF-8 strings (netCDF ``string``); numeric attributes are
  stored as 1-element arrays, as netcdf-c does; booleans become int8 (0/1). ``_NCProperties``
  records the writer, as h5netcdf does.

This module uses numpy and h5py only; xarray (with h5netcdf) is imported lazily in
:func:`open_results`. It must not import jax.
"""

from __future__ import annotations

import errno
import itertools
import math
import os
import sys
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

import h5py
import numpy as np

__all__ = [
    "TIME_SERIES",
    "SURFACE_SERIES",
    "DEFAULT_VARIABLES",
    "SUMMARY",
    "GROUND_SERIES",
    "GROUND_SUMMARY",
    "STATUS_FLAGS",
    "ResultWriter",
    "RESTART_GROUP",
    "check_output_path",
    "check_resume_path",
    "read_restart_info",
    "open_results",
    "read_summary",
    "format_summary_table",
    "describe",
    "cf_time_units",
]

# --------------------------------------------------------------------------------------------
# Variable registry: the single source of truth for names, dimensions, units and long names.
# --------------------------------------------------------------------------------------------

TIME_SERIES: dict[str, tuple[tuple[str, ...], str, str]] = {  # name: (dims, units, long_name)
    "sunlit_fraction": (("time", "node"), "1",
                        "fraction of the solar disk visible (0 umbra, 1 full sun)"),
    "beta_angle": (("time", "node"), "rad", "beta angle: Sun elevation above the orbit plane"),
    "array_power": (("time", "node"), "W",
                    "electrical power from the solar array at its maximum power point"),
    "load_power": (("time", "node"), "W",
                   "electrical power delivered to bus and compute loads"),
    "shed_power": (("time", "node"), "W", "surplus array power shed (not used or stored)"),
    "battery_energy": (("time", "node"), "J", "energy stored in the battery"),
    "state_of_charge": (("time", "node"), "1", "battery energy / capacity"),
    "compute_utilization": (("time", "node"), "1", "accelerator utilisation after throttling"),
    "temperature": (("time", "node", "component"), "K", "component temperature"),
    "heat_rejected": (("time", "node"), "W",
                      "net thermal power emitted to space by all surfaces"),
    "heater_power": (("time", "node"), "W",
                     "electrical power drawn by the thermostatic heaters (dissipated in their components)"),
    "energy_unmet": (("time", "node"), "J",
                     "bus energy demanded but not served since the epoch (cumulative; brown-out)"),
    "battery_power": (("time", "node"), "W",
                      "power into the battery (charging, > 0) or delivered by it (discharging, < 0), "
                      "at its terminals"),
    "position_eci": (("time", "node", "xyz"), "m", "position in the ECI frame (GCRS axes)"),
    "velocity_eci": (("time", "node", "xyz"), "m s-1", "velocity in the ECI frame (GCRS axes)"),
}

DEFAULT_VARIABLES: list[str] = [
    name for name in TIME_SERIES if name not in ("position_eci", "velocity_eci", "heater_power", "battery_power")
]

SUMMARY: dict[str, tuple[tuple[str, ...], str, str]] = {
    "eclipse_fraction": (("node",), "1",
                         "time-averaged fraction of the Sun hidden by the Earth"),
    "temperature_min": (("node", "component"), "K", "minimum component temperature over the run"),
    "temperature_max": (("node", "component"), "K", "maximum component temperature over the run"),
    "energy_generated": (("node",), "J", "array electrical energy produced"),
    "energy_shed": (("node",), "J", "surplus array electrical energy shed (not used or stored)"),
    "energy_consumed": (("node",), "J", "electrical energy delivered to loads"),
    "state_of_charge_min": (("node",), "1", "minimum battery state of charge over the run"),
    "compute_delivered": (("node",), "s",
                          "accelerator-seconds delivered at full utilisation"),
    "compute_nameplate": (("node",), "s", "accelerator-seconds of nameplate: accelerators x run duration"),
    "compute_availability": (("node",), "1",
                             "delivered compute / nameplate compute over the whole run (a faulted node counts "
                             "the time after its fault as unavailable)"),
    "status": (("node",), "1", "0 ok; non-zero: fault code (see flag_meanings)"),
    # component limits (operating_limits_c, survival_limits_c; orbital_sim/design_cases.py)
    "temperature_margin_operating": (("node", "component"), "K",
                                     "margin to the operating limits: min(T_min - low, high - T_max); "
                                     "negative outside, NaN where none are given"),
    "temperature_margin_survival": (("node", "component"), "K",
                                    "margin to the survival limits: min(T_min - low, high - T_max)"),
    "temperature_limit_flag": (("node", "component"), "1",
                               "0 within the operating limits (or none given), 1 outside them, "
                               "2 outside the survival limits (see flag_meanings)"),
    "energy_heater": (("node",), "J", "electrical energy drawn by the heaters (= heat they dissipated)"),
    "warmup_end": (("node",), "s",
                   "end of the warm-up: the settled window of the *_settled summaries starts here (root "
                   "attribute summary_window)"),
    "temperature_min_settled": (("node", "component"), "K",
                                "minimum component temperature over the output samples of the settled window"),
    "temperature_max_settled": (("node", "component"), "K",
                                "maximum component temperature over the output samples of the settled window"),
    "state_of_charge_min_settled": (("node",), "1",
                                    "minimum battery state of charge over the output samples of the settled window"),
    "orbital_period": (("node",), "s", "two-body orbital period of the osculating orbit at the epoch"),
    "energy_unmet_total": (("node",), "J",
                           "bus energy demanded but not served over the run (brown-out; the last value of the "
                           "energy_unmet time series)"),
    "brownout": (("node",), "1", "1 when the node could not carry its bus at some step (see flag_meanings)"),
    "brownout_start": (("node",), "s",
                       "time since the epoch of the first step with unserved bus demand (NaN: none)"),
    "brownout_duration": (("node",), "s", "time with unserved bus demand"),
    # eclipse summary from the contacts located inside the step (orbital_sim/events.py)
    "eclipse_count": (("node",), "1", "number of eclipse passes (penumbra entry to exit) in the run"),
    "eclipse_longest": (("node",), "s", "longest eclipse pass, penumbra entry to exit (clipped to the run)"),
    "umbra_time": (("node",), "s", "total time in the umbra"),
    "penumbra_time": (("node",), "s", "total time in the penumbra only (partial shadow)"),
    # orbit means over the last whole orbits of the run (orbital_sim/orbit_means.py)
    "orbit_mean_start": (("node",), "s",
                         "start of the orbit-mean window: the run's end minus the most whole orbital periods "
                         "that fit after warmup_end (NaN: the run is shorter than one orbit)"),
    "array_power_orbit_mean": (("node",), "W", "array electrical power averaged over the orbit-mean window"),
    "load_power_orbit_mean": (("node",), "W",
                              "electrical power delivered to bus and compute averaged over the orbit-mean window"),
    "battery_charge_orbit_mean": (("node",), "W",
                                  "power into the battery (charging only) averaged over the orbit-mean window"),
    "battery_discharge_orbit_mean": (("node",), "W",
                                     "power delivered by the battery (discharging only) averaged over the "
                                     "orbit-mean window"),
}

#: Absorbed environment power per surface (``[output] variables``, never by default): along the
#: ``surface`` dimension, written with its coordinate only when one of them is asked for.
SURFACE_SERIES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "absorbed_solar": (("time", "node", "surface"), "W",
                       "direct solar power absorbed by the surface (both faces; sunlit fraction included), "
                       "mean over the integration step that ends at the sample"),
    "absorbed_albedo": (("time", "node", "surface"), "W",
                        "Earth-reflected solar power absorbed by the surface (both faces), mean over the "
                        "integration step that ends at the sample"),
    "absorbed_ir": (("time", "node", "surface"), "W",
                    "Earth infrared power absorbed by the surface (both faces), mean over the integration "
                    "step that ends at the sample"),
}

#: Ground stations (``[[ground_station]]``): time series and summaries along ``station``, written
#: only when the run has stations (kept apart from TIME_SERIES / SUMMARY, which every run writes).
GROUND_SERIES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "visible": (("time", "node", "station"), "1",
                "1 when the node is above the station's elevation mask, else 0"),
    "slant_range": (("time", "node", "station"), "m",
                    "distance from the station to the node while visible (NaN otherwise)"),
}
GROUND_SUMMARY: dict[str, tuple[tuple[str, ...], str, str]] = {
    "latency_min": (("node", "station"), "s", "shortest one-way light time while visible"),
    "latency_median": (("node", "station"), "s",
                       "median one-way light time while visible (histogram; see resolution attribute)"),
    "latency_max": (("node", "station"), "s", "longest one-way light time while visible"),
    "contact_gap_max": (("node", "station"), "s",
                        "longest time without contact (gaps at the run's start and end included)"),
    "contact_time": (("node", "station"), "s", "total time in contact"),
}
#: Close approaches (``[approaches]``, orbital_sim/approaches.py; the list is in group ``approaches``)
APPROACH_SUMMARY: dict[str, tuple[tuple[str, ...], str, str]] = {
    "closest_approach_distance": (("node",), "m", "smallest separation from another node (NaN: none below "
                                  "the approaches threshold)"),
    "closest_approach_time": (("node",), "s", "time of the closest approach since the epoch"),
    "closest_approach_node": (("node",), "1", "index along node of the other node (-1: none)"),
}
#: Trapped radiation (``[radiation]``, orbital_sim/radiation.py: AE-8/AP-8 at the output samples)
RADIATION_SUMMARY: dict[str, tuple[tuple[str, ...], str, str]] = {
    "proton_fluence_10mev": (("node",), "m-2", "omnidirectional fluence of trapped protons above 10 MeV (AP-8)"),
    "electron_fluence_1mev": (("node",), "m-2", "omnidirectional fluence of trapped electrons above 1 MeV (AE-8)"),
    "saa_time": (("node",), "s", "time with trapped protons above 10 MeV over 1 cm-2 s-1 (South Atlantic Anomaly)"),
    "ionizing_dose": (("node",), "Gy", "total ionising dose in silicon behind the [radiation] aluminium shield"),
}
#: ``[output] statistics_window_s``: per node and window of samples, the minimum, maximum and
#: mean of a time series (``NAME_window_min`` ...), written instead of its samples; ``time`` is
#: then each window's end. A node that faulted in a window gives NaN (its samples are NaN).
WINDOW_STATISTICS = {"min": "minimum", "max": "maximum", "mean": "mean"}
WINDOW_SERIES: dict[str, tuple[tuple[str, ...], str, str]] = {
    f"{name}_window_{stat}": (dims, units, f"{word} over the statistics window of the samples of: {long_name}")
    for name, (dims, units, long_name) in {**TIME_SERIES, **SURFACE_SERIES, **GROUND_SERIES}.items()
    for stat, word in WINDOW_STATISTICS.items()
}


def window_series_names(names: Sequence[str]) -> list[str]:
    """The window-statistics variables of time series ``names`` (min, max, mean of each)."""
    return [f"{name}_window_{stat}" for name in names for stat in WINDOW_STATISTICS]


_ALL_SERIES = {**TIME_SERIES, **SURFACE_SERIES, **GROUND_SERIES, **WINDOW_SERIES}
_ALL_SUMMARY = {**SUMMARY, **GROUND_SUMMARY, **APPROACH_SUMMARY, **RADIATION_SUMMARY}

#: Fault codes of the ``status`` summary variable (CF flag_values / flag_meanings).
STATUS_FLAGS: dict[int, str] = {0: "ok", 1: "non_finite_state", 2: "below_surface"}
#: Codes of the ``brownout`` summary variable: a physical outcome (the node keeps running), kept
#: apart from the numerical faults of ``status``.
BROWNOUT_FLAGS: dict[int, str] = {0: "bus_served", 1: "brownout"}
#: Integer flag variables of the summary and their codes (CF flag_values / flag_meanings).
_FLAG_VARIABLES: dict[str, dict[int, str]] = {"status": STATUS_FLAGS, "brownout": BROWNOUT_FLAGS}

_COORD_LONG_NAMES = {
    "time": "time since the run epoch",
    "node": "node name",
    "component": "thermal component name",
    "xyz": "Cartesian axis of the ECI frame",
    "variant": "sweep variant index ([sweep] in the config)",
    "station": "ground station name ([[ground_station]] in the config)",
    "latency_bin": "lower edge of a one-way light-time histogram bin",
    "surface": "surface name ([[node_class.NAME.surfaces]] in the config)",
}
_NODE_CLASS_LONG_NAME = "node class name"
# netCDF-4 dimension ids, in creation order.
_DIM_IDS = {"time": 0, "node": 1, "component": 2, "xyz": 3, "variant": 4,  # variant: sweeps only
            "station": 5, "latency_bin": 6,  # ground stations only
            "surface": 7}  # absorbed power per surface only
# HDF5 / netCDF-4 bookkeeping attributes that readers should not show as metadata.
_HIDDEN_ATTRS = frozenset({
    "REFERENCE_LIST", "CLASS", "DIMENSION_LIST", "NAME", "_Netcdf4Dimid",
    "_Netcdf4Coordinates", "_nc3_strict", "_NCProperties",
})
_STR = h5py.string_dtype("utf-8")
_MAX_NODE_CHUNK = 4096
#: threads that shuffle and deflate whole chunks (zlib releases the GIL): gzip level 4 runs at
#: about 45 MB/s on one core, the whole host side of a GPU run otherwise
_DEFLATE_THREADS = max(1, min(16, os.cpu_count() or 1))
_TARGET_CHUNK_BYTES = 4 * 1024 * 1024
#: Group holding the state a run continues from (``--resume``): two slots written in turn,
#: ``slot0`` and ``slot1``, and the group attribute ``slot`` naming the valid one.
RESTART_GROUP = "restart"
#: errno values that mean "no room for the next chunk"
_NO_SPACE = frozenset(e for e in (errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", None)) if e)
#: bytes reserved on top of the data of one write, for HDF5 metadata (B-tree nodes, headers)
_METADATA_MARGIN_BYTES = 256 * 1024


#: unit suffixes of the state's field names (SI inside, units in names), longest first
_RESTART_UNIT_SUFFIXES = (("_m_s", "m s-1"), ("_j_k", "J K-1"), ("_m", "m"), ("_j", "J"), ("_k", "K"),
                          ("_s", "s"), ("_w", "W"))


def restart_units(leaf: str) -> str:
    """CF units of a restart leaf from its field name (``acc.energy_generated_j`` -> ``J``;
    counts, codes and fractions -> ``1``)."""
    name = leaf.rsplit(".", 1)[-1]
    for suffix, units in _RESTART_UNIT_SUFFIXES:
        if name.endswith(suffix):
            return units
    return "1"


def _software_version() -> str:
    pkg = sys.modules.get(__package__ or "orbital_sim")
    return str(getattr(pkg, "__version__", "unknown"))


def _parse_epoch(epoch_iso: str) -> datetime:
    """ISO 8601 string -> naive datetime in UTC (a string without an offset is taken as UTC)."""
    try:
        dt = datetime.fromisoformat(str(epoch_iso).strip())
    except ValueError as exc:
        raise ValueError(f"epoch_iso = {epoch_iso!r}: not an ISO 8601 date-time") from exc
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


def cf_time_units(epoch_iso: str) -> str:
    """CF ``units`` of the time coordinate: ``seconds since YYYY-MM-DD HH:MM:SS[.ffffff]`` (UTC).

    The space-separated form without a zone suffix is the one CF, cftime, netcdf-c (udunits) and
    pandas all parse the same way.
    """
    dt = _parse_epoch(epoch_iso)
    text = dt.strftime("%Y-%m-%d %H:%M:%S")
    if dt.microsecond:
        text += f".{dt.microsecond:06d}"
    return f"seconds since {text}"


# --------------------------------------------------------------------------------------------
# Attribute helpers (netCDF-compatible types only)
# --------------------------------------------------------------------------------------------

def _attr_value(key: str, value: Any) -> Any:
    """Convert a Python/numpy value to an HDF5 attribute value that netCDF-4 understands."""
    if isinstance(value, (str, np.str_)):
        return np.array(str(value), dtype=_STR)
    if isinstance(value, (bool, np.bool_)):
        return np.array([int(value)], dtype=np.int8)
    if isinstance(value, int):
        dtype = np.int32 if -(2**31) <= value < 2**31 else np.int64
        return np.array([value], dtype=dtype)
    if isinstance(value, float):
        return np.array([value], dtype=np.float64)
    if isinstance(value, np.integer):
        return np.array([value], dtype=value.dtype)
    if isinstance(value, np.floating):  # netCDF has no float16
        return np.array([value], dtype=np.float32 if value.dtype.itemsize < 4 else value.dtype)
    if isinstance(value, (list, tuple, np.ndarray)):
        arr = np.asarray(value)
        if arr.ndim > 1:
            raise TypeError(f"attribute {key!r}: only scalars and 1-D sequences are allowed")
        if arr.size == 0:
            raise TypeError(f"attribute {key!r}: empty sequences are not allowed")
        if arr.dtype.kind in "US" or arr.dtype == object:
            return np.array([str(v) for v in arr.tolist()], dtype=_STR)
        if arr.dtype.kind == "b":
            return arr.astype(np.int8)
        if arr.dtype.kind == "f" and arr.dtype.itemsize < 4:
            return arr.astype(np.float32)
        if arr.dtype.kind in "iuf":
            return arr
    raise TypeError(
        f"attribute {key!r} = {value!r}: type {type(value).__name__} cannot be stored in a "
        "netCDF file (use str, int, float, bool or a 1-D sequence of them)"
    )


def _set_attr(obj: h5py.HLObject, key: str, value: Any) -> None:
    obj.attrs.create(key, _attr_value(key, value))


def _read_attr(value: Any) -> Any:
    """HDF5 attribute value -> plain Python value (strings decoded, 1-element arrays unwrapped)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "S" or value.dtype == object:
            items = [v.decode("utf-8", "replace") if isinstance(v, bytes) else v
                     for v in value.tolist()]
            return items[0] if len(items) == 1 else items
        if value.size == 1:
            return value.reshape(()).item()
        return value
    if isinstance(value, np.generic):
        return value.item()
    return value


def _read_attrs(obj: h5py.HLObject) -> dict[str, Any]:
    return {k: _read_attr(obj.attrs[k]) for k in obj.attrs if k not in _HIDDEN_ATTRS}


def check_output_path(path: str | os.PathLike, overwrite: bool, create_folder: bool = False) -> None:
    """Raise an OSError (``strerror`` = a one-line message naming the path) unless ``path`` can
    be created: its folder exists, is a folder and is writable, and ``path`` is not a folder
    and does not exist (or ``overwrite``). ``create_folder``: a missing folder is fine when its
    nearest existing ancestor is a writable folder (the caller creates it). Touches nothing."""
    _check_output_path(Path(path), overwrite, create_folder)


def check_resume_path(path: str | os.PathLike) -> None:
    """Raise an OSError (one-line ``strerror``) unless ``path`` is an existing, readable and
    writable file that a run can continue (``--resume``). Touches nothing."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(
            errno.EISDIR, f"output path is a directory, not a file: {path}", str(path))
    if not path.exists():
        raise FileNotFoundError(
            errno.ENOENT, f"cannot resume: {path} does not exist (run without --resume to start "
            "the run)", str(path))
    if not os.access(path, os.R_OK | os.W_OK):
        raise PermissionError(
            errno.EACCES, f"cannot resume: {path} is not readable and writable", str(path))


def _check_output_path(path: Path, overwrite: bool, create_folder: bool = False) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    if create_folder and not parent.exists():
        parent = next((p for p in parent.parents if p.exists()), Path("."))  # created from here on
    if not parent.exists():
        raise FileNotFoundError(
            errno.ENOENT, f"output directory does not exist: {parent} (create it first)",
            str(parent))
    if not parent.is_dir():
        raise NotADirectoryError(
            errno.ENOTDIR, f"output directory is not a directory: {parent}", str(parent))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(
            errno.EACCES, f"output directory is not writable: {parent}", str(parent))
    if path.is_dir():
        raise IsADirectoryError(
            errno.EISDIR, f"output path is a directory, not a file: {path}", str(path))
    if path.exists() and not overwrite:
        raise FileExistsError(
            errno.EEXIST, f"output file already exists: {path} (--overwrite replaces it, --resume "
            "continues an unfinished run; in Python overwrite=True or resume=True)", str(path))


def _unique_names(kind: str, names: Sequence[str]) -> list[str]:
    names = [str(n) for n in names]
    if not names:
        raise ValueError(f"{kind}: at least one name is needed")
    dup = sorted(n for n, count in Counter(names).items() if count > 1)
    if dup:
        raise ValueError(f"{kind}: duplicate names {dup}")
    return names


# --------------------------------------------------------------------------------------------
# Writer
# --------------------------------------------------------------------------------------------

class ResultWriter:
    """Write a run's results chunk by chunk to a NetCDF-4-compatible HDF5 file.

    ``completed`` (root attribute, int8) is 0 from creation until ``close(completed=True)``.
    Leaving a ``with`` block closes the file with ``completed = 1`` if no exception is
    propagating and ``close`` was not called, else 0.

    Every ``write_chunk`` ends with an HDF5 flush, so a process killed between chunks leaves a
    readable file holding every finished chunk. A kill in the middle of a chunk may leave that
    chunk partly written (NaN data / NaT times) and, rarely, the file unreadable: HDF5 has no
    journal outside SWMR mode. An exception inside ``write_chunk`` (a KeyboardInterrupt, a
    write error) shrinks the variables back to the samples written before it.

    Running out of room: before each write the writer reserves the bytes it may need at the end
    of the file (``os.posix_fallocate``: uncompressed size plus a margin for HDF5 metadata). If
    the disk is full or a file-size limit is reached, the write raises an :class:`OSError`
    (ENOSPC / EFBIG) before HDF5 touches the file, so every finished chunk stays readable; a
    reserved tail beyond HDF5's end of file is cut off on ``close``.

    Restart state (``write_chunk(..., restart=...)``, :meth:`read_restart`, :meth:`reopen`,
    :meth:`truncate`): the group ``restart`` holds the state the run continues from, in two
    slots written in turn; the group attribute ``slot`` names the one that agrees with the
    samples, and is switched only after the new slot and the chunk's samples are flushed.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        node_names: Sequence[str],
        node_class: Sequence[str],
        component_names: Sequence[str],
        epoch_iso: str,
        variables: Sequence[str] | None,
        attrs: Mapping[str, Any],
        compression: int = 4,
        overwrite: bool = False,
        expected_times: int | None = None,
    ) -> None:
        self.path = Path(path)
        self._file: h5py.File | None = None
        nodes = _unique_names("node_names", node_names)
        classes = [str(c) for c in node_class]
        if len(classes) != len(nodes):
            raise ValueError(f"node_class has {len(classes)} entries for {len(nodes)} nodes")
        components = _unique_names("component_names", component_names)
        if variables is None:
            variables = DEFAULT_VARIABLES
        unknown = [v for v in variables if v not in _ALL_SERIES]
        if unknown:
            raise ValueError(f"unknown output variables {unknown}; known: {list(TIME_SERIES)}")
        self.variables: list[str] = list(dict.fromkeys(variables))
        if isinstance(compression, bool) or not isinstance(compression, (int, np.integer)) \
                or not 0 <= compression <= 9:
            raise ValueError(f"compression = {compression!r}: must be an integer in 0..9")
        if expected_times is not None and (
                isinstance(expected_times, bool) or int(expected_times) != expected_times
                or expected_times < 0):
            raise ValueError(f"expected_times = {expected_times!r}: must be an integer >= 0")
        units = cf_time_units(epoch_iso)  # validates the epoch before anything is created
        _check_output_path(self.path, overwrite)

        self.node_names = nodes
        self.node_class = classes
        self.component_names = components
        self.epoch_iso = str(epoch_iso)
        self.compression = int(compression)
        self.expected_times = None if expected_times is None else int(expected_times)
        self._sizes = {"node": len(nodes), "component": len(components), "xyz": 3}
        self._n_times = 0
        self._last_time = -math.inf
        self._completed_on_close: bool | None = None
        self._fd: int | None = None
        self._pool: ThreadPoolExecutor | None = None

        try:
            self._file = h5py.File(self.path, "w", track_order=True)
            self._create_layout(units, attrs)
            self._file.flush()
            self._open_reserve_fd()
        except BaseException:
            if self._file is not None:
                try:
                    self._file.close()
                finally:
                    self._file = None
                    self._close_reserve_fd()
                    try:
                        self.path.unlink()
                    except OSError:
                        pass
            raise

    @classmethod
    def reopen(cls, path: str | os.PathLike, *, node_names: Sequence[str],
               component_names: Sequence[str], variables: Sequence[str] | None) -> "ResultWriter":
        """Open an unfinished result file in ``r+`` mode to continue writing it (``--resume``).

        Checks that the file's ``node`` and ``component`` coordinates and its time series match
        the arguments (ValueError naming the difference otherwise); ``completed`` is set to 0
        until :meth:`close`. The caller then calls :meth:`read_restart` and :meth:`truncate`.
        """
        self = cls.__new__(cls)
        self.path = Path(path)
        self._file = None
        self._fd = None
        self._pool = None
        self._completed_on_close = None
        variables = DEFAULT_VARIABLES if variables is None else variables
        self.variables = list(dict.fromkeys(variables))
        f = h5py.File(self.path, "r+")
        try:
            missing = [n for n in ("time", "node", "component", "xyz", "node_class") if n not in f]
            if missing:
                raise ValueError(f"{self.path} is not an orbital_sim result file (no {missing})")
            nodes, comps = _strings(f["node"]).tolist(), _strings(f["component"]).tolist()
            if nodes != [str(n) for n in node_names]:
                raise ValueError(f"{self.path} holds {len(nodes)} nodes {nodes[:3]}..., the "
                                 f"run has {len(node_names)} {list(node_names)[:3]}...")
            if comps != [str(c) for c in component_names]:
                raise ValueError(f"{self.path} holds components {comps}, the run has "
                                 f"{list(component_names)}")
            present = [n for n in _ALL_SERIES if n in f]
            extra = [n for n in present if n not in self.variables]
            if extra:
                raise ValueError(f"{self.path} holds time series {extra} that the run does not "
                                 f"write ({self.variables})")
            self.node_names = nodes
            self.node_class = _strings(f["node_class"]).tolist()
            self.component_names = comps
            attrs = _read_attrs(f)
            self.epoch_iso = str(attrs.get("epoch", ""))
            expected = attrs.get("expected_time_samples")
            self.expected_times = None if expected is None else int(expected)
            self.compression = 0
            for n in present:
                opts = f[n].compression_opts
                self.compression = int(opts) if f[n].compression == "gzip" and opts else 0
                break
            self._sizes = {"node": len(nodes), "component": len(comps), "xyz": 3}
            self._scales = {name: f[name] for name in ("time", "node", "component", "xyz")}
            for name in ("station", "latency_bin", "surface"):  # ground stations, surfaces
                if name in f:
                    self._scales[name] = f[name]
                    self._sizes[name] = int(f[name].shape[0])
            self._n_times = int(f["time"].shape[0])
            t = f["time"][...]
            self._last_time = float(t[-1]) if t.size and np.isfinite(t[-1]) else -math.inf
            f.attrs.modify("completed", np.array([0], dtype=np.int8))
            f.flush()
        except BaseException:
            f.close()
            raise
        self._file = f
        self._open_reserve_fd()
        return self

    # -- layout ------------------------------------------------------------------------------

    def _create_layout(self, time_units: str, attrs: Mapping[str, Any]) -> None:
        f = self._file
        assert f is not None
        root: dict[str, Any] = {
            "Conventions": "CF-1.10",
            "title": "orbital_sim results",
            "software_version": _software_version(),
            "epoch": self.epoch_iso,
            "config_toml": "",
            "device": "unknown",
            "dtype": "unknown",
        }
        for key, value in dict(attrs or {}).items():
            if key in _HIDDEN_ATTRS or key in ("completed", "expected_time_samples"):
                raise ValueError(f"attrs: {key!r} is reserved")
            root[str(key)] = value
        root.setdefault(
            "history",
            f"{datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')} created by "
            f"orbital_sim {root['software_version']}")
        ncprops = (f"version=2,orbital_sim={_software_version()},"
                   f"hdf5={h5py.version.hdf5_version},h5py={h5py.__version__}")
        f.attrs.create("_NCProperties", np.array(ncprops.encode("ascii")),
                       dtype=h5py.string_dtype("ascii", len(ncprops)))
        for key, value in root.items():
            _set_attr(f, key, value)
        _set_attr(f, "completed", np.int8(0))
        if self.expected_times is not None:
            _set_attr(f, "expected_time_samples", self.expected_times)

        # Coordinate variables = dimension scales, created in dimension-id order.
        t_chunk = min(max(self.expected_times or 0, 256), 4096)
        time = f.create_dataset("time", shape=(0,), maxshape=(None,), dtype=np.float64,
                                chunks=(t_chunk,), fillvalue=np.nan, track_order=True)
        coord_values = {
            "node": self.node_names,
            "component": self.component_names,
            "xyz": ["x", "y", "z"],
        }
        scales = {"time": time}
        for name, values in coord_values.items():
            scales[name] = f.create_dataset(name, data=np.array(values, dtype=_STR),
                                            dtype=_STR, track_order=True)
        for name, ds in scales.items():
            ds.make_scale(name)
            ds.attrs.create("_Netcdf4Dimid", np.int32(_DIM_IDS[name]))
            ds.attrs.create("_Netcdf4Coordinates", np.array([_DIM_IDS[name]], np.int32))
            _set_attr(ds, "long_name", _COORD_LONG_NAMES[name])
        for key, value in (("units", time_units), ("calendar", "standard"),
                           ("standard_name", "time"), ("axis", "T")):
            _set_attr(time, key, value)
        self._scales = scales

        cls = f.create_dataset("node_class", data=np.array(self.node_class, dtype=_STR),
                               dtype=_STR, track_order=True)
        self._attach(cls, ("node",))
        _set_attr(cls, "long_name", _NODE_CLASS_LONG_NAME)

    def write_sweep(self, mode: str, node_variant: Sequence[int],
                    parameters: Sequence[tuple[str, str, str, Any]]) -> None:
        """Record a parameter sweep (``[sweep]``): dimension ``variant`` (an int32 coordinate
        0..n-1), ``node_variant(node)`` (int32: each node's variant), and one variable
        ``(variant)`` per swept parameter; root attributes ``sweep_mode`` and
        ``sweep_parameters`` (the key paths, in order).

        ``parameters``: ``(variable name, key path, units, values)``; values are numbers
        (stored float64), booleans (int8) or strings. Call once, before the first chunk.
        """
        f = self._require_open()
        if "variant" in f:
            raise ValueError(f"{self.path} already records a sweep")
        index = np.asarray(node_variant)
        if index.shape != (self._sizes["node"],) or index.dtype.kind not in "iu":
            raise ValueError(f"node_variant: {index.dtype}{list(index.shape)}, expected one integer per node")
        lengths = {len(v) for *_, v in parameters}
        if len(lengths) != 1:
            raise ValueError(f"sweep parameters of different lengths {sorted(lengths)}")
        n = lengths.pop()
        if n < 1 or index.min() < 0 or index.max() >= n:
            raise ValueError(f"node_variant must lie in 0..{n - 1}")
        scale = f.create_dataset("variant", data=np.arange(n, dtype=np.int32), track_order=True)
        scale.make_scale("variant")
        scale.attrs.create("_Netcdf4Dimid", np.int32(_DIM_IDS["variant"]))
        scale.attrs.create("_Netcdf4Coordinates", np.array([_DIM_IDS["variant"]], np.int32))
        _set_attr(scale, "long_name", _COORD_LONG_NAMES["variant"])
        self._scales["variant"] = scale
        self._sizes["variant"] = n
        ds = f.create_dataset("node_variant", data=index.astype(np.int32), track_order=True)
        self._attach(ds, ("node",))
        _set_attr(ds, "long_name", "index of the sweep variant the node belongs to")
        _set_attr(ds, "units", "1")
        for name, path, units, values in parameters:
            vals = list(values)
            if all(isinstance(v, (bool, np.bool_)) for v in vals):
                data = np.asarray(vals, dtype=np.int8)
            elif all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                     for v in vals):
                data = np.asarray(vals, dtype=np.float64)
            else:
                data = np.array([str(v) for v in vals], dtype=_STR)
            ds = f.create_dataset(name, data=data, dtype=data.dtype, track_order=True)
            self._attach(ds, ("variant",))
            _set_attr(ds, "long_name", f"swept config key {path}")
            _set_attr(ds, "sweep_key", path)
            if data.dtype.kind != "O":
                _set_attr(ds, "units", units)
        _set_attr(f, "sweep_mode", str(mode))
        _set_attr(f, "sweep_parameters", [str(p[1]) for p in parameters])
        f.flush()

    def write_surfaces(self, names: Sequence[str]) -> None:
        """Record the ``surface`` dimension and its coordinate (surface names, in slot order) of
        the per-surface series (:data:`SURFACE_SERIES`). Call once, before the first chunk."""
        f = self._require_open()
        if "surface" in f:
            raise ValueError(f"{self.path} already records surfaces")
        names = _unique_names("surface names", names)
        scale = f.create_dataset("surface", data=np.array(names, dtype=_STR), dtype=_STR, track_order=True)
        scale.make_scale("surface")
        scale.attrs.create("_Netcdf4Dimid", np.int32(_DIM_IDS["surface"]))
        scale.attrs.create("_Netcdf4Coordinates", np.array([_DIM_IDS["surface"]], np.int32))
        _set_attr(scale, "long_name", _COORD_LONG_NAMES["surface"])
        self._scales["surface"] = scale
        self._sizes["surface"] = len(names)
        f.flush()

    def write_stations(self, names: Sequence[str], latitude_rad, longitude_rad, altitude_m,
                       elevation_mask_rad, latency_bin_s: float, n_bins: int) -> None:
        """Record the ground stations (``[[ground_station]]``): dimension and coordinate
        ``station`` (names), ``station_latitude``, ``station_longitude`` (WGS-84 geodetic, rad),
        ``station_altitude`` (m), ``station_elevation_mask`` (rad), and the dimension
        ``latency_bin`` (coordinate: lower bin edges, s) of the light-time histograms kept in
        the restart state. Call once, before the first chunk and the restart state."""
        f = self._require_open()
        if "station" in f:
            raise ValueError(f"{self.path} already records ground stations")
        names = _unique_names("station names", names)
        edges = np.arange(int(n_bins), dtype=np.float64) * float(latency_bin_s)
        for dim, data in (("station", np.array(names, dtype=_STR)), ("latency_bin", edges)):
            scale = f.create_dataset(dim, data=data, dtype=data.dtype, track_order=True)
            scale.make_scale(dim)
            scale.attrs.create("_Netcdf4Dimid", np.int32(_DIM_IDS[dim]))
            scale.attrs.create("_Netcdf4Coordinates", np.array([_DIM_IDS[dim]], np.int32))
            _set_attr(scale, "long_name", _COORD_LONG_NAMES[dim])
            self._scales[dim] = scale
            self._sizes[dim] = len(data)
        _set_attr(f["latency_bin"], "units", "s")
        for name, values, units, long_name in (
                ("station_latitude", latitude_rad, "rad", "station geodetic latitude (WGS-84)"),
                ("station_longitude", longitude_rad, "rad", "station east longitude (WGS-84)"),
                ("station_altitude", altitude_m, "m", "station height above the WGS-84 ellipsoid"),
                ("station_elevation_mask", elevation_mask_rad, "rad",
                 "lowest elevation at which a node is in contact")):
            data = np.asarray(values, dtype=np.float64)
            if data.shape != (len(names),):
                raise ValueError(f"{name}: shape {data.shape}, expected ({len(names)},)")
            ds = f.create_dataset(name, data=data, track_order=True)
            self._attach(ds, ("station",))
            _set_attr(ds, "units", units)
            _set_attr(ds, "long_name", long_name)
        f.flush()

    def _attach(self, ds: h5py.Dataset, dims: tuple[str, ...]) -> None:
        for axis, dim in enumerate(dims):
            ds.dims[axis].attach_scale(self._scales[dim])
        ds.attrs.create("_Netcdf4Coordinates", np.array([_DIM_IDS[d] for d in dims], np.int32))

    def _chunks(self, k: int, dims: tuple[str, ...], itemsize: int) -> tuple[int, ...]:
        inner = int(np.prod([self._sizes[d] for d in dims[2:]], dtype=np.int64))
        node_c = min(self._sizes["node"], _MAX_NODE_CHUNK)
        time_c = max(1, k)
        while time_c * node_c * inner * itemsize > _TARGET_CHUNK_BYTES and node_c > 256:
            node_c = (node_c + 1) // 2
        if time_c * node_c * inner * itemsize > _TARGET_CHUNK_BYTES:
            time_c = max(1, _TARGET_CHUNK_BYTES // (node_c * inner * itemsize))
        return (time_c, node_c) + tuple(self._sizes[d] for d in dims[2:])

    def _create_variable(self, name: str, dims: tuple[str, ...], units: str, long_name: str,
                         dtype: np.dtype, chunks: tuple[int, ...] | None,
                         shape: tuple[int, ...]) -> h5py.Dataset:
        f = self._file
        assert f is not None
        kwargs: dict[str, Any] = {}
        if chunks is not None:
            kwargs["chunks"] = chunks
            kwargs["maxshape"] = (None,) + shape[1:] if dims[0] == "time" else shape
            if self.compression:
                kwargs.update(compression="gzip", compression_opts=self.compression,
                              shuffle=True)
        is_float = dtype.kind == "f"
        if is_float:
            kwargs["fillvalue"] = dtype.type(np.nan)
        ds = f.create_dataset(name, shape=shape, dtype=dtype, track_order=True, **kwargs)
        self._attach(ds, dims)
        if is_float:
            ds.attrs.create("_FillValue", np.array([np.nan], dtype=dtype))
        _set_attr(ds, "units", units)
        _set_attr(ds, "long_name", long_name)
        _set_attr(ds, "coordinates", "node_class")
        return ds

    # -- writing -----------------------------------------------------------------------------

    def _require_open(self) -> h5py.File:
        if self._file is None:
            raise ValueError(f"ResultWriter for {self.path} is closed")
        return self._file

    def _shape(self, dims: tuple[str, ...], k: int | None) -> tuple[int, ...]:
        return tuple(k if d == "time" else self._sizes[d] for d in dims)  # type: ignore[misc]

    @property
    def samples_written(self) -> int:
        """Number of time samples written so far."""
        return self._n_times

    # -- room on the disk --------------------------------------------------------------------

    def _open_reserve_fd(self) -> None:
        if hasattr(os, "posix_fallocate"):
            try:
                self._fd = os.open(self.path, os.O_WRONLY)
            except OSError:
                self._fd = None

    def _close_reserve_fd(self) -> None:
        if self._fd is not None:
            try:
                os.close(self._fd)
            finally:
                self._fd = None

    def _reserve(self, nbytes: int) -> None:
        """Make sure ``nbytes`` (plus a metadata margin) can be written past HDF5's end of
        file; raise OSError(ENOSPC/EFBIG, one line) before any HDF5 write if they cannot."""
        if self._fd is None or self._file is None:
            return
        need = int(nbytes) + _METADATA_MARGIN_BYTES
        end = int(self._file.id.get_filesize())  # HDF5's end of allocated space
        if os.fstat(self._fd).st_size >= end + need:
            return
        try:
            os.posix_fallocate(self._fd, end, need)
        except OSError as err:
            if err.errno in _NO_SPACE:
                raise OSError(
                    err.errno, f"no room for {need} more bytes ({os.strerror(err.errno)})",
                    str(self.path)) from None
            # the file system cannot reserve (EOPNOTSUPP, EINVAL...): write without reserving

    # -- restart state -----------------------------------------------------------------------

    def _restart_bytes(self, leaves: Mapping[str, Any]) -> int:
        return sum(int(np.asarray(a).nbytes) for _, a in leaves.values())

    def _write_restart_slot(self, leaves: Mapping[str, tuple[Sequence[str], Any]],
                            attrs: Mapping[str, Any]) -> int:
        """Write the slot that is not current; return its index (the pointer is not moved)."""
        f = self._file
        assert f is not None
        group = f.get(RESTART_GROUP)
        if group is None:
            group = f.create_group(RESTART_GROUP, track_order=True)
            _set_attr(group, "long_name", "state the run continues from (orbital-sim run "
                      "--resume); attribute slot names the valid sub-group")
        current = int(_read_attr(group.attrs["slot"])) if "slot" in group.attrs else -1
        target = 1 - current if current in (0, 1) else 0
        for k in (0, 1):  # both slots get every leaf, so their layouts never differ
            name = f"slot{k}"
            slot = group.get(name)
            if slot is None:
                slot = group.create_group(name, track_order=True)
            for leaf, (dims, value) in leaves.items():
                arr = np.asarray(value)
                dims = tuple(dims)
                want = self._shape(dims, None)
                if arr.shape != want:
                    raise ValueError(f"restart leaf {leaf}: shape {arr.shape}, expected {want} "
                                     f"{dims}")
                if leaf not in slot:
                    ds = slot.create_dataset(leaf, shape=arr.shape, dtype=arr.dtype,
                                             track_order=True)
                    self._attach(ds, dims)
                    _set_attr(ds, "units", restart_units(leaf))
                    _set_attr(ds, "long_name", f"restart state: {leaf}")
                elif slot[leaf].dtype != arr.dtype:
                    raise ValueError(f"restart leaf {leaf}: dtype {arr.dtype}, the file holds "
                                     f"{slot[leaf].dtype}")
                if k == target:
                    slot[leaf][...] = arr
        slot = group[f"slot{target}"]
        for key, value in {**dict(attrs), "samples": self._n_times}.items():
            _set_attr(slot, key, value)
        return target

    def _point_restart(self, target: int) -> None:
        group = self._file[RESTART_GROUP]
        if "slot" in group.attrs:
            group.attrs.modify("slot", np.array([target], dtype=np.int8))
        else:
            group.attrs.create("slot", np.array([target], dtype=np.int8))

    def write_restart(self, leaves: Mapping[str, tuple[Sequence[str], Any]],
                      attrs: Mapping[str, Any] | None = None) -> None:
        """Store the state the run continues from, for the samples written so far.

        ``leaves``: ``{name: (dims, array)}`` with dims from ``node``, ``component``, ``xyz``
        (e.g. ``("node", "xyz")``); ``attrs``: numbers or strings kept with it (e.g. the next
        chunk's index). The slot attribute ``samples`` records :attr:`samples_written`. Written
        to the spare slot, flushed, then made current and flushed again.
        """
        self._require_open()
        self._reserve(2 * self._restart_bytes(leaves))
        target = self._write_restart_slot(leaves, attrs or {})
        self._file.flush()
        self._point_restart(target)
        self._file.flush()

    def read_restart(self) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
        """The current restart state: ``({leaf name: array}, {attribute: value})`` with
        attribute ``samples`` (time samples it agrees with); None if the file holds none."""
        f = self._require_open()
        return _read_restart(f)

    def add_history(self, text: str) -> None:
        """Append a dated line to the root attribute ``history`` (CF), e.g. a resume."""
        f = self._require_open()
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        old = _read_attr(f.attrs["history"]) if "history" in f.attrs else ""
        _set_attr(f, "history", (f"{old}\n" if old else "") + f"{stamp} {text}")

    def truncate(self, n_samples: int) -> None:
        """Drop every time sample after the first ``n_samples`` (a partly written chunk)."""
        f = self._require_open()
        n = int(n_samples)
        if not 0 <= n <= self._n_times:
            raise ValueError(f"truncate({n}): the file holds {self._n_times} samples")
        for name in self.variables:
            if name in f:
                f[name].resize(n, axis=0)
        time = self._scales["time"]
        time.resize((n,))
        self._n_times = n
        t = time[...]
        self._last_time = float(t[-1]) if n and np.isfinite(t[-1]) else -math.inf
        f.flush()

    def write_chunk(self, time_s: np.ndarray, series: Mapping[str, Any], *,
                    restart: tuple[Mapping[str, tuple[Sequence[str], Any]],
                                   Mapping[str, Any]] | None = None) -> None:
        """Append ``k = len(time_s)`` samples along ``time`` and flush the file.

        ``restart``: optional ``(leaves, attrs)`` as for :meth:`write_restart`: the state
        after these samples, written with them before the flush that ends the chunk, and made
        current only once samples and state are both on disk.

        ``time_s``: float64 seconds since the epoch, strictly increasing and after the samples
        already written. ``series`` holds exactly the writer's ``variables``, each shaped like
        its dimensions with ``time = k`` (``(k, node)``, ``(k, node, component)`` or
        ``(k, node, 3)``). Floating arrays keep their dtype (float32 stays float32; the first
        chunk fixes each variable's dtype); other dtypes are stored as float64.
        """
        f = self._require_open()
        t = np.asarray(time_s, dtype=np.float64)
        if t.ndim != 1 or t.size == 0:
            raise ValueError(f"time_s must be a non-empty 1-D array, got shape {t.shape}")
        if not np.all(np.isfinite(t)):
            raise ValueError("time_s holds non-finite values")
        if np.any(np.diff(t) <= 0) or t[0] <= self._last_time:
            raise ValueError("time_s must be strictly increasing and follow the samples "
                             f"already written (last written: {self._last_time} s)")
        k = t.size
        missing = [v for v in self.variables if v not in series]
        extra = [v for v in series if v not in self.variables]
        if missing or extra:
            raise ValueError(f"write_chunk: missing variables {missing}, unexpected {extra}; "
                             f"this writer writes {self.variables}")
        arrays: dict[str, np.ndarray] = {}
        for name in self.variables:
            dims = _ALL_SERIES[name][0]
            arr = np.asarray(series[name])
            want = self._shape(dims, k)
            if arr.shape != want:
                raise ValueError(f"{name}: shape {arr.shape}, expected {want} {dims}")
            if arr.dtype.kind != "f" or arr.dtype.itemsize < 4:
                arr = arr.astype(np.float64)
            arrays[name] = arr

        nbytes = sum(a.nbytes for a in arrays.values()) + t.nbytes
        if restart is not None:
            nbytes += self._restart_bytes(restart[0])
        self._reserve(nbytes + nbytes // 8)

        n0, n1 = self._n_times, self._n_times + k
        committed = False
        try:
            for name in self.variables:  # data first, the time coordinate last
                arr = arrays[name]
                if name not in f:
                    dims, units, long_name = _ALL_SERIES[name]
                    self._create_variable(name, dims, units, long_name, arr.dtype,
                                          self._chunks(k, dims, arr.dtype.itemsize),
                                          self._shape(dims, 0))
                ds = f[name]
                ds.resize(n1, axis=0)
                self._write_rows(ds, n0, arr)
            time = self._scales["time"]
            time.resize((n1,))
            time[n0:n1] = t
            self._n_times = n1
            target = None if restart is None else self._write_restart_slot(*restart)
            f.flush()
            if target is not None:
                self._point_restart(target)
            committed = True  # samples and restart state agree from here on
            self._last_time = float(t[-1])
            if target is not None:
                f.flush()
        except BaseException:
            if not committed:
                self._n_times = n0
                self._roll_back(n0)
            raise

    def _write_rows(self, ds: h5py.Dataset, n0: int, arr: np.ndarray) -> None:
        """``ds[n0:n0 + len(arr)] = arr``. With gzip + shuffle, each chunk the rows cover whole
        is shuffled and deflated in a thread pool and stored as is (``write_direct_chunk``:
        the bytes HDF5's own filters would store, so any reader decodes them); rows that cover
        a chunk in part go through HDF5."""
        n1 = n0 + arr.shape[0]
        direct = (self.compression and ds.chunks is not None and ds.compression == "gzip"
                  and ds.shuffle and not ds.fletcher32 and ds.scaleoffset is None
                  and ds.dtype.kind == "f")
        tc = ds.chunks[0] if direct else 1
        a, b = -(-n0 // tc) * tc, (n1 // tc) * tc  # [a, b): the rows of whole chunks
        if not direct or a >= b:
            ds[n0:n1] = arr
            return
        if n0 < a:
            ds[n0:a] = arr[:a - n0]
        if b < n1:
            ds[b:n1] = arr[b - n0:]
        level, itemsize = int(ds.compression_opts), ds.dtype.itemsize
        block = np.ascontiguousarray(arr[a - n0:b - n0], dtype=ds.dtype)
        fill = ds.fillvalue

        def deflate(offset: tuple[int, ...]) -> bytes:
            start = (offset[0] - a,) + offset[1:]  # block starts at row a
            piece = block[tuple(slice(o, o + c) for o, c in zip(start, ds.chunks))]
            if piece.shape != ds.chunks:  # a chunk past the end of a fixed axis: fill the rest
                full = np.full(ds.chunks, fill, dtype=ds.dtype)
                full[tuple(slice(0, m) for m in piece.shape)] = piece
                piece = full
            raw = np.ascontiguousarray(piece).view(np.uint8).reshape(-1, itemsize)
            return zlib.compress(np.ascontiguousarray(raw.T), level)  # HDF5's shuffle, then deflate

        grid = [range(a, b, tc)] + [range(0, m, c) for m, c in zip(ds.shape[1:], ds.chunks[1:])]
        offsets = list(itertools.product(*grid))
        if self._pool is None:
            self._pool = ThreadPoolExecutor(_DEFLATE_THREADS, thread_name_prefix="orbital_sim-deflate")
        for offset, data in zip(offsets, self._pool.map(deflate, offsets)):
            ds.id.write_direct_chunk(offset, data)

    def _roll_back(self, n: int) -> None:
        """After a failed write: every time series and the time coordinate back to n samples
        (best effort; the restart slot pointer was not moved)."""
        f = self._file
        if f is None:
            return
        try:
            for name in self.variables:
                if name in f and f[name].shape[0] > n:
                    f[name].resize(n, axis=0)
            if self._scales["time"].shape[0] > n:
                self._scales["time"].resize((n,))
        except Exception:  # the file may be unwritable (disk full): the restart state decides
            pass

    def write_summary(self, summary: Mapping[str, Any]) -> None:
        """Write (or overwrite) per-node summary variables; names must be keys of SUMMARY."""
        f = self._require_open()
        unknown = [k for k in summary if k not in _ALL_SUMMARY]
        if unknown:
            raise ValueError(f"unknown summary variables {unknown}; known: {list(_ALL_SUMMARY)}")
        arrays = {}
        for name, value in summary.items():
            dims = _ALL_SUMMARY[name][0]
            arr = np.asarray(value)
            want = self._shape(dims, None)
            if arr.shape != want:
                raise ValueError(f"{name}: shape {arr.shape}, expected {want} {dims}")
            if name in _FLAG_VARIABLES or name == "temperature_limit_flag":
                if arr.dtype.kind not in "iub" or (arr.size and (arr.min() < -128
                                                                or arr.max() > 127)):
                    raise ValueError(f"{name}: integer codes in -128..127 expected")
                arr = arr.astype(np.int8)
            else:
                arr = arr.astype(np.int32 if arr.dtype.kind in "iu" else np.float64)
            arrays[name] = arr
        self._reserve(sum(a.nbytes for a in arrays.values()) + 16 * 1024 * len(arrays))
        for name, arr in arrays.items():
            if name not in f:
                dims, units, long_name = _ALL_SUMMARY[name]
                ds = self._create_variable(name, dims, units, long_name, arr.dtype, None,
                                           arr.shape)
                if name == "latency_median" and "latency_bin" in f and f["latency_bin"].shape[0] > 1:
                    _set_attr(ds, "resolution", float(f["latency_bin"][1] - f["latency_bin"][0]))
                if name in _FLAG_VARIABLES or name == "temperature_limit_flag":
                    if name == "temperature_limit_flag":
                        from orbital_sim.design_cases import LIMIT_FLAGS as flags
                    else:
                        flags = _FLAG_VARIABLES[name]
                    ds.attrs.create("flag_values", np.array(sorted(flags), dtype=np.int8))
                    _set_attr(ds, "flag_meanings", " ".join(flags[c] for c in sorted(flags)))
            f[name][...] = arr
        f.flush()

    def close(self, completed: bool) -> None:
        """Set the root attribute ``completed`` (int8 1 or 0) and close the file (idempotent)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        if self._file is None:
            return
        f = self._file
        reserved = False
        try:
            # modify() rewrites the int8 value in place, keeping attribute creation order.
            f.attrs.modify("completed", np.array([1 if completed else 0], dtype=np.int8))
            f.flush()
            if self._fd is not None:
                reserved = os.fstat(self._fd).st_size > int(f.id.get_filesize())
        finally:
            self._file = None
            try:
                f.close()
            finally:
                self._close_reserve_fd()
        if reserved:  # reopening lets HDF5 cut the file back to its end of allocated space
            try:
                h5py.File(self.path, "r+").close()
            except OSError:
                pass

    def __enter__(self) -> "ResultWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(completed=exc_type is None)


# --------------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------------

def open_results(path: str | os.PathLike, *, flat: bool = False, **kwargs: Any):
    """Open a result file as an ``xarray.Dataset`` (engine h5netcdf; time decoded to datetime64).

    Root attribute ``completed`` reads back as ``numpy.int8`` (0 or 1).

    A sweep (``[sweep]``; the file has a ``variant`` dimension): every variable along ``node``
    is split into ``(variant, node)`` (``temperature(time, variant, node, component)``), ``node``
    holds the node names without the ``v{k}/`` prefix, and the swept parameters
    (``sweep_*(variant)``) become coordinates: ``ds.sel(variant=3)`` is variant 3 as a plain
    run. This view is read into memory; ``flat=True`` keeps the file's flat, lazily read
    layout (``node`` = all variants' nodes, ``node_variant(node)`` = each node's variant).
    """
    try:
        import h5netcdf  # noqa: F401
        import xarray as xr
    except ImportError as exc:
        raise ImportError(
            "open_results needs xarray and h5netcdf: pip install xarray h5netcdf") from exc
    ds = xr.open_dataset(os.fspath(path), engine="h5netcdf", **kwargs)
    if flat or "variant" not in ds.dims or "node_variant" not in ds.variables:
        return ds
    return _variant_view(ds)


def _variant_view(ds):
    """A flat sweep Dataset with ``node`` split into ``(variant, node)`` (see open_results)."""
    import xarray as xr

    ds.load()  # everything in memory, so the file can be closed below
    n_var, n_all = ds.sizes["variant"], ds.sizes["node"]
    m = n_all // n_var if n_var else 0
    index = np.asarray(ds["node_variant"].values)
    names = [str(n) for n in ds["node"].values]
    members = [n.split("/", 1)[1] if "/" in n else n for n in names]
    if (m * n_var != n_all or not np.array_equal(index, np.repeat(np.arange(n_var), m))
            or members != members[:m] * n_var):
        raise ValueError("the file's sweep layout is not variant after variant with the same nodes "
                         "in each; open it with flat=True")
    sweep_names = [k for k, v in ds.variables.items() if v.dims == ("variant",) and k != "variant"]
    variables = {}
    for name, var in ds.variables.items():
        if name in ("node", "node_variant"):
            continue
        if "node" in var.dims:
            ax = var.dims.index("node")
            data = np.asarray(var.values)
            data = data.reshape(data.shape[:ax] + (n_var, m) + data.shape[ax + 1:])
            var = xr.Variable(var.dims[:ax] + ("variant", "node") + var.dims[ax + 1:], data,
                              var.attrs, var.encoding)
        variables[name] = var
    variables["node"] = xr.Variable(("node",), np.array(members[:m]), ds["node"].attrs)
    coords = [k for k in ds.coords if k not in ("node",)] + ["node"] + sweep_names
    out = xr.Dataset({k: v for k, v in variables.items() if k not in coords},
                     coords={k: variables[k] for k in coords if k in variables}, attrs=ds.attrs)
    ds.close()
    return out


def _open_read(path: str | os.PathLike) -> h5py.File:
    """Open read-only; if a running writer holds the HDF5 file lock, read without locking.

    A file that is being written is consistent after each flush (end of every chunk); a read
    that overlaps a write may fail, and is retried by running the command again.
    """
    try:
        return h5py.File(path, "r")
    except BlockingIOError:
        return h5py.File(path, "r", locking=False)


def _strings(ds: h5py.Dataset) -> np.ndarray:
    return np.array(ds.asstr()[...].tolist(), dtype=str)


def _read_restart(f: h5py.File) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    group = f.get(RESTART_GROUP)
    if group is None or "slot" not in group.attrs:
        return None
    slot = group.get(f"slot{int(_read_attr(group.attrs['slot']))}")
    if slot is None:
        return None
    return {name: slot[name][...] for name in slot}, _read_attrs(slot)


def read_restart_info(path: str | os.PathLike) -> dict[str, Any] | None:
    """The attributes of a file's current restart state (``samples``, ``next_chunk``, ...),
    or None if it holds none. h5py only."""
    with _open_read(path) as f:
        found = _read_restart(f)
    return None if found is None else found[1]


def read_summary(path: str | os.PathLike) -> dict[str, Any]:
    """Read the per-node summary with h5py only.

    Returns ``{"attrs": root attributes (plain Python values), "node": names, "node_class":
    classes, "component": component names, <summary variable>: numpy array, ...}``; summary
    variables absent from the file (run killed before the end) are absent from the dict.
    """
    with _open_read(path) as f:
        out: dict[str, Any] = {"attrs": _read_attrs(f)}
        for name in ("node", "node_class", "component"):
            if name in f:
                out[name] = _strings(f[name])
        for name in _ALL_SUMMARY:
            if name in f:
                out[name] = f[name][...]
        if "station" in f:
            out["station"] = _strings(f["station"])
        if "node_variant" in f and "variant" in f:  # a sweep: each node's variant, each key's values
            out["node_variant"] = f["node_variant"][...]
            out["sweep_values"] = {
                str(_read_attr(f[name].attrs["sweep_key"])): (_strings(f[name]) if f[name].dtype.kind == "O"
                                                               else f[name][...])
                for name in f if name.startswith("sweep_") and "sweep_key" in f[name].attrs}
    return out


def _fmt(value: float, spec: str) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    return format(value, spec)


def _reduce(fn, values: np.ndarray) -> float:
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    return float(fn(values)) if values.size else float("nan")


def format_summary_table(summary: Mapping[str, Any], component_names: Sequence[str] | None,
                         node_class: Sequence[str] | None = None) -> str:
    """Plain-text table of the per-node summary, per node class and for the fleet.

    ``summary`` maps SUMMARY names to per-node arrays (missing names give no row). Rows: node
    count, eclipse fraction (mean/max), per-component min/max temperature (K and degC),
    minimum state of charge, energy generated/consumed/shed (fleet total and per-node mean,
    MWh), compute availability (mean/min) and the count of nodes with a non-zero status.
    Every number has its unit in the ``unit`` column.
    """
    present = {k: np.asarray(v) for k, v in summary.items() if k in _ALL_SUMMARY}
    n = None
    for v in present.values():
        n = v.shape[0]
        break
    if n is None:
        return "(no summary variables)"
    sweep_note = None
    if "node_variant" in summary and summary.get("sweep_values"):
        # a sweep: one column per variant (each design alone), named by its swept values; no fleet
        # column (the variants are alternatives, not one fleet)
        from orbital_sim.sweep import variant_columns

        keys = summary.get("attrs", {}).get("sweep_parameters") or list(summary["sweep_values"])
        keys = [keys] if isinstance(keys, str) else list(keys)
        sweep_note, names = variant_columns(keys, summary["sweep_values"])
        variant = np.asarray(summary["node_variant"])
        groups = [(name, variant == k) for k, name in enumerate(names)]
    elif node_class is not None:
        node_class = [str(c) for c in node_class]
        if len(node_class) != n:
            raise ValueError(f"node_class has {len(node_class)} entries for {n} nodes")
        classes = list(dict.fromkeys(node_class))
        groups = [(c, np.array([nc == c for nc in node_class])) for c in classes]
    else:
        groups = []
    if sweep_note is None:
        groups.append(("fleet", np.ones(n, dtype=bool)))
    if "temperature_max" in present or "temperature_min" in present:
        ncomp = (present.get("temperature_max", present.get("temperature_min"))).shape[1]
        comps = list(component_names) if component_names is not None else \
            [f"component {i}" for i in range(ncomp)]
    else:
        comps = []

    rows: list[tuple[str, str, list[str]]] = []

    def row(label: str, unit: str, fn) -> None:
        rows.append((label, unit, [fn(mask) for _, mask in groups]))

    row("nodes", "count", lambda m: str(int(m.sum())))
    mwh = 1.0 / 3.6e9
    if "eclipse_fraction" in present:
        e = present["eclipse_fraction"]
        row("eclipse fraction, mean", "%", lambda m: _fmt(100 * _reduce(np.mean, e[m]), ".1f"))
        row("eclipse fraction, max", "%", lambda m: _fmt(100 * _reduce(np.max, e[m]), ".1f"))
    # extremes over the settled window when the file has them (health.WINDOW_RULE), else the whole run
    settled = "temperature_max_settled" in present and np.isfinite(present["temperature_max_settled"]).any()
    # (the line above the table names the window; the row labels stay as they were)
    for key, word, fn in (("temperature_max", "max", np.max), ("temperature_min", "min", np.min)):
        key = key + "_settled" if settled else key
        if key not in present:
            continue
        temp = present[key]
        for j, comp in enumerate(comps):
            row(f"temperature {word}: {comp}", "K",
                lambda m, j=j, t=temp, fn=fn: _fmt(_reduce(fn, t[m, j]), ".1f"))
            row(f"temperature {word}: {comp}", "degC",
                lambda m, j=j, t=temp, fn=fn: _fmt(_reduce(fn, t[m, j]) - 273.15, ".1f"))
    if "temperature_margin_operating" in present:  # margins to the components' limits
        for key, word in (("temperature_margin_operating", "operating"),
                          ("temperature_margin_survival", "survival")):
            marg = present.get(key)
            if marg is None:
                continue
            for j, comp in enumerate(comps):
                if np.isfinite(marg[:, j]).any():
                    row(f"margin to {word} limits: {comp}", "K",
                        lambda m, j=j, mg=marg: _fmt(_reduce(np.min, mg[m, j]), ".1f"))
        if "temperature_limit_flag" in present:
            fl = present["temperature_limit_flag"]
            row("nodes outside operating limits", "count", lambda m: str(int(np.count_nonzero((fl[m] >= 1).any(1)))))
            row("nodes outside survival limits", "count", lambda m: str(int(np.count_nonzero((fl[m] >= 2).any(1)))))
    soc_key = "state_of_charge_min_settled" if "state_of_charge_min_settled" in present and \
        np.isfinite(present["state_of_charge_min_settled"]).any() else "state_of_charge_min"
    if soc_key in present:
        s = present[soc_key]
        row("state of charge, min", "%", lambda m: _fmt(100 * _reduce(np.min, s[m]), ".1f"))
    for key, word in (("energy_generated", "generated"), ("energy_consumed", "consumed"),
                      ("energy_shed", "shed")):
        if key not in present:
            continue
        en = present[key]
        row(f"energy {word}, total", "MWh", lambda m, en=en: _fmt(
            _reduce(np.sum, en[m]) * mwh if m.any() else float("nan"), ".4g"))
        row(f"energy {word}, per node", "MWh",
            lambda m, en=en: _fmt(_reduce(np.mean, en[m]) * mwh, ".4g"))
    if "compute_delivered" in present and "compute_nameplate" in present:
        from orbital_sim.health import compute_availability  # the report's computation too

        dl, npl = present["compute_delivered"], present["compute_nameplate"]
        row("compute availability", "%", lambda m: _fmt(100 * compute_availability(dl, npl, m), ".1f"))
    elif "compute_availability" in present:  # files written before compute_nameplate
        a = present["compute_availability"]
        row("compute availability, mean", "%",
            lambda m: _fmt(100 * _reduce(np.mean, a[m]), ".1f"))
    if "compute_availability" in present:
        a = present["compute_availability"]
        row("compute availability, min", "%", lambda m: _fmt(100 * _reduce(np.min, a[m]), ".1f"))
    if "status" in present:
        st = present["status"]
        row("nodes with fault status", "count", lambda m: str(int(np.count_nonzero(st[m]))))
    if "brownout" in present:
        bo = present["brownout"]
        row("nodes browned out (bus not carried)", "count", lambda m: str(int(np.count_nonzero(bo[m]))))
    if "energy_unmet_total" in present:
        un = present["energy_unmet_total"]
        row("energy unmet (bus), total", "kWh", lambda m: _fmt(_reduce(np.sum, un[m]) / 3.6e6, ".4g"))
    if all(k in present for k in ("latency_min", "latency_median", "latency_max", "contact_gap_max")):
        # (node, station) -> per node: best station (median: the station with the lowest median)
        ms = 1e3
        lmin, lmax, lmed = present["latency_min"], present["latency_max"], present["latency_median"]
        with np.errstate(all="ignore"):
            med_best = np.array([_reduce(np.min, x) for x in lmed])
            gap_best = np.min(present["contact_gap_max"], axis=1)
        row("latency to ground, min", "ms", lambda m: _fmt(_reduce(np.min, lmin[m]) * ms, ".3f"))
        row("latency to ground, median (best station)", "ms",
            lambda m: _fmt(_reduce(np.median, med_best[m]) * ms, ".3f"))
        row("latency to ground, max", "ms", lambda m: _fmt(_reduce(np.max, lmax[m]) * ms, ".3f"))
        row("longest gap without contact (best station)", "min",
            lambda m: _fmt(_reduce(np.max, gap_best[m]) / 60.0, ".1f"))

    header = ("quantity", "unit", [g for g, _ in groups])
    w0 = max(len(header[0]), *(len(r[0]) for r in rows))
    w1 = max(len(header[1]), *(len(r[1]) for r in rows))
    wc = [max(len(header[2][i]), *(len(r[2][i]) for r in rows)) for i in range(len(groups))]

    def line(label: str, unit: str, cells: list[str]) -> str:
        return "  ".join([label.ljust(w0), unit.ljust(w1)]
                         + [c.rjust(w) for c, w in zip(cells, wc)]).rstrip()

    out = [line(*header), "  ".join(["-" * w0, "-" * w1] + ["-" * w for w in wc])]
    out += [line(*r) for r in rows]
    if settled and "warmup_end" in present:
        w = np.asarray(present["warmup_end"], dtype=np.float64)
        lo, hi = _fmt(_reduce(np.min, w) / 3600.0, '.3g'), _fmt(_reduce(np.max, w) / 3600.0, '.3g')
        out.insert(0, f"temperature and state-of-charge extremes: settled window, over the output samples from "
                      f"{lo if lo == hi else lo + '-' + hi} h after the epoch on (each node's warm-up: the later of "
                      "one orbit and 3 slowest thermal time constants, at most half the run); whole-run extremes "
                      "(start included): temperature_min/max, state_of_charge_min in the file")
    if sweep_note is not None:
        out.insert(0, sweep_note)
    return "\n".join(out)


def describe(path: str | os.PathLike) -> str:
    """Human-readable description of a result file (for ``orbital-sim info``), h5py only."""
    lines: list[str] = []
    with _open_read(path) as f:
        attrs = _read_attrs(f)
        completed = attrs.get("completed")
        times = f["time"][...] if "time" in f else np.zeros(0)
        nodes = _strings(f["node"]) if "node" in f else np.zeros(0, dtype=str)
        classes = _strings(f["node_class"]) if "node_class" in f else None
        comps = _strings(f["component"]) if "component" in f else np.zeros(0, dtype=str)
        lines.append(f"file: {os.fspath(path)}")
        lines.append(f"title: {attrs.get('title', '')}")
        lines.append("completed: " + ("yes" if completed == 1 else
                                      "NO (run unfinished or killed)"))
        lines.append(f"software version: {attrs.get('software_version', 'unknown')}; "
                     f"device: {attrs.get('device', 'unknown')}; "
                     f"dtype: {attrs.get('dtype', 'unknown')}")
        lines.append(f"epoch: {attrs.get('epoch', '?')} ({f['time'].attrs.get('units', '?')})"
                     if "time" in f else f"epoch: {attrs.get('epoch', '?')}")
        expected = attrs.get("expected_time_samples")
        if expected:
            lines.append(f"time samples: {times.size} written of {expected} expected "
                         f"({100.0 * times.size / expected:.1f} %)")
        else:
            lines.append(f"time samples: {times.size} written")
        finite = times[np.isfinite(times)]
        if finite.size:
            t0, t1 = finite[0] / 3600.0, finite[-1] / 3600.0
            lines.append(f"time span: {t0:.4g} h to {t1:.4g} h after the epoch "
                         f"({t1 - t0:.4g} h between first and last sample)")
        else:
            lines.append("time span: no samples written")
        restart = _read_restart(f)
        if restart is not None and completed != 1:
            info = restart[1]
            chunk = info.get("next_chunk")
            where = f"chunk {chunk} of {info.get('chunks', '?')}" if chunk is not None else "?"
            lines.append(f"restart state: after {where} ({info.get('samples', '?')} samples); "
                         "`orbital-sim run CONFIG -o FILE --resume` continues the run")
        if classes is not None:
            counts = {c: int(np.sum(classes == c)) for c in dict.fromkeys(classes.tolist())}
            per = ", ".join(f"{c}: {k}" for c, k in counts.items())
            lines.append(f"nodes: {nodes.size} in {len(counts)} class(es) ({per})")
        else:
            lines.append(f"nodes: {nodes.size}")
        lines.append(f"components: {', '.join(comps.tolist())}")
        if "variant" in f and "node_variant" in f:  # a sweep ([sweep])
            keys = attrs.get("sweep_parameters", [])
            keys = [keys] if isinstance(keys, str) else list(keys)
            lines.append(f"sweep ({attrs.get('sweep_mode', '?')}): {f['variant'].shape[0]} variants of "
                         f"{', '.join(keys)}; open_results(path) splits node into (variant, node)")
        if "station" in f:
            lines.append(f"ground stations: {', '.join(_strings(f['station']).tolist())}")
        if "design_case" in attrs:  # the thermal design case and every value it used
            lines.append(f"design case: {attrs['design_case']} (albedo {attrs.get('environment_albedo')}, "
                         f"Earth IR {attrs.get('environment_earth_ir_w_m2')} W/m^2, solar constant "
                         f"{attrs.get('environment_solar_constant_w_m2')} W/m^2)")
            for key, value in attrs.items():
                if key.startswith("design_case_"):
                    lines.append(f"  {key[len('design_case_'):]}: {value}")
        limits = attrs.get("component_limits_c")
        if limits:
            lines.append("component limits (degC):")
            for text in [limits] if isinstance(limits, str) else limits:
                lines.append(f"  {text}")
        lines.append("variables:")
        registry = {**_ALL_SERIES, **_ALL_SUMMARY}
        for name in registry:
            if name not in f:
                continue
            ds = f[name]
            units = _read_attr(ds.attrs.get("units", ""))
            dims = registry[name][0]
            shape = " x ".join(f"{d}={s}" for d, s in zip(dims, ds.shape))
            lines.append(f"  {name:<22} [{units}]  ({shape}) {ds.dtype}")
    summary = read_summary(path)
    if any(k in summary for k in SUMMARY):
        lines.append("")
        lines.append("summary:")
        lines.append(format_summary_table(summary, summary.get("component"),
                                          summary.get("node_class")))
    else:
        lines.append("summary: not written (run unfinished)")
    return "\n".join(lines)
