"""Surface attitude (pointing rules) and the irradiance on each surface.

Each surface is a flat plate with an outward normal set by its pointing rule. The front face
receives:

* direct Sun: S (1 AU / d)^2 * sunlit_fraction * max(n . s_hat, 0);
* Earth albedo: a * S (1 AU / d)^2 * max(r_hat . s_hat, 0) * F(n): the planet is a uniform
  Lambertian sphere whose radiosity is set by the Sun's elevation at the sub-satellite point
  (the usual "sub-satellite cosine" model; it overestimates albedo near the terminator);
* Earth infrared: q_IR * F(n);

where F is the view factor from a one-sided flat plate to the Earth sphere. A two-sided
surface has a back face with normal -n.

Pointing rules (``POINTING_CODES``): ``sun`` (normal tracks the Sun), ``nadir``, ``zenith``,
``orbit_normal`` (h = r x v), ``anti_orbit_normal``, ``sun_edge`` (n = unit(s x r): edge-on to
the Sun and to the Earth's centre, the usual radiator placement: the ideal yaw-steering
attitude; falls back to the orbit normal when the Sun is exactly at zenith or nadir. Its sign
cannot be continuous everywhere: near orbit noon and midnight at small beta it turns by about
180 deg within a few beta of orbit, as yaw-steered spacecraft do (GPS's noon turn), and at
beta = 0 it flips there; the flip exchanges mirror images about the orbit plane, so absorbed
fluxes stay continuous (tests/kernels/test_sun_edge.py)), ``ram`` (along the velocity), ``wake``, and
``rsw`` (a fixed unit vector in the radial / along-track / orbit-normal frame).
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from . import fastmath
from .pytree import pytree_dataclass
from .registry import Registry
from .safe import safe_sqrt, safe_unit

POINTING_CODES = {
    "sun": 0,
    "nadir": 1,
    "zenith": 2,
    "orbit_normal": 3,
    "anti_orbit_normal": 4,
    "sun_edge": 5,
    "ram": 6,
    "wake": 7,
    "rsw": 8,
}


def _unit(x):
    return x / jnp.sqrt(jnp.sum(x * x, axis=-1, keepdims=True))


def surface_normals(pointing_code, pointing_rsw, r_eci_m, v_eci_m_s, s_hat):
    """Outward unit normals (n_surfaces, 3) in ECI.

    ``pointing_code``: (n_surfaces,) int, values of ``POINTING_CODES``.
    ``pointing_rsw``: (n_surfaces, 3) unit vectors in the RSW frame (used for code ``rsw``).
    ``r_eci_m``, ``v_eci_m_s``: node state (3,); ``s_hat``: unit vector to the Sun (3,).
    """
    r_hat = _unit(r_eci_m)
    h_hat = _unit(jnp.cross(r_eci_m, v_eci_m_s))
    along_hat = jnp.cross(h_hat, r_hat)
    v_hat = _unit(v_eci_m_s)
    edge_hat = safe_unit(jnp.cross(s_hat, r_hat), h_hat)
    rsw_basis = jnp.stack([r_hat, along_hat, h_hat])  # rows: R, S, W
    candidates = jnp.stack([s_hat, -r_hat, r_hat, h_hat, -h_hat, edge_hat, v_hat, -v_hat])
    fixed = pointing_rsw @ rsw_basis  # (n_surfaces, 3)
    chosen = candidates[jnp.clip(pointing_code, 0, candidates.shape[0] - 1)]
    return jnp.where((pointing_code == POINTING_CODES["rsw"])[:, None], fixed, chosen)


#: [1] width in cos(lambda) of the band inside the full-view edge where the full-view form is
#: used (see view_factors_two_faces): value changed by under 1e-14 (float64) and 6e-7
#: (float32, at H = 1.03), gradient within 2e-6 (float64) and 3e-2 (float32) of 1/H^2 there
_EDGE_BAND_F64 = 1e-6
_EDGE_BAND_F32 = 1e-3


def view_factor_plate_sphere(h_ratio, cos_tilt):
    """View factor from a one-sided differential flat plate to a sphere.

    ``h_ratio``: distance of the plate from the sphere's centre / sphere radius (> 1).
    ``cos_tilt``: cosine of the angle lambda between the plate normal and the direction to the
    sphere's centre. Any shape (broadcast).

    Closed form (Howell's catalogue of configuration factors, "differential planar element to
    sphere, tilted"; also Thornton, *Thermal Structures for Aerospace Applications*):
    full view (lambda <= acos(1/H)): F = cos(lambda) / H^2;
    partial view (acos(1/H) < lambda < pi - acos(1/H)):
    F = 1/2 - asin(sqrt(H^2-1) / (H sin lambda)) / pi
        + (cos lambda * acos(-sqrt(H^2-1) cot lambda) - sqrt(H^2-1) sqrt(1 - H^2 cos^2 lambda))
          / (pi H^2);
    none beyond. Continuous in lambda with finite gradients (double-where on each branch).
    The front face of :func:`view_factors_two_faces` (under jit the back face's operations are
    dropped as unused).
    """
    return view_factors_two_faces(h_ratio, cos_tilt)[0]


def view_factors_two_faces(h_ratio, cos_tilt):
    """``(front, back)``: :func:`view_factor_plate_sphere` of a plate's two faces (normals n
    and -n), sharing the square roots and inverse trigonometric functions: the partial-view
    band is the same for both faces, the arcsine's argument is the same, and
    acos(-x) = pi - acos(x)."""
    h2 = h_ratio * h_ratio
    root = jnp.sqrt(h2 - 1.0)
    cos_full = 1.0 / h_ratio  # cos(acos(1/H))
    # Within _EDGE_BAND of the full-view edge the partial form equals the full one to
    # K delta^(5/2) (K = 13 at H = 1.03, 0.26 at H = 2; measured in extended precision), but
    # its derivative there is the difference of two terms of size 1/sqrt(delta) and rounding
    # leaves it wrong by up to ~1e7 one ulp from the edge: the band takes the full-view form.
    band = _EDGE_BAND_F32 if jnp.finfo(jnp.result_type(cos_tilt)).eps > 1e-10 else _EDGE_BAND_F64
    front_full = cos_tilt >= cos_full - band  # the back face sees nothing, and the reverse
    back_full = cos_tilt <= band - cos_full
    partial = ~(front_full | back_full)
    c = jnp.where(partial, cos_tilt, 0.0)  # safe dummy: lambda = 90 deg is always partial
    s = jnp.sqrt(1.0 - c * c)
    # Near the full-view edges the arguments of asin and acos round to +-1, where the
    # functions' derivatives are infinite (a NaN gradient, 0 * inf, after a clip): double-where
    # to the edge value. The exact F is C^1 across the edge (the two singular terms cancel).
    u = root / (h_ratio * s)  # >= 0
    u_in = u < 1.0
    asin_term = jnp.where(u_in, 0.5 - fastmath.asin(jnp.where(u_in, u, 0.0)) / jnp.pi, 0.0)
    w = -root * c / s
    w_in = jnp.abs(w) < 1.0
    acos_front = jnp.where(w_in, fastmath.acos(jnp.where(w_in, w, 0.0)), jnp.where(w > 0, 0.0, jnp.pi))
    inner = jnp.clip(1.0 - h2 * c * c, 0.0, None)
    root_term = root * safe_sqrt(inner)
    f_front = asin_term + (c * acos_front - root_term) / (jnp.pi * h2)
    f_back = asin_term + (-c * (jnp.pi - acos_front) - root_term) / (jnp.pi * h2)
    front = jnp.where(front_full, cos_tilt / h2, jnp.where(back_full, 0.0, jnp.clip(f_front, 0.0, 1.0)))
    back = jnp.where(back_full, -cos_tilt / h2, jnp.where(front_full, 0.0, jnp.clip(f_back, 0.0, 1.0)))
    return front, back


class AlbedoModel:
    """Interface of the albedo models (``ALBEDO_MODELS``): an instance is called as
    ``model(normals, r_eci_m, s_hat, solar_w_m2, view, env)`` and returns the albedo
    irradiance on each front face [W/m^2] (n_surfaces,); ``view``: the faces' view factors
    to the Earth."""

    def __call__(self, normals, r_eci_m, s_hat, solar_w_m2, view, env):  # pragma: no cover
        raise NotImplementedError


class SubsatelliteAlbedo(AlbedoModel):
    """Albedo radiosity set by the Sun's elevation at the sub-satellite point, spread over the
    whole visible cap: E = a S max(r_hat . s_hat, 0) F(n). Cheap; overestimates near the
    terminator (the cap's night side counts as lit) and underestimates just past it."""

    def __call__(self, normals, r_eci_m, s_hat, solar_w_m2, view, env):
        subsolar_cos = jnp.maximum(jnp.dot(r_eci_m / jnp.sqrt(jnp.sum(r_eci_m * r_eci_m)), s_hat), 0.0)
        return env.albedo * solar_w_m2 * subsolar_cos * view


class CapQuadratureAlbedo(AlbedoModel):
    """Albedo integrated over the visible cap, each ground element lit by the Sun at its own
    elevation (Lambertian ground of albedo a, radiance a S max(cos zenith, 0) / pi):

        E(n) = sum_k a S max(p_k . s, 0) / pi * max(n . w_k, 0) cos(theta_k) dA_k / d_k^2

    over a fixed grid on the cap: Gauss-Legendre in the Earth-central angle (``n_radial``
    nodes) times a uniform azimuth grid (``n_azimuth``). The terminator and the plate's
    horizon are kinks of the integrand, so accuracy is about 1 % of the cap's full albedo
    (measured against a fine independent quadrature in tests/kernels/test_irradiance.py);
    cost grows with n_radial * n_azimuth * n_surfaces.
    """

    def __init__(self, n_radial: int = 12, n_azimuth: int = 24):
        import numpy as np

        x, w = np.polynomial.legendre.leggauss(n_radial)
        self.u, self.wu = 0.5 * (x + 1.0), 0.5 * w  # nodes and weights on [0, 1]
        self.phi = 2 * np.pi * (np.arange(n_azimuth) + 0.5) / n_azimuth
        self.n_azimuth = n_azimuth

    def __call__(self, normals, r_eci_m, s_hat, solar_w_m2, view, env):
        del view
        dtype = r_eci_m.dtype
        radius = env.r_eq_m.astype(dtype)
        r = jnp.sqrt(jnp.sum(r_eci_m * r_eci_m))
        r_hat = r_eci_m / r
        psi_max = jnp.arccos(radius / r)
        # an orthonormal pair perpendicular to r_hat
        helper = jnp.where(jnp.abs(r_hat[2]) < 0.9, jnp.asarray([0.0, 0.0, 1.0], dtype), jnp.asarray([1.0, 0.0, 0.0], dtype))
        e1 = jnp.cross(r_hat, helper)
        e1 = e1 / jnp.sqrt(jnp.sum(e1 * e1))
        e2 = jnp.cross(r_hat, e1)
        psi = jnp.asarray(self.u, dtype) * psi_max  # (R,)
        dpsi = jnp.asarray(self.wu, dtype) * psi_max
        phi = jnp.asarray(self.phi, dtype)  # (A,)
        horizontal = jnp.cos(phi)[:, None] * e1[None, :] + jnp.sin(phi)[:, None] * e2[None, :]  # (A, 3)
        ground = (jnp.cos(psi)[:, None, None] * r_hat[None, None, :]
                  + jnp.sin(psi)[:, None, None] * horizontal[None, :, :])  # (R, A, 3) unit vectors
        to_ground = radius * ground - r_eci_m[None, None, :]
        dist2 = jnp.sum(to_ground * to_ground, axis=-1)
        w = to_ground / jnp.sqrt(dist2)[:, :, None]
        cos_ground = jnp.maximum(-jnp.sum(w * ground, axis=-1), 0.0)
        lit = jnp.maximum(ground @ s_hat, 0.0)
        area = radius * radius * jnp.sin(psi)[:, None] * dpsi[:, None] * (2 * jnp.pi / self.n_azimuth)
        weight = env.albedo * solar_w_m2 / jnp.pi * lit * cos_ground * area / dist2  # (R, A)
        cos_plate = jnp.maximum(jnp.einsum("sk,rak->sra", normals, w), 0.0)
        return jnp.sum(cos_plate * weight[None], axis=(1, 2))


ALBEDO_MODELS = Registry("albedo model", {"subsatellite": SubsatelliteAlbedo, "cap": CapQuadratureAlbedo})


def _face_geometry(normals, r_eci_m, s_hat, sun_distance_m, env, albedo_model):
    """What both flux functions need: the albedo model (default: sub-satellite cosine), the
    node's distance in Earth radii, the solar irradiance at its distance [W/m^2], and each
    front face's cosines to the Sun and to the Earth's centre, each (n_surfaces,)."""
    albedo_model = SubsatelliteAlbedo() if albedo_model is None else albedo_model
    r = jnp.sqrt(jnp.sum(r_eci_m * r_eci_m))
    r_hat = r_eci_m / r
    solar_w_m2 = env.solar_constant_w_m2 * (env.au_m / sun_distance_m) ** 2
    return albedo_model, r / env.r_eq_m.astype(r.dtype), solar_w_m2, normals @ s_hat, normals @ (-r_hat)


def surface_fluxes(normals, r_eci_m, s_hat, sun_distance_m, sunlit_fraction, env, albedo_model=None):
    """Irradiance on the front face of each surface [W/m^2], each (n_surfaces,).

    Returns ``(direct, albedo, earth_ir)``; the back face of a two-sided surface gets the same
    call with ``-normals``. ``env`` provides ``solar_constant_w_m2``, ``au_m``, ``albedo``,
    ``earth_ir_w_m2``, ``r_eq_m`` (the radius used for the Earth's view factor).
    ``albedo_model``: a :data:`ALBEDO_MODELS` instance (default: sub-satellite cosine).
    """
    albedo_model, h_ratio, solar_w_m2, cos_sun, cos_tilt = _face_geometry(
        normals, r_eci_m, s_hat, sun_distance_m, env, albedo_model)
    direct = solar_w_m2 * sunlit_fraction * jnp.maximum(cos_sun, 0.0)
    view = view_factor_plate_sphere(h_ratio, cos_tilt)
    albedo = albedo_model(normals, r_eci_m, s_hat, solar_w_m2, view, env)
    earth_ir = env.earth_ir_w_m2 * view
    return direct, albedo, earth_ir


def surface_fluxes_two_faces(normals, r_eci_m, s_hat, sun_distance_m, sunlit_fraction, env, albedo_model=None):
    """:func:`surface_fluxes` of the front faces (normals n) and the back faces (-n) at once,
    ``((direct, albedo, earth_ir), (direct_back, albedo_back, earth_ir_back))``; the view
    factors share their work (:func:`view_factors_two_faces`)."""
    albedo_model, h_ratio, solar_w_m2, cos_sun, cos_tilt = _face_geometry(
        normals, r_eci_m, s_hat, sun_distance_m, env, albedo_model)
    direct = solar_w_m2 * sunlit_fraction * jnp.maximum(cos_sun, 0.0)
    direct_back = solar_w_m2 * sunlit_fraction * jnp.maximum(-cos_sun, 0.0)
    view, view_back = view_factors_two_faces(h_ratio, cos_tilt)
    albedo = albedo_model(normals, r_eci_m, s_hat, solar_w_m2, view, env)
    albedo_back = albedo_model(-normals, r_eci_m, s_hat, solar_w_m2, view_back, env)
    return ((direct, albedo, env.earth_ir_w_m2 * view),
            (direct_back, albedo_back, env.earth_ir_w_m2 * view_back))


@pytree_dataclass
class SurfaceLoads:
    """What a node's surfaces take from (and give to) the environment over a step, for full Sun
    (the direct Sun scales with a substep's mean sunlit fraction f: absorbed = ``other_w`` +
    f ``sun_w`` per surface, cell irradiance = ``cells_other_w`` + f ``cells_sun_w``)."""

    sun_w: Any  #: [W] (S,) direct Sun absorbed by each surface (both faces) in full Sun
    other_w: Any  #: [W] (S,) Earth albedo and Earth IR absorbed by each surface (both faces)
    albedo_w: Any  #: [W] (S,) the albedo share of ``other_w`` (for the output only)
    ir_w: Any  #: [W] (S,) the Earth IR share of ``other_w`` (for the output only)
    cells_sun_w: Any  #: [W] () direct Sun on the cell faces (area x irradiance) in full Sun
    cells_other_w: Any  #: [W] () albedo on the cell faces (area x irradiance)
    emission_w_k4: Any  #: [W/K^4] (C,) sigma x sum of emittance x area of each component's faces


def surface_loads(surfaces, r_eci_m, v_eci_m_s, s_hat, sun_distance_m, env, albedo_model=None) -> SurfaceLoads:
    """The irradiance stage of a node: normals by each surface's pointing rule, the fluxes on
    both faces, and what each surface absorbs and emits, from the node's surface group
    ``surfaces`` (kernels.model.SurfaceParams: ``area_m2``, ``pointing``, ``rsw``,
    ``absorptance``, ``emittance``, ``back_absorptance``, ``back_emittance``, ``cells``,
    ``component``). ``r_eci_m``, ``v_eci_m_s``: the node's state (3,) where the geometry is
    taken (the step's midpoint); ``s_hat``: unit vector to the Sun; ``sun_distance_m`` [m];
    ``env``: as :func:`surface_fluxes` (and ``sigma_w_m2_k4``). A new per-surface property is
    a field of SurfaceParams read here."""
    normals = surface_normals(surfaces.pointing, surfaces.rsw, r_eci_m, v_eci_m_s, s_hat)
    (direct_f, albedo_f, ir_f), (direct_b, albedo_b, ir_b) = surface_fluxes_two_faces(
        normals, r_eci_m, s_hat, sun_distance_m, jnp.ones((), r_eci_m.dtype), env, albedo_model)
    area = surfaces.area_m2
    return SurfaceLoads(
        sun_w=area * (surfaces.absorptance * direct_f + surfaces.back_absorptance * direct_b),
        other_w=area * (surfaces.absorptance * albedo_f + surfaces.emittance * ir_f
                        + surfaces.back_absorptance * albedo_b + surfaces.back_emittance * ir_b),
        # the split of other_w for the output (absorbed_albedo, absorbed_ir): computed only when
        # sampled (XLA drops unused diagnostics); other_w itself stays the expression above
        albedo_w=area * (surfaces.absorptance * albedo_f + surfaces.back_absorptance * albedo_b),
        ir_w=area * (surfaces.emittance * ir_f + surfaces.back_emittance * ir_b),
        cells_sun_w=jnp.sum(area * surfaces.cells * direct_f),
        cells_other_w=jnp.sum(area * surfaces.cells * albedo_f),
        emission_w_k4=env.sigma_w_m2_k4 * ((area * (surfaces.emittance + surfaces.back_emittance))
                                           @ surfaces.component),
    )
