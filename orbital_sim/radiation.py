"""Trapped radiation along each node's orbit (``[radiation]`` in the config).

Models: AP-8 MIN for protons and AE-8 MAX for electrons (NASA's trapped particle models; the
conservative pair for a mission that spans the solar cycle, ECSS-E-ST-10-04C 9.2.1.1 note 1)
with the IGRF main field at the run's epoch, through the PyPI package ``radbelt`` (the
``radiation`` extra: ``pip install "orbital-compute-sim[radiation]"``).

Method (choice measured, numbers in docs/risks.md):

- ``radbelt`` costs about 0.25 ms per point for IGRF and 2 ms per point and energy for AE-8 /
  AP-8 on this machine, so a fleet cannot call it at every sample (10,240 nodes x 1,440
  samples x 19 energies would take about 6 days). The fluxes are tabulated instead, in two
  stages: (1) the integral fluxes on an (L, log10 B/B0) grid for 9 proton and 10 electron
  energies, shipped as ``orbital_sim/data/trapped_flux_ap8ae8.npz`` and rebuilt with
  ``python -m orbital_sim.radiation build-table`` (radbelt); (2) L and B/B0 from IGRF on a
  geographic grid (5 deg longitude, 2.5 deg latitude, levels every 50 km over the fleet's
  altitudes) at the run's mid-epoch, built at the start of the run (a few seconds).
- At every output sample, each node's ECI position goes to Earth-fixed axes (GMST and IAU
  1976 precession, ``kernels.ground.itrs_to_eci_matrix``), to WGS-84 geodetic coordinates, to
  (L, log10 B/B0) by trilinear interpolation, and to the integral fluxes by bilinear
  interpolation of their logarithms. The sample stands for the output interval that ends at
  it (fluence = sum of flux x interval).
- Fluences above 10 MeV (protons) and 1 MeV (electrons), time in the South Atlantic Anomaly
  (protons above 10 MeV at more than ``SAA_FLUX_CM2_S``: below about 1,000 km the inner belt
  reaches down only there), and the total ionising dose in silicon at the centre of an
  aluminium spherical shell of the configured thickness (``dose_weights``).

Dose-depth method (``dose_weights``): the omnidirectional spectrum, from the differences of
the integral fluxes between tabulated energies (each bin at its geometric-mean energy, the
top bin at the top energy), is carried through the shield in the continuous-slowing-down
approximation: protons with Bethe's stopping power in aluminium (I = 166 eV, no shell or
density corrections) integrated to a CSDA range, electrons with the Katz-Penfold practical
range; each particle that gets through deposits its collision stopping power in silicon at its
exit energy (Bethe for protons, I = 173 eV; Rohrlich-Carlson for electrons). Neglected:
bremsstrahlung from electrons stopped in the shield (it dominates behind shields thicker than
the electron range), range straggling, nuclear reactions and secondaries, solar particle events
and galactic cosmic rays. Uncertainty: AP-8/AE-8 themselves are quoted to a factor of about 2
in LEO; the method adds tens of per cent. Read the dose as a factor-of-2 estimate.
"""

from __future__ import annotations

import dataclasses
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from orbital_sim.config.types import RadiationConfig  # noqa: F401  (declared with its keys)

#: what to install when radbelt is missing (one line, printed by the CLI)
INSTALL_HINT = ('[radiation] needs the radiation extra (radbelt, AE-8/AP-8 with IGRF): '
                'pip install "orbital-compute-sim[radiation]"')
TABLE_PATH = Path(__file__).parent / "data" / "trapped_flux_ap8ae8.npz"
#: [cm^-2 s^-1] protons above 10 MeV: above this the node is counted in the South Atlantic Anomaly
SAA_FLUX_CM2_S = 1.0
#: fluxes below this after interpolation count as zero [cm^-2 s^-1] (the table's floor is 1e-3)
_FLUX_FLOOR_CM2_S = 1e-3
_MEV_PER_G_TO_GY = 1.602176634e-13 * 1e3  # [Gy] per (MeV/g)
_AL_DENSITY_G_CM3 = 2.699  # aluminium (NIST)
#: geographic grid of the IGRF stage
_GRID_LON_DEG, _GRID_LAT_DEG, _GRID_ALT_M = 5.0, 2.5, 50e3
_L_CAP = 50.0  # L is capped before interpolation (it diverges near the magnetic poles)


class RadiationUnavailable(RuntimeError):
    """radbelt is not installed: the message is :data:`INSTALL_HINT`."""



def require_radbelt():
    """The ``radbelt`` module, or :class:`RadiationUnavailable` with the install hint."""
    try:
        import radbelt
    except ImportError:
        raise RadiationUnavailable(INSTALL_HINT) from None
    return radbelt


# --------------------------------------------------------------------------------------------
# Stage 1: the (L, B/B0) flux table
# --------------------------------------------------------------------------------------------

TABLE_L = np.round(np.concatenate([np.arange(1.0, 3.0 - 1e-9, 0.05), np.arange(3.0, 9.0 - 1e-9, 0.125),
                                   np.arange(9.0, 12.0 + 1e-9, 0.25)]), 4)
TABLE_LOG10_B_B0 = np.round(np.arange(0.0, 3.6 + 1e-9, 0.025), 4)
TABLE_PROTON_L_MAX = 4.0  #: AP-8 is tabulated up to this L (above 10 MeV it is nil beyond at LEO heights)
TABLE_PROTON_MEV = np.array([1.0, 5.0, 10.0, 20.0, 30.0, 50.0, 100.0, 200.0, 400.0])
TABLE_ELECTRON_MEV = np.array([0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0])


def build_table(path: Path = TABLE_PATH) -> None:
    """Tabulate the integral fluxes [cm^-2 s^-1] of AP-8 MIN (protons, L <= 4) and AE-8 MAX
    (electrons) with radbelt on (L, log10 B/B0) and save them (about 170,000 calls of 2 ms).

    The shipped table was built in steps on a loaded machine: electrons at every node; protons
    at every L node up to 4 but only every 0.1 in log10 B/B0 above 1 and every 0.25 in L above
    3, the rows between filled by interpolating the fourth root (protons above log10 B/B0 = 1
    carry under 1 % of the LEO fluence)."""
    radbelt = require_radbelt()
    ll, bb = np.meshgrid(TABLE_L, 10.0 ** TABLE_LOG10_B_B0, indexing="ij")
    inner = TABLE_L <= TABLE_PROTON_L_MAX
    protons = np.zeros((len(TABLE_PROTON_MEV),) + ll.shape)
    for k, e in enumerate(TABLE_PROTON_MEV):
        protons[k, inner] = radbelt.aep8(e, ll[inner], bb[inner], "p", "min")
    electrons = np.stack([radbelt.aep8(e, ll, bb, "e", "max") for e in TABLE_ELECTRON_MEV])
    np.savez_compressed(path, l_shell=TABLE_L, log10_b_b0=TABLE_LOG10_B_B0, proton_mev=TABLE_PROTON_MEV,
                        electron_mev=TABLE_ELECTRON_MEV, proton_flux=protons.astype(np.float32),
                        electron_flux=electrons.astype(np.float32))


#: fluxes are interpolated as flux**_ROOT: linear in it near a belt's edge, where the flux falls
#: to zero and its logarithm to minus infinity (orbit-summed errors measured in docs/risks.md:
#: the fourth root gave -2 % on protons above 10 MeV where the logarithm gave -8 %)
_ROOT = 0.25


@lru_cache(maxsize=1)
def flux_table() -> dict:
    """``{"l": (nL,), "logb": (nB,), "energy_mev": (E,), "particle": (E,) 'p'/'e',
    "root_flux": (E, nL, nB)}``: the integral fluxes [cm^-2 s^-1] to the power ``_ROOT``."""
    with np.load(TABLE_PATH) as z:
        flux = np.concatenate([z["proton_flux"], z["electron_flux"]]).astype(np.float64)
        return {"l": z["l_shell"], "logb": z["log10_b_b0"],
                "energy_mev": np.concatenate([z["proton_mev"], z["electron_mev"]]),
                "particle": np.array(["p"] * len(z["proton_mev"]) + ["e"] * len(z["electron_mev"])),
                "root_flux": np.maximum(flux, 0.0) ** _ROOT}


def _axis_weights(grid, x):
    """Index i and weight w of x on a sorted 1-D grid (x = (1-w) g[i] + w g[i+1]); outside -> clipped, flagged."""
    i = np.clip(np.searchsorted(grid, x, side="right") - 1, 0, len(grid) - 2)
    w = (x - grid[i]) / (grid[i + 1] - grid[i])
    inside = (x >= grid[0]) & (x <= grid[-1])
    return i, np.clip(w, 0.0, 1.0), inside


def fluxes_from_lb(table: dict, l_shell, log10_b_b0):
    """Integral fluxes [cm^-2 s^-1] (E, ...) at (L, log10 B/B0) by bilinear interpolation of
    their fourth roots; zero outside the table (L > 12, B/B0 > 10^3.6: AE-8/AP-8 hold no trapped
    flux there at LEO heights) and below 1e-3."""
    l_shell, log10_b_b0 = np.asarray(l_shell, float), np.asarray(log10_b_b0, float)
    i, wi, in_l = _axis_weights(table["l"], l_shell)
    j, wj, in_b = _axis_weights(table["logb"], np.maximum(log10_b_b0, 0.0))
    f = table["root_flux"]
    v = ((1 - wi) * (1 - wj) * f[:, i, j] + wi * (1 - wj) * f[:, i + 1, j]
         + (1 - wi) * wj * f[:, i, j + 1] + wi * wj * f[:, i + 1, j + 1])
    flux = v ** (1.0 / _ROOT)
    return np.where((flux > _FLUX_FLOOR_CM2_S) & in_l & in_b, flux, 0.0)


# --------------------------------------------------------------------------------------------
# Stage 2: L and B/B0 on a geographic grid (IGRF)
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class MagneticGrid:
    """IGRF L-shell and log10 B/B0 on (longitude, latitude, altitude) at one decimal year."""

    lon_deg: np.ndarray  #: (nlon,) -180 .. 180
    lat_deg: np.ndarray  #: (nlat,) -90 .. 90
    alt_m: np.ndarray  #: (nalt,)
    l_shell: np.ndarray  #: (nlon, nlat, nalt), capped at _L_CAP
    log10_b_b0: np.ndarray  #: (nlon, nlat, nalt)

    @classmethod
    def build(cls, year: float, alt_min_m: float, alt_max_m: float) -> "MagneticGrid":
        radbelt = require_radbelt()
        lon = np.arange(-180.0, 180.0 + 1e-9, _GRID_LON_DEG)
        lat = np.arange(-90.0, 90.0 + 1e-9, _GRID_LAT_DEG)
        lo = math.floor(alt_min_m / _GRID_ALT_M) * _GRID_ALT_M
        hi = max(math.ceil(alt_max_m / _GRID_ALT_M) * _GRID_ALT_M, lo + _GRID_ALT_M)
        alt = np.arange(lo, hi + 1.0, _GRID_ALT_M)
        g_lon, g_lat, g_alt = np.meshgrid(lon, lat, alt, indexing="ij")
        l_shell, b_b0 = radbelt.igrf(g_lon, g_lat, g_alt / 1e3, year)
        l_shell = np.where(np.isfinite(l_shell) & (l_shell > 0), np.minimum(l_shell, _L_CAP), _L_CAP)
        logb = np.log10(np.where(np.isfinite(b_b0) & (b_b0 > 0), b_b0, 1e4))
        return cls(lon, lat, alt, l_shell, logb)

    def at(self, lon_deg, lat_deg, alt_m):
        """(L, log10 B/B0) at geodetic points by trilinear interpolation."""
        i, wi, _ = _axis_weights(self.lon_deg, np.mod(np.asarray(lon_deg) + 180.0, 360.0) - 180.0)
        j, wj, _ = _axis_weights(self.lat_deg, np.asarray(lat_deg))
        k, wk, _ = _axis_weights(self.alt_m, np.asarray(alt_m))
        out = []
        for arr in (self.l_shell, self.log10_b_b0):
            acc = 0.0
            for di, wa in ((0, 1 - wi), (1, wi)):
                for dj, wb in ((0, 1 - wj), (1, wj)):
                    for dk, wc in ((0, 1 - wk), (1, wk)):
                        acc = acc + wa * wb * wc * arr[i + di, j + dj, k + dk]
            out.append(acc)
        return out[0], out[1]


def geodetic_from_itrs(r_itrs_m):
    """WGS-84 geodetic (longitude deg, latitude deg, height m) of Earth-fixed positions (..., 3)
    (Bowring's formula with two refinements: well below a metre in LEO)."""
    a, f = 6378137.0, 1.0 / 298.257223563
    b = a * (1 - f)
    e2 = f * (2 - f)
    ep2 = e2 / (1 - e2)
    x, y, z = r_itrs_m[..., 0], r_itrs_m[..., 1], r_itrs_m[..., 2]
    p = np.hypot(x, y)
    lat = np.arctan2(z, p * (1 - e2))
    for _ in range(3):
        theta = np.arctan2(z * a, p * b) if _ == 0 else np.arctan2(b * np.sin(lat), a * np.cos(lat))
        lat = np.arctan2(z + ep2 * b * np.sin(theta) ** 3, p - e2 * a * np.cos(theta) ** 3)
    n = a / np.sqrt(1 - e2 * np.sin(lat) ** 2)
    height = np.where(np.abs(np.cos(lat)) > 1e-9, p / np.cos(lat) - n, np.abs(z) - b)
    return np.degrees(np.arctan2(y, x)), np.degrees(lat), height


def eci_to_itrs(epoch, t_s, r_eci_m):
    """Earth-fixed positions (K, N, 3) of ECI positions (K, N, 3) at ``t_s`` (K,) seconds after
    ``epoch`` (datetime, UTC; UT1 = UTC)."""
    import jax
    import jax.numpy as jnp

    from orbital_sim.kernels.ground import itrs_to_eci_matrix
    from orbital_sim.timescales import julian_date_tt_two_part, julian_date_utc_two_part

    u_whole, u_frac = julian_date_utc_two_part(epoch)
    t_whole, t_frac = julian_date_tt_two_part(epoch)
    days = jnp.asarray(np.asarray(t_s, np.float64) / 86400.0)
    mats = jax.vmap(lambda d: itrs_to_eci_matrix(u_whole, u_frac + d, t_whole, t_frac + d))(days)
    return np.einsum("kji,knj->kni", np.asarray(mats), np.asarray(r_eci_m, np.float64))  # M^T r


# --------------------------------------------------------------------------------------------
# Dose behind an aluminium shell
# --------------------------------------------------------------------------------------------

_ME_MEV = 0.51099895  # electron rest energy
_MP_MEV = 938.27208816  # proton rest energy
_K_MEV_CM2_MOL = 0.307075  # 4 pi N_A r_e^2 m_e c^2 (PDG)
_AL = (13.0 / 26.9815, 166e-6)  # Z/A, I [MeV]
_SI = (14.0 / 28.085, 173e-6)


def proton_stopping_mev_cm2_g(e_mev, material=_AL):
    """Bethe collision stopping power of protons [MeV cm^2/g] (no shell, density or Barkas
    corrections: a few per cent high below about 5 MeV, about 1 % above 10 MeV)."""
    z_a, i_mev = material
    gamma = 1.0 + np.asarray(e_mev, float) / _MP_MEV
    beta2 = 1.0 - 1.0 / gamma ** 2
    tmax = 2 * _ME_MEV * beta2 * gamma ** 2 / (1 + 2 * gamma * _ME_MEV / _MP_MEV + (_ME_MEV / _MP_MEV) ** 2)
    arg = 2 * _ME_MEV * beta2 * gamma ** 2 * tmax / i_mev ** 2
    return _K_MEV_CM2_MOL * z_a / beta2 * (0.5 * np.log(arg) - beta2)


def electron_stopping_mev_cm2_g(e_mev, material=_SI):
    """Rohrlich-Carlson collision stopping power of electrons [MeV cm^2/g] (no density effect)."""
    z_a, i_mev = material
    tau = np.asarray(e_mev, float) / _ME_MEV
    beta2 = 1.0 - 1.0 / (tau + 1.0) ** 2
    f = 1 - beta2 + (tau ** 2 / 8 - (2 * tau + 1) * math.log(2)) / (tau + 1) ** 2
    return 0.5 * _K_MEV_CM2_MOL * z_a / beta2 * (np.log(tau ** 2 * (tau + 2) / (2 * (i_mev / _ME_MEV) ** 2)) + f)


_E_GRID = np.geomspace(0.5, 2000.0, 4000)  # [MeV] for the proton range integral
_S_GRID = proton_stopping_mev_cm2_g(_E_GRID)
#: range at 0.5 MeV ~ 2.9 mg/cm^2 (Bragg-Kleeman), then the trapezoid rule on dE / S
_R_GRID = 0.0029 + np.concatenate([[0.0], np.cumsum(np.diff(_E_GRID) * 0.5 * (1 / _S_GRID[1:] + 1 / _S_GRID[:-1]))])


def proton_range_al_g_cm2(e_mev):
    """CSDA range of protons in aluminium [g/cm^2] (Bethe stopping integrated from 0.5 MeV;
    below, the Bragg-Kleeman power law R ~ E^1.75 through the range at 0.5 MeV)."""
    e = np.asarray(e_mev, float)
    low = _R_GRID[0] * (np.maximum(e, 1e-6) / _E_GRID[0]) ** 1.75
    return np.where(e < _E_GRID[0], low, np.interp(np.log(np.maximum(e, 1e-6)), np.log(_E_GRID), _R_GRID))


def electron_range_al_g_cm2(e_mev):
    """Katz-Penfold practical range of electrons in aluminium [g/cm^2] (0.01-20 MeV)."""
    e = np.asarray(e_mev, float)
    low = 0.412 * e ** (1.265 - 0.0954 * np.log(e))
    return np.where(e <= 2.5, low, 0.530 * e - 0.106)


def proton_deposit_mev_cm2_g(e_mev):
    """Stopping power in silicon [MeV cm^2/g] charged to a proton leaving the shield at
    ``e_mev``: Bethe at max(E, 0.5 MeV) (below 0.5 MeV Bethe fails; the few protons that leave
    that slow are charged the 0.5 MeV value, about 60 % of the true Bragg peak)."""
    return proton_stopping_mev_cm2_g(np.maximum(e_mev, 0.5), _SI)


def electron_deposit_mev_cm2_g(e_mev):
    """Collision stopping power in silicon [MeV cm^2/g] charged to an electron leaving the shield
    at ``e_mev`` (Rohrlich-Carlson at max(E, 0.02 MeV))."""
    return electron_stopping_mev_cm2_g(np.maximum(e_mev, 0.02))


def _exit_energy(range_fn, e_mev, t_g_cm2, e_lo=0.01, e_hi=2000.0):
    """Energy [MeV] left after ``t`` g/cm^2 (R(E_out) = R(E) - t); NaN when stopped."""
    grid = np.geomspace(e_lo, e_hi, 6000)
    r = range_fn(grid)
    rest = range_fn(e_mev) - t_g_cm2
    return np.where(rest > 0, np.exp(np.interp(rest, r, np.log(grid))), np.nan)


def dose_behind_shield_gy(energy_mev, particle, fluence_cm2, shield_m: float, points: int = 2000):
    """Total ionising dose [Gy(Si)] (...,) at the centre of an aluminium spherical shell of
    ``shield_m`` from omnidirectional integral fluences ``fluence_cm2`` (..., E) [cm^-2 above
    energy_mev[k]] of protons ('p') and electrons ('e').

    Per species: the integral spectrum is interpolated log-log between its tabulated energies
    on ``points`` energies; each energy bin's particles leave the shell with the CSDA exit
    energy (zero dose if stopped) and deposit their collision stopping power in silicon; the
    particles above the top energy count at the top energy."""
    t = shield_m * 100.0 * _AL_DENSITY_G_CM3
    energy_mev = np.asarray(energy_mev, float)
    fluence = np.asarray(fluence_cm2, float)
    dose = np.zeros(fluence.shape[:-1])
    for kind, range_fn, stopping in (("p", proton_range_al_g_cm2, proton_deposit_mev_cm2_g),
                                     ("e", electron_range_al_g_cm2, electron_deposit_mev_cm2_g)):
        idx = np.nonzero(np.asarray(particle) == kind)[0]
        if idx.size < 2:
            continue
        e = energy_mev[idx]
        f = np.maximum(fluence[..., idx], 1e-30)
        fine = np.geomspace(e[0], e[-1], points)
        # log-log interpolation of F(E) at the fine energies, for every leading index at once
        pos = np.clip(np.searchsorted(e, fine, side="right") - 1, 0, len(e) - 2)
        w = (np.log(fine) - np.log(e[pos])) / (np.log(e[pos + 1]) - np.log(e[pos]))
        log_f = np.log(f)
        f_fine = np.exp((1 - w) * log_f[..., pos] + w * log_f[..., pos + 1])
        f_fine = np.where(f_fine < 1e-20, 0.0, f_fine)
        mid = np.sqrt(fine[:-1] * fine[1:])
        out = _exit_energy(range_fn, np.append(mid, e[-1]), t) if t > 0 else np.append(mid, e[-1])
        per_particle = np.where(np.isfinite(out), stopping(np.where(np.isfinite(out), out, 1.0)), 0.0) \
            * _MEV_PER_G_TO_GY
        in_bin = f_fine[..., :-1] - f_fine[..., 1:]
        dose = dose + in_bin @ per_particle[:-1] + f_fine[..., -1] * per_particle[-1]
    return dose


# --------------------------------------------------------------------------------------------
# In a run
# --------------------------------------------------------------------------------------------

class RunRadiation:
    """Fluence spectra and SAA time of one run, accumulated chunk by chunk from the position
    samples (restart leaves ``radiation.*``, so a resumed run continues them); the dose and the
    summary are computed from the spectra at the end."""

    def __init__(self, cfg: RadiationConfig, *, simulation, state, n_nodes: int, stored: dict | None = None):
        require_radbelt()
        self.cfg = cfg
        self.epoch = simulation.epoch
        self.dt_s = float(simulation.output_every_s)
        self.table = flux_table()
        r = np.asarray(state.r_eci_m, np.float64).reshape(-1, 3)
        v = np.asarray(state.v_eci_m_s, np.float64).reshape(-1, 3)
        alt_lo, alt_hi = _altitude_range_m(r, v)
        mid_year = _decimal_year(simulation.epoch) + simulation.duration_s / 2 / (365.25 * 86400.0)
        self.grid = MagneticGrid.build(mid_year, alt_lo, alt_hi)
        self.names = [f"{'proton' if p == 'p' else 'electron'}_fluence_{e:g}mev".replace(".", "p")
                      for p, e in zip(self.table["particle"], self.table["energy_mev"])]
        self.fluence = np.zeros((n_nodes, len(self.names)))  # [cm^-2]
        self.saa_s = np.zeros(n_nodes)
        stored = stored or {}
        for k, name in enumerate(self.names):
            if f"radiation.{name}" in stored:
                self.fluence[:, k] = stored[f"radiation.{name}"]
        if "radiation.saa_time" in stored:
            self.saa_s = np.asarray(stored["radiation.saa_time"], np.float64).copy()

    def fluxes_at(self, t_s, r_eci_m):
        """Integral fluxes [cm^-2 s^-1] (E, K, N) at positions (K, N, 3) and times (K,)."""
        lon, lat, alt = geodetic_from_itrs(eci_to_itrs(self.epoch, t_s, r_eci_m))
        l_shell, logb = self.grid.at(lon, lat, alt)
        return fluxes_from_lb(self.table, l_shell, logb)

    def chunk(self, times_s, samples, n_valid: int, n_nodes: int) -> None:
        r = np.asarray(samples["position_eci"])[:n_valid, :n_nodes]
        ok = np.isfinite(r).all(axis=-1)  # a faulted node stops accumulating
        flux = np.where(ok, self.fluxes_at(times_s, np.where(ok[..., None], r, 7e6)), 0.0)  # (E, K, N)
        dt = np.where(ok, self.dt_s, 0.0)
        self.fluence += np.einsum("ekn,kn->ne", flux, dt)
        p10 = self.names.index("proton_fluence_10mev")
        self.saa_s += np.sum(np.where(flux[p10] > SAA_FLUX_CM2_S, dt, 0.0), axis=0)

    def leaves(self) -> dict:
        out = {f"radiation.{name}": (("node",), self.fluence[:, k].copy()) for k, name in enumerate(self.names)}
        out["radiation.saa_time"] = (("node",), self.saa_s.copy())
        return out

    def summary(self) -> dict:
        """Per-node summary (output.RADIATION_SUMMARY names, SI)."""
        dose = dose_behind_shield_gy(self.table["energy_mev"], self.table["particle"], self.fluence,
                                     self.cfg.shield_thickness_m)
        return {"proton_fluence_10mev": self.fluence[:, self.names.index("proton_fluence_10mev")] * 1e4,
                "electron_fluence_1mev": self.fluence[:, self.names.index("electron_fluence_1mev")] * 1e4,
                "saa_time": self.saa_s.copy(), "ionizing_dose": dose}


def _decimal_year(epoch) -> float:
    start = epoch.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1)
    return start.year + (epoch - start).total_seconds() / (end - start).total_seconds()


def _altitude_range_m(r, v):
    """Lowest perigee and highest apogee altitude [m] over the fleet (two-body, +-30 km for J2
    and the ellipsoid)."""
    from orbital_sim.kernels.constants import GM_EARTH_M3_S2

    rn = np.linalg.norm(r, axis=1)
    energy = 0.5 * np.sum(v * v, axis=1) - GM_EARTH_M3_S2 / rn
    a = -GM_EARTH_M3_S2 / (2 * energy)
    h = np.cross(r, v)
    e = np.sqrt(np.maximum(0.0, 1 + 2 * energy * np.sum(h * h, axis=1) / GM_EARTH_M3_S2 ** 2))
    return float(np.min(a * (1 - e))) - 6378137.0 - 30e3, float(np.max(a * (1 + e))) - 6356752.0 + 30e3


if __name__ == "__main__":  # pragma: no cover
    import sys

    if sys.argv[1:] == ["build-table"]:
        build_table()
        print(f"wrote {TABLE_PATH}")
    else:
        print("usage: python -m orbital_sim.radiation build-table")
