"""Native-fidelity training window: the structured encoding of L against the dense one.

One window of ``T`` gradient steps of a QSGD-like flow (``F1 = -lr H``, ``F0 = -lr (g - H theta)``
and, at order 2, a dense ``F2 = -(lr/2) T3``) on ``s`` weights, solved by
:func:`pennylane_qsgd.optim.window.solve_window` at ``fidelity="native"`` with ``encoding="dense"``
and ``encoding="structured"``, each in a child process with a time limit. Prints the wall time of
each, their ratio (dense / structured), the encoding ``encoding="auto"`` picks, and the distance
of the downloaded weights between the two and to the ideal fidelity's forward substitution.
Where the dense encoding does not fit (the policy does not form L, which its products need), it
says so.

    python benchmarks/bench_encodings.py            # s = 16, 64, 256; order 1 and 2
    python benchmarks/bench_encodings.py --sizes 16 64 --limit 60
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time
import warnings

import numpy as np

from pennylane_qsgd.core.memory import MemoryBudgetError
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.optim.window import choose_encoding, euler_steps_for_window, solve_window

LR = 0.1
T = 2.0


def window_problem(s: int, order: int, seed: int = 0) -> PolynomialODE:
    """A dissipative window flow on ``s`` weights (Hessian spectrum in [0.5, 2])."""
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.normal(size=(s, s)))[0]
    H = (Q * rng.uniform(0.5, 2.0, s)) @ Q.T
    theta = rng.normal(size=s) / np.sqrt(s)
    g = 0.1 * rng.normal(size=s) / np.sqrt(s)
    F2 = np.zeros((s, s * s))
    if order == 2:
        F2 = -(LR / 2) * 0.05 * rng.normal(size=(s, s * s)) / s
    return PolynomialODE(F0=-LR * (g - H @ theta), F1=-LR * H, F2=F2, u_in=theta)


def _task(s: int, order: int, encoding: str, queue) -> None:
    warnings.simplefilter("ignore")
    try:
        problem = window_problem(s, order)
        start = time.perf_counter()
        sol = solve_window(problem, T, order, fidelity="native", encoding=encoding)
        elapsed = time.perf_counter() - start
        reference = None
        if encoding == "structured":  # the forward substitution of the same window (untimed)
            reference = solve_window(problem, T, order, fidelity="ideal").solver_output
        queue.put(("ok", elapsed, sol.solver_output, reference, sol.degree))
    except MemoryBudgetError as err:
        queue.put(("does not fit", 0.0, str(err).split(";")[0], None, 0))
    except ValueError as err:  # the dense encoding's products need L, which the policy did not form
        status = "does not fit" if "needs L" in str(err) else "error"
        queue.put((status, 0.0, str(err).split(":")[0], None, 0))
    except Exception as err:  # reported, not raised: the other runs go on
        queue.put(("error", 0.0, f"{type(err).__name__}: {err}", None, 0))


def timed(s: int, order: int, encoding: str, limit: float) -> tuple:
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_task, args=(s, order, encoding, queue))
    proc.start()
    proc.join(limit)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return ("timeout", limit, None, None, 0)
    return queue.get() if not queue.empty() else ("died (memory?)", 0.0, None, None, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--orders", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--limit", type=float, default=300.0, help="seconds per run")
    args = parser.parse_args()
    print(f"native-fidelity window, T = {T:g} steps, lr = {LR}; times in seconds")
    print(
        f"{'s':>4} {'order':>5} {'auto':>10} {'dense':>14} {'structured':>12} {'ratio':>7} "
        f"{'|dense - struct|':>16} {'|struct - ideal|':>16}"
    )
    for order in args.orders:
        for s in args.sizes:
            problem = window_problem(s, order)
            m = euler_steps_for_window(problem, order, T)
            auto = choose_encoding(problem, order, m, m - 1 if m > 1 else 1, "native")
            runs = {enc: timed(s, order, enc, args.limit) for enc in ("dense", "structured")}
            d, st = runs["dense"], runs["structured"]
            fmt = lambda r: f"{r[1]:.2f}" if r[0] == "ok" else r[0]  # noqa: E731
            ratio = f"{d[1] / st[1]:.2f}" if d[0] == st[0] == "ok" else "-"
            gap = np.linalg.norm(d[2] - st[2]) if d[0] == st[0] == "ok" else float("nan")
            ref = np.linalg.norm(st[2] - st[3]) if st[0] == "ok" and st[3] is not None else None
            print(
                f"{s:>4} {order:>5} {auto:>10} {fmt(d):>14} {fmt(st):>12} {ratio:>7} "
                f"{gap:>16.1e} {('-' if ref is None else f'{ref:.1e}'):>16}",
                flush=True,
            )
            if d[0] != "ok":
                print(f"      dense: {d[0]} ({d[2]})")


if __name__ == "__main__":
    main()
