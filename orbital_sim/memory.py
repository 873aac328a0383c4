"""The memory budget of a run: what one chunk holds, counted in bytes, and the chunk plan.

A run holds, besides the Python process and JAX themselves (about 0.25-0.3 GB of RSS on a
CPU, not counted here):

- **per node** (whatever the chunk length): the node parameters, the state (given to the chunk
  and returned by it, the next chunk's, and the host copies stored as restart state), a ground
  station state when there are stations, and XLA's temporaries of one step of the fleet
  (:data:`NODE_TEMP_BYTES`);
- **per saved sample**: the samples of every written variable for every node, held
  :data:`SAMPLE_COPIES` times: the chunk being computed, the chunk being written, and the
  writer's host copy (contiguous blocks, compressed bytes);
- **per step**: the chunk's per-step tables (step index, time, the Sun's position: one Sun
  per step shared by all nodes, evaluated for the whole chunk at once) and the temporaries of
  computing them (:data:`STEP_TABLE_BYTES`), once per device: every device of the mesh
  computes the Sun table for its nodes.

:func:`plan_chunks` picks the samples per chunk that keep this below the budget
(``simulation.memory_budget_mib``, 512 MiB by default: sized for a laptop, with the process's
own 0.25-0.3 GB a run stays under 1 GB of RSS), and cuts a long run into at least :data:`MIN_CHUNKS`
chunks when each still holds :data:`MIN_CHUNK_NODE_STEPS` node-steps, so that progress,
interrupts and ``--resume`` keep a useful granularity. The runner checks the compiled chunk's
own figures (``compiled.memory_analysis()``: XLA's arguments, outputs and temporaries) against
the same budget and shrinks the chunk if the estimate was short.

This module uses the standard library only (no jax, numpy or h5py).
"""

from __future__ import annotations

import dataclasses
import math

__all__ = [
    "ChunkMemory",
    "MemoryBudgetError",
    "plan_chunks",
    "measured_chunk_bytes",
]

MIB = 2 ** 20

#: copies of a chunk's samples alive at once: the chunk being computed, the chunk being written
#: (device buffer; on the CPU the host arrays are views of it), the writer's host blocks
SAMPLE_COPIES = 3

#: copies of the node state alive at once: the chunk's input, its output, the next chunk's
#: output while it is computed, the host copy written as restart state, the writer's copy
STATE_COPIES = 5

#: [B] per step and device: the per-step tables of a chunk and the temporaries of evaluating the
#: Sun for all of them at once. XLA's memory analysis (CPU, float64) of one node's chunk:
#: 1,387 B/step at 1,000-16,000 steps with output every step, 1,432 B/step with output every
#: 60 steps; 39 B/step at 1,024 nodes (XLA schedules the table differently there). Since the
#: contacts are located inside the step (kernels/events.py): 3,802 B/step (one node, 500 vs 2,000 steps)
STEP_TABLE_BYTES = 4096

#: [B] per node: XLA's temporaries of one step of the fleet (intermediate arrays over nodes).
#: Memory analysis of the default node class (5 components, 7 surfaces): 1,378 B/node at 1,024 nodes
NODE_TEMP_BYTES = 2048

#: [B] what every chunk holds whatever its size: the env, scalars, the compiled code's buffers
FIXED_BYTES = 4 * MIB

#: a long run is cut into at least this many chunks (progress, interrupt and resume granularity)
MIN_CHUNKS = 8
#: ... unless a chunk would then hold fewer node-steps than this (short runs stay in few chunks).
#: 2^17: the default scenario (1,024 nodes, 1,440 steps) runs in 8 chunks of 180 steps, so the
#: first chunk, which the user waits for before the first progress line, is 0.1-0.2 s of
#: compute; measured on 2 cores with a warm compilation cache (shared machine), "compile +
#: first chunk" 3.0 s and 5.7 s wall against 3.4-3.6 s and 6.1-6.3 s at 2^20 (3 chunks of 480).
MIN_CHUNK_NODE_STEPS = 2 ** 17


class MemoryBudgetError(ValueError):
    """The budget cannot hold one sample of the fleet. ``needed_bytes``: the smallest budget
    that works; the message names the key, the value and that budget in MiB."""

    def __init__(self, message: str, needed_bytes: int):
        self.needed_bytes = int(needed_bytes)
        super().__init__(message)


@dataclasses.dataclass(frozen=True)
class ChunkMemory:
    """Bytes one chunk holds, as ``fixed_bytes + outputs * per_output_bytes``.

    ``sample_bytes``: one saved sample of every written variable for every node;
    ``node_bytes``: per-node state, parameters and step temporaries (all nodes, all copies);
    ``step_bytes``: per step, all devices; ``steps_per_output``: steps between samples.
    """

    sample_bytes: int
    node_bytes: int
    step_bytes: int
    steps_per_output: int

    @classmethod
    def estimate(cls, *, n_nodes: int, sample_bytes_per_node: int, params_bytes_per_node: int,
                 state_bytes_per_node: int, steps_per_output: int, n_devices: int = 1) -> "ChunkMemory":
        """The model above for ``n_nodes`` nodes (padded to the devices) on ``n_devices``."""
        n_dev = max(1, int(n_devices))
        padded = -(-int(n_nodes) // n_dev) * n_dev
        node_bytes = padded * (int(params_bytes_per_node) + STATE_COPIES * int(state_bytes_per_node)
                               + NODE_TEMP_BYTES)
        return cls(sample_bytes=padded * int(sample_bytes_per_node), node_bytes=node_bytes + FIXED_BYTES,
                   step_bytes=STEP_TABLE_BYTES * n_dev, steps_per_output=int(steps_per_output))

    @property
    def fixed_bytes(self) -> int:
        """[B] held whatever the chunk length."""
        return self.node_bytes

    @property
    def per_output_bytes(self) -> int:
        """[B] added by each sample a chunk holds (its samples and its steps' tables)."""
        return SAMPLE_COPIES * self.sample_bytes + self.steps_per_output * self.step_bytes

    def chunk_bytes(self, outputs: int) -> int:
        """[B] a chunk of ``outputs`` samples holds."""
        return self.fixed_bytes + int(outputs) * self.per_output_bytes

    def smallest_budget_bytes(self) -> int:
        """[B] the budget of a one-sample chunk, rounded up to a whole MiB."""
        return -(-self.chunk_bytes(1) // MIB) * MIB


def plan_chunks(total_outputs: int, memory: ChunkMemory, budget_bytes: float, requested: int | None = None,
                n_nodes: int = 1, key: str = "simulation.memory_budget_mib") -> int:
    """Samples per chunk.

    ``requested`` (``simulation.chunk_outputs``): as given, at most the run's samples (the
    budget is not applied: an explicit chunk size wins). Otherwise the most samples whose
    :meth:`ChunkMemory.chunk_bytes` fit in ``budget_bytes``, at most ``ceil(total / MIN_CHUNKS)``
    unless that is fewer than :data:`MIN_CHUNK_NODE_STEPS` node-steps, then balanced so that
    every chunk holds about as many samples (the last one's padding stays small).
    Raises :class:`MemoryBudgetError` when not even one sample fits, naming ``key``.
    """
    total_outputs = max(1, int(total_outputs))
    if requested:
        return max(1, min(int(requested), total_outputs))
    fit = int((budget_bytes - memory.fixed_bytes) // memory.per_output_bytes)
    if fit < 1:
        need = memory.smallest_budget_bytes()
        raise MemoryBudgetError(
            f"{key} = {budget_bytes / MIB:g}: too small for one sample of this run ({memory.chunk_bytes(1) / MIB:.1f} "
            f"MiB for {n_nodes} nodes: state, step temporaries, {memory.steps_per_output} step(s) and "
            f"{SAMPLE_COPIES} copies of one sample); the smallest budget that works is {need // MIB} (MiB)", need)
    node_steps_per_output = max(1, int(n_nodes) * memory.steps_per_output)
    granular = max(math.ceil(total_outputs / MIN_CHUNKS), math.ceil(MIN_CHUNK_NODE_STEPS / node_steps_per_output))
    per_chunk = min(fit, granular, total_outputs)
    n_chunks = math.ceil(total_outputs / per_chunk)
    return math.ceil(total_outputs / n_chunks)  # balanced; never more than per_chunk


def measured_chunk_bytes(analysis, n_devices: int, host_sample_bytes: int, host_state_bytes: int) -> int:
    """[B] a compiled chunk holds by XLA's own count (``compiled.memory_analysis()``, per device:
    arguments, outputs, temporaries, generated code) times the devices, plus the host copies the
    runner and writer make (``host_sample_bytes`` per chunk, ``SAMPLE_COPIES - 2`` of them, and
    the restart state's ``host_state_bytes``), plus the next chunk's outputs queued behind it."""
    per_device = sum(int(getattr(analysis, name, 0) or 0) for name in (
        "argument_size_in_bytes", "output_size_in_bytes", "temp_size_in_bytes",
        "generated_code_size_in_bytes"))
    outputs = int(getattr(analysis, "output_size_in_bytes", 0) or 0)
    return max(1, int(n_devices)) * (per_device + outputs) + (SAMPLE_COPIES - 2) * int(host_sample_bytes) \
        + 2 * int(host_state_bytes)
