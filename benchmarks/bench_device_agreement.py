"""First Lanczos coefficients of the Hessian on a GPU against the same run on the CPU.

The same pruned model (90% global L1, batch norm in eval mode), the same batch of generated
CIFAR-shaped images and the same Rademacher probe; float32 products on both sides (TF32 off on
the GPU, :func:`pennylane_qsgd.diagnostics.distributed.configure_cuda_precision`). Prints the
coefficients side by side and their largest relative difference; exits with status 3 when there
is no CUDA device.

Usage::

    python benchmarks/bench_device_agreement.py                   # resnet32-4, batch 8, 8 steps
    python benchmarks/bench_device_agreement.py --batch 32 --lanczos-steps 16
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch

from pennylane_qsgd.data import cifar_like
from pennylane_qsgd.diagnostics.distributed import ShardedHessian, configure_cuda_precision
from pennylane_qsgd.diagnostics.krylov import lanczos_probes
from pennylane_qsgd.models import build_model
from pennylane_qsgd.optim.pruning import global_l1_prune
from pennylane_qsgd.optim.support import Support


def _coefficients(model, batch, support, device, steps, mode):
    model = model.to(device)
    batch = tuple(t.to(device) for t in batch)
    op = ShardedHessian(model, torch.nn.functional.cross_entropy, batch, support, mode)
    start = time.perf_counter()
    ((alpha, beta),) = lanczos_probes(op, support.size, steps, 1, seed=0, device=device)
    return alpha, beta, time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", default="resnet32-4")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lanczos-steps", type=int, default=8)
    parser.add_argument("--device", default="cuda", help="the GPU (default cuda)")
    parser.add_argument("--hvp-mode", default="reverse", choices=("auto", "forward", "reverse"))
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("no CUDA device: the GPU/CPU agreement check needs one", file=sys.stderr)
        raise SystemExit(3)
    gpu = torch.device(args.device)
    configure_cuda_precision(gpu)
    torch.manual_seed(0)
    model = build_model(args.arch)
    global_l1_prune(model, amount=0.9)
    model.eval()
    support = Support.from_masks(model)
    batch = cifar_like(args.batch, seed=0)
    a_cpu, b_cpu, t_cpu = _coefficients(
        model, batch, support, torch.device("cpu"), args.lanczos_steps, args.hvp_mode
    )
    a_gpu, b_gpu, t_gpu = _coefficients(
        model, batch, support, gpu, args.lanczos_steps, args.hvp_mode
    )
    k = min(len(a_cpu), len(a_gpu))
    print(f"{args.arch}, support {support.size:,}, batch {args.batch}, {args.hvp_mode} products")
    print(f"{'j':>3} {'alpha cpu':>14} {'alpha gpu':>14} {'beta cpu':>14} {'beta gpu':>14}")
    for j in range(k):
        bc = f"{b_cpu[j]:14.6e}" if j < len(b_cpu) else " " * 14
        bg = f"{b_gpu[j]:14.6e}" if j < len(b_gpu) else " " * 14
        print(f"{j:>3} {a_cpu[j]:14.6e} {a_gpu[j]:14.6e} {bc} {bg}")
    scale = max(np.abs(a_cpu[:k]).max(), np.abs(b_cpu).max(initial=0.0))
    dev_a = np.abs(a_cpu[:k] - a_gpu[:k]).max() / scale
    nb = min(len(b_cpu), len(b_gpu))
    dev_b = np.abs(b_cpu[:nb] - b_gpu[:nb]).max(initial=0.0) / scale
    print(f"max relative difference: alpha {dev_a:.2e}, beta {dev_b:.2e}")
    print(f"wall: cpu {t_cpu:.1f} s, gpu {t_gpu:.2f} s ({t_cpu / t_gpu:.0f}x)")
    res = {"alpha_rel_dev": dev_a, "beta_rel_dev": dev_b, "cpu_s": t_cpu, "gpu_s": t_gpu}
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=1)
    return res


if __name__ == "__main__":
    main(sys.argv[1:])
