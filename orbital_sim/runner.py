"""Run a simulation: compile one chunk function, stream chunks into the HDF5 output.

The host converts and writes chunk k while the device computes chunk k+1 (JAX dispatch is
asynchronous: the next chunk is queued before the previous samples are pulled to the host).
Memory is bounded by one chunk of samples whatever the simulated duration.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

from orbital_sim import output
from orbital_sim.config import Config
from orbital_sim.timescales import julian_date_tt_two_part

#: upper bound on the samples one chunk holds in memory (bytes, all variables)
CHUNK_SAMPLE_BYTES = 64 * 2**20


class RunError(RuntimeError):
    """A problem that stops a run before it starts (device not available, output refused)."""


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


def enable_float64() -> None:
    """Entry points switch JAX to 64-bit before any array is made (SPEC section 7)."""
    import jax

    jax.config.update("jax_enable_x64", True)


def select_device(kind: str):
    """The JAX device for ``simulation.device`` (``auto``, ``cpu`` or ``gpu``)."""
    import jax

    if kind == "auto":
        return jax.devices()[0]
    try:
        devices = jax.devices(kind)
    except RuntimeError as err:
        raise RunError(f"simulation.device = {kind!r}: no {kind} device available to JAX ({err})") from None
    return devices[0]


def _sample_bytes_per_output(variables, n_nodes, n_components, itemsize) -> int:
    per_node = 0
    for name in variables:
        dims = output.TIME_SERIES[name][0]
        per_node += {"component": n_components, "xyz": 3}.get(dims[-1], 1)
    return per_node * n_nodes * itemsize


def plan_chunks(total_outputs: int, bytes_per_output: int, requested: int | None) -> int:
    """Samples per chunk: as requested, else as many as fit in CHUNK_SAMPLE_BYTES (at most
    all of them); never more than the run needs."""
    if requested:
        return max(1, min(int(requested), total_outputs))
    fit = max(1, CHUNK_SAMPLE_BYTES // max(bytes_per_output, 1))
    n_chunks = math.ceil(total_outputs / min(fit, total_outputs))
    return math.ceil(total_outputs / n_chunks)  # balance the chunks so padding stays small


class Progress:
    """A one-line progress bar on stderr with node-steps per second and time left."""

    def __init__(self, total_steps: int, n_nodes: int, stream=None, enabled: bool = True, width: int = 28):
        self.total = total_steps
        self.n_nodes = n_nodes
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.width = width
        self.start = time.perf_counter()
        self._is_tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, done_steps: int, note: str = "") -> None:
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.start
        frac = done_steps / self.total if self.total else 1.0
        rate = done_steps * self.n_nodes / elapsed if elapsed > 0 else float("nan")
        left = elapsed * (1 - frac) / frac if frac > 0 else float("nan")
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


def summary_from_state(acc, status, dtype=np.float64) -> dict:
    """Per-node summary arrays (output.SUMMARY names) from the final accumulators."""
    a = {k: np.asarray(v, dtype=np.float64) for k, v in dataclasses.asdict(acc).items()}
    elapsed = np.where(a["elapsed_s"] > 0, a["elapsed_s"], np.nan)
    nameplate = np.where(a["compute_nameplate_s"] > 0, a["compute_nameplate_s"], np.nan)
    return {
        "eclipse_fraction": 1.0 - a["sunlit_s"] / elapsed,
        "temperature_min": a["temperature_min_k"],
        "temperature_max": a["temperature_max_k"],
        "energy_generated": a["energy_generated_j"],
        "energy_shed": a["energy_shed_j"],
        "energy_consumed": a["energy_consumed_j"],
        "state_of_charge_min": a["state_of_charge_min"],
        "compute_delivered": a["compute_delivered_s"],
        "compute_availability": a["compute_delivered_s"] / nameplate,
        "status": np.asarray(status, dtype=np.int32),
    }


def run(config: Config, out: str | Path | None = None, *, overwrite: bool = False, progress: bool = True,
        stream=None, on_chunk: Callable[[int, int], None] | None = None) -> RunResult:
    """Simulate ``config`` and write the results to ``out`` (default: ``config.output.path``).

    ``progress``: print a progress bar and fault messages to ``stream`` (stderr by default).
    ``on_chunk(done_chunks, total_chunks)``: optional callback after each chunk is written.
    Returns a :class:`RunResult`. Raises :class:`RunError` before any work if the device or
    the output path is unusable.
    """
    enable_float64()
    import jax
    import jax.numpy as jnp

    from orbital_sim import __version__
    from orbital_sim.fleet import build_fleet
    from orbital_sim.kernels.model import make_chunk_fn, make_env
    from orbital_sim.kernels.orbit import PROPAGATORS
    from orbital_sim.kernels.shadow import SHADOW_MODELS

    t_start = time.perf_counter()
    sim = config.simulation
    path = Path(out if out is not None else config.output.path)
    device = select_device(sim.device)
    dtype = jnp.float64 if sim.dtype == "float64" else jnp.float32

    with jax.default_device(device):
        fleet = build_fleet(config, dtype=dtype)
        whole, fraction = julian_date_tt_two_part(sim.epoch)
        env_cfg = config.environment
        env = make_env(
            shadow_radius_m=env_cfg.shadow_radius_m, solar_constant_w_m2=env_cfg.solar_constant_w_m2,
            albedo=env_cfg.albedo, earth_ir_w_m2=env_cfg.earth_ir_w_m2,
            epoch_jd_tt_whole=whole, epoch_jd_tt_fraction=fraction, dtype=dtype,
        )
        total_steps = int(round(sim.duration_s / sim.step_s))
        steps_per_output = int(round(sim.output_every_s / sim.step_s))
        total_outputs = total_steps // steps_per_output
        variables = tuple(config.output.variables)
        n_nodes = len(fleet.names)
        itemsize = np.dtype(dtype).itemsize
        outputs_per_chunk = plan_chunks(
            total_outputs,
            _sample_bytes_per_output(variables, n_nodes, len(fleet.component_names), itemsize),
            sim.chunk_outputs,
        )
        n_chunks = math.ceil(total_outputs / outputs_per_chunk)
        chunk_fn = make_chunk_fn(
            PROPAGATORS[sim.propagator](), SHADOW_MODELS[sim.shadow], steps_per_output, outputs_per_chunk, variables
        )
        dt_s = jnp.asarray(sim.step_s, dtype)
        total = jnp.asarray(total_steps)

        attrs = {
            "title": f"orbital_sim run: {n_nodes} nodes, {sim.duration_s:g} s from {sim.epoch_iso}",
            "software_version": __version__,
            "config_toml": config.source_toml,
            "device": f"{device.platform}:{device.device_kind}",
            "dtype": sim.dtype,
            "propagator": sim.propagator,
            "shadow_model": sim.shadow,
            "step_s": float(sim.step_s),
            "output_every_s": float(sim.output_every_s),
        }
        try:
            writer = output.ResultWriter(
                path, node_names=fleet.names, node_class=fleet.node_class,
                component_names=fleet.component_names, epoch_iso=sim.epoch_iso, variables=variables,
                attrs=attrs, compression=config.output.compression, overwrite=overwrite,
                expected_times=total_outputs,
            )
        except (FileExistsError, OSError) as err:
            raise RunError(str(err)) from None

        bar = Progress(total_steps, n_nodes, stream=stream, enabled=progress)
        faults: list = []
        known_status = np.zeros(n_nodes, dtype=np.int32)
        completed = False
        compile_s = float("nan")
        try:
            state = fleet.state
            pending = chunk_fn(fleet.params, state, env, jnp.asarray(0), total, dt_s)
            for k in range(n_chunks):
                state, samples = pending
                if k + 1 < n_chunks:  # queue the next chunk before pulling this one to the host
                    first = (k + 1) * outputs_per_chunk * steps_per_output
                    pending = chunk_fn(fleet.params, state, env, jnp.asarray(first), total, dt_s)
                n_valid = min(outputs_per_chunk, total_outputs - k * outputs_per_chunk)
                host = {name: np.asarray(samples[name])[:n_valid] for name in variables}
                if k == 0:
                    compile_s = time.perf_counter() - t_start
                index0 = k * outputs_per_chunk
                times = (np.arange(index0, index0 + n_valid) + 1) * sim.output_every_s
                writer.write_chunk(times, host)
                status = np.asarray(state.status)
                for i in np.nonzero((status != 0) & (known_status == 0))[0]:
                    t_fault = float(np.asarray(state.fault_time_s)[i])
                    faults.append((fleet.names[i], t_fault, int(status[i])))
                    bar.message(f"node {fleet.names[i]} stopped at t = {t_fault:.0f} s: "
                                f"{output.STATUS_FLAGS.get(int(status[i]), 'fault')}")
                known_status = status
                done_steps = min((k + 1) * outputs_per_chunk * steps_per_output, total_steps)
                bar.update(done_steps, note=f"chunk {k + 1}/{n_chunks}")
                if on_chunk is not None:
                    on_chunk(k + 1, n_chunks)
            summary = summary_from_state(state.acc, state.status)
            writer.write_summary(summary)
            completed = True
        finally:
            writer.close(completed=completed)

    wall_s = time.perf_counter() - t_start
    return RunResult(
        path=path, nodes=n_nodes, steps=total_steps, wall_s=wall_s, compile_s=compile_s,
        node_steps_per_s=n_nodes * total_steps / wall_s, faults=faults, summary=summary,
    )
