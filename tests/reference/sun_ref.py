"""Independent Sun reference: astropy/ERFA apparent geocentric Sun, plus published values.

``sun_gcrs_m`` returns ``astropy.coordinates.get_sun``: the Earth's heliocentric position from
ERFA ``epv00`` (VSOP2000-based, a few km over 1900-2100), with annual aberration (Earth's
barycentric velocity, ``erfa.ab``) applied to the direction, in GCRS; the distance is the
geometric Earth-Sun distance at that instant. This is the "apparent" geocentric Sun of SPEC 2.

Offline: nothing here downloads. At import ``astropy.utils.iers.conf.auto_download`` is set to
False (astropy then uses the IERS tables bundled in ``astropy-iers-data``), and every call runs
with ``astropy.utils.data.conf.allow_internet = False``. get_sun in GCRS needs only UTC->TT->TDB
(leap seconds + the TDB-TT series), never UT1 or polar motion, so it works for any date; for
UTC beyond the bundled leap-second table ERFA warns "dubious year" and keeps the last
TAI-UTC: that warning is silenced here (give TT Julian dates to avoid UTC altogether). ERFA's
own warning for dates outside epv00's 1900-2100 range is left visible.

``TABULATED_SUN`` holds published apparent positions exactly as printed (frame, time scale,
units), and ``astropy_sun_like`` converts the astropy reference into the same frame and units so
a test can compare the two directly.
"""

import contextlib
import warnings

import astropy.units as u
import erfa
import numpy as np
from astropy.coordinates import GeocentricTrueEcliptic, TETE, get_sun
from astropy.time import Time
from astropy.utils import data as _astropy_data
from astropy.utils import iers as _iers

from .constants_ref import AU_M

_iers.conf.auto_download = False


def _hms_deg(h, m, s):
    return 15.0 * (h + m / 60.0 + s / 3600.0)


def _dms_deg(sign, d, m, s):
    return sign * (d + m / 60.0 + s / 3600.0)


# Published apparent geocentric Sun positions, stored as published.
# Each entry: time (ISO string) and its time scale; frame (astropy frame name the values are
# referred to); the values with units in their keys; precision_* = the last printed digit;
# tolerance_* = what a comparison with astropy may allow: Meeus's reduction (FK5, IAU 1976
# precession, IAU 1980 nutation, VSOP87) and astropy's (ICRS, IAU 2006/2000A, epv00) differ by
# a few 0.01 arcsec, more than the printed digit, so 0.1 arcsec (and 3e-8 AU, epv00's few km).
TABULATED_SUN = [
    dict(
        # Meeus, Astronomical Algorithms, 2nd ed. (Willmann-Bell 1998), Example 25.b, p. 169:
        # the "correct values" from the complete VSOP87 theory for 1992 October 13.0 TD
        # (JDE 2448908.5), apparent right ascension and declination, referred to the true
        # equator and equinox of date. The same numbers are used as Astronomical Almanac values
        # in sunpy's test suite (sunpy/sun/tests/test_sun.py).
        source="Meeus 1998, Example 25.b (complete VSOP87)",
        time="1992-10-13T00:00:00", time_scale="tt", frame="TETE",
        ra_deg=_hms_deg(13, 13, 30.749),  # 13h13m30.749s
        dec_deg=_dms_deg(-1, 7, 47, 1.74),  # -7d47'01.74"
        distance_au=0.99760853,  # R (geometric), complete VSOP87
        precision_arcsec=0.015,  # 0.001 s of RA (0.015"); Dec printed to 0.01"
        precision_au=1e-8,
        tolerance_arcsec=0.1,
        tolerance_au=3e-8,
    ),
    dict(
        # Same example: apparent ecliptic longitude and latitude of the Sun, referred to the
        # true ecliptic and equinox of date (lambda = 199d54'21.56", beta = +0.72").
        source="Meeus 1998, Example 25.b (complete VSOP87)",
        time="1992-10-13T00:00:00", time_scale="tt", frame="GeocentricTrueEcliptic",
        lon_deg=_dms_deg(1, 199, 54, 21.56),
        lat_deg=_dms_deg(1, 0, 0, 0.72),
        distance_au=0.99760853,
        precision_arcsec=0.01,
        precision_au=1e-8,
        tolerance_arcsec=0.1,
        tolerance_au=3e-8,
    ),
]


def _quiet():
    """Context: no internet for astropy, and no ERFA "dubious year" warning (UTC beyond the
    leap-second table: TAI-UTC is held at its last value)."""
    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.filterwarnings("ignore", message=".*dubious year.*", category=erfa.ErfaWarning)
    stack.enter_context(_astropy_data.conf.set_temp("allow_internet", False))
    return stack


def _time(t, scale):
    if isinstance(t, Time):
        return t
    with _quiet():
        return Time(t, scale=scale)


def _get_sun(time):
    with _quiet():
        return get_sun(time)


def sun_gcrs_m(utc_iso_or_list):
    """Apparent geocentric Sun in GCRS, metres, shape (n, 3).

    utc_iso_or_list: one ISO 8601 UTC string (e.g. "2026-01-01T00:00:00"), a list of them, or
    an astropy ``Time`` (any scale). Direction accurate to well under 0.1 arcsec and distance to
    a few km (epv00) over 1900-2100.
    """
    t = _time(utc_iso_or_list, "utc")
    xyz_m = _get_sun(t).cartesian.xyz.to_value(u.m)
    return np.atleast_2d(np.asarray(xyz_m).T)


def sun_gcrs_m_from_jd_tt(jd_tt_whole, jd_tt_fraction):
    """Same as ``sun_gcrs_m`` for a two-part TT Julian date (the kernels' time argument).

    jd_tt_whole, jd_tt_fraction: scalars or (n,) arrays, days. Returns (n, 3) m.
    """
    with _quiet():
        t = Time(np.atleast_1d(jd_tt_whole), np.atleast_1d(jd_tt_fraction), format="jd",
                 scale="tt")
    return sun_gcrs_m(t)


def astropy_sun_like(entry):
    """The astropy reference for one ``TABULATED_SUN`` entry, in the entry's frame and units.

    Returns a dict with the same value keys as the entry (ra_deg/dec_deg or lon_deg/lat_deg,
    and distance_au). TETE = apparent, true equator and equinox of date (IAU 2006/2000A);
    GeocentricTrueEcliptic = apparent, true ecliptic and equinox of date.
    """
    t = _time(entry["time"], entry["time_scale"])
    sun = _get_sun(t)
    with _quiet():
        if entry["frame"] == "TETE":
            c = sun.transform_to(TETE(obstime=t))
            out = dict(ra_deg=c.ra.to_value(u.deg), dec_deg=c.dec.to_value(u.deg))
        elif entry["frame"] == "GeocentricTrueEcliptic":
            c = sun.transform_to(GeocentricTrueEcliptic(equinox=t, obstime=t))
            out = dict(lon_deg=c.lon.to_value(u.deg), lat_deg=c.lat.to_value(u.deg))
        else:
            raise ValueError(f"unknown frame {entry['frame']!r}")
    out["distance_au"] = c.distance.to_value(u.m) / AU_M
    return {k: float(np.squeeze(v)) for k, v in out.items()}


def angle_between_arcsec(lon1_deg, lat1_deg, lon2_deg, lat2_deg):
    """Great-circle separation (arcsec) between two (longitude, latitude) directions in deg."""
    v1 = _unit(np.radians(lon1_deg), np.radians(lat1_deg))
    v2 = _unit(np.radians(lon2_deg), np.radians(lat2_deg))
    return float(np.degrees(np.arctan2(np.linalg.norm(np.cross(v1, v2)), v1 @ v2)) * 3600.0)


def _unit(lon_rad, lat_rad):
    return np.array([np.cos(lat_rad) * np.cos(lon_rad), np.cos(lat_rad) * np.sin(lon_rad),
                     np.sin(lat_rad)])


__all__ = ["TABULATED_SUN", "sun_gcrs_m", "sun_gcrs_m_from_jd_tt", "astropy_sun_like",
           "angle_between_arcsec"]
