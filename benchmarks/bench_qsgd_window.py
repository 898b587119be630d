"""QSGD windows against classical SGD, measured side by side in one run.

1. Order 1, matrix-free, ideal fidelity, exact download: one window of T steps vs T steps of
   torch.optim.SGD on the same model and support, for s = 1e3 .. 1e5 (target: within 3x), and
   where the window's time goes at the largest s.
2. Order 2 on the pruned digits MLP with s = 64: time per window and where it goes.
3. (``--resnet``) Order 1 on the 90 %-pruned ResNet-32-4 support (s ~ 7.4e5, generated
   CIFAR-shaped images, batch norm in eval mode): one window vs T SGD steps.

Run: ``python benchmarks/bench_qsgd_window.py [--quick] [--resnet]``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
import warnings

import torch
from torch import nn

from pennylane_qsgd.optim.qsgd import QSGD, NonDissipativeWarning


def linear_model(s: int, seed: int = 0):
    torch.manual_seed(seed)
    width = max(1, s // 64)
    model = nn.Sequential(nn.Linear(64, width), nn.Tanh(), nn.Linear(width, 1))
    x = torch.randn(256, 64)
    y = torch.randn(256, 1)
    return model, x, y


def time_window(
    s: int, T: int, profile: cProfile.Profile | None = None
) -> tuple[int, float, float]:
    model, x, y = linear_model(s)
    size = sum(p.numel() for p in model.parameters())

    def closure():
        return nn.functional.mse_loss(model(x), y)

    opt = QSGD(model.parameters(), lr=0.01, window=T, fidelity="ideal", matrix_free=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonDissipativeWarning)  # a random regression problem
        start = time.perf_counter()
        if profile is not None:
            profile.enable()
        opt.step(closure)
        if profile is not None:
            profile.disable()
        quantum = time.perf_counter() - start
    model, x, y = linear_model(s)
    sgd = torch.optim.SGD(model.parameters(), lr=0.01)
    start = time.perf_counter()
    for _ in range(T):
        sgd.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        sgd.step()
    classical = time.perf_counter() - start
    return size, quantum, classical


def resnet_window(window: int, batch: int) -> None:
    from pennylane_qsgd.data import cifar_like
    from pennylane_qsgd.models import build_model
    from pennylane_qsgd.optim.pruning import global_l1_prune

    def pruned_resnet():
        torch.manual_seed(0)
        model = build_model("resnet32-4").eval()  # BN statistics fixed, as in the windows
        global_l1_prune(model, 0.9)
        return model

    x, y = cifar_like(batch, num_classes=100, seed=0)

    def loss(model):
        return nn.functional.cross_entropy(model(x), y)

    model = pruned_resnet()
    opt = QSGD(model.parameters(), lr=0.01, window=window, fidelity="ideal", matrix_free=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonDissipativeWarning)
        start = time.perf_counter()
        opt.step(lambda: loss(model))
        quantum = time.perf_counter() - start
    s = opt.reports[-1].support_size
    model = pruned_resnet()
    sgd = torch.optim.SGD(model.parameters(), lr=0.01)
    start = time.perf_counter()
    for _ in range(window):
        sgd.zero_grad()
        loss(model).backward()
        sgd.step()
    classical = time.perf_counter() - start
    print(
        f"\nResNet-32-4, 90 % pruned, s = {s:,}, batch {batch}, T = {window}: QSGD window "
        f"{quantum:.1f} s, SGD {classical:.1f} s, ratio {quantum / classical:.2f}"
    )


def order_two_window(fidelity: str, support: int) -> None:
    from pennylane_qsgd.data import load_digits_tensors
    from pennylane_qsgd.models import mlp
    from pennylane_qsgd.optim.pruning import global_l1_prune

    torch.manual_seed(0)
    data = load_digits_tensors()
    model = mlp(64, (16,), 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(100):
        opt.zero_grad()
        nn.functional.cross_entropy(model(data.x_train), data.y_train).backward()
        opt.step()
    global_l1_prune(model, 0.9)
    qsgd = QSGD(
        model.parameters(),
        lr=0.1,
        window=5,
        order=2,
        max_support=support,
        fidelity=fidelity,
        masks=model,
    )
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    qsgd.step(lambda: nn.functional.cross_entropy(model(data.x_train), data.y_train))
    profile.disable()
    total = time.perf_counter() - start
    report = qsgd.reports[-1]
    print(
        f"\norder-2 window, digits MLP, s = {report.support_size}, T = 5, fidelity {fidelity}: "
        f"{total:.1f} s (qubits {report.qubits}, degree {report.polynomial_degree})"
    )
    stats = pstats.Stats(profile)
    wanted = {
        "Taylor coefficients (g, H, T3)": "closure_taylor_coefficients",
        "dissipation (eigenvalues, norms)": "dissipation",
        "solver on qsgd.sim": "solve_window",
        "Taylor-model reference (solve_ivp)": "integrate_ode",
    }
    for label, name in wanted.items():
        spent = sum(v[3] for k, v in stats.stats.items() if k[2] == name)
        print(f"  {label:<36} {spent:6.2f} s ({spent / total:5.1%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="s up to 1e4 only")
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    parser.add_argument("--part", choices=("1", "2", "both"), default="both")
    parser.add_argument(
        "--order-two-fidelity",
        default="native",
        choices=("ideal", "native"),
        help="qsgd.sim fidelity of the order-2 window (native needs ~20 qubits at s = 64)",
    )
    parser.add_argument("--order-two-support", type=int, default=64, help="s of the order-2 window")
    parser.add_argument("--resnet", action="store_true", help="also the ResNet-32-4 window")
    parser.add_argument("--resnet-batch", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(2)
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    if args.part != "2":
        order_one_table(sizes, args.window, args.repeats)
    if args.part != "1":
        order_two_window(args.order_two_fidelity, args.order_two_support)
    if args.resnet:
        resnet_window(args.window, args.resnet_batch)


def order_one_table(sizes: list[int], window: int, repeats: int) -> None:
    print(f"order 1, matrix-free, ideal fidelity, exact download, T = {window}")
    print(f"{'s':>8} {'QSGD (s)':>10} {'SGD (s)':>10} {'ratio':>7}")
    time_window(sizes[0], 2)  # warm-up: imports and first-call overheads
    for s in sizes:
        runs = [time_window(s, window) for _ in range(repeats)]
        size = runs[0][0]
        quantum = min(r[1] for r in runs)
        classical = min(r[2] for r in runs)
        print(f"{size:>8} {quantum:10.3f} {classical:10.3f} {quantum / classical:7.2f}")
    # Where one window of the largest size goes (one more run, profiled).
    profile = cProfile.Profile()
    _, total, _ = time_window(sizes[-1], window, profile)
    stats = pstats.Stats(profile)
    wanted = {
        "Hessian-vector products": ("matvec", None),
        "gradient with graph (ClosureHessian)": ("__init__", "closure_taylor.py"),
        "first evaluation (loss, p.grad)": ("_first_evaluation", None),
        "Ritz values of the Euler products": ("ritz_extremes", None),
    }
    products = sum(v[1] for k, v in stats.stats.items() if k[2] == "matvec")
    print(f"  s = {sizes[-1]}: {products} Hessian-vector products per window of T = {window}")
    for label, (name, module) in wanted.items():
        spent = sum(
            v[3]
            for k, v in stats.stats.items()
            if k[2] == name and (module is None or k[0].endswith(module))
        )
        print(f"  {label:<40} {spent:6.3f} s ({spent / total:5.1%})")


if __name__ == "__main__":
    main()
