"""Ground stations: Earth rotation, station positions, visibility, slant range and light time.

Verdict on the frame chain (station ITRS -> ECI, the GCRS axes the orbit is integrated in):

    r_eci = P^T(t_TT) . R3(-GMST(t_UT1, t_TT)) . r_itrs

- Earth rotation: the IAU 2000 Earth rotation angle (IERS Conventions 2010, eq. 5.15),
  ``ERA = 2 pi (0.7790572732640 + 1.00273781191135448 Tu)``, Tu = JD(UT1) - 2451545.0, and the
  IAU 2006 Greenwich mean sidereal time built on it (Capitaine et al. 2005; IERS Conventions
  2010, eq. 5.32): ``GMST = ERA + 0.014506" + 4612.156534" t + 1.3915817" t^2 - ...`` with t in
  Julian centuries of TT. GMST is the angle of the mean equinox of date, so the station is
  carried to the mean equator and equinox of date.
- Precession: the IAU 1976 angles zeta, z, theta of kernels/sun.py take the mean of date to
  J2000 (the ECI axes). It cannot be neglected: from J2000 to 2026 the equinox precesses by
  about 0.36 deg, i.e. 40 km at the equator, and the celestial pole tilts by 0.145 deg (its
  CIP X coordinate, 2004.19"/century), i.e. 16 km at the station, enough to move a low-orbit
  satellite's elevation by about 2 deg at the zenith and its rise and set times by seconds.
  Using ERA alone (without the CIO-based pole offset) would leave the 16 km; GMST alone
  (without precession) would leave 40 km. Mixing the IAU 2006 GMST with IAU 1976 precession
  costs under 0.01" (the two precession rates differ by 0.3"/century).
- Neglected, with their effect at the station (bounds, measured against ERFA's full IAU
  2006/2000A chain in tests/kernels/test_ground.py):
  nutation (equation of the equinoxes up to 17.2" x cos(eps) = 16" in right ascension and
  9.2" in obliquity): at most 0.5 km at the equator;
  UT1 - UTC (kept below 0.9 s by leap seconds): UT1 is taken equal to UTC at the epoch and
  advanced at the SI rate, so the Earth angle is off by |UT1 - UTC| x 7.29e-5 rad/s, at most
  0.42 km at the equator (465 m/s x 0.9 s); the length-of-day excess (about 1 ms/day) adds
  0.5 m per day of run;
  polar motion (below 0.5"): at most 15 m;
  frame bias between J2000 and the GCRS (23 mas): below 1 m.
  In total under about 1 km at the station (measured: at most 299 m over 1950-2050 against
  ERFA, without the UT1 - UTC part): under 3.3 us of light time, under 0.1 deg of elevation
  for a satellite 600 km away, and rise and set times within about 0.2 s in LEO.

Light time: ``range / c`` with the geometric range at the sampled instant. Neglected: the
satellite's motion during the light time (7.5 km/s x 10 ms = 75 m, 0.25 us), the station's
motion (Sagnac, under 5 m), the troposphere (2.3 m at the zenith, about 25 m at 5 deg
elevation: under 0.1 us) and the ionosphere (metres to tens of metres at radio frequencies;
none for optical links). Geodetic positions on the WGS-84 ellipsoid; the horizon is the plane
normal to the ellipsoid at the station (geodetic vertical); atmospheric refraction (0.5 deg at
the horizon) is neglected: it is what the elevation mask is for.

The chunk stage (:func:`ground_node_step`) is written for one node and vmapped by
kernels/model.py; the station frame (:func:`stations_eci`) is computed once per step for all
nodes. Running figures per node and station (:class:`GroundState`): visible time, minimum and
maximum one-way light time while visible, the current and longest gap without contact (a
whole number of steps: the true gap lies within one step of it; the gaps before the first and
after the last contact end at the run's edges), and a histogram of the light time while
visible, from which the runner takes the median. The histogram has ``n_bins`` equal bins over
``[0, n_bins * latency_bin_s)`` (the runner picks the width from the fleet's highest apogee);
the median is the centre of the bin holding it: resolution ``latency_bin_s``, error at most
half of it. Light times beyond the last bin are counted in it (the runner's bound makes that
impossible unless an orbit is raised during the run).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp

from . import constants as c
from .pytree import pytree_dataclass
from .safe import safe_sqrt
from .sun import julian_centuries_tt, precession_angles_rad, rot_y, rot_z

_TURN = 2.0 * jnp.pi
#: IAU 2000 Earth rotation angle at J2000.0 UT1 [turns] and rate [turns per UT1 day]
#: (IERS Conventions 2010, eq. 5.15)
ERA_AT_J2000_TURNS = 0.7790572732640
ERA_RATE_TURNS_PER_DAY = 1.00273781191135448
#: IAU 2006 GMST - ERA polynomial in Julian centuries of TT [arcsec] (IERS Conventions 2010,
#: eq. 5.32; Capitaine, Wallace & Chapront 2005)
GMST_MINUS_ERA_ARCSEC = (0.014506, 4612.156534, 1.3915817, -0.00000044, -0.000029956, -0.0000000368)


@pytree_dataclass
class GroundParams:
    """The ground stations of a run (S stations) and the time scales they need; no node axis."""

    station_itrs_m: Any  #: [m] (S, 3) station positions in the ITRS (Earth-fixed)
    station_up_itrs: Any  #: [1] (S, 3) unit geodetic vertical (normal to the WGS-84 ellipsoid)
    elevation_mask_rad: Any  #: [rad] (S,) lowest elevation at which a node is in contact
    epoch_jd_ut1_whole: Any  #: [day] () whole part of the epoch's Julian date in UT1 (~ UTC)
    epoch_jd_ut1_fraction: Any  #: [day] () fractional part
    latency_bin_s: Any  #: [s] () width of one light-time histogram bin


@pytree_dataclass
class GroundState:
    """Running figures of one node towards each of the S stations (B histogram bins); add a
    leading node axis for the fleet. Only healthy, active steps count."""

    visible_s: Any  #: [s] (S,) time in contact (number of visible steps x step)
    latency_min_s: Any  #: [s] (S,) shortest one-way light time while visible (+inf: never)
    latency_max_s: Any  #: [s] (S,) longest one-way light time while visible (-inf: never)
    gap_current_s: Any  #: [s] (S,) time since the last contact (or since the start)
    gap_max_s: Any  #: [s] (S,) longest time without contact so far
    latency_hist: Any  #: [1] (S, B) int32 visible steps per light-time bin


def init_ground_state(n_stations: int, n_bins: int) -> GroundState:
    """Empty running figures of one node (vmap or broadcast for the fleet)."""
    zero = jnp.zeros((n_stations,), jnp.float64)
    return GroundState(
        visible_s=zero, latency_min_s=jnp.full((n_stations,), jnp.inf, jnp.float64),
        latency_max_s=jnp.full((n_stations,), -jnp.inf, jnp.float64), gap_current_s=zero, gap_max_s=zero,
        latency_hist=jnp.zeros((n_stations, n_bins), jnp.int32),
    )


def earth_rotation_angle_rad(jd_ut1_whole, jd_ut1_fraction):
    """IAU 2000 Earth rotation angle [rad] in [0, 2 pi) (IERS Conventions 2010, eq. 5.15).

    ``jd_ut1_whole + jd_ut1_fraction``: the UT1 Julian date in two parts [day], float64; the
    whole day's fraction is taken apart first so the angle keeps ~1e-15 turn resolution.
    """
    whole = jnp.asarray(jd_ut1_whole, jnp.float64)
    fraction = jnp.asarray(jd_ut1_fraction, jnp.float64)
    tu = (whole - c.JD_J2000) + fraction
    day_turns = jnp.mod(whole, 1.0) + jnp.mod(fraction, 1.0)  # whole turns of the day drop out
    turns = day_turns + ERA_AT_J2000_TURNS + (ERA_RATE_TURNS_PER_DAY - 1.0) * tu
    return _TURN * jnp.mod(turns, 1.0)


def gmst_rad(jd_ut1_whole, jd_ut1_fraction, jd_tt_whole, jd_tt_fraction):
    """IAU 2006 Greenwich mean sidereal time [rad] in [0, 2 pi): ERA(UT1) plus the
    precession-in-right-ascension polynomial in TT (IERS Conventions 2010, eq. 5.32)."""
    t = julian_centuries_tt(jd_tt_whole, jd_tt_fraction)
    poly = 0.0
    for coeff in reversed(GMST_MINUS_ERA_ARCSEC):
        poly = poly * t + coeff
    angle = earth_rotation_angle_rad(jd_ut1_whole, jd_ut1_fraction) + poly * c.ARCSEC_RAD
    return jnp.mod(angle, _TURN)


def itrs_to_eci_matrix(jd_ut1_whole, jd_ut1_fraction, jd_tt_whole, jd_tt_fraction):
    """(3, 3) rotation taking Earth-fixed (ITRS) vectors to ECI (J2000/GCRS axes):
    ``P^T R3(-GMST)``, with the IAU 1976 precession P from J2000 to the mean of date.
    Nutation, polar motion and UT1 - UTC neglected (module docstring: under ~1 km at the surface)."""
    theta_g = gmst_rad(jd_ut1_whole, jd_ut1_fraction, jd_tt_whole, jd_tt_fraction)
    zeta, z, theta = precession_angles_rad(julian_centuries_tt(jd_tt_whole, jd_tt_fraction))
    precession = rot_z(-z) @ rot_y(theta) @ rot_z(-zeta)  # J2000 -> mean of date
    return precession.T @ rot_z(-theta_g)


def geodetic_to_itrs(latitude_rad, longitude_rad, altitude_m):
    """WGS-84 geodetic coordinates -> (ITRS position [m] (..., 3), unit geodetic vertical (..., 3)).

    ``N = a / sqrt(1 - e^2 sin^2 lat)``; ``x, y = (N + h) cos lat (cos lon, sin lon)``,
    ``z = (N (1 - e^2) + h) sin lat`` (NIMA TR8350.2, eq. 4-14).
    """
    lat = jnp.asarray(latitude_rad, jnp.float64)
    lon = jnp.asarray(longitude_rad, jnp.float64)
    h = jnp.asarray(altitude_m, jnp.float64)
    f = 1.0 / c.WGS84_INV_FLATTENING
    e2 = f * (2.0 - f)
    sin_lat, cos_lat = jnp.sin(lat), jnp.cos(lat)
    n = c.WGS84_A_M / jnp.sqrt(1.0 - e2 * sin_lat * sin_lat)
    r = jnp.stack([(n + h) * cos_lat * jnp.cos(lon), (n + h) * cos_lat * jnp.sin(lon),
                   (n * (1.0 - e2) + h) * sin_lat], axis=-1)
    up = jnp.stack([cos_lat * jnp.cos(lon), cos_lat * jnp.sin(lon), sin_lat], axis=-1)
    return r, up


def stations_eci(ground: GroundParams, env_jd_tt_whole, env_jd_tt_fraction, t_s):
    """Station positions [m] and unit verticals, both (S, 3), in ECI at ``t_s`` seconds after the
    epoch (float64). ``env_jd_tt_*``: the epoch's TT Julian date in two parts."""
    t = jnp.asarray(t_s, jnp.float64)
    days = t / c.SECONDS_PER_DAY
    m = itrs_to_eci_matrix(ground.epoch_jd_ut1_whole, ground.epoch_jd_ut1_fraction + days,
                           env_jd_tt_whole, env_jd_tt_fraction + days)
    return ground.station_itrs_m @ m.T, ground.station_up_itrs @ m.T


def look_geometry(r_eci_m, station_eci_m, up_eci):
    """Elevation [rad] (S,) of a node above each station's horizon and the slant range [m] (S,).

    ``r_eci_m`` (3,): the node; ``station_eci_m``, ``up_eci`` (S, 3). Elevation from
    ``atan2(rho . up, |rho - (rho . up) up|)`` (no arcsin near the zenith; finite gradient
    except exactly at the station).
    """
    rho = r_eci_m[None, :] - station_eci_m
    up_part = jnp.sum(rho * up_eci, axis=-1)
    horiz = rho - up_part[:, None] * up_eci
    range_m = jnp.sqrt(jnp.sum(rho * rho, axis=-1))
    horiz2 = jnp.sum(horiz * horiz, axis=-1)
    horiz_m = safe_sqrt(horiz2)
    return jnp.arctan2(up_part, horiz_m), range_m


def light_time_s(range_m):
    """One-way light time [s] over a geometric range [m]: ``range / c``."""
    return range_m / c.SPEED_OF_LIGHT_M_S


def ground_node_step(ground: GroundParams, gstate: GroundState, r_eci_m, station_eci_m, up_eci, dt_s, count):
    """Update one node's running figures for the step ending at the sampled instant.

    ``r_eci_m`` (3,): the node's position at the end of the step (float64);
    ``station_eci_m``, ``up_eci`` (S, 3) from :func:`stations_eci` at that instant;
    ``count``: bool, False leaves ``gstate`` unchanged (padding steps, a faulted node).
    Returns ``(gstate, diagnostics)`` with ``visible`` (S,) 0/1 and ``slant_range`` (S,) [m]
    (NaN when not visible).
    """
    elevation, range_m = look_geometry(jnp.asarray(r_eci_m, jnp.float64), station_eci_m, up_eci)
    visible = elevation >= ground.elevation_mask_rad
    latency = light_time_s(range_m)
    dt = jnp.asarray(dt_s, jnp.float64)
    n_bins = gstate.latency_hist.shape[-1]
    bin_index = jnp.clip(jnp.floor(latency / ground.latency_bin_s), 0, n_bins - 1).astype(jnp.int32)
    counted = visible & count
    gap = jnp.where(visible, 0.0, gstate.gap_current_s + dt)
    stepped = GroundState(
        visible_s=gstate.visible_s + jnp.where(visible, dt, 0.0),
        latency_min_s=jnp.where(visible, jnp.minimum(gstate.latency_min_s, latency), gstate.latency_min_s),
        latency_max_s=jnp.where(visible, jnp.maximum(gstate.latency_max_s, latency), gstate.latency_max_s),
        gap_current_s=gap,
        gap_max_s=jnp.maximum(gstate.gap_max_s, gap),
        latency_hist=gstate.latency_hist.at[jnp.arange(visible.shape[0]), bin_index].add(
            counted.astype(jnp.int32)),
    )
    new = jax.tree_util.tree_map(lambda n, o: jnp.where(count, n, o), stepped, gstate)
    diagnostics = {
        "visible": jnp.where(count, visible.astype(jnp.float64), jnp.nan),
        "slant_range": jnp.where(count & visible, range_m, jnp.nan),
    }
    return new, diagnostics

