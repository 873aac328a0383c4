"""Orbit-averaged powers: the mean array, load, battery charge and battery discharge power of
each node over whole orbits at the end of the run (summary ``*_orbit_mean``).

Definition (docs/output_format.md). The window of node i is the last n_i whole orbits of the
run, ``[T - n_i P_i, T]``, with P_i its ``orbital_period`` (two-body period of the osculating
orbit at the epoch) and n_i the most whole orbits that fit after its ``warmup_end`` (so the
window is settled); when not one fits there, the most that fit in the whole run; NaN when the
run is shorter than one orbit. ``orbit_mean_start`` records T - n_i P_i.

The means are energies over the window divided by its length, from the kernel's running
integrals (``energy_generated_j``, ``energy_consumed_j``, ``charge_j``, ``discharge_j``, float64):
their values at the run's end come from the final state, those at the window's start from the
output samples that bracket it, linearly interpolated in time (exact when the start falls on a
sample; otherwise the power is taken as constant between the two samples). No extra work in the
step: the integrals exist anyway and only ride along with the samples (:data:`KERNEL_VARIABLES`).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

#: the kernel's running integrals sampled for the window's start: diagnostic -> accumulator field
KERNEL_VARIABLES = {
    "acc_energy_generated_j": "energy_generated_j",
    "acc_energy_consumed_j": "energy_consumed_j",
    "acc_charge_j": "charge_j",
    "acc_discharge_j": "discharge_j",
}
#: summary name -> kernel diagnostic
SUMMARY_SOURCES = {
    "array_power_orbit_mean": "acc_energy_generated_j",
    "load_power_orbit_mean": "acc_energy_consumed_j",
    "battery_charge_orbit_mean": "acc_charge_j",
    "battery_discharge_orbit_mean": "acc_discharge_j",
}
WINDOW_RULE = ("the last whole orbits (orbital_period) of the run that fit after warmup_end (or, if none "
               "does, in the whole run)")


def window_start_s(period_s, warmup_end_s, duration_s: float) -> np.ndarray:
    """Start of each node's orbit-mean window [s since the epoch]; NaN where the run is shorter
    than one orbit (or the orbit is unbound)."""
    period = np.asarray(period_s, dtype=np.float64)
    warm = np.asarray(warmup_end_s, dtype=np.float64)
    T = float(duration_s)
    ok = np.isfinite(period) & (period > 0)
    p = np.where(ok, period, 1.0)
    settled = np.floor((T - warm) / p * (1 + 1e-12))  # whole orbits after the warm-up
    whole = np.floor(T / p * (1 + 1e-12))  # whole orbits in the run
    n = np.where(settled >= 1, settled, whole)
    return np.where(ok & (n >= 1), T - n * p, np.nan)


class OrbitMeans:
    """Collects each node's running integrals at its window's start from the output samples
    (:meth:`update` per chunk; :meth:`leaves` / :meth:`restore` with the restart state) and
    gives the ``*_orbit_mean`` summary (:meth:`summary`) from the final accumulators."""

    PREFIX = "orbit_mean."

    def __init__(self, start_s):
        self.start_s = np.asarray(start_s, dtype=np.float64)
        n = self.start_s.size
        self.at_start = {name: np.full(n, np.nan) for name in KERNEL_VARIABLES}
        # the last sample seen (t = 0: every integral starts at 0)
        self.last_t = np.zeros(1)
        self.last = {name: np.zeros(n) for name in KERNEL_VARIABLES}

    def update(self, times_s, samples: Mapping[str, np.ndarray]) -> None:
        """``times_s`` (k,) of the chunk's samples; ``samples[name]`` (k, node) host arrays."""
        t = np.concatenate([self.last_t, np.asarray(times_s, dtype=np.float64)])
        # the interval (t[j], t[j+1]] holding each start (start = 0 falls in the first interval)
        j = np.searchsorted(t, self.start_s, side="left") - 1
        j = np.where(self.start_s == t[0], 0, j)
        inside = np.isfinite(self.start_s) & (j >= 0) & (j < t.size - 1)
        idx = np.nonzero(inside)[0]
        for name in KERNEL_VARIABLES:
            values = np.asarray(samples[name], dtype=np.float64)
            if idx.size:
                full = np.concatenate([self.last[name][None, :], values], axis=0)  # (k + 1, node)
                jj = j[idx]
                t0, t1 = t[jj], t[jj + 1]
                w = (self.start_s[idx] - t0) / (t1 - t0)
                self.at_start[name][idx] = (1.0 - w) * full[jj, idx] + w * full[jj + 1, idx]
            self.last[name] = values[-1].copy()
        self.last_t = t[-1:].copy()

    def leaves(self) -> dict:
        """Restart leaves ``{"orbit_mean.<name>": (dims, array)}``."""
        out = {self.PREFIX + "last_t_s": (("node",), np.full(self.start_s.size, self.last_t[0]))}
        for name in KERNEL_VARIABLES:
            out[self.PREFIX + "start_" + name] = (("node",), self.at_start[name].copy())
            out[self.PREFIX + "last_" + name] = (("node",), self.last[name].copy())
        return out

    def restore(self, stored: Mapping[str, np.ndarray]) -> bool:
        """Take the collected values from a restart state; False when it holds none."""
        names = [self.PREFIX + "last_t_s"] + [self.PREFIX + p + n for n in KERNEL_VARIABLES for p in ("start_", "last_")]
        if not all(n in stored for n in names):
            return False
        last_t = np.asarray(stored[self.PREFIX + "last_t_s"], dtype=np.float64)
        self.last_t = last_t[:1].copy() if last_t.size else np.zeros(1)
        for name in KERNEL_VARIABLES:
            self.at_start[name] = np.array(stored[self.PREFIX + "start_" + name], dtype=np.float64)
            self.last[name] = np.array(stored[self.PREFIX + "last_" + name], dtype=np.float64)
        return True

    def summary(self, acc, status, duration_s: float) -> dict:
        """``{summary name: (node,) W}`` and ``orbit_mean_start`` from the final accumulators
        (``kernels.model.Accumulators`` of host arrays); NaN for a faulted node."""
        length = float(duration_s) - self.start_s
        healthy = np.asarray(status) == 0
        out = {"orbit_mean_start": self.start_s.copy()}
        for summary_name, name in SUMMARY_SOURCES.items():
            end = np.asarray(getattr(acc, KERNEL_VARIABLES[name]), dtype=np.float64)
            mean = (end - self.at_start[name]) / np.where(length > 0, length, np.nan)
            out[summary_name] = np.where(healthy, mean, np.nan)
        return out
