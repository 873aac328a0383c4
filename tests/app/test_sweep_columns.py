"""A sweep's summary and report: one column per variant, each design alone (issue 14)."""

import numpy as np
import pytest

from orbital_sim import cli
from orbital_sim.config import load_config
from orbital_sim.output import format_summary_table, read_summary
from orbital_sim.report import feasibility_report
from orbital_sim.runner import run

from .scenario_text import default_node_class_toml
from .test_health import ONE_NODE

SWEEP = """
[sweep]
"node_class.compute.surfaces.radiator.area_m2" = [3.0, 5.0, 10.0]
"node_class.compute.battery.capacity_kwh" = [5.0, 10.0, 15.0]
"""
COLUMNS = [f"{a:g}/{b:g}" for a in (3, 5, 10) for b in (5, 10, 15)]


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sweep")
    text = ONE_NODE.format(duration_s=600.0, step_s=10.0, output_every_s=60.0) + default_node_class_toml()
    (tmp / "base.toml").write_text(text)
    (tmp / "sweep.toml").write_text(text + SWEEP)
    out = tmp / "sweep.h5"
    run(load_config(tmp / "sweep.toml"), out, progress=False)
    return tmp, out


def test_report_on_a_9_variant_sweep_has_9_design_columns_with_their_own_masses(sweep_file):
    tmp, out = sweep_file
    rep = feasibility_report(out)
    assert rep.groups == COLUMNS and "fleet" not in rep.groups
    assert "node_class.compute.surfaces.radiator.area_m2 / node_class.compute.battery.capacity_kwh" in rep.sweep_note
    # the array (260 m^2 x 3.1 kg/m^2) and 64 accelerators x 1360/72 kg are the same in every variant
    for col in COLUMNS:
        area, kwh = (float(x) for x in col.split("/"))
        assert rep.value("radiator area per node", col) == pytest.approx(area)
        assert rep.value("radiator mass per node", col) == pytest.approx(7.0 * area)
        assert rep.value("battery mass per node", col) == pytest.approx(kwh * 1000.0 / 160.0)
        assert rep.value("capacity per node", col) == pytest.approx(kwh)
        assert rep.value("nodes", col) == 1
        total = 260.0 * 3.1 + 7.0 * area + kwh * 1000.0 / 160.0 + 64 * 1360.0 / 72.0
        assert rep.value("launched mass per node", col) == pytest.approx(total)
        assert rep.value("launched mass, total", col) == pytest.approx(total / 1e3)  # t: one node, not 9


@pytest.mark.slow
def test_a_variant_alone_gives_the_same_column(sweep_file):
    """Variant 10 m^2 / 15 kWh run on its own: the same masses and the same simulated figures."""
    tmp, out = sweep_file
    alone = tmp / "alone.h5"
    config = load_config(tmp / "base.toml", ["node_class.compute.surfaces.1.area_m2=10",
                                             "node_class.compute.battery.capacity_kwh=15"])
    run(config, alone, progress=False)
    swept, single = feasibility_report(out), feasibility_report(alone)
    for row in ("launched mass per node", "launched mass, total", "battery mass per node", "radiator mass per node",
                "compute availability", "state of charge, min", "array capacity factor"):
        assert swept.value(row, "10/15") == pytest.approx(single.value(row, "fleet"), rel=1e-9), row


def test_run_summary_table_on_a_sweep_has_one_column_per_variant(sweep_file, capsys):
    _, out = sweep_file
    s = read_summary(out)
    table = format_summary_table(s, list(s["component"]), list(s["node_class"]))
    header = [ln for ln in table.splitlines() if ln.startswith("quantity")][0].split()
    assert header[2:] == COLUMNS
    assert table.splitlines()[0].startswith("variant columns: node_class.compute.surfaces.radiator.area_m2")
    chips = [ln for ln in table.splitlines() if ln.startswith("temperature max: chips")
             and " K " in ln][0].split()[-9:]
    values = [float(x) for x in chips]
    # the smaller the radiator, the hotter the chips (3 m^2 > 5 m^2 > 10 m^2, same 5 kWh battery)
    assert values[0] > values[3] > values[6]
    assert cli.main(["info", str(out)]) == 0
    assert "10/15" in capsys.readouterr().out


def test_sweep_plot_summary_of_a_maximum_takes_the_worst_node(sweep_file):
    from orbital_sim import plots

    _, out = sweep_file
    s = plots.sweep_summary(out, "temperature_max", component="chips")
    assert s.reduce == "max"
    f = read_summary(out)
    chips = list(f["component"]).index("chips")
    per_variant = [f["temperature_max"][f["node_variant"] == k, chips].max() for k in range(9)]
    assert np.allclose(s.summary, per_variant)


def test_sweep_panel_titles_show_the_variant_values(sweep_file):
    from orbital_sim import plots

    _, out = sweep_file
    fig = plots.temperature_figure(out, nodes=["v05/*"])
    title = fig.axes[0].get_title(loc="left")
    assert title.startswith("v05/") and "area_m2 = 5" in title and "capacity_kwh = 15" in title
