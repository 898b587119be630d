"""One window by Euler + QSVT inversion and by LCHS: block-encoding calls and T-count against T.

Both routes from the same :class:`~pennylane_qsgd.diagnostics.window_assumptions.WindowAssumptions` (the
paper's two ResNets by default) at the same ``eps``; prints the table, the log-log slopes over the
last decade (Euler about 2, LCHS about 1) and the crossover ``T``.

Run::

    python benchmarks/bench_lchs_resources.py
    python benchmarks/bench_lchs_resources.py --eps 1e-3 --steps 10 100 1000 10000
"""

from __future__ import annotations

import argparse
import time

from pennylane_qsgd.diagnostics.lchs_resources import compare_routes, format_routes
from pennylane_qsgd.diagnostics.resources import DEFAULT_STEPS, PAPER_MODELS
from pennylane_qsgd.diagnostics.window_assumptions import WindowAssumptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eps", type=float, default=1e-2)
    parser.add_argument("--steps", type=int, nargs="+", default=list(DEFAULT_STEPS))
    args = parser.parse_args()
    for name, params in PAPER_MODELS.items():
        start = time.perf_counter()
        rows = compare_routes(WindowAssumptions(params=params, eps=args.eps), tuple(args.steps))
        print(f"{name}: n = {params}, eps = {args.eps:g} ({time.perf_counter() - start:.1f} s)")
        print(format_routes(rows))
        print()


if __name__ == "__main__":
    main()
