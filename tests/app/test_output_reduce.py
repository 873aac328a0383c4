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
import pytest

from tests.app.conftest import two_node_overrides

TINY = two_node_overrides(3600, "simulation.chunk_outputs=20",
                          'output.variables=["temperature", "battery_energy", "sunlit_fraction", "position_eci"]')


@pytest.mark.slow
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


# -- per-window statistics, reduced on the device ([output] statistics_window_s) -------------------

WINDOWED = [*TINY[:-2], "simulation.chunk_outputs=25", 'output.variables=["temperature", "battery_energy"]',
            "output.statistics_window_s=600"]


def test_window_statistics_equal_the_samples_reduced(tmp_path):
    """Windows of 10 samples (600 s at 60 s): min, max and mean per node and window equal NumPy's
    reduction of the samples a plain run writes (min and max exactly; the mean to 1e-15 relative,
    the device sums in another order); the chunk of 25 samples becomes 20 (whole windows); the
    file holds 6 rows at the windows' ends and no samples."""
    from orbital_sim.config import load_config
    from orbital_sim.runner import run

    plain, windowed = tmp_path / "plain.h5", tmp_path / "windowed.h5"
    run(load_config(None, [*TINY[:-2], "simulation.chunk_outputs=25",
                           'output.variables=["temperature", "battery_energy"]']), plain, progress=False)
    chunks = []
    run(load_config(None, WINDOWED), windowed, progress=False, on_chunk=lambda d, n: chunks.append(n))
    assert chunks[-1] == 3  # 60 samples in chunks of 20
    with h5py.File(plain, "r") as a, h5py.File(windowed, "r") as b:
        assert "temperature" not in b and "battery_energy" not in b
        np.testing.assert_array_equal(b["time"][...], np.arange(1, 7) * 600.0)
        for name in ("temperature", "battery_energy"):
            x = a[name][...]
            x = x.reshape((6, 10) + x.shape[1:])
            np.testing.assert_array_equal(b[f"{name}_window_min"][...], x.min(axis=1))
            np.testing.assert_array_equal(b[f"{name}_window_max"][...], x.max(axis=1))
            np.testing.assert_allclose(b[f"{name}_window_mean"][...], x.mean(axis=1), rtol=1e-15, atol=0)
            assert b[f"{name}_window_mean"].attrs["units"] == a[name].attrs["units"]
        assert np.ptp(b["temperature_window_max"][...] - b["temperature_window_min"][...]) > 0  # the windows vary
        np.testing.assert_array_equal(a["temperature_max"][...], b["temperature_max"][...])  # the summary


def test_window_statistics_resume_and_refusals(tmp_path, monkeypatch, capsys):
    """A windowed run stopped after its first chunk resumes to the uninterrupted file; a window
    that is not a whole number of samples, or of windows per run, is refused with its key path."""
    import jax

    from orbital_sim import cli, runner
    from orbital_sim.config import ConfigError, load_config

    sets = [x for s in WINDOWED for x in ("--set", s)]
    real, calls = runner._call_chunk, []

    def failing(fn, args):
        calls.append(1)
        if len(calls) == 3:
            raise jax.errors.JaxRuntimeError("RESOURCE_EXHAUSTED: Out of memory allocating 1 bytes.")
        return real(fn, args)

    out, ref = tmp_path / "stopped.h5", tmp_path / "ref.h5"
    monkeypatch.setattr(runner, "_call_chunk", failing)
    assert cli.main(["run", "-q", "-o", str(out), *sets]) == 1
    assert "keeps 2 samples of finished chunks" in capsys.readouterr().err  # 2 windows = chunk 1
    monkeypatch.setattr(runner, "_call_chunk", real)
    assert cli.main(["run", "-q", "-o", str(out), "--resume", *sets]) == 0
    assert cli.main(["run", "-q", "-o", str(ref), *sets]) == 0
    with h5py.File(out, "r") as a, h5py.File(ref, "r") as b:
        assert a["time"].shape == (6,)
        for name in ("temperature_window_min", "temperature_window_mean", "battery_energy_window_max"):
            np.testing.assert_array_equal(a[name][...], b[name][...])
    for window, why in (("90", "must be a whole multiple of simulation.output_every_s (60) (s)"),
                        ("2400", "must divide simulation.duration_s (3600) into whole windows (s)")):
        try:
            load_config(None, [*TINY, f"output.statistics_window_s={window}"])
        except ConfigError as err:
            assert err.problems == [f"output.statistics_window_s = {window}: {why}"], err.problems
        else:
            raise AssertionError(f"window {window} s accepted")
