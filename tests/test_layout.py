"""Package boundaries: kernels stay pure; the default scenario ships inside the package."""

import subprocess
import sys
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_kernels_import_nothing_of_the_application_layer():
    code = (
        "import sys, orbital_sim.kernels.model, orbital_sim.kernels.orbit, orbital_sim.kernels.sun, "
        "orbital_sim.kernels.shadow, orbital_sim.kernels.irradiance, orbital_sim.kernels.power, "
        "orbital_sim.kernels.thermal\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('h5py', 'matplotlib', 'tomllib', 'xarray') or "
        "m in ('orbital_sim.config', 'orbital_sim.runner', 'orbital_sim.output', 'orbital_sim.cli', "
        "'orbital_sim.fleet', 'orbital_sim.constellation')]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"kernels pulled in: {out}"


def test_kernels_do_not_touch_jax_config_or_print():
    for path in (ROOT / "kernels").glob("*.py"):
        text = path.read_text()
        assert "jax.config.update" not in text and "config.update(" not in text, path
        assert "print(" not in text, path
        assert "open(" not in text, path


def test_packaged_default_identical_to_configs_default():
    packaged = resources.files("orbital_sim").joinpath("data/default.toml").read_bytes()
    assert packaged == (ROOT / "configs" / "default.toml").read_bytes()
