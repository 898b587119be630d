"""Hessian-vector products with a mixed-precision forward pass vs float32, side by side.

On a pruned ResNet (generated CIFAR-shaped images, batch norm in eval mode) this times the
double-backward product with a float32 forward pass and with ``torch.autocast`` in bfloat16 /
float16, and runs the job's precision check
(:func:`pennylane_qsgd.diagnostics.mixed_precision.check_forward_precision`): the deviation of the
extreme Ritz values and of the Lanczos quadrature, relative to the spectral radius.

Run: ``python benchmarks/bench_mixed_precision.py [--device cuda] [--arch resnet32-4]
[--batch 128] [--steps 16]``.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from pennylane_qsgd.data import cifar_like
from pennylane_qsgd.diagnostics.distributed import configure_cuda_precision, resolve_device
from pennylane_qsgd.diagnostics.mixed_precision import (
    check_forward_precision,
    parse_forward_dtype,
)
from pennylane_qsgd.diagnostics.spectra import default_support
from pennylane_qsgd.models import build_model
from pennylane_qsgd.optim.pruning import global_l1_prune
from pennylane_qsgd.optim.taylor import hessian_vector_product


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_product(hvp, v: torch.Tensor, device: torch.device, repeats: int) -> float:
    """Best wall time of ``repeats`` products after one warm-up."""
    hvp(v)
    best = float("inf")
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        hvp(v)
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: cuda if any)")
    parser.add_argument("--arch", default="resnet32-4", choices=("resnet32-4", "resnet422-4"))
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=16, help="Lanczos steps of the check")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    device = resolve_device(args.device)
    configure_cuda_precision(device)
    torch.manual_seed(0)
    model = build_model(args.arch).to(device).eval()
    global_l1_prune(model, 0.9)
    support = default_support(model)
    x, y = cifar_like(args.batch, num_classes=100, seed=0)
    batch = (x.to(device), y.to(device))
    loss = nn.functional.cross_entropy
    v = torch.randn(support.size, dtype=torch.float64, device=device)
    print(f"{args.arch}, s = {support.size:,}, batch {args.batch}, device {device}")
    ref = time_product(
        hessian_vector_product(model, loss, batch, support, mode="reverse"),
        v,
        device,
        args.repeats,
    )
    print(f"{'forward dtype':>14} {'HVP (s)':>9} {'speed-up':>9} {'deviation':>10} {'passes':>7}")
    print(f"{'float32':>14} {ref:9.3f} {1.0:9.2f} {'-':>10} {'-':>7}")
    for name in ("bfloat16", "float16"):
        dtype = parse_forward_dtype(name)
        hvp = hessian_vector_product(model, loss, batch, support, forward_dtype=dtype)
        mixed = time_product(hvp, v, device, args.repeats)
        check = check_forward_precision(model, loss, batch, support, dtype, steps=args.steps)
        print(
            f"{name:>14} {mixed:9.3f} {ref / mixed:9.2f} {check.deviation:10.2e} "
            f"{str(check.passed):>7}"
        )


if __name__ == "__main__":
    main()
