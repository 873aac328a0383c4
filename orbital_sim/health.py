"""What a run's numbers mean at a glance: warnings on a configuration before it runs, brown-outs,
the exit status of a run with numerical faults, and compute availability (one computation for the
run's summary table, ``info`` and ``report``).

Outcomes of a run, and how each is told (README "What happens when things go wrong"):

- A **numerical fault** (a non-finite state, an orbit below the Earth's surface): the node stops,
  its samples are NaN from then on, ``status`` holds the code (``output.STATUS_FLAGS``), and the
  command line exits with :data:`EXIT_NUMERICAL_FAULT` after writing everything. The results of
  such nodes are not results.
- A **brown-out** (the array and the battery at its floor cannot carry the bus; compute was cut
  first): a physical outcome. The node keeps running; ``energy_unmet`` (J, a cumulative time
  series; ``energy_unmet_total`` the summary), ``brownout`` (flag), ``brownout_start`` and ``brownout_duration`` (s)
  say how much and when, the run prints one line (:func:`brownout_line`), and the exit status
  stays 0.

This module uses numpy and the standard library only (no JAX, no h5py).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

#: exit status of `orbital-sim run` when the run finished and wrote everything, but at least one
#: node hit a numerical fault (``status`` != 0): its numbers are not results
EXIT_NUMERICAL_FAULT = 3

#: fewest RK4 steps per orbit without a warning (runner.MIN_STEPS_PER_ORBIT explains the figure)
MIN_STEPS_PER_ORBIT = 60

_GM_EARTH_M3_S2 = 3.986004418e14  # [m^3/s^2] as kernels/constants.py (SPEC section 2)


# --------------------------------------------------------------------------------------------
# Before a run: configuration warnings (`validate` and `run` print the same lines)
# --------------------------------------------------------------------------------------------

def orbital_periods_s(config) -> tuple[list[str], np.ndarray]:
    """``(names, periods)``: every node's two-body orbital period [s] at the epoch, from its
    osculating (or mean) semi-major axis; ``inf`` for an unbound orbit. No JAX, no fleet build."""
    names: list[str] = []
    periods: list[np.ndarray] = []
    for g in config.constellation:
        if g.elements is not None:
            a = np.asarray(g.elements["a_m"], dtype=np.float64)
        else:
            r = np.asarray(g.states["r_eci_m"], dtype=np.float64).reshape(-1, 3)
            v = np.asarray(g.states["v_eci_m_s"], dtype=np.float64).reshape(-1, 3)
            energy = 0.5 * np.sum(v * v, axis=1) - _GM_EARTH_M3_S2 / np.linalg.norm(r, axis=1)
            a = np.where(energy < 0, -_GM_EARTH_M3_S2 / (2.0 * np.where(energy < 0, energy, -1.0)), np.inf)
        a = np.atleast_1d(a)
        with np.errstate(invalid="ignore"):
            periods.append(np.where(a > 0, 2.0 * np.pi * np.sqrt(np.abs(a) ** 3 / _GM_EARTH_M3_S2), np.inf))
        names.extend(g.names)
    return names, (np.concatenate(periods) if periods else np.zeros(0))


def short_step_message(periods_s, step_s: float, names: Sequence[str]) -> str | None:
    """One line when ``step_s`` gives fewer than :data:`MIN_STEPS_PER_ORBIT` steps per orbital
    period for any bound node (``periods_s`` finite), else None."""
    periods_s = np.asarray(periods_s, dtype=np.float64)
    steps = periods_s / float(step_s)
    short = np.isfinite(periods_s) & (steps < MIN_STEPS_PER_ORBIT)
    if not np.any(short):
        return None
    i = int(np.argmin(np.where(short, steps, np.inf)))
    return (f"warning: step_s = {step_s:g} s gives {steps[i]:.0f} steps per orbit for node {names[i]} "
            f"(period {periods_s[i]:.0f} s); RK4 loses orbital energy as the step^4 (at 32 steps per orbit "
            f"LEO nodes reached the Earth within 75-95 days): use {MIN_STEPS_PER_ORBIT} or more; "
            f"{int(np.sum(short))} of {len(periods_s)} nodes have fewer")


def no_cells_message(config) -> str | None:
    """One line naming the node classes in use with no surface carrying solar cells (their
    nodes live on the battery alone and brown out once it reaches its floor), else None."""
    used = list(dict.fromkeys(g.class_name for g in config.constellation))
    bare = [name for name in used
            if not any(s.solar_cells for s in config.node_classes[name].surfaces)]
    if not bare:
        return None
    return (f"warning: node class(es) {', '.join(repr(b) for b in bare)} have no surface with solar_cells = true: "
            "their nodes run on the battery alone and brown out (unserved bus load, energy_unmet) once it "
            "reaches its floor")


#: perigee altitude [m] below which a configuration gets a warning: below about 160 km an orbit
#: decays within a day or so (drag), and aerodynamic heating is not modelled
LOW_PERIGEE_M = 160e3
_R_EARTH_EQ_M = 6378.137e3  # [m] WGS-84 equatorial radius (kernels/constants.py)


def low_perigee_message(config) -> str | None:
    """One line when a node's perigee (from its semi-major axis and eccentricity, or its
    initial radius for explicit states) lies below :data:`LOW_PERIGEE_M` above the equatorial
    radius, else None. Orbits below the surface are refused by the validator; these are not."""
    worst, count, total = None, 0, 0
    for g in config.constellation:
        if g.elements is not None:
            rp = np.asarray(g.elements["a_m"], dtype=np.float64) * (1.0 - np.asarray(g.elements["e"], dtype=np.float64))
        else:
            rp = np.linalg.norm(np.asarray(g.states["r_eci_m"], dtype=np.float64).reshape(-1, 3), axis=1)
        alt = np.atleast_1d(rp) - _R_EARTH_EQ_M
        total += alt.size
        low = alt < LOW_PERIGEE_M
        count += int(np.sum(low))
        if low.any():
            i = int(np.argmin(alt))
            if worst is None or alt[i] < worst[1]:
                worst = (g.names[i], float(alt[i]))
    if worst is None:
        return None
    return (f"warning: node {worst[0]} has its perigee {worst[1] / 1e3:.0f} km above the equatorial radius "
            f"({count} of {total} nodes below {LOW_PERIGEE_M / 1e3:.0f} km): such orbits decay within hours to "
            "days and aerodynamic heating is not modelled (drag only with simulation.drag)")


def shared_ltan_message(config) -> str | None:
    """One line per ``sso`` entry whose several planes share one ``ltan_h``: they are one orbital
    plane (the nodes interleaved in it), though named ``p00``, ``p01``... Decision: a warning,
    not a refusal (a single plane of interleaved groups is a legitimate layout)."""
    lines = []
    for e in getattr(config, "constellation_entries", ()) or ():
        if e.type != "sso":
            continue
        ltan = np.atleast_1d(np.asarray(e.params.get("ltan_h", ()), dtype=np.float64))
        planes = int(e.params.get("planes", 1))
        if planes > 1 and (ltan.size == 1 or np.unique(ltan).size == 1):
            lines.append(f"warning: constellation.{e.index} ({e.name}): planes = {planes} share ltan_h = "
                         f"{ltan[0]:g} h, so they are one orbital plane (nodes interleaved in it, named p00-p"
                         f"{planes - 1:02d}); give one ltan_h per plane to spread them")
    return "\n".join(lines) or None


def config_warnings(config, step: bool = True) -> list[str]:
    """Every warning about a valid configuration, one line each (``validate`` and ``run``;
    ``step=False``: without the short-step warning, which ``run`` makes from the built states)."""
    out = []
    for message in (no_cells_message(config), low_perigee_message(config), shared_ltan_message(config)):
        if message:
            out.extend(message.splitlines())
    if step and config.simulation.propagator == "cowell":
        names, periods = orbital_periods_s(config)
        message = short_step_message(periods, config.simulation.step_s, names)
        if message:
            out.append(message)
    return out


# --------------------------------------------------------------------------------------------
# After a run
# --------------------------------------------------------------------------------------------

def exit_status(status) -> int:
    """0 when no node has a numerical fault code, else :data:`EXIT_NUMERICAL_FAULT`."""
    status = np.asarray(status)
    return EXIT_NUMERICAL_FAULT if status.size and np.any(status != 0) else 0


def compute_availability(delivered_s, nameplate_s, mask=None) -> float:
    """Compute availability [1] of the nodes in ``mask`` (default all): accelerator-seconds
    delivered / accelerator-seconds of nameplate over the whole run (accelerators x run duration;
    a node that faulted counts its whole run, so it delivers nothing after its fault). Nodes
    without accelerators (nameplate 0) are left out; NaN when none is left. The summary table
    (``output.format_summary_table``) and ``report`` both call this."""
    delivered = np.asarray(delivered_s, dtype=np.float64)
    nameplate = np.asarray(nameplate_s, dtype=np.float64)
    keep = (nameplate > 0) & np.isfinite(nameplate)
    if mask is not None:
        keep &= np.asarray(mask, dtype=bool)
    total = float(np.sum(nameplate[keep]))
    if total <= 0:
        return float("nan")
    return float(np.sum(np.where(np.isfinite(delivered[keep]), delivered[keep], 0.0))) / total


def node_availability(delivered_s, nameplate_s) -> np.ndarray:
    """Per-node compute availability [1]: delivered / nameplate (NaN without accelerators)."""
    delivered = np.asarray(delivered_s, dtype=np.float64)
    nameplate = np.asarray(nameplate_s, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(nameplate > 0, delivered / np.where(nameplate > 0, nameplate, 1.0), np.nan)


def _clock(t_s: float, epoch_iso: str | None) -> str:
    hours = f"t = {t_s:.0f} s ({t_s / 3600.0:.2f} h)"
    if not epoch_iso:
        return hours
    from datetime import datetime, timedelta

    try:
        epoch = datetime.fromisoformat(str(epoch_iso).replace("Z", "+00:00"))
    except ValueError:
        return hours
    when = (epoch + timedelta(seconds=float(t_s))).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{hours}, {when}"


def brownout_line(summary: Mapping[str, Any], epoch_iso: str | None = None) -> str | None:
    """One line: how many nodes browned out (could not carry their bus), when the first and the
    last of them began, the time browned out and the energy unserved; None when no node did (or
    the summary has no brown-out variables)."""
    if "brownout" not in summary:
        return None
    flag = np.asarray(summary["brownout"]) != 0
    if not flag.any():
        return None
    nodes = [str(n) for n in summary.get("node", [f"#{i}" for i in range(flag.size)])]
    start = np.asarray(summary.get("brownout_start", np.full(flag.size, np.nan)), dtype=np.float64)
    duration = np.asarray(summary.get("brownout_duration", np.full(flag.size, np.nan)), dtype=np.float64)
    unmet = np.asarray(summary.get("energy_unmet_total", np.full(flag.size, np.nan)), dtype=np.float64)
    idx = np.nonzero(flag)[0]
    first = idx[np.nanargmin(start[idx])] if np.isfinite(start[idx]).any() else idx[0]
    last = idx[np.nanargmax(start[idx])] if np.isfinite(start[idx]).any() else idx[-1]
    text = (f"brown-out: {idx.size} of {flag.size} nodes could not carry their bus; first {nodes[first]} "
            f"from {_clock(float(start[first]), epoch_iso)}")
    if idx.size > 1:
        text += f", last to begin {nodes[last]} from {_clock(float(start[last]), epoch_iso)}"
    text += (f"; {np.nansum(duration[idx]) / 3600.0:.3g} node-hours browned out, "
             f"{np.nansum(unmet[idx]):.3g} J unserved (energy_unmet, energy_unmet_total, brownout_start in the file)")
    return text


# --------------------------------------------------------------------------------------------
# The settled window of the summaries
# --------------------------------------------------------------------------------------------

#: the warm-up lasts this many of the slowest thermal time constants (e^-3: 5 % of the initial
#: temperature offset left)
WARMUP_TIME_CONSTANTS = 3.0
#: and at least one orbital period (the first eclipse starts from the launch state of charge)
WARMUP_ORBITS = 1.0
#: and at most this fraction of the run, so that every run keeps a window
WARMUP_MAX_FRACTION = 0.5

WINDOW_RULE = (f"settled window: from warmup_end to the end of the run, over the output samples; warmup_end = "
               f"the later of {WARMUP_ORBITS:g} orbital period and {WARMUP_TIME_CONSTANTS:g} x the slowest "
               "thermal time constant of the node (its thermal network linearised at the initial "
               f"temperatures), at most {WARMUP_MAX_FRACTION:g} of the run")


def slowest_time_constant_s(heat_capacity_j_k, conductance_w_k, emission_w_k4, temperature_k) -> np.ndarray:
    """Slowest time constant [s] of each node's thermal network, linearised at ``temperature_k``:
    tau = 1 / lambda_min of C^-1 K, with K = the conductance Laplacian + diag(4 e_A T^3) (radiation
    to the sink linearised; ``emission_w_k4`` = sigma x emitting area x emittance per component,
    W/K^4). Shapes: (N, C), (N, C, C), (N, C), (N, C) -> (N,). A network with no path to space
    (lambda_min 0) gives inf.

    One component: tau = C / (4 sigma eps A T^3), the RC time constant of a radiating body."""
    cap = np.asarray(heat_capacity_j_k, dtype=np.float64)
    g = np.asarray(conductance_w_k, dtype=np.float64)
    rad = 4.0 * np.asarray(emission_w_k4, dtype=np.float64) * np.asarray(temperature_k, dtype=np.float64) ** 3
    n_comp = g.shape[-1]
    k = -g + (np.sum(g, axis=-1) + rad)[:, :, None] * np.eye(n_comp)[None]
    scale = 1.0 / np.sqrt(cap)
    sym = scale[:, :, None] * k * scale[:, None, :]  # C^-1/2 K C^-1/2: same eigenvalues, symmetric
    lam = np.linalg.eigvalsh(sym)[:, 0]
    with np.errstate(divide="ignore"):
        return np.where(lam > 0, 1.0 / np.where(lam > 0, lam, 1.0), np.inf)


def warmup_end_s(period_s, tau_s, duration_s: float) -> np.ndarray:
    """End of each node's warm-up [s since the epoch] (:data:`WINDOW_RULE`)."""
    period = np.where(np.isfinite(period_s), np.asarray(period_s, dtype=np.float64), 0.0)
    tau = np.asarray(tau_s, dtype=np.float64)
    end = np.maximum(WARMUP_ORBITS * period, WARMUP_TIME_CONSTANTS * tau)
    return np.minimum(end, WARMUP_MAX_FRACTION * float(duration_s))


def node_warmup_end_s(params, state, duration_s: float) -> np.ndarray:
    """:func:`warmup_end_s` of every node of a fleet (``NodeParams`` and ``NodeState`` with a
    leading node axis): orbital periods from the initial states, time constants from the
    thermal network and the surfaces' emitting areas."""
    sigma = 5.670374419e-8  # [W/m^2/K^4] CODATA 2018 (kernels/constants.py)
    surfaces, thermal = params.surfaces, params.thermal
    area = np.asarray(surfaces.area_m2, dtype=np.float64)
    emit = area * (np.asarray(surfaces.emittance, dtype=np.float64)
                   + np.asarray(surfaces.back_emittance, dtype=np.float64))
    emission = sigma * np.einsum("ns,nsc->nc", emit, np.asarray(surfaces.component, dtype=np.float64))
    tau = slowest_time_constant_s(thermal.heat_capacity_j_k, thermal.conductance_w_k, emission, state.temperature_k)
    return warmup_end_s(orbital_period_from_state_s(state.r_eci_m, state.v_eci_m_s), tau, duration_s)


def orbital_period_from_state_s(r_eci_m, v_eci_m_s) -> np.ndarray:
    """Two-body (osculating) orbital period [s] of each node from its ECI state (N, 3); NaN
    for an unbound orbit."""
    r = np.asarray(r_eci_m, dtype=np.float64).reshape(-1, 3)
    v = np.asarray(v_eci_m_s, dtype=np.float64).reshape(-1, 3)
    energy = 0.5 * np.sum(v * v, axis=1) - _GM_EARTH_M3_S2 / np.linalg.norm(r, axis=1)
    bound = energy < 0
    a = np.where(bound, -_GM_EARTH_M3_S2 / (2.0 * np.where(bound, energy, -1.0)), np.nan)
    return 2.0 * np.pi * np.sqrt(a ** 3 / _GM_EARTH_M3_S2)


class SettledExtremes:
    """Running extremes over the output samples at or after each node's ``warmup_end_s``:
    ``temperature_min_settled``/``temperature_max_settled`` (node, component) and
    ``state_of_charge_min_settled`` (node), from the ``temperature`` and ``state_of_charge``
    samples (NaN when the run does not write them or no sample lies in the window). The runner
    feeds every written chunk (:meth:`update`) and stores :meth:`leaves` with the restart state."""

    PREFIX = "settled."

    def __init__(self, warmup_end: np.ndarray, n_components: int):
        self.warmup_end_s = np.asarray(warmup_end, dtype=np.float64)
        n = self.warmup_end_s.size
        self.temperature_min = np.full((n, n_components), np.inf)
        self.temperature_max = np.full((n, n_components), -np.inf)
        self.state_of_charge_min = np.full(n, np.inf)

    def update(self, times_s, series: Mapping[str, np.ndarray]) -> None:
        inside = np.asarray(times_s, dtype=np.float64)[:, None] >= self.warmup_end_s[None, :]  # (t, node)
        if not inside.any():
            return
        if "temperature" in series:
            t = np.asarray(series["temperature"], dtype=np.float64)
            mask = inside[:, :, None]
            self.temperature_min = np.fmin(self.temperature_min, np.fmin.reduce(np.where(mask, t, np.inf), axis=0))
            self.temperature_max = np.fmax(self.temperature_max, np.fmax.reduce(np.where(mask, t, -np.inf), axis=0))
        if "state_of_charge" in series:
            s = np.asarray(series["state_of_charge"], dtype=np.float64)
            self.state_of_charge_min = np.fmin(self.state_of_charge_min,
                                               np.fmin.reduce(np.where(inside, s, np.inf), axis=0))

    def leaves(self) -> dict:
        """Restart leaves ``{"settled.<name>": (dims, array)}``."""
        return {self.PREFIX + "temperature_min_k": (("node", "component"), self.temperature_min.copy()),
                self.PREFIX + "temperature_max_k": (("node", "component"), self.temperature_max.copy()),
                self.PREFIX + "state_of_charge_min": (("node",), self.state_of_charge_min.copy())}

    def restore(self, stored: Mapping[str, np.ndarray]) -> bool:
        """Take the running extremes from a restart state; False when it holds none."""
        names = [self.PREFIX + n for n in ("temperature_min_k", "temperature_max_k", "state_of_charge_min")]
        if not all(n in stored for n in names):
            return False
        self.temperature_min, self.temperature_max, self.state_of_charge_min = (
            np.array(stored[n], dtype=np.float64) for n in names)
        return True

    def summary(self) -> dict:
        def finite(x):
            return np.where(np.isfinite(x), x, np.nan)

        return {"warmup_end": self.warmup_end_s.copy(),
                "temperature_min_settled": finite(self.temperature_min),
                "temperature_max_settled": finite(self.temperature_max),
                "state_of_charge_min_settled": finite(self.state_of_charge_min)}
