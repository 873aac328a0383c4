"""One mechanism for every swappable algorithm: a :class:`Registry` per family maps a config
name to a class implementing the family's small interface; the application layer picks one
instance per run from the config (``REGISTRY.make(name, **options)``) and passes it to the
chunk function as a static choice. Kernels never branch on names.

Families (each registry lives beside its algorithms):

* ``orbit.PROPAGATORS``: :class:`orbit.Propagator` (``advance(params, r, v, t_end_s, dt_s, env)``)
* ``shadow.SHADOW_MODELS``: :class:`shadow.ShadowModel` (``__call__(r_sat, r_sun, R_earth, R_sun)``)
* ``irradiance.ALBEDO_MODELS``: :class:`irradiance.AlbedoModel`
  (``__call__(normals, r, s_hat, solar_w_m2, view, env)``)
* ``orbit.ATMOSPHERES``: density models for drag (``__call__(altitude_m)``)
"""

from __future__ import annotations

import difflib


class Registry(dict):
    """``{name: class}`` of one algorithm family (a dict: ``sorted(registry)`` lists the names)."""

    def __init__(self, family: str, entries: dict):
        super().__init__(entries)
        self.family = family

    def make(self, name: str, **options):
        """An instance of the algorithm ``name`` built with ``options``. Raises ValueError for
        an unknown name (the config checker refuses those before this point)."""
        if name not in self:
            match = difflib.get_close_matches(str(name), list(self), n=1)
            raise ValueError(f"unknown {self.family} {name!r}; known: {', '.join(self)}"
                             + (f"; did you mean {match[0]!r}?" if match else ""))
        return self[name](**options)
