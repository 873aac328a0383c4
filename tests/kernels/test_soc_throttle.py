"""The state-of-charge throttle limits the compute the battery pays for, never the compute the
array covers (review defect 5: it cut compute in sunlight even when the array covered the
whole load, e.g. a dawn-dusk node in continuous sunlight at 25 % charge ran at half speed).

Policy (kernels/power.py, README "Power"): with f_soc the linear ramp from 1 at throttle_soc to 0
at floor_soc and c the compute demand after the temperature throttle, the compute commanded is
a + f_soc (c - a), where a = clip(P_array - P_bus, 0, c) is the part the array covers above the
bus. At full charge, or when the array covers everything, it is c; in eclipse it is f_soc c,
as before.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest

from orbital_sim.kernels import constants as c
from orbital_sim.kernels.model import make_chunk_fn
from orbital_sim.kernels.orbit import Cowell
from orbital_sim.kernels.power import compute_utilization
from orbital_sim.kernels.shadow import sunlit_fraction_conical
from orbital_sim.kernels.sun import sun_position_eci
from tests.kernels import builders as b

ENV = b.env()
VARIABLES = ("compute_utilization", "sunlit_fraction", "array_power", "load_power", "state_of_charge")


def _one_step(soc: float, sunlit: bool):
    """One 10 s step of the builders' node (260 m^2 sun-pointing array, 2 kW bus, 64 x 700 W
    compute, floor 0.2, throttle 0.3) at 550 km, under the Sun (orbit noon) or opposite it."""
    s = np.asarray(sun_position_eci(ENV.epoch_jd_tt_whole, ENV.epoch_jd_tt_fraction))
    s_hat = s / np.linalg.norm(s)
    a = c.R_EARTH_EQ_M + 550e3
    r = (1.0 if sunlit else -1.0) * a * s_hat
    v = math.sqrt(c.GM_EARTH_M3_S2 / a) * np.cross(s_hat, [0.0, 0.0, 1.0]) / np.linalg.norm(np.cross(s_hat, [0, 0, 1]))
    p = b.node_params()
    st = b.state(p, r, v, soc=soc, temperature_k=300.0)
    f = make_chunk_fn(Cowell(), sunlit_fraction_conical, 1, 1, VARIABLES)
    _, out = f(b.stack([p]), b.stack([st]), ENV, jnp.asarray(0), jnp.asarray(1), jnp.asarray(10.0))
    return {k: float(np.asarray(x)[0, 0]) for k, x in out.items()}


def test_sunlit_node_at_low_charge_computes_in_full_when_the_array_covers_the_load():
    """At 25 % charge (the ramp's midpoint) in full sunlight the array (about 80 kW) covers bus and
    compute (46.8 kW): compute runs at 100 % and the surplus charges the battery. Before the fix
    it ran at 50 %."""
    out = _one_step(0.25, sunlit=True)
    assert out["sunlit_fraction"] == 1.0
    assert out["array_power"] > out["load_power"] + 10e3  # W: the array covers the load with room
    assert out["compute_utilization"] == pytest.approx(1.0, abs=1e-12)
    assert out["state_of_charge"] > 0.25  # charging


def test_eclipsed_node_at_low_charge_is_throttled_on_the_ramp():
    """The same node in the Earth's shadow: everything is paid by the battery, so compute runs at
    f_soc = (0.25 - 0.2) / (0.3 - 0.2) = 50 %, as before."""
    out = _one_step(0.25, sunlit=False)
    assert out["sunlit_fraction"] == 0.0 and out["array_power"] == 0.0
    assert out["compute_utilization"] == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("array_w, soc, expected", [
    (0.0, 0.25, 0.5),         # eclipse: f_soc
    (2_000.0, 0.25, 0.5),     # the array covers only the bus
    (20_000.0, 0.25, 0.75),   # the array covers the bus and 18 of 36 kW: 0.5 + 0.5 * 0.5
    (38_000.0, 0.25, 1.0),    # the array covers everything
    (60_000.0, 0.15, 1.0),    # below the floor but the array covers everything
    (20_000.0, 0.15, 0.5),    # below the floor: only what the array covers (18 of 36 kW)
    (0.0, 0.9, 1.0),          # above the throttle point: no cut
])
def test_compute_utilization_policy(array_w, soc, expected):
    """Bus 2 kW, compute 36 kW at utilisation 1, floor 0.2, throttle 0.3, chips cool."""
    u = compute_utilization(array_w, 2_000.0, 36_000.0, 1.0, 300.0, soc, 358.15, 5.0, 0.3, 0.2)
    assert float(u) == pytest.approx(expected, abs=1e-12)


def test_temperature_throttle_still_applies_in_sunlight():
    """Chips half-way up the thermal band: half the compute, whatever the array covers."""
    u = compute_utilization(1e6, 2_000.0, 36_000.0, 0.8, 358.15 + 2.5, 0.25, 358.15, 5.0, 0.3, 0.2)
    assert float(u) == pytest.approx(0.8 * 0.5, abs=1e-12)
