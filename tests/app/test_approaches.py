"""Close approaches (issue 19, item 2): located against an independent DOP853 reference, no pair
missed against brute force, the file's per-node summary, the CLI and bad input.

The reference integrates point mass + J2 (the simulator's force model) with SciPy's DOP853 at
rtol 1e-13 from the same ECI states and minimises the separation of its dense output with
``scipy.optimize.minimize_scalar``; it shares no code with ``kernels/approach.py`` or the
screening in ``orbital_sim/approaches.py``.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import minimize_scalar

from tests.reference import orbit_ref
from tests.reference.constants_ref import GM_EARTH_M3_S2, R_EARTH_EQ_M
from tests.app.scenario_text import default_node_class_toml, vectors_km

from tests.app.conftest import ROOT  # noqa: E402
EPOCH = "2026-03-20T00:00:00Z"
T_CA_S = 1234.567  # the built encounter's time [s]
MISS_M = 2000.0  # the built encounter's miss distance [m]


def _rhs(_t, y):
    return np.concatenate([y[3:], orbit_ref.acceleration_point_mass_j2(y[:3])])


def _dop853(y0, t0, t1):
    return solve_ivp(_rhs, (t0, t1), y0, method="DOP853", rtol=1e-13, atol=1e-7, dense_output=True)


def scenario(r0, v0, *, duration_s, step_s=10.0, output_s=60.0, threshold_m=10_000.0, variables=None) -> str:
    var = "" if variables is None else f"variables = {json.dumps(list(variables))}\n"
    return f'''[simulation]
epoch = "{EPOCH}"
duration_s = {duration_s!r}
step_s = {step_s!r}
output_every_s = {output_s!r}
propagator = "cowell"
dtype = "float64"

[output]
{var}
[approaches]
threshold_m = {threshold_m!r}

[[constellation]]
type = "states"
name = "n"
node_class = "compute"
r_eci_km = {vectors_km(r0)}
v_eci_km_s = {vectors_km(v0)}

''' + default_node_class_toml()


def crossing_pair():
    """Initial states (2, 3) of two nodes whose circular-ish orbits cross at 60 deg and pass
    ``MISS_M`` apart at ``T_CA_S``: built at the encounter and integrated back with DOP853."""
    r_a, v_a = orbit_ref.elements_to_state(R_EARTH_EQ_M + 550e3, 0.001, math.radians(53.0), 0.3, 0.0, 1.0)
    r_hat = r_a / np.linalg.norm(r_a)
    angle = math.radians(60.0)  # v_b: v_a turned by 60 deg about the radial direction
    v_b = v_a * math.cos(angle) + np.cross(r_hat, v_a) * math.sin(angle)
    n_hat = np.cross(v_a, v_b)
    n_hat /= np.linalg.norm(n_hat)  # perpendicular to both velocities: the miss direction
    r_b = r_a + MISS_M * n_hat
    v_b *= math.sqrt(GM_EARTH_M3_S2 / np.linalg.norm(r_b)) / np.linalg.norm(v_b)
    starts = []
    for r, v in ((r_a, v_a), (r_b, v_b)):
        sol = _dop853(np.concatenate([r, v]), T_CA_S, 0.0)
        starts.append(sol.y[:, -1])
    y0 = np.array(starts)
    return y0[:, :3], y0[:, 3:]


def reference_closest(r0, v0, t_lo, t_hi):
    sols = [_dop853(np.concatenate([r, v]), 0.0, t_hi + 1.0) for r, v in zip(r0, v0)]
    res = minimize_scalar(lambda t: np.linalg.norm(sols[0].sol(t)[:3] - sols[1].sol(t)[:3]),
                          bounds=(t_lo, t_hi), method="bounded", options={"xatol": 1e-6})
    return float(res.x), float(res.fun)


@pytest.fixture(scope="module")
def crossing_run(tmp_path_factory):
    import orbital_sim

    tmp = tmp_path_factory.mktemp("approach")
    r0, v0 = crossing_pair()
    cfg = tmp / "crossing.toml"
    cfg.write_text(scenario(r0, v0, duration_s=2400.0))
    out = tmp / "crossing.h5"
    orbital_sim.run(orbital_sim.load_config(cfg), out, progress=False)
    return r0, v0, out


def test_crossing_orbits_closest_approach_matches_dop853(crossing_run):
    from orbital_sim.approaches import approach_records

    r0, v0, out = crossing_run
    t_ref, d_ref = reference_closest(r0, v0, T_CA_S - 60.0, T_CA_S + 60.0)
    assert abs(t_ref - T_CA_S) < 1e-3 and abs(d_ref - MISS_M) < 1.0  # the construction itself
    records = approach_records(out)
    assert len(records) == 1, records
    rec = records[0]
    assert (rec["node_a"], rec["node_b"]) == ("n-0000", "n-0001")
    # issue 19: within 2 m and 0.05 s of the reference
    assert abs(rec["distance_m"] - d_ref) < 2.0, (rec, d_ref)
    assert abs(rec["t_s"] - t_ref) < 0.05, (rec, t_ref)
    assert rec["time"] == "2026-03-20T00:20:34.567Z"


def test_per_node_closest_approach_in_the_summary(crossing_run):
    from orbital_sim.output import read_summary

    _, _, out = crossing_run
    s = read_summary(out)
    assert list(s["closest_approach_node"]) == [1, 0]
    assert np.allclose(s["closest_approach_distance"], MISS_M, atol=2.0)
    assert np.allclose(s["closest_approach_time"], T_CA_S, atol=0.05)


def test_approaches_cli_json_and_below(crossing_run, capsys):
    from orbital_sim.cli import main

    _, _, out = crossing_run
    assert main(["approaches", str(out), "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    rec = json.loads(lines[0])
    assert set(rec) == {"node_a", "node_b", "t_s", "time", "distance_m"}
    assert rec["time"].endswith("Z") and len(rec["time"]) == len("2026-03-20T00:20:34.567Z")
    assert main(["approaches", str(out), "--below", "1000"]) == 0
    assert "no approaches" in capsys.readouterr().out
    assert main(["approaches", str(out)]) == 0
    text = capsys.readouterr().out
    assert "n-0000" in text and "2026-03-20T00:20:34.567Z" in text
    assert main(["approaches", str(out), "--below", "-5"]) == 2
    assert "--below" in capsys.readouterr().err


def test_negative_threshold_refused_with_key_path():
    from orbital_sim.config import ConfigError, load_config

    with pytest.raises(ConfigError) as err:
        load_config(ROOT / "configs" / "suncatcher_cluster.toml", ["approaches.threshold_m=-100"])
    assert any(p.startswith("approaches.threshold_m = -100") for p in err.value.problems), err.value.problems


# ---------------------------------------------------------------------------------------------
# No missed pair: the screening against brute force over every pair
# ---------------------------------------------------------------------------------------------

def crowded_fleet(rng, n=40, spread_m=150e3):
    """n nodes at 545-555 km, all within ``spread_m`` of one point, flying in random directions
    in the local horizontal: they scatter and meet again near the antipode half an orbit later."""
    p = np.array([1.0, 0.2, 0.3])
    p /= np.linalg.norm(p)
    r0, v0 = [], []
    for _ in range(n):
        off = rng.normal(size=3)
        off *= spread_m * rng.uniform() / np.linalg.norm(off)
        u = p * (R_EARTH_EQ_M + 550e3) + off
        u_hat = u / np.linalg.norm(u)
        r = u_hat * (R_EARTH_EQ_M + rng.uniform(545e3, 555e3))
        e1 = np.cross(u_hat, [0.0, 0.0, 1.0])
        e1 /= np.linalg.norm(e1)
        e2 = np.cross(u_hat, e1)
        ang = rng.uniform(0, 2 * np.pi)
        v = (math.cos(ang) * e1 + math.sin(ang) * e2) * math.sqrt(GM_EARTH_M3_S2 / np.linalg.norm(r))
        r0.append(r)
        v0.append(v)
    return np.array(r0), np.array(v0)


def brute_force(times, r, v, threshold_m, sub=200):
    """Every pair, every interval: the separation on the Hermite curves of both nodes sampled
    at ``sub`` points per interval; local minima of the whole series at or below the threshold
    (run ends included). Returns {(a, b): [(t, d), ...]}."""
    n = r.shape[1]
    s = np.linspace(0.0, 1.0, sub + 1)[:-1]
    h00, h10, h01, h11 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s, -2 * s**3 + 3 * s**2, s**3 - s**2
    tt, pos = [], []
    for k in range(len(times) - 1):
        h = times[k + 1] - times[k]
        pos.append(h00[:, None, None] * r[k] + h10[:, None, None] * h * v[k] + h01[:, None, None] * r[k + 1]
                   + h11[:, None, None] * h * v[k + 1])
        tt.append(times[k] + s * h)
    pos.append(r[-1][None])
    tt.append([times[-1]])
    pos, tt = np.concatenate(pos), np.concatenate(tt)
    found = {}
    for a in range(n):
        d = np.linalg.norm(pos[:, a + 1:] - pos[:, a:a + 1], axis=-1)  # (T, n - a - 1)
        left = np.concatenate([np.full((1, d.shape[1]), np.inf), d[:-1]])
        right = np.concatenate([d[1:], np.full((1, d.shape[1]), np.inf)])
        tk, bk = np.nonzero((d <= left) & (d < right) & (d <= threshold_m))
        for i, j in zip(tk, bk):
            t_min, d_min = tt[i], d[i, j]
            if 0 < i < len(tt) - 1:  # parabola through d^2 at the three samples (uniform spacing)
                y0, y1, y2 = d[i - 1, j] ** 2, d[i, j] ** 2, d[i + 1, j] ** 2
                curv = y0 - 2 * y1 + y2
                if curv > 0:
                    x = 0.5 * (y0 - y2) / curv
                    t_min = tt[i] + x * (tt[i + 1] - tt[i])
                    d_min = math.sqrt(max(y1 - 0.25 * (y0 - y2) * x, 0.0))
            found.setdefault((a, a + 1 + j), []).append((t_min, d_min))
    return found


def _match(events, reference, threshold_m, dt_tol_s, dd_tol_m):
    got = {}
    for a, b, t, d in zip(events["node_a"], events["node_b"], events["t_s"], events["distance_m"]):
        got.setdefault((int(a), int(b)), []).append((float(t), float(d)))
    missed, extra = [], []
    for pair, ref in reference.items():
        for t, d in ref:
            if d > threshold_m - dd_tol_m:  # too near the threshold to call
                continue
            if not any(abs(t - t2) < dt_tol_s and abs(d - d2) < dd_tol_m for t2, d2 in got.get(pair, [])):
                missed.append((pair, t, d))
    for pair, mine in got.items():
        for t, d in mine:
            if d > threshold_m - dd_tol_m:
                continue
            if not any(abs(t - t2) < dt_tol_s and abs(d - d2) < dd_tol_m for t2, d2 in reference.get(pair, [])):
                extra.append((pair, t, d))
    return missed, extra


def _propagate_steps(config, r0, v0, n_steps, dt_s):
    """States (n_steps + 1, N, 3) every step with the run's propagator (the samples a run with
    output at every step would hold)."""
    import jax
    import jax.numpy as jnp

    from orbital_sim.fleet import build_fleet, propagator_for

    fleet = build_fleet(config)
    env = _env()
    prop = propagator_for(config.simulation)

    def step(carry, k):
        r, v = carry
        t_end = (k + 1).astype(jnp.float64) * dt_s
        r, v = jax.vmap(lambda p, r, v: prop.advance(p, r, v, t_end, dt_s, env))(fleet.params, r, v)
        return (r, v), (r, v)

    _, (r, v) = jax.lax.scan(step, (jnp.asarray(r0), jnp.asarray(v0)), jnp.arange(n_steps))
    return fleet, np.concatenate([r0[None], np.asarray(r)]), np.concatenate([v0[None], np.asarray(v)])


def _env():
    from orbital_sim.kernels.model import make_env

    return make_env(shadow_radius_m=6378137.0, solar_constant_w_m2=1361.0, albedo=0.3, earth_ir_w_m2=237.0,
                    epoch_jd_tt_whole=2461119.5, epoch_jd_tt_fraction=0.0)


def test_no_missed_pair_against_brute_force(tmp_path, rng):
    """40 nodes that meet twice in 3000 s: every local minimum of every pair's separation below
    40 km (brute force over all 780 pairs on the dense trajectory) is found, and nothing else,
    screening per step (10 s) and per 60 s interval (6 steps re-propagated)."""
    import orbital_sim
    from orbital_sim.approaches import Screener
    from orbital_sim.fleet import propagator_for

    threshold_m, dt_s, n_steps = 40e3, 10.0, 300
    r0, v0 = crowded_fleet(rng)
    cfg_path = tmp_path / "crowd.toml"
    cfg_path.write_text(scenario(r0, v0, duration_s=dt_s * n_steps, output_s=dt_s, threshold_m=threshold_m))
    config = orbital_sim.load_config(cfg_path)
    fleet, r, v = _propagate_steps(config, r0, v0, n_steps, dt_s)
    times = np.arange(n_steps + 1) * dt_s
    reference = brute_force(times, r, v, threshold_m)
    n_ref = sum(len(x) for x in reference.values())
    assert n_ref > 50 and len(reference) > 40  # the fleet is crowded enough to mean something
    for steps in (1, 6):
        screener = Screener(params=fleet.params, propagator=propagator_for(config.simulation), env=_env(),
                            dt_s=dt_s, steps_per_output=steps, threshold_m=threshold_m, t0_s=0.0, r0=r0, v0=v0,
                            t_end_s=times[-1])
        found = screener.feed(times[steps::steps], r[steps::steps], v[steps::steps])
        # brute force: Hermite sampled every 0.05 s, the minimum refined by a parabola through
        # d^2 (exact for straight relative motion): the same minima within 0.01 s and 0.5 m
        missed, extra = _match(found, reference, threshold_m, dt_tol_s=0.01, dd_tol_m=0.5)
        assert not missed and not extra, (steps, missed[:5], extra[:5])


def test_candidate_pairs_superset_of_close_pairs(rng):
    """The broad and narrow phases never drop a pair that comes within the threshold on the
    Hermite curves (random states, many intervals, brute force over every pair)."""
    from orbital_sim.approaches import candidate_pairs

    n, h = 300, 60.0
    for trial in range(5):
        r0, v0 = crowded_fleet(rng, n=n, spread_m=600e3)
        # one step of two-body motion (semi-implicit Euler, 600 sub-steps) to the interval's end
        r, v = r0.copy(), v0.copy()
        for _ in range(600):
            v -= GM_EARTH_M3_S2 * r / np.linalg.norm(r, axis=1, keepdims=True) ** 3 * (h / 600)
            r += v * (h / 600)
        times = np.array([0.0, h])
        ref = brute_force(times, np.stack([r0, r]), np.stack([v0, v]), 20e3, sub=400)
        # any pair within the threshold at any sampled instant (not only local minima)
        a, b = candidate_pairs(r0, v0, r, v, h, 20e3)
        got = set(zip(a.tolist(), b.tolist()))
        assert set(ref) <= got, (trial, sorted(set(ref) - got)[:5])
        assert len(got) < n * (n - 1) / 2 / 10  # and it is a screen, not every pair


def test_application_layer_runs_without_approaches_by_default(tmp_path):
    from orbital_sim.config import load_config

    assert load_config(ROOT / "configs" / "default.toml").approaches is None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(subprocess.call([sys.executable, "-m", "pytest", "-n", "0", "-q", __file__]))


@pytest.mark.slow
def test_interrupted_and_resumed_run_lists_the_same_approaches(crossing_run, tmp_path):
    """Stopped after 25 min (chunk 5 of 8, after the encounter) and resumed: the same list, once."""
    import orbital_sim
    from orbital_sim.approaches import approach_records

    r0, v0, whole = crossing_run
    cfg = tmp_path / "chunked.toml"
    cfg.write_text(scenario(r0, v0, duration_s=2400.0).replace('propagator = "cowell"',
                                                               'propagator = "cowell"\nchunk_outputs = 5'))
    config = orbital_sim.load_config(cfg)
    out = tmp_path / "chunked.h5"

    def stop(done, total):
        if done == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        orbital_sim.run(config, out, progress=False, on_chunk=stop)
    assert len(approach_records(out)) == 1  # the encounter at 1234.6 s is in chunk 5
    orbital_sim.run(config, out, progress=False, resume=True)
    assert approach_records(out) == approach_records(whole)
