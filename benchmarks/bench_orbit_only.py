"""Orbit only: the default propagator (RK4, point mass + J2, float64) vmapped over the nodes,
against the plain-NumPy RK4 of the same physics, nodes and steps measured in the same run.

    python benchmarks/bench_orbit_only.py [--nodes 1000,10000] [--steps 720] [--cpu-devices K]
"""

import sys

from orbital_sim.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "--json", "--benchmark", "orbit_only", *sys.argv[1:]]))
