"""Measure the float32 mode against float64 after one simulated day.

Run:  python docs/precision/float32_error.py [--hours 24]
Prints a Markdown table (the one in docs/precision/float32.md). Uses the default scenario
shrunk to 40 nodes (10 dawn-dusk, 30 in the 53 deg shell) with output every 10 s.
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np


def half_shadow_crossings(t_s, lit):
    """Times [s] where the sunlit fraction crosses 0.5, by linear interpolation."""
    below = lit < 0.5
    k = np.nonzero(below[1:] != below[:-1])[0]
    return t_s[k] + (0.5 - lit[k]) / (lit[k + 1] - lit[k]) * (t_s[k + 1] - t_s[k])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    args = parser.parse_args(argv)

    import xarray as xr

    from orbital_sim import load_config, run

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for dtype in ("float64", "float32"):
            config = load_config(None, [
                f"simulation.duration_s={args.hours * 3600}", "simulation.output_every_s=10",
                f"simulation.dtype={dtype}", "constellation.0.nodes_per_plane=4", "constellation.0.ltan_h=[17.5, 18.5]",
                "constellation.0.planes=2", "constellation.1.total=30", "constellation.1.planes=6",
                'output.variables=["sunlit_fraction", "temperature", "state_of_charge", "array_power"]',
            ])
            out = Path(tmp) / f"{dtype}.h5"
            run(config, out, progress=False)
            results[dtype] = xr.open_dataset(out, engine="h5netcdf").load()
    a, b = results["float64"], results["float32"]
    t = (a.time - a.time[0]).values / np.timedelta64(1, "s") + 10.0
    contact_err = []
    for node in range(a.sizes["node"]):
        ca = half_shadow_crossings(t, a.sunlit_fraction.values[:, node])
        cb = half_shadow_crossings(t, b.sunlit_fraction.values[:, node].astype(np.float64))
        if len(ca) == len(cb) and len(ca):
            contact_err.append(np.abs(ca - cb).max())
        elif len(ca) != len(cb):
            contact_err.append(np.inf)
    rows = [
        ("eclipse entry/exit times (half shadow)", f"{max(contact_err):.2e}", "s"),
        ("sunlit fraction", f"{float(abs(a.sunlit_fraction - b.sunlit_fraction).max()):.1e}", "1"),
    ]
    for comp in a.component.values:
        err = float(abs(a.temperature.sel(component=comp) - b.temperature.sel(component=comp)).max())
        rows.append((f"temperature: {comp}", f"{err:.1e}", "K"))
    rows += [
        ("state of charge", f"{float(abs(a.state_of_charge - b.state_of_charge).max()):.1e}", "1"),
        ("array power (relative to its peak)",
         f"{float(abs(a.array_power - b.array_power).max() / a.array_power.max()):.1e}", "1"),
        ("eclipse fraction (summary)", f"{float(abs(a.eclipse_fraction - b.eclipse_fraction).max()):.1e}", "1"),
        ("energy generated (summary, relative)",
         f"{float((abs(a.energy_generated - b.energy_generated) / a.energy_generated).max()):.1e}", "1"),
    ]
    print(f"| after {args.hours:g} h, 40 nodes, max over nodes and samples | float32 - float64 | unit |")
    print("|---|---|---|")
    for name, value, unit in rows:
        print(f"| {name} | {value} | {unit} |")


if __name__ == "__main__":
    main()
