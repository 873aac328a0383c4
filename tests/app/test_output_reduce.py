"""Fewer bytes written: ``[output] dtype = "float32"`` stores a float64 run's time series in
float32, rounded on the device.

Error bound: every stored value is the float32 nearest to the float64 result (round to nearest
even), so its relative error is at most 2^-24 = 6.0e-8 (a 300 K temperature within 1.8e-5 K, a
7e6 m position within 0.42 m); the run itself, its restart state and its summary stay float64
and equal to the float64-stored run's.
"""

from __future__ import annotations

import h5py
import numpy as np

TINY = ["constellation.0.nodes_per_plane=1", "constellation.0.planes=1", "constellation.0.ltan_h=[18.0]",
        "constellation.1.total=1", "constellation.1.planes=1", "constellation.1.phasing=0",
        "simulation.duration_s=3600", "simulation.step_s=60", "simulation.output_every_s=60",
        "simulation.chunk_outputs=20",
        'output.variables=["temperature", "battery_energy", "sunlit_fraction", "position_eci"]']


def test_float32_storage_of_a_float64_run(tmp_path):
    from orbital_sim.config import load_config
    from orbital_sim.runner import run

    wide, narrow = tmp_path / "f64.h5", tmp_path / "f32.h5"
    run(load_config(None, TINY), wide, progress=False)
    run(load_config(None, [*TINY, 'output.dtype="float32"']), narrow, progress=False)
    with h5py.File(wide, "r") as a, h5py.File(narrow, "r") as b:
        assert a.attrs["dtype"] == b.attrs["dtype"] == "float64"  # the run's precision
        for name in ("temperature", "battery_energy", "sunlit_fraction", "position_eci"):
            x64, x32 = a[name][...], b[name][...]
            assert a[name].dtype == np.float64 and b[name].dtype == np.float32, name
            np.testing.assert_array_equal(x32, x64.astype(np.float32))  # the nearest float32, nothing else
            finite = np.isfinite(x64) & (x64 != 0)
            rel = np.abs(x32[finite].astype(np.float64) - x64[finite]) / np.abs(x64[finite])
            assert rel.max() <= 2.0 ** -24, (name, rel.max())
            if name != "sunlit_fraction":  # 0 and 1 in full Sun and umbra are float32-exact
                assert rel.max() > 2.0 ** -26, (name, rel.max())  # the rounding happened
        assert b["time"].dtype == np.float64
        np.testing.assert_array_equal(a["time"][...], b["time"][...])
        for name in ("temperature_max", "energy_generated", "state_of_charge_min"):
            np.testing.assert_array_equal(a[name][...], b[name][...])
        slot_a, slot_b = (f["restart"][f"slot{int(f['restart'].attrs['slot'][0])}"] for f in (a, b))
        for leaf in slot_a:
            np.testing.assert_array_equal(slot_a[leaf][...], slot_b[leaf][...])
        # half the bytes of samples (compression off would show exactly half; gzip keeps it below 0.7)
        assert b["temperature"].id.get_storage_size() < 0.7 * a["temperature"].id.get_storage_size()
