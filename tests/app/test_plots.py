"""Figures: `orbital-sim plot` writes four labelled PNGs; the figure functions read a file or
an xarray Dataset; node groups and node selection."""

import doctest
import re
import shutil
import struct
from pathlib import Path

import h5py
import numpy as np
import pytest

from orbital_sim import cli, plots
from orbital_sim.config import load_config
from orbital_sim.output import open_results
from orbital_sim.runner import run

from tests.app.conftest import ROOT, small_overrides  # noqa: E402
DEFAULT = ROOT / "configs" / "default.toml"
# 8 dawn-dusk + 24 shell nodes for an hour: the shell nodes see an eclipse, the dawn-dusk ones
# (March equinox) do not
# (only the variables the figures use: each one adds compile time)
SMALL = small_overrides(3600, 2, 24, 6, "output.variables=['sunlit_fraction', 'beta_angle', 'array_power', "
                        "'load_power', 'shed_power', 'state_of_charge', 'temperature']")


@pytest.fixture(scope="module")
def result_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("plots") / "small.h5"
    run(load_config(DEFAULT, overrides=SMALL), out=path, progress=False)
    return path


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_plot_command_writes_four_pngs(result_file, tmp_path, capsys):
    out = tmp_path / "figs"
    assert cli.main(["plot", str(result_file), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    for stem in ("temperatures", "power", "eclipses", "fleet"):
        path = out / f"{stem}.png"
        assert f"wrote {path}" in printed
        width, height = _png_size(path)
        assert width >= 900 and height >= 500  # readable at 110 dpi
        assert path.stat().st_size > 20_000  # something was drawn


def test_plot_command_default_folder_and_errors(result_file, tmp_path, capsys):
    copy = tmp_path / "run.h5"
    shutil.copy(result_file, copy)
    assert cli.main(["plot", str(copy), "--nodes", "shell53-p01-*", "--group-by", "entry"]) == 0
    assert (tmp_path / "run_figures" / "fleet.png").is_file()
    assert cli.main(["plot", str(copy), "--nodes", "no-such-node"]) == 2
    assert "no node matches 'no-such-node'" in capsys.readouterr().err
    assert cli.main(["plot", str(tmp_path / "missing.h5")]) == 1


def _labelled_axes(fig):
    """(x label, y label, secondary y labels) of every axes that holds data."""
    out = []
    for ax in fig.axes:
        if not (ax.lines or ax.images or ax.collections or ax.patches):
            continue
        secondary = [child.get_ylabel() for child in ax.child_axes]
        out.append((ax.get_xlabel(), ax.get_ylabel(), secondary, ax))
    return out


def test_every_axis_is_labelled_with_units(result_file):
    figures = {
        "temperature": plots.temperature_figure(result_file),
        "power": plots.power_figure(result_file),
        "eclipse": plots.eclipse_figure(result_file),
        "fleet": plots.fleet_figure(result_file),
    }
    for name, fig in figures.items():
        axes = _labelled_axes(fig)
        assert axes, name
        for xlabel, ylabel, _, ax in axes:
            if name == "eclipse" and ax.images:  # the timeline: nodes on y, colour bar in %
                continue
            assert "[" in ylabel and "]" in ylabel, f"{name}: y axis {ylabel!r} has no unit"
        shared_x = [x for x, _, _, _ in axes if x]
        if name != "fleet":
            assert shared_x == ["time since 2026-03-20 00:00 UTC [h]"], name
    temperature_axes = _labelled_axes(figures["temperature"])
    assert all(y == "temperature [°C]" and sec == ["temperature [K]"] for _, y, sec, _ in temperature_axes)
    # the compute throttle is marked; the component names are in the legend
    legend = [t.get_text() for t in figures["temperature"].axes[0].get_legend().get_texts()]
    assert {"chips", "cold plate", "radiator", "array", "battery"} <= set(legend)
    assert "chips throttle, 85 °C" in legend and "eclipse (Sun < 100 % visible)" in legend
    fleet_titles = {ax.get_title(loc="left") for ax in figures["fleet"].axes}
    assert {"Maximum chips temperature", "Minimum state of charge", "Time in eclipse",
            "Compute delivered"} <= fleet_titles


def test_eclipses_are_shaded_where_the_sun_is_hidden(result_file):
    with h5py.File(result_file) as f:
        names = f["node"].asstr()[...].tolist()
        sunlit = f["sunlit_fraction"][...]
    lit = names.index("dawn-dusk-p00-s000")  # continuous sunlight at the equinox
    shaded = int(np.argmin(sunlit.min(axis=0)))  # a shell node that enters the umbra
    assert sunlit[:, lit].min() == 1.0 and sunlit[:, shaded].min() < 0.01
    fig = plots.temperature_figure(result_file, nodes=[names[lit], names[shaded]])
    ax_lit, ax_shaded = fig.axes[0], fig.axes[1]
    assert ax_lit.get_title(loc="left").startswith(names[lit])
    assert len(ax_lit.collections) == 0
    assert len(ax_shaded.collections) == 1
    # the band covers the samples with sunlit fraction < 1
    band = ax_shaded.collections[0].get_paths()
    assert band


def test_figures_from_a_dataset_match_the_file(result_file):
    ds = open_results(result_file)
    try:
        from_ds = plots.temperature_figure(ds, nodes=["shell53-p02-s001"])
        from_file = plots.temperature_figure(result_file, nodes=["shell53-p02-s001"])
        for a, b in zip(from_ds.axes[0].lines, from_file.axes[0].lines):
            np.testing.assert_allclose(a.get_xydata(), b.get_xydata())
        assert plots.fleet_figure(ds) is not None
    finally:
        ds.close()


def test_figures_skip_what_the_file_lacks(result_file, tmp_path):
    copy = tmp_path / "partial.h5"
    shutil.copy(result_file, copy)
    with h5py.File(copy, "r+") as f:
        del f["temperature"], f["temperature_max"]
    written, skipped = plots.write_figures(copy, tmp_path / "figs")
    assert set(written) == {"power", "eclipses"}
    assert "temperature" in skipped["temperatures"] and "did not finish" in skipped["fleet"]


def test_node_groups_from_names():
    names = ["dd-p00-s000", "dd-p00-s001", "dd-p01-s000", "w-p00-s000", "el-0000", "el-0001", "odd name"]
    classes = ["a", "a", "a", "a", "b", "b", "c"]
    by_plane = plots.node_groups(names, classes, by="plane")
    assert [(g.label, g.index.tolist()) for g in by_plane] == [
        ("dd p00", [0, 1]), ("dd p01", [2]), ("w p00", [3]), ("el", [4, 5]), ("c", [6])]
    assert [g.label for g in plots.node_groups(names, classes, by="entry")] == ["dd", "w", "el", "c"]
    assert [g.label for g in plots.node_groups(names, classes, by="class")] == ["a", "b", "c"]
    many = [f"s-p{p:02d}-s000" for p in range(41)]
    assert len(plots.node_groups(many, by="auto")) == 1  # more than 40 planes: by entry


def test_select_and_default_nodes(result_file):
    names = ["a-p00-s000", "a-p00-s001", "b-0000"]
    assert plots.select_nodes(names, ["b-0000", "a-p00-*"]) == [2, 0, 1]
    with pytest.raises(ValueError, match="no node matches 'zz'"):
        plots.select_nodes(names, ["zz"])
    with h5py.File(result_file) as f:
        names = f["node"].asstr()[...].tolist()
        eclipse = f["eclipse_fraction"][...]
    chosen = plots.default_nodes(result_file)
    assert [names[k].split("-p")[0] for k in chosen] == ["dawn-dusk", "shell53"]
    assert eclipse[chosen[1]] == eclipse[[k for k, n in enumerate(names) if n.startswith("shell53")]].max()


def test_readme_tour_doctests(tmp_path, monkeypatch):
    """The ```pycon examples of README.md's tour run as doctests (in a temporary folder)."""
    blocks = re.findall(r"```pycon\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert blocks
    text = "\n".join(blocks).replace('"configs/', f'"{ROOT / "configs"}/')
    monkeypatch.chdir(tmp_path)
    test = doctest.DocTestParser().get_doctest(text, {}, "README.md", str(ROOT / "README.md"), 0)
    report = []
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
    assert (tmp_path / "tour_figures" / "fleet.png").is_file()
