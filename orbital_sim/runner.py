"""Run a simulation: compile one chunk function, stream chunks into the HDF5 output.

The host converts and writes chunk k while the device computes chunk k+1 (JAX dispatch is
asynchronous: the next chunk is queued before the previous samples are pulled to the host).
At most two chunks are alive (the one being written, the one being computed), whatever the
simulated duration; chunk k's buffers are dropped before chunk k+2 is queued. The chunk length
comes from :mod:`orbital_sim.memory`: every byte a chunk holds (samples, per-step tables, state,
temporaries, per-device copies) counts against ``simulation.memory_budget_mib``.

Reliability (README "What happens when things go wrong"):

- Restart state: with every chunk's samples the runner stores the full node state after that
  chunk (every leaf of ``NodeState``, accumulators, status and fault times included) in the
  file's ``restart`` group, written before the flush that ends the chunk, so the file always
  holds samples and a state that agree. Only states that belong to written samples are stored:
  the state returned with chunk k is persisted with chunk k's samples, while chunk k+1 is
  already queued on the device.
- ``run(..., resume=True)`` reopens an unfinished file, checks that the configuration matches
  the one stored in it, drops any sample after the restart state, and continues with the same
  chunk plan: the result is identical, variable by variable, to an uninterrupted run.
- ``run(..., handle_signals=True)`` (the CLI) turns SIGINT and SIGTERM into a clean stop after
  the chunk being computed is written: :class:`RunInterrupted` is raised with ``completed`` = 0
  in the file. A second signal stops at once (still leaving every finished chunk).
- Nodes are sharded over all local devices of the chosen platform along a 1-D mesh axis named
  ``node``; the node count is padded to a multiple of the device count with copies of the last
  node that are computed but never written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import signal
import sys
import threading
import time
import tomllib
from pathlib import Path
from typing import Callable

import numpy as np

from orbital_sim import output
from orbital_sim.cache import enable_compilation_cache
from orbital_sim.config import Config, ConfigError
from orbital_sim.memory import MIB, ChunkMemory, MemoryBudgetError, measured_chunk_bytes, plan_chunks

#: Test hook: with ``ORBITAL_SIM_TEST_PAUSE_AFTER_CHUNK=k`` in the environment the runner waits
#: (up to PAUSE_LIMIT_S, or until a stop signal) after writing chunk k, having printed
#: "paused after chunk k/n" on the progress stream; tests use it to signal a run at a known point.
PAUSE_ENV = "ORBITAL_SIM_TEST_PAUSE_AFTER_CHUNK"
PAUSE_LIMIT_S = 120.0


class RunError(RuntimeError):
    """A problem that stops a run (device not available, output refused or not writable,
    nothing to resume). The message is one line."""


class RunInterrupted(KeyboardInterrupt):
    """The run stopped on a signal; the file keeps every finished chunk (``completed`` = 0)
    and ``resume=True`` continues it. ``signum``: the signal; ``exit_code``: 128 + signum."""

    def __init__(self, signum: int, path: Path, samples: int, chunks_done: int, n_chunks: int):
        self.signum = int(signum)
        self.path = Path(path)
        self.samples = samples
        self.chunks_done = chunks_done
        self.n_chunks = n_chunks
        super().__init__(str(self))

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    def __str__(self) -> str:
        name = signal.Signals(self.signum).name if self.signum in signal.Signals._value2member_map_ \
            else f"signal {self.signum}"
        if self.n_chunks == 0:
            return f"stopped by {name} before the first chunk"
        if self.chunks_done >= self.n_chunks:  # after the last chunk, before the file was completed
            return (f"stopped by {name} after the last chunk ({self.chunks_done}/{self.n_chunks}), before the "
                    f"summary was written: {self.path} keeps all {self.samples} samples (completed = 0); "
                    "--resume writes the summary without simulating again")
        return (f"stopped by {name} after chunk {self.chunks_done}/{self.n_chunks}: {self.path} "
                f"keeps {self.samples} samples (completed = 0); continue with --resume")


@dataclasses.dataclass(frozen=True)
class RunResult:
    """What a finished run reports."""

    path: Path  #: the HDF5 output file
    nodes: int  #: number of simulated nodes
    steps: int  #: time steps per node
    wall_s: float  #: [s] wall time of the whole run, compilation included
    compile_s: float  #: [s] wall time of the first chunk (compilation + its run)
    node_steps_per_s: float  #: node-steps per second of wall time, compilation included
    faults: list  #: [(node name, time_s, status code)] for every node that faulted
    summary: dict  #: per-node summary arrays, as written to the file
    resumed_at_chunk: int = 0  #: first chunk computed by this call (0 unless resumed)
    devices: int = 1  #: devices the nodes were sharded over


def enable_float64() -> None:
    """Entry points switch JAX to 64-bit before any array is made (SPEC section 7)."""
    import jax

    jax.config.update("jax_enable_x64", True)


def select_device(kind: str):
    """The JAX device for ``simulation.device`` (``auto``, ``cpu`` or ``gpu``)."""
    return select_devices(kind, shard=False)[0]


def select_devices(kind: str, shard: bool | None = None) -> list:
    """The local devices a run uses: all local devices of the platform for ``simulation.device``
    (``auto``: JAX's default platform) when ``shard`` is None or True, else the first one."""
    import jax

    try:
        devices = jax.local_devices() if kind == "auto" else jax.local_devices(backend=kind)
    except RuntimeError as err:
        raise RunError(f"simulation.device = {kind!r}: no {kind} device available to JAX "
                       f"({_one_line(err)})") from None
    return list(devices) if shard is None or shard else list(devices[:1])


def _one_line(err: BaseException, limit: int = 300) -> str:
    text = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _sample_bytes_per_node(variables, n_components, itemsize, n_stations: int = 0, n_surfaces: int = 0) -> int:
    """[B] one sample of the written variables for one node (ground series, and the running
    integrals of orbit_means.KERNEL_VARIABLES, are float64)."""
    from orbital_sim.orbit_means import KERNEL_VARIABLES

    per_node = 0
    float64 = 0
    for name in variables:
        if name in KERNEL_VARIABLES:
            float64 += 1
            continue
        dims = {**output.TIME_SERIES, **output.SURFACE_SERIES}[name][0]
        per_node += {"component": n_components, "xyz": 3, "surface": n_surfaces}.get(dims[-1], 1)
    return per_node * itemsize + 8 * float64 + 2 * 8 * n_stations


def _bytes_per_node(tree, n_nodes: int) -> int:
    """[B] of a pytree with a leading node axis, per node."""
    import jax

    return sum(int(np.dtype(x.dtype).itemsize * np.prod(np.shape(x))) for x in jax.tree_util.tree_leaves(tree)) \
        // max(1, n_nodes)


def _is_out_of_memory(err: BaseException) -> bool:
    text = str(err)
    return "RESOURCE_EXHAUSTED" in text or "Out of memory" in text


def _oom_advice(budget_bytes: float, plan: dict) -> str:
    chunk = plan.get("chunk_bytes_measured", plan.get("chunk_bytes_estimated", 0)) / MIB
    return (f"lower simulation.memory_budget_mib (now {budget_bytes / MIB:g} MiB; this plan holds about "
            f"{chunk:.0f} MiB per chunk, {plan['outputs_per_chunk']} samples) or the number of nodes")


def _compile_or_explain(chunk_fn, args, budget_bytes: float, path: Path):
    """``chunk_fn`` compiled for ``args`` (XLA's persistent cache applies); a device that runs out
    of memory while compiling ends the run with one line."""
    import jax

    try:
        return chunk_fn.lower(*args).compile()
    except jax.errors.JaxRuntimeError as err:
        if not _is_out_of_memory(err):
            raise
        raise RunError(f"the device ran out of memory compiling the chunk ({_one_line(err, 120)}): lower "
                       f"simulation.memory_budget_mib (now {budget_bytes / MIB:g} MiB) or the number of nodes; "
                       f"nothing was computed ({path} holds the initial state: continue with --resume)") from None


def _measured_bytes(compiled, n_dev: int, host_sample_bytes: int, host_state_bytes: int) -> int:
    """[B] the compiled chunk holds by XLA's memory analysis (0 when the backend gives none)."""
    try:
        analysis = compiled.memory_analysis()
    except Exception:  # not every backend implements it
        analysis = None
    if analysis is None:
        return 0
    return measured_chunk_bytes(analysis, n_dev, host_sample_bytes, host_state_bytes)


@contextlib.contextmanager
def _out_of_memory_explained(stop, budget_bytes: float, plan: dict):
    """A device allocation failure (XLA RESOURCE_EXHAUSTED) during the chunks becomes a one-line
    :class:`RunError`: what to lower, and the finished chunks the file keeps (resumable)."""
    import jax

    try:
        yield
    except jax.errors.JaxRuntimeError as err:
        if not _is_out_of_memory(err):
            raise
        path, samples, done, n_chunks = stop.where
        raise RunError(f"the device ran out of memory after chunk {done}/{n_chunks} ({_one_line(err, 120)}): "
                       f"{_oom_advice(budget_bytes, plan)}; {path} keeps {samples} samples of finished chunks "
                       "(completed = 0): continue with --resume (same chunk plan) once the device has room") from None


def _window_statistics(samples, names, n_valid: int, per_window: int, storage, n_nodes: int) -> dict:
    """Per window of ``per_window`` samples, on the device: ``{NAME_window_min/max/mean: host array
    (windows, node, ...)}`` of the chunk's first ``n_valid`` samples (whole windows)."""
    import jax.numpy as jnp

    out = {}
    for name in names:
        x = samples[name][:n_valid]
        x = x.reshape((n_valid // per_window, per_window) + x.shape[1:])
        for stat, reduce in (("min", jnp.min), ("max", jnp.max), ("mean", jnp.mean)):
            out[f"{name}_window_{stat}"] = np.asarray(storage(reduce(x, axis=1)))[:, :n_nodes]
    return out


def _call_chunk(fn, args):
    """Launch one chunk (asynchronous); the test suite replaces it to simulate a device OOM."""
    return fn(*args)


class Progress:
    """A one-line progress bar on stderr with node-steps per second and time left."""

    def __init__(self, total_steps: int, n_nodes: int, stream=None, enabled: bool = True, width: int = 28,
                 start_steps: int = 0):
        self.total = total_steps
        self.n_nodes = n_nodes
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.width = width
        self.start_steps = start_steps  #: steps already done before this call (resumed runs)
        self.start = time.perf_counter()
        self._is_tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, done_steps: int, note: str = "") -> None:
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.start
        frac = done_steps / self.total if self.total else 1.0
        new = done_steps - self.start_steps
        rate = new * self.n_nodes / elapsed if elapsed > 0 else float("nan")
        left_frac = (self.total - done_steps) / new if new > 0 else float("nan")
        left = elapsed * left_frac
        bar = "#" * int(round(frac * self.width))
        line = (f"[{bar:<{self.width}}] {100 * frac:5.1f}%  {rate:9.3g} node-steps/s  "
                f"elapsed {elapsed:6.1f} s  left {left:6.1f} s{('  ' + note) if note else ''}")
        end = "\r" if self._is_tty and done_steps < self.total else "\n"
        print(line, end=end, file=self.stream, flush=True)

    def message(self, text: str) -> None:
        if self.enabled:
            if self._is_tty:
                print(file=self.stream)
            print(text, file=self.stream, flush=True)


def summary_from_state(acc, status, dtype=np.float64, nameplate_s=None) -> dict:
    """Per-node summary arrays (output.SUMMARY names) from the final accumulators.

    ``nameplate_s``: accelerator-seconds of nameplate per node over the whole run (accelerators x
    run duration); compute availability = delivered / nameplate (health.node_availability), so a
    node that faulted counts the time after its fault as unavailable. Default: the accumulated
    nameplate of the healthy time."""
    from orbital_sim import health

    a = {k: np.asarray(v, dtype=np.float64) for k, v in dataclasses.asdict(acc).items()}
    elapsed = np.where(a["elapsed_s"] > 0, a["elapsed_s"], np.nan)
    nameplate = a["compute_nameplate_s"] if nameplate_s is None else \
        np.broadcast_to(np.asarray(nameplate_s, dtype=np.float64), a["compute_delivered_s"].shape)
    out = {
        "eclipse_fraction": 1.0 - a["sunlit_s"] / elapsed,
        "temperature_min": a["temperature_min_k"],
        "temperature_max": a["temperature_max_k"],
        "energy_generated": a["energy_generated_j"],
        "energy_shed": a["energy_shed_j"],
        "energy_consumed": a["energy_consumed_j"],
        "state_of_charge_min": a["state_of_charge_min"],
        "compute_delivered": a["compute_delivered_s"],
        "compute_nameplate": np.array(nameplate),
        "compute_availability": health.node_availability(a["compute_delivered_s"], nameplate),
        "status": np.asarray(status, dtype=np.int32),
        **({} if acc.heater_j is None else {"energy_heater": a["heater_j"]}),
        "energy_unmet_total": a["energy_unmet_j"],
    }
    if "brownout_s" in a:
        out["brownout"] = (a["brownout_s"] > 0).astype(np.int32)
        out["brownout_start"] = a["brownout_start_s"]
        out["brownout_duration"] = a["brownout_s"]
    return out


# --------------------------------------------------------------------------------------------
# Restart state, signals, resume checks
# --------------------------------------------------------------------------------------------

def state_leaves(state) -> list[tuple[str, object]]:
    """``[(name, leaf)]`` of a NodeState pytree, names from the field path (``acc.sunlit_s``)."""
    import jax

    out = []
    for path, leaf in jax.tree_util.tree_flatten_with_path(state)[0]:
        out.append((".".join(str(getattr(k, "name", getattr(k, "key", k))) for k in path), leaf))
    return out


def _leaf_dims(name: str, ndim: int) -> tuple[str, ...]:
    if ndim == 1:
        return ("node",)
    if ndim == 2:
        return ("node", "xyz") if name.startswith(("r_eci", "v_eci")) else ("node", "component")
    raise ValueError(f"state leaf {name}: {ndim} dimensions, expected 1 or 2")


def _restart_leaves(state, n_nodes: int) -> dict:
    """Host copies of every state leaf for the real nodes: ``{name: (dims, array)}``."""
    return {name: (_leaf_dims(name, np.ndim(leaf)), np.asarray(leaf)[:n_nodes])
            for name, leaf in state_leaves(state)}


def _restore_state(template, stored: dict):
    """``template`` (a NodeState) with every leaf replaced by the stored array of that name."""
    import jax
    import jax.numpy as jnp

    names = [name for name, _ in state_leaves(template)]
    missing = [n for n in names if n not in stored]
    if missing:
        raise RunError(f"cannot resume: the restart state lacks {missing}")
    leaves, treedef = jax.tree_util.tree_flatten(template)
    out = []
    for name, leaf in zip(names, leaves):
        arr = stored[name]
        if arr.shape != leaf.shape or arr.dtype != leaf.dtype:
            raise RunError(f"cannot resume: restart leaf {name} is {arr.dtype}{list(arr.shape)}, "
                           f"the run needs {leaf.dtype}{list(leaf.shape)}")
        out.append(jnp.asarray(arr))
    return jax.tree_util.tree_unflatten(treedef, out)


# --------------------------------------------------------------------------------------------
# Ground stations ([[ground_station]]; kernels/ground.py)
# --------------------------------------------------------------------------------------------

GROUND_SERIES_NAMES = ("visible", "slant_range")
_GROUND_PREFIX = "ground."


def ground_setup(config: Config, ground, n_nodes: int):
    """``[GroundParams, initial GroundState with a node axis, station records for the writer]``
    for the model's ground stations ``ground`` (``Model.ground``, built by
    :func:`orbital_sim.model.build_ground` with the light-time bins of the whole fleet), or None
    when there are none."""
    import jax.numpy as jnp

    from orbital_sim.kernels.ground import init_ground_state
    from orbital_sim.model import LATENCY_BINS, station_columns

    if ground is None:
        return None
    stations = tuple(config.ground_stations)
    one = init_ground_state(len(stations), LATENCY_BINS)
    gstate = type(one)(**{k: jnp.broadcast_to(v, (n_nodes,) + v.shape)
                          for k, v in dataclasses.asdict(one).items()})
    records = dict(names=[g.name for g in stations], **station_columns(stations),
                   latency_bin_s=float(ground.latency_bin_s), n_bins=LATENCY_BINS)
    return [ground, gstate, records]  # a list: a resume replaces the state (_open_output)


def _ground_leaves(gstate, n_nodes: int) -> dict:
    """Restart leaves ``{"ground.<field>": (dims, array)}`` of a GroundState (node axis first)."""
    dims = {2: ("node", "station"), 3: ("node", "station", "latency_bin")}
    return {_GROUND_PREFIX + name: (dims[np.ndim(leaf)], np.asarray(leaf)[:n_nodes])
            for name, leaf in state_leaves(gstate)}


#: progress messages name at most this many faulted nodes (a fleet that falls out of the sky
#: would otherwise print one line per node)
FAULT_MESSAGES_MAX = 20

#: fewest RK4 steps per orbit without a warning. RK4 loses orbital energy at a rate that grows
#: as the step to the fourth power: in the 10,240-node soak at 550-650 km, a 180 s step (32 per
#: orbit) brought every node into the Earth (below_surface) between day 74 and day 95, and a
#: 300 s step (19) within 65 days; 60 s (96 per orbit) kept every node healthy over 30 days.
#: Scaling by the fourth power, 60 steps per orbit takes about 3 years to decay that far.
MIN_STEPS_PER_ORBIT = 60


def short_step_warning(r_eci_m, v_eci_m_s, step_s: float, names) -> str | None:
    """A one-line warning when ``step_s`` gives fewer than :data:`MIN_STEPS_PER_ORBIT` RK4 steps
    per (two-body) orbital period for any bound node, else None (health.short_step_message)."""
    from orbital_sim.health import short_step_message
    from orbital_sim.kernels.constants import GM_EARTH_M3_S2

    r = np.asarray(r_eci_m, dtype=np.float64).reshape(-1, 3)
    v = np.asarray(v_eci_m_s, dtype=np.float64).reshape(-1, 3)
    energy = 0.5 * np.sum(v * v, axis=1) - GM_EARTH_M3_S2 / np.linalg.norm(r, axis=1)
    bound = energy < 0
    a = np.where(bound, -GM_EARTH_M3_S2 / (2.0 * np.where(bound, energy, -1.0)), np.inf)
    period_s = 2.0 * np.pi * np.sqrt(a ** 3 / GM_EARTH_M3_S2)
    return short_step_message(period_s, step_s, names)


#: [s] longest power and thermal substep: a step is split into ceil(step_s / this) substeps (4 at
#: the default 60 s). At 15 s the array (time constant about 3 min in sunlight) stays within
#: 0.17 K of a 1 s run over eclipse edges; one 60 s substep was 2.1 K off (tests/kernels/test_events.py).
THERMAL_SUBSTEP_MAX_S = 15.0


def thermal_substeps(step_s: float) -> int:
    """Power and thermal substeps per integration step."""
    return max(1, math.ceil(float(step_s) / THERMAL_SUBSTEP_MAX_S - 1e-9))


def _start_fraction(acc):
    """Mean sunlit fraction of each node over the run (tells a node without any contact that
    stayed in shadow from one that stayed in the Sun)."""
    elapsed = np.asarray(acc.elapsed_s, dtype=np.float64)
    return np.where(elapsed > 0, np.asarray(acc.sunlit_s, dtype=np.float64) / np.where(elapsed > 0, elapsed, 1.0), 1.0)


def histogram_median_s(latency_hist, latency_bin_s: float):
    """Median [s] from light-time histograms (..., B): the centre of the bin where the
    cumulative count first reaches half the total (error at most half a bin); NaN if empty."""
    h = np.asarray(latency_hist, dtype=np.int64)
    total = h.sum(axis=-1)
    index = np.argmax(2 * np.cumsum(h, axis=-1) >= total[..., None], axis=-1)
    return np.where(total > 0, (index + 0.5) * float(latency_bin_s), np.nan)


def ground_summary(gstate, latency_bin_s: float) -> dict:
    """The (node, station) summary arrays (output.GROUND_SUMMARY names) of a final GroundState."""
    g = {k: np.asarray(v) for k, v in dataclasses.asdict(gstate).items()}
    seen = g["visible_s"] > 0
    return {
        "latency_min": np.where(seen, g["latency_min_s"], np.nan),
        "latency_median": histogram_median_s(g["latency_hist"], latency_bin_s),
        "latency_max": np.where(seen, g["latency_max_s"], np.nan),
        "contact_gap_max": g["gap_max_s"].astype(np.float64),
        "contact_time": g["visible_s"].astype(np.float64),
    }


def _flat_toml(node, prefix: str = "") -> dict:
    out = {}
    if isinstance(node, dict):
        for k, v in node.items():
            out.update(_flat_toml(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
        for i, v in enumerate(node):
            out.update(_flat_toml(v, f"{prefix}.{i}"))
    else:
        out[prefix] = node
    return out


def config_differences(stored_toml: str, current_toml: str, limit: int = 5) -> list[str]:
    """Key-by-key differences between two configuration texts (comments and layout ignored):
    ``["simulation.duration_s: 7200.0 in the file, 3600.0 now", ...]``; [] if they agree."""
    try:
        a, b = _flat_toml(tomllib.loads(stored_toml)), _flat_toml(tomllib.loads(current_toml))
    except tomllib.TOMLDecodeError:
        return [] if stored_toml == current_toml else ["the configuration text differs"]
    diffs = []
    for key in list(dict.fromkeys([*a, *b])):
        if key not in b:
            diffs.append(f"{key}: {a[key]!r} in the file, absent now")
        elif key not in a:
            diffs.append(f"{key}: absent in the file, {b[key]!r} now")
        elif a[key] != b[key]:
            diffs.append(f"{key}: {a[key]!r} in the file, {b[key]!r} now")
    if len(diffs) > limit:
        diffs = diffs[:limit] + [f"and {len(diffs) - limit} more"]
    return diffs


def _check_resumable(path: Path, config: Config) -> dict:
    """Before any JAX work: the file can be resumed with this config. Returns its restart info."""
    try:
        attrs = output.read_summary(path)["attrs"]
        info = output.read_restart_info(path)
    except (OSError, KeyError, ValueError) as err:
        raise RunError(f"cannot resume: {path} is not a readable result file ({_one_line(err)})") from None
    if attrs.get("completed") == 1:
        raise RunError(f"cannot resume: {path} holds a completed run; nothing to do "
                       "(use --overwrite / overwrite=True to run it again)")
    diffs = config_differences(str(attrs.get("config_toml", "")), config.source_toml)
    if diffs:
        raise RunError(f"cannot resume: {path} was written with a different configuration ("
                       + "; ".join(diffs) + "); resume with the same config and --set values")
    if info is None:
        raise RunError(f"cannot resume: {path} holds no restart state (it was not written by "
                       "`orbital-sim run` of this version); start it again with --overwrite")
    return info


class _StopFlag:
    """Set by SIGINT/SIGTERM. While chunks are being computed (``armed``) the first signal asks
    for a stop after the current chunk and a second one stops at once; before the first chunk
    (building the fleet, opening the file) and after the last, a signal stops at once. Stopping
    at once = RunInterrupted raised from the handler."""

    def __init__(self):
        self.signum: int | None = None
        self.armed = False
        self.deferred = False  # set while the finished file is being closed: a signal then only records
        self.where = (Path("."), 0, 0, 0)  # path, samples, chunks done, chunks (for messages)

    def __call__(self, signum, frame) -> None:
        if self.deferred:  # the run is complete but for closing the file: let it finish
            self.signum = signum
            return
        if self.signum is not None or not self.armed:
            raise RunInterrupted(signum, *self.where)
        self.signum = signum

    @contextlib.contextmanager
    def armed_during_chunks(self):
        self.armed = True
        try:
            yield self
        finally:
            self.armed = False


@contextlib.contextmanager
def _signal_handlers(enabled: bool):
    flag = _StopFlag()
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, flag)
        yield flag
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _test_pause_after() -> int | None:
    value = os.environ.get(PAUSE_ENV, "").strip()
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _pad_nodes(tree, n_pad: int):
    """Append ``n_pad`` copies of the last node to every leaf (inert padding for sharding)."""
    import jax
    import jax.numpy as jnp

    if n_pad == 0:
        return tree
    return jax.tree_util.tree_map(
        lambda x: jnp.concatenate([x, jnp.repeat(x[-1:], n_pad, axis=0)], axis=0), tree)


def _place_on_devices(devices, n_nodes: int, params, state, gstate, env):
    """``(params, state, gstate, env)`` for the chunk function: with several devices the node
    axis is padded (copies of the last node) to a multiple of their number and split along the
    mesh axis ``node``, ``env`` replicated; with one device, unchanged."""
    import jax
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    n_dev = len(devices)
    if n_dev == 1:
        return params, state, gstate, env
    n_pad = (-n_nodes) % n_dev
    mesh = Mesh(np.asarray(devices), ("node",))
    by_node = NamedSharding(mesh, PartitionSpec("node"))
    params = jax.device_put(_pad_nodes(params, n_pad), by_node)
    state = jax.device_put(_pad_nodes(state, n_pad), by_node)
    if gstate is not None:
        gstate = jax.device_put(_pad_nodes(gstate, n_pad), by_node)
    return params, state, gstate, jax.device_put(env, NamedSharding(mesh, PartitionSpec()))


class _FaultLog:
    """The nodes that stopped with a numerical fault: ``faults`` = [(name, t_s, status code)];
    the first FAULT_MESSAGES_MAX are named in progress messages, then one line says more."""

    def __init__(self, names, bar):
        self.names, self.bar = names, bar
        self.faults: list = []

    def record(self, status, new, state, resumed: bool) -> None:
        """Append the nodes flagged in ``new`` (``status``: their codes; ``state``: the chunk's
        final state, holding the fault times)."""
        if not new.any():  # the usual chunk: no fault times to pull from the device
            return
        fault_times = np.asarray(state.fault_time_s)
        when = " (before the resume)" if resumed else ""
        for i in np.nonzero(new)[0]:
            t_fault, code = float(fault_times[i]), int(status[i])
            self.faults.append((self.names[i], t_fault, code))
            if len(self.faults) <= FAULT_MESSAGES_MAX:
                self.bar.message(f"node {self.names[i]} stopped at t = {t_fault:.0f} s: "
                                 f"{output.STATUS_FLAGS.get(code, 'fault')}{when}")
            elif len(self.faults) == FAULT_MESSAGES_MAX + 1:
                self.bar.message(f"more nodes stopped{when}; further faults are not listed here "
                                 "(the file's status variable marks every faulted node)")


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------

def clock_step_s(step_s: float):
    """The step passed to the chunk function: float64 in every precision mode, because it
    advances the clock and the orbit (the kernels cast it to the working precision for the
    power and thermal stages). A float32 step of 0.1 s would run 1.49e-8 s/s ahead of the
    time labels: 0.47 s a year."""
    import jax.numpy as jnp

    return jnp.asarray(step_s, jnp.float64)


def run(config: Config, out: str | Path | None = None, *, overwrite: bool = False, progress: bool = True,
        stream=None, on_chunk: Callable[[int, int], None] | None = None, resume: bool = False,
        handle_signals: bool = False, shard: bool | None = None,
        part: tuple[int, int] | None = None) -> RunResult:
    """Simulate ``config`` and write the results to ``out`` (default: ``config.output.path``).

    ``progress``: print a progress bar and fault messages to ``stream`` (stderr by default).
    ``on_chunk(done_chunks, total_chunks)``: optional callback after each chunk is written.
    ``resume``: continue the unfinished file ``out`` from its restart state (the configuration
    must match the one stored in it); the result equals an uninterrupted run.
    ``handle_signals``: while running, SIGINT/SIGTERM stop the run after the current chunk and
    raise :class:`RunInterrupted` (main thread only; the previous handlers come back after).
    ``shard``: split the nodes over all local devices (None: when there are several; False:
    one device).
    ``part``: ``(i, p)``: simulate only the i-th of p contiguous slices of the fleet's nodes
    (:func:`node_slice`), one process's share of a multi-process run; ``out`` then names the
    part file (:mod:`orbital_sim.distributed` stitches the parts into one dataset).
    Returns a :class:`RunResult`. Raises :class:`RunError` (one-line message) before any JAX
    work if the output path is unusable or the file cannot be resumed, and during the run if
    the file cannot be written (the finished chunks stay in it, resumable).
    """
    with _signal_handlers(handle_signals) as stop:
        return _run(config, out, overwrite=overwrite, progress=progress, stream=stream, on_chunk=on_chunk,
                    resume=resume, shard=shard, part=part, stop=stop)


def node_slice(n_nodes: int, index: int, count: int) -> tuple[int, int]:
    """``(first, stop)``: the nodes of part ``index`` of ``count`` contiguous parts of
    ``n_nodes`` nodes (the first ``n_nodes % count`` parts hold one node more)."""
    if not 0 <= index < count or count > n_nodes:
        raise RunError(f"part {index} of {count}: needs 0 <= part < parts <= {n_nodes} nodes")
    base, extra = divmod(n_nodes, count)
    first = index * base + min(index, extra)
    return first, first + base + (1 if index < extra else 0)


def _run(config: Config, out, *, overwrite: bool, progress: bool, stream, on_chunk, resume: bool,
         shard: bool | None, stop: _StopFlag, part: tuple[int, int] | None = None) -> RunResult:
    t_start = time.perf_counter()
    sim = config.simulation
    path = Path(out if out is not None else config.output.path)
    stop.where = (path, 0, 0, 0)
    if resume and overwrite:
        raise RunError("resume and overwrite exclude each other: resume continues the file, "
                       "overwrite replaces it")
    try:
        if resume:
            output.check_resume_path(path)
        else:  # a missing output folder is created (as `plot -o` does)
            output.check_output_path(path, overwrite, create_folder=True)
            path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RunError(_one_line(err)) from None
    restart_info = _check_resumable(path, config) if resume else None
    if getattr(config, "radiation", None) is not None:  # [radiation] needs the radiation extra
        from orbital_sim.radiation import RadiationUnavailable, require_radbelt
        try:
            require_radbelt()
        except RadiationUnavailable as err:
            raise RunError(str(err)) from None

    enable_float64()
    enable_compilation_cache(stream=stream)  # orbital_sim/cache.py: on unless turned off
    import jax
    import jax.numpy as jnp

    from orbital_sim import __version__
    from orbital_sim.design_cases import case_attributes, limit_summary, node_limits_k
    from orbital_sim.kernels.model import make_chunk_fn
    from orbital_sim.kernels.thermal import coupling_pattern
    from orbital_sim.model import build_model

    devices = select_devices(sim.device, shard)
    device = devices[0]
    n_dev = len(devices)
    dtype = jnp.float64 if sim.dtype == "float64" else jnp.float32

    with jax.default_device(device):
        model, state0 = build_model(config, dtype=dtype)  # orbital_sim/model.py: the one assembly
        fleet = model.fleet(state0)
        part_attrs = {}
        if part is not None:  # one process's contiguous share of the nodes (built whole, then cut)
            if getattr(config, "sweep", None) is not None:
                raise RunError("a [sweep] cannot run over several processes yet: run it in one process")
            first, stop_at = node_slice(len(fleet.names), *part)
            part_attrs = {"part_index": int(part[0]), "part_count": int(part[1]),
                          "part_first_node": first, "part_nodes_total": len(fleet.names)}
            fleet = model.select(slice(first, stop_at)).fleet(
                jax.tree_util.tree_map(lambda x: x[first:stop_at], fleet.state))
        env = model.env
        total_steps = int(round(sim.duration_s / sim.step_s))
        steps_per_output = int(round(sim.output_every_s / sim.step_s))
        total_outputs = total_steps // steps_per_output
        variables = tuple(config.output.variables)
        screening = getattr(config, "approaches", None)  # [approaches]: r, v from every chunk
        if screening is not None and (part is not None or getattr(config, "sweep", None) is not None):
            raise RunError("[approaches] screens one whole fleet: it cannot run with [sweep] or several processes")
        from orbital_sim.approaches import SCREEN_VARIABLES, RunScreen
        radiation = getattr(config, "radiation", None)  # [radiation]: positions from every chunk
        if radiation is not None and part is not None:
            raise RunError("[radiation] cannot run over several processes yet: run it in one process")
        kernel_vars = variables + tuple(v for v in SCREEN_VARIABLES if (screening or radiation) and v not in variables)
        from orbital_sim.orbit_means import KERNEL_VARIABLES as ORBIT_MEAN_VARIABLES

        kernel_vars += tuple(ORBIT_MEAN_VARIABLES)  # running integrals for the orbit means (not written)
        surfaces = fleet.params.surfaces.area_m2.shape[-1]
        n_nodes = len(fleet.names)
        itemsize = np.dtype(dtype).itemsize
        ground_run = ground_setup(config, model.ground, n_nodes)  # None without stations
        written = variables + (GROUND_SERIES_NAMES if ground_run else ())  # time series in the file
        # [output] dtype = "float32": samples rounded to float32 on the device (half the bytes moved and written)
        storage = (lambda x: x.astype(jnp.float32)) if config.output.dtype == "float32" else (lambda x: x)
        # [output] statistics_window_s: the file's rows are windows of samples (min/max/mean, reduced on the device)
        window_s = config.output.statistics_window_s
        per_window = int(round(window_s / sim.output_every_s)) if window_s else 1
        file_series = output.window_series_names(written) if window_s else written
        from orbital_sim.events import event_slots as _event_slots

        state_bytes = _bytes_per_node(fleet.state, n_nodes) + (_bytes_per_node(ground_run[1], n_nodes) if ground_run else 0)
        memory = ChunkMemory.estimate(
            n_nodes=n_nodes, steps_per_output=steps_per_output, n_devices=n_dev,
            sample_bytes_per_node=_sample_bytes_per_node(
                kernel_vars, len(fleet.component_names), itemsize, len(ground_run[2]["names"]) if ground_run else 0,
                surfaces)
            + 12 * _event_slots(sim.output_every_s),  # the contacts located inside the steps (float64 + int32)
            params_bytes_per_node=_bytes_per_node(fleet.params, n_nodes), state_bytes_per_node=state_bytes)
        budget_bytes = float(sim.memory_budget_mib) * MIB
        if restart_info is not None:  # the same chunk plan as the interrupted run
            outputs_per_chunk = int(restart_info["outputs_per_chunk"])
        else:
            try:
                outputs_per_chunk = plan_chunks(total_outputs, memory, budget_bytes, sim.chunk_outputs, n_nodes)
            except MemoryBudgetError as err:
                raise ConfigError([str(err)]) from None
            outputs_per_chunk = max(per_window, outputs_per_chunk // per_window * per_window)  # whole windows
        n_chunks = math.ceil(total_outputs / outputs_per_chunk)
        dt_s = clock_step_s(sim.step_s)
        total = jnp.asarray(total_steps)
        plan = {"outputs_per_chunk": outputs_per_chunk, "chunks": n_chunks,
                "steps_per_output": steps_per_output, "total_steps": total_steps,
                "memory_budget_mib": float(sim.memory_budget_mib),
                "chunk_bytes_estimated": memory.chunk_bytes(outputs_per_chunk), "samples_per_window": per_window}

        from orbital_sim.health import WINDOW_RULE, SettledExtremes, node_warmup_end_s

        settled = SettledExtremes(node_warmup_end_s(fleet.params, fleet.state, total_steps * float(sim.step_s)),
                                  len(fleet.component_names))
        from orbital_sim.health import orbital_period_from_state_s
        from orbital_sim.orbit_means import OrbitMeans, window_start_s

        periods_s = orbital_period_from_state_s(np.asarray(fleet.state.r_eci_m), np.asarray(fleet.state.v_eci_m_s))
        orbit_means = OrbitMeans(window_start_s(periods_s, settled.warmup_end_s, total_steps * float(sim.step_s)))
        surface_names = None
        if any(name in output.SURFACE_SERIES for name in variables):  # the surface dimension
            from orbital_sim.fleet import surface_names as _surface_names

            surface_names = _surface_names(config)

        integrator, step_warning = model.integrator, model.integrator_warning  # "auto" resolved on the orbits

        writer, state, k0 = _open_output(
            path, config, fleet, file_series, total_outputs // per_window, plan, overwrite, resume, ground=ground_run,
            settled=settled, orbit_means=orbit_means, surface_names=surface_names,
            attrs={
                "title": f"orbital_sim run: {n_nodes} nodes, {sim.duration_s:g} s from {sim.epoch_iso}",
                "software_version": __version__,
                "config_toml": config.source_toml,
                "device": f"{device.platform}:{device.device_kind}" + (f" x{n_dev}" if n_dev > 1 else ""),
                "dtype": sim.dtype,
                "propagator": sim.propagator,
                "integrator": integrator or "none",
                "shadow_model": sim.shadow,
                "step_s": float(sim.step_s),
                "output_every_s": float(sim.output_every_s),
                **case_attributes(config),
                "summary_window": WINDOW_RULE,
                **part_attrs,
            })

        from orbital_sim.events import (append_events, eclipse_summary_and_passes, event_slots, read_events,
                                        truncate_events, write_passes)

        time_units = output.cf_time_units(sim.epoch_iso)
        if writer.samples_written:  # a resume: contacts past the last kept sample go
            truncate_events(writer._require_open(), float(writer._last_time))
        try:
            def make_chunk(outputs):
                return make_chunk_fn(
                    model.propagator, model.shadow_fn, steps_per_output, outputs, kernel_vars,
                    albedo_model=model.albedo_model,
                    ground=ground_run[0] if ground_run else None,
                    event_slots=event_slots(sim.output_every_s),
                    substeps=thermal_substeps(sim.step_s),
                    thermal_pairs=coupling_pattern(fleet.params.thermal.conductance_w_k),
                )

            gstate = ground_run[1] if ground_run else None  # restored by _open_output on a resume
            screen = None if screening is None else RunScreen(
                screening, writer, params=fleet.params, propagator=model.propagator, env=env, simulation=sim,
                state=state, t0_s=min(k0 * outputs_per_chunk, total_outputs) * sim.output_every_s,
                total_outputs=total_outputs)
            if radiation is not None:
                from orbital_sim.radiation import RunRadiation
                rad = RunRadiation(radiation, simulation=sim, state=state, n_nodes=n_nodes,
                                   stored=(writer.read_restart() or ({}, None))[0] if resume else None)
            else:
                rad = None
            params, state, gstate, env = _place_on_devices(devices, n_nodes, fleet.params, state, gstate, env)

            # compiled ahead, so that XLA's own memory figures check the plan (a short estimate
            # shrinks the chunk once, before any chunk runs)
            args0 = (params, state, env, jnp.asarray(k0 * outputs_per_chunk * steps_per_output), total, dt_s) \
                + ((gstate,) if gstate is not None else ())
            chunk_fn = _compile_or_explain(make_chunk(outputs_per_chunk), args0, budget_bytes, path)
            measured = _measured_bytes(chunk_fn, n_dev, outputs_per_chunk * memory.sample_bytes, n_nodes * state_bytes)
            if (measured > budget_bytes and restart_info is None and not sim.chunk_outputs
                    and outputs_per_chunk > 1):
                per_output = max(1.0, (measured - memory.fixed_bytes) / outputs_per_chunk)
                fit = max(1, int((budget_bytes - memory.fixed_bytes) // per_output))
                n_chunks = math.ceil(total_outputs / min(fit, outputs_per_chunk))
                outputs_per_chunk = math.ceil(total_outputs / n_chunks)
                outputs_per_chunk = max(per_window, outputs_per_chunk // per_window * per_window)
                n_chunks = math.ceil(total_outputs / outputs_per_chunk)
                chunk_fn = _compile_or_explain(make_chunk(outputs_per_chunk), args0, budget_bytes, path)
                measured = _measured_bytes(chunk_fn, n_dev, outputs_per_chunk * memory.sample_bytes,
                                           n_nodes * state_bytes)
                plan.update(outputs_per_chunk=outputs_per_chunk, chunks=n_chunks,
                            chunk_bytes_estimated=int(memory.fixed_bytes + per_output * outputs_per_chunk))
                leaves = _restart_leaves(state, n_nodes)  # the initial state, with the new plan
                if gstate is not None:
                    leaves.update(_ground_leaves(gstate, n_nodes))
                leaves.update(settled.leaves())
                leaves.update(orbit_means.leaves())
                writer.write_restart(leaves, {**plan, "next_chunk": 0})
                del leaves
            plan["chunk_bytes_measured"] = int(measured)

            bar = Progress(total_steps, n_nodes, stream=stream, enabled=progress,
                           start_steps=min(k0 * outputs_per_chunk * steps_per_output, total_steps))
            from orbital_sim.health import config_warnings

            warnings_ = config_warnings(config, step=False)  # those `validate` prints too
            if sim.propagator == "cowell":
                warnings_.append(step_warning)
                if integrator == "rk4":  # RK4's energy loss at few steps per orbit
                    warnings_.append(short_step_warning(fleet.state.r_eci_m, fleet.state.v_eci_m_s, sim.step_s,
                                                        fleet.names))
            for warning in filter(None, warnings_):
                print(f"orbital-sim: {warning}", file=stream if stream is not None else sys.stderr, flush=True)
            fault_log = _FaultLog(fleet.names, bar)
            record_faults, faults = fault_log.record, fault_log.faults

            known_status = np.asarray(state.status)[:n_nodes]
            record_faults(known_status, known_status != 0, state, resumed=True)  # carried over
            pause_after = _test_pause_after()
            compile_s = float("nan")

            with stop.armed_during_chunks(), _out_of_memory_explained(stop, budget_bytes, plan):
                stop.where = (path, writer.samples_written, k0, n_chunks)

                def first_step(k):
                    return jnp.asarray(k * outputs_per_chunk * steps_per_output)

                def launch(k, state, gstate):
                    if gstate is None:
                        return _call_chunk(chunk_fn, (params, state, env, first_step(k), total, dt_s))
                    return _call_chunk(chunk_fn, (params, state, env, first_step(k), total, dt_s, gstate))

                if k0 < n_chunks:
                    pending = launch(k0, state, gstate)
                for k in range(k0, n_chunks):
                    state, samples, *rest = pending
                    gstate = rest[0] if rest else None
                    # queue the next chunk before pulling this one to the host (None: drop the last)
                    pending = launch(k + 1, state, gstate) if k + 1 < n_chunks else None
                    n_valid = min(outputs_per_chunk, total_outputs - k * outputs_per_chunk)
                    host = _window_statistics(samples, written, n_valid, per_window, storage, n_nodes) if window_s \
                        else {name: np.asarray(storage(samples[name]))[:n_valid, :n_nodes] for name in written}
                    # the chunk's shadow contacts, before its samples: a resume drops rows past them
                    append_events(writer._require_open(), np.asarray(samples["event_t_s"])[:n_valid, :n_nodes],
                                  np.asarray(samples["event_kind"])[:n_valid, :n_nodes], time_units)
                    index0 = k * outputs_per_chunk
                    times = (np.arange(index0, index0 + n_valid) + 1) * sim.output_every_s
                    # the settled extremes from the samples as computed (not as stored: float32 storage
                    # and window statistics leave them unchanged)
                    settled.update(times, {name: np.asarray(samples[name])[:n_valid, :n_nodes]
                                           for name in ("temperature", "state_of_charge") if name in samples})
                    orbit_means.update(times, {name: np.asarray(samples[name])[:n_valid, :n_nodes]
                                               for name in ORBIT_MEAN_VARIABLES})
                    if screen is not None:
                        screen.chunk(times, samples, n_valid, n_nodes)
                    if rad is not None:
                        rad.chunk(times, samples, n_valid, n_nodes)
                    if window_s:  # the file's rows: one per window, at its end
                        times = (np.arange(index0 // per_window, (index0 + n_valid) // per_window) + 1) * window_s
                    del samples  # with ``host`` (views on CPU): chunk k, beside chunk k+1 being computed
                    if k == k0:
                        compile_s = time.perf_counter() - t_start
                    leaves = _restart_leaves(state, n_nodes)
                    if rad is not None:
                        leaves.update(rad.leaves())
                    if gstate is not None:
                        leaves.update(_ground_leaves(gstate, n_nodes))
                    leaves.update(settled.leaves())
                    leaves.update(orbit_means.leaves())
                    restart = (leaves, {**plan, "next_chunk": k + 1})
                    del leaves
                    try:
                        writer.write_chunk(times, host, restart=restart)
                    except (OSError, RuntimeError) as err:
                        raise RunError(f"cannot write {path}: {_one_line(err)}; it keeps "
                                       f"{writer.samples_written} samples of finished chunks, "
                                       "continue with --resume once there is room") from None
                    del host, restart  # freed before chunk k+2 is queued: at most two chunks alive
                    stop.where = (path, writer.samples_written, k + 1, n_chunks)
                    status = np.asarray(state.status)[:n_nodes]
                    record_faults(status, (status != 0) & (known_status == 0), state, resumed=False)
                    known_status = status
                    done_steps = min((k + 1) * outputs_per_chunk * steps_per_output, total_steps)
                    bar.update(done_steps, note=f"chunk {k + 1}/{n_chunks}")
                    if on_chunk is not None:
                        on_chunk(k + 1, n_chunks)
                    if pause_after == k + 1:
                        print(f"orbital-sim: paused after chunk {k + 1}/{n_chunks} ({PAUSE_ENV})",
                              file=stream if stream is not None else sys.stderr, flush=True)
                        deadline = time.monotonic() + PAUSE_LIMIT_S
                        while stop.signum is None and time.monotonic() < deadline:
                            time.sleep(0.02)
                    if stop.signum is not None and k + 1 < n_chunks:
                        raise RunInterrupted(stop.signum, path, writer.samples_written, k + 1, n_chunks)

            final = jax.tree_util.tree_map(lambda x: np.asarray(x)[:n_nodes], state)
            summary = summary_from_state(final.acc, final.status,
                                         nameplate_s=np.asarray(fleet.params.compute.accelerators, np.float64)[:n_nodes]
                                         * total_steps * float(sim.step_s))
            limits = node_limits_k(config)  # the margins to each component's limits
            if part is not None:
                limits = limits[:, first:stop_at]
            summary.update(limit_summary(limits, summary["temperature_min"], summary["temperature_max"]))
            summary.update(settled.summary())
            summary["orbital_period"] = orbital_period_from_state_s(
                np.asarray(fleet.state.r_eci_m)[:n_nodes], np.asarray(fleet.state.v_eci_m_s)[:n_nodes])
            summary.update(orbit_means.summary(final.acc, final.status, total_steps * float(sim.step_s)))
            contacts = read_events(writer._require_open())
            eclipses, passes = eclipse_summary_and_passes(contacts, n_nodes, float(sim.duration_s),
                                                          start_fraction=_start_fraction(final.acc))
            del contacts
            summary.update(eclipses)
            write_passes(writer._require_open(), passes, time_units)
            del passes
            if gstate is not None:
                final_ground = jax.tree_util.tree_map(lambda x: np.asarray(x)[:n_nodes], gstate)
                summary.update(ground_summary(final_ground, ground_run[2]["latency_bin_s"]))
            if screen is not None:
                summary.update(screen.summary(n_nodes))
            if rad is not None:
                summary.update(rad.summary())
            try:
                writer.write_summary(summary)
            except (OSError, RuntimeError) as err:
                raise RunError(f"cannot write {path}: {_one_line(err)}; it keeps every sample, "
                               "continue with --resume once there is room") from None
        except BaseException:
            try:
                writer.close(completed=False)
            except Exception:  # the first error is the one to report (e.g. the disk is full)
                pass
            raise
        stop.deferred = True  # every sample and the summary are written: a signal now lets it complete
        try:
            writer.close(completed=True)
        except (OSError, RuntimeError) as err:
            raise RunError(f"cannot finish {path}: {_one_line(err)}") from None

    wall_s = time.perf_counter() - t_start
    steps_run = total_steps - min(k0 * outputs_per_chunk * steps_per_output, total_steps)
    return RunResult(
        path=path, nodes=n_nodes, steps=total_steps, wall_s=wall_s, compile_s=compile_s,
        node_steps_per_s=n_nodes * steps_run / wall_s, faults=faults, summary=summary,
        resumed_at_chunk=k0, devices=n_dev,
    )


def _open_output(path, config, fleet, variables, total_outputs, plan, overwrite, resume, attrs, ground=None,
                 settled=None, orbit_means=None, surface_names=None):
    """The writer, the state to start from (unpadded, on the default device) and the first
    chunk to compute: a new file with the initial state as restart state, or the reopened
    file truncated to its restart state."""
    if not resume:
        try:
            writer = output.ResultWriter(
                path, node_names=fleet.names, node_class=fleet.node_class,
                component_names=fleet.component_names, epoch_iso=config.simulation.epoch_iso,
                variables=variables, attrs=attrs, compression=config.output.compression,
                overwrite=overwrite, expected_times=total_outputs,
            )
        except OSError as err:
            raise RunError(_one_line(err)) from None
        try:
            if getattr(config, "sweep", None) is not None:  # the variant dimension ([sweep])
                from orbital_sim.sweep import output_records

                writer.write_sweep(*output_records(config))
            leaves = _restart_leaves(fleet.state, len(fleet.names))
            if ground is not None:  # [[ground_station]]: the station records and their state
                writer.write_stations(**ground[2])
                leaves.update(_ground_leaves(ground[1], len(fleet.names)))
            if settled is not None:  # the summaries' settled window (health.SettledExtremes)
                leaves.update(settled.leaves())
            if orbit_means is not None:  # the orbit means' running integrals (orbit_means.OrbitMeans)
                leaves.update(orbit_means.leaves())
            if surface_names is not None:  # absorbed power per surface: the surface dimension
                writer.write_surfaces(surface_names)
            writer.write_restart(leaves, {**plan, "next_chunk": 0})
        except BaseException as err:
            try:
                writer.close(completed=False)
            except Exception:
                pass
            if isinstance(err, (OSError, RuntimeError)):
                raise RunError(f"cannot write {path}: {_one_line(err)}") from None
            raise
        return writer, fleet.state, 0

    try:
        writer = output.ResultWriter.reopen(path, node_names=fleet.names,
                                            component_names=fleet.component_names, variables=variables)
    except (OSError, ValueError) as err:
        raise RunError(f"cannot resume {path}: {_one_line(err)}") from None
    try:
        found = writer.read_restart()
        if found is None:
            raise RunError(f"cannot resume: {path} holds no restart state")
        stored, info = found
        for key in ("outputs_per_chunk", "chunks", "steps_per_output", "total_steps"):
            if key in info and int(info[key]) != plan[key]:
                raise RunError(f"cannot resume: {path} was planned with {key} = {info[key]}, this run "
                               f"has {plan[key]}")
        k0, samples = int(info["next_chunk"]), int(info["samples"])
        rows = k0 * plan["outputs_per_chunk"] // plan.get("samples_per_window", 1)  # windows: a row per window
        if samples != min(rows, total_outputs) or samples > writer.samples_written:
            raise RunError(f"cannot resume: the restart state of {path} (chunk {k0}, {samples} samples) does "
                           f"not match its {writer.samples_written} samples")
        state = _restore_state(fleet.state, stored)
        if ground is not None:  # the ground stations' running figures (ground.* leaves)
            ground[1] = _restore_state(ground[1], {k[len(_GROUND_PREFIX):]: v for k, v in stored.items()
                                                   if k.startswith(_GROUND_PREFIX)})
        if settled is not None and not settled.restore(stored):
            raise RunError(f"cannot resume: {path} holds no settled-window extremes (written by an older "
                           "version); start it again with --overwrite")
        if orbit_means is not None and not orbit_means.restore(stored):
            raise RunError(f"cannot resume: {path} holds no orbit-mean integrals (written by an older "
                           "version); start it again with --overwrite")
        writer.truncate(samples)  # drop a partly written chunk
        writer.add_history(f"resumed at chunk {k0} of {plan['chunks']} ({samples} samples) on "
                           f"{attrs['device']} by orbital_sim {attrs['software_version']}")
    except BaseException:
        try:
            writer.close(completed=False)
        except Exception:
            pass
        raise
    return writer, state, k0
