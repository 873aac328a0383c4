"""Multi-process runs: ``jax.distributed`` start-up, one part file per process, one stitched file.

A run over P processes (on one machine or several) works like this (docs/distributed.md):

1. every process calls :func:`initialize` (``jax.distributed.initialize`` with the
   coordinator's ``HOST:PORT``, P and its own process id). On CPU, JAX 0.10 uses its default
   cross-process collectives, gloo over TCP (``jax_cpu_collectives_implementation = "gloo"``);
2. every process checks its output paths and the answers are gathered (:func:`all_agree`, a
   ``process_allgather``), so a refused path stops every process before any simulation;
3. process i simulates the i-th contiguous slice of the nodes (``runner.node_slice``) on its
   local devices and writes the usual result file for those nodes, ``OUT.part{i}of{P}.h5``
   (:func:`part_path`). Nodes are independent, so no collective runs inside the simulation:
   the processes only meet at start-up and at the end;
4. the run outcomes are gathered (:func:`all_agree` again: a barrier), and process 0 writes
   ``OUT.h5`` (:func:`stitch`): every variable with a ``node`` dimension becomes an HDF5 virtual
   dataset (VDS) that maps each part's nodes onto its place along ``node``; the other
   coordinates (``time``, ``component``, ``xyz``), the node names and classes and the root
   attributes are copied. The netCDF-4 layout of :mod:`orbital_sim.output` is kept (dimension
   scales attached to the virtual datasets, ``_Netcdf4Dimid`` / ``_Netcdf4Coordinates``), so
   ``open_results``, ``xarray.open_dataset(..., engine="h5netcdf")`` and ``ncdump`` read the
   stitched file as one dataset.

The virtual datasets point at the part files by their path relative to the stitched file
(HDF5 looks for relative source files beside the virtual file), so the files move together;
a missing part file reads as fill values (NaN). The stitched file holds no restart state:
resume each part (the same command with ``--resume``), then stitch again. Stitching reads only
coordinates and attributes; the samples stay in the parts.

This module imports h5py and numpy at the top; JAX only inside :func:`initialize` and
:func:`all_agree`.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import h5py
import numpy as np

__all__ = ["part_path", "initialize", "all_agree", "stitch", "StitchError"]

#: attributes that HDF5 dimension scales manage themselves (never copied between files)
_SCALE_ATTRS = frozenset({"CLASS", "NAME", "REFERENCE_LIST", "DIMENSION_LIST"})
#: root attributes that describe one part only
_PART_ATTRS = ("part_index", "part_count", "part_first_node", "part_nodes_total")
_PART_NAME = re.compile(r"\.part(\d+)of(\d+)$")
_STR = h5py.string_dtype("utf-8")
#: upper bound on the processes of one run (a part file each)
MAX_PROCESSES = 4096


class StitchError(ValueError):
    """The part files cannot be stitched (one-line message naming the file and the problem)."""


def part_path(out: str | os.PathLike, index: int, count: int) -> Path:
    """The part file of process ``index`` of ``count``: ``OUT.h5`` -> ``OUT.part0of2.h5``."""
    out = Path(out)
    return out.with_name(f"{out.stem}.part{int(index)}of{int(count)}{out.suffix}")


def initialize(coordinator: str, num_processes: int, process_id: int, timeout_s: int = 300) -> None:
    """Join the ``jax.distributed`` cluster before any JAX computation.

    ``coordinator``: ``HOST:PORT`` of process 0 (it hosts the coordination service; every
    process must reach it); ``num_processes``: P; ``process_id``: 0..P-1; ``timeout_s``: [s]
    how long to wait for all processes to connect.
    """
    import jax

    jax.distributed.initialize(coordinator_address=coordinator, num_processes=int(num_processes),
                               process_id=int(process_id), initialization_timeout=int(timeout_s))


def all_agree(ok: bool) -> list[bool]:
    """Every process's ``ok`` flag, in process order (a ``process_allgather`` of one int8 per
    process over JAX's cross-process collectives). It is also a barrier: it returns once every
    process has called it."""
    from jax.experimental import multihost_utils

    flags = multihost_utils.process_allgather(np.array([1 if ok else 0], dtype=np.int8))
    return [bool(v) for v in np.asarray(flags).reshape(-1)]


# --------------------------------------------------------------------------------------------
# Stitching
# --------------------------------------------------------------------------------------------

def _dims(ds: h5py.Dataset) -> list[str]:
    """The dimension names of a dataset: its own scale name, or the names of the scales
    attached to its axes ('' for an axis without a scale)."""
    if ds.is_scale:
        return [str(ds.name).rsplit("/", 1)[-1]]
    names = []
    for axis in ds.dims:
        scales = list(axis.values())
        names.append(str(scales[0].name).rsplit("/", 1)[-1] if scales else "")
    return names


def _copy_attrs(src, dst, skip=()) -> None:
    """Copy attributes with their HDF5 types, in the source's order."""
    for key in src.attrs:
        if key in _SCALE_ATTRS or key in skip:
            continue
        aid = src.attrs.get_id(key)
        dst.attrs.create(key, src.attrs[key], dtype=aid.dtype)


def _strings(ds: h5py.Dataset) -> list[str]:
    return [str(v) for v in ds.asstr()[...].tolist()]


def _root_attr(f: h5py.File, key: str):
    value = f.attrs.get(key)
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(()).item()
    return value.decode() if isinstance(value, bytes) else value


def _order_parts(files: list[h5py.File], paths: list[Path]) -> list[int]:
    """Parts in node order: by their ``part_first_node`` attribute when every part has one,
    else as given. Checks that the parts of a multi-process run are all there."""
    firsts = [_root_attr(f, "part_first_node") for f in files]
    if any(v is None for v in firsts):
        return list(range(len(files)))
    order = sorted(range(len(files)), key=lambda i: int(firsts[i]))
    counts = {int(_root_attr(f, "part_count")) for f in files}
    totals = {int(_root_attr(f, "part_nodes_total")) for f in files}
    if len(counts) != 1 or len(totals) != 1:
        raise StitchError("the parts come from different runs (part_count or part_nodes_total differ)")
    count, total = counts.pop(), totals.pop()
    indices = sorted(int(_root_attr(f, "part_index")) for f in files)
    if indices != list(range(count)):
        missing = sorted(set(range(count)) - set(indices))
        raise StitchError(f"a run of {count} parts needs every part: missing part(s) {missing}"
                          if missing else f"part indices {indices} repeat")
    n = sum(int(f["node"].shape[0]) for f in files)
    if n != total:
        raise StitchError(f"the parts hold {n} nodes, the run has {total}")
    return order


def stitch(out: str | os.PathLike, parts: Sequence[str | os.PathLike], *, overwrite: bool = False) -> Path:
    """Write ``out``: one netCDF-4/HDF5 dataset over the nodes of every part file.

    ``parts``: result files of the same configuration that differ only in their nodes (a
    multi-process run's ``OUT.part{i}of{P}.h5``, in any order: they are put in node order by
    their ``part_first_node`` attribute; files without it are taken in the order given).
    Every variable with a ``node`` dimension becomes a virtual dataset over the parts (float
    fill value NaN); ``node`` and ``node_class`` are concatenated; other variables and the
    coordinates are copied from the first part after checking that ``time`` agrees in every
    part. Root attributes come from the first part, with ``completed`` = 1 only if every part
    is completed, the title's node count updated and ``parts`` listing the part files.
    Raises :class:`StitchError` if the parts do not fit together, OSError if a file cannot be
    read or ``out`` exists (without ``overwrite``) or cannot be written.
    """
    from orbital_sim.output import RESTART_GROUP, check_output_path

    out = Path(out)
    paths = [Path(p) for p in parts]
    if not paths:
        raise StitchError("no part files to stitch")
    if len(set(p.resolve() for p in paths)) != len(paths):
        raise StitchError("a part file is named twice")
    if any(p.resolve() == out.resolve() for p in paths):
        raise StitchError(f"{out} is one of the parts")
    check_output_path(out, overwrite)
    files: list[h5py.File] = []
    try:
        for p in paths:
            f = h5py.File(p, "r")
            files.append(f)
            for need in ("time", "node", "node_class"):
                if need not in f:
                    raise StitchError(f"{p} is not an orbital_sim result file (no {need!r})")
        order = _order_parts(files, paths)
        files = [files[i] for i in order]
        paths = [paths[i] for i in order]
        first = files[0]
        _check_parts_agree(files, paths)
        node_counts = [int(f["node"].shape[0]) for f in files]
        offsets = np.concatenate([[0], np.cumsum(node_counts)])
        n_nodes = int(offsets[-1])
        names = [n for f in files for n in _strings(f["node"])]
        if len(set(names)) != n_nodes:
            raise StitchError("the parts share node names: they do not split one fleet")
        completed = all(int(_root_attr(f, "completed") or 0) == 1 for f in files)
        rel = [os.path.relpath(p.resolve(), out.resolve().parent) for p in paths]
        tmp = out.with_name(out.name + ".stitching")
        with h5py.File(tmp, "w", track_order=True) as g:
            _copy_attrs(first, g, skip=(*_PART_ATTRS, "completed", "title", "history"))
            title = str(_root_attr(first, "title") or "orbital_sim results")
            g.attrs.create("title", re.sub(r"^orbital_sim run: \d+ nodes", f"orbital_sim run: {n_nodes} nodes",
                                           title), dtype=_STR)
            stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            history = str(_root_attr(first, "history") or "")
            g.attrs.create("history", (history + "\n" if history else "")
                           + f"{stamp} stitched from {len(paths)} part files (HDF5 virtual datasets)", dtype=_STR)
            g.attrs.create("parts", np.array(rel, dtype=object), dtype=_STR)
            g.attrs.create("completed", np.array([1 if completed else 0], dtype=np.int8))
            _write_variables(g, files, rel, offsets, names, skip_groups=(RESTART_GROUP,))
        os.replace(tmp, out)
    except BaseException:
        try:
            out.with_name(out.name + ".stitching").unlink(missing_ok=True)
        except OSError:
            pass
        raise
    finally:
        for f in files:
            f.close()
    return out


def _check_parts_agree(files: list[h5py.File], paths: list[Path]) -> None:
    first = files[0]
    t0 = first["time"][...]
    config0 = _root_attr(first, "config_toml")
    for f, p in zip(files[1:], paths[1:]):
        t = f["time"][...]
        if t.shape != t0.shape or not np.array_equal(t, t0, equal_nan=True):
            raise StitchError(f"{p} holds {t.size} time samples that differ from the {t0.size} of "
                              f"{paths[0]} (finish or resume every part first)")
        if _root_attr(f, "config_toml") != config0:
            raise StitchError(f"{p} was written with another configuration than {paths[0]}")
        a = [k for k in first if isinstance(first[k], h5py.Dataset)]
        b = [k for k in f if isinstance(f[k], h5py.Dataset)]
        if a != b:
            raise StitchError(f"{p} holds variables {b}, {paths[0]} holds {a}")
        for key in a:
            d0, d1 = first[key], f[key]
            dims = _dims(d0)
            if dims != _dims(d1) or d0.dtype != d1.dtype:
                raise StitchError(f"{p}: variable {key} is {d1.dtype}{_dims(d1)}, "
                                  f"{paths[0]} has {d0.dtype}{dims}")
            if "node" not in dims and key != "time" and d0.shape != d1.shape:
                raise StitchError(f"{p}: variable {key} has shape {d1.shape}, {paths[0]} has {d0.shape}")


def _write_variables(g: h5py.File, files, rel, offsets, names, skip_groups) -> None:
    """Datasets of the stitched file, in the first part's creation order, then the scales
    attached (dimension scales first, so every attachment finds its scale)."""
    first = files[0]
    n_nodes = int(offsets[-1])
    dims_of: dict[str, list[str]] = {}
    for key in first:
        src = first[key]
        if not isinstance(src, h5py.Dataset):
            if key in _ROW_GROUPS:  # one row per contact or pass: every part's rows, node indices shifted
                _stitch_rows(g, key, files, offsets)
            elif key not in skip_groups:
                first.copy(src, g, name=key)  # a group without node data
            continue
        dims = _dims(src)
        dims_of[key] = dims
        if key == "node":
            dst = g.create_dataset(key, data=np.array(names, dtype=object), dtype=_STR, track_order=True)
        elif "node" in dims and src.dtype.kind in "OSU":  # node_class: small strings, concatenated
            values = [v for f in files for v in _strings(f[key])]
            dst = g.create_dataset(key, data=np.array(values, dtype=object), dtype=_STR, track_order=True)
        elif "node" in dims:
            axis = dims.index("node")
            shape = list(src.shape)
            shape[axis] = n_nodes
            layout = h5py.VirtualLayout(shape=tuple(shape), dtype=src.dtype)
            for f, path, lo, hi in zip(files, rel, offsets[:-1], offsets[1:]):
                part = f[key]
                where = [slice(None)] * len(shape)
                where[axis] = slice(int(lo), int(hi))
                layout[tuple(where)] = h5py.VirtualSource(path, key, shape=part.shape, dtype=part.dtype)
            fill = np.nan if src.dtype.kind == "f" else src.fillvalue
            dst = g.create_virtual_dataset(key, layout, fillvalue=fill)
        else:  # coordinates and variables without a node axis: copied from the first part
            dst = g.create_dataset(key, data=src[...], dtype=src.dtype, track_order=True)
        _copy_attrs(src, dst)
        if src.is_scale:
            dst.make_scale(dims[0])
    for key, dims in dims_of.items():
        if g[key].is_scale:
            continue
        for axis, dim in enumerate(dims):
            if dim and dim in g:
                g[key].dims[axis].attach_scale(g[dim])


#: groups of rows with a ``node`` index (orbital_sim/events.py): shadow contacts, eclipse passes
_ROW_GROUPS = ("events", "eclipses")


def _stitch_rows(g: h5py.File, key: str, files, offsets) -> None:
    """The group ``key`` of the stitched file: the rows of every part that has it, in part
    order, with ``node`` shifted by the part's first node."""
    from orbital_sim import events as ev

    have = [(f, int(lo)) for f, lo in zip(files, offsets[:-1]) if key in f]
    names = ("time", "node", "kind") if key == ev.GROUP else tuple(ev.PASS_VARIABLES)
    rows = {n: np.concatenate([f[key][n][...] + (lo if n == "node" else 0) for f, lo in have]).astype(
        have[0][0][key][n].dtype) for n in names}
    units = have[0][0][key]["time" if key == ev.GROUP else "start"].attrs["units"]
    units = units.decode() if isinstance(units, bytes) else str(units)
    if key == ev.PASSES_GROUP:
        ev.write_passes(g, rows, units)
        return
    grp = ev._create(g, units)
    n = int(rows["time"].size)
    for name in ("time", "node", "kind", "event"):
        grp[name].resize((n,))
    for name in names:
        grp[name][...] = rows[name]
    grp["event"][...] = np.arange(n, dtype=np.int32)


def parts_of(out: str | os.PathLike) -> list[Path]:
    """The part files beside ``out`` written by a multi-process run (``OUT.part{i}of{P}.h5``),
    in part order; [] if there are none. Raises StitchError if they disagree on P."""
    out = Path(out)
    found = {}
    for p in out.parent.glob(f"{out.stem}.part*of*{out.suffix}"):
        m = _PART_NAME.search(p.name[: len(p.name) - len(out.suffix)] if out.suffix else p.name)
        if m:
            found[p] = (int(m.group(1)), int(m.group(2)))
    counts = {c for _, c in found.values()}
    if len(counts) > 1:
        raise StitchError(f"part files of runs with different process counts {sorted(counts)} beside {out}")
    return sorted(found, key=lambda p: found[p][0])
