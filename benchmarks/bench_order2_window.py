"""Order-2 (Carleman level 2) windows: dense coefficients vs products and a low-rank level 2.

Measured side by side in one run, on 2 threads, at the ideal fidelity:

1. The pruned digits MLP (64-16-10, 90 % pruned, as ``qsgd train``), ``s = 64``, ``T = 5``:
   the current route, dense ``g``, ``H``, ``T3`` (:func:`~pennylane_qsgd.optim.taylor.taylor_coefficients`,
   the module route; the closure route of ``QSGD``, :func:`~pennylane_qsgd.optim.closure_taylor.closure_taylor_coefficients`,
   timed at a smaller support and scaled by ``(64/s')^2``, its number of batched products) and the
   dense forward substitution :func:`~pennylane_qsgd.core.euler.solve_euler`, against
   :func:`~pennylane_qsgd.optim.third_derivatives.order2_flow` with
   :func:`~pennylane_qsgd.core.lowrank_carleman.solve_euler_lowrank`. Target: the new route
   <= 5 s. Both solve the same level-2 system, so their ``u(T)`` must agree.
2. The same window at the native fidelity through :class:`~pennylane_qsgd.optim.qsgd.QSGD` (its
   closure made functional, :mod:`~pennylane_qsgd.optim.closure_functional`: ``g, H, T3`` by
   batched forward-mode products; the solver's exact map on the success event), beside the
   reverse-mode closure route it replaces, at ``s = 64`` and the larger ``--native-sizes``, with
   the qubits of the solver and the encoding. Target: <= 30 s at ``s = 64``.
3. ``s = 1e3, 1e4 (, 1e5)`` on wider pruned digits MLPs, small digits CNNs (``--arch cnn``) or
   ResNet-32-4 on a synthetic CIFAR batch (``--arch resnet``): one low-rank order-2 window against ten
   full-batch SGD steps (forward and backward through the whole model), with the rank reached
   and the dropped level-2 mass.

Run: ``python benchmarks/bench_order2_window.py [--quick] [--sizes 1000 10000 100000]
[--arch mlp|cnn|resnet] [--skip-small] [--native-sizes 64 128]``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch
from torch import nn

from pennylane_qsgd.core.bounds import StepSizeWarning
from pennylane_qsgd.core.euler import solve_euler
from pennylane_qsgd.core.lowrank_carleman import solve_euler_lowrank
from pennylane_qsgd.data import load_digits_tensors
from pennylane_qsgd.models import build_model, mlp
from pennylane_qsgd.optim.closure_taylor import SupportEntry, closure_taylor_coefficients
from pennylane_qsgd.optim.pruning import global_l1_prune
from pennylane_qsgd.optim.qsgd import QSGD
from pennylane_qsgd.optim.support import Support
from pennylane_qsgd.optim.taylor import build_problem, taylor_coefficients
from pennylane_qsgd.optim.third_derivatives import order2_flow

LR = 0.1


def pruned_digits_mlp(hidden: int, sparsity: float, pretrain: int = 300, seed: int = 0):
    """The model of ``qsgd train``: SGD pre-training (lr 0.5), then global L1 pruning."""
    torch.manual_seed(seed)
    return pretrain_and_prune(mlp(64, (hidden,), 10), sparsity, pretrain, seed)


def pretrain_and_prune(model: nn.Module, sparsity: float, pretrain: int, seed: int):
    """``pretrain`` full-batch SGD steps (lr 0.5) on the digits, then global L1 pruning."""
    data = load_digits_tensors(seed=seed)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(pretrain):
        opt.zero_grad()
        nn.functional.cross_entropy(model(data.x_train), data.y_train).backward()
        opt.step()
    global_l1_prune(model, amount=sparsity)
    return model, (data.x_train, data.y_train)


def closure_entries(model: nn.Module, support: Support) -> list[SupportEntry]:
    params = dict(model.named_parameters())
    return [SupportEntry(params[name], idx) for name, idx in support.entries]


def timed(fn, repeats: int = 1):
    """Result of ``fn()`` and its fastest wall time over ``repeats`` calls (the machine is shared)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return out, best


def lowrank_window(model, batch, support, T: int, tol: float, centre=None):
    """Products + low-rank level 2 for one window of ``T`` gradient steps (h = 1)."""
    flow = order2_flow(model, nn.functional.cross_entropy, batch, support, LR, centre=centre)
    sol = solve_euler_lowrank(flow.F0, flow.F1, flow.f2, flow.u_in, float(T), T, tol=tol)
    return flow, sol


def small_case(T: int, closure_s: int, tol: float, repeats: int) -> None:
    model, batch = pruned_digits_mlp(16, 0.9)
    support = Support.top_k(model, 64)
    loss = nn.functional.cross_entropy
    print(f"1. pruned digits MLP 64-16-10 (90% pruned), s = {support.size}, T = {T}, lr = {LR}")

    coeffs, t_coeffs = timed(lambda: taylor_coefficients(model, loss, batch, support, order=2))

    def dense_solve():
        problem = build_problem(coeffs, LR, centre=coeffs.theta_bar)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StepSizeWarning)
            return solve_euler(problem, 2, float(T), T)

    dense, t_dense = timed(dense_solve)
    small = Support.top_k(model, closure_s)
    x, y = batch
    _, t_closure_small = timed(
        lambda: closure_taylor_coefficients(
            lambda: loss(model(x), y), closure_entries(model, small), 2
        )
    )
    t_closure = t_closure_small * (support.size / closure_s) ** 2
    (flow, low), t_low = timed(lambda: lowrank_window(model, batch, support, T, tol), repeats)
    agree = np.linalg.norm(low.u_final - dense.u_final) / max(np.linalg.norm(dense.u_final), 1e-300)
    current = t_coeffs + t_dense
    print(
        f"   current, module route: taylor_coefficients {t_coeffs:7.2f} s + solve_euler "
        f"{t_dense:5.2f} s = {current:7.2f} s"
    )
    print(
        f"   current, closure route (QSGD): {t_closure_small:.2f} s at s = {closure_s}, "
        f"scaled to s = 64: ~{t_closure:.0f} s"
    )
    print(
        f"   new: order2_flow + solve_euler_lowrank {t_low:7.2f} s  (target <= 5 s), rank "
        f"{low.max_rank_reached}, {low.f1_products} HVPs, {low.f2_products} T3 products, "
        f"dropped mass {low.truncation_error:.1e}"
    )
    print(
        f"   ratio current/new: module route {current / t_low:6.1f}x, closure route "
        f"~{t_closure / t_low:6.0f}x;  |u_low - u_dense| / |u_dense| = {agree:.1e}"
    )


def native_case(sizes: list[int], T: int) -> None:
    """One QSGD order-2 window at the native fidelity per support size (a fresh model each)."""
    print(f"2. QSGD order-2 window at fidelity='native', T = {T}, lr = {LR}")
    for s in sizes:
        model, (x, y) = pruned_digits_mlp(16, 0.9)
        opt = QSGD(model.parameters(), lr=LR, window=T, order=2, fidelity="native", max_support=s)

        def closure(model=model, x=x, y=y):
            return nn.functional.cross_entropy(model(x), y)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            opt.step(closure)
            t_window = time.perf_counter() - start
        r = opt.reports[-1]
        print(
            f"   s = {r.support_size:>4}: window {t_window:7.2f} s (target <= 30 s at s = 64), "
            f"{r.qubits} qubits, encoding {r.encoding}, degree {r.polynomial_degree}, "
            f"m = {r.euler_steps}"
        )


def sgd_steps(model, batch, steps: int) -> float:
    x, y = batch
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    start = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return time.perf_counter() - start


def pruned_digits_cnn(width: int, sparsity: float, pretrain: int = 20, seed: int = 0):
    """A small ReLU CNN on the 8x8 digits (3x3 convolutions, ``width`` and ``2 width``
    channels, then a linear layer), pre-trained briefly, then globally L1-pruned."""
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, width, 3),
        nn.ReLU(),
        nn.Conv2d(width, 2 * width, 3, stride=2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(8 * width, 10),
    )
    return pretrain_and_prune(model, sparsity, pretrain, seed)


def pruned_resnet(batch_size: int = 8, seed: int = 0):
    """ResNet-32-4 (CIFAR-100 shape), 90 % pruned from its random initialisation, on a synthetic
    batch of ``batch_size`` 32x32 images (no download: the timing does not depend on the data)."""
    torch.manual_seed(seed)
    model = build_model("resnet32-4")
    global_l1_prune(model, amount=0.9)
    x = torch.randn(batch_size, 3, 32, 32)
    return model, (x, torch.randint(0, 100, (batch_size,)))


def large_model(arch: str, s: int):
    """The model of a large case and its description."""
    if arch == "mlp":
        hidden = max(16, int(np.ceil(1.5 * s / 74)))  # ~74 weights per hidden unit, keep ~2/3
        model, batch = pruned_digits_mlp(hidden, 1.0 / 3.0, pretrain=20)
        return model, batch, f"MLP 64-{hidden}-10"
    if arch == "cnn":
        width = max(4, int(np.ceil(np.sqrt(1.5 * s / 18))))  # 18 w^2 conv weights, keep ~2/3
        model, batch = pruned_digits_cnn(width, 1.0 / 3.0)
        return model, batch, f"CNN {width}-{2 * width} channels"
    model, batch = pruned_resnet()
    return model, batch, "ResNet-32-4, batch 8"


def large_case(s: int, T: int, tol: float, repeats: int, arch: str = "mlp") -> None:
    model, batch, name = large_model(arch, s)
    support = Support.top_k(model, s)
    (flow, low), t_low = timed(lambda: lowrank_window(model, batch, support, T, tol), repeats)
    t_sgd = min(sgd_steps(model, batch, 10) for _ in range(repeats))
    print(
        f"   s = {s:>6} ({name}, {Support.all(model).size} unpruned): window "
        f"{t_low:7.2f} s, 10 SGD steps {t_sgd:6.3f} s, ratio {t_low / t_sgd:6.1f}x, rank "
        f"{low.max_rank_reached}, dropped mass {low.truncation_error:.1e} "
        f"(|Y2| = {np.linalg.norm(low.factor_S):.1e})"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="sizes 1e3 only")
    parser.add_argument("--sizes", type=int, nargs="*", default=None, help="default 1e3 1e4")
    parser.add_argument("--window", type=int, default=5, help="T, gradient steps (default 5)")
    parser.add_argument("--tol", type=float, default=1e-8, help="truncation tolerance")
    parser.add_argument("--closure-s", type=int, default=16, help="support of the closure timing")
    parser.add_argument(
        "--native-sizes", type=int, nargs="*", default=[64], help="native supports (default 64)"
    )
    parser.add_argument(
        "--arch", choices=("mlp", "cnn", "resnet"), default="mlp", help="model of the large cases"
    )
    parser.add_argument(
        "--skip-small", action="store_true", help="skip the s = 64 ideal comparison (case 1)"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="best-of repeats of the fast routes")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated", DeprecationWarning)
    if not args.skip_small:
        small_case(args.window, args.closure_s, args.tol, args.repeats)
    if args.native_sizes:
        native_case(args.native_sizes, args.window)
    sizes = args.sizes if args.sizes is not None else ([1000] if args.quick else [1000, 10000])
    if sizes:
        print(f"3. low-rank order-2 window (T = {args.window}, tol = {args.tol:g}) vs 10 SGD steps")
    for s in sizes:
        large_case(s, args.window, args.tol, args.repeats, args.arch)


if __name__ == "__main__":
    main()
