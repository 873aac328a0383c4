"""The smaller things a new user tripped over (issue 14), each with its test."""

import signal
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from orbital_sim import cli, health
from orbital_sim.config import load_config
from orbital_sim.output import read_summary
from orbital_sim.runner import RunInterrupted, _StopFlag, run

from .test_health import one_node_config


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    """One short run written into a folder that did not exist: `run` creates it."""
    tmp = tmp_path_factory.mktemp("short")
    _, config = one_node_config(tmp, duration_s=1200.0)
    out = tmp / "new" / "deeper" / "o.h5"
    run(config, out, progress=False)
    return config, out


def test_run_creates_a_missing_output_folder(short_run):
    assert read_summary(short_run[1])["attrs"]["completed"] == 1


def test_info_into_a_closed_pipe_says_nothing(short_run):
    """`orbital-sim info FILE | head -1` printed "cannot read FILE: [Errno 32] Broken pipe"."""
    proc = subprocess.run(f"{sys.executable} -m orbital_sim.cli info {short_run[1]} | head -1", shell=True,
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout.startswith("file: ")
    assert "cannot read" not in proc.stderr and "Broken pipe" not in proc.stderr and "Traceback" not in proc.stderr


def test_output_that_is_the_config_being_read_is_refused(tmp_path, capsys):
    path, _ = one_node_config(tmp_path)
    before = path.read_bytes()
    for out in (path, tmp_path / "." / path.name):
        assert cli.main(["run", str(path), "-o", str(out), "--overwrite", "-q"]) == 2
        assert "is the config file being read" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_file_exists_message_leads_with_the_command_line_flag(tmp_path, capsys):
    path, _ = one_node_config(tmp_path)
    out = tmp_path / "exists.h5"
    out.write_bytes(b"keep")
    assert cli.main(["run", str(path), "-o", str(out), "-q"]) == 1
    err = capsys.readouterr().err
    assert err.index("--overwrite") < err.index("overwrite=True")
    assert out.read_bytes() == b"keep"


def test_a_signal_while_the_finished_file_is_closed_lets_it_complete():
    """A SIGINT after the last chunk used to say "stopped ... continue with --resume" while the
    file said completed: while the file is being completed the signal is only recorded."""
    flag = _StopFlag()
    flag.deferred = True
    flag(signal.SIGINT, None)  # no RunInterrupted
    assert flag.signum == signal.SIGINT
    flag = _StopFlag()
    with pytest.raises(RunInterrupted):  # before the first chunk (not armed): at once
        flag(signal.SIGINT, None)
    text = str(RunInterrupted(signal.SIGINT, Path("o.h5"), 10, 4, 4))
    assert "after the last chunk (4/4), before the summary was written" in text
    assert "--resume writes the summary" in text


def test_stopped_after_the_last_chunk_resumes_to_the_same_summary(short_run, tmp_path, monkeypatch):
    """Interrupted while the summary was being written (every chunk done), the file says
    completed = 0 and --resume writes the summary without simulating: identical to one run."""
    from orbital_sim import output

    config, whole = short_run
    cut = tmp_path / "cut.h5"
    real = output.ResultWriter.write_summary

    def interrupted(self, summary):
        raise KeyboardInterrupt

    monkeypatch.setattr(output.ResultWriter, "write_summary", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(config, cut, progress=False)
    assert read_summary(cut)["attrs"]["completed"] == 0
    monkeypatch.setattr(output.ResultWriter, "write_summary", real)
    result = run(config, cut, progress=False, resume=True)
    assert result.resumed_at_chunk >= 1
    a, b = read_summary(whole), read_summary(cut)
    for name in ("temperature_max", "temperature_min_settled", "state_of_charge_min_settled", "energy_unmet_total",
                 "compute_availability", "warmup_end"):
        assert np.array_equal(a[name], b[name], equal_nan=True), name


def test_low_perigee_and_shared_ltan_warn(tmp_path):
    """An `elements` orbit at 22 km altitude, and an `sso` entry with planes = 4 and one ltan_h
    (one orbital plane named as four): both valid, both warned about (documented decision)."""
    _, low = one_node_config(tmp_path, ["constellation.0.a_km=[6400.137]"])
    text = "\n".join(health.config_warnings(low))
    assert "perigee 22 km above the equatorial radius" in text
    shared = load_config(None, ["constellation.0.ltan_h=[18.0]"])
    text = "\n".join(health.config_warnings(shared))
    assert "planes = 4 share ltan_h = 18 h, so they are one orbital plane" in text
    assert not any("share ltan_h" in w or "perigee" in w for w in health.config_warnings(load_config(None)))


def test_sweep_plot_reduces_a_maximum_with_max_by_default():
    """`plot --sweep temperature_max` averaged the nodes' maxima; a limit needs the worst node."""
    from orbital_sim.plots import default_reduction

    assert default_reduction("temperature_max") == "max"
    assert default_reduction("state_of_charge_min") == "min"
    assert default_reduction("eclipse_fraction") == "mean"
    assert cli.build_parser().parse_args(["plot", "f.h5", "--sweep", "temperature_max"]).reduce is None


def test_events_table_states_its_resolution_on_coarse_samples():
    """`python -m orbital_sim.analysis events` printed 0.01 s on 60 s samples with no warning."""
    from orbital_sim.analysis import format_events

    def events(dt):
        return {"node": "n", "epoch": "2026-03-20T00:00:00Z", "sample_interval_s": dt,
                "penumbra_entry": np.array([1234.5678]), "umbra_entry": np.array([1243.21]),
                "umbra_exit": np.array([3300.0]), "penumbra_exit": np.array([3309.0]),
                "umbra_s": np.array([2056.79]), "total_s": np.array([2074.43]), "beta_rad": np.array([0.1])}

    coarse = format_events(events(60.0))
    assert "resolved to about 60 s (printed to 1 s)" in coarse and " 1235 " in coarse and "1234.57" not in coarse
    fine = format_events(events(1.0))
    assert "warning" not in fine and "1234.57" in fine
    slow = events(30.0)  # GEO: 2 min crossings hold several 30 s samples: milliseconds
    slow.update(umbra_entry=np.array([1354.5678]), penumbra_exit=np.array([3420.0]))
    assert "warning" not in format_events(slow) and "1234.57" in format_events(slow)


def test_temperature_figure_colours_by_name_and_labels_the_kelvin_axis(short_run):
    from orbital_sim import plots

    assert plots.component_color("chips") == "tab:red" and plots.component_color("battery") == "tab:green"
    assert plots.component_color("heat_pipe") == plots.component_color("heat_pipe")  # by name, any order
    fig = plots.temperature_figure(short_run[1])
    ax = fig.axes[0]
    colours = {line.get_label(): line.get_color() for line in ax.get_lines()}
    assert colours[plots._component_label("chips")] == "tab:red"
    assert any(child.get_ylabel() == "temperature [K]" for child in ax.child_axes)


def test_plot_time_window(short_run, tmp_path, capsys):
    """`plot --hours START:END`: a 3-day run crammed 45 orbits into each panel."""
    from orbital_sim import plots

    path = short_run[1]  # 1200 s: samples at 60 s ... 1200 s
    res = plots._Results(path)
    try:
        res.set_window(0.1, 0.2)
        fig = plots.temperature_figure(res, [0])
        x = np.asarray(fig.axes[0].get_lines()[0].get_xdata(), dtype=float)
        assert x.min() >= 0.1 and x.max() <= 0.2 and x.size == 7  # 360 ... 720 s, ends included
        with pytest.raises(ValueError, match="holds no sample"):
            res.set_window(5.0, 6.0)
    finally:
        res.close()
    assert cli.main(["plot", str(path), "-o", str(tmp_path / "fig"), "--hours", "0.1:"]) == 0
    assert (tmp_path / "fig" / "temperatures.png").is_file()
    assert cli.main(["plot", str(path), "-o", str(tmp_path / "fig2"), "--hours", "3:1"]) == 2
    assert "END > START" in capsys.readouterr().err
