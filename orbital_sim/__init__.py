"""orbital_sim: simulator of orbital compute constellations.

Public API: :func:`load_config`, :func:`run`, :func:`open_results`, :class:`ConfigError`.
They are imported on first use, so ``import orbital_sim.kernels`` stays free of the
application layer (h5py, TOML parsing).
"""

__version__ = "0.1.0"

_API = {
    "ConfigError": "orbital_sim.config",
    "load_config": "orbital_sim.config",
    "open_results": "orbital_sim.output",
    "run": "orbital_sim.runner",
}

__all__ = ["__version__", *_API]


def __getattr__(name):
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'orbital_sim' has no attribute {name!r}")
