"""The order-2 QSGD window by its two routes, side by side in one run, at the ideal fidelity.

The pruned digits MLP of ``bench_qsgd_window.py``; one window of ``T`` steps on the ``s``
largest weights, solved by the dense route (T3 and the Carleman matrix) and by the low-rank route
(Hessian and third-derivative products, level-2 block kept low rank), from the same start.
Prints the time of each, their ratio, the rank reached and the distance between the two results.

Run: ``python benchmarks/bench_order2_routes.py [--support 64] [--window 5]``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch
from torch import nn

from pennylane_qsgd.optim.qsgd import QSGD


def trained_pruned_mlp():
    from pennylane_qsgd.data import load_digits_tensors
    from pennylane_qsgd.models import mlp
    from pennylane_qsgd.optim.pruning import global_l1_prune

    torch.manual_seed(0)
    data = load_digits_tensors()
    model = mlp(64, (16,), 10)
    sgd = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(100):
        sgd.zero_grad()
        nn.functional.cross_entropy(model(data.x_train), data.y_train).backward()
        sgd.step()
    global_l1_prune(model, 0.9)
    return model, data


def one_window(model, data, route: str, support: int, window: int, euler_steps: int | None):
    opt = QSGD(
        model.parameters(),
        lr=0.1,
        window=window,
        order=2,
        max_support=support,
        euler_steps=euler_steps,
        fidelity="ideal",
        masks=model,
        order2_route=route,
    )
    start = time.perf_counter()
    opt.step(lambda: nn.functional.cross_entropy(model(data.x_train), data.y_train))
    seconds = time.perf_counter() - start
    weights = torch.cat([p.detach().reshape(-1) for p in model.parameters()]).double().numpy()
    return seconds, weights, opt.reports[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--support", type=int, default=64)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--euler-steps", type=int, default=None)
    args = parser.parse_args()
    torch.set_num_threads(2)
    warnings.simplefilter("ignore")
    model, data = trained_pruned_mlp()
    print(f"order-2 window, digits MLP, max_support = {args.support}, T = {args.window}, ideal")
    start = torch.cat([p.detach().reshape(-1) for p in model.parameters()]).double().numpy()
    saved = {k: v.detach().clone() for k, v in model.state_dict().items()}
    results = {}
    for route in ("dense", "lowrank"):
        model.load_state_dict(saved)  # both routes start from the same weights
        results[route] = one_window(model, data, route, args.support, args.window, args.euler_steps)
        seconds, _, report = results[route]
        print(
            f"  {route:<7} {seconds:7.2f} s  (m = {report.euler_steps}, rank "
            f"{report.level2_rank}, discarded {report.level2_discarded:.2e})",
            flush=True,
        )
    (t_d, w_d, _), (t_l, w_l, _) = results["dense"], results["lowrank"]
    moved = np.linalg.norm(w_d - start)
    print(f"  dense / lowrank time ratio {t_d / t_l:.2f}")
    print(f"  |w_lowrank - w_dense| / |w_dense - w_0| = {np.linalg.norm(w_l - w_d) / moved:.3g}")


if __name__ == "__main__":
    main()
