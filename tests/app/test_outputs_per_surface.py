"""Outputs people asked for first (issue 14): absorbed solar, albedo and IR per surface, orbit-mean
powers, eclipse duration per pass, each checked against physics computed here, not against the
simulator's own formulas.

Two small runs (one node, 10 s step and output, about 9 s each on 2 cores):

- ``inclined``: 550 km, 53 deg, default environment; the default class plus a zenith plate and a
  nadir plate. The absorbed powers are compared with flat-plate formulas evaluated in NumPy at
  each step's midpoint (cubic Hermite of the written position and velocity) with the Sun from
  astropy (tests/reference/sun_ref.py).
- ``equatorial``: 550 km circular equatorial orbit at the March equinox (speed of
  GM (1 + 3/2 J2 (R/a)^2): exactly circular under J2), albedo 0 and no temperature coefficient,
  so the array gives eta x packing x area x S in full Sun. Orbit means against that power times
  the sunlit time from the contacts; eclipse passes against the cylindrical-shadow duration of
  REFERENCE.md; the absorbed series against the kernel's energy ledger (``acc.absorbed_j``).
"""

from __future__ import annotations

import math

import h5py
import numpy as np
import pytest

from orbital_sim import cli
from orbital_sim.config import load_config
from orbital_sim.output import _read_restart
from orbital_sim.runner import run
from tests.app.scenario_text import ONE_NODE_550KM_53DEG, default_node_class_toml, vectors_km
from tests.reference.constants_ref import AU_M, GM_EARTH_M3_S2, J2_EARTH, R_EARTH_EQ_M

STEP_S = 10.0
EPOCH = "2026-03-20T00:00:00Z"
PLATES = """
[[node_class.compute.surfaces]]
name = "zenith_plate"
component = "radiator"
area_m2 = 2.0
pointing = "zenith"
absorptance = 0.6
emittance = 0.8

[[node_class.compute.surfaces]]
name = "nadir_plate"
component = "radiator"
area_m2 = 3.0
pointing = "nadir"
absorptance = 0.5
emittance = 0.7
"""
VARIABLES = ["sunlit_fraction", "array_power", "load_power", "battery_power", "position_eci", "velocity_eci",
             "absorbed_solar", "absorbed_albedo", "absorbed_ir"]


def _toml(duration_s, constellation):
    return f"""
[simulation]
epoch = "{EPOCH}"
duration_s = {duration_s!r}
step_s = {STEP_S!r}
output_every_s = {STEP_S!r}
propagator = "cowell"
integrator = "rk4"

[output]
variables = {VARIABLES!r}
""".replace("'", '"') + constellation + default_node_class_toml() + PLATES


INCLINED = ONE_NODE_550KM_53DEG
A_M = R_EARTH_EQ_M + 550e3
V_CIRCULAR = math.sqrt(GM_EARTH_M3_S2 * (1 + 1.5 * J2_EARTH * (R_EARTH_EQ_M / A_M) ** 2) / A_M)


def _equatorial():
    r = [[A_M, 0.0, 0.0]]
    v = [[0.0, V_CIRCULAR, 0.0]]
    return f"""
[[constellation]]
type = "states"
node_class = "compute"
r_eci_km = {vectors_km(r)}
v_eci_km_s = {vectors_km(v)}
"""


def _run(tmp_path_factory, name, duration_s, constellation, overrides=()):
    folder = tmp_path_factory.mktemp(name)
    path = folder / f"{name}.toml"
    path.write_text(_toml(duration_s, constellation))
    config = load_config(path, list(overrides))
    result = run(config, folder / f"{name}.h5", progress=False)
    return config, result, folder / f"{name}.h5"


@pytest.fixture(scope="module")
def inclined(tmp_path_factory):
    return _run(tmp_path_factory, "inclined", 6000.0, INCLINED)


@pytest.fixture(scope="module")
def equatorial(tmp_path_factory):
    return _run(tmp_path_factory, "equatorial", 12000.0, _equatorial(),
                ["environment.albedo=0", "node_class.compute.power.array_temperature_coefficient_per_k=0"])


def _read(path):
    with h5py.File(path, "r") as f:
        data = {name: f[name][...] for name in [*VARIABLES, "time"]}
        data["surface"] = [s.decode() for s in f["surface"][...]]
        data["attrs"] = {k: f.attrs[k] for k in f.attrs}
        data["acc"], _ = _read_restart(f)
        data["eclipses"] = {k: f["eclipses"][k][...] for k in f["eclipses"] if k != "eclipse"}
        data["events"] = {k: f["events"][k][...] for k in ("time", "kind")}
        data["units"] = {name: f[name].attrs["units"] for name in ("absorbed_solar", "absorbed_albedo", "absorbed_ir")}
        data["dims"] = [d[0].name.lstrip("/") for d in f["absorbed_ir"].dims]
    return data


def _attr(data, name):
    return float(np.asarray(data["attrs"][name]).reshape(-1)[0])


def _sun_m(t_s):
    """Apparent geocentric Sun (astropy) at ``t_s`` seconds after the epoch, (n, 3) m."""
    import astropy.units as u
    from astropy.time import Time

    from tests.reference.sun_ref import sun_gcrs_m

    return sun_gcrs_m(Time("2026-03-20T00:00:00", scale="utc") + np.asarray(t_s) * u.s)


def _midpoints(data):
    """Step k (between samples k-1 and k, k >= 1): NumPy cubic Hermite midpoint of position, the
    Sun there, and the geometry of flat plates."""
    r, v = data["position_eci"][:, 0], data["velocity_eci"][:, 0]
    r_mid = 0.5 * (r[:-1] + r[1:]) + STEP_S / 8.0 * (v[:-1] - v[1:])
    t_mid = data["time"][1:] - 0.5 * STEP_S
    to_sun = _sun_m(t_mid) - r_mid
    d = np.linalg.norm(to_sun, axis=1)
    s_hat = to_sun / d[:, None]
    r_norm = np.linalg.norm(r_mid, axis=1)
    r_hat = r_mid / r_norm[:, None]
    return {"s_d": _attr(data, "environment_solar_constant_w_m2") * (AU_M / d) ** 2,
            "cos_zenith_sun": np.sum(r_hat * s_hat, axis=1), "h": r_norm / R_EARTH_EQ_M}


def test_file_layout_surface_dimension(inclined):
    _, _, path = inclined
    data = _read(path)
    assert data["surface"] == ["array", "radiator", "zenith_plate", "nadir_plate"]
    assert data["dims"] == ["time", "node", "surface"]
    assert set(data["units"].values()) == {"W"}
    import xarray as xr

    ds = xr.open_dataset(path, engine="h5netcdf")
    assert ds["absorbed_solar"].dims == ("time", "node", "surface")
    assert list(ds["surface"].values) == data["surface"]


def test_absorbed_per_surface_matches_flat_plate_formulas(inclined):
    """Full-Sun steps (both ends sunlit, no contact inside) and umbra steps: the zenith plate
    absorbs alpha A S max(cos z, 0) and nothing from the Earth; the nadir plate alpha A a S
    max(cos z, 0) / H^2 of albedo and eps A q_IR / H^2 of infrared (full view of the Earth);
    the sun-pointing array alpha A S; the sun_edge radiator no direct Sun. Tolerance: 1e-4 of
    each plate's full-Sun power (the Sun direction of the kernels against astropy's, a few arcsec)."""
    _, _, path = inclined
    data = _read(path)
    geo = _midpoints(data)
    f = data["sunlit_fraction"][:, 0]
    sunlit = (f[:-1] == 1.0) & (f[1:] == 1.0)
    umbra = (f[:-1] == 0.0) & (f[1:] == 0.0)
    assert sunlit.sum() > 300 and umbra.sum() > 150
    solar, albedo, ir = (data[n][1:, 0] for n in ("absorbed_solar", "absorbed_albedo", "absorbed_ir"))
    a, q = _attr(data, "environment_albedo"), _attr(data, "environment_earth_ir_w_m2")
    s_d, cos_z, h = geo["s_d"], geo["cos_zenith_sun"], geo["h"]
    arr, rad, zen, nad = range(4)
    full = {zen: 0.6 * 2.0 * 1361.0, nad: 0.5 * 3.0 * 1361.0, arr: 0.91 * 260.0 * 1361.0}

    def close(got, want, k):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-4 * full[k])

    close(solar[sunlit, zen], 0.6 * 2.0 * s_d[sunlit] * np.maximum(cos_z[sunlit], 0.0), zen)
    close(solar[sunlit, nad], 0.5 * 3.0 * s_d[sunlit] * np.maximum(-cos_z[sunlit], 0.0), nad)
    close(solar[sunlit, arr], 0.91 * 260.0 * s_d[sunlit], arr)
    assert np.all(np.abs(solar[sunlit, rad]) < 1e-6)
    assert np.all(solar[umbra] == 0.0)
    close(albedo[:, zen], 0.0, zen)
    close(ir[:, zen], 0.0, zen)
    close(albedo[:, nad], 0.5 * 3.0 * a * s_d * np.maximum(cos_z, 0.0) / h ** 2, nad)
    close(ir[:, nad], 0.7 * 3.0 * q / h ** 2, nad)
    assert np.all(albedo[umbra, nad] == 0.0)  # the sub-satellite point is dark in the umbra


def test_absorbed_series_integrate_to_the_energy_ledger(equatorial):
    """Output every step: sum over steps and surfaces of (solar + albedo + IR) x step equals the
    kernel's accumulator of absorbed environment heat to 1 J (of about 3e9 J)."""
    _, _, path = equatorial
    data = _read(path)
    total = sum(data[n][:, 0].sum() for n in ("absorbed_solar", "absorbed_albedo", "absorbed_ir")) * STEP_S
    ledger = float(data["acc"]["acc.absorbed_j"][0])
    assert ledger > 1e9
    assert total == pytest.approx(ledger, abs=1.0)
    assert np.all(data["absorbed_albedo"] == 0.0)  # albedo 0 in this run


def _window_integral(series, times, start_s):
    """Integral over [start_s, T] of a series of step means (output every step)."""
    t_end = times
    t_begin = times - STEP_S
    overlap = np.clip(t_end - np.maximum(t_begin, start_s), 0.0, STEP_S)
    return float(np.sum(series * overlap))


def test_orbit_means_against_the_written_series_and_full_sun_power(equatorial):
    """The window is the last whole orbits after the warm-up; the means times its length are the
    integrals of the written step-mean series over it (1e-6 relative). Physics: the array gives
    0.295 x 0.85 x 260 m^2 x S in full Sun and nothing in the umbra, half of it on average across
    each penumbra (a straight limb crossing the disk), so its orbit mean is that power times the
    sunlit time over the window, from the contacts (0.02 %). The load (46.8 kW, never throttled)
    is constant."""
    _, result, path = equatorial
    s = result.summary
    data = _read(path)
    period, warm, start = s["orbital_period"][0], s["warmup_end"][0], s["orbit_mean_start"][0]
    T = 12000.0
    n = math.floor((T - warm) / period)
    assert n == 1 and start == pytest.approx(T - n * period, abs=1e-6)
    length = T - start
    times = data["time"]
    for name, mean in (("array_power", s["array_power_orbit_mean"][0]), ("load_power", s["load_power_orbit_mean"][0]),
                       ("battery_power", s["battery_charge_orbit_mean"][0] - s["battery_discharge_orbit_mean"][0])):
        integral = _window_integral(data[name][:, 0], times, start)
        assert mean * length == pytest.approx(integral, rel=1e-6, abs=1.0), name
    assert s["load_power_orbit_mean"][0] == pytest.approx(2000.0 + 64 * 700.0, abs=1e-6)
    # the sunlit time over the window from the located contacts
    ev_t, kind = data["events"]["time"], data["events"]["kind"]
    level, last, shadow = 0, 0.0, {1: 0.0, 2: 0.0}
    for tk, kk in zip(list(ev_t) + [T], list(kind) + [-1]):
        lo, hi = max(last, start), max(tk, start)
        if level:
            shadow[level] += hi - lo
        last = tk
        level = {0: 1, 1: 2, 2: 1, 3: 0}.get(int(kk), level)
    sunlit_s = length - shadow[2] - 0.5 * shadow[1]
    s_d = 1361.0 * (AU_M / np.linalg.norm(_sun_m([0.5 * (start + T)])[0])) ** 2
    expected = 0.295 * 0.85 * 260.0 * s_d * sunlit_s / length
    assert s["array_power_orbit_mean"][0] == pytest.approx(expected, rel=2e-4)
    # battery: charged in the sunlit part, discharged in the shadow; means are positive
    assert s["battery_charge_orbit_mean"][0] > 0 and s["battery_discharge_orbit_mean"][0] > 0


def test_eclipse_duration_per_pass_against_the_cylindrical_shadow(equatorial):
    """A circular equatorial orbit at 550 km at the equinox: the cylindrical shadow (REFERENCE.md)
    lasts 2 arccos(sqrt(r^2 - R^2) / (r cos beta)) / omega; the conical pass (penumbra entry to
    exit) is longer and its umbra shorter, their mean within 2 s of it."""
    config, result, path = equatorial
    data = _read(path)
    passes = data["eclipses"]
    whole = passes["clipped"] == 0
    assert whole.sum() >= 1
    R = config.environment.shadow_radius_m
    omega = V_CIRCULAR / A_M
    for start, end, duration, umbra in zip(passes["start"][whole], passes["end"][whole],
                                           passes["duration"][whole], passes["umbra_duration"][whole]):
        assert duration == pytest.approx(end - start, abs=1e-9)
        sun = _sun_m([0.5 * (start + end)])[0]
        beta = math.asin(sun[2] / np.linalg.norm(sun))  # orbit normal = z
        cylindrical = 2.0 * math.acos(math.sqrt(A_M ** 2 - R ** 2) / (A_M * math.cos(beta))) / omega
        assert umbra < cylindrical < duration
        assert 0.5 * (duration + umbra) == pytest.approx(cylindrical, abs=2.0)
    # the pass table agrees with the summary
    s = result.summary
    assert s["eclipse_count"][0] == len(passes["duration"])
    assert s["eclipse_longest"][0] == pytest.approx(passes["duration"].max(), abs=1e-9)
    assert s["umbra_time"][0] == pytest.approx(passes["umbra_duration"].sum(), abs=1e-6)


def test_events_cli_lists_the_passes(equatorial, capsys):
    _, _, path = equatorial
    passes = _read(path)["eclipses"]
    assert cli.main(["events", str(path), "--passes"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:2] == ["node", "start"] and len(out) == 1 + len(passes["duration"])
    assert f"{passes['duration'][1]:.1f}" in out[2]
    assert cli.main(["events", str(path), "--passes", "--json"]) == 0
    import json

    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["duration_s"] for r in rows] == pytest.approx(passes["duration"], abs=1e-3)


@pytest.mark.slow
def test_resumed_run_gives_the_same_orbit_means_passes_and_surface_series(tmp_path, monkeypatch):
    """Stopped after chunk 3 of 6 (the orbit-mean window starts in chunk 1), then resumed: the
    orbit means, the pass table and the absorbed series are those of one uninterrupted run,
    bit for bit."""
    from orbital_sim import output

    path = tmp_path / "r.toml"
    path.write_text(_toml(6000.0, _equatorial()))
    config = load_config(path, ["simulation.chunk_outputs=100"])
    whole = run(config, tmp_path / "whole.h5", progress=False)
    real = output.ResultWriter.write_chunk
    calls = []

    def stop_after_three(self, *args, **kwargs):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(output.ResultWriter, "write_chunk", stop_after_three)
    with pytest.raises(KeyboardInterrupt):
        run(config, tmp_path / "cut.h5", progress=False)
    monkeypatch.setattr(output.ResultWriter, "write_chunk", real)
    resumed = run(config, tmp_path / "cut.h5", progress=False, resume=True)
    assert resumed.resumed_at_chunk == 3
    assert 0 < whole.summary["orbit_mean_start"][0] < 1000.0  # inside chunk 1 (samples 10 ... 1000 s)
    for name in ("orbit_mean_start", "array_power_orbit_mean", "load_power_orbit_mean", "battery_charge_orbit_mean",
                 "battery_discharge_orbit_mean"):
        assert np.array_equal(whole.summary[name], resumed.summary[name]), name
    a, b = _read(tmp_path / "whole.h5"), _read(tmp_path / "cut.h5")
    for name in ("absorbed_solar", "absorbed_albedo", "absorbed_ir"):
        assert np.array_equal(a[name], b[name]), name
    for name in a["eclipses"]:
        assert np.array_equal(a["eclipses"][name], b["eclipses"][name]), name


@pytest.mark.slow
def test_stitched_parts_hold_every_parts_passes_and_contacts(tmp_path):
    """Two nodes run as two parts (orbital_sim.run(part=...)) and stitched: the stitched file's
    eclipses and events groups hold both parts' rows with the nodes' global indices, the rows of
    the one-process file (before, only the first part's contacts were copied)."""
    from orbital_sim import distributed

    two = _equatorial().replace("r_eci_km = [[", "r_eci_km = [[-6928.137, 0.0, 0.0], [").replace(
        "v_eci_km_s = [[", f"v_eci_km_s = [[0.0, {-V_CIRCULAR / 1e3!r}, 0.0], [")
    path = tmp_path / "two.toml"
    path.write_text(_toml(6000.0, two).replace(VARIABLES.__repr__().replace("'", '"'), '["sunlit_fraction"]'))
    config = load_config(path)
    run(config, tmp_path / "one.h5", progress=False)
    out = tmp_path / "out.h5"
    for i in range(2):
        run(config, distributed.part_path(out, i, 2), progress=False, part=(i, 2))
    distributed.stitch(out, [distributed.part_path(out, i, 2) for i in range(2)])
    with h5py.File(tmp_path / "one.h5", "r") as a, h5py.File(out, "r") as b:
        for group, names in (("eclipses", ("node", "start", "duration", "umbra_duration")),
                             ("events", ("time", "node", "kind"))):
            # rows by node, then time (a one-process file orders contacts by chunk first)
            order_a = np.lexsort((a[group][names[1 - (group == "events")]][...], a[group]["node"][...]))
            order_b = np.lexsort((b[group][names[1 - (group == "events")]][...], b[group]["node"][...]))
            for name in names:
                np.testing.assert_array_equal(b[group][name][...][order_b], a[group][name][...][order_a],
                                              err_msg=f"{group}/{name}")
        assert set(b["eclipses"]["node"][...].tolist()) == {0, 1}
