"""Ground stations end to end: config, output file, and contact windows / latencies / gaps against
the independent reference (tests/reference/ground_ref.py: ERFA's full IAU 2006/2000A Earth
orientation, a hand WGS-84 station, DOP853 orbit, elevation on a 1 s grid).

One run (2 nodes, 2 stations, 6 h at 30 s, three chunks) is shared by the tests of this module.
"""

from pathlib import Path

import h5py
import numpy as np
import pytest

from orbital_sim.config import ConfigError, load_config
from orbital_sim.output import GROUND_SERIES, GROUND_SUMMARY, open_results
from orbital_sim.runner import histogram_median_s, run
from tests.reference import ground_ref, orbit_ref

DT_S = 30.0
DURATION_S = 21600.0
EPOCH_JD_UTC = (2461119.5, 0.0)  # 2026-03-20T00:00:00 UTC
TAI_MINUS_UTC_S = 37  # since 2017-01-01 (IERS Bulletin C)
STATIONS = {  # name: (lat_deg, lon_deg, h_m, mask_deg)
    "svalbard": (78.23, 15.39, 500.0, 5.0),  # SvalSat, Platåberget (KSAT): 78.23 N 15.39 E, ~500 m
    "wallops": (37.94, -75.46, 10.0, 10.0),  # NASA Wallops Flight Facility: 37.94 N 75.46 W
}
NODES = {  # ECI states at the epoch: r [km], v [km/s]
    "polar": ([6928.137, 0.0, 0.0], [0.0, -1.00315, 7.51804]),  # ~550 km, i ~97.6 deg
    "iss": ([0.0, 6978.137, 0.0], [-4.70224, 0.0, 5.93515]),  # ~600 km, i ~51.6 deg
}
# Tolerances (physical units). The kernel neglects nutation, polar motion and UT1 - UTC
# (kernels/ground.py: < ~1 km at the station); the reference includes nutation.
RANGE_TOL_M = 1500.0  # slant range at the same instant
LATENCY_TOL_S = RANGE_TOL_M / 299_792_458.0  # 5 us
EDGE_TOL_S = 1.0  # rise/set time: within one step of the sample that sees it, plus this
AMBIGUOUS_EL_RAD = np.radians(0.05)  # samples this close to the mask may flip either way


def _config_text() -> str:
    default = (Path(__file__).parents[2] / "configs" / "default.toml").read_text()
    start = default.index("[node_class.compute.compute]")
    end = default.index("# The constellation:")
    node_class = default[start:end].rsplit("\n# ----", 1)[0]
    lines = [
        "[simulation]", 'epoch = "2026-03-20T00:00:00Z"', f"duration_s = {DURATION_S}", f"step_s = {DT_S}",
        f"output_every_s = {DT_S}", "chunk_outputs = 240", "",
        "[output]", 'variables = ["sunlit_fraction"]', "",
    ]
    for name, (r, v) in NODES.items():
        lines += ["[[constellation]]", 'type = "states"', 'node_class = "compute"', f'name = "{name}"',
                  f"r_eci_km = [{r}]", f"v_eci_km_s = [{v}]", ""]
    for name, (lat, lon, h, mask) in STATIONS.items():
        lines += ["[[ground_station]]", f'name = "{name}"', f"latitude_deg = {lat}", f"longitude_deg = {lon}",
                  f"altitude_m = {h}", f"elevation_mask_deg = {mask}", ""]
    return "\n".join(lines) + "\n" + node_class + "\n"


@pytest.fixture(scope="module")
def cfg_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("ground") / "ground.toml"
    path.write_text(_config_text())
    return path


@pytest.fixture(scope="module")
def result(cfg_path):
    out = cfg_path.parent / "out.h5"
    run(load_config(cfg_path), out, progress=False)
    return out


@pytest.fixture(scope="module")
def reference():
    """{(node, station): (t_s, elevation_rad, range_m, mask_rad)} on a 1 s grid."""
    out = {}
    t = np.arange(0.0, DURATION_S + 0.5)
    m = ground_ref.terrestrial_to_celestial(np.full(t.shape, EPOCH_JD_UTC[0]), EPOCH_JD_UTC[1] + t / 86400.0,
                                            TAI_MINUS_UTC_S)
    for node, (r, v) in NODES.items():
        r_sat, _ = orbit_ref.propagate_j2(np.array(r) * 1e3, np.array(v) * 1e3, t)
        for station, (lat, lon, h, mask) in STATIONS.items():
            el, rng = ground_ref.look_from_station(t, r_sat, EPOCH_JD_UTC, TAI_MINUS_UTC_S,
                                                   (np.radians(lat), np.radians(lon), h), matrices=m)
            out[node, station] = (t, el, rng, np.radians(mask))
    return out


def _runs(times, flags):
    """[(first, last)] sample times of each run of consecutive visible samples."""
    runs, start = [], None
    for t, f in zip(times, flags):
        if f and start is None:
            start = t
        if not f and start is not None:
            runs.append((start, prev))
            start = None
        prev = t
    if start is not None:
        runs.append((start, prev))
    return runs


def test_config_errors_name_the_key(tmp_path):
    text = _config_text().replace("latitude_deg = 78.23", "latitude_deg = 98.2").replace(
        'name = "wallops"', 'name = "svalbard"').replace("elevation_mask_deg = 10.0", "elevation_mask_deg = 90")
    path = tmp_path / "bad.toml"
    path.write_text(text + '\n[[ground_station]]\nname = "x"\nlatitude_deg = 1\nlongitud_deg = 2\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    assert "ground_station.0.latitude_deg = 98.2: must be in [-90, 90] (deg)" in text
    assert 'ground_station.1.name = "svalbard": is already the name of ground_station.0' in text
    assert "ground_station.1.elevation_mask_deg = 90: must be" in text
    assert "ground_station.2.longitud_deg" in text and "did you mean 'longitude_deg'" in text
    assert "ground_station.2.longitude_deg" in text  # required key missing
    assert load_config(None).ground_stations == ()  # none = the default: no stations


def test_histogram_median():
    hist = np.zeros((2, 10), np.int32)
    hist[0, [2, 3, 3, 7]] = [1, 2, 0, 4]  # counts 1, 2 (bin 3), 4 (bin 7): 7 in all, median in bin 7
    assert histogram_median_s(hist, 1e-3)[0] == pytest.approx(7.5e-3)
    assert np.isnan(histogram_median_s(hist, 1e-3)[1])
    hist[1, [1, 4]] = [3, 3]  # half reached in bin 1: the lower median's bin
    assert histogram_median_s(hist, 1e-3)[1] == pytest.approx(1.5e-3)


def test_file_holds_station_variables_with_units(result):
    with open_results(result) as ds:
        assert list(ds["station"].values) == list(STATIONS)
        assert ds.sizes["latency_bin"] > 1 and ds["latency_bin"].attrs["units"] == "s"
        for name, (dims, units, _) in {**GROUND_SERIES, **GROUND_SUMMARY}.items():
            assert ds[name].dims == dims and ds[name].attrs["units"] == units, name
        np.testing.assert_allclose(np.degrees(ds["station_latitude"].values), [78.23, 37.94])
        np.testing.assert_allclose(np.degrees(ds["station_longitude"].values), [15.39, -75.46])
        assert ds["station_altitude"].attrs["units"] == "m"
        np.testing.assert_allclose(ds["station_altitude"].values, [500.0, 10.0])
        assert ds["latency_median"].attrs["resolution"] == pytest.approx(
            float(ds["latency_bin"][1] - ds["latency_bin"][0]))
        assert ds.sizes["time"] == int(DURATION_S / DT_S)
        visible = ds["visible"].values
        assert set(np.unique(visible)) <= {0.0, 1.0} and visible.sum() > 0
        slant = ds["slant_range"].values
        assert np.all(np.isnan(slant) == (visible == 0))


def test_contact_windows_match_reference(result, reference):
    with open_results(result, decode_times=False) as ds:
        times = ds["time"].values
        visible = ds["visible"].values
        slant = ds["slant_range"].values
        nodes = [str(n) for n in ds["node"].values]
    checked = 0
    for (node, station), (t, el, rng, mask) in reference.items():
        i, j = nodes.index(f"{node}-0000"), list(STATIONS).index(station)
        at = np.rint(times).astype(int)  # the reference grid is 1 s: index = time
        el_s, rng_s = el[at], rng[at]
        clear = np.abs(el_s - mask) > AMBIGUOUS_EL_RAD
        np.testing.assert_array_equal(visible[:, i, j][clear], (el_s >= mask)[clear].astype(float))
        seen = visible[:, i, j] == 1
        assert np.max(np.abs(slant[seen, i, j] - rng_s[seen]), initial=0.0) < RANGE_TOL_M
        windows = ground_ref.contact_windows(t, el, mask)
        runs = _runs(times, seen)
        for first, last in runs:  # every simulated contact lies in one reference window
            inside = [w for w in windows if w[0] - EDGE_TOL_S <= first and last <= w[1] + EDGE_TOL_S]
            assert len(inside) == 1, (node, station, first, last, windows)
            aos, los = inside[0]
            if aos > 0.0:  # rise seen at the first sample after it
                assert aos - EDGE_TOL_S <= first <= aos + DT_S + EDGE_TOL_S
            if los < DURATION_S:
                assert los - DT_S - EDGE_TOL_S <= last <= los + EDGE_TOL_S
            checked += 1
        long_windows = [w for w in windows if w[1] - w[0] > DT_S + 2 * EDGE_TOL_S]
        assert len(runs) >= len(long_windows)
    assert checked >= 6  # the scenario has passes over both stations


def test_summary_matches_reference(result, reference):
    with h5py.File(result, "r") as f:
        summary = {name: f[name][...] for name in GROUND_SUMMARY}
        resolution = float(f["latency_median"].attrs["resolution"][0])
        nodes = [n.decode() for n in f["node"][...]]
    c = 299_792_458.0
    step_t = np.arange(1, int(DURATION_S / DT_S) + 1) * DT_S
    for (node, station), (t, el, rng, mask) in reference.items():
        i, j = nodes.index(f"{node}-0000"), list(STATIONS).index(station)
        at = np.rint(step_t).astype(int)
        seen = el[at] >= mask
        ambiguous = int(np.sum(np.abs(el[at] - mask) <= AMBIGUOUS_EL_RAD))
        windows = ground_ref.contact_windows(t, el, mask)
        gap_ref = ground_ref.longest_gap_s(windows, DURATION_S)
        assert abs(summary["contact_gap_max"][i, j] - gap_ref) <= DT_S + EDGE_TOL_S, (node, station)
        assert abs(summary["contact_time"][i, j] - DT_S * seen.sum()) <= DT_S * ambiguous
        if not seen.any():
            assert np.isnan(summary["latency_min"][i, j]) and np.isnan(summary["latency_median"][i, j])
            continue
        lat_ref = rng[at][seen] / c
        assert summary["latency_min"][i, j] == pytest.approx(lat_ref.min(), abs=LATENCY_TOL_S)
        assert summary["latency_min"][i, j] >= rng[el >= mask].min() / c - LATENCY_TOL_S  # sampled >= true
        assert summary["latency_median"][i, j] == pytest.approx(np.median(lat_ref), abs=resolution + LATENCY_TOL_S)
        if ambiguous == 0:  # the longest light time is at the edges, where a sample may flip
            assert summary["latency_max"][i, j] == pytest.approx(lat_ref.max(), abs=LATENCY_TOL_S)


@pytest.mark.slow
def test_resume_continues_the_ground_state(cfg_path, result, tmp_path):
    class Stop(Exception):
        pass

    def stop_after_first(done, total):
        if done == 1:
            raise Stop

    out = tmp_path / "resumed.h5"
    with pytest.raises(Stop):
        run(load_config(cfg_path), out, progress=False, on_chunk=stop_after_first)
    run(load_config(cfg_path), out, progress=False, resume=True)
    with h5py.File(out, "r") as a, h5py.File(result, "r") as b:
        for name in [*GROUND_SERIES, *GROUND_SUMMARY]:
            np.testing.assert_array_equal(a[name][...], b[name][...], err_msg=name)


def test_output_format_doc_lists_the_ground_variables():
    import re

    doc = (Path(__file__).parents[2] / "docs" / "output_format.md").read_text()
    for name, (_, units, _) in {**GROUND_SERIES, **GROUND_SUMMARY}.items():
        assert re.search(rf"^\| `{name}` \| `{re.escape(units)}` \|", doc, re.M), f"{name} [{units}] not documented"


def test_summary_table_and_info_show_latency(result):
    from orbital_sim.output import describe, format_summary_table, read_summary

    s = read_summary(result)
    table = format_summary_table(s, list(s["component"]), list(s["node_class"]))
    best = np.nanmin(s["latency_min"]) * 1e3
    assert any(line.startswith("latency to ground, min") and line.split()[-1] == f"{best:.3f}"
               for line in table.splitlines()), table
    gap = np.max(np.min(s["contact_gap_max"], axis=1)) / 60.0
    assert any(line.startswith("longest gap without contact (best station)") and line.split()[-1] == f"{gap:.1f}"
               for line in table.splitlines()), table
    info = describe(result)
    assert "ground stations: svalbard, wallops" in info and "latency_median" in info
