"""Physical constants in SI units, one per line, unit in the name, source in the comment.

Plain Python floats (no JAX import), so the application layer can use them too.
"""

GM_EARTH_M3_S2 = 3.986004418e14  # IERS Conventions 2010 / EGM96
R_EARTH_EQ_M = 6378.137e3  # WGS-84 equatorial radius
J2_EARTH = 1.08262668e-3  # EGM96, unnormalised
J3_EARTH = -2.53265648533e-6  # EGM96, unnormalised (Vallado 4th ed., Table D-1)
J4_EARTH = -1.61962159137e-6  # EGM96, unnormalised (Vallado 4th ed., Table D-1)
OMEGA_EARTH_RAD_S = 7.2921150e-5  # WGS-84 mean rotation rate

AU_M = 149_597_870_700.0  # IAU 2012 Resolution B2
R_SUN_M = 695_700e3  # IAU 2015 Resolution B3 nominal solar radius
SOLAR_IRRADIANCE_1AU_W_M2 = 1361.0  # IAU 2015 Resolution B3 nominal total solar irradiance

STEFAN_BOLTZMANN_W_M2_K4 = 5.670374419e-8  # CODATA 2018
DEEP_SPACE_SINK_K = 2.7  # COBE/FIRAS cosmic microwave background, 2.725 K

SECONDS_PER_DAY = 86400.0  # definition
JD_J2000 = 2451545.0  # Julian date of J2000.0 (2000-01-01T12:00:00 TT), IAU 1976
DAYS_PER_JULIAN_CENTURY = 36525.0  # definition
ARCSEC_RAD = 4.84813681109536e-6  # pi / (180 * 3600)

WGS84_A_M = 6378137.0  # WGS-84 semi-major axis (NIMA TR8350.2, 3rd ed., Table 3.1)
WGS84_INV_FLATTENING = 298.257223563  # WGS-84 1/f (NIMA TR8350.2, 3rd ed., Table 3.1)
SPEED_OF_LIGHT_M_S = 299_792_458.0  # definition (SI, 1983)
