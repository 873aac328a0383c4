"""Each stage alone (Sun, shadow, irradiance, power, thermal), vmapped over the nodes and
scanned over the steps, with the NumPy orbit-only baseline of the same nodes and steps for
scale. The Sun is computed once per step for all nodes: its line reports steps per second.

    python benchmarks/bench_stages.py [--nodes 1000,10000] [--steps 720] [--cpu-devices K]
"""

import sys

from orbital_sim.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "--json", "--benchmark", "sun,shadow,irradiance,power,thermal", *sys.argv[1:]]))
