"""Constants for the independent references, SI units, unit in the name, source on each line.

Defined here on purpose rather than imported from the package, so a typo in
``kernels/constants.py`` cannot hide in the references (values from ../shared/SPEC.md).
"""

GM_EARTH_M3_S2 = 3.986004418e14  # IERS Conventions 2010 / EGM96 geocentric gravitational constant
R_EARTH_EQ_M = 6378.137e3  # WGS-84 equatorial radius
J2_EARTH = 1.08262668e-3  # EGM96 unnormalised second zonal harmonic (C20 = -J2)

R_SUN_M = 695_700e3  # IAU 2015 Resolution B3, nominal solar radius
AU_M = 149_597_870_700.0  # IAU 2012 Resolution B2, astronomical unit (exact)
SOLAR_IRRADIANCE_1AU_W_M2 = 1361.0  # IAU 2015 Resolution B3, nominal total solar irradiance

STEFAN_BOLTZMANN_W_M2_K4 = 5.670374419e-8  # CODATA 2018 (exact in the 2019 SI)
DEEP_SPACE_SINK_K = 2.7  # COBE/FIRAS cosmic microwave background (2.725 K), rounded per SPEC

SECONDS_PER_DAY_S = 86400.0  # definition (SI day)
ARCSEC_RAD = 3.141592653589793 / (180.0 * 3600.0)  # definition: one arcsecond in radians
