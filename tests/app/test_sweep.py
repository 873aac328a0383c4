"""Sweeps ([sweep]): config checks, one run of every variant against separate single runs,
the variant dimension in xarray, resume, the sweep figure, and the example config.

The physics of each variant is the same kernel code vmapped over nodes, so a variant inside a
sweep must equal the same variant run alone (float64, CPU). It does, up to last-bit differences
of XLA's vectorised loops over batches of different sizes (4 nodes against 1). Measured here:
the orbit stays bit-identical for about 20 h, then differs by 2e-6 m in position after two
days (3e-13 relative), temperatures by 5e-11 K. Quantities that jump at an eclipse edge
(sunlit fraction, array power) amplify that: a sample that falls inside the 8-9 s of penumbra
moves with the edge's timing (2e-6 m is 3e-10 s of orbit). So: every variable within 1e-12 of
its scale for the first 12 h; over the whole run the smooth ones (orbit-integrated states,
temperatures, energies, the summaries) within 1e-12, and the edge-driven ones within what an
eclipse edge moved by 1 microsecond would change (1e-6 s / 8 s of penumbra, of their scale).
"""

import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest

from orbital_sim import cli
from orbital_sim.config import ConfigError, load_config, validate_dict
from orbital_sim.output import SUMMARY, TIME_SERIES, open_results
from orbital_sim.runner import run

from tests.app.conftest import ROOT  # noqa: E402
EXAMPLE = ROOT / "configs" / "sweep_altitude_ltan.toml"

#: the example's scenario for two days (about 29 orbits), 4 variants zipped: altitude and LTAN
#: make a 2 x 2 grid, and the radiator area (found by its name inside the surfaces array)
#: differs in each. Execution is cheap (4 nodes x 17 280 steps); the compilation dominates.
ZIP4 = [
    "simulation.duration_s=172800",
    "simulation.output_every_s=1200",
    "simulation.chunk_outputs=64",  # 3 chunks (64 + 64 + 16 samples): resume has somewhere to stop
    "sweep.mode=zip",
    "sweep.constellation.0.altitude_km=[500.0, 850.0, 500.0, 850.0]",
    "sweep.constellation.0.ltan_h=[12.75, 12.75, 18.0, 18.0]",
    "sweep.node_class.compute.surfaces.radiator.area_m2=[60.0, 80.0, 100.0, 120.0]",
]
RTOL = 1e-12  # relative to each variable's scale; see the module docstring
#: shed power is what the battery cannot take within one step: its error is the battery
#: energy's error (1e-5 J of 4.3e8 J after two days) over the step (10 s), so its scale is
#: capacity / step (120 kWh / 10 s = 4.3e7 W), not the shed power itself
SCALE_W = {"shed_power": 120 * 3.6e6 / 10.0}
EDGE_DRIVEN = ("sunlit_fraction", "array_power", "load_power", "shed_power", "compute_utilization")
EDGE_SHIFT_S, PENUMBRA_S = 1e-6, 8.0  # an eclipse edge moved by 1 us; LEO penumbra lasts 8-9 s
EXACT_UNTIL_S = 12 * 3600.0


def _base_raw() -> dict:
    import tomllib

    return tomllib.loads(EXAMPLE.read_text())


def _problems(raw: dict) -> list[str]:
    with pytest.raises(ConfigError) as info:
        validate_dict(raw)
    return info.value.problems


@pytest.fixture(scope="module")
def sweep4(tmp_path_factory):
    """The 4-variant sweep, run once: (config, result, path)."""
    config = load_config(EXAMPLE, ZIP4)
    path = tmp_path_factory.mktemp("sweep") / "sweep4.h5"
    result = run(config, path, progress=False)
    return config, result, path


# --------------------------------------------------------------------------------------------
# Config
# --------------------------------------------------------------------------------------------

def test_grid_and_zip_make_the_variants_in_order():
    raw = _base_raw()
    raw["sweep"] = {"constellation.0.altitude_km": [500.0, 600.0], "constellation.0.ltan_h": [6.0, 7.0, 8.0]}
    grid = validate_dict(raw).sweep
    assert grid.mode == "grid" and grid.n_variants == 6
    # the last parameter varies fastest
    assert grid.values[0] == (500.0, 500.0, 500.0, 600.0, 600.0, 600.0)
    assert grid.values[1] == (6.0, 7.0, 8.0, 6.0, 7.0, 8.0)
    # each variant is the base with the values written in: its orbit follows (SI, metres)
    v4 = grid.variants[4]
    assert v4.constellation_entries[0].params["altitude_m"] == 600.0e3
    assert v4.constellation_entries[0].params["ltan_h"] == (7.0,)
    raw["sweep"] = {"mode": "zip", "constellation.0.altitude_km": [500.0, 600.0],
                    "constellation.0.ltan_h": [6.0, 7.0]}
    zipped = validate_dict(raw).sweep
    assert zipped.n_variants == 2 and zipped.values == ((500.0, 600.0), (6.0, 7.0))
    # nested tables (an unquoted dotted key) name the same path as a quoted key
    raw["sweep"] = {"node_class": {"compute": {"surfaces": {"radiator": {"area_m2": [50.0, 70.0]}}}}}
    nested = validate_dict(raw).sweep
    assert nested.parameters == ("node_class.compute.surfaces.radiator.area_m2",)
    areas = [v.node_classes["compute"].surfaces[1].area_m2 for v in nested.variants]
    assert areas == [50.0, 70.0]


def test_example_config_validates_with_at_least_64_variants():
    config = load_config(EXAMPLE)
    assert config.sweep is not None and config.sweep.n_variants >= 64
    assert config.sweep.n_variants * config.n_nodes >= 64
    altitudes = {v.constellation_entries[0].params["altitude_m"] for v in config.sweep.variants}
    ltans = {v.constellation_entries[0].params["ltan_h"] for v in config.sweep.variants}
    assert len(altitudes) == 8 and len(ltans) == 8


@pytest.mark.parametrize("sweep, expect", [
    # a typo in the last key: the variant's own check names the full path and suggests the key
    ({"node_class.compute.surfaces.radiator.aera_m2": [1.0, 2.0]},
     ["node_class.compute.surfaces.radiator.aera_m2", "did you mean 'area_m2'"]),
    # a missing table on the way
    ({"node_class.compute.batery.capacity_kwh": [50.0]}, ['sweep."node_class.compute.batery.capacity_kwh"',
                                                          "did you mean 'battery'"]),
    ({"constellation.3.altitude_km": [500.0]}, ['sweep."constellation.3.altitude_km"', "1 entries"]),
    ({"constellation.0.altitude_km": []}, ['sweep."constellation.0.altitude_km" = []', "at least one value"]),
    ({"constellation.0.altitude_km": 500.0}, ['sweep."constellation.0.altitude_km" = 500.0', "array"]),
    ({"environment.albedo_model": ["subsatellite", "cap"]}, ['sweep."environment.albedo_model"',
                                                             "cannot be swept"]),
    ({"simulation.step_s": [5.0, 10.0]}, ['sweep."simulation.step_s"', "cannot be swept"]),
    ({"mode": "product", "constellation.0.altitude_km": [500.0]}, ['sweep.mode = "product"', '"grid"']),
    ({}, ["sweep: names no parameter"]),
    ({"mode": "zip", "constellation.0.altitude_km": [500.0, 600.0], "constellation.0.ltan_h": [6.0]},
     ["one length", "constellation.0.altitude_km: 2", "constellation.0.ltan_h: 1"]),
    # a bad value in one variant: the variant, its values and the key path with the value
    ({"constellation.0.altitude_km": [500.0, 100.0]},
     ["sweep variant 1 (constellation.0.altitude_km = 100.0)", "constellation.0.altitude_km = 100.0",
      "must be in [150, 6000] (km)"]),
    # shapes: every variant must place the same nodes
    ({"constellation.0.nodes_per_plane": [1, 2]},
     ["sweep variant 1 (constellation.0.nodes_per_plane = 2)", "places 2 nodes", "same nodes"]),
])
def test_bad_sweeps_are_reported_with_their_key_path(sweep, expect):
    raw = _base_raw()
    raw["sweep"] = sweep
    text = "\n".join(_problems(raw))
    for fragment in expect:
        assert fragment in text, (fragment, text)


def test_a_problem_of_every_variant_is_reported_once():
    raw = _base_raw()
    raw["node_class"]["compute"]["battery"]["capacity_kwh"] = -3.0  # bad in the base: every variant
    raw["sweep"] = {"constellation.0.altitude_km": [500.0, 600.0, 700.0]}
    problems = _problems(raw)
    hits = [p for p in problems if "capacity_kwh = -3.0" in p]
    assert len(hits) == 1 and hits[0].startswith("all 3 sweep variants:"), problems


def test_mismatched_components_are_refused():
    raw = _base_raw()
    raw["node_class"]["other"] = {k: v for k, v in raw["node_class"]["compute"].items()}
    comps = dict(raw["node_class"]["compute"]["thermal"]["components"])
    comps = {k: comps[k] for k in reversed(list(comps))}  # same components, another order
    raw["node_class"]["other"]["thermal"] = {**raw["node_class"]["compute"]["thermal"], "components": comps}
    raw["sweep"] = {"constellation.0.node_class": ["compute", "other"]}
    text = "\n".join(_problems(raw))
    assert "sweep variant 1" in text and "node_class.other.thermal.components" in text, text


def test_cli_exits_2_naming_the_key_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text().replace('"constellation.0.ltan_h"', '"constellation.0.ltan_hh"'))
    out = tmp_path / "out.h5"
    proc = subprocess.run([sys.executable, "-m", "orbital_sim.cli", "run", str(bad), "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "constellation.0.ltan_hh" in proc.stderr and "did you mean 'ltan_h'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------

def _node_series(f: h5py.File, name: str, k: int) -> np.ndarray:
    data = f[name][...]
    return data[:, k] if name in TIME_SERIES else data[k]


@pytest.mark.slow
@pytest.mark.parametrize("k", [3, 0])  # each: one compilation
def test_each_variant_equals_its_single_run(sweep4, tmp_path, k):
    config, result, path = sweep4
    single = config.sweep.variants[k]
    assert single.sweep is None
    alone = tmp_path / f"variant{k}.h5"
    run(single, alone, progress=False)
    with h5py.File(path) as fs, h5py.File(alone) as f1:
        np.testing.assert_array_equal(fs["time"][...], f1["time"][...])
        names = [n for n in [*TIME_SERIES, *SUMMARY] if n in f1]
        assert {"temperature", "array_power", "state_of_charge", "eclipse_fraction", "temperature_max",
                "energy_generated"} <= set(names)
        early = f1["time"][...] <= EXACT_UNTIL_S
        for name in names:
            want = _node_series(f1, name, 0)
            got = _node_series(fs, name, k)
            scale = SCALE_W.get(name, max(float(np.max(np.abs(want))), 1e-300))
            if name in TIME_SERIES:
                np.testing.assert_allclose(got[early], want[early], rtol=RTOL, atol=RTOL * scale, err_msg=name)
            tol = EDGE_SHIFT_S / PENUMBRA_S if name in EDGE_DRIVEN else RTOL
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol * scale, err_msg=name)
    # the variants really differ (different orbits and radiators)
    peaks = result.summary["temperature_max"][:, 0]
    assert len(set(peaks.round(6))) == 4


def test_file_records_the_sweep_and_xarray_has_a_variant_dimension(sweep4):
    config, result, path = sweep4
    assert result.nodes == 4
    with h5py.File(path) as f:
        names = f["node"].asstr()[...].tolist()
        assert names == [f"v0{k}/sso-p00-s000" for k in range(4)]
        np.testing.assert_array_equal(f["node_variant"][...], [0, 1, 2, 3])
        np.testing.assert_array_equal(f["sweep_constellation_0_altitude_km"][...], [500.0, 850.0, 500.0, 850.0])
        assert f["sweep_constellation_0_altitude_km"].attrs["units"] == "km"
        area = f["sweep_node_class_compute_surfaces_radiator_area_m2"]
        np.testing.assert_array_equal(area[...], [60.0, 80.0, 100.0, 120.0])
        assert area.attrs["units"] == "m2"
    if shutil.which("ncdump"):  # netCDF-C reads the extra dimension and variables
        header = subprocess.run(["ncdump", "-h", str(path)], capture_output=True, text=True, timeout=60)
        assert header.returncode == 0, header.stderr
        assert "variant = 4 ;" in header.stdout and "double sweep_constellation_0_ltan_h(variant)" in header.stdout
    ds = open_results(path)
    assert ds.sizes["variant"] == 4 and ds.sizes["node"] == 1
    assert ds.temperature.dims == ("time", "variant", "node", "component")
    assert ds.eclipse_fraction.dims == ("variant", "node")
    assert ds.node.values.tolist() == ["sso-p00-s000"]
    one = ds.sel(variant=1)
    assert float(one.sweep_constellation_0_ltan_h) == 12.75
    flat = open_results(path, flat=True)
    assert flat.temperature.dims == ("time", "node", "component")
    np.testing.assert_array_equal(one.temperature.values[:, 0], flat.temperature.isel(node=1).values)
    np.testing.assert_array_equal(ds.eclipse_fraction.values[:, 0], flat.eclipse_fraction.values)
    # select by a swept value
    by_area = ds.swap_dims(variant="sweep_node_class_compute_surfaces_radiator_area_m2")
    np.testing.assert_array_equal(
        by_area.sel(sweep_node_class_compute_surfaces_radiator_area_m2=100.0).state_of_charge_min,
        ds.state_of_charge_min.sel(variant=2))
    # a grid over two swept parameters: set_index + unstack
    grid = ds.set_index(variant=["sweep_constellation_0_altitude_km", "sweep_constellation_0_ltan_h"]).unstack("variant")
    assert float(grid.eclipse_fraction.sel(sweep_constellation_0_altitude_km=850.0, sweep_constellation_0_ltan_h=12.75,
                                           node="sso-p00-s000")) == float(ds.eclipse_fraction[1, 0])


@pytest.mark.slow  # two runs, each compiling: 15-35 s on 2 shared cores
def test_interrupted_sweep_resumes_to_the_same_file(sweep4, tmp_path):
    config, _, path = sweep4
    out = tmp_path / "resumed.h5"

    def stop_after_first(done, total):
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(config, out, progress=False, on_chunk=stop_after_first)
    with h5py.File(out) as f:
        assert f.attrs["completed"][0] == 0 and f["time"].shape[0] == 64
    run(config, out, progress=False, resume=True)
    with h5py.File(path) as fa, h5py.File(out) as fb:
        for name in [*TIME_SERIES, *SUMMARY, "node_variant", "sweep_constellation_0_ltan_h"]:
            if name in fa:
                np.testing.assert_array_equal(fb[name][...], fa[name][...], err_msg=name)


# --------------------------------------------------------------------------------------------
# The figure
# --------------------------------------------------------------------------------------------

def test_sweep_summary_values_and_figures(sweep4, tmp_path):
    from orbital_sim import plots

    config, result, path = sweep4
    s = plots.sweep_summary(path, "temperature_max")  # the compute component: chips
    np.testing.assert_array_equal(s.summary, result.summary["temperature_max"][:, 0])
    s = plots.sweep_summary(path, "state_of_charge_min", reduce="min")
    np.testing.assert_array_equal(s.summary, result.summary["state_of_charge_min"])
    # capacity factor: energy / (rated power x duration); rated = S0 x cell area x efficiency x
    # packing (260 m^2, 0.295, 0.85 in every variant: only the radiator is swept)
    cf = plots.sweep_summary(path, "capacity_factor")
    rated_w = 1361.0 * 260.0 * 0.295 * 0.85
    np.testing.assert_allclose(cf.summary, result.summary["energy_generated"] / (rated_w * 172800.0), rtol=1e-14)
    assert np.all((cf.summary > 0) & (cf.summary < 1.05))
    for spec in ("eclipse_fraction:altitude_km", "temperature_max:altitude_km:ltan_h",
                 "compute_availability:constellation.0.ltan_h"):
        assert cli.main(["plot", str(path), "--sweep", spec, "-o", str(tmp_path)]) == 0
    png = tmp_path / "sweep_temperature_max.png"
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert cli.main(["plot", str(path), "--sweep", "eclipse_fraction:nope", "-o", str(tmp_path)]) == 2
    assert cli.main(["plot", str(path), "--sweep", "no_such_summary", "-o", str(tmp_path)]) == 2


def test_swept_eclipse_fractions_match_an_independent_cylindrical_shadow(sweep4):
    """Each variant's eclipse fraction (two days at the June solstice) against the
    cylindrical-shadow formula for a circular orbit, evaluated here in NumPy from the run's
    own beta angles: the fraction of an orbit in shadow is
    arccos(sqrt(h^2 + 2 R h) / ((R + h) cos beta)) / pi when that argument is < 1. The conical
    shadow with penumbra differs from it by a few tenths of a percentage point; two days hold
    about 29 orbits, so a partial last orbit moves the average by < 1/29 of one orbit's
    eclipse. Tolerance: 1 percentage point."""
    config, result, path = sweep4
    r_m = 6378.137e3  # shadow_radius_km of the example
    with h5py.File(path) as f:
        h_m = f["sweep_constellation_0_altitude_km"][...] * 1e3
        beta = f["beta_angle"][...]  # (time, variant x 1 node), every 1200 s
    x = np.sqrt(h_m**2 + 2 * r_m * h_m) / ((r_m + h_m) * np.cos(beta))
    expected = np.where(x < 1.0, np.arccos(np.clip(x, -1.0, 1.0)) / np.pi, 0.0).mean(axis=0)
    got = result.summary["eclipse_fraction"]
    np.testing.assert_allclose(got, expected, atol=0.01)
    # the map has its shape: lower, and the Sun nearer the orbit plane, = more shadow
    # variants: (500 km, 12.75 h), (850, 12.75), (500, 18), (850, 18)
    assert got[0] > got[1] > got[3] and got[0] > got[2] > got[3]
    assert got[3] > 0.1  # the June solstice: even the dusk-dawn plane is in its eclipse season
