"""Battery cycle life from the rainflow cycles: the optional cycle-life relation of
``[node_class.NAME.battery]`` (cycles to end of life against depth of discharge, a power law)
summed over the counted cycles by Miner's rule, against analytic cycle histories."""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest

from orbital_sim.config import ConfigError, validate_dict
from orbital_sim.report import battery_life_years, cycles_to_end_of_life
from tests.app.conftest import SMALL_TOML

YEAR_S = 365.25 * 86400.0
LIFE = dict(cycles=30_000.0, dod=0.3, exponent=1.5)  # illustrative numbers for the analytic cases


def test_power_law_passes_through_its_reference_point():
    assert cycles_to_end_of_life(0.3, **LIFE) == pytest.approx(30_000.0)
    assert cycles_to_end_of_life(0.6, **LIFE) == pytest.approx(30_000.0 / 2**1.5)
    assert cycles_to_end_of_life(0.15, **LIFE) == pytest.approx(30_000.0 * 2**1.5)


def test_life_of_a_steady_orbit_cycle():
    """A LEO node: 15 orbits a day, each a discharge of 20 % and a full recharge, for 10 days.
    Rainflow counts 150 cycles of depth 0.2 (the first from the first peak on); N(0.2) =
    30,000 (0.3/0.2)^1.5 = 55,114 cycles, 5,479 cycles a year: life = 55,114 / 5,479 = 10.06 yr."""
    per_day, days = 15, 10
    orbit = np.concatenate([np.linspace(0.9, 0.7, 40), np.linspace(0.7, 0.9, 60)[1:]])
    soc = np.concatenate([np.tile(orbit[:-1], per_day * days), [0.9]])
    duration_s = days * 86400.0
    life = battery_life_years(soc, duration_s, **LIFE)
    n_life = 30_000.0 * (0.3 / 0.2) ** 1.5
    cycles_per_year = per_day * days / (duration_s / YEAR_S)
    assert life == pytest.approx(n_life / cycles_per_year, rel=1e-9)
    assert 10.0 < life < 10.1


def test_life_of_mixed_cycles_is_miner_sum():
    """Per day: one deep cycle (0.5) with a shallow one (0.1) inside its discharge, for 100 days.
    Rainflow: the 0.1 cycle is counted whole and the 0.5 cycle whole; damage per day
    1/N(0.5) + 1/N(0.1); life = 1 / (365.25 x that)."""
    day = [0.9, 0.7, 0.8, 0.4]  # down 0.2, up 0.1 (the small cycle), down 0.4 to 0.4 ...
    soc = np.array(day * 100 + [0.9])
    life = battery_life_years(soc, 100 * 86400.0, **LIFE)
    damage_per_day = 1 / cycles_to_end_of_life(0.5, **LIFE) + 1 / cycles_to_end_of_life(0.1, **LIFE)
    assert life == pytest.approx(1 / (365.25 * damage_per_day), rel=2e-3)  # +-half a cycle at the ends


def test_cycles_shallower_than_the_counting_floor_do_no_damage():
    soc = 0.9 - 0.004 * (np.arange(2001) % 2)  # 0.4 % ripple only
    assert battery_life_years(soc, 86400.0, **LIFE, min_dod=0.01) == math.inf


def _battery_raw(**keys) -> dict:
    raw = tomllib.loads(SMALL_TOML)
    raw["node_class"]["sat"]["battery"].update(keys)
    return raw


def test_cycle_life_keys_are_all_or_nothing_and_named_in_errors():
    full = dict(cycle_life_cycles=30000.0, cycle_life_dod=0.3, cycle_life_exponent=1.5,
                cycle_life_source="cell vendor qualification report")
    battery = validate_dict(_battery_raw(**full)).node_classes["sat"].battery
    assert (battery.cycle_life_cycles, battery.cycle_life_dod, battery.cycle_life_exponent) == (30000.0, 0.3, 1.5)
    assert validate_dict(_battery_raw()).node_classes["sat"].battery.cycle_life_cycles is None
    partial = dict(full)
    del partial["cycle_life_source"]
    with pytest.raises(ConfigError) as info:
        validate_dict(_battery_raw(**partial))
    assert any("cycle_life_source" in p for p in info.value.problems), info.value.problems
    with pytest.raises(ConfigError) as info:
        validate_dict(_battery_raw(**{**full, "cycle_life_dod": 1.5}))
    assert any("battery.cycle_life_dod = 1.5" in p for p in info.value.problems), info.value.problems


def test_report_gives_the_life_the_rainflow_cycles_allow(tmp_path):
    """Two nodes, one orbit, the default class with a cycle-life relation: the report's shortest
    life is that of the shell node's state-of-charge samples (its eclipse makes the only cycle),
    and the dawn-dusk node (no eclipse in March) uses none of its life."""
    import h5py

    import orbital_sim
    from orbital_sim import report as rp
    from tests.app.test_report import TOUR

    keys = ["node_class.compute.battery.cycle_life_cycles=30000", "node_class.compute.battery.cycle_life_dod=0.3",
            "node_class.compute.battery.cycle_life_exponent=1.5",
            'node_class.compute.battery.cycle_life_source="illustrative"']
    path = tmp_path / "life.h5"
    orbital_sim.run(orbital_sim.load_config(None, TOUR + keys), out=path, progress=False)
    rep = rp.feasibility_report(path)
    with h5py.File(path) as f:
        soc = f["state_of_charge"][...]
        duration_s = float(f["time"][-1])
    expected = [battery_life_years(soc[:, k], duration_s, **LIFE) for k in range(soc.shape[1])]
    assert math.isinf(expected[0]) and math.isfinite(expected[1])
    assert rep.value("battery cycle life, shortest (rainflow, Miner)", "fleet") == pytest.approx(expected[1])
    assert rep.value("battery cycle life used per year, max", "entry:dawn-dusk") == 0.0
