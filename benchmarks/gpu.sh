#!/usr/bin/env bash
# GPU check and throughput (issue 4 item 7). On a machine with a CUDA GPU, from the repository root:
#   bash benchmarks/gpu.sh [gpu_check.py options, e.g. --log gpu.jsonl --hlo chunk_hlo.txt]
# Uses the python3 on PATH when its JAX already sees a GPU (a machine with CUDA JAX installed and no
# network: the package is run from this source tree), else installs the project with its CUDA extra
# into .venv-gpu. Prints JSON lines: the GPU-vs-CPU correctness check, then full_step node-steps/s at
# 1e3..1e6 nodes in float32 and float64, the kernels per step, the Pallas chunk (kernels/pallas_chunk.py:
# does it lower, its error against the XLA chunk, node-steps/s), and each stage alone.
# Record the figures, with the card's name, in benchmarks/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if python3 -c 'import sys, jax; sys.exit(0 if any(d.platform == "gpu" for d in jax.devices()) else 1)' 2>/dev/null; then
    # orbital_sim.kernels lives in kernels/ (pyproject's package-dir): lay the package out in a temporary
    # folder of links so that the source tree is used as is, benchmarks/ included.
    site=$(mktemp -d)
    mkdir "$site/orbital_sim"
    for f in orbital_sim/*; do [ "$f" = orbital_sim/kernels ] || ln -s "$PWD/$f" "$site/orbital_sim/"; done
    ln -s "$PWD/kernels" "$site/orbital_sim/kernels"
    export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
    PY=python3
else
    python3 -m venv .venv-gpu
    . .venv-gpu/bin/activate
    pip install -q -e ".[cuda,test]"  # editable: the NumPy baselines in benchmarks/ stay reachable
    PY=python
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv || true
rc=0
"$PY" benchmarks/gpu_check.py "$@" || rc=$?
# GPU_PYTEST=1: also the GPU-marked tests
if [ -n "${GPU_PYTEST:-}" ]; then
    "$PY" -m pytest -q -p no:cacheprovider tests/kernels/test_gpu.py || rc=$?
fi
# E2E_DAYS=3,30: also the end-to-end run of issue 4 item 6 (10,240 nodes, 30 s step, output every
# 10 min) for each number of days, through the command line on the GPU, its file written to a
# temporary folder
e2e_days=${E2E_DAYS:-}
for days in ${e2e_days//,/ }; do
    tmp=$(mktemp -d)
    "$PY" benchmarks/soak.py --days "$days" --step 30 --output 600 --every 1 -o "$tmp/e2e.h5" || rc=$?
    rm -rf "$tmp"
done
exit $rc
