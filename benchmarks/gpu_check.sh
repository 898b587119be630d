#!/usr/bin/env bash
# GPU check of the paper-scale spectra (about 5-8 minutes on one recent GPU).
#
#   bash benchmarks/gpu_check.sh [OUTPUT_FILE]
#
# 1. one SLQ probe of 64 Lanczos steps on ResNet-32-4 (7.45M parameters, 90% pruned) with a
#    batch of 512 on CUDA, with the gradient / Hessian-vector-product ratios at that batch;
# 2. ResNet-422-4 (103.3M parameters): Hessian-vector product time and peak memory (batch 128);
# 3. the first 8 Lanczos coefficients on the GPU against the CPU (ResNet-32-4, batch 8);
# 4. mixed-precision forward passes (bfloat16, float16) vs float32: product time and the jobs'
#    precision check (ResNet-32-4, batch 128).
# Output goes to OUTPUT_FILE when given, else to stdout. Exits with status 3 (and says so) when
# torch sees no CUDA device. Run from the repository root with the package importable.
set -euo pipefail

out="${1:-}"
if [[ -n "$out" ]]; then
    exec >"$out" 2>&1
fi
cd "$(dirname "$0")/.."
export PYTHONPATH="${PWD}${PYTHONPATH:+:$PYTHONPATH}"
PY="${PYTHON:-python}"

if ! "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
    echo "gpu_check: torch $("$PY" -c 'import torch; print(torch.__version__)') sees no CUDA device; nothing to check (run it on a GPU node)"
    exit 3
fi

echo "== gpu_check $(date -u +%Y-%m-%dT%H:%M:%SZ)"
"$PY" -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda, "|", torch.cuda.get_device_name(0))'
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true
start=$SECONDS

echo
echo "== 1. ResNet-32-4, batch 512, CUDA: gradient vs HVP, SLQ probe of 64 Lanczos steps"
timeout 210 "$PY" benchmarks/bench_hessian.py --device cuda --arch resnet32-4 --batch 512 \
    --lanczos-steps 64 --probes 1 --repeats 2 --slq-mode auto

echo
echo "== 2. ResNet-422-4, batch 128, CUDA: HVP time and peak memory"
timeout 150 "$PY" benchmarks/bench_hessian.py --device cuda --arch resnet422-4 --batch 128 \
    --repeats 1 --skip-slq

echo
echo "== 3. first Lanczos coefficients, GPU vs CPU (ResNet-32-4, batch 8)"
timeout 120 "$PY" benchmarks/bench_device_agreement.py --arch resnet32-4 --batch 8 \
    --lanczos-steps 8

echo
echo "== 4. mixed-precision forward pass vs float32 (ResNet-32-4, batch 128)"
timeout 90 "$PY" benchmarks/bench_mixed_precision.py --device cuda --arch resnet32-4 --batch 128 \
    --steps 16

echo
echo "== done in $((SECONDS - start)) s"
