"""Design notes on neglected effects (docs/notes/): each opens with a verdict, names its script,
and the script runs and prints its measured numbers."""

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
NOTES = ROOT / "docs" / "notes"
NAMES = [
    "oblate_shadow",
    "atmosphere_shadow",
    "pole_precession_j2",
    "sun_light_time_aberration",
    "utc_vs_tt",
    "moon_shadow",
]
RESULT_LINE = re.compile(r"^RESULT (\w+) = ([-+0-9.eE]+)$", re.MULTILINE)


@pytest.mark.parametrize("name", NAMES)
def test_note_opens_with_a_verdict_and_names_its_script(name):
    text = (NOTES / f"{name}.md").read_text()
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    assert paragraphs[0].startswith("# "), "a note starts with its title"
    verdict = paragraphs[1]
    assert verdict.startswith("**Verdict:"), "the first paragraph is the verdict"
    assert re.search(r"\d", verdict), "the verdict carries a number"
    assert f"docs/notes/scripts/{name}.py" in verdict, "the verdict names the script that measured it"
    assert f"docs/notes/scripts/{name}.py" in text
    assert (NOTES / "scripts" / f"{name}.py").is_file()
    assert f"({name}.md)" in (NOTES / "README.md").read_text(), "the index lists the note"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_note_script_runs_and_prints_its_numbers(name):
    proc = subprocess.run(
        [sys.executable, str(NOTES / "scripts" / f"{name}.py")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = RESULT_LINE.findall(proc.stdout)
    assert results, f"no RESULT line in:\n{proc.stdout[-2000:]}"
    for key, value in results:
        assert math.isfinite(float(value)), (key, value)
