"""UTC epochs, TT and two-part Julian dates for the application layer (standard library only).

The run epoch is a UTC instant; the kernels see time as float64 seconds since the epoch, and
whatever needs an absolute date (the Sun) gets the epoch as a two-part Julian date in TT:
a whole day number and a fraction, computed here with exact integer arithmetic.

Time scales (IERS Conventions 2010, ch. 1 and 10; Explanatory Supplement to the Astronomical
Almanac, 3rd ed., ch. 3):

- TT - TAI = 32.184 s exactly.
- TAI - UTC = the leap-second count from the table below (IERS Bulletin C). From 1972-01-01 it is
  a whole number of seconds: 10 s, then +1 s at each leap second, 37 s since 2017-01-01.
- Before 1972, UTC was a rubber-second scale whose offset from TAI drifted (about 4.2 s in
  1961 to 9.9 s at the end of 1971). Dates before 1972 use TAI - UTC = 10 s, an approximation
  good to a few seconds (the Sun moves about 0.04 arcsec per second of time).
- Dates after the last table entry assume no new leap second (the last one was inserted at the
  end of 2016). A future date is then off by whatever leap seconds are announced later, if any;
  update the table from IERS Bulletin C when one is.

The leap second itself (23:59:60) cannot be written as a Python ``datetime``; such epochs are
rejected by :func:`parse_epoch`.
"""

from __future__ import annotations

import bisect
import datetime as _dt

__all__ = [
    "LEAP_SECONDS",
    "TT_MINUS_TAI_S",
    "format_epoch",
    "julian_date_tt_two_part",
    "julian_date_utc_two_part",
    "parse_epoch",
    "tai_minus_utc_s",
    "utc_from_julian_date_tt",
    "utc_to_tt_offset_s",
]

TT_MINUS_TAI_S = 32.184  # definition (IAU 1991 Resolution A4)

# (first UTC day it applies, TAI - UTC in whole seconds), from IERS Bulletin C / the IERS
# "Leap_Second.dat" file. Each row starts at 00:00:00 UTC on that day; the leap second was
# inserted at 23:59:60 of the day before.
LEAP_SECONDS: tuple[tuple[_dt.date, int], ...] = (
    (_dt.date(1972, 1, 1), 10),
    (_dt.date(1972, 7, 1), 11),
    (_dt.date(1973, 1, 1), 12),
    (_dt.date(1974, 1, 1), 13),
    (_dt.date(1975, 1, 1), 14),
    (_dt.date(1976, 1, 1), 15),
    (_dt.date(1977, 1, 1), 16),
    (_dt.date(1978, 1, 1), 17),
    (_dt.date(1979, 1, 1), 18),
    (_dt.date(1980, 1, 1), 19),
    (_dt.date(1981, 7, 1), 20),
    (_dt.date(1982, 7, 1), 21),
    (_dt.date(1983, 7, 1), 22),
    (_dt.date(1985, 7, 1), 23),
    (_dt.date(1988, 1, 1), 24),
    (_dt.date(1990, 1, 1), 25),
    (_dt.date(1991, 1, 1), 26),
    (_dt.date(1992, 7, 1), 27),
    (_dt.date(1993, 7, 1), 28),
    (_dt.date(1994, 7, 1), 29),
    (_dt.date(1996, 1, 1), 30),
    (_dt.date(1997, 7, 1), 31),
    (_dt.date(1999, 1, 1), 32),
    (_dt.date(2006, 1, 1), 33),
    (_dt.date(2009, 1, 1), 34),
    (_dt.date(2012, 7, 1), 35),
    (_dt.date(2015, 7, 1), 36),
    (_dt.date(2017, 1, 1), 37),
)
_LEAP_DATES = [d for d, _ in LEAP_SECONDS]
_PRE_1972_TAI_MINUS_UTC_S = 10  # approximation, see the module docstring

_US_PER_S = 1_000_000
_US_PER_DAY = 86_400 * _US_PER_S
_TT_MINUS_TAI_US = 32_184_000  # 32.184 s, exact in microseconds
# Julian date of 0001-01-01T12:00 (proleptic Gregorian, the calendar of ``datetime``): the
# Julian day that starts at noon of ``date.toordinal() == 1``. Check: 2000-01-01 has ordinal
# 730120, and 1721425 + 730120 - 1 = 2451544 is the day starting at noon on 1999-12-31;
# 2000-01-01T12:00 starts day 2451545 (J2000.0).
_JD_NOON_ORDINAL_1 = 1_721_426


def parse_epoch(value) -> _dt.datetime:
    """A UTC instant from an ISO 8601 string or an aware ``datetime``.

    ``value``: a string such as ``"2026-03-20T00:00:00Z"`` or ``"2026-03-20T02:00:00+02:00"``
    (any form ``datetime.fromisoformat`` reads), or a timezone-aware ``datetime`` (a TOML
    offset date-time). It must carry ``Z`` or a UTC offset; a date without a time, a local
    (naive) time or an impossible date raises ``ValueError`` with a one-line reason.
    Returns an aware ``datetime`` in UTC (``tzinfo=timezone.utc``).
    """
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("empty string; expected an ISO 8601 UTC instant like 2026-03-20T00:00:00Z")
        if text[-1] in "zZ":  # fromisoformat reads "Z" from 3.11, but not a lower-case "z"
            text = text[:-1] + "+00:00"
        if "t" in text:
            text = text.replace("t", "T")
        try:
            parsed = _dt.datetime.fromisoformat(text)
        except ValueError as err:
            hint = " (a leap second 23:59:60 cannot be an epoch)" if ":60" in text else ""
            raise ValueError(f"not a valid ISO 8601 date and time ({err}){hint}") from None
        if "T" not in text and " " not in text:
            raise ValueError("a date without a time; write e.g. 2026-03-20T00:00:00Z")
    elif isinstance(value, _dt.datetime):
        parsed = value
    elif isinstance(value, _dt.date):
        raise ValueError("a date without a time; write e.g. 2026-03-20T00:00:00Z")
    else:
        raise ValueError(f"expected an ISO 8601 string, got {type(value).__name__}")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("no time zone; add Z (UTC) or an offset such as +00:00")
    try:
        return parsed.astimezone(_dt.timezone.utc)
    except OverflowError:
        raise ValueError("out of the representable range of dates") from None


def format_epoch(epoch: _dt.datetime) -> str:
    """ISO 8601 text of a UTC instant with a ``Z`` suffix (microseconds only when non-zero)."""
    utc = _as_utc(epoch)
    text = utc.replace(tzinfo=None).isoformat()
    return text + "Z"


def tai_minus_utc_s(epoch: _dt.datetime) -> int:
    """TAI - UTC [s] at a UTC instant (whole seconds; 10 s before 1972, see module docstring)."""
    day = _as_utc(epoch).date()
    k = bisect.bisect_right(_LEAP_DATES, day)
    return LEAP_SECONDS[k - 1][1] if k > 0 else _PRE_1972_TAI_MINUS_UTC_S


def utc_to_tt_offset_s(epoch: _dt.datetime) -> float:
    """TT - UTC [s] at a UTC instant: 32.184 s + (TAI - UTC). 69.184 s since 2017-01-01."""
    return TT_MINUS_TAI_S + tai_minus_utc_s(epoch)


def julian_date_tt_two_part(epoch: _dt.datetime) -> tuple[float, float]:
    """Two-part Julian date in TT of a UTC instant: ``(whole, fraction)``.

    ``whole`` is an integer-valued float, the Julian day that starts at the preceding TT noon
    (JD 2451545.0 = 2000-01-01T12:00:00 TT); ``fraction`` in [0, 1) is the part of that day
    since noon. Both come from exact integer microsecond arithmetic; the only rounding is the
    final division of the fraction (relative error 1e-16, about 10 ps).
    """
    return _two_part(_as_utc(epoch), _TT_MINUS_TAI_US + tai_minus_utc_s(epoch) * _US_PER_S)


def julian_date_utc_two_part(epoch: _dt.datetime) -> tuple[float, float]:
    """Two-part Julian date of a UTC instant on the UTC scale (no TT offset); see above.

    Used as a stand-in for UT1 (|UT1 - UTC| < 0.9 s) by the mean-Sun formula.
    """
    return _two_part(_as_utc(epoch), 0)


def utc_from_julian_date_tt(whole: float, fraction: float) -> _dt.datetime:
    """Inverse of :func:`julian_date_tt_two_part`, to the microsecond. Returns a UTC datetime.

    ``whole`` + ``fraction`` is a TT Julian date (any split). An instant inside a leap second
    has no ``datetime``; it maps to 00:00:00 of the next day, the instant the leap second ends.
    """
    whole_int = int(whole // 1)
    extra = whole - whole_int + fraction
    day_shift = int(extra // 1)
    tt_us = (whole_int + day_shift - _JD_NOON_ORDINAL_1) * _US_PER_DAY + round(
        (extra - day_shift) * _US_PER_DAY
    )
    # tt_us counts TT microseconds since 0001-01-01T12:00. UTC = TT - (TT - UTC), and TT - UTC
    # depends on the UTC date: take the offset n that is consistent with the UTC it gives.
    noon = _dt.datetime(1, 1, 1, 12, tzinfo=_dt.timezone.utc)
    tai_us = tt_us - _TT_MINUS_TAI_US
    approx = noon + _dt.timedelta(microseconds=tai_us - 37 * _US_PER_S)
    one_day = _dt.timedelta(days=1)
    candidates = sorted({tai_minus_utc_s(approx + k * one_day) for k in (-1, 0, 1)})
    for n in candidates:
        utc = noon + _dt.timedelta(microseconds=tai_us - n * _US_PER_S)
        if tai_minus_utc_s(utc) == n:
            return utc
    # inside a leap second: no consistent n; return the start of the day after it
    utc = noon + _dt.timedelta(microseconds=tai_us - candidates[0] * _US_PER_S)
    return utc.replace(hour=0, minute=0, second=0, microsecond=0)


def _as_utc(epoch: _dt.datetime) -> _dt.datetime:
    if not isinstance(epoch, _dt.datetime) or epoch.tzinfo is None or epoch.utcoffset() is None:
        raise ValueError("expected a timezone-aware datetime (UTC)")
    return epoch.astimezone(_dt.timezone.utc)


def _two_part(utc: _dt.datetime, offset_us: int) -> tuple[float, float]:
    seconds_of_day = utc.hour * 3600 + utc.minute * 60 + utc.second
    # microseconds since 0001-01-01T12:00 on the target scale
    total_us = (
        (utc.toordinal() - 1) * _US_PER_DAY
        + seconds_of_day * _US_PER_S
        + utc.microsecond
        + offset_us
        - 12 * 3600 * _US_PER_S
    )
    days, rest_us = divmod(total_us, _US_PER_DAY)
    return float(_JD_NOON_ORDINAL_1 + days), rest_us / _US_PER_DAY
