"""Two-line element sets (TLEs): read them, propagate them with SGP4 to the run epoch, and
rotate the result from SGP4's TEME frame to the simulator's ECI frame (NumPy + python-sgp4).

Verdict on the frames, in the style of a design note:

- SGP4 (python-sgp4, the Vallado et al. 2006 C++ code, WGS-72 constants as the TLEs are
  fitted with) returns position and velocity in TEME, the "true equator, mean equinox" frame
  of the TLE's own propagation time (Vallado et al., "Revisiting Spacetrack Report #3",
  AIAA 2006-6753, section on coordinate frames).
- The simulator's ECI is GCRS, treated as J2000 (SPEC section 2). We go TEME -> true of date
  -> mean of date -> J2000 with

  * the equation of the equinoxes Dpsi cos(eps_mean) (IAU 1982 form, the one that matches
    SGP4's GMST 1982): r_TOD = R3(-eqeq) r_TEME;
  * the IAU 1980 nutation (Wahr; Seidelmann, *Explanatory Supplement to the Astronomical
    Almanac*, 1992, Table 3.222.1), truncated to its 27 largest terms (all with a longitude
    coefficient of at least 2 mas or an obliquity coefficient of at least 1 mas);
    r_MOD = N^T r_TOD, N = R1(-eps) R3(-Dpsi) R1(eps_mean);
  * the IAU 1976 precession (Lieske et al. 1977): r_J2000 = P^T r_MOD,
    P = R3(-z) R2(theta) R3(-zeta).

What is neglected, and what it costs (angles times the orbit radius):

  * the 79 smallest nutation terms: at most 0.031 arcsec if they all added up; measured
    against ERFA's full series over 1950-2100 (in the tests): 0.014 arcsec in longitude,
    0.005 arcsec in obliquity, i.e. under 0.5 m in LEO, 3 m in GEO;
  * the frame bias between J2000 (FK5 mean equator and equinox) and GCRS: 0.023 arcsec,
    0.8 m in LEO, 4.7 m in GEO;
  * the observed celestial pole offsets (IERS dPsi, dEps corrections to IAU 1980, about
    0.05 arcsec): up to 2 m in LEO, 10 m in GEO;
  * the kinematic terms of the 1994 equation of the equinoxes (0.0026 arcsec);
  * the rotation of TEME itself during the velocity transformation (precession rate
    7.7e-12 rad/s: 5e-5 m/s in LEO): velocities are rotated with the position matrix.

  In total under about 3 m in LEO and 15 m in GEO, which is far below the accuracy of a TLE
  itself: about 1 km at its epoch, growing by 1-3 km per day (python-sgp4 documentation;
  Vallado et al. 2006). Without precession (26 years of it by 2026, 0.36 deg) the error would
  be 44 km in LEO: that, and the 17 arcsec of nutation (0.6 km), are what must not be skipped.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from orbital_sim import timescales

__all__ = [
    "Tle",
    "TleError",
    "nutation_iau1980",
    "parse_tles",
    "precession_matrix_iau1976",
    "read_tle_file",
    "teme_states",
    "teme_to_eci_matrix",
    "tle_checksum",
    "tle_states_eci",
]

ARCSEC_RAD = math.pi / (180.0 * 3600.0)  # definition
JD_J2000 = 2451545.0  # J2000.0 = 2000-01-01T12:00:00 TT (IAU 1976)
DAYS_PER_JULIAN_CENTURY = 36525.0  # definition
_TENTH_MAS_RAD = ARCSEC_RAD * 1e-4  # units of the IAU 1980 nutation table


class TleError(ValueError):
    """Problems found in a set of TLEs; ``problems`` holds one line per problem."""

    def __init__(self, problems: Iterable[str]):
        self.problems = [str(p) for p in problems]
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Tle:
    """One two-line element set. ``name``: the title line if there was one, else "";
    ``line1``, ``line2``: the element lines (69 characters each); ``catalog``: the NORAD
    catalog number (columns 3-7, may be Alpha-5); ``epoch``: the TLE epoch (aware UTC
    datetime, to the microsecond)."""

    name: str
    line1: str
    line2: str
    catalog: str
    epoch: _dt.datetime


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def tle_checksum(line: str) -> int:
    """Modulo-10 checksum of the first 68 columns of a TLE line: digits count their value,
    a minus sign counts 1, everything else 0 (Spacetrack Report #3; CelesTrak's format
    notes). It must equal the digit in column 69."""
    total = 0
    for ch in line[:68]:
        if ch.isdigit():
            total += int(ch)
        elif ch == "-":
            total += 1
    return total % 10


def _tle_epoch(line1: str) -> _dt.datetime:
    """Epoch of a TLE from columns 19-32 of line 1: two-digit year (57-99 -> 1900s, else
    2000s) and day of the year with fraction (1.0 = January 1, 00:00 UTC)."""
    yy = int(line1[18:20])
    day = float(line1[20:32])
    year = 1900 + yy if yy >= 57 else 2000 + yy
    start = _dt.datetime(year, 1, 1, tzinfo=_dt.timezone.utc)
    # round to the microsecond: the field holds 8 decimals of a day (0.86 ms)
    return start + _dt.timedelta(microseconds=round((day - 1.0) * 86400e6))


def _line_problems(line: str, number: str) -> list[str]:
    problems = []
    if len(line) != 69:
        problems.append(f"must be 69 characters long, not {len(line)}")
    if not line.startswith(number + " "):
        problems.append(f"must start with '{number} '")
    if len(line) >= 69:
        if not line[68].isdigit():
            problems.append(f"column 69 must be the checksum digit, not {line[68]!r}")
        elif int(line[68]) != tle_checksum(line):
            problems.append(f"checksum digit is {line[68]} but the line sums to {tle_checksum(line)} (mod 10)")
    return problems


def parse_tles(lines: Sequence[str], where: str = "TLE text") -> list[Tle]:
    """Parse TLEs given as text lines: pairs of element lines, each pair optionally preceded
    by a title line (the "3-line" format). Blank lines are skipped; leading and trailing blanks
    removed (indented element lines are found).

    ``where``: the name used in problem messages (``file.tle, line 5: ...``, lines counted
    from 1). Raises
    :class:`TleError` listing every malformed line (length, leading '1 '/'2 ', checksum,
    catalog numbers that differ between the two lines, a line 1 without its line 2).
    """
    problems: list[str] = []
    out: list[Tle] = []
    rows = [(k, str(s).strip()) for k, s in enumerate(lines)]  # indented lines are found too
    rows = [(k, s) for k, s in rows if s.strip()]
    i = 0
    name = ""
    while i < len(rows):
        k, text = rows[i]
        if not text.startswith("1 "):
            if text.startswith("2 "):
                problems.append(f"{where}, line {k + 1}: an element set's second line ('2 ...') without its first "
                                "line before it")
                i += 1
                continue
            name = text[2:].strip() if text.startswith("0 ") else text.strip()
            i += 1
            continue
        if i + 1 >= len(rows) or not rows[i + 1][1].startswith("2 "):
            problems.append(f"{where}, line {k + 1}: an element set's first line ('1 ...') is not followed by its "
                            "second line ('2 ...')")
            i += 1
            name = ""
            continue
        k2, text2 = rows[i + 1]
        bad = [f"{where}, line {k + 1} (the element set's first line): {p}" for p in _line_problems(text, "1")]
        bad += [f"{where}, line {k2 + 1} (the element set's second line): {p}" for p in _line_problems(text2, "2")]
        if not bad and text[2:7] != text2[2:7]:
            bad.append(f"{where}, line {k2 + 1}: catalog number {text2[2:7].strip()!r} differs from line 1's "
                       f"{text[2:7].strip()!r}")
        if not bad:
            try:
                epoch = _tle_epoch(text)
            except (ValueError, OverflowError):
                bad.append(f"{where}, line {k + 1}: epoch field (columns 19-32) {text[18:32]!r} is not a date")
        problems += bad
        if not bad:
            out.append(Tle(name=name, line1=text, line2=text2, catalog=text[2:7].strip(), epoch=epoch))
        name = ""
        i += 2
    if problems:
        raise TleError(problems)
    if not out:
        raise TleError([f"{where}: no two-line element set found"])
    return out


def read_tle_file(path) -> list[Tle]:
    """Parse a TLE text file (2- or 3-line format). Raises TleError, or OSError if unreadable."""
    with open(path, encoding="ascii", errors="replace") as f:
        return parse_tles(f.read().splitlines(), where=str(path))


# --------------------------------------------------------------------------------------------
# Precession, nutation, TEME -> ECI
# --------------------------------------------------------------------------------------------


def _rot1(a: float) -> np.ndarray:
    """Frame rotation by angle a [rad] about x: the coordinates in a frame turned by +a."""
    c, s = math.cos(a), math.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, s], [0.0, -s, c]])


def _rot2(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]])


def _rot3(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])


def _centuries_tt(jd_tt_whole: float, jd_tt_fraction: float) -> float:
    return ((jd_tt_whole - JD_J2000) + jd_tt_fraction) / DAYS_PER_JULIAN_CENTURY


def precession_matrix_iau1976(t: float) -> np.ndarray:
    """IAU 1976 precession matrix P (J2000 mean equator and equinox -> mean of date):
    r_MOD = P r_J2000, P = R3(-z) R2(theta) R3(-zeta), with (arcsec, T in Julian centuries
    of TT since J2000; Lieske et al. 1977, A&A 58, 1; Vallado 4th ed. eq. 3-88)
    zeta = 2306.2181 T + 0.30188 T^2 + 0.017998 T^3,
    z = 2306.2181 T + 1.09468 T^2 + 0.018203 T^3,
    theta = 2004.3109 T - 0.42665 T^2 - 0.041833 T^3.
    """
    zeta = (2306.2181 + (0.30188 + 0.017998 * t) * t) * t * ARCSEC_RAD
    z = (2306.2181 + (1.09468 + 0.018203 * t) * t) * t * ARCSEC_RAD
    theta = (2004.3109 + (-0.42665 - 0.041833 * t) * t) * t * ARCSEC_RAD
    return _rot3(-z) @ _rot2(theta) @ _rot3(-zeta)


# IAU 1980 nutation, the 27 largest terms of the 106 (Seidelmann 1992, Table 3.222.1):
# multipliers of (l, l', F, D, Omega), then longitude (sine) coefficient A + A' T and obliquity
# (cosine) coefficient B + B' T, in units of 0.1 mas (1e-4 arcsec) and the same per century.
_NUTATION_1980_TERMS = np.array([
    # l  l'  F   D  Om        A       A'        B      B'
    [0, 0, 0, 0, 1, -171996.0, -174.2, 92025.0, 8.9],
    [0, 0, 2, -2, 2, -13187.0, -1.6, 5736.0, -3.1],
    [0, 0, 2, 0, 2, -2274.0, -0.2, 977.0, -0.5],
    [0, 0, 0, 0, 2, 2062.0, 0.2, -895.0, 0.5],
    [0, 1, 0, 0, 0, 1426.0, -3.4, 54.0, -0.1],
    [1, 0, 0, 0, 0, 712.0, 0.1, -7.0, 0.0],
    [0, 1, 2, -2, 2, -517.0, 1.2, 224.0, -0.6],
    [0, 0, 2, 0, 1, -386.0, -0.4, 200.0, 0.0],
    [1, 0, 2, 0, 2, -301.0, 0.0, 129.0, -0.1],
    [0, -1, 2, -2, 2, 217.0, -0.5, -95.0, 0.3],
    [1, 0, 0, -2, 0, -158.0, 0.0, -1.0, 0.0],
    [0, 0, 2, -2, 1, 129.0, 0.1, -70.0, 0.0],
    [-1, 0, 2, 0, 2, 123.0, 0.0, -53.0, 0.0],
    [0, 0, 0, 2, 0, 63.0, 0.0, -2.0, 0.0],
    [1, 0, 0, 0, 1, 63.0, 0.1, -33.0, 0.0],
    [-1, 0, 2, 2, 2, -59.0, 0.0, 26.0, 0.0],
    [-1, 0, 0, 0, 1, -58.0, -0.1, 32.0, 0.0],
    [1, 0, 2, 0, 1, -51.0, 0.0, 27.0, 0.0],
    [2, 0, 0, -2, 0, 48.0, 0.0, 1.0, 0.0],
    [-2, 0, 2, 0, 1, 46.0, 0.0, -24.0, 0.0],
    [0, 0, 2, 2, 2, -38.0, 0.0, 16.0, 0.0],
    [2, 0, 2, 0, 2, -31.0, 0.0, 13.0, 0.0],
    [2, 0, 0, 0, 0, 29.0, 0.0, -1.0, 0.0],
    [1, 0, 2, -2, 2, 29.0, 0.0, -12.0, 0.0],
    [0, 0, 2, 0, 0, 26.0, 0.0, -1.0, 0.0],
    [0, 0, 2, -2, 0, -22.0, 0.0, 0.0, 0.0],
    [-1, 0, 2, 0, 1, 21.0, 0.0, -10.0, 0.0],
])


def _fundamental_arguments_1980(t: float) -> np.ndarray:
    """Delaunay arguments (l, l', F, D, Omega) [rad] of the IAU 1980 theory, T in Julian
    centuries of TT since J2000 (Seidelmann 1992, section 3.222; Vallado 4th ed. eq. 3-82):
    constant and polynomial in arcsec plus whole revolutions per century."""
    coeffs = (
        # arcsec: c0, c1, c2, c3; revolutions per century
        (485866.733, 715922.633, 31.310, 0.064, 1325.0),  # l, Moon's mean anomaly
        (1287099.804, 1292581.224, -0.577, -0.012, 99.0),  # l', Sun's mean anomaly
        (335778.877, 295263.137, -13.257, 0.011, 1342.0),  # F = L_moon - Omega
        (1072261.307, 1105601.328, -6.891, 0.019, 1236.0),  # D, Moon's elongation
        (450160.280, -482890.539, 7.455, 0.008, -5.0),  # Omega, Moon's node
    )
    out = []
    for c0, c1, c2, c3, rev in coeffs:
        arcsec = c0 + (c1 + (c2 + c3 * t) * t) * t
        out.append(math.remainder(arcsec * ARCSEC_RAD + math.fmod(rev * t, 1.0) * 2.0 * math.pi,
                                  2.0 * math.pi))
    return np.array(out)


def mean_obliquity_iau1980(t: float) -> float:
    """Mean obliquity of the ecliptic [rad], IAU 1980 (Lieske et al. 1977):
    84381.448" - 46.8150" T - 0.00059" T^2 + 0.001813" T^3."""
    return (84381.448 + (-46.8150 + (-0.00059 + 0.001813 * t) * t) * t) * ARCSEC_RAD


def nutation_iau1980(t: float) -> tuple[float, float]:
    """Nutation in longitude and obliquity (dpsi, deps) [rad], IAU 1980, 27 largest terms.
    ``t``: Julian centuries of TT since J2000. Truncation error under 0.031 arcsec."""
    args = _fundamental_arguments_1980(t)
    terms = _NUTATION_1980_TERMS
    phase = terms[:, :5] @ args
    dpsi = np.sum((terms[:, 5] + terms[:, 6] * t) * np.sin(phase))
    deps = np.sum((terms[:, 7] + terms[:, 8] * t) * np.cos(phase))
    return float(dpsi * _TENTH_MAS_RAD), float(deps * _TENTH_MAS_RAD)


def teme_to_eci_matrix(jd_tt_whole: float, jd_tt_fraction: float = 0.0) -> np.ndarray:
    """Rotation matrix M (3, 3) with r_ECI = M r_TEME at the TT Julian date given in two parts.

    M = P^T N^T R3(-eqeq): TEME -> true of date (equation of the equinoxes
    eqeq = dpsi cos eps_mean), -> mean of date (IAU 1980 nutation, truncated), -> J2000 (IAU
    1976 precession). ECI here is J2000, which the simulator uses for GCRS; see the module
    docstring for what is neglected (under about 3 m in LEO).
    """
    t = _centuries_tt(jd_tt_whole, jd_tt_fraction)
    eps_mean = mean_obliquity_iau1980(t)
    dpsi, deps = nutation_iau1980(t)
    eqeq = dpsi * math.cos(eps_mean)
    nutation = _rot1(-(eps_mean + deps)) @ _rot3(-dpsi) @ _rot1(eps_mean)
    precession = precession_matrix_iau1976(t)
    return precession.T @ nutation.T @ _rot3(-eqeq)


# --------------------------------------------------------------------------------------------
# Propagation
# --------------------------------------------------------------------------------------------


def _satrecs(tles: Sequence[Tle]):
    try:
        from sgp4.api import WGS72, Satrec
    except ImportError as err:  # sgp4 is a runtime dependency; this is for broken installs
        raise ImportError("TLE input needs the sgp4 package: pip install sgp4") from err
    # WGS-72: the constants the TLEs are fitted with (Vallado et al. 2006 recommend it)
    return [Satrec.twoline2rv(t.line1, t.line2, WGS72) for t in tles]


def teme_states(tles: Sequence[Tle], epoch: _dt.datetime):
    """SGP4 position [km] and velocity [km/s] in TEME at the UTC ``epoch`` for each TLE.

    Returns ``(r_teme_km (n, 3), v_teme_km_s (n, 3), error (n,) int)``: python-sgp4's error
    codes (0 ok; see ``sgp4.api.SGP4_ERRORS``), per element set, never an exception.
    """
    from sgp4.api import SatrecArray

    whole, fraction = timescales.julian_date_utc_two_part(epoch)
    sats = SatrecArray(_satrecs(tles))
    err, r, v = sats.sgp4(np.array([whole]), np.array([fraction]))
    return np.asarray(r[:, 0, :], dtype=np.float64), np.asarray(v[:, 0, :], dtype=np.float64), \
        np.asarray(err[:, 0], dtype=np.int64)


def tle_states_eci(tles: Sequence[Tle], epoch: _dt.datetime):
    """ECI (GCRS axes treated as J2000) states at the UTC ``epoch`` from TLEs, SI units.

    Returns ``(r_eci_m (n, 3), v_eci_m_s (n, 3), error (n,))``; rows with a non-zero SGP4
    error code hold whatever SGP4 returned (NaN for most codes).
    """
    r_km, v_km_s, err = teme_states(tles, epoch)
    matrix = teme_to_eci_matrix(*timescales.julian_date_tt_two_part(epoch))
    return (r_km @ matrix.T) * 1e3, (v_km_s @ matrix.T) * 1e3, err


def sgp4_error_message(code: int) -> str:
    """python-sgp4's text for an error code."""
    from sgp4.api import SGP4_ERRORS

    return SGP4_ERRORS.get(int(code), f"unknown SGP4 error {code}")
