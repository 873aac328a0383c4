"""The README's Python example and its invalid-config example run as written."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_python_example_runs(tmp_path):
    block = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    code = block.replace('"configs/default.toml"', repr(str(ROOT / "configs" / "default.toml")))
    code = code.replace('overrides=["simulation.duration_s=3600"]',
                        'overrides=["simulation.duration_s=600", "constellation.1.total=24", '
                        '"constellation.1.planes=6", "constellation.0.nodes_per_plane=2"]')
    code += "\nassert ds.attrs['completed'] == 1 and float(ds.temperature.max()) > 250\n"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_readme_smallest_scenario_validates(tmp_path):
    toml = re.search(r"```toml\n(.*?)```", README, re.S).group(1)
    default = (ROOT / "configs" / "default.toml").read_text()
    node_class = default[default.index("[node_class.compute.compute]"):default.index("# The constellation:")]
    path = tmp_path / "smallest.toml"
    path.write_text(toml + "\n" + node_class.rsplit("\n# ----", 1)[0] + "\n")
    proc = subprocess.run([sys.executable, "-m", "orbital_sim.cli", "validate", str(path)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
