#!/usr/bin/env bash
# XLA:GPU command-buffer settings against each other (issue 4 item 7): the full step in float32 at
# 1e3, 1e4 and 1e5 nodes under each setting, one process per setting; the settings that could become
# a default also run the GPU-vs-CPU check. From the repository root, on a machine with a CUDA GPU:
#   bash benchmarks/gpu_xla_flags.sh [log folder]
# XLA's default command buffers (FUSION, CUBLAS, CUBLASLT, CUSTOM_CALL, CUDNN, DYNAMIC_SLICE_FUSION)
# capture each loop iteration's kernels; a loop itself (WHILE) runs from the host, which reads the
# loop condition back after every iteration. The first setting also runs the GPU-marked tests.
set -uo pipefail
cd "$(dirname "$0")/.."
log=${1:-.}
base="FUSION,CUBLAS,CUBLASLT,CUSTOM_CALL,CUDNN,DYNAMIC_SLICE_FUSION"
one() {
    local name=$1 check=$2 flags=$3
    echo "== $name: XLA_FLAGS='$flags'"
    XLA_FLAGS="$flags" bash benchmarks/gpu.sh $check --sizes 1000,10000,100000 --dtypes float32 --stage-nodes 0 \
        --unroll 1 --log "$log/flags_$name.jsonl" 2>&1 | grep -E '"benchmark"|"check"|rror|passed|failed|skipped' | cut -c1-260
}
GPU_PYTEST=1 one default --skip-check ""
one off --skip-check "--xla_gpu_enable_command_buffer="
one while "" "--xla_gpu_enable_command_buffer=$base,WHILE,CONDITIONAL"
one while_unrolled "" "--xla_gpu_enable_command_buffer=$base,WHILE,CONDITIONAL --xla_gpu_command_buffer_unroll_loops=true"
