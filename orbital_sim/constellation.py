"""Place nodes on orbits: one :class:`NodeGroup` per ``[[constellation]]`` entry (NumPy only).

The builders turn a validated entry (SI units, see :class:`ConstellationEntry`) into arrays of
Keplerian elements or ECI states. Frame: ECI = GCRS axes, treated as J2000 (SPEC section 2).
For the ``j2_secular`` propagator the elements are read as mean elements; for ``cowell`` as
osculating ones; ``states`` are always osculating.

Entry types:

- ``sso``: sun-synchronous planes given by altitude and local time of the ascending node (LTAN).
  The inclination follows from the J2 node rate (:func:`sso_inclination_rad`); the RAAN from the
  LTAN and the right ascension of the mean Sun at the epoch (:func:`sso_raan_rad`).
- ``walker_delta``: Walker delta pattern i: t/p/f (Walker, J. G., "Satellite constellations",
  J. Br. Interplanet. Soc. 37, 559-572, 1984).
- ``elements``: explicit Keplerian elements, one node per list position.
- ``states``: explicit ECI position and velocity, one node per list position.
- ``cluster``: nodes flying in formation within a radius of a reference orbit (circular or
  near-circular; sun-synchronous by altitude and LTAN, or by inclination and RAAN), placed by
  offsets in the reference orbit's RSW frame with Hill-Clohessy-Wiltshire no-drift velocities
  (:func:`cluster_states`). Use the ``cowell`` propagator: ``j2_secular`` would read each
  node's osculating state as mean elements, and the formation would drift apart.
- ``tle``: two-line element sets propagated with SGP4 to the epoch and rotated from TEME to
  ECI (:mod:`orbital_sim.tle`).

Names: ``{prefix}-p{plane:02d}-s{slot:03d}`` for ``sso`` and ``walker_delta`` (plane and slot
counted from 0), ``{prefix}-{k:04d}`` for ``elements``, ``states`` and ``cluster``, and
``{prefix}-{catalog number}-{title}`` for ``tle`` (the title's spaces and brackets as ``_``; no
title: ``{prefix}-{catalog number}``)
(k from 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from orbital_sim import timescales
from orbital_sim.kernels.constants import GM_EARTH_M3_S2, J2_EARTH, R_EARTH_EQ_M

__all__ = [
    "ConstellationEntry",
    "ENTRY_TYPES",
    "NodeGroup",
    "SSO_NODE_RATE_RAD_S",
    "build_group",
    "build_groups",
    "cluster_offsets_rsw",
    "cluster_states",
    "entry_size",
    "mean_sun_right_ascension_rad",
    "node_names",
    "sso_inclination_rad",
    "sso_raan_rad",
]

ENTRY_TYPES = ("states", "elements", "sso", "walker_delta", "cluster", "tle")

# Sun-synchronous node rate: one turn per tropical year, 360 deg / 365.2422 d (REFERENCE.md).
SSO_NODE_RATE_RAD_S = 2.0 * math.pi / (365.2422 * 86400.0)

# Mean longitude of the Sun, Astronomical Almanac low-precision formula (section C, "Low
# precision formulas for the Sun"): L = 280.460 deg + 0.9856474 deg * n, n = JD(UT) - 2451545.0,
# referred to the mean equinox of date. It is also the right ascension of the fictitious mean
# Sun that defines mean solar time (it agrees with GMST - UT1 + 12 h, IAU 1982, to 0.001 deg).
_MEAN_SUN_L0_DEG = 280.460
_MEAN_SUN_RATE_DEG_PER_DAY = 0.9856474
# Precession in right ascension for a point on the mean equator, m = 3.07496 s/yr =
# 1.2812323 deg per Julian century (Lieske et al. 1977, IAU 1976 precession): subtracting m*T
# takes a right ascension of date back to the J2000 (= ECI) equinox, to about 0.001 deg.
_PRECESSION_RA_DEG_PER_CENTURY = 1.2812323


@dataclass(frozen=True)
class ConstellationEntry:
    """One validated ``[[constellation]]`` entry, in SI units (made by ``orbital_sim.config``).

    ``index``: position in the ``constellation`` list; ``type``: one of :data:`ENTRY_TYPES`;
    ``name``: prefix of its node names; ``node_class``: the ``[node_class.NAME]`` it uses;
    ``params``: the type's values in SI units:

    - ``sso``: ``altitude_m`` (float), ``ltan_h`` (tuple of floats, one per plane or a single
      one shared by all planes), ``planes`` (int), ``nodes_per_plane`` (int), ``e`` (float).
    - ``walker_delta``: ``altitude_m``, ``inclination_rad``, ``total``, ``planes``,
      ``phasing`` (int), ``raan0_rad``.
    - ``elements``: ``a_m``, ``e``, ``i_rad``, ``raan_rad``, ``argp_rad``,
      ``mean_anomaly_rad`` (float64 arrays (n,)).
    - ``states``: ``r_eci_m``, ``v_eci_m_s`` (float64 arrays (n, 3)).
    - ``cluster``: reference orbit ``altitude_m``, ``e``, ``argp_rad``, ``mean_anomaly_rad``
      and either ``ltan_h`` (sun-synchronous) or ``inclination_rad`` and ``raan_rad`` (the
      others None); ``layout`` (``orbit_plane`` | ``offsets``), ``nodes`` (int),
      ``radius_m`` (float or None), ``offsets_rsw_m`` ((n, 3) array or None).
    - ``tle``: ``tles`` (tuple of :class:`orbital_sim.tle.Tle`), ``max_age_days``.
    """

    index: int
    type: str
    name: str
    node_class: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NodeGroup:
    """Nodes of one class placed by one ``[[constellation]]`` entry.

    ``class_name``: the node class; ``names``: one unique name per node (length n).
    Exactly one of:

    - ``elements``: float64 arrays (n,): ``a_m`` [m] semi-major axis, ``e`` [1] eccentricity,
      ``i_rad`` [rad] inclination, ``raan_rad`` [rad] right ascension of the ascending node,
      ``argp_rad`` [rad] argument of perigee, ``mean_anomaly_rad`` [rad], at the epoch, ECI
      (angles in [0, 2 pi)).
    - ``states``: ``r_eci_m`` [m] (n, 3), ``v_eci_m_s`` [m/s] (n, 3), at the epoch.

    The other is ``None``. ``cluster`` groups also carry ``formation``: the reference orbit's
    design (mean) elements ``reference_elements`` (6,) (a_m, e, i_rad, raan_rad, argp_rad,
    mean_anomaly_rad) and the ``offsets_rsw_m`` (n, 3) and ``rates_rsw_per_n`` ((n, 3) or
    None) of :func:`cluster_states`, so that the formation can be placed again around an
    osculating reference (``orbital_sim.fleet``, Cowell).
    """

    class_name: str
    names: list[str]
    elements: dict[str, np.ndarray] | None = None
    states: dict[str, np.ndarray] | None = None
    formation: dict | None = None

    @property
    def n_nodes(self) -> int:
        """Number of nodes in the group."""
        return len(self.names)


def sso_inclination_rad(a_m, e=0.0):
    """Inclination [rad] of a sun-synchronous orbit, from the J2 secular node rate.

    cos i = -(2/3) (dOmega/dt)_ss (1 - e^2)^2 a^(7/2) / (J2 R^2 sqrt(GM))
    (from the J2 node rate dOmega/dt = -(3/2) n J2 (R/p)^2 cos i, Vallado, *Fundamentals of
    Astrodynamics and Applications*; Wertz, SMAD; REFERENCE.md), with (dOmega/dt)_ss = 360 deg
    per tropical year.
    ``a_m``: [m] semi-major axis; ``e``: eccentricity; scalars or arrays of one shape.
    Returns NaN where no such orbit exists (|cos i| > 1: a circular orbit above about 5 974 km
    altitude). At 650 km, circular: 97.99 deg.
    """
    a_m = np.asarray(a_m, dtype=np.float64)
    e = np.asarray(e, dtype=np.float64)
    cos_i = (
        -(2.0 / 3.0)
        * SSO_NODE_RATE_RAD_S
        * (1.0 - e**2) ** 2
        * a_m**3.5
        / (J2_EARTH * R_EARTH_EQ_M**2 * math.sqrt(GM_EARTH_M3_S2))
    )
    with np.errstate(invalid="ignore"):
        out = np.where(np.abs(cos_i) <= 1.0, np.arccos(np.clip(cos_i, -1.0, 1.0)), np.nan)
    return out[()] if out.ndim == 0 else out


def mean_sun_right_ascension_rad(epoch) -> float:
    """Right ascension [rad] of the mean Sun at a UTC epoch, J2000 equinox, in [0, 2 pi).

    Mean longitude of the Sun (Astronomical Almanac low-precision formula)
    L = 280.460 deg + 0.9856474 deg * n, n = JD(UT) - 2451545.0 (UTC used for UT1, < 1 s),
    which is the right ascension of the fictitious mean Sun on the mean equator of date, then
    precessed to the J2000 equinox with m = 1.2812323 deg/century. Error about 0.01 deg over
    1950-2100. The true Sun differs from it by the equation of time (up to 16 min = 4 deg).
    """
    whole, fraction = timescales.julian_date_utc_two_part(epoch)
    n_days = (whole - 2451545.0) + fraction
    ra_deg = (
        _MEAN_SUN_L0_DEG
        + _MEAN_SUN_RATE_DEG_PER_DAY * n_days
        - _PRECESSION_RA_DEG_PER_CENTURY * n_days / 36525.0
    )
    return math.radians(ra_deg % 360.0)


def sso_raan_rad(ltan_h, epoch):
    """RAAN [rad] in [0, 2 pi) of a sun-synchronous plane with local time of ascending node
    ``ltan_h`` [h] (local mean solar time, in [0, 24)) at the UTC ``epoch``.

    The local mean time of a node is 12 h plus the hour angle, from the mean Sun, of the node:
    RAAN = RA_mean_sun + (LTAN - 12 h) * 15 deg/h. So a dawn-dusk orbit (LTAN 18:00) has its
    ascending node 90 deg east of the mean Sun. Scalar or array ``ltan_h``.
    """
    ra_sun = mean_sun_right_ascension_rad(epoch)
    raan = ra_sun + np.radians((np.asarray(ltan_h, dtype=np.float64) - 12.0) * 15.0)
    out = np.mod(raan, 2.0 * math.pi)
    return out[()] if out.ndim == 0 else out


def node_names(entry: ConstellationEntry) -> list[str]:
    """The node names of an entry, in the order :func:`build_group` places the nodes."""
    p = entry.params
    if entry.type in ("sso", "walker_delta"):
        planes = int(p["planes"])
        per_plane = int(p["nodes_per_plane"]) if entry.type == "sso" else int(p["total"]) // planes
        return [f"{entry.name}-p{j:02d}-s{k:03d}" for j in range(planes) for k in range(per_plane)]
    if entry.type == "elements":
        n = len(p["a_m"])
    elif entry.type == "states":
        n = len(p["r_eci_m"])
    elif entry.type == "tle":  # {prefix}-{catalog}[-{title}]: the satellite, not a counter
        import re

        names = [f"{entry.name}-{t.catalog}" + (f"-{re.sub(r'[^A-Za-z0-9.+-]+', '_', t.name).strip('_')}"
                                                if t.name.strip() else "") for t in p["tles"]]
        if len(set(names)) < len(names):  # the same satellite twice (two epochs): the index keeps them apart
            names = [f"{name}-{k:04d}" for k, name in enumerate(names)]
        return names
    elif entry.type == "cluster":
        n = entry_size(entry)
    else:
        raise ValueError(f"unknown constellation type {entry.type!r}")
    return [f"{entry.name}-{k:04d}" for k in range(n)]


def entry_size(entry: ConstellationEntry) -> int:
    """Number of nodes an entry places (without building it)."""
    p = entry.params
    if entry.type == "sso":
        return int(p["planes"]) * int(p["nodes_per_plane"])
    if entry.type == "walker_delta":
        return int(p["total"])
    if entry.type == "elements":
        return len(p["a_m"])
    if entry.type == "states":
        return len(p["r_eci_m"])
    if entry.type == "cluster":
        return int(p["nodes"]) if p.get("nodes") is not None else len(p["offsets_rsw_m"])
    if entry.type == "tle":
        return len(p["tles"])
    raise ValueError(f"unknown constellation type {entry.type!r}")


def build_groups(entries_validated, simulation) -> list[NodeGroup]:
    """One :class:`NodeGroup` per validated entry, in order.

    ``entries_validated``: sequence of :class:`ConstellationEntry`; ``simulation``: anything with
    an ``epoch`` attribute (an aware UTC ``datetime``), e.g. ``SimulationConfig``.
    """
    return [build_group(entry, simulation.epoch) for entry in entries_validated]


def build_group(entry: ConstellationEntry, epoch) -> NodeGroup:
    """The :class:`NodeGroup` of one validated entry at the UTC ``epoch``."""
    builders = {
        "sso": _build_sso,
        "walker_delta": _build_walker_delta,
        "elements": _build_elements,
        "states": _build_states,
        "cluster": _build_cluster,
        "tle": _build_tle,
    }
    if entry.type not in builders:
        raise ValueError(f"unknown constellation type {entry.type!r}")
    names = node_names(entry)
    arrays = builders[entry.type](entry.params, epoch)
    if entry.type in ("states", "cluster", "tle"):
        formation = arrays.pop("formation", None)
        return NodeGroup(class_name=entry.node_class, names=names, states=arrays, formation=formation)
    return NodeGroup(class_name=entry.node_class, names=names, elements=arrays)


def _elements(a_m, e, i_rad, raan_rad, argp_rad, mean_anomaly_rad) -> dict[str, np.ndarray]:
    two_pi = 2.0 * math.pi
    f64 = lambda x: np.ascontiguousarray(x, dtype=np.float64)  # noqa: E731
    return {
        "a_m": f64(a_m),
        "e": f64(e),
        "i_rad": f64(i_rad),
        "raan_rad": f64(np.mod(raan_rad, two_pi)),
        "argp_rad": f64(np.mod(argp_rad, two_pi)),
        "mean_anomaly_rad": f64(np.mod(mean_anomaly_rad, two_pi)),
    }


def _build_sso(p, epoch):
    """Sun-synchronous planes.

    ``ltan_h`` with one value per plane: plane j has RAAN from its own LTAN. A single value
    shared by several planes puts them all in the same orbital plane. In both cases slot k of
    plane j sits at mean anomaly (= mean argument of latitude, argp = 0)
    k * 360/N + j * 360/(P N) deg (N nodes per plane, P planes): evenly spaced within a plane,
    and the planes interleaved so that no two nodes share an argument of latitude (for a
    shared LTAN they would otherwise coincide; for distinct LTANs they would all cross the
    polar region together).
    """
    planes = int(p["planes"])
    per_plane = int(p["nodes_per_plane"])
    a_m = R_EARTH_EQ_M + float(p["altitude_m"])
    e = float(p["e"])
    ltan = np.asarray(p["ltan_h"], dtype=np.float64).reshape(-1)
    if ltan.size == 1:
        ltan = np.full(planes, ltan[0])
    if ltan.size != planes:
        raise ValueError(f"ltan_h has {ltan.size} values for {planes} planes")
    plane = np.repeat(np.arange(planes), per_plane)
    slot = np.tile(np.arange(per_plane), planes)
    n = planes * per_plane
    raan = np.asarray(sso_raan_rad(ltan, epoch))[plane]
    mean_anomaly = 2.0 * math.pi * (slot / per_plane + plane / (planes * per_plane))
    inclination = float(sso_inclination_rad(a_m, e))
    return _elements(
        np.full(n, a_m), np.full(n, e), np.full(n, inclination), raan, np.zeros(n), mean_anomaly
    )


def _build_walker_delta(p, epoch):
    """Walker delta i: t/p/f: plane j (0..p-1) at RAAN raan0 + j 360/p; slot k (0..t/p-1) at
    mean anomaly k 360/(t/p) + j f 360/t (circular orbits, argp = 0)."""
    total = int(p["total"])
    planes = int(p["planes"])
    phasing = int(p["phasing"])
    per_plane = total // planes
    plane = np.repeat(np.arange(planes), per_plane)
    slot = np.tile(np.arange(per_plane), planes)
    raan = float(p["raan0_rad"]) + 2.0 * math.pi * plane / planes
    mean_anomaly = 2.0 * math.pi * (slot / per_plane + plane * phasing / total)
    a_m = R_EARTH_EQ_M + float(p["altitude_m"])
    return _elements(
        np.full(total, a_m),
        np.zeros(total),
        np.full(total, float(p["inclination_rad"])),
        raan,
        np.zeros(total),
        mean_anomaly,
    )


def _build_elements(p, epoch):
    return _elements(
        p["a_m"], p["e"], p["i_rad"], p["raan_rad"], p["argp_rad"], p["mean_anomaly_rad"]
    )


def _build_states(p, epoch):
    r = np.array(p["r_eci_m"], dtype=np.float64).reshape(-1, 3)
    v = np.array(p["v_eci_m_s"], dtype=np.float64).reshape(-1, 3)
    return {"r_eci_m": r, "v_eci_m_s": v}


# --------------------------------------------------------------------------------------------
# cluster: nodes in formation about a reference orbit
# --------------------------------------------------------------------------------------------

_GOLDEN_ANGLE_RAD = math.pi * (3.0 - math.sqrt(5.0))  # Vogel's sunflower spiral (Vogel 1979)


def _kepler_state(a_m, e, i_rad, raan_rad, argp_rad, mean_anomaly_rad):
    """ECI position [m] and velocity [m/s], shape (3,), of one set of Keplerian elements
    (two-body; Newton iteration on Kepler's equation; Vallado, Algorithm 10 (COE2RV))."""
    m = float(mean_anomaly_rad)
    big_e = m if e < 0.8 else math.pi
    for _ in range(50):
        step = (big_e - e * math.sin(big_e) - m) / (1.0 - e * math.cos(big_e))
        big_e -= step
        if abs(step) < 1e-15:
            break
    p = a_m * (1.0 - e * e)
    nu = 2.0 * math.atan2(math.sqrt(1.0 + e) * math.sin(big_e / 2), math.sqrt(1.0 - e) * math.cos(big_e / 2))
    r_pf = np.array([math.cos(nu), math.sin(nu), 0.0]) * p / (1.0 + e * math.cos(nu))
    v_pf = np.array([-math.sin(nu), e + math.cos(nu), 0.0]) * math.sqrt(GM_EARTH_M3_S2 / p)
    co, so = math.cos(raan_rad), math.sin(raan_rad)
    ci, si = math.cos(i_rad), math.sin(i_rad)
    cw, sw = math.cos(argp_rad), math.sin(argp_rad)
    rot = np.array([
        [co * cw - so * sw * ci, -co * sw - so * cw * ci, so * si],
        [so * cw + co * sw * ci, -so * sw + co * cw * ci, -co * si],
        [sw * si, cw * si, ci],
    ])
    return rot @ r_pf, rot @ v_pf


def cluster_offsets_rsw(nodes: int, radius_m: float):
    """Offsets [m] (n, 3) and relative velocities [m/s per rad/s of mean motion] (n, 3), in
    the reference orbit's (radial, along-track, cross-track) frame, of the ``orbit_plane``
    layout: a planar free-flying formation in the orbital plane.

    Each node flies the bounded Hill-Clohessy-Wiltshire relative orbit x = A cos(nt + a),
    y = -2 A sin(nt + a), centred on the reference: a 2:1 ellipse, radial by along-track,
    turned once per orbit. The amplitudes A and phases a fill a disk of radius R/2 in the
    (x, y/2) plane evenly (Vogel's sunflower spiral), so the formation is an ellipse of
    radial semi-axis R/2 and along-track semi-axis R that turns rigidly in (x, y/2): every
    node stays within R of the reference, and the distances between neighbours breathe
    twice per orbit (81 nodes in R = 1 km: nearest neighbours 90-160 m apart; Suncatcher,
    arXiv 2511.19468, Fig. 2, quotes 100-200 m for its layout). Velocities at t = 0: x' = n y/2, y' = -2 n x, z' = 0, returned
    divided by n.
    """
    k = np.arange(int(nodes), dtype=np.float64)
    amplitude = 0.5 * float(radius_m) * np.sqrt((k + 0.5) / nodes)
    phase = k * _GOLDEN_ANGLE_RAD
    x = amplitude * np.cos(phase)
    y = -2.0 * amplitude * np.sin(phase)
    offsets = np.stack([x, y, np.zeros_like(x)], axis=1)
    rates = np.stack([y / 2.0, -2.0 * x, np.zeros_like(x)], axis=1)
    return offsets, rates


def cluster_states(r_ref_m, v_ref_m_s, offsets_rsw_m, rates_rsw_per_n=None):
    """ECI states (r [m], v [m/s], each (n, 3)) of nodes at RSW offsets from a reference state.

    ``r_ref_m``, ``v_ref_m_s``: (3,) reference ECI state; ``offsets_rsw_m``: (n, 3) offsets
    (radial, along-track, cross-track) [m]; ``rates_rsw_per_n``: (n, 3) relative velocities in
    the rotating RSW frame divided by the mean motion n [m per rad]; None gives the
    Hill-Clohessy-Wiltshire no-drift rate (0, -2 x, 0) (Clohessy and Wiltshire 1960; Vallado,
    section 6.8), under which an offset is kept on average. The inertial velocity is
    v_ref + rho' + omega x rho, omega = |r x v| / r^2 along the orbit normal; then each speed
    is scaled (by about (offset / a)^2) so that every node has the reference's orbital energy,
    hence its two-body period: the formation does not drift apart in along-track.
    """
    r_ref = np.asarray(r_ref_m, dtype=np.float64)
    v_ref = np.asarray(v_ref_m_s, dtype=np.float64)
    rho = np.asarray(offsets_rsw_m, dtype=np.float64).reshape(-1, 3)
    h = np.cross(r_ref, v_ref)
    r_norm = np.linalg.norm(r_ref)
    r_hat = r_ref / r_norm
    w_hat = h / np.linalg.norm(h)
    s_hat = np.cross(w_hat, r_hat)
    basis = np.stack([r_hat, s_hat, w_hat])  # rows: R, S, W in ECI
    a_ref = 1.0 / (2.0 / r_norm - v_ref @ v_ref / GM_EARTH_M3_S2)
    n_mean = math.sqrt(GM_EARTH_M3_S2 / a_ref**3)
    omega = np.linalg.norm(h) / r_norm**2
    if rates_rsw_per_n is None:
        rates = np.stack([np.zeros(len(rho)), -2.0 * rho[:, 0], np.zeros(len(rho))], axis=1)
    else:
        rates = np.asarray(rates_rsw_per_n, dtype=np.float64).reshape(-1, 3)
    rho_dot = n_mean * rates
    frame_rate = omega * np.stack([-rho[:, 1], rho[:, 0], np.zeros(len(rho))], axis=1)  # omega W x rho
    r = r_ref + rho @ basis
    v = v_ref + (rho_dot + frame_rate) @ basis
    r_norms = np.linalg.norm(r, axis=1)
    speed = np.sqrt(2.0 * GM_EARTH_M3_S2 * (1.0 / r_norms - 1.0 / (2.0 * a_ref)))
    v *= (speed / np.linalg.norm(v, axis=1))[:, None]
    return r, v


def _build_cluster(p, epoch):
    a_m = R_EARTH_EQ_M + float(p["altitude_m"])
    e = float(p["e"])
    if p.get("ltan_h") is not None:
        inclination = float(sso_inclination_rad(a_m, e))
        raan = float(sso_raan_rad(p["ltan_h"], epoch))
    else:
        inclination, raan = float(p["inclination_rad"]), float(p["raan_rad"])
    r_ref, v_ref = _kepler_state(a_m, e, inclination, raan, float(p["argp_rad"]), float(p["mean_anomaly_rad"]))
    if p["layout"] == "orbit_plane":
        offsets, rates = cluster_offsets_rsw(int(p["nodes"]), float(p["radius_m"]))
    else:
        offsets, rates = np.asarray(p["offsets_rsw_m"], dtype=np.float64).reshape(-1, 3), None
    r, v = cluster_states(r_ref, v_ref, offsets, rates)
    reference = np.array([a_m, e, inclination, raan, float(p["argp_rad"]), float(p["mean_anomaly_rad"])])
    return {"r_eci_m": r, "v_eci_m_s": v,
            "formation": {"reference_elements": reference, "offsets_rsw_m": offsets, "rates_rsw_per_n": rates}}


def _build_tle(p, epoch):
    from orbital_sim.tle import tle_states_eci

    r, v, _ = tle_states_eci(p["tles"], epoch)  # error codes were checked with the config
    return {"r_eci_m": r, "v_eci_m_s": v}
