"""Numbers a user can trust at a glance (issue 14): brown-outs, exit status, one availability."""


import numpy as np
import pytest

from orbital_sim import cli, health
from orbital_sim.config import load_config
from orbital_sim.output import read_summary
from orbital_sim.runner import run
from tests.app.scenario_text import ONE_NODE_550KM_53DEG, default_node_class_toml

ONE_NODE = """
[simulation]
epoch = "2026-03-20T00:00:00Z"
duration_s = {duration_s}
step_s = {step_s}
output_every_s = {output_every_s}
propagator = "cowell"
integrator = "rk4"

[output]
variables = ["state_of_charge", "load_power", "energy_unmet", "temperature", "sunlit_fraction", "battery_power"]
""" + ONE_NODE_550KM_53DEG


def one_node_config(tmp_path, overrides=(), duration_s=3600.0, step_s=10.0, output_every_s=60.0):
    path = tmp_path / "one.toml"
    path.write_text(ONE_NODE.format(duration_s=duration_s, step_s=step_s, output_every_s=output_every_s)
                    + default_node_class_toml())
    return path, load_config(path, list(overrides))


NO_CELLS = ["node_class.compute.surfaces.0.solar_cells=false", "node_class.compute.compute.utilization=0",
            "node_class.compute.battery.capacity_kwh=1"]


def test_brownout_without_cells_matches_the_battery_ledger(tmp_path):
    """No cells, no compute, a 1 kWh battery: the 2 kW bus drains it from 90 % to the 20 % floor
    in (0.9 - 0.2) x 3.6e6 J x 0.97 / 2000 W = 1222.2 s; from then on the whole bus is unserved.
    Start time to within one 10 s step, unserved energy to 1 J, both as time series and summary."""
    _, config = one_node_config(tmp_path, NO_CELLS)
    assert any("no surface with solar_cells" in w for w in health.config_warnings(config))
    result = run(config, tmp_path / "out.h5", progress=False)
    s = result.summary
    t_floor = 0.7 * 3.6e6 * 0.97 / 2000.0
    unmet_j = 2000.0 * 3600.0 - 0.7 * 3.6e6 * 0.97
    assert s["brownout"].tolist() == [1] and s["status"].tolist() == [0]
    assert t_floor <= s["brownout_start"][0] <= t_floor + 10.0
    assert s["brownout_duration"][0] == pytest.approx(3600.0 - t_floor, abs=10.0)
    assert s["energy_unmet_total"][0] == pytest.approx(unmet_j, abs=1.0)
    import xarray as xr

    ds = xr.open_dataset(tmp_path / "out.h5", engine="h5netcdf")
    series = ds["energy_unmet"].values[:, 0]
    assert ds["energy_unmet"].attrs["units"] == "J"
    assert series[-1] == pytest.approx(unmet_j, abs=1.0)
    assert np.all(np.diff(series) >= 0) and series[int(t_floor // 60) - 1] == 0.0
    t = (ds["time"].values - ds["time"].values[0]) / np.timedelta64(1, "s") + 60.0
    after = t > t_floor + 60.0
    # the unserved energy rises at the bus power once the battery sits at its floor
    assert np.allclose(np.diff(series)[after[1:]], 2000.0 * 60.0, atol=1e-6)
    assert np.allclose(ds["load_power"].values[after, 0], 0.0, atol=1e-9)
    # the battery delivers the whole 2 kW bus until its floor, then nothing
    before = t < t_floor - 1.0
    assert np.allclose(ds["battery_power"].values[before, 0], -2000.0, rtol=1e-12)
    assert np.allclose(ds["battery_power"].values[after, 0], 0.0, atol=1e-9)
    file_summary = read_summary(tmp_path / "out.h5")
    assert file_summary["brownout"].tolist() == [1]
    line = health.brownout_line(file_summary, config.simulation.epoch_iso)
    assert "1 of 1 nodes" in line and "2026-03-20T00:20:" in line  # 1222-1232 s after the epoch


def test_cli_brownout_is_a_result_exit_0_and_validate_warns(tmp_path, capsys):
    path, _ = one_node_config(tmp_path, duration_s=1800.0)
    sets = sum((["--set", s] for s in NO_CELLS), [])
    assert cli.main(["validate", str(path), *sets]) == 0
    assert "no surface with solar_cells" in capsys.readouterr().err
    assert cli.main(["validate", str(path)]) == 0
    assert "warning" not in capsys.readouterr().err
    code = cli.main(["run", str(path), "-q", "-o", str(tmp_path / "b.h5"), *sets])
    out = capsys.readouterr().out
    assert code == 0
    assert "brown-out: 1 of 1 nodes could not carry their bus" in out


def test_validate_warns_about_a_step_too_long_for_the_orbit(tmp_path, capsys):
    path, _ = one_node_config(tmp_path, step_s=600.0, output_every_s=600.0, duration_s=3600.0)
    assert cli.main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert "step_s = 600 s gives 10 steps per orbit" in err  # 5,740 s period at 550 km


def test_fall_below_surface_exits_3_after_writing_and_availabilities_agree(tmp_path, capsys):
    """RK4 at 600 s (10 steps per 550 km orbit) drives the node into the Earth within hours: a
    numerical fault. The run writes everything, then exits 3; the summary table and the report
    give the same availability (delivered / accelerators x run duration)."""
    from orbital_sim.report import feasibility_report

    path, _ = one_node_config(tmp_path, step_s=600.0, output_every_s=600.0, duration_s=6 * 3600.0)
    out = tmp_path / "fall.h5"
    code = cli.main(["run", str(path), "-o", str(out)])
    captured = capsys.readouterr()
    assert code == health.EXIT_NUMERICAL_FAULT == 3
    assert "fault: node" in captured.out and "exit status 3" in captured.err
    s = read_summary(out)
    assert s["attrs"]["completed"] == 1 and s["status"].tolist() == [2]
    availability = health.compute_availability(s["compute_delivered"], s["compute_nameplate"])
    assert 0.0 < availability < 0.9  # it stopped before the end
    assert s["compute_nameplate"][0] == pytest.approx(64 * 6 * 3600.0)
    report = feasibility_report(out)
    assert report.value("compute availability") == pytest.approx(100 * availability, rel=1e-12)
    table_row = [ln for ln in captured.out.splitlines() if ln.startswith("compute availability  ")][0]
    assert f"{100 * availability:.1f}" in table_row.split()


def test_no_summary_variable_shares_a_time_series_name():
    """One HDF5 variable per name: a summary named like a time series would overwrite it."""
    from orbital_sim.output import GROUND_SERIES, GROUND_SUMMARY, SUMMARY, TIME_SERIES

    assert not set(SUMMARY) & set(TIME_SERIES)
    assert not set(GROUND_SUMMARY) & set(GROUND_SERIES)
