"""Cross-check the plain-NumPy baselines (benchmarks/numpy_baselines.py) against the JAX kernels.

    python benchmarks/check_baselines.py            # the checks (about 30 s on 2 CPU cores)
    python benchmarks/check_baselines.py --time     # also NumPy throughputs at 1 000 and 10 000 nodes

Checks (exit code 1 when one fails):

1. ``orbit_rk4_j2`` against the kernels' Cowell propagator (RK4, point mass + J2), 64 nodes of the
   default fleet, 100 steps of 10 s: positions within 1e-6 m (same scheme, same constants:
   only rounding differs).
2. Surface normals for every pointing rule (one surface whose rule differs from node to node
   included) and the front and back view factors against the kernels' functions at random
   geometries: within 1e-12 (the default fleet itself uses only "sun" and "sun_edge").
3. The coupled step, 64 nodes of the default fleet (every 16th node: 16 dawn-dusk, 48 of the
   53 deg shell, so eclipses and penumbra crossings are included), 2 h at 10 s, samples every
   60 s, run by the JAX chunk function (kernels.model.make_chunk_fn) and by ``full_step_run``:

   a. with the kernels' Sun fed to the NumPy code (isolates everything but the Sun): position
      < 1e-3 m, temperature < 1e-3 K, battery energy < 100 J, sunlit fraction < 1e-4
      (the kernel's stereographic overlap is within 1.2e-5 relative of the exact spherical-cap
      overlap used here; measured: 4e-7);
   b. with the NumPy code's own low-precision Sun (Montenbruck & Gill, about 1 arcmin): position
      < 1 m, temperature < 0.1 K; battery energy and sunlit fraction are reported. The Sun
      differs by about 24 arcsec here, which moves each penumbra crossing by about 0.1 s: the
      sunlit fraction of the step containing it changes by about 0.015, and the array (about
      0.5 K/s of heating or cooling at eclipse exit or entry, 645 kJ/K) ends up to 0.08 K apart.

Not a pytest test: benchmarks/ is never collected.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy_baselines as nb  # noqa: E402

N_NODES = 64
DT_S = 10.0
DURATION_S = 7200.0
OUTPUT_EVERY_S = 60.0


def _setup():
    import jax

    jax.config.update("jax_enable_x64", True)
    from orbital_sim.config import load_config
    from orbital_sim.model import build_model

    config = load_config(None)
    model, state = build_model(config, resolve_integrator=False)
    whole, fraction = float(model.env.epoch_jd_tt_whole), float(model.env.epoch_jd_tt_fraction)
    return config, model, model.fleet(state), whole, fraction


def _numpy_params(params) -> dict:
    return nb.columns(params)


def _select(tree, idx):
    import jax

    return jax.tree_util.tree_map(lambda x: x[idx], tree)


def check_orbit(params, state, results):
    import jax
    import jax.numpy as jnp

    from orbital_sim.kernels.model import make_env
    from orbital_sim.kernels.orbit import Cowell

    env = make_env(shadow_radius_m=nb.R_EARTH_EQ_M, solar_constant_w_m2=1361.0, albedo=0.3, earth_ir_w_m2=237.0,
                   epoch_jd_tt_whole=0.0, epoch_jd_tt_fraction=0.0)
    prop = Cowell()
    n_steps = 100

    @jax.jit
    def run(r, v):
        def body(carry, _):
            r, v = carry
            return jax.vmap(lambda p, a, b: prop.advance(p, a, b, 0.0, jnp.asarray(DT_S), env))(params, r, v), None
        return jax.lax.scan(body, (r, v), None, length=n_steps)[0]

    r_j, v_j = (np.asarray(x) for x in run(state.r_eci_m, state.v_eci_m_s))
    r_n, v_n = nb.orbit_rk4_j2(np.asarray(state.r_eci_m), np.asarray(state.v_eci_m_s), DT_S, n_steps)
    dr = float(np.max(np.linalg.norm(r_n - r_j, axis=1)))
    dv = float(np.max(np.linalg.norm(v_n - v_j, axis=1)))
    moved = float(np.min(np.linalg.norm(r_n - np.asarray(state.r_eci_m), axis=1)))
    print(f"orbit_rk4_j2 vs kernels Cowell, {r_n.shape[0]} nodes x {n_steps} steps of {DT_S:g} s: "
          f"max |dr| = {dr:.3e} m, max |dv| = {dv:.3e} m/s (nodes moved >= {moved / 1e3:.0f} km)")
    results.append(("orbit_rk4_j2 vs Cowell |dr| < 1e-6 m", dr < 1e-6 and moved > 1e6))


def _jax_run(config, model, params, state, n_steps, steps_per_output):
    import jax.numpy as jnp

    from orbital_sim.kernels.model import make_chunk_fn
    from orbital_sim.kernels.orbit import Cowell

    e = config.environment
    assert config.simulation.propagator == "cowell" and config.simulation.shadow == "conical"
    assert e.albedo_model == "subsatellite"
    # the model's environment, shadow and albedo; RK4 (point mass + J2) like the NumPy baseline
    chunk = make_chunk_fn(Cowell(integrator="rk4"), model.shadow_fn, steps_per_output, n_steps // steps_per_output,
                          nb.SAMPLED, albedo_model=model.albedo_model)
    final, samples = chunk(params, state, model.env, jnp.asarray(0), jnp.asarray(n_steps), jnp.asarray(DT_S))
    return final, {k: np.asarray(v) for k, v in samples.items()}


def _kernel_sun_table(whole, fraction, n_steps):
    import jax
    import jax.numpy as jnp

    from orbital_sim.kernels.sun import sun_position_eci

    t = (np.arange(n_steps) + 1) * DT_S
    table = np.asarray(jax.jit(jax.vmap(lambda tt: sun_position_eci(whole, fraction + tt / 86400.0)))(jnp.asarray(t)))
    return t, table


def _compare(label, samples_j, samples_n, final_j, final_n):
    d = {
        "position_m": float(np.max(np.linalg.norm(samples_n["position_eci"] - samples_j["position_eci"], axis=-1))),
        "temperature_k": float(np.max(np.abs(samples_n["temperature"] - samples_j["temperature"]))),
        "battery_energy_j": float(np.max(np.abs(samples_n["battery_energy"] - samples_j["battery_energy"]))),
        "sunlit_fraction": float(np.max(np.abs(samples_n["sunlit_fraction"] - samples_j["sunlit_fraction"]))),
        "array_power_w": float(np.max(np.abs(samples_n["array_power"] - samples_j["array_power"]))),
        "beta_angle_deg": float(np.degrees(np.max(np.abs(samples_n["beta_angle"] - samples_j["beta_angle"])))),
        "heat_rejected_w": float(np.max(np.abs(samples_n["heat_rejected"] - samples_j["heat_rejected"]))),
        "temperature_max_k (run)": float(np.max(np.abs(final_n["acc"]["temperature_max_k"]
                                                       - np.asarray(final_j.acc.temperature_max_k)))),
        "energy_generated_j (run)": float(np.max(np.abs(final_n["acc"]["energy_generated_j"]
                                                        - np.asarray(final_j.acc.energy_generated_j)))),
        "absorbed_j (run)": float(np.max(np.abs(final_n["acc"]["absorbed_j"] - np.asarray(final_j.acc.absorbed_j)))),
        "emitted_j (run)": float(np.max(np.abs(final_n["acc"]["emitted_j"] - np.asarray(final_j.acc.emitted_j)))),
    }
    dt_k = np.max(np.abs(samples_n["temperature"] - samples_j["temperature"]), axis=(0, 1))
    print(f"  {label}: largest differences NumPy - JAX")
    for k, v in d.items():
        print(f"    {k:26s} {v:.3e}")
    print("    temperature by component  " + " ".join(f"{x:.1e}" for x in dt_k))
    return d


def check_full_step(config, model, params, state, whole, fraction, results):
    n_steps = int(round(DURATION_S / DT_S))
    spo = int(round(OUTPUT_EVERY_S / DT_S))
    t0 = time.perf_counter()
    final_j, samples_j = _jax_run(config, model, params, state, n_steps, spo)
    jax_s = time.perf_counter() - t0

    p_np = _numpy_params(params)
    e = config.environment
    env = nb.default_env(shadow_radius_m=e.shadow_radius_m, solar_constant_w_m2=e.solar_constant_w_m2,
                         albedo=e.albedo, earth_ir_w_m2=e.earth_ir_w_m2)
    s0 = nb.full_step_state(p_np, np.asarray(state.r_eci_m), np.asarray(state.v_eci_m_s),
                            np.asarray(state.battery_energy_j), np.asarray(state.temperature_k))
    t_tab, sun_tab = _kernel_sun_table(whole, fraction, n_steps)

    def kernel_sun(t_s):
        return sun_tab[int(round(t_s / DT_S)) - 1]

    almanac = nb.almanac_sun_fn(whole, fraction)
    sun_a = np.stack([almanac(t) for t in t_tab])
    cos_sep = np.sum(sun_a * sun_tab, axis=1) / np.linalg.norm(sun_a, axis=1) / np.linalg.norm(sun_tab, axis=1)
    sep_deg = float(np.degrees(np.max(np.arccos(np.clip(cos_sep, -1, 1)))))
    dist_rel = float(np.max(np.abs(np.linalg.norm(sun_a, axis=1) / np.linalg.norm(sun_tab, axis=1) - 1)))
    print(f"coupled step, {params.thermal.heat_capacity_j_k.shape[0]} nodes x {n_steps} steps of {DT_S:g} s "
          f"(samples every {spo} steps); JAX compile + run {jax_s:.1f} s")
    print(f"  almanac Sun vs kernels Sun over the run: direction {sep_deg * 3600:.1f} arcsec, "
          f"distance {dist_rel:.1e} relative")

    t0 = time.perf_counter()
    final_k, samples_k = nb.full_step_run(p_np, s0, kernel_sun, DT_S, n_steps, spo, env=env)
    np_s = time.perf_counter() - t0
    d = _compare(f"NumPy with the kernels' Sun ({np_s:.1f} s)", samples_j, samples_k, final_j, final_k)
    results.append(("kernel Sun: position < 1e-3 m", d["position_m"] < 1e-3))
    results.append(("kernel Sun: temperature < 1e-3 K", d["temperature_k"] < 1e-3))
    results.append(("kernel Sun: battery energy < 100 J", d["battery_energy_j"] < 100.0))
    results.append(("kernel Sun: sunlit fraction < 1e-4", d["sunlit_fraction"] < 1e-4))

    final_a, samples_a = nb.full_step_run(p_np, s0, almanac, DT_S, n_steps, spo, env=env)
    d = _compare("NumPy with its almanac Sun", samples_j, samples_a, final_j, final_a)
    results.append(("almanac Sun: position < 1 m", d["position_m"] < 1.0))
    results.append(("almanac Sun: temperature < 0.1 K", d["temperature_k"] < 0.1))

    # the run must exercise the physics it compares: eclipses, penumbra, charge and discharge
    sunlit = samples_j["sunlit_fraction"]
    e_bat = samples_j["battery_energy"]
    print(f"  coverage: {int(np.sum(sunlit == 0))} umbra and {int(np.sum((sunlit > 0) & (sunlit < 1)))} penumbra "
          f"samples; battery energy {e_bat.min() / 3.6e6:.1f}-{e_bat.max() / 3.6e6:.1f} kWh; "
          f"temperatures {samples_j['temperature'].min() - 273.15:.1f} to "
          f"{samples_j['temperature'].max() - 273.15:.1f} C")
    covered = bool(np.any(sunlit == 0)) and bool(np.any(np.diff(e_bat, axis=0) < 0))
    results.append(("run covers umbra and discharge", covered))


def check_geometry(results):
    """Pointing rules (all codes, mixed per surface) and both faces' view factors against the
    kernels' functions at random geometries (the default fleet uses only "sun" and "sun_edge")."""
    import jax
    import jax.numpy as jnp

    from orbital_sim.kernels.irradiance import POINTING_CODES, surface_normals, view_factor_plate_sphere

    assert POINTING_CODES == nb.POINTING_CODES
    rng = np.random.default_rng(4)
    n, n_surf = 500, len(nb.POINTING_CODES) + 1
    r = rng.normal(size=(n, 3))
    r *= (6.9e6 + 3e7 * rng.random(n))[:, None] / np.linalg.norm(r, axis=1)[:, None]
    v = rng.normal(size=(n, 3)) * 7e3
    s_hat = rng.normal(size=(n, 3))
    s_hat /= np.linalg.norm(s_hat, axis=1)[:, None]
    codes = np.tile(np.arange(n_surf) % len(nb.POINTING_CODES), (n, 1))
    codes[:, -1] = rng.integers(0, len(nb.POINTING_CODES), n)  # a surface whose rule differs by node
    rsw = rng.normal(size=(n, n_surf, 3))
    rsw /= np.linalg.norm(rsw, axis=2, keepdims=True)
    want = np.asarray(jax.vmap(surface_normals)(jnp.asarray(codes), jnp.asarray(rsw), jnp.asarray(r), jnp.asarray(v),
                                                jnp.asarray(s_hat)))  # (n, S, 3)

    pointing = []
    for s in range(n_surf):
        present = np.unique(codes[:, s])
        pointing.append([(int(c), None if present.size == 1 else codes[:, s] == c) for c in present])
    rules = SimpleNamespace(pointing=pointing, rsw=np.moveaxis(rsw, -1, 0))  # what _normals reads of _Fleet
    r_t, v_t, s_t = r.T.copy(), v.T.copy(), s_hat.T.copy()
    r_hat = r_t / np.linalg.norm(r_t, axis=0)
    h = np.cross(r, v).T
    got = np.stack(nb._normals(rules, r_hat, h / np.linalg.norm(h, axis=0), v_t, s_t), axis=1).transpose(2, 1, 0)
    d_normal = float(np.max(np.abs(got - want)))

    h_ratio = 1.0 + 5.0 * rng.random(4000)
    cos_tilt = rng.uniform(-1.0, 1.0, 4000)
    front, back = nb.view_factors_plate_sphere(h_ratio, cos_tilt)
    f_jax = np.asarray(view_factor_plate_sphere(jnp.asarray(h_ratio), jnp.asarray(cos_tilt)))
    b_jax = np.asarray(view_factor_plate_sphere(jnp.asarray(h_ratio), jnp.asarray(-cos_tilt)))
    d_view = float(max(np.max(np.abs(front - f_jax)), np.max(np.abs(back - b_jax))))
    print(f"geometry, {n} random states: normals (all {len(nb.POINTING_CODES)} rules) max diff {d_normal:.1e}; "
          f"view factors (front and back, 4000 cases) max diff {d_view:.1e}")
    results.append(("pointing rules match the kernels to 1e-12", d_normal < 1e-12))
    results.append(("view factors match the kernels to 1e-12", d_view < 1e-12))


def _time(fn, repeats=3):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def throughput(fleet, whole, fraction):
    """NumPy node-steps/s (median of 3) at 1 000 and 10 000 nodes: the default fleet's first
    1 000 nodes, tiled ten times for 10 000."""
    p_all = _numpy_params(fleet.params)
    st = fleet.state
    sun = nb.almanac_sun_fn(whole, fraction)
    for n, orbit_steps, full_steps in ((1000, 200, 60), (10000, 40, 12)):
        idx = np.arange(n) % 1000
        p = {k: v[idx] for k, v in p_all.items()}
        r, v = np.asarray(st.r_eci_m)[idx], np.asarray(st.v_eci_m_s)[idx]
        s0 = nb.full_step_state(p, r, v, np.asarray(st.battery_energy_j)[idx], np.asarray(st.temperature_k)[idx])
        t_orbit = _time(lambda: nb.orbit_rk4_j2(r, v, DT_S, orbit_steps))
        t_full = _time(lambda: nb.full_step_run(p, s0, sun, DT_S, full_steps, 6))
        print(f"numpy throughput, {n} nodes: orbit only {n * orbit_steps / t_orbit:.3g} node-steps/s, "
              f"full step {n * full_steps / t_full:.3g} node-steps/s")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time", action="store_true", help="also time the NumPy baselines at 1 000 and 10 000 nodes")
    args = ap.parse_args(argv)

    config, model, fleet, whole, fraction = _setup()
    n_all = fleet.params.thermal.heat_capacity_j_k.shape[0]
    idx = np.arange(0, n_all, n_all // N_NODES)[:N_NODES]
    params, state = _select(fleet.params, idx), _select(fleet.state, idx)
    results: list[tuple[str, bool]] = []
    check_orbit(params, state, results)
    check_geometry(results)
    check_full_step(config, model, params, state, whole, fraction, results)
    if args.time:
        throughput(fleet, whole, fraction)
    failed = [name for name, ok in results if not ok]
    print(f"summary: {len(results) - len(failed)}/{len(results)} checks passed"
          + ("" if not failed else "; FAILED: " + "; ".join(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
