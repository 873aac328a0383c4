"""Choice of the Cowell integrator and its expected error at the configured step.

``[simulation] integrator`` is "rk4" (classical 4th order, 4 force evaluations per step),
"rk8" (Dormand-Prince 8th order, 12) or "auto" (the default): the cheaper of the two whose
expected position error after one day stays within :data:`TOLERANCE_M` on every configured
orbit. The expected error comes from a fit to measured errors (docs/notes/orbit_integrators.md,
script docs/notes/scripts/orbit_integrators.py: point mass + J2 against SciPy's DOP853 at
rtol 1e-13, eight orbits from 400 km LEO to GEO, circular and eccentric, steps 10-600 s):

    error after one day ~ r_p exp(c0 + ce e) (n_p h)^p N^q

with r_p the perigee radius, n_p the angular rate at perigee, h the step and N the orbits per
day. The fit holds the measurements to within a factor 4.4 (rk4) and 3.7 (rk8); below about
1e-2 m rounding dominates and the model is not used for anything.
"""

from __future__ import annotations

import math

import numpy as np

#: [m] position error after one day that "auto" keeps and above which a warning is printed
TOLERANCE_M = 10.0

#: (c0, p, q, ce) of the error model for each integrator (least squares on log errors above 1 cm)
ERROR_MODEL = {
    "rk4": (0.8377, 4.599, 1.208, 0.7317),
    "rk8": (-17.96, 9.514, 4.204, 13.18),
}
#: cheapest first
COST_ORDER = ("rk4", "rk8")


def expected_error_m(integrator: str, r_eci_m, v_eci_m_s, step_s: float):
    """Expected position error [m] after one day of each node (n,) for ``integrator`` at
    ``step_s``; 0 for unbound (escape) states and orbits whose perigee is inside the Earth
    (they end in a fault whatever the step), where the model does not apply: such a node does
    not change the integrator of the others."""
    from orbital_sim.kernels.constants import GM_EARTH_M3_S2 as gm

    r = np.asarray(r_eci_m, dtype=np.float64).reshape(-1, 3)
    v = np.asarray(v_eci_m_s, dtype=np.float64).reshape(-1, 3)
    rn = np.linalg.norm(r, axis=1)
    energy = 0.5 * np.sum(v * v, axis=1) - gm / rn
    bound = energy < 0
    a = np.where(bound, -gm / (2.0 * np.where(bound, energy, -1.0)), rn)
    h = np.linalg.norm(np.cross(r, v), axis=1)
    e = np.sqrt(np.clip(1.0 - h * h / (gm * a), 0.0, None))
    r_p = a * (1.0 - e)
    n_p = h / (r_p * r_p)
    orbits_per_day = 86400.0 / (2.0 * math.pi * np.sqrt(a ** 3 / gm))
    c0, p, q, ce = ERROR_MODEL[integrator]
    err = r_p * np.exp(c0 + ce * e) * (n_p * float(step_s)) ** p * orbits_per_day ** q
    from orbital_sim.kernels.constants import R_EARTH_EQ_M

    return np.where(bound & (r_p > R_EARTH_EQ_M), err, 0.0)


def choose_integrator(requested: str, r_eci_m, v_eci_m_s, step_s: float, names) -> tuple[str, float, str | None]:
    """``(integrator, expected worst error [m] after one day, warning or None)``.

    "auto" takes the cheapest integrator that keeps every node within :data:`TOLERANCE_M`
    (rk8 if none does); an explicit name is kept. The warning names the worst node and the step
    that would hold the tolerance.
    """
    if requested == "auto":
        chosen = COST_ORDER[-1]
        for name in COST_ORDER:
            if np.max(expected_error_m(name, r_eci_m, v_eci_m_s, step_s), initial=0.0) <= TOLERANCE_M:
                chosen = name
                break
    else:
        chosen = requested
    err = expected_error_m(chosen, r_eci_m, v_eci_m_s, step_s)
    worst = float(np.max(err, initial=0.0))
    if worst <= TOLERANCE_M:
        return chosen, worst, None
    i = int(np.argmax(err))
    # the step that holds the tolerance for that node (error ~ h^p)
    p = ERROR_MODEL[chosen][1]
    ok_step = float(step_s) * (TOLERANCE_M / worst) ** (1.0 / p)
    n_over = int(np.sum(err > TOLERANCE_M))
    return chosen, worst, (
        f"warning: simulation.step_s = {step_s:g} s is too long for integrator {chosen!r} on node {names[i]}: "
        f"expected position error after one day about {worst:.3g} m (more than {TOLERANCE_M:g} m; "
        f"{n_over} of {len(err)} nodes); use step_s <= {ok_step:.3g} s"
        + ("" if chosen == "rk8" else " or integrator = \"rk8\""))
