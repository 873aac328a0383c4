"""Shared constants and fixtures of the application tests.

Constants (imported by name: ``from tests.app.conftest import ROOT``): ``ROOT`` (the source
checkout), ``DEFAULT_TOML``, ``SMALL_TOML`` (a small valid scenario: one class, the explicit
``states`` and ``elements`` entry types) and :func:`small_overrides` (the ``--set`` list that
cuts the default scenario to a few nodes; :func:`two_node_overrides`: to two). Fixtures: ``small_raw`` (SMALL_TOML parsed).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TOML = ROOT / "configs" / "default.toml"

# A small valid scenario with the two explicit entry types (states, elements); the default
# scenario adds the sso and walker_delta types.
def two_test_orbits(node_class: str) -> str:
    """The two [[constellation]] entries of the small test scenarios, both of class
    ``node_class``: one node given by its ECI state, one by its elements (400 km, 51.6 deg)."""
    return f"""
[[constellation]]
type = "states"
node_class = "{node_class}"
r_eci_km = [[6778.137, 0.0, 0.0]]
v_eci_km_s = [[0.0, 4.76, 6.0]]

[[constellation]]
type = "elements"
node_class = "{node_class}"
a_km = [6778.137]
e = [0.0005]
i_deg = [51.6]
raan_deg = [30.0]
argp_deg = [0.0]
mean_anomaly_deg = [0.0]
"""


SMALL_TOML = """
[simulation]
epoch = "2026-03-20T00:00:00Z"
duration_s = 600.0
step_s = 10.0

[node_class.sat.compute]
accelerators = 1
accelerator_power_w = 700.0
component = "bus"

[node_class.sat.power]
bus_power_w = 100.0
bus_heat_component = "bus"
array_efficiency = 0.3
array_component = "panel"

[node_class.sat.battery]
capacity_kwh = 1.0
component = "bus"

[node_class.sat.thermal.components.bus]
heat_capacity_j_k = 5.0e4

[node_class.sat.thermal.components.panel]
heat_capacity_j_k = 1.0e4
initial_temperature_c = 0.0

[[node_class.sat.thermal.couplings]]
between = ["bus", "panel"]
conductance_w_k = 1.0

[[node_class.sat.surfaces]]
name = "panel"
component = "panel"
area_m2 = 4.0
pointing = "sun"
absorptance = 0.9
emittance = 0.85
solar_cells = true

[[node_class.sat.surfaces]]
name = "side"
component = "bus"
area_m2 = 1.0
pointing = "rsw"
pointing_rsw = [0.0, 3.0, 4.0]
absorptance = 0.2
emittance = 0.8
""" + two_test_orbits("sat")


def small_overrides(duration_s, dawn_dusk_per_plane, inclined_total, inclined_planes, *extra, simulation=()):
    """``--set`` overrides that cut the default scenario: ``duration_s`` [s], then ``simulation``
    (more [simulation] keys), the dawn-dusk entry's nodes per plane (4 planes), the inclined
    entry's total and planes, then ``extra``."""
    return [f"simulation.duration_s={duration_s}", *simulation, f"constellation.0.nodes_per_plane={dawn_dusk_per_plane}",
            f"constellation.1.total={inclined_total}", f"constellation.1.planes={inclined_planes}", *extra]


#: the default scenario cut to two nodes: one dawn-dusk (LTAN 18 h), one inclined
TWO_NODES = ("constellation.0.nodes_per_plane=1", "constellation.0.planes=1", "constellation.0.ltan_h=[18.0]",
             "constellation.1.total=1", "constellation.1.planes=1", "constellation.1.phasing=0")


def two_node_overrides(duration_s, *extra):
    """:data:`TWO_NODES` for ``duration_s`` [s] at 60 s steps and samples, then ``extra``."""
    return [*TWO_NODES, f"simulation.duration_s={duration_s}", "simulation.step_s=60", "simulation.output_every_s=60",
            *extra]


@pytest.fixture
def small_raw() -> dict:
    """SMALL_TOML parsed (a fresh dict per test)."""
    return tomllib.loads(SMALL_TOML)
