"""Full coupled step (orbit, Sun, shadow, irradiance, power, thermal, faults, accumulators) of the
default scenario, outputs sampled as in the default scenario, one JSON line per node count, with
the plain-NumPy two-body + J2 RK4 orbit-only propagation of the same nodes and steps measured in
the same run (``ratio_vs_baseline``).

    python benchmarks/bench_full_step.py [--nodes 1000,10000] [--steps 720] [--dtype float64]
                                         [--cpu-devices K]

Same as ``orbital-sim bench --json --benchmark full_step``: the command line splits the CPU into
one JAX device per core unless ``--cpu-devices`` or ``ORBITAL_SIM_CPU_DEVICES`` says otherwise.
"""

import sys

from orbital_sim.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "--json", "--benchmark", "full_step", *sys.argv[1:]]))
