"""End to end: the runner and the command line on small scenarios."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from orbital_sim import cli
from orbital_sim.config import load_config
from orbital_sim.output import DEFAULT_VARIABLES, SUMMARY, TIME_SERIES
from orbital_sim.runner import run
from tests.app.conftest import small_overrides, two_test_orbits

SMALL = small_overrides(1800, 4, 24, 6)

SPEC_EXAMPLE = """
[simulation]
epoch = "2026-03-20T00:00:00Z"
duration_s = 3600.0
step_s = 10.0
output_every_s = 60.0
propagator = "{propagator}"
dtype = "float64"

[output]
variables = ["sunlit_fraction", "temperature"]
""" + two_test_orbits("compute")


def _with_default_class(text: str) -> str:
    """The SPEC example plus the default scenario's node class, copied by name."""
    default = (Path(__file__).parents[2] / "configs" / "default.toml").read_text()
    start = default.index("[node_class.compute.compute]")
    end = default.index("# The constellation:")
    return text + "\n" + default[start:end].rsplit("\n# ----", 1)[0] + "\n"


def test_default_scenario_shortened_writes_spec_file(tmp_path):
    config = load_config(None, SMALL)
    result = run(config, tmp_path / "out.h5", progress=False)
    assert result.nodes == 40 and result.steps == 30
    ds = xr.open_dataset(tmp_path / "out.h5", engine="h5netcdf")
    assert set(ds.dims) == {"time", "node", "component", "xyz"}
    assert ds.sizes["time"] == 30 and ds.sizes["node"] == 40 and ds.sizes["component"] == 5
    assert ds.attrs["completed"] == 1
    assert np.issubdtype(ds["time"].dtype, np.datetime64)
    assert str(ds["time"].values[0]).startswith("2026-03-20T00:01:00")
    for name in DEFAULT_VARIABLES + [n for n in SUMMARY if n != "energy_heater"]:  # heaters: none here
        assert name in ds, name
        assert ds[name].attrs.get("units") is not None and ds[name].attrs.get("long_name"), name
    for name, (dims, units, _) in TIME_SERIES.items():
        if name in ds:
            assert ds[name].dims == dims and ds[name].attrs["units"] == units
    t = ds["temperature"]
    assert float(t.min()) > 150 and float(t.max()) < 400  # kelvin, physically sane
    soc = ds["state_of_charge"]
    assert float(soc.min()) >= 0.2 - 1e-12 and float(soc.max()) <= 1 + 1e-12
    assert set(np.unique(ds["status"].values)) == {0}
    # the summary covers every step (and the initial state), so it brackets the samples
    assert np.all(ds["temperature_max"].values >= t.max("time").values)
    assert np.all(ds["temperature_min"].values <= t.min("time").values)
    assert np.all(ds["state_of_charge_min"].values <= soc.min("time").values)
    for key in ("device", "dtype", "config_toml", "software_version", "epoch", "Conventions"):
        assert key in ds.attrs


@pytest.mark.parametrize("propagator", ["cowell", pytest.param("j2_secular", marks=pytest.mark.slow)])
def test_spec_example_keys_run(tmp_path, propagator):
    path = tmp_path / "cfg.toml"
    path.write_text(_with_default_class(SPEC_EXAMPLE.format(propagator=propagator)))
    config = load_config(path)
    result = run(config, tmp_path / "out.h5", progress=False)
    ds = xr.open_dataset(tmp_path / "out.h5", engine="h5netcdf")
    assert set(v for v in ds.data_vars if "time" in ds[v].dims) == {"sunlit_fraction", "temperature"}
    assert ds.sizes["node"] == 2 and ds.sizes["time"] == 60
    assert result.faults == []


@pytest.mark.slow
def test_cowell_and_j2_secular_agree_on_eclipses(tmp_path):
    """Two propagators, the same orbit: the eclipse fraction agrees to within a few seconds
    per orbit (J2 short-period terms shift the shadow crossings only slightly)."""
    fractions = []
    for prop in ("cowell", "j2_secular"):
        cfg = load_config(None, SMALL + [f"simulation.propagator={prop}", "simulation.duration_s=6000",
                                         "simulation.output_every_s=60"])
        fractions.append(run(cfg, tmp_path / f"{prop}.h5", progress=False).summary["eclipse_fraction"])
    assert np.abs(fractions[0] - fractions[1]).max() * 6000 < 30.0  # s of shadow over 100 min


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "orbital_sim.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_cli_run_prints_summary_and_rate(tmp_path):
    proc = _cli("run", "-o", "o.h5", *sum((["--set", s] for s in SMALL), []), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "node-steps/s" in proc.stdout and "wall" in proc.stdout
    assert "temperature max: chips" in proc.stdout
    assert "%" in proc.stderr  # the progress bar
    again = _cli("run", "-o", "o.h5", "--set", SMALL[0], cwd=tmp_path)
    assert again.returncode == 1 and "exists" in again.stderr and "Traceback" not in again.stderr
    info = _cli("info", "o.h5", cwd=tmp_path)
    assert info.returncode == 0 and "completed" in info.stdout


def test_cli_invalid_config_exit_2_no_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(_with_default_class(SPEC_EXAMPLE.format(propagator="cowell"))
                   .replace("step_s = 10.0", "step_s = -10.0")
                   .replace("capacity_kwh = 120.0", "capacity_kwh = -3")
                   .replace("e = [0.0005]", "e = [0.0005, 0.1]"))
    for verb in ("run", "validate"):
        proc = _cli(verb, str(bad), cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        assert "simulation.step_s = -10" in proc.stderr
        assert "node_class.compute.battery.capacity_kwh = -3" in proc.stderr
        assert "constellation.1" in proc.stderr
    assert list(tmp_path.glob("*.h5")) == []


def test_cli_validate_default_ok():
    assert cli.main(["validate"]) == 0


@pytest.mark.slow
def test_every_physics_option_runs_end_to_end(tmp_path):
    """J2-J4, exponential drag, cap-quadrature albedo and the oblate shadow, through the runner."""
    overrides = SMALL + [
        "simulation.zonal_harmonics=4", 'simulation.drag="exponential"', 'simulation.shadow="conical_oblate"',
        'environment.albedo_model="cap"', "node_class.compute.drag.mass_kg=3000",
        "node_class.compute.drag.area_m2=130", "node_class.compute.drag.coefficient=2.2",
    ]
    config = load_config(None, overrides)
    assert config.node_classes["compute"].drag.ballistic_m2_kg == pytest.approx(2.2 * 130 / 3000)
    result = run(config, tmp_path / "opt.h5", progress=False)
    assert result.faults == []
    ds = xr.open_dataset(tmp_path / "opt.h5", engine="h5netcdf")
    assert ds.attrs["shadow_model"] == "conical_oblate"
    assert float(ds.sunlit_fraction.min()) == 0.0 and np.isfinite(ds.temperature.values).all()


def test_short_step_warning_names_the_node_and_the_steps_per_orbit():
    """RK4 needs tens of steps per orbit: at 180 s for 550 km (32 per orbit) every node of the
    year-long soak decayed into the Earth by day 95; the run warns before it starts (60 s, 96
    per orbit: no warning)."""
    import math

    from orbital_sim.kernels import constants as kc
    from orbital_sim.runner import MIN_STEPS_PER_ORBIT, short_step_warning

    a = kc.R_EARTH_EQ_M + 550e3
    speed = math.sqrt(kc.GM_EARTH_M3_S2 / a)
    period = 2 * math.pi * math.sqrt(a ** 3 / kc.GM_EARTH_M3_S2)  # 5,736 s
    r = np.array([[a, 0.0, 0.0], [4.2e7, 0.0, 0.0], [a, 0.0, 0.0]])
    v = np.array([[0.0, speed, 0.0], [0.0, 3074.7, 0.0], [0.0, 20e3, 0.0]])  # LEO, GEO, unbound
    names = ["leo", "geo", "escape"]
    assert short_step_warning(r, v, 60.0, names) is None
    text = short_step_warning(r, v, 300.0, names)
    assert text is not None and "node leo" in text and f"{period / 300:.0f} steps per orbit" in text
    assert short_step_warning(r, v, 180.0, names) is not None
    assert "1 of 3 nodes" in text and str(MIN_STEPS_PER_ORBIT) in text
    assert short_step_warning(r, v, period / (MIN_STEPS_PER_ORBIT - 0.5), names) is not None
    assert short_step_warning(r, v, period / (MIN_STEPS_PER_ORBIT + 0.5), names) is None
