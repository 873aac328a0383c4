"""Plain-NumPy baselines for the throughput benchmarks (issue 4): the same physics as the JAX
kernels, written the way a competent NumPy user writes it.

Vectorised over nodes, with a Python loop over time steps (that is how a NumPy code advances
time). No JAX import and no import of ``orbital_sim``: this file is an independent second
implementation, also used by ``benchmarks/check_baselines.py`` to cross-check the kernels.

Two workloads:

* :func:`orbit_rk4_j2` -- point mass + J2, classical RK4 (orbit only).
* :func:`full_step_state` / :func:`full_step_run` -- the coupled step of
  ``orbital_sim.kernels.model.node_step``: RK4 + J2 orbit; the Sun once per step (``sun_fn``,
  e.g. :func:`almanac_sun_fn`); conical shadow; surface normals; direct Sun, sub-satellite
  albedo and Earth IR through the plate-to-sphere view factor; array efficiency with
  temperature; throttle; battery/power balance; ROS2 thermal step; accumulators; samples
  every ``steps_per_output`` steps.

Layout: the public arrays are node-first, as in the JAX fleet ((N, 3), (N, C), (N, S)).
Inside the time loop everything is node-last ((3, N), (C, N), one (N,) array per surface or
component): each NumPy operation then runs over N contiguous values, which is what makes a
NumPy code of this kind fast. Per-node constants (emission coefficients, pointing-rule masks,
one-hot component indices) are computed once per run, not per step.

Differences from the JAX kernel (deliberate, documented):

* Shadow: the exact solid-angle overlap of two spherical caps (Gauss-Bonnet, angles from the
  half-angle formulas, spherical excess from L'Huilier's theorem) instead of the kernel's
  stereographic circle overlap (which is within 1.2e-5 relative of exact).
* Sun: any ``sun_fn``; :func:`almanac_sun_fn` is the low-precision formula of Montenbruck &
  Gill, *Satellite Orbits* (2000), sec. 3.3.2 (about 1 arcmin; the kernel's Meeus/VSOP87 Sun is
  better than 2 arcsec). It is evaluated once per step for all nodes, so its cost is
  negligible either way.
* No fault checks (status codes, NaN masking): every node is assumed healthy. These cost the
  JAX kernel a few comparisons per node-step; they are not physics.
* Only the default propagator (Cowell RK4, point mass + J2), the conical shadow and the
  sub-satellite albedo model; no drag, J3/J4, ground stations or float32 mode.
"""

from __future__ import annotations

import math

import numpy as np

# Constants (REFERENCE.md / SPEC section 2), SI, restated here so the baseline imports nothing
GM_EARTH_M3_S2 = 3.986004418e14  # IERS Conventions 2010 / EGM96
R_EARTH_EQ_M = 6378137.0  # WGS-84 equatorial radius
J2_EARTH = 1.08262668e-3  # EGM96, unnormalised
R_SUN_M = 695_700e3  # IAU 2015 Resolution B3 nominal solar radius
AU_M = 149_597_870_700.0  # IAU 2012 Resolution B2
SOLAR_IRRADIANCE_1AU_W_M2 = 1361.0  # IAU 2015 Resolution B3
STEFAN_BOLTZMANN_W_M2_K4 = 5.670374419e-8  # CODATA 2018
DEEP_SPACE_SINK_K = 2.7  # SPEC section 2
JD_J2000 = 2451545.0  # J2000.0 (TT)

#: pointing-rule codes, as in orbital_sim.kernels.irradiance.POINTING_CODES
POINTING_CODES = {"sun": 0, "nadir": 1, "zenith": 2, "orbit_normal": 3, "anti_orbit_normal": 4,
                  "sun_edge": 5, "ram": 6, "wake": 7, "rsw": 8}

#: names of the sampled variables (as in the JAX kernel's diagnostics)
SAMPLED = ("sunlit_fraction", "beta_angle", "array_power", "load_power", "shed_power", "battery_energy",
           "state_of_charge", "compute_utilization", "temperature", "heat_rejected", "position_eci",
           "velocity_eci")


# ---------------------------------------------------------------------------------------------
# Orbit: point mass + J2, RK4
# ---------------------------------------------------------------------------------------------

def _accel_j2(r, gm, r_eq, j2):
    """Point mass + J2 acceleration [m/s^2] (3, N) at positions r [m] (3, N); Vallado eq. 8-30."""
    x, y, z = r
    r2 = x * x + y * y + z * z
    inv_r2 = 1.0 / r2
    k = (1.5 * j2 * r_eq * r_eq) * inv_r2
    t = k * (1.0 - 5.0 * (z * z) * inv_r2)  # k (1 - 5 z^2 / r^2)
    mu_r3 = (-gm) * inv_r2 / np.sqrt(r2)
    a = r * (mu_r3 * (1.0 + t))
    a[2] = (mu_r3 * (1.0 + t + 2.0 * k)) * z  # k (3 - 5 z^2 / r^2) = t + 2 k
    return a


def _rk4_j2(r, v, dt_s, gm, r_eq, j2):
    """One classical RK4 step of r'' = a(r) on node-last arrays (3, N). Returns (r, v)."""
    h = 0.5 * dt_s
    a1 = _accel_j2(r, gm, r_eq, j2)
    v2 = v + h * a1
    a2 = _accel_j2(r + h * v, gm, r_eq, j2)
    v3 = v + h * a2
    a3 = _accel_j2(r + h * v2, gm, r_eq, j2)
    v4 = v + dt_s * a3
    a4 = _accel_j2(r + dt_s * v3, gm, r_eq, j2)
    sixth = dt_s / 6.0
    r_new = r + sixth * (v + 2.0 * (v2 + v3) + v4)
    v_new = v + sixth * (a1 + 2.0 * (a2 + a3) + a4)
    return r_new, v_new


def orbit_rk4_j2(r_m, v_m_s, dt_s, n_steps, gm_m3_s2=GM_EARTH_M3_S2, r_eq_m=R_EARTH_EQ_M, j2=J2_EARTH):
    """Propagate N orbits ``n_steps`` RK4 steps of ``dt_s`` [s] under point mass + J2.

    ``r_m`` [m], ``v_m_s`` [m/s]: ECI positions and velocities, (N, 3). The pole of J2 is the
    ECI z axis. Returns ``(r_m, v_m_s)`` after ``n_steps`` steps, (N, 3) each (new arrays).
    """
    r = np.array(np.asarray(r_m, dtype=np.float64).T, order="C")
    v = np.array(np.asarray(v_m_s, dtype=np.float64).T, order="C")
    dt_s = float(dt_s)
    for _ in range(int(n_steps)):
        r, v = _rk4_j2(r, v, dt_s, gm_m3_s2, r_eq_m, j2)
    return r.T.copy(), v.T.copy()


# ---------------------------------------------------------------------------------------------
# Sun (low precision)
# ---------------------------------------------------------------------------------------------

def almanac_sun_fn(epoch_jd_tt_whole, epoch_jd_tt_fraction=0.0):
    """``sun_fn(t_s) -> (3,)``: geocentric Sun position [m], mean equator and equinox of J2000,
    at ``t_s`` seconds after the epoch (a two-part TT Julian date).

    Low-precision series of Montenbruck & Gill, *Satellite Orbits* (2000), sec. 3.3.2:
    M = 357.5256 deg + 35999.049 deg T, lambda = varpi + M + 6892" sin M + 72" sin 2M,
    r = (149.619 - 2.499 cos M - 0.021 cos 2M) 1e9 m, obliquity 23.43929111 deg; T in Julian
    centuries of TT since J2000. Two additions: the longitude of perigee varpi moves in the
    J2000 frame, varpi = 282.9400 deg + 0.32327 deg T (Standish, "Keplerian elements for
    approximate positions of the major planets", JPL, Table 1: the EM barycentre's perihelion
    rate; without it the error grows by about 12"/yr from 2000, 260" in 2026), and the annual
    aberration -20.5" in longitude (the kernel's Sun is apparent). Measured against the
    kernels' Meeus/VSOP87 Sun: within 35" (0.01 deg) over 1970-2040; distance within 1e-4.
    """
    day0 = (float(epoch_jd_tt_whole) - JD_J2000) + float(epoch_jd_tt_fraction)
    deg, arcsec = math.pi / 180.0, math.pi / (180.0 * 3600.0)
    cos_eps, sin_eps = math.cos(23.43929111 * deg), math.sin(23.43929111 * deg)

    def sun_fn(t_s):
        t_cent = (day0 + float(t_s) / 86400.0) / 36525.0
        m = (357.5256 + 35999.049 * t_cent) * deg
        lam = ((282.9400 + 0.32327 * t_cent) * deg + m + (6892.0 * math.sin(m) + 72.0 * math.sin(2.0 * m)
                                                          - 20.5) * arcsec)
        dist_m = (149.619 - 2.499 * math.cos(m) - 0.021 * math.cos(2.0 * m)) * 1e9
        return np.array([dist_m * math.cos(lam), dist_m * math.sin(lam) * cos_eps,
                         dist_m * math.sin(lam) * sin_eps])

    return sun_fn


# ---------------------------------------------------------------------------------------------
# Shadow, view factor
# ---------------------------------------------------------------------------------------------

def _cap_overlap_sr(a, b, c):
    """Solid angle [sr] of the intersection of two spherical caps of angular radii a and b whose
    centres are c apart, for partial overlap (|a - b| < c < a + b). Arrays (n,).

    Gauss-Bonnet on the lens: Omega = 2 phi_a (1 - cos a) + 2 phi_b (1 - cos b) - 2 E, with
    phi_a, phi_b the angles at the caps' centres of the triangle (centre a, centre b, one
    intersection point; sides a, b, c) and E its spherical excess. Angles from the half-angle
    formulas and E from L'Huilier's theorem: no arccos of a number near 1.
    """
    s = 0.5 * (a + b + c)
    sin_s, sin_sa, sin_sb, sin_sc = np.sin(s), np.sin(s - a), np.sin(s - b), np.sin(s - c)
    phi_a = 2.0 * np.arctan(np.sqrt(sin_sa * sin_sc / (sin_s * sin_sb)))  # opposite side b
    phi_b = 2.0 * np.arctan(np.sqrt(sin_sb * sin_sc / (sin_s * sin_sa)))  # opposite side a
    excess = 4.0 * np.arctan(np.sqrt(np.tan(0.5 * s) * np.tan(0.5 * (s - a)) * np.tan(0.5 * (s - b))
                                     * np.tan(0.5 * (s - c))))
    sa, sb = np.sin(0.5 * a), np.sin(0.5 * b)
    return 4.0 * phi_a * sa * sa + 4.0 * phi_b * sb * sb - 2.0 * excess


def sunlit_fraction_conical(r_m, r_sun_m, earth_radius_m, sun_radius_m):
    """Fraction in [0, 1] of the solar disk's solid angle not hidden by the Earth's disk, seen
    from each satellite (conical shadow, spherical Earth, uniform solar disk).

    ``r_m``: satellite positions [m] (3, N); ``r_sun_m``: Sun position [m] (3,).
    """
    to_sun = r_sun_m[:, None] - r_m
    d_sun = np.sqrt(np.einsum("in,in->n", to_sun, to_sun))
    d_sat = np.sqrt(np.einsum("in,in->n", r_m, r_m))
    theta_s = np.arcsin(np.minimum(sun_radius_m / d_sun, 1.0))
    theta_e = np.arcsin(np.minimum(earth_radius_m / d_sat, 1.0))
    # angle between the directions to the Earth's centre and to the Sun (atan2 form)
    cx = to_sun[1] * r_m[2] - to_sun[2] * r_m[1]
    cy = to_sun[2] * r_m[0] - to_sun[0] * r_m[2]
    cz = to_sun[0] * r_m[1] - to_sun[1] * r_m[0]
    theta = np.arctan2(np.sqrt(cx * cx + cy * cy + cz * cz), -np.einsum("in,in->n", r_m, to_sun))

    fraction = np.ones_like(theta)
    fraction[theta <= theta_e - theta_s] = 0.0
    annular = theta <= theta_s - theta_e
    if annular.any():
        sa, se = np.sin(0.5 * theta_s[annular]), np.sin(0.5 * theta_e[annular])
        fraction[annular] = 1.0 - (se * se) / (sa * sa)
    partial = (theta < theta_s + theta_e) & (theta > np.abs(theta_e - theta_s))
    if partial.any():
        a, b, c = theta_s[partial], theta_e[partial], theta[partial]
        sa = np.sin(0.5 * a)
        fraction[partial] = 1.0 - _cap_overlap_sr(a, b, c) / (4.0 * np.pi * sa * sa)
    return np.clip(fraction, 0.0, 1.0)


def view_factors_plate_sphere(h_ratio, cos_tilt):
    """View factors from the two faces of a flat plate to a sphere (Howell's catalogue,
    "differential planar element to sphere, tilted"): the front face with normal n, the back
    face with -n. ``h_ratio``: distance / sphere radius (> 1); ``cos_tilt``: cosine of the angle
    between n and the direction to the sphere's centre. Arrays (N,). Returns ``(front, back)``.

    Full view (cos >= 1/H): F = cos / H^2; none (cos <= -1/H): 0; in between
    F = 1/2 - asin(sqrt(H^2-1) / (H sin)) / pi
        + (cos acos(-sqrt(H^2-1) cot) - sqrt(H^2-1) sqrt(1 - H^2 cos^2)) / (pi H^2).
    The back face (cos -> -cos) shares every term but one: acos(-x) = pi - acos(x).
    """
    h2 = h_ratio * h_ratio
    cos_full = 1.0 / h_ratio
    front = np.where(cos_tilt >= cos_full, cos_tilt / h2, 0.0)
    back = np.where(cos_tilt <= -cos_full, -cos_tilt / h2, 0.0)
    partial = np.abs(cos_tilt) < cos_full  # partial for one face <=> for the other
    if partial.any():
        c, hp, hp2 = cos_tilt[partial], h_ratio[partial], h2[partial]
        root = np.sqrt(hp2 - 1.0)
        s = np.sqrt(1.0 - c * c)
        common = 0.5 - np.arcsin(np.minimum(root / (hp * s), 1.0)) / np.pi
        edge = root * np.sqrt(np.maximum(1.0 - hp2 * c * c, 0.0))
        ac = np.arccos(np.clip(-root * c / s, -1.0, 1.0))
        scale = 1.0 / (np.pi * hp2)
        front[partial] = np.clip(common + (c * ac - edge) * scale, 0.0, 1.0)
        back[partial] = np.clip(common - (c * (np.pi - ac) + edge) * scale, 0.0, 1.0)
    return front, back


# ---------------------------------------------------------------------------------------------
# The coupled step
# ---------------------------------------------------------------------------------------------

def default_env(**overrides) -> dict:
    """Scenario values shared by all nodes (SI). Keys: gm_m3_s2, r_eq_m, j2, shadow_radius_m,
    sun_radius_m, au_m, solar_constant_w_m2, albedo, earth_ir_w_m2, sink_k, sigma_w_m2_k4.
    Defaults are the SPEC constants and configs/default.toml's environment."""
    env = dict(gm_m3_s2=GM_EARTH_M3_S2, r_eq_m=R_EARTH_EQ_M, j2=J2_EARTH, shadow_radius_m=R_EARTH_EQ_M,
               sun_radius_m=R_SUN_M, au_m=AU_M, solar_constant_w_m2=SOLAR_IRRADIANCE_1AU_W_M2, albedo=0.30,
               earth_ir_w_m2=237.0, sink_k=DEEP_SPACE_SINK_K, sigma_w_m2_k4=STEFAN_BOLTZMANN_W_M2_K4)
    unknown = set(overrides) - set(env)
    if unknown:
        raise KeyError(f"unknown env keys {sorted(unknown)}; known: {sorted(env)}")
    env.update({k: float(v) for k, v in overrides.items()})
    return env


#: this baseline's input columns: name -> (NodeParams group, field) of orbital_sim.kernels.model
COLUMNS = {
    "heat_capacity_j_k": ("thermal", "heat_capacity_j_k"), "conductance_w_k": ("thermal", "conductance_w_k"),
    **{f"surf_{f}": ("surfaces", f) for f in ("area_m2", "component", "pointing", "rsw", "absorptance", "emittance",
                                                "back_absorptance", "back_emittance", "cells")},
    **{f: ("power", f) for f in ("array_efficiency", "array_temp_coeff_per_k", "array_ref_temperature_k",
                                 "array_packing", "array_age_factor", "array_component", "bus_power_w",
                                 "bus_component")},
    **{f: ("compute", f) for f in ("accelerators", "accelerator_power_w", "utilization", "throttle_temperature_k",
                                   "throttle_band_k")},
    "chip_component": ("compute", "component"),
    "battery_capacity_j": ("battery", "capacity_j"), "battery_floor_j": ("battery", "floor_j"),
    **{f: ("battery", f) for f in ("throttle_soc", "charge_efficiency", "discharge_efficiency")},
    "battery_component": ("battery", "component"),
}


def columns(params) -> dict:
    """This baseline's columns (:data:`COLUMNS`, NumPy arrays) of a grouped
    orbital_sim.kernels.model.NodeParams."""
    return {name: np.asarray(getattr(getattr(params, group), field)) for name, (group, field) in COLUMNS.items()}


def _field(params, name):
    """A column of ``params``: a dict of :data:`COLUMNS`, or a grouped NodeParams."""
    if isinstance(params, dict):
        return np.asarray(params[name])
    group, field = COLUMNS[name]
    return np.asarray(getattr(getattr(params, group), field))


def full_step_state(params, r_m, v_m_s, battery_energy_j, temperature_k, t_s=0.0) -> dict:
    """Initial state for :func:`full_step_run` (a dict of NumPy arrays, node-first).

    ``params``: a dict of :data:`COLUMNS` (arrays with a leading node axis N) or a grouped
    orbital_sim.kernels.model.NodeParams. ``r_m`` [m], ``v_m_s``
    [m/s]: (N, 3); ``battery_energy_j`` [J]: (N,); ``temperature_k`` [K]: (N, C); ``t_s``:
    time since the epoch [s]. Accumulators start empty, as in kernels.model.init_state.
    """
    temperature_k = np.array(temperature_k, dtype=np.float64)
    battery_energy_j = np.array(battery_energy_j, dtype=np.float64)
    n = battery_energy_j.shape[0]
    zero = np.zeros(n)
    return {
        "t_s": float(t_s),
        "r_eci_m": np.array(r_m, dtype=np.float64), "v_eci_m_s": np.array(v_m_s, dtype=np.float64),
        "battery_energy_j": battery_energy_j, "temperature_k": temperature_k,
        "acc": {
            "sunlit_s": zero.copy(), "elapsed_s": zero.copy(),
            "temperature_min_k": temperature_k.copy(), "temperature_max_k": temperature_k.copy(),
            "state_of_charge_min": battery_energy_j / _field(params, "battery_capacity_j"),
            **{k: zero.copy() for k in ("energy_generated_j", "energy_shed_j", "energy_consumed_j",
                                        "energy_unmet_j", "compute_delivered_s", "compute_nameplate_s",
                                        "absorbed_j", "emitted_j", "electric_heat_j", "charge_j",
                                        "discharge_j", "battery_loss_j")},
        },
    }


class _Fleet:
    """Per-run constants, node-last: what a NumPy user computes once before the time loop."""

    def __init__(self, params, env):
        p = {name: _field(params, name) for name in (
            "heat_capacity_j_k", "conductance_w_k", "surf_area_m2", "surf_component", "surf_pointing", "surf_rsw",
            "surf_absorptance", "surf_emittance", "surf_back_absorptance", "surf_back_emittance", "surf_cells",
            "array_efficiency", "array_temp_coeff_per_k", "array_ref_temperature_k", "array_packing",
            "array_age_factor", "array_component", "bus_power_w", "bus_component", "accelerators",
            "accelerator_power_w", "utilization", "throttle_temperature_k", "throttle_band_k", "chip_component",
            "battery_capacity_j", "battery_floor_j", "throttle_soc", "charge_efficiency",
            "discharge_efficiency", "battery_component")}
        self.n, self.c = p["heat_capacity_j_k"].shape
        self.s = p["surf_area_m2"].shape[1]
        f = lambda x: np.ascontiguousarray(np.asarray(x, dtype=np.float64))  # noqa: E731
        self.cap = [f(x) for x in p["heat_capacity_j_k"].T]  # C arrays (N,)
        g = f(np.moveaxis(p["conductance_w_k"], 0, -1))  # (C, C, N)
        # couplings present anywhere in the fleet: only those enter the network's sums
        self.pairs = [(i, j, g[i, j]) for i in range(self.c) for j in range(self.c)
                      if i != j and np.any(g[i, j] != 0.0)]
        self.g_sum = [sum((gij for (i2, _, gij) in self.pairs if i2 == i), np.zeros(self.n)) for i in range(self.c)]
        area = p["surf_area_m2"]
        comp = p["surf_component"]  # (N, S, C)
        # sigma * sum of (emittance x area) over each component's faces: fixed per node
        self.k_em = [f(env["sigma_w_m2_k4"] * np.einsum(
            "ns,ns->n", area * (p["surf_emittance"] + p["surf_back_emittance"]), comp[:, :, i]))
            for i in range(self.c)]
        # absorbed power per surface -> component: keep only the nonzero (surface, component) pairs
        self.surf_to_comp = [(s, i, f(comp[:, s, i])) for s in range(self.s) for i in range(self.c)
                             if np.any(comp[:, s, i] != 0.0)]
        self.a_front_solar = [f(area[:, s] * p["surf_absorptance"][:, s]) for s in range(self.s)]
        self.a_front_ir = [f(area[:, s] * p["surf_emittance"][:, s]) for s in range(self.s)]
        self.a_back_solar = [f(area[:, s] * p["surf_back_absorptance"][:, s]) for s in range(self.s)]
        self.a_back_ir = [f(area[:, s] * p["surf_back_emittance"][:, s]) for s in range(self.s)]
        self.two_sided = [bool(np.any(self.a_back_solar[s] != 0) or np.any(self.a_back_ir[s] != 0))
                          for s in range(self.s)]
        self.a_cells = [f(area[:, s] * p["surf_cells"][:, s]) for s in range(self.s)]
        self.has_cells = [bool(np.any(self.a_cells[s] != 0)) for s in range(self.s)]
        self.active_surf = [bool(np.any(area[:, s] != 0)) for s in range(self.s)]
        # pointing rules: per surface, the codes present and (when mixed) a mask per code
        self.pointing = []
        for s in range(self.s):
            codes = p["surf_pointing"][:, s].astype(int)
            present = sorted(set(codes.tolist()))
            self.pointing.append([(code, None if len(present) == 1 else codes == code) for code in present])
        self.rsw = f(np.moveaxis(p["surf_rsw"], -1, 0))  # (3, N, S)
        # one-hot component vectors -> index per node (the fleet's classes may differ)
        idx = lambda name: np.argmax(p[name], axis=1)  # noqa: E731
        self.array_idx, self.chip_idx = idx("array_component"), idx("chip_component")
        self.heat_targets = {"chip": f(p["chip_component"].T), "bus": f(p["bus_component"].T),
                             "battery": f(p["battery_component"].T), "array": f(p["array_component"].T)}
        self.rows = np.arange(self.n)
        for name in ("array_efficiency", "array_temp_coeff_per_k", "array_ref_temperature_k", "array_packing",
                     "array_age_factor", "bus_power_w", "accelerators", "accelerator_power_w", "utilization",
                     "throttle_temperature_k", "throttle_band_k", "battery_capacity_j", "battery_floor_j",
                     "throttle_soc", "charge_efficiency", "discharge_efficiency"):
            setattr(self, name, f(p[name]))
        self.eta_scale = self.array_efficiency * self.array_age_factor
        self.compute_nominal_w = self.accelerators * self.accelerator_power_w
        self.floor_soc = self.battery_floor_j / self.battery_capacity_j
        self.soc_span = np.maximum(self.throttle_soc - self.floor_soc, 1e-9)
        self.accel_per_w = np.where(self.accelerator_power_w > 0, 1.0 / np.where(
            self.accelerator_power_w > 0, self.accelerator_power_w, 1.0), 0.0)
        self.util_per_w = np.where(self.compute_nominal_w > 0, 1.0 / np.where(
            self.compute_nominal_w > 0, self.compute_nominal_w, 1.0), 0.0)


def _unit(x):
    return x / np.sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2])


def _cross(a, b):
    return np.stack((a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]))


def _dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _normals(fl, r_hat, h_hat, v, s_hat):
    """Outward unit normals, one (3, N) array per surface (kernels/irradiance.py rules)."""
    cache = {}

    def direction(code):
        if code not in cache:
            if code == 0:
                d = s_hat
            elif code in (1, 2):
                d = -r_hat if code == 1 else r_hat
            elif code in (3, 4):
                d = h_hat if code == 3 else -h_hat
            elif code == 5:  # unit(s x r_hat); the orbit normal when the Sun is at zenith or nadir
                e = _cross(s_hat, r_hat)
                sq = _dot(e, e)
                ok = sq > 1e-24
                d = np.where(ok, e / np.sqrt(np.where(ok, sq, 1.0)), h_hat)
            elif code in (6, 7):
                d = _unit(v) if code == 6 else -_unit(v)
            else:
                raise ValueError(f"pointing code {code} not supported here")
            cache[code] = d
        return cache[code]

    out = []
    for s, rules in enumerate(fl.pointing):
        if len(rules) == 1 and rules[0][0] != 8:
            out.append(direction(rules[0][0]))
            continue
        n = np.empty_like(r_hat)
        along = None
        for code, mask in rules:
            if code == 8:  # a fixed vector in RSW
                along = _cross(h_hat, r_hat) if along is None else along
                w = fl.rsw[:, :, s]
                d = w[0] * r_hat + w[1] * along + w[2] * h_hat
            else:
                d = direction(code)
            if mask is None:
                n[...] = d
            else:
                n[:, mask] = d[:, mask]
        out.append(n)
    return out


def _thermal_step(fl, t0, heat_w, dt_s, sink_k):
    """ROS2 step of the lumped network (kernels/thermal.py), node-last lists of (N,) arrays.

    The two stages share one matrix, C + gamma dt (L + D): it is factored once (Gaussian
    elimination without pivoting: symmetric, strictly diagonally dominant) and both stages are
    back-substituted. Returns ``(t1, emitted_w)``, lists of C arrays (N,).
    """
    c = fl.c
    gamma = 1.0 + 0.5 ** 0.5
    sink4 = sink_k ** 4
    gdt = gamma * dt_s

    def flux(t):  # (C dT/dt per component, emission per component)
        t2 = [t[i] * t[i] for i in range(c)]
        em = [fl.k_em[i] * (t2[i] * t2[i] - sink4) for i in range(c)]
        out = [heat_w[i] - em[i] for i in range(c)]
        for i, j, gij in fl.pairs:
            out[i] = out[i] + gij * (t[j] - t[i])
        return out, em

    d = [4.0 * fl.k_em[i] * t0[i] * t0[i] * t0[i] for i in range(c)]
    # dense matrix as a C x C grid of (N,) arrays (None where the fleet has no coupling)
    m = [[None] * c for _ in range(c)]
    for i in range(c):
        m[i][i] = fl.cap[i] + gdt * (d[i] + fl.g_sum[i])
    for i, j, gij in fl.pairs:
        m[i][j] = -gdt * gij
    # LU without pivoting; None entries stay structural zeros unless fill-in creates them
    mult = [[None] * c for _ in range(c)]
    inv_piv = [None] * c
    for k in range(c):
        inv_piv[k] = 1.0 / m[k][k]
        for i in range(k + 1, c):
            if m[i][k] is None:
                continue
            f = m[i][k] * inv_piv[k]
            mult[i][k] = f
            for j in range(k + 1, c):
                if m[k][j] is not None:
                    m[i][j] = -f * m[k][j] if m[i][j] is None else m[i][j] - f * m[k][j]

    def solve(b):
        b = list(b)
        for k in range(c):
            for i in range(k + 1, c):
                if mult[i][k] is not None:
                    b[i] = b[i] - mult[i][k] * b[k]
        x = [None] * c
        for i in reversed(range(c)):
            acc = b[i]
            for j in range(i + 1, c):
                if m[i][j] is not None:
                    acc = acc - m[i][j] * x[j]
            x[i] = acc * inv_piv[i]
        return x

    f0, em0 = flux(t0)
    k1 = solve(f0)
    t_mid = [t0[i] + dt_s * k1[i] for i in range(c)]
    f_mid, em_mid = flux(t_mid)
    k2 = solve([f_mid[i] - 2.0 * fl.cap[i] * k1[i] for i in range(c)])
    t1 = [t0[i] + dt_s * (1.5 * k1[i] + 0.5 * k2[i]) for i in range(c)]
    emitted = [0.5 * ((em0[i] + em_mid[i]) + gdt * d[i] * (k1[i] + k2[i])) for i in range(c)]
    return t1, emitted


def full_step_run(params, state, sun_fn, dt_s, n_steps, steps_per_output, env=None):
    """Advance every node ``n_steps`` coupled steps of ``dt_s`` [s]; sample every
    ``steps_per_output`` steps.

    ``params``: as :func:`full_step_state` (NumPy, leading node axis);
    ``state``: from :func:`full_step_state` (or a previous call; not modified);
    ``sun_fn(t_s) -> (3,)``: geocentric Sun position [m] at ``t_s`` seconds after the epoch,
    called once per step; ``env``: :func:`default_env` values (default: the default scenario's).

    Step order as in kernels/model.py node_step: orbit to t_{k+1}; Sun, shadow and irradiance
    at t_{k+1}; power with the temperatures at t_k; implicit thermal step.
    Returns ``(state, samples)``: ``samples[name]`` has shape ``(n_steps // steps_per_output,
    N, ...)`` for the names in :data:`SAMPLED`, each taken at the end of its output interval.
    """
    env = default_env() if env is None else env
    fl = _Fleet(params, env)
    n, c = fl.n, fl.c
    dt_s = float(dt_s)
    n_steps, steps_per_output = int(n_steps), int(steps_per_output)
    n_out = n_steps // steps_per_output
    gm, r_eq, j2 = env["gm_m3_s2"], env["r_eq_m"], env["j2"]
    solar0 = env["solar_constant_w_m2"] * env["au_m"] ** 2
    albedo, earth_ir, sink_k = env["albedo"], env["earth_ir_w_m2"], env["sink_k"]

    r = np.ascontiguousarray(state["r_eci_m"].T)
    v = np.ascontiguousarray(state["v_eci_m_s"].T)
    energy = state["battery_energy_j"].copy()
    temp = [np.ascontiguousarray(x) for x in state["temperature_k"].T]
    acc = {k: v_.copy() for k, v_ in state["acc"].items()}
    t_min = [np.ascontiguousarray(x) for x in acc["temperature_min_k"].T]
    t_max = [np.ascontiguousarray(x) for x in acc["temperature_max_k"].T]
    samples = {name: np.empty((n_out, n, c) if name == "temperature" else
                              (n_out, n, 3) if name in ("position_eci", "velocity_eci") else (n_out, n))
               for name in SAMPLED}
    t0_s = state["t_s"]

    for k in range(n_steps):
        t_end_s = t0_s + (k + 1) * dt_s
        # orbit
        r, v = _rk4_j2(r, v, dt_s, gm, r_eq, j2)
        # Sun (once per step) and shadow
        r_sun = np.asarray(sun_fn(t_end_s), dtype=np.float64)
        to_sun = r_sun[:, None] - r
        d2_sun = _dot(to_sun, to_sun)
        d_sun = np.sqrt(d2_sun)
        s_hat = to_sun / d_sun
        sunlit = sunlit_fraction_conical(r, r_sun, env["shadow_radius_m"], env["sun_radius_m"])
        # attitude
        r_norm = np.sqrt(_dot(r, r))
        r_hat = r / r_norm
        h = _cross(r, v)
        h_hat = h / np.sqrt(_dot(h, h))
        normals = _normals(fl, r_hat, h_hat, v, s_hat)
        # irradiance
        solar = solar0 / d2_sun
        direct_scale = solar * sunlit
        albedo_scale = albedo * solar * np.maximum(_dot(r_hat, s_hat), 0.0)
        h_ratio = r_norm / r_eq
        absorbed_total = np.zeros(n)
        cells_incident = np.zeros(n)
        heat = [np.zeros(n) for _ in range(c)]
        for s in range(fl.s):
            if not fl.active_surf[s]:
                continue
            nrm = normals[s]
            cos_sun = _dot(nrm, s_hat)
            cos_tilt = -_dot(nrm, r_hat)
            view_f, view_b = view_factors_plate_sphere(h_ratio, cos_tilt)
            sol_f = direct_scale * np.maximum(cos_sun, 0.0) + albedo_scale * view_f  # direct + albedo
            absorbed = fl.a_front_solar[s] * sol_f + fl.a_front_ir[s] * (earth_ir * view_f)
            if fl.two_sided[s]:
                sol_b = direct_scale * np.maximum(-cos_sun, 0.0) + albedo_scale * view_b
                absorbed = absorbed + fl.a_back_solar[s] * sol_b + fl.a_back_ir[s] * (earth_ir * view_b)
            if fl.has_cells[s]:
                cells_incident = cells_incident + fl.a_cells[s] * sol_f
            absorbed_total = absorbed_total + absorbed
            for s2, i, w in fl.surf_to_comp:
                if s2 == s:
                    heat[i] = heat[i] + w * absorbed
        # power (temperatures at t_k)
        t_stack = np.stack(temp)  # (C, N)
        t_array = t_stack[fl.array_idx, fl.rows]
        t_chip = t_stack[fl.chip_idx, fl.rows]
        eta = fl.eta_scale * np.maximum(1.0 + fl.array_temp_coeff_per_k * (t_array - fl.array_ref_temperature_k), 0.0)
        array_w = eta * fl.array_packing * cells_incident
        soc = energy / fl.battery_capacity_j
        f_temp = np.clip(1.0 - (t_chip - fl.throttle_temperature_k) / fl.throttle_band_k, 0.0, 1.0)
        f_soc = np.clip((soc - fl.floor_soc) / fl.soc_span, 0.0, 1.0)
        # the SOC throttle cuts only the compute the battery would pay for (kernels/power.py)
        wanted = fl.utilization * f_temp
        nominal_safe = np.where(fl.compute_nominal_w > 0, fl.compute_nominal_w, 1.0)
        covered = np.where(fl.compute_nominal_w > 0,
                           np.clip((array_w - fl.bus_power_w) / nominal_safe, 0.0, wanted), 0.0)
        compute_demand = fl.compute_nominal_w * (covered + f_soc * (wanted - covered))
        net = array_w - (fl.bus_power_w + compute_demand)
        surplus = np.maximum(net, 0.0)
        deficit = np.maximum(-net, 0.0)
        charge = np.minimum(surplus, np.maximum(fl.battery_capacity_j - energy, 0.0)
                            / (fl.charge_efficiency * dt_s))
        shed = surplus - charge
        discharge = np.minimum(deficit, np.maximum(energy - fl.battery_floor_j, 0.0)
                               * fl.discharge_efficiency / dt_s)
        short = deficit - discharge
        compute_cut = np.minimum(short, compute_demand)
        compute_w = compute_demand - compute_cut
        unmet = short - compute_cut
        bus_w = fl.bus_power_w - unmet
        energy = energy + dt_s * (fl.charge_efficiency * charge - discharge / fl.discharge_efficiency)
        battery_heat = (1.0 - fl.charge_efficiency) * charge + (1.0 / fl.discharge_efficiency - 1.0) * discharge
        # thermal
        extracted = array_w - shed
        ht = fl.heat_targets
        electric = [ht["chip"][i] * compute_w + ht["bus"][i] * bus_w + ht["battery"][i] * battery_heat
                    - ht["array"][i] * extracted for i in range(c)]
        heat = [heat[i] + electric[i] for i in range(c)]
        temp, emitted = _thermal_step(fl, temp, heat, dt_s, sink_k)
        # accumulators
        soc1 = energy / fl.battery_capacity_j
        t_min = [np.minimum(t_min[i], temp[i]) for i in range(c)]
        t_max = [np.maximum(t_max[i], temp[i]) for i in range(c)]
        emitted_total = sum(emitted[1:], emitted[0])
        acc["sunlit_s"] += sunlit * dt_s
        acc["elapsed_s"] += dt_s
        np.minimum(acc["state_of_charge_min"], soc1, out=acc["state_of_charge_min"])
        acc["energy_generated_j"] += array_w * dt_s
        acc["energy_shed_j"] += shed * dt_s
        acc["energy_consumed_j"] += (compute_w + bus_w) * dt_s
        acc["energy_unmet_j"] += unmet * dt_s
        acc["compute_delivered_s"] += compute_w * fl.accel_per_w * dt_s
        acc["compute_nameplate_s"] += fl.accelerators * dt_s
        acc["absorbed_j"] += absorbed_total * dt_s
        acc["emitted_j"] += emitted_total * dt_s
        acc["electric_heat_j"] += sum(electric[1:], electric[0]) * dt_s
        acc["charge_j"] += charge * dt_s
        acc["discharge_j"] += discharge * dt_s
        acc["battery_loss_j"] += battery_heat * dt_s
        # samples at the end of each output interval
        if (k + 1) % steps_per_output == 0 and (k + 1) // steps_per_output <= n_out:
            j = (k + 1) // steps_per_output - 1
            h_dot_s = _dot(h_hat, r_sun) / np.sqrt(r_sun @ r_sun)
            samples["sunlit_fraction"][j] = sunlit
            samples["beta_angle"][j] = np.arcsin(np.clip(h_dot_s, -1.0, 1.0))
            samples["array_power"][j] = array_w
            samples["load_power"][j] = compute_w + bus_w
            samples["shed_power"][j] = shed
            samples["battery_energy"][j] = energy
            samples["state_of_charge"][j] = soc1
            samples["compute_utilization"][j] = compute_w * fl.util_per_w
            samples["temperature"][j] = np.stack(temp, axis=1)
            samples["heat_rejected"][j] = emitted_total
            samples["position_eci"][j] = r.T
            samples["velocity_eci"][j] = v.T

    acc["temperature_min_k"] = np.stack(t_min, axis=1)
    acc["temperature_max_k"] = np.stack(t_max, axis=1)
    new_state = {
        "t_s": t0_s + n_steps * dt_s, "r_eci_m": r.T.copy(), "v_eci_m_s": v.T.copy(),
        "battery_energy_j": energy, "temperature_k": np.stack(temp, axis=1), "acc": acc,
    }
    return new_state, samples
