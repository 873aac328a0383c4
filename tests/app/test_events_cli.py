"""Issue 17 must-show: eclipse contacts from `orbital-sim events --json` of a run at step 60 s and
output every 600 s, against the independent reference (tests/reference/eclipse_ref.py: DOP853 +
astropy Sun + brentq on the cone conditions), for 400 km LEO, a high-beta 650 km orbit, GEO at
the equinox and an eccentric orbit; the events group and the eclipse summary in the file."""

import json
import math
import subprocess
import sys

import h5py
import numpy as np
import pytest

from orbital_sim import cli
from orbital_sim import events as events_mod
from orbital_sim.config import load_config
from orbital_sim.events import eclipse_summary, read_events
from orbital_sim.fleet import build_fleet
from tests.reference import eclipse_ref

from tests.app.conftest import ROOT  # noqa: E402
R_KM = 6378.137
# name, a_km, e, i_deg, raan_deg, argp_deg, M_deg
NODES = [
    ("leo400", R_KM + 400.0, 0.0005, 51.6, 0.0, 0.0, 0.0),
    ("sso650_high_beta", R_KM + 650.0, 0.001, 97.99, -62.0, 0.0, 0.0),
    ("geo", 42_164.17, 0.0002, 0.05, 0.0, 0.0, 0.0),
    ("heo", (R_KM + 400.0) / 0.7, 0.3, 30.0, 28.6, 57.3, 114.6),
]
DURATION_S = 86400.0


def _config_text():
    base = (ROOT / "configs" / "default.toml").read_text()
    base = base[:base.index("[[constellation]]")]
    cols = list(zip(*NODES))
    fmt = lambda xs: "[" + ", ".join(repr(float(x)) for x in xs) + "]"  # noqa: E731
    return base + f"""
[[constellation]]
type = "elements"
name = "ev"
node_class = "compute"
a_km = {fmt(cols[1])}
e = {fmt(cols[2])}
i_deg = {fmt(cols[3])}
raan_deg = {fmt(cols[4])}
argp_deg = {fmt(cols[5])}
mean_anomaly_deg = {fmt(cols[6])}
"""


def test_events_json_of_a_short_leo_run(tmp_path, capsys):
    # the fast case of the must-show below: one 400 km node for two hours, step 60 s, output 600 s
    base = (ROOT / "configs" / "default.toml").read_text()
    cfg = tmp_path / "leo.toml"
    cfg.write_text(base[:base.index("[[constellation]]")] + f"""
[[constellation]]
type = "elements"
name = "leo"
node_class = "compute"
a_km = [{R_KM + 400.0}]
e = [0.0005]
i_deg = [51.6]
raan_deg = [0.0]
argp_deg = [0.0]
mean_anomaly_deg = [0.0]
""")
    out = tmp_path / "leo.h5"
    sets = ["--set", "simulation.output_every_s=600", "--set", "simulation.duration_s=7200"]
    assert cli.main(["run", str(cfg), "-o", str(out), "-q", *sets]) == 0
    config = load_config(str(cfg), overrides=["simulation.output_every_s=600"])
    fleet = build_fleet(config)
    capsys.readouterr()
    assert cli.main(["events", str(out), "--json"]) == 0
    records = [json.loads(x) for x in capsys.readouterr().out.strip().splitlines()]
    assert records and all(set(r) == {"node", "kind", "t_s", "time"} for r in records)
    ref = eclipse_ref.EclipseReference(config.simulation.epoch_iso, np.asarray(fleet.state.r_eci_m)[0],
                                       np.asarray(fleet.state.v_eci_m_s)[0], 7200.0).contacts(grid_step_s=10.0)
    for kind in eclipse_ref.CONTACT_NAMES:
        got = np.array([r["t_s"] for r in records if r["kind"] == kind])
        assert got.shape == ref[kind].shape, (kind, got, ref[kind])
        assert np.all(np.abs(got - ref[kind]) < 0.5), (kind, got - ref[kind])
    assert sum(len(ref[k]) for k in eclipse_ref.CONTACT_NAMES) >= 4


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    d = tmp_path_factory.mktemp("events")
    cfg_path = d / "events.toml"
    cfg_path.write_text(_config_text())
    out = d / "events.h5"
    code = cli.main(["run", str(cfg_path), "-o", str(out), "-q", "--set", "simulation.output_every_s=600",
                     "--set", f"simulation.duration_s={DURATION_S}"])
    assert code == 0
    return cfg_path, out


@pytest.mark.slow
def test_events_json_within_half_a_second_of_the_reference(result, capsys):
    cfg_path, out = result
    config = load_config(str(cfg_path), overrides=["simulation.output_every_s=600"])
    assert config.simulation.step_s == 60.0
    fleet = build_fleet(config)
    r0 = np.asarray(fleet.state.r_eci_m)
    v0 = np.asarray(fleet.state.v_eci_m_s)
    capsys.readouterr()
    assert cli.main(["events", str(out), "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    records = [json.loads(x) for x in lines]
    assert set(records[0]) == {"node", "kind", "t_s", "time"}
    assert records[0]["time"].endswith("Z") and len(records[0]["time"]) == len("2026-03-20T00:41:07.123Z")
    worst = 0.0
    for i, name in enumerate(fleet.names):
        ref = eclipse_ref.EclipseReference(config.simulation.epoch_iso, r0[i], v0[i], DURATION_S)
        want = ref.contacts(grid_step_s=10.0)
        assert sum(len(want[k]) for k in eclipse_ref.CONTACT_NAMES) >= 4, f"{name}: no eclipse to compare"
        for kind in eclipse_ref.CONTACT_NAMES:
            got = np.array([r["t_s"] for r in records if r["node"] == name and r["kind"] == kind])
            assert got.shape == want[kind].shape, (name, kind, got, want[kind])
            if got.size:
                worst = max(worst, float(np.max(np.abs(got - want[kind]))))
    assert worst < 0.5, worst


@pytest.mark.slow
def test_events_group_summary_and_node_selection(result, capsys):
    _, out = result
    with h5py.File(out, "r") as f:
        g = f["events"]
        assert g["time"].attrs["units"].decode() if isinstance(g["time"].attrs["units"], bytes) else True
        assert str(g["time"].attrs["units"]).startswith(("seconds since", "b'seconds since"))
        assert g["kind"].attrs["flag_meanings"] in ("penumbra_entry umbra_entry umbra_exit penumbra_exit",
                                                   b"penumbra_entry umbra_entry umbra_exit penumbra_exit")
        ev = read_events(f)
        count = f["eclipse_count"][...]
        umbra = f["umbra_time"][...]
        penumbra = f["penumbra_time"][...]
        longest = f["eclipse_longest"][...]
        ecl_frac = f["eclipse_fraction"][...]
    # the summary is consistent with the accumulated eclipse fraction: umbra time + half the
    # penumbra time (the fraction falls about linearly through it) within 0.5 % of the day
    est = (umbra + 0.5 * penumbra) / DURATION_S
    np.testing.assert_allclose(est, ecl_frac, atol=5e-3)
    assert count[0] >= 14 and count[2] == 1  # LEO: about 15 passes a day; GEO: one
    assert 65 * 60 < longest[2] < 75 * 60  # GEO at the equinox: about 70 min from first to last contact
    # a pass spans an entry and an exit of each cone: summary of constant synthetic contacts
    synth = {"time": np.array([100.0, 110.0, 2000.0, 2010.0]), "node": np.zeros(4, np.int32),
             "kind": np.array([0, 1, 2, 3], np.int8)}
    s = eclipse_summary(synth, 1, 5000.0)
    assert (s["eclipse_count"][0], s["eclipse_longest"][0], s["umbra_time"][0], s["penumbra_time"][0]) == \
        (1, 1910.0, 1890.0, 20.0)
    with h5py.File(out, "r") as f:
        names = f["node"].asstr()[...].tolist()
    capsys.readouterr()
    assert cli.main(["events", str(out), "--node", names[2], "--json"]) == 0  # the GEO node, by name
    nodes = {json.loads(x)["node"] for x in capsys.readouterr().out.strip().splitlines()}
    assert nodes == {names[2]}
    assert cli.main(["events", str(out), "--node", names[0][:-1] + "*", "--json"]) == 0  # a pattern
    nodes = {json.loads(x)["node"] for x in capsys.readouterr().out.strip().splitlines()}
    assert names[0] in nodes
    assert cli.main(["events", str(out), "--node", "nosuch*"]) == 2
    assert "no node matches" in capsys.readouterr().err
    assert ev["time"].size == sum(1 for _ in ev["time"])


# the contact-by-contact walk that events._walk replaced (its first version, kept as the
# independent reference of the vectorised one)
def _walk_by_contact(events, n_nodes, duration_s, start_fraction):
    if events is None:  # no events group: no contacts known
        events = {"time": np.zeros(0), "node": np.zeros(0, np.int32), "kind": np.zeros(0, np.int8)}
    count = np.zeros(n_nodes)
    longest = np.zeros(n_nodes)
    umbra = np.zeros(n_nodes)
    penumbra = np.zeros(n_nodes)
    t_all, node_all, kind_all = events["time"], events["node"], events["kind"]
    order = np.lexsort((t_all, node_all))
    t_all, node_all, kind_all = t_all[order], node_all[order], kind_all[order]
    bounds = np.searchsorted(node_all, np.arange(n_nodes + 1))
    pen_entry, umb_entry, umb_exit, pen_exit = range(4)
    passes = []
    for i in range(n_nodes):
        t = t_all[bounds[i]:bounds[i + 1]]
        k = kind_all[bounds[i]:bounds[i + 1]]
        # the shadow state at t = 0: from the first contact (or the start fraction when none)
        if k.size:
            first = int(k[0])
            level = {pen_entry: 0, umb_entry: 1, umb_exit: 2, pen_exit: 1}[first]
        else:
            f0 = 1.0 if start_fraction is None else float(start_fraction[i])
            level = 0 if f0 >= 1.0 else (2 if f0 <= 0.0 else 1)
        # level: 0 sunlit, 1 penumbra, 2 umbra; walk the contacts
        last_t = 0.0
        pass_start = 0.0 if level > 0 else None
        pass_umbra = 0.0
        for tk, kk in zip(list(t) + [duration_s], list(k) + [-1]):
            span = max(0.0, min(tk, duration_s) - last_t)
            if level == 1:
                penumbra[i] += span
            elif level == 2:
                umbra[i] += span
                pass_umbra += span
            last_t = min(tk, duration_s)
            if kk == pen_entry:
                level, pass_start, pass_umbra = 1, tk, 0.0
            elif kk == umb_entry:
                level = 2
            elif kk == umb_exit:
                level = 1
            elif kk == pen_exit:
                level = 0
                if pass_start is not None:
                    count[i] += 1
                    longest[i] = max(longest[i], tk - pass_start)
                    passes.append((i, pass_start, tk, tk - pass_start, pass_umbra, int(pass_start == 0.0)))
                pass_start = None
        if pass_start is not None:  # a pass under way at the end
            count[i] += 1
            longest[i] = max(longest[i], duration_s - pass_start)
            passes.append((i, pass_start, duration_s, duration_s - pass_start, pass_umbra, 1))
    summary = {"eclipse_count": count, "eclipse_longest": longest, "umbra_time": umbra, "penumbra_time": penumbra}
    table = {name: np.asarray([p[j] for p in passes], dtype=dtype)
             for j, (name, (dtype, _, _)) in enumerate(events_mod.PASS_VARIABLES.items())}
    return summary, table



@pytest.mark.parametrize("seed", range(6))
def test_vectorised_walk_equals_the_contact_by_contact_walk(seed):
    """events._walk (summary and pass table), whole and in node blocks
    (eclipse_summary_and_passes), against the contact-by-contact walk on random
    contact sequences: plausible passes, contacts missing or repeated, a node without contacts
    starting in sunlight, penumbra or umbra, contacts at t = 0 and past the run's end."""
    rng = np.random.default_rng(seed)
    n_nodes, duration = 40, 5000.0
    t, node, kind = [], [], []
    for i in range(n_nodes):
        m = int(rng.integers(0, 12))
        if i % 5 == 0:
            m = 0
        times = np.sort(rng.uniform(-0.0, duration * 1.05, m))
        if m and i % 7 == 1:
            times[0] = 0.0
        kinds = rng.integers(0, 4, m) if i % 3 else (np.arange(m) + int(rng.integers(0, 4))) % 4
        t += list(times); node += [i] * m; kind += list(kinds)
    perm = rng.permutation(len(t))  # the walk sorts by node and time itself
    ev = {"time": np.asarray(t)[perm], "node": np.asarray(node, np.int32)[perm], "kind": np.asarray(kind, np.int8)[perm]}
    start = rng.choice([0.0, 0.4, 1.0], n_nodes)
    for fraction in (None, start):
        want_s, want_p = _walk_by_contact(ev, n_nodes, duration, fraction)
        whole_s, whole_p = events_mod._walk(ev, n_nodes, duration, fraction)
        # in node blocks of about 7 or 25 contacts (a node with more than 7 is a block alone)
        for block in (None, 7, 25):
            got_s, got_p = (whole_s, whole_p) if block is None else events_mod.eclipse_summary_and_passes(
                ev, n_nodes, duration, fraction, block_contacts=block)
            for name in want_s:
                np.testing.assert_allclose(got_s[name], want_s[name], rtol=0, atol=1e-9, err_msg=name)
                assert np.array_equal(got_s[name], whole_s[name]), name  # blocks change no bit
            for name in want_p:
                assert got_p[name].dtype == want_p[name].dtype, name
                np.testing.assert_allclose(got_p[name], want_p[name], rtol=0, atol=1e-9, err_msg=name)
                assert np.array_equal(got_p[name], whole_p[name]), name
    assert want_p["node"].size > 20  # the sequences make passes


def test_vectorised_walk_without_contacts():
    s, p = events_mod._walk(None, 3, 100.0, np.array([1.0, 0.0, 0.5]))
    assert list(s["eclipse_count"]) == [0, 1, 1] and list(s["umbra_time"]) == [0, 100, 0]
    assert list(s["penumbra_time"]) == [0, 0, 100] and list(p["clipped"]) == [1, 1]
