"""Small hand-built node parameter sets for kernel tests: a NodeClassConfig built in Python (no
TOML, no validation) turned into NodeParams by the fleet's own column builder."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from orbital_sim.kernels import constants as c
from orbital_sim.kernels.model import NodeParams, init_state, make_env


def one_hot(index, n):
    v = np.zeros(n)
    v[index] = 1.0
    return v


def node_class(
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
    throttle_temperature_k=358.15, throttle_band_k=5.0, ballistic_m2_kg=0.0,
):
    """A NodeClassConfig in SI units (components named c0, c1, ...; indices for the
    components), built without the TOML layer."""
    from orbital_sim import config as cfg

    names = [f"c{k}" for k in range(len(heat_capacity_j_k))]
    return cfg.NodeClassConfig(
        name="test",
        compute=cfg.ComputeConfig(accelerators=accelerators, accelerator_power_w=accelerator_power_w,
                                  utilization=utilization, component=names[chip],
                                  throttle_temperature_k=throttle_temperature_k, throttle_band_k=throttle_band_k),
        power=cfg.PowerConfig(bus_power_w=bus_power_w, bus_heat_component=names[bus], array_efficiency=array_efficiency,
                              array_reference_temperature_k=ref_temperature_k,
                              array_temperature_coefficient_per_k=temp_coeff, array_packing_factor=packing,
                              array_degradation_per_year=0.0, array_age_years=0.0, array_component=names[array]),
        battery=cfg.BatteryConfig(capacity_j=capacity_j, initial_soc=0.9, floor_soc=floor_soc,
                                  throttle_soc=throttle_soc, charge_efficiency=eta_c, discharge_efficiency=eta_d,
                                  component=names[battery]),
        # C_D A / m = ballistic_m2_kg exactly (1 x b / 1)
        drag=cfg.DragConfig(mass_kg=1.0, area_m2=ballistic_m2_kg, coefficient=1.0) if ballistic_m2_kg else None,
        components=tuple(cfg.ComponentConfig(name=n, heat_capacity_j_k=c, initial_temperature_k=293.15)
                         for n, c in zip(names, heat_capacity_j_k)),
        couplings=tuple(cfg.CouplingConfig(a=names[a], b=names[b], conductance_w_k=g) for a, b, g in couplings),
        surfaces=tuple(
            cfg.SurfaceConfig(name=f"s{k}", component=names[comp], area_m2=area, pointing=pointing, pointing_rsw=None,
                              absorptance=alpha, emittance=eps, two_sided=bool(b_alpha or b_eps),
                              back_absorptance=b_alpha, back_emittance=b_eps, solar_cells=bool(cells))
            for k, (area, comp, pointing, alpha, eps, b_alpha, b_eps, cells) in enumerate(surfaces)),
    )


def node_params(*, elements0=(7e6, 0.0, 0.9, 0.0, 0.0, 0.0), **class_kw):
    """NodeParams of one node of :func:`node_class` (keywords as there), through the same
    per-class column builder as every run (orbital_sim.fleet.class_columns)."""
    from orbital_sim.fleet import class_columns, node_params as fleet_node_params

    return fleet_node_params(class_columns(node_class(**class_kw)), np.asarray(elements0, dtype=float))


def env(epoch_jd_tt=(2461120.0, 0.5), **kw):
    """Environment at 2026-03-20T00:00 TT by default (JD 2461119.5)."""
    values = dict(shadow_radius_m=c.R_EARTH_EQ_M, solar_constant_w_m2=1361.0, albedo=0.30, earth_ir_w_m2=237.0)
    values.update(kw)
    return make_env(epoch_jd_tt_whole=epoch_jd_tt[0] - 1.0, epoch_jd_tt_fraction=epoch_jd_tt[1], **values)


def state(params, r_eci_m, v_eci_m_s, soc=0.9, temperature_k=293.15):
    n = params.thermal.heat_capacity_j_k.shape[0]
    return init_state(
        params, jnp.asarray(r_eci_m, float), jnp.asarray(v_eci_m_s, float),
        params.battery.capacity_j * soc, jnp.full((n,), temperature_k),
    )


def stack(trees):
    """Stack a list of pytrees along a new leading (node) axis."""
    import jax

    return jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *trees)
