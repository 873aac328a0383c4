"""Apparent geocentric position of the Sun in the ECI frame (GCRS axes, treated as J2000).

Model (Meeus, *Astronomical Algorithms*, 2nd ed., 1998, ch. 25 "higher accuracy" method):

1. Heliocentric ecliptic coordinates of the Earth from the truncated VSOP87D series of Meeus
   Appendix III (mean ecliptic and equinox of date), turned into geocentric Sun coordinates
   (longitude + 180 deg, latitude negated) and corrected to the FK5 system (eq. 32.3).
2. Aberration and light-time: -20.4898"/R in longitude, giving the apparent direction.
   Nutation is *not* applied because the target frame is a mean frame (GCRS ~ J2000).
3. Ecliptic of date -> mean equator of date with the mean obliquity (IAU 1980, Meeus 22.2),
   then equator of date -> J2000 with the IAU 1976 precession angles zeta, z, theta
   (Lieske et al. 1977; Meeus 21.3).

Measured against ERFA's epv00 through astropy (tests/kernels/test_sun.py), 1950-2100: direction
error at most 0.0004 deg (1.4 arcsec), distance error at most 2.3e-6 relative. The frame bias
between J2000 and GCRS (23 mas) is below that and neglected.
Time argument: Terrestrial Time as a two-part Julian date (whole + fraction).
"""

from __future__ import annotations

import jax.numpy as jnp

from . import constants as c

_DEG = jnp.pi / 180.0
_ARCSEC = c.ARCSEC_RAD


def julian_centuries_tt(jd_tt_whole, jd_tt_fraction):
    """Julian centuries of TT since J2000.0 from a two-part Julian date."""
    return ((jnp.asarray(jd_tt_whole) - c.JD_J2000) + jnp.asarray(jd_tt_fraction)) / c.DAYS_PER_JULIAN_CENTURY


# Truncated VSOP87D series for the Earth (Bretagnon & Francou 1988), as printed in Meeus,
# Astronomical Algorithms, 2nd ed., Appendix III: rows (A [1e-8 rad or 1e-8 AU], B [rad],
# C [rad per Julian millennium]); each series term is A cos(B + C tau).
_VSOP_L = (
    (
        (175347046, 0.0, 0.0), (3341656, 4.6692568, 6283.07585), (34894, 4.6261, 12566.1517),
        (3497, 2.7441, 5753.3849), (3418, 2.8289, 3.5231), (3136, 3.6277, 77713.7715),
        (2676, 4.4181, 7860.4194), (2343, 6.1352, 3930.2097), (1324, 0.7425, 11506.7698),
        (1273, 2.0371, 529.691), (1199, 1.1096, 1577.3435), (990, 5.233, 5884.927),
        (902, 2.045, 26.298), (857, 3.508, 398.149), (780, 1.179, 5223.694),
        (753, 2.533, 5507.553), (505, 4.583, 18849.228), (492, 4.205, 775.523),
        (357, 2.92, 0.067), (317, 5.849, 11790.629), (284, 1.899, 796.298),
        (271, 0.315, 10977.079), (243, 0.345, 5486.778), (206, 4.806, 2544.314),
        (205, 1.869, 5573.143), (202, 2.458, 6069.777), (156, 0.833, 213.299),
        (132, 3.411, 2942.463), (126, 1.083, 20.775), (115, 0.645, 0.98),
        (103, 0.636, 4694.003),
    ),
    (
        (628331966747, 0.0, 0.0), (206059, 2.678235, 6283.07585), (4303, 2.6351, 12566.1517),
        (425, 1.59, 3.523), (119, 5.796, 26.298), (109, 2.966, 1577.344),
        (93, 2.59, 18849.23), (72, 1.14, 529.69), (68, 1.87, 398.15), (67, 4.41, 5507.55),
        (59, 2.89, 5223.69), (56, 2.17, 155.42), (45, 0.4, 796.3), (36, 0.47, 775.52),
        (29, 2.65, 7.11), (21, 5.34, 0.98), (19, 1.85, 5486.78), (19, 4.97, 213.3),
        (17, 2.99, 6275.96), (16, 0.03, 2544.31),
    ),
    (
        (52919, 0.0, 0.0), (8720, 1.0721, 6283.0758), (309, 0.867, 12566.152),
        (27, 0.05, 3.52), (16, 5.19, 26.3), (16, 3.68, 155.42), (10, 0.76, 18849.23),
        (9, 2.06, 77713.77), (7, 0.83, 775.52), (5, 4.66, 1577.34),
    ),
    ((289, 5.844, 6283.076), (35, 0.0, 0.0), (17, 5.49, 12566.15), (3, 5.2, 155.42), (1, 4.72, 3.52)),
    ((114, 3.142, 0.0), (8, 4.13, 6283.08), (1, 3.84, 12566.15)),
    ((1, 3.14, 0.0),),
)
_VSOP_B = (
    ((280, 3.199, 84334.662), (102, 5.422, 5507.553), (80, 3.88, 5223.69), (44, 3.7, 2352.87),
     (32, 4.0, 1577.34)),
    ((9, 3.9, 5507.55), (6, 1.73, 5223.69)),
)
_VSOP_R = (
    (
        (100013989, 0.0, 0.0), (1670700, 3.0984635, 6283.07585), (13956, 3.05525, 12566.1517),
        (3084, 5.1985, 77713.7715), (1628, 1.1739, 5753.3849), (1576, 2.8469, 7860.4194),
        (925, 5.453, 11506.77), (542, 4.564, 3930.21), (472, 3.661, 5884.927),
        (346, 0.964, 5507.553), (329, 5.9, 5223.694), (307, 0.299, 5573.143),
        (243, 4.273, 11790.629), (212, 5.847, 1577.344), (186, 5.022, 10977.079),
        (175, 3.012, 18849.228), (110, 5.055, 5486.778), (98, 0.89, 6069.78),
        (86, 5.69, 15720.84), (86, 1.27, 161000.69), (65, 0.27, 17260.15), (63, 0.92, 529.69),
        (57, 2.01, 83996.85), (56, 5.24, 71430.7), (49, 3.25, 2544.31), (47, 2.58, 775.52),
        (45, 5.54, 9437.76), (43, 6.01, 6275.96), (39, 5.36, 4694.0), (38, 2.39, 8827.39),
        (37, 0.83, 19651.05), (37, 4.9, 12139.55), (36, 1.67, 12036.46), (35, 1.84, 2942.46),
        (33, 0.24, 7084.9), (32, 0.18, 5088.63), (32, 1.78, 398.15), (28, 1.21, 6286.6),
        (28, 1.9, 6279.55), (26, 4.59, 10447.39),
    ),
    (
        (103019, 1.10749, 6283.07585), (1721, 1.0644, 12566.1517), (702, 3.142, 0.0),
        (32, 1.02, 18849.23), (31, 2.84, 5507.55), (25, 1.32, 5223.69), (18, 1.42, 1577.34),
        (10, 5.91, 10977.08), (9, 1.42, 6275.96), (9, 0.27, 5486.78),
    ),
    ((4359, 5.7846, 6283.0758), (124, 5.579, 12566.152), (12, 3.14, 0.0), (9, 3.63, 77713.77),
     (6, 1.87, 5573.14), (3, 5.47, 18849.23)),
    ((145, 4.273, 6283.076), (7, 3.92, 12566.15)),
    ((4, 2.56, 6283.08),),
)


def _vsop_sum(series, tau):
    """sum_k tau^k sum_j A_j cos(B_j + C_j tau) * 1e-8 for one VSOP87 coordinate."""
    total = jnp.zeros_like(tau)
    for power, terms in enumerate(series):
        a, b, c_ = (jnp.asarray(col, dtype=tau.dtype) for col in zip(*terms))
        total = total + tau**power * jnp.sum(a * jnp.cos(b + c_ * tau))
    return total * 1e-8


def sun_ecliptic_of_date(t_cent):
    """Apparent geocentric ecliptic longitude and latitude [rad] of the Sun, referred to the
    mean ecliptic and equinox of date (nutation not applied), and its distance [AU].

    Meeus ch. 25, "higher accuracy": truncated VSOP87D heliocentric Earth, plus 180 deg,
    conversion to the FK5 system, then aberration (-20.4898"/R, which includes light-time).
    ``t_cent``: Julian centuries TT from J2000.0 (scalar).
    """
    tau = t_cent / 10.0
    lon = _vsop_sum(_VSOP_L, tau) + jnp.pi
    lat = -_vsop_sum(_VSOP_B, tau)
    distance_au = _vsop_sum(_VSOP_R, tau)
    # VSOP87 dynamical ecliptic -> FK5 (Meeus eq. 32.3)
    lon_prime = lon - (1.397 * t_cent + 0.00031 * t_cent * t_cent) * _DEG
    lon = lon - 0.09033 * _ARCSEC
    lat = lat + 0.03916 * _ARCSEC * (jnp.cos(lon_prime) - jnp.sin(lon_prime))
    lon = lon - 20.4898 * _ARCSEC / distance_au
    return lon, lat, distance_au


def mean_obliquity_rad(t_cent):
    """Mean obliquity of the ecliptic of date [rad] (IAU 1980; Meeus eq. 22.2)."""
    t = t_cent
    return (84381.448 - 46.8150 * t - 0.00059 * t * t + 0.001813 * t * t * t) * _ARCSEC


def precession_angles_rad(t_cent):
    """IAU 1976 equatorial precession angles zeta, z, theta [rad] from J2000 to the date."""
    t = t_cent
    zeta = (2306.2181 * t + 0.30188 * t * t + 0.017998 * t**3) * _ARCSEC
    z = (2306.2181 * t + 1.09468 * t * t + 0.018203 * t**3) * _ARCSEC
    theta = (2004.3109 * t - 0.42665 * t * t - 0.041833 * t**3) * _ARCSEC
    return zeta, z, theta


def rot_z(angle):
    """Passive rotation R3(angle) (frame rotated by +angle about z)."""
    ca, sa = jnp.cos(angle), jnp.sin(angle)
    zero, one = jnp.zeros_like(angle), jnp.ones_like(angle)
    return jnp.stack([jnp.stack([ca, sa, zero]), jnp.stack([-sa, ca, zero]), jnp.stack([zero, zero, one])])


def rot_y(angle):
    """Passive rotation R2(angle)."""
    ca, sa = jnp.cos(angle), jnp.sin(angle)
    zero, one = jnp.zeros_like(angle), jnp.ones_like(angle)
    return jnp.stack([jnp.stack([ca, zero, -sa]), jnp.stack([zero, one, zero]), jnp.stack([sa, zero, ca])])


def sun_position_eci(jd_tt_whole, jd_tt_fraction):
    """Apparent geocentric position of the Sun [m], shape (3,), in ECI (J2000 axes).

    ``jd_tt_whole``, ``jd_tt_fraction``: the TT Julian date split in two parts (days).
    """
    t = julian_centuries_tt(jd_tt_whole, jd_tt_fraction)
    lon, lat, dist_au = sun_ecliptic_of_date(t)
    eps = mean_obliquity_rad(t)
    # ecliptic of date -> mean equator and equinox of date (rotation about x by -eps)
    x_ecl = jnp.cos(lat) * jnp.cos(lon)
    y_ecl = jnp.cos(lat) * jnp.sin(lon)
    z_ecl = jnp.sin(lat)
    u_date = jnp.stack(
        [x_ecl, jnp.cos(eps) * y_ecl - jnp.sin(eps) * z_ecl, jnp.sin(eps) * y_ecl + jnp.cos(eps) * z_ecl]
    )
    zeta, z, theta = precession_angles_rad(t)
    # r_date = Rz(-z) Ry(theta) Rz(-zeta) r_J2000  =>  r_J2000 = P^T r_date
    precession = rot_z(-z) @ rot_y(theta) @ rot_z(-zeta)
    u_j2000 = precession.T @ u_date
    return u_j2000 * (dist_au * c.AU_M)
