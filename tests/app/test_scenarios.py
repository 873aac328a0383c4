"""Every scenario in configs/ loads, validates and runs (shortened by overrides), with a
physical check where the scenario has a published figure; the cluster placement."""

import math
from pathlib import Path

import h5py
import numpy as np
import pytest

from orbital_sim.config import load_config
from orbital_sim.constellation import cluster_offsets_rsw, cluster_states
from orbital_sim.kernels.constants import GM_EARTH_M3_S2
from orbital_sim.runner import run

CONFIGS = Path(__file__).parents[2] / "configs"


def _shadow_runs_s(sunlit: np.ndarray, dt_s: float) -> list[float]:
    """Lengths [s] of the complete runs of samples with the Sun less than half visible
    (a run touching either end of the series is incomplete and left out)."""
    dark = np.concatenate([[False], sunlit < 0.5, [False]])
    edges = np.flatnonzero(np.diff(dark.astype(int)))
    starts, ends = edges[::2], edges[1::2]
    return [(e - s) * dt_s for s, e in zip(starts, ends) if s > 0 and e < sunlit.size]


def _check_default(f):
    assert f["temperature"].shape[1] == 8 + 24


def _check_iss(f):
    r = f["position_eci"][0, 0]
    v = f["velocity_eci"][0, 0]
    assert 380.0 < np.linalg.norm(r) / 1e3 - 6378.137 < 440.0  # km: the ISS's altitude
    h = np.cross(r, v)
    assert math.degrees(math.acos(h[2] / np.linalg.norm(h))) == pytest.approx(51.64, abs=0.1)


def _check_suncatcher(f):
    r = f["position_eci"][...]  # (time, 81, 3)
    centre = r.mean(axis=1, keepdims=True)
    # Suncatcher (arXiv 2511.19468): 81 satellites within a 1 km radius; neighbours 100-200 m
    assert r.shape[1] == 81
    assert np.max(np.linalg.norm(r - centre, axis=2)) < 1010.0
    gaps = np.linalg.norm(r[:, :, None, :] - r[:, None, :, :], axis=3)
    gaps[:, np.arange(81), np.arange(81)] = np.inf
    nearest = gaps.min(axis=2)
    assert 70.0 < nearest.min() and nearest.max() < 200.0


def _check_starlink(f):
    assert f["node"].shape == (72,)
    assert np.all(np.isfinite(f["temperature"][...]))


def _check_geo(f):
    # GEO at the equinox: the shadow's half-width asin(R/r) = 8.70 deg of the 360 deg turned in
    # one sidereal day (1 436.1 min): 69.4 min with the Sun less than half visible (derived)
    runs = [run_s for k in range(3) for run_s in _shadow_runs_s(f["sunlit_fraction"][:, k], 60.0)]
    assert runs, "no complete eclipse in the window"
    assert max(runs) / 60.0 == pytest.approx(69.4, abs=1.5)


def _check_sentinel1(f):
    # ESA Sentinel-1 data sheet: at most 19 minutes of eclipse per orbit (693 km dawn-dusk, June)
    runs = _shadow_runs_s(f["sunlit_fraction"][:, 0], 10.0)
    assert runs, "no complete eclipse in the window"
    assert max(runs) / 60.0 == pytest.approx(19.0, abs=0.5)


def _check_sweep(f):
    # 8 altitudes x 8 LTANs = 64 variants of one node, in one run (README "Sweeps")
    assert f["variant"].shape == (64,) and f["node"].shape == (64,)
    np.testing.assert_array_equal(f["node_variant"][...], np.arange(64))
    assert sorted(set(f["sweep_constellation_0_altitude_km"][...])) == [500.0 + 50.0 * k for k in range(8)]
    assert len(set(f["sweep_constellation_0_ltan_h"][...])) == 8


# file -> (overrides that shorten it, check on the written file). Few output variables: each
# one adds to the compile time, which dominates these short runs.
CASES = {
    "default.toml": (["simulation.duration_s=600", "constellation.0.nodes_per_plane=2",
                      "constellation.1.total=24", "constellation.1.planes=6",
                      "output.variables=['temperature']"], _check_default),
    "iss_like.toml": (["simulation.duration_s=600",
                       "output.variables=['position_eci', 'velocity_eci', 'temperature']"], _check_iss),
    "suncatcher_cluster.toml": (["simulation.duration_s=5880", "simulation.output_every_s=120",
                                 "output.variables=['position_eci', 'sunlit_fraction']"], _check_suncatcher),
    "starlink_like_shell.toml": (["simulation.duration_s=600", "constellation.0.total=72",
                                  "output.variables=['temperature']"], _check_starlink),
    "geo.toml": (["simulation.duration_s=28800", "output.variables=['sunlit_fraction']"], _check_geo),
    "sentinel1_check.toml": (["simulation.duration_s=12000", "output.variables=['sunlit_fraction']"],
                             _check_sentinel1),
    "sweep_altitude_ltan.toml": (["simulation.duration_s=600", "output.variables=['sunlit_fraction']"],
                                 _check_sweep),
}


def test_every_scenario_has_a_case():
    assert sorted(p.name for p in CONFIGS.glob("*.toml")) == sorted(CASES)


# default.toml runs in test_run.py and test_settled.py; the Starlink-like shell checks only that it runs;
SLOW_CASES = ("default.toml", "starlink_like_shell.toml", "sweep_altitude_ltan.toml")  # sweeps: test_sweep.py


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_CASES else n
                                  for n in sorted(CASES)])
def test_scenario_runs(name, tmp_path):
    overrides, check = CASES[name]
    full = load_config(CONFIGS / name)  # the file as written validates
    assert full.n_nodes >= 1
    config = load_config(CONFIGS / name, overrides=overrides)
    result = run(config, out=tmp_path / "out.h5", progress=False)
    assert result.faults == []
    with h5py.File(tmp_path / "out.h5", "r") as f:
        assert int(f.attrs["completed"][0]) == 1
        check(f)


def test_scenario_files_cite_their_sources():
    for path in CONFIGS.glob("*.toml"):
        header = path.read_text().split("[simulation]")[0]
        assert header.count("#") >= 5, f"{path.name}: no commented header"
    assert "2511.19468" in (CONFIGS / "suncatcher_cluster.toml").read_text()
    assert "19 minutes" in (CONFIGS / "sentinel1_check.toml").read_text()


def test_cluster_layout_stays_within_its_radius_without_drift():
    offsets, rates = cluster_offsets_rsw(81, 1000.0)
    # the HCW ellipses: radial amplitude A <= R/2, along-track 2A <= R, in the orbital plane
    amplitude = np.hypot(offsets[:, 0], offsets[:, 1] / 2.0)
    assert amplitude.max() < 500.0 and np.all(offsets[:, 2] == 0.0)
    a = 7028.137e3
    r_ref = np.array([a, 0.0, 0.0])
    v_ref = np.array([0.0, math.sqrt(GM_EARTH_M3_S2 / a), 0.0])
    r, v = cluster_states(r_ref, v_ref, offsets, rates)
    energy = 0.5 * np.sum(v * v, axis=1) - GM_EARTH_M3_S2 / np.linalg.norm(r, axis=1)
    # same orbital energy as the reference: the same period, no along-track drift
    np.testing.assert_allclose(energy, -GM_EARTH_M3_S2 / (2 * a), rtol=1e-14)
    assert np.max(np.linalg.norm(r - r_ref, axis=1)) < 1000.0


def test_cluster_entry_validation(tmp_path):
    default = (CONFIGS / "default.toml").read_text()
    node_class = default[default.index("[node_class.compute.compute]"):default.index("# The constellation:")]
    base = ('[simulation]\nepoch = "2026-03-20T00:00:00Z"\nduration_s = 60.0\nstep_s = 10.0\n\n'
            + node_class.rsplit("\n# ----", 1)[0] + "\n\n[[constellation]]\n")
    path = tmp_path / "c.toml"
    path.write_text(base + 'type = "cluster"\nnode_class = "compute"\naltitude_km = 650.0\nltan_h = 18.0\n'
                    'inclination_deg = 98.0\nlayout = "offsets"\noffsets_rsw_km = [[0, 0.1, 0], [0, 3, 0]]\n'
                    "radius_km = 1.0\nnodes = 3\n")
    with pytest.raises(Exception) as err:
        load_config(path)
    text = str(err.value)
    assert "give either ltan_h" in text
    assert "constellation.0.nodes = 3: must equal the number of offsets_rsw_km (2)" in text
    assert "constellation.0.offsets_rsw_km[1] = [0, 3, 0]: lies outside radius_km = 1" in text
    path.write_text(base + 'type = "cluster"\nname = "f"\nnode_class = "compute"\naltitude_km = 500.0\n'
                    'inclination_deg = 45.0\nraan_deg = 10.0\nlayout = "offsets"\n'
                    "offsets_rsw_km = [[0, 0, 0], [0, 0.2, 0], [0.05, 0, 0.1]]\n")
    config = load_config(path)
    group = config.constellation[0]
    assert group.names == ["f-0000", "f-0001", "f-0002"]
    gaps = np.linalg.norm(group.states["r_eci_m"] - group.states["r_eci_m"][0], axis=1)
    np.testing.assert_allclose(gaps, [0.0, 200.0, math.hypot(50.0, 100.0)], atol=1e-6)
