"""Cost of Hessian-vector products and SLQ on the paper's ResNets, on the CPU or a GPU.

Measures, on ``resnet32-4`` (or ``--arch resnet422-4``) pruned to 90% (global L1, head dense)
with a batch of generated CIFAR-shaped images, batch norm in eval mode as in ``qsgd spectrum``
(``--bn train`` for batch statistics):

1. one gradient (``loss.backward()`` through the module), the reference cost, and the gradient
   on the support through ``torch.func`` (the machinery the products use);
2. one Hessian-vector product on the unpruned weights, forward-over-reverse
   (``torch.func.jvp`` of ``torch.func.grad``, :func:`pennylane_qsgd.optim.taylor.hessian_vector_product`)
   and double backward, side by side with the gradient; the faster one is compared with the
   target of at most 2.5 gradients;
3. an SLQ density (:func:`pennylane_qsgd.diagnostics.spectra.hessian_spectrum`) with 64 Lanczos
   steps: wall time, Lanczos steps per second and peak memory (resident set on the CPU,
   ``torch.cuda.max_memory_allocated`` on a GPU).

The issue's setting is batch 128; on a two-core CPU one gradient of ResNet-32-4 takes about
5 s at batch 8 (80 s at 128), so the CPU default is batch 8 (``--batch`` to change it).

Usage::

    python benchmarks/bench_hessian.py --quick          # batch 8, 8 Lanczos steps (minutes)
    python benchmarks/bench_hessian.py --skip-slq       # the three products only
    python benchmarks/bench_hessian.py --device cuda --batch 128
    python benchmarks/bench_hessian.py --device cuda --arch resnet422-4 --batch 128 --skip-slq
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import torch

from pennylane_qsgd.data import cifar_like
from pennylane_qsgd.diagnostics.distributed import configure_cuda_precision, resolve_device
from pennylane_qsgd.diagnostics.spectra import hessian_spectrum
from pennylane_qsgd.models import build_model, parameter_count
from pennylane_qsgd.optim.pruning import global_l1_prune
from pennylane_qsgd.optim.support import Support
from pennylane_qsgd.optim.taylor import gradient_on_support, hessian_vector_product


def _peak_rss_mib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _sync(device: torch.device | None) -> None:
    if device is not None and device.type == "cuda":
        torch.cuda.synchronize(device)


def _best_of(fn, repeats: int, device: torch.device | None = None) -> float:
    """Fastest wall time of ``repeats`` calls after one warm-up call."""
    fn()
    _sync(device)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return best


def _peak_mib(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return _peak_rss_mib()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="batch 8, 8 Lanczos steps, 1 repeat")
    parser.add_argument(
        "--batch", type=int, default=None, help="batch size (default 128 on CUDA, 8 on CPU)"
    )
    parser.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: cuda if any)")
    parser.add_argument(
        "--bn", choices=("eval", "train"), default="eval", help="batch-norm mode (default eval)"
    )
    parser.add_argument("--lanczos-steps", type=int, default=None, help="default 64; quick 8")
    parser.add_argument("--probes", type=int, default=1, help="SLQ probes (default 1)")
    parser.add_argument("--repeats", type=int, default=None, help="timing repeats (default 3)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--arch", default="resnet32-4", help="model (default resnet32-4)")
    parser.add_argument(
        "--slq-mode",
        choices=("auto", "forward", "reverse"),
        default="auto",
        help="HVP scheme used by SLQ (default auto = forward-over-reverse)",
    )
    parser.add_argument("--skip-slq", action="store_true", help="time the products only")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    configure_cuda_precision(device)
    batch = args.batch or (128 if device.type == "cuda" else 8)
    steps = args.lanczos_steps or (8 if args.quick else 64)
    repeats = args.repeats or (1 if args.quick else 3)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    model = build_model(args.arch)
    global_l1_prune(model, amount=0.9)
    model.to(device).train(args.bn == "train")
    support = Support.from_masks(model)
    x, y = cifar_like(batch, seed=0, num_classes=100)
    x, y = x.to(device), y.to(device)
    loss_fn = torch.nn.functional.cross_entropy
    res: dict = {
        "arch": args.arch,
        "parameters": parameter_count(model),
        "support": support.size,
        "batch": batch,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "device": str(device),
        "batch_norm": args.bn,
    }
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(
        f"{args.arch}: {res['parameters']:,} parameters, support {support.size:,}, "
        f"batch {batch}, batch norm {args.bn}, {where}, {res['threads']} threads"
    )

    def gradient():
        model.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()

    res["gradient_s"] = _best_of(gradient, repeats, device)
    print(f"gradient (loss.backward)          {res['gradient_s']:8.3f} s")
    res["support_gradient_s"] = _best_of(
        lambda: gradient_on_support(model, loss_fn, (x, y), support), repeats, device
    )
    print(f"gradient on S (torch.func.grad)   {res['support_gradient_s']:8.3f} s")
    v = torch.randn(support.size, dtype=torch.float64, device=device)
    for mode in ("forward", "reverse"):
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        hvp = hessian_vector_product(model, loss_fn, (x, y), support, mode=mode)
        t = _best_of(lambda hvp=hvp: hvp(v), repeats, device)
        res[f"hvp_{mode}_s"] = t
        res[f"hvp_{mode}_ratio"] = t / res["gradient_s"]
        res[f"hvp_{mode}_peak_mib"] = _peak_mib(device)
        print(
            f"HVP {hvp.mode:<28} {t:8.3f} s  = {t / res['gradient_s']:.2f} x gradient, "
            f"peak {res[f'hvp_{mode}_peak_mib']:.0f} MiB"
        )
        del hvp
    best = min(("forward", "reverse"), key=lambda m: res[f"hvp_{m}_s"])
    res["hvp_best"] = best
    verdict = "meets" if res[f"hvp_{best}_ratio"] <= 2.5 else "misses"
    print(
        f"faster product: {best}, {res[f'hvp_{best}_ratio']:.2f} x gradient ({verdict} the "
        "target 2.5)"
    )
    res["rss_before_slq_mib"] = _peak_mib(device)

    if not args.skip_slq:
        start = time.perf_counter()
        dens = hessian_spectrum(
            model,
            loss_fn,
            (x, y),
            support,
            method="slq",
            steps=steps,
            probes=args.probes,
            seed=0,
            hvp_mode=args.slq_mode,
        )
        _sync(device)
        res["slq_steps"] = steps
        res["slq_probes"] = args.probes
        res["slq_s"] = time.perf_counter() - start
        res["slq_peak_rss_mib"] = _peak_mib(device)
        res["slq_steps_per_s"] = steps * args.probes / res["slq_s"]
        res["slq_extremes"] = list(dens.extremes)
        print(
            f"SLQ {steps} Lanczos steps x {args.probes} probe(s): {res['slq_s']:.1f} s "
            f"({res['slq_steps_per_s']:.3f} steps/s), peak {res['slq_peak_rss_mib']:.0f} MiB (before SLQ "
            f"{res['rss_before_slq_mib']:.0f} MiB), Ritz extremes "
            f"[{dens.extremes[0]:.3g}, {dens.extremes[1]:.3g}]"
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=1)
    return res


if __name__ == "__main__":
    main(sys.argv[1:])
