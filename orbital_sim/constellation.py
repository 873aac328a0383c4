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

Names: ``{prefix}-p{plane:02d}-s{slot:03d}`` for ``sso`` and ``walker_delta`` (plane and slot
counted from 0), ``{prefix}-{k:04d}`` for ``elements`` and ``states`` (k from 0).
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
    "entry_size",
    "mean_sun_right_ascension_rad",
    "node_names",
    "sso_inclination_rad",
    "sso_raan_rad",
]

ENTRY_TYPES = ("states", "elements", "sso", "walker_delta")

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

    The other is ``None``.
    """

    class_name: str
    names: list[str]
    elements: dict[str, np.ndarray] | None = None
    states: dict[str, np.ndarray] | None = None

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
    }
    if entry.type not in builders:
        raise ValueError(f"unknown constellation type {entry.type!r}")
    names = node_names(entry)
    arrays = builders[entry.type](entry.params, epoch)
    if entry.type == "states":
        return NodeGroup(class_name=entry.node_class, names=names, states=arrays)
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
