#!/usr/bin/env bash
# GPU check and throughput (issue 4 item 7). On a machine with a CUDA GPU, from the repository root:
#   bash benchmarks/gpu.sh            # installs the project with its CUDA extra into .venv-gpu
# Prints JSON lines: the GPU-vs-CPU correctness check, then full_step node-steps/s at 1e3..1e6
# nodes in float32 and float64. Record the figures, with the card's name, in benchmarks/README.md.
set -euo pipefail
python3 -m venv .venv-gpu
. .venv-gpu/bin/activate
pip install -q ".[cuda]"
python benchmarks/gpu_check.py "$@"
