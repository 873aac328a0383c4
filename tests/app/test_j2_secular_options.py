"""The analytic J2-secular propagator models J2 only: a config that asks it for J3/J4 or for
drag is refused (exit 2, the key named) instead of running without them (review defect 3)."""

from __future__ import annotations

import pytest

from orbital_sim import cli
from orbital_sim.config import ConfigError, load_config

J2_SECULAR = 'simulation.propagator="j2_secular"'
DRAG_CLASS = ["node_class.compute.drag.mass_kg=3000", "node_class.compute.drag.area_m2=130",
              "node_class.compute.drag.coefficient=2.2"]


@pytest.mark.parametrize("overrides, key", [
    (["simulation.zonal_harmonics=3"], "simulation.zonal_harmonics = 3"),
    (["simulation.zonal_harmonics=4"], "simulation.zonal_harmonics = 4"),
    (['simulation.drag="exponential"', *DRAG_CLASS], 'simulation.drag = "exponential"'),
])
def test_j2_secular_refuses_what_it_does_not_model(overrides, key, capsys):
    with pytest.raises(ConfigError) as info:
        load_config(None, [J2_SECULAR, *overrides])
    (problem,) = [p for p in info.value.problems if p.startswith(key)]
    assert "j2_secular" in problem and "cowell" in problem
    args = ["validate"] + sum((["--set", s] for s in [J2_SECULAR, *overrides]), [])
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert key in err and "Traceback" not in err


def test_j2_secular_with_j2_only_and_cowell_with_everything_still_validate():
    load_config(None, [J2_SECULAR, "simulation.zonal_harmonics=2", 'simulation.drag="none"'])
    load_config(None, ["simulation.zonal_harmonics=4", 'simulation.drag="exponential"', *DRAG_CLASS])
