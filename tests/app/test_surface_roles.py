"""Surfaces declare their role (array, radiator, other); sizing scales the surfaces by role.

A surface without ``role`` gets one when the config is read (config.derive_surface_roles):
array where it has cells, radiator on the radiator component (named ``radiator``, else the one
with the most cell-less area), other for the rest; the rule sizing applied by itself before.
"""

import dataclasses

import numpy as np
import pytest

from orbital_sim.config import ConfigError, derive_surface_roles, load_config
from orbital_sim.sizing import SizingError, _sized_surfaces
from tests.kernels.builders import node_class


def _surfaces():
    # area, component, pointing, alpha, eps, back_alpha, back_eps, cells: c3 array, c2 panel, c1 big body panel
    return ((260.0, 3, "sun", 0.91, 0.85, 0.9, 0.85, 1.0), (80.0, 2, "sun_edge", 0.12, 0.9, 0.12, 0.9, 0.0),
            (120.0, 1, "nadir", 0.3, 0.8, 0.0, 0.0, 0.0))


def test_default_scenario_roles_are_derived_as_sizing_guessed():
    nc = load_config(None).node_classes["compute"]
    assert [(s.name, s.role) for s in nc.surfaces] == [("array", "array"), ("radiator", "radiator")]


def test_derived_without_a_radiator_component_is_the_largest_cellless_area():
    nc = node_class(surfaces=_surfaces())
    roles = [s.role for s in derive_surface_roles(nc.surfaces, nc.component_names)]
    assert roles == ["array", "other", "radiator"]  # c1 holds 120 m^2 of cell-less area, c2 80 m^2


def test_a_declared_role_wins_over_the_guess():
    nc = node_class(surfaces=_surfaces())
    declared = (dataclasses.replace(nc.surfaces[0], role="array"), dataclasses.replace(nc.surfaces[1], role="radiator"),
                dataclasses.replace(nc.surfaces[2], role="other"))
    nc = dataclasses.replace(nc, surfaces=derive_surface_roles(declared, nc.component_names))
    rad_c, on_rad, is_arr = _sized_surfaces(nc, nc.component_names, 4, None)
    assert rad_c == 2 and on_rad.tolist() == [False, True, False, False] and is_arr.tolist() == [True, False, False, False]
    # the requested component still overrides the roles
    rad_c, on_rad, _ = _sized_surfaces(nc, nc.component_names, 3, "c1")
    assert rad_c == 1 and on_rad.tolist() == [False, False, True]


def test_role_read_from_toml_and_checked():
    cfg = load_config(None, ['node_class.compute.surfaces.1.role="other"'])
    nc = cfg.node_classes["compute"]
    assert [s.role for s in nc.surfaces] == ["array", "other"]
    with pytest.raises(SizingError, match='no surface with role = "radiator"'):
        _sized_surfaces(nc, nc.component_names, 2, None)
    with pytest.raises(ConfigError) as err:
        load_config(None, ['node_class.compute.surfaces.0.role="radiator"', 'node_class.compute.surfaces.1.role="raditor"'])
    text = str(err.value)
    # a surface is named by its name in messages (the path --set and [sweep] accept)
    assert 'node_class.compute.surfaces.array.role = "radiator": must be "array" exactly when' in text
    assert "node_class.compute.surfaces.radiator.role" in text and "did you mean 'radiator'" in text


def test_zero_area_surfaces_are_not_sized():
    nc = node_class(surfaces=((260.0, 3, "sun", 0.91, 0.85, 0.9, 0.85, 1.0), (0.0, 2, "sun_edge", 0.1, 0.9, 0.1, 0.9, 0.0),
                              (80.0, 2, "sun_edge", 0.12, 0.9, 0.12, 0.9, 0.0)))
    nc = dataclasses.replace(nc, surfaces=derive_surface_roles(nc.surfaces, nc.component_names))
    _, on_rad, _ = _sized_surfaces(nc, nc.component_names, 3, None)
    assert np.array_equal(on_rad, [False, False, True])
