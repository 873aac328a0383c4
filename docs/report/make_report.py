"""Regenerate the feasibility report of the built-in default scenario in docs/report/.

    python docs/report/make_report.py [RESULT.h5]

RESULT.h5: a finished run of the built-in default scenario (`orbital-sim run -o /tmp/default.h5`,
about 25 s on 2 CPU cores). Without it, or if the file does not exist, the script runs the default
scenario into a temporary file first. Writes, beside this script:

- default_report.md: the comparison table, every quantity by section, definitions and inputs,
  and the figures;
- default_report.csv (quantities, full precision) and default_report_comparison.csv;
- launched_power_price.png: launched power price per kW of delivered compute against the launch
  price, per node class, with Suncatcher's Starlink v2 mini and the terrestrial band;
- mass_breakdown.png: launched mass per node by part, and per MW of compute.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from orbital_sim import report as rp

HERE = Path(__file__).resolve().parent
STEM = "default_report"


def _run_default(path: Path) -> None:
    import orbital_sim

    config = orbital_sim.load_config(None)
    orbital_sim.run(config, out=path, overwrite=True, progress=True)


def price_figure(rep: rp.FeasibilityReport) -> Figure:
    """Launched power price [$/kW/yr of delivered compute] vs launch price [$/kg], log-log."""
    fig = Figure(figsize=(7.5, 4.8), layout="constrained")
    ax = fig.add_subplot()
    prices = np.array(rep.inputs.launch_prices_usd_per_kg)
    x = np.geomspace(10.0, 5000.0, 200)
    ref = prices[0]
    classes = [g for g in rep.groups if not g.startswith("entry:") and g != "fleet"]
    for g in classes:
        at_ref = rep.value(f"launched power price per kW of compute delivered, at {ref:,.0f} $/kg", g)
        slope = at_ref / ref  # linear in the launch price
        label = (f"class {g}: {rep.value('launched mass per node', g) / 1e3:.2f} t per "
                 f"{rep.value('compute nameplate per node', g):g} kW node, per kW of compute delivered")
        ax.plot(x, slope * x, lw=2, label=label)
        ax.plot(prices, slope * prices, "o", color=ax.lines[-1].get_color())
    at_ref = rep.value(f"launched power price per kW of array, at {ref:,.0f} $/kg", "fleet")
    ax.plot(x, at_ref / ref * x, "--", color="0.3", label="fleet: per kW of rated array (Suncatcher's definition)")
    sc = rp.launched_power_price_usd_per_kw_yr(575.0, x, 28.0e3, 5.0)
    ax.plot(x, sc, ":", color="k", label="Starlink v2 mini (575 kg, 28 kW, 5 yr; Suncatcher Table 1)")
    ax.plot([3600.0, 200.0], [14_700.0, 810.0], "kx", ms=8, label="Suncatcher Table 1 values")
    lo, hi = rp.TERRESTRIAL_POWER_PRICE_BAND_USD_PER_KW_YR
    ax.axhspan(lo, hi, color="tab:green", alpha=0.15, label=f"terrestrial power, {lo:,.0f}-{hi:,.0f} $/kW/yr")
    terr = rep.value("power price per kW of IT load", "fleet")
    ax.axhline(terr, color="tab:green", lw=1.2,
               label=f"terrestrial, PUE {rep.inputs.pue:g} x {rep.inputs.electricity_price_usd_per_kwh:g} $/kWh")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("launch price [$/kg]")
    ax.set_ylabel(f"launched power price [$/kW/yr], {rep.inputs.life_years:g}-yr life")
    ax.set_title("Launch cost spread over each kW and year of service")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7.5, loc="upper left")
    return fig


def mass_figure(rep: rp.FeasibilityReport) -> Figure:
    """Launched mass per node by part, and per MW of compute."""
    fig = Figure(figsize=(7.5, 3.6), layout="constrained")
    ax = fig.add_subplot()
    parts = ["array", "radiator", "battery", "accelerator", "bus"]
    classes = [g for g in rep.groups if not g.startswith("entry:") and g != "fleet"]
    bottom = np.zeros(len(classes))
    for part in parts:
        vals = np.array([rep.value(f"{part} mass per node", c) for c in classes])
        ax.barh(classes, vals, left=bottom, label=part if vals.any() else f"{part} (0: not counted)")
        for i, (b, v) in enumerate(zip(bottom, vals)):
            if v > 0:
                ax.text(b + v / 2, i, f"{v:,.0f}", ha="center", va="center", fontsize=8, color="white")
        bottom += vals
    for i, c in enumerate(classes):
        ax.text(bottom[i] * 1.01, i, f"{bottom[i]:,.0f} kg/node\n"
                f"{rep.value('launched mass per MW of compute', c):.1f} t per MW of compute",
                va="center", fontsize=8)
    ax.set_xlim(0, bottom.max() * 1.35)
    ax.set_xlabel("launched mass per node [kg]")
    ax.set_title("What a node weighs (array and radiator by area, battery by capacity)")
    ax.legend(fontsize=8, ncols=5, loc="upper center", bbox_to_anchor=(0.5, -0.25))
    return fig


def main(argv: list[str]) -> int:
    src = Path(argv[0]) if argv else None
    with tempfile.TemporaryDirectory() as tmp:
        if src is None or not src.is_file():
            src = Path(tmp) / "default.h5"
            _run_default(src)
        rep = rp.feasibility_report(src)
        rp.write_csv(rep, HERE / f"{STEM}.csv")
    price_figure(rep).savefig(HERE / "launched_power_price.png", dpi=110)
    mass_figure(rep).savefig(HERE / "mass_breakdown.png", dpi=110)
    rep.source = "the built-in default scenario"
    body = rp.to_markdown(rep, "Feasibility report: the built-in default scenario")
    head, rest = body.split("\n## Orbital vs terrestrial", 1)
    intro = (
        "\n1,024 nodes of the `compute` class for one day from the March equinox 2026: 256 in four "
        "dawn-dusk planes at 650 km (`dawn-dusk`), 768 in a 53 deg Walker shell at 550 km (`shell53`). "
        "Columns: the node class, each constellation entry, the fleet.\n\n"
        "Made by `python docs/report/make_report.py /tmp/default.h5` after "
        "`orbital-sim run -o /tmp/default.h5`; the same table prints with "
        "`orbital-sim report /tmp/default.h5 -o DIR`. The quantities at full precision: "
        f"[{STEM}.csv]({STEM}.csv); the comparison: [{STEM}_comparison.csv]({STEM}_comparison.csv).\n\n"
        "One simulated day at the equinox: cycles per year are that day's cycles scaled to a year "
        "(the dawn-dusk planes have their eclipse season around the June solstice, not in this run), "
        "and the dawn-dusk array runs hot in continuous sunlight, so its capacity factor is below 100 %. "
        "The deepest discharge is the shell's first eclipse, entered at the launch state of charge "
        "(90 %); the eclipses after it, entered full, go at most 24 % deep.\n\n"
        "![Launched power price](launched_power_price.png)\n\n![Mass breakdown](mass_breakdown.png)\n"
    )
    head = head.replace("Run: `the built-in default scenario`.\n", "")
    (HERE / f"{STEM}.md").write_text(head.rstrip() + "\n" + intro + "\n## Orbital vs terrestrial" + rest)
    for name in (f"{STEM}.md", f"{STEM}.csv", f"{STEM}_comparison.csv", "launched_power_price.png",
                 "mass_breakdown.png"):
        print(f"wrote {HERE / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
