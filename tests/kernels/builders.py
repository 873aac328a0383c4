"""Small hand-built node parameter sets for kernel tests (no config layer involved)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from orbital_sim.kernels import constants as c
from orbital_sim.kernels.irradiance import POINTING_CODES
from orbital_sim.kernels.model import NodeParams, init_state, make_env


def one_hot(index, n):
    v = np.zeros(n)
    v[index] = 1.0
    return v


def node_params(
    *,
    heat_capacity_j_k=(45e3, 3e5, 5e5, 6.45e5, 7.5e5),
    couplings=((0, 1, 2250.0), (1, 2, 5000.0), (4, 1, 50.0), (3, 1, 2.0)),
    surfaces=(
        # area, component, pointing, alpha, eps, back_alpha, back_eps, cells
        (260.0, 3, "sun", 0.91, 0.85, 0.9, 0.85, 1.0),
        (80.0, 2, "sun_edge", 0.12, 0.90, 0.12, 0.90, 0.0),
    ),
    chip=0, bus=1, array=3, battery=4,
    accelerators=64, accelerator_power_w=700.0, utilization=1.0, bus_power_w=2000.0,
    array_efficiency=0.295, temp_coeff=-0.0023, ref_temperature_k=301.15, packing=0.85,
    capacity_j=120 * 3.6e6, floor_soc=0.2, throttle_soc=0.3, eta_c=0.97, eta_d=0.97,
    throttle_temperature_k=358.15, throttle_band_k=5.0, elements0=(7e6, 0.0, 0.9, 0.0, 0.0, 0.0),
    ballistic_m2_kg=0.0,
):
    n = len(heat_capacity_j_k)
    g = np.zeros((n, n))
    for a, b, val in couplings:
        g[a, b] += val
        g[b, a] += val
    s = len(surfaces)
    col = list(zip(*surfaces))
    f = lambda x: jnp.asarray(np.asarray(x, dtype=float))  # noqa: E731
    return NodeParams(
        elements0=f(elements0),
        ballistic_m2_kg=f(ballistic_m2_kg),
        heat_capacity_j_k=f(heat_capacity_j_k),
        conductance_w_k=f(g),
        surf_area_m2=f(col[0]),
        surf_component=f(np.stack([one_hot(i, n) for i in col[1]])),
        surf_pointing=jnp.asarray([POINTING_CODES[p] for p in col[2]], jnp.int32),
        surf_rsw=f(np.tile([1.0, 0.0, 0.0], (s, 1))),
        surf_absorptance=f(col[3]),
        surf_emittance=f(col[4]),
        surf_back_absorptance=f(col[5]),
        surf_back_emittance=f(col[6]),
        surf_cells=f(col[7]),
        array_efficiency=f(array_efficiency),
        array_temp_coeff_per_k=f(temp_coeff),
        array_ref_temperature_k=f(ref_temperature_k),
        array_packing=f(packing),
        array_age_factor=f(1.0),
        array_component=f(one_hot(array, n)),
        bus_power_w=f(bus_power_w),
        bus_component=f(one_hot(bus, n)),
        accelerators=f(accelerators),
        accelerator_power_w=f(accelerator_power_w),
        utilization=f(utilization),
        throttle_temperature_k=f(throttle_temperature_k),
        throttle_band_k=f(throttle_band_k),
        chip_component=f(one_hot(chip, n)),
        battery_capacity_j=f(capacity_j),
        battery_floor_j=f(floor_soc * capacity_j),
        throttle_soc=f(throttle_soc),
        charge_efficiency=f(eta_c),
        discharge_efficiency=f(eta_d),
        battery_component=f(one_hot(battery, n)),
    )


def env(epoch_jd_tt=(2461120.0, 0.5), **kw):
    """Environment at 2026-03-20T00:00 TT by default (JD 2461119.5)."""
    values = dict(shadow_radius_m=c.R_EARTH_EQ_M, solar_constant_w_m2=1361.0, albedo=0.30, earth_ir_w_m2=237.0)
    values.update(kw)
    return make_env(epoch_jd_tt_whole=epoch_jd_tt[0] - 1.0, epoch_jd_tt_fraction=epoch_jd_tt[1], **values)


def state(params, r_eci_m, v_eci_m_s, soc=0.9, temperature_k=293.15):
    n = params.heat_capacity_j_k.shape[0]
    return init_state(
        params, jnp.asarray(r_eci_m, float), jnp.asarray(v_eci_m_s, float),
        params.battery_capacity_j * soc, jnp.full((n,), temperature_k),
    )


def stack(trees):
    """Stack a list of pytrees along a new leading (node) axis."""
    import jax

    return jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *trees)
