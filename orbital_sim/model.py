"""The one boundary between a validated config and the kernels: :func:`build_model`.

``build_model(config) -> (Model, State)`` is the only code that turns a
:class:`~orbital_sim.config.Config` into arrays (in the style of MuJoCo MJX's ``put_model``):
the runner, sizing, the benchmarks and the test builders all call it. The :class:`Model` holds
what stays fixed during a run: the environment (``env``, shared by all nodes), the per-node
parameters (``params``, leading node axis) and, as static fields, the algorithm choices
(propagator, shadow model, albedo model, integrator name) and the names along the node and
component axes. The State is the kernels' ``NodeState`` with a leading node axis.

Where each piece comes from: ``params`` and the initial state from
:func:`orbital_sim.fleet.build_fleet` (per-class columns, orbits, sweeps), ``env`` from
:func:`orbital_sim.kernels.model.make_env`, the algorithms from the registries of the kernels
(:data:`orbital_sim.kernels.orbit.PROPAGATORS`, ``shadow.SHADOW_MODELS``,
``irradiance.ALBEDO_MODELS``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import numpy as np

from orbital_sim import fleet as _fleet
from orbital_sim.config import Config
from orbital_sim.fleet import Fleet


@dataclasses.dataclass(frozen=True)
class Model:
    """What stays fixed during a run. Traced (pytree data): ``env``, ``params``. Static (pytree
    metadata, part of a compiled function's identity): everything else."""

    env: Any  #: kernels.model.EnvParams: scalars shared by all nodes (SI)
    params: Any  #: kernels.model.NodeParams with a leading node axis (N, ...)
    propagator: Any  #: kernels.orbit propagator object (``.advance``), chosen from [simulation]
    shadow_fn: Any  #: kernels.shadow sunlit-fraction function, from simulation.shadow
    albedo_model: Any  #: kernels.irradiance albedo model instance, from environment.albedo_model
    integrator: str | None  #: Cowell integrator name ("rk4", "rk8"); None for j2_secular
    integrator_warning: str | None  #: a too-long step for that integrator (printed by the runner)
    node_names: tuple[str, ...]  #: (N,) node names, in output order
    node_class: tuple[str, ...]  #: (N,) class name per node
    component_names: tuple[str, ...]  #: (C,) the thermal component axis

    @property
    def n_nodes(self) -> int:
        return len(self.node_names)

    def fleet(self, state) -> Fleet:
        """The names, parameters and ``state`` as a :class:`~orbital_sim.fleet.Fleet` (what the
        result writer takes)."""
        return Fleet(names=list(self.node_names), node_class=list(self.node_class),
                     component_names=list(self.component_names), params=self.params, state=state)

    def select(self, index) -> "Model":
        """The model of the nodes ``index`` (a slice or integer array over the node axis)."""
        names, classes = np.asarray(self.node_names, dtype=object), np.asarray(self.node_class, dtype=object)
        return dataclasses.replace(
            self, params=jax.tree_util.tree_map(lambda x: x[index], self.params),
            node_names=tuple(names[index].tolist()), node_class=tuple(classes[index].tolist()))


jax.tree_util.register_dataclass(
    Model, data_fields=["env", "params"],
    meta_fields=["propagator", "shadow_fn", "albedo_model", "integrator", "integrator_warning", "node_names",
                 "node_class", "component_names"])


def build_model(config: Config, *, dtype=None, resolve_integrator: bool = True):
    """``(Model, State)`` of every node of ``config`` (a ``[sweep]``: every variant's nodes).

    ``dtype``: the working precision of the power and thermal parameters and of the
    environment (default: ``simulation.dtype``); the orbit is float64 in every mode.
    ``resolve_integrator``: ``integrator = "auto"`` resolved on the initial orbits with
    :func:`orbital_sim.integrators.choose_integrator` (the runner's rule; the warning for a
    too-long step lands in ``Model.integrator_warning``); False reads "auto" as "rk8" and skips
    the check (sizing, benchmarks).
    """
    import jax.numpy as jnp

    from orbital_sim.kernels.irradiance import ALBEDO_MODELS
    from orbital_sim.kernels.shadow import SHADOW_MODELS

    sim = config.simulation
    if dtype is None:
        dtype = jnp.float64 if sim.dtype == "float64" else jnp.float32
    built = _fleet.build_fleet(config, dtype=dtype)  # looked up at call time (tests wrap it)
    env = build_env(config, dtype)
    e = config.environment
    integrator, warning = None, None
    if sim.propagator == "cowell":
        integrator = sim.integrator
        if resolve_integrator:
            from orbital_sim.integrators import choose_integrator

            integrator, _, warning = choose_integrator(sim.integrator, built.state.r_eci_m, built.state.v_eci_m_s,
                                                       sim.step_s, built.names)
        elif integrator == "auto":
            integrator = "rk8"
    model = Model(
        env=env, params=built.params, propagator=_fleet.propagator_for(sim, integrator),
        shadow_fn=SHADOW_MODELS.make(sim.shadow), albedo_model=ALBEDO_MODELS.make(e.albedo_model),
        integrator=integrator, integrator_warning=warning, node_names=tuple(built.names),
        node_class=tuple(built.node_class), component_names=tuple(built.component_names))
    return model, built.state


def build_env(config: Config, dtype=None):
    """The model's ``env`` alone (kernels.model.EnvParams: [environment] values, the SPEC
    constants and the epoch as a two-part TT Julian date), for callers that need no nodes.
    ``dtype``: as for :func:`build_model`."""
    import jax.numpy as jnp

    from orbital_sim.kernels.model import make_env
    from orbital_sim.timescales import julian_date_tt_two_part

    if dtype is None:
        dtype = jnp.float64 if config.simulation.dtype == "float64" else jnp.float32
    whole, fraction = julian_date_tt_two_part(config.simulation.epoch)
    e = config.environment
    return make_env(shadow_radius_m=e.shadow_radius_m, solar_constant_w_m2=e.solar_constant_w_m2, albedo=e.albedo,
                    earth_ir_w_m2=e.earth_ir_w_m2, epoch_jd_tt_whole=whole, epoch_jd_tt_fraction=fraction,
                    dtype=dtype)
