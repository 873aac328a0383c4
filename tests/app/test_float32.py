"""float32 mode against float64 (bounds 10x the measured one-day figures of docs/precision)."""

import numpy as np
import xarray as xr

from orbital_sim import load_config, run

OVERRIDES = [
    "simulation.duration_s=10800", "simulation.step_s=10", "simulation.output_every_s=10", "constellation.0.nodes_per_plane=2",
    "constellation.1.total=12", "constellation.1.planes=6",
    'output.variables=["sunlit_fraction", "temperature", "state_of_charge", "position_eci"]',
]


def test_float32_mode_matches_float64(tmp_path):
    ds = {}
    for dtype in ("float64", "float32"):
        run(load_config(None, OVERRIDES + [f"simulation.dtype={dtype}"]), tmp_path / f"{dtype}.h5", progress=False)
        ds[dtype] = xr.open_dataset(tmp_path / f"{dtype}.h5", engine="h5netcdf").load()
    a, b = ds["float64"], ds["float32"]
    assert b.temperature.dtype == np.float32 and b.attrs["dtype"] == "float32"
    # the orbit is float64 in both modes: identical
    np.testing.assert_array_equal(a.position_eci.values, b.position_eci.values)
    assert float(abs(a.temperature - b.temperature).max()) < 0.04  # K
    assert float(abs(a.state_of_charge - b.state_of_charge).max()) < 6e-5
    assert float(abs(a.sunlit_fraction - b.sunlit_fraction).max()) < 5e-4
    assert float(abs(a.eclipse_fraction - b.eclipse_fraction).max()) < 1e-6
    assert float(a.sunlit_fraction.min()) == 0.0, "the run must include eclipses"
