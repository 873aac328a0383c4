"""The settled window of the summaries (issue 14): one rule, checked on analytic cases."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from orbital_sim import health
from orbital_sim.output import format_summary_table, read_summary
from orbital_sim.runner import run

from .test_health import one_node_config

SIGMA = 5.670374419e-8  # [W/m^2/K^4]


def test_one_component_time_constant_is_the_radiative_rc_constant():
    """One radiating body: tau = C / (4 sigma eps A T^3) exactly."""
    c, eps_a, t0 = 5.0e5, 144.0, 293.15
    tau = health.slowest_time_constant_s([[c]], [[[0.0]]], [[SIGMA * eps_a]], [[t0]])
    assert tau[0] == pytest.approx(c / (4 * SIGMA * eps_a * t0 ** 3), rel=1e-12)  # 1,036 s here


def test_two_component_chain_slowest_mode_is_the_analytic_eigenvalue():
    """A body of capacity C conducting (G) to a radiator of capacity C (linearised emission k):
    the eigenvalues of C^-1 [[G, -G], [-G, G + k]] are (2G + k -+ sqrt(4G^2 + k^2)) / 2C."""
    c, g, eps_a, t0 = 3.0e5, 150.0, 80.0, 280.0
    k = 4 * SIGMA * eps_a * t0 ** 3
    lam_slow = (2 * g + k - math.sqrt(4 * g * g + k * k)) / (2 * c)
    tau = health.slowest_time_constant_s([[c, c]], [[[0.0, g], [g, 0.0]]], [[0.0, SIGMA * eps_a]], [[t0, t0]])
    assert tau[0] == pytest.approx(1.0 / lam_slow, rel=1e-12)
    isolated = health.slowest_time_constant_s([[c, c]], [[[0.0, 0.0], [0.0, 0.0]]], [[0.0, SIGMA * eps_a]],
                                              [[t0, t0]])
    assert np.isinf(isolated[0])  # no path to space: never settles (the half-run cap then applies)


def test_window_rule_later_of_one_orbit_and_three_time_constants_capped_at_half_the_run():
    end = health.warmup_end_s([5760.0, 5760.0, 5760.0, np.inf], [1000.0, 3000.0, np.inf, 10.0], 86400.0)
    assert end.tolist() == [5760.0, 9000.0, 43200.0, 30.0]


def test_window_settles_a_radiating_body_to_five_percent_of_its_offset():
    """Analytic claim of the rule, checked with an independent ODE solution (SciPy): a body
    warming from T0 towards its equilibrium under constant heat keeps at most e^-3 (5 %) of its
    initial offset at 3 tau (tau linearised at T0; warming, the true decay is faster)."""
    c, eps_a, q, t0 = 6.0e5, 150.0, 40_000.0, 253.15
    t_eq = (q / (SIGMA * eps_a)) ** 0.25  # 335 K
    tau = health.slowest_time_constant_s([[c]], [[[0.0]]], [[SIGMA * eps_a]], [[t0]])[0]
    t_w = health.warmup_end_s([0.0], [tau], 1e9)[0]
    sol = solve_ivp(lambda t, y: (q - SIGMA * eps_a * y ** 4) / c, (0.0, t_w), [t0], rtol=1e-10, atol=1e-8)
    left = abs(sol.y[0, -1] - t_eq) / abs(t0 - t_eq)
    assert left <= math.exp(-3.0)
    assert left > 1e-4  # and the window is not absurdly late (the bound is not vacuous)


def test_default_class_summary_shows_settled_extremes_and_says_which_window(tmp_path):
    """One default node for 12 h: the chips' whole-run minimum is their 20 C start; the settled
    minimum is near their operating temperature (about 43 C), after 3 x 1.74 h = 5.2 h."""
    _, config = one_node_config(tmp_path, duration_s=43200.0, output_every_s=300.0)
    out = tmp_path / "s.h5"
    run(config, out, progress=False)
    s = read_summary(out)
    comps = list(s["component"])
    chips = comps.index("chips")
    assert s["warmup_end"][0] / 3600.0 == pytest.approx(5.22, abs=0.01)
    assert s["temperature_min"][0, chips] == pytest.approx(293.15)
    assert 313.15 < s["temperature_min_settled"][0, chips] < 323.15
    assert np.all(s["temperature_min_settled"] >= s["temperature_min"])
    assert np.all(s["temperature_max_settled"] <= s["temperature_max"])
    assert "settled window" in s["attrs"]["summary_window"]
    a_m = 6928.137e3  # the node's semi-major axis (circular): its period is written too
    assert s["orbital_period"][0] == pytest.approx(2 * math.pi * math.sqrt(a_m ** 3 / 3.986004418e14), rel=1e-9)
    table = format_summary_table(s, comps, list(s["node_class"]))
    assert table.startswith("temperature and state-of-charge extremes: settled window")
    assert "from 5.22 h after the epoch on" in table
    row = [ln for ln in table.splitlines() if ln.startswith("temperature min: chips") and "degC" in ln]
    assert 40.0 < float(row[0].split()[-1]) < 50.0
