"""``--set`` addresses an element of an array of tables by index or by its ``name``, the way
``[sweep]`` does (issue 15: ``--set node_class.compute.surfaces.radiator.area_m2=90`` used to
fail with "is an array; index it with an integer")."""

import pytest

from orbital_sim.config import ConfigError, load_config


def test_a_name_addresses_the_same_element_as_its_index():
    by_name = load_config(None, ["node_class.compute.surfaces.radiator.area_m2=90",
                                 "constellation.shell53.altitude_km=600"])
    by_index = load_config(None, ["node_class.compute.surfaces.1.area_m2=90", "constellation.1.altitude_km=600"])
    assert by_name.node_classes == by_index.node_classes
    assert by_name.constellation_entries == by_index.constellation_entries
    assert by_name.node_classes["compute"].surfaces[1].area_m2 == 90.0


def test_sweep_and_set_address_the_same_key():
    swept = load_config(None, ["sweep.node_class.compute.surfaces.radiator.area_m2=[70, 90]"])
    assert swept.sweep.variants[1].node_classes == load_config(
        None, ["node_class.compute.surfaces.radiator.area_m2=90"]).node_classes


def test_an_unknown_name_lists_the_names_and_suggests_one():
    with pytest.raises(ConfigError) as err:
        load_config(None, ["node_class.compute.surfaces.radiatr.area_m2=90"])
    assert str(err.value) == (
        'override "node_class.compute.surfaces.radiatr.area_m2=90": node_class.compute.surfaces is an array with '
        "no element named \"radiatr\"; index it with an integer 0..1 or one of the names ['array', 'radiator']; "
        "did you mean 'radiator'?")
