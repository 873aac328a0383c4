"""Step-by-step plain-Python reference of the battery / power logic (this loop IS the spec).

Per step k, with battery energy E at the start of the step (J):

    u      = u0 * throttle[k]                       utilisation actually commanded
    demand = P_bus + P_comp_nom * u                 W
    net    = P_arr[k] - demand                      W
    if net >= 0:                                    surplus: charge, shed the rest
        P_ch  = min(net, (E_cap - E) / (eta_c * dt));  shed = net - P_ch;  P_dis = 0
        compute served = P_comp_nom * u;  bus served = P_bus
    else:                                           deficit: discharge down to the floor
        P_dis_max = (E - E_floor) * eta_d / dt;  P_dis = min(-net, P_dis_max)
        deficit = -net - P_dis                      unserved load, taken from compute first
        compute served = max(P_comp_nom * u - deficit, 0)
        bus served     = P_bus - max(deficit - P_comp_nom * u, 0)
        P_ch = 0; shed = 0
    E_next       = E + dt * (eta_c * P_ch - P_dis / eta_d)
    battery heat = (1 - eta_c) * P_ch + (1/eta_d - 1) * P_dis

P_ch is the power taken from the bus into the battery, P_dis the power delivered by the
battery to the bus (both W, >= 0).
"""

import numpy as np


def power_loop(p_array_w, p_bus_w, p_compute_nominal_w, utilization0, throttle, e0_j,
               e_capacity_j, e_floor_j, eta_charge, eta_discharge, dt_s):
    """Run the battery/power logic step by step.

    p_array_w (n,) array output per step (W, >= 0); throttle (n,) factor in [0, 1] per step;
    p_bus_w, p_compute_nominal_w (W) and utilization0 (1): scalars or (n,) arrays;
    e0_j initial battery energy (J), e_floor_j <= e0_j <= e_capacity_j; eta_charge,
    eta_discharge in (0, 1]; dt_s step (s).
    Returns dict of (n,) float arrays:
      energy_j (battery energy at the END of each step), charge_w, discharge_w, shed_w,
      compute_served_w, bus_served_w, load_served_w (= compute + bus), battery_heat_w,
      utilization (= u0 * throttle, commanded).
    """
    p_arr = np.asarray(p_array_w, dtype=float)
    n = p_arr.size
    p_bus_all = np.broadcast_to(np.asarray(p_bus_w, dtype=float), (n,))
    p_comp_all = np.broadcast_to(np.asarray(p_compute_nominal_w, dtype=float), (n,))
    u0_all = np.broadcast_to(np.asarray(utilization0, dtype=float), (n,))
    thr_all = np.broadcast_to(np.asarray(throttle, dtype=float), (n,))
    if not e_floor_j <= e0_j <= e_capacity_j:
        raise ValueError("need e_floor_j <= e0_j <= e_capacity_j")
    eta_c, eta_d, dt = float(eta_charge), float(eta_discharge), float(dt_s)

    names = ("energy_j", "charge_w", "discharge_w", "shed_w", "compute_served_w",
             "bus_served_w", "load_served_w", "battery_heat_w", "utilization")
    out = {k: np.zeros(n) for k in names}
    e = float(e0_j)
    for k in range(n):
        p_bus, p_comp = float(p_bus_all[k]), float(p_comp_all[k])
        u = float(u0_all[k]) * float(thr_all[k])
        demand = p_bus + p_comp * u
        net = float(p_arr[k]) - demand
        if net >= 0.0:
            p_ch = min(net, (e_capacity_j - e) / (eta_c * dt))
            shed = net - p_ch
            p_dis = 0.0
            comp_served, bus_served = p_comp * u, p_bus
        else:
            p_dis_max = (e - e_floor_j) * eta_d / dt
            p_dis = min(-net, p_dis_max)
            deficit = -net - p_dis
            comp_served = max(p_comp * u - deficit, 0.0)
            bus_served = p_bus - max(deficit - p_comp * u, 0.0)
            p_ch, shed = 0.0, 0.0
        e = e + dt * (eta_c * p_ch - p_dis / eta_d)
        out["energy_j"][k] = e
        out["charge_w"][k] = p_ch
        out["discharge_w"][k] = p_dis
        out["shed_w"][k] = shed
        out["compute_served_w"][k] = comp_served
        out["bus_served_w"][k] = bus_served
        out["load_served_w"][k] = comp_served + bus_served
        out["battery_heat_w"][k] = (1.0 - eta_c) * p_ch + (1.0 / eta_d - 1.0) * p_dis
        out["utilization"][k] = u
    return out
