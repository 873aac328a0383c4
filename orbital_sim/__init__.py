"""orbital_sim: simulator of orbital compute constellations."""

__version__ = "0.1.0"
