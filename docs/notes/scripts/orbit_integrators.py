"""Position error after one day of the Cowell integrators (point mass + J2) against SciPy's
adaptive DOP853 (rtol 1e-13, atol 1e-7: tests/reference/orbit_ref.propagate_j2, complex-step J2
acceleration), for orbits from 400 km LEO to GEO including eccentric ones, at several fixed
steps; also the wall time per node-day of the orbit alone (jitted, vmapped over 1,024 copies).

    python docs/notes/scripts/orbit_integrators.py [--quick]

Prints one JSON line per (orbit, integrator, step) and a RESULT table. Run from the repository
root (it imports tests/reference).
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from tests.reference import orbit_ref  # noqa: E402

from orbital_sim.kernels import constants as c  # noqa: E402
from orbital_sim.kernels.model import make_env  # noqa: E402
from orbital_sim.kernels.orbit import Cowell  # noqa: E402

R = c.R_EARTH_EQ_M
DAY_S = 86400.0

#: name -> (a_m, e, i_deg): 400 km to GEO, circular and eccentric
ORBITS = {
    "leo400_i51.6": (R + 400e3, 0.0005, 51.6),
    "leo550_i53": (R + 550e3, 0.0001, 53.0),
    "sso650_i98": (R + 650e3, 0.001, 97.99),
    "meo_gps": (R + 20_200e3, 0.01, 55.0),
    "geo": (42_164.17e3, 0.0002, 0.05),
    "gto_400x35786": (R + 0.5 * (400e3 + 35_786e3), (35_786e3 - 400e3) / (2 * R + 400e3 + 35_786e3), 27.0),
    "molniya_600": (26_600e3, 1.0 - (R + 600e3) / 26_600e3, 63.4),
    "heo_e0.3_400": ((R + 400e3) / 0.7, 0.3, 30.0),
}


def env():
    return make_env(shadow_radius_m=R, solar_constant_w_m2=1361.0, albedo=0.3, earth_ir_w_m2=237.0,
                    epoch_jd_tt_whole=c.JD_J2000, epoch_jd_tt_fraction=0.0)


def propagate(integrator, r0, v0, dt, n):
    prop = Cowell(integrator=integrator)
    e = env()

    @jax.jit
    def run(r, v):
        def body(k, rv):
            return prop.advance(None, rv[0], rv[1], (k + 1) * dt, jnp.asarray(dt), e)
        return jax.lax.fori_loop(0, n, body, (r, v))

    r, v = run(jnp.asarray(r0), jnp.asarray(v0))
    return np.asarray(r), np.asarray(v)


def error_after(integrator, name, dt, t_end=DAY_S, ref_cache={}):
    a, e, i_deg = ORBITS[name]
    r0, v0 = orbit_ref.elements_to_state(a, e, math.radians(i_deg), 0.4, 0.3, 0.0)
    n = int(round(t_end / dt))
    key = (name, n * dt)
    if key not in ref_cache:
        ref_cache[key] = orbit_ref.propagate_j2(r0, v0, np.array([0.0, n * dt]))[0][-1]
    r, _ = propagate(integrator, r0, v0, dt, n)
    return float(np.linalg.norm(r - ref_cache[key]))


def cost_per_node_day(integrator, dt, nodes=1024, reps=3):
    """Wall seconds per node-day of the orbit alone (vmapped, jitted; median of reps)."""
    prop = Cowell(integrator=integrator)
    e = env()
    n = int(round(DAY_S / 4 / dt))  # a quarter day

    @jax.jit
    def run(r, v):
        def body(k, rv):
            return jax.vmap(lambda a, b: prop.advance(None, a, b, 0.0, jnp.asarray(dt), e))(*rv)
        return jax.lax.fori_loop(0, n, body, (r, v))

    r0 = jnp.tile(jnp.asarray([R + 550e3, 0.0, 0.0]), (nodes, 1))
    v0 = jnp.tile(jnp.asarray([0.0, 5000.0, 5000.0]), (nodes, 1))
    jax.block_until_ready(run(r0, v0))
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        jax.block_until_ready(run(r0, v0))
        times.append(time.perf_counter() - t)
    return float(np.median(times)) / (nodes * 0.25)


def main():
    quick = "--quick" in sys.argv
    steps = (30.0, 60.0, 120.0) if quick else (10.0, 20.0, 30.0, 60.0, 90.0, 120.0, 180.0)
    rows = []
    for name in ORBITS:
        for integ in ("rk4", "rk8"):
            for dt in steps:
                err = error_after(integ, name, dt)
                row = dict(orbit=name, integrator=integ, step_s=dt, position_error_m_after_1_day=err)
                print(json.dumps(row), flush=True)
                rows.append(row)
    for integ in ("rk4", "rk8"):
        for dt in (20.0, 60.0):
            s = cost_per_node_day(integ, dt)
            print(json.dumps(dict(integrator=integ, step_s=dt, orbit_only_s_per_node_day=s,
                                  node_days_per_s=1.0 / s, machine="2-core CPU, shared")), flush=True)
    print("TABLE position error after one day [m] vs DOP853 (point mass + J2)")
    print("TABLE orbit".ljust(24) + "".join(f"{integ}@{dt:g}s".rjust(13) for integ in ("rk4", "rk8") for dt in steps))
    for name in ORBITS:
        vals = {(r["integrator"], r["step_s"]): r["position_error_m_after_1_day"] for r in rows if r["orbit"] == name}
        print(f"TABLE {name}".ljust(24) + "".join(f"{vals[(i, dt)]:13.3g}" for i in ("rk4", "rk8") for dt in steps))
    for integ in ("rk4", "rk8"):
        worst = max(r["position_error_m_after_1_day"] for r in rows if r["integrator"] == integ and r["step_s"] == 60.0)
        print(f"RESULT {integ}_60s_worst_error_m = {worst:.3g}")

if __name__ == "__main__":
    main()
