"""``qsgd resources``: quantum cost of one training window against ``T``, beside classical SGD.

Examples::

    qsgd resources                                  # the paper's 7.45M and 103.3M ResNets
    qsgd resources --params 1000000 --steps 10 100 1000 --eps 1e-3 --sparsity 0.95
    qsgd resources --output-dir runs/resources --json
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

DESCRIPTION = (
    "Resource estimate of one window of T gradient steps run through the Carleman-Euler "
    "quantum solver (logical qubits, block-encoding calls, amplitude-amplification rounds, "
    "T-count, depth via pennylane.estimator), and the classical cost of the same window. "
    "Prints the assumptions, a table per model and the log-log slope, then the Euler route beside "
    "the LCHS route (slopes in T and their crossover); writes a PNG."
)


# The defaults of ``diagnostics.window_assumptions.WindowAssumptions`` and ``DEFAULT_STEPS``, repeated here
# so that building the ``qsgd`` parser imports neither PennyLane nor matplotlib (a test keeps them
# equal).
DEFAULTS = argparse.Namespace(
    sparsity=0.9,
    eps=1e-2,
    lr=0.01,
    lambda_max=6.0,
    f2_norm=5e-3,
    f0_norm=1e-3,
    u_norm=0.5,
    q=1.0,
    level=2,
    row_sparsity=16,
    value_bits=16,
    batch=512,
)
DEFAULT_STEPS = (10, 30, 100, 300, 1000, 3000, 10_000)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``resources`` sub-command on ``subparsers`` and return its parser.

    Nothing heavy (PennyLane, matplotlib) is imported here, so building the ``qsgd`` parser
    stays fast.
    """
    d = DEFAULTS
    parser = subparsers.add_parser(
        "resources", help="quantum vs classical cost of a window", description=DESCRIPTION
    )
    parser.add_argument(
        "--params",
        type=int,
        nargs="+",
        default=None,
        help="model sizes n (default: the paper's ResNets, 7.45M and 103.3M)",
    )
    parser.add_argument(
        "--steps",
        type=int,
        nargs="+",
        default=list(DEFAULT_STEPS),
        help="window lengths T (default: 10 30 100 ... 10000)",
    )
    parser.add_argument(
        "--eps", type=float, default=d.eps, help=f"Euler and 1/x tolerance (default {d.eps:g})"
    )
    parser.add_argument(
        "--sparsity",
        type=float,
        default=d.sparsity,
        help=f"fraction of weights pruned (default {d.sparsity:g})",
    )
    parser.add_argument("--lr", type=float, default=d.lr, help=f"learning rate (default {d.lr:g})")
    parser.add_argument(
        "--lambda-max",
        type=float,
        default=d.lambda_max,
        help=f"largest Hessian eigenvalue, ||F1|| = lr * lambda_max (default {d.lambda_max:g})",
    )
    parser.add_argument("--f2-norm", type=float, default=d.f2_norm, help="||F2|| after rescaling")
    parser.add_argument("--f0-norm", type=float, default=d.f0_norm, help="||F0|| after rescaling")
    parser.add_argument("--u-norm", type=float, default=d.u_norm, help="||u_in|| after rescaling")
    parser.add_argument("--q", type=float, default=d.q, help="||u_in|| / ||u(T)|| (Lemma 5)")
    parser.add_argument("--level", type=int, default=d.level, help="Carleman level N")
    parser.add_argument(
        "--row-sparsity", type=int, default=d.row_sparsity, help="nonzeros per row of F1, F2"
    )
    parser.add_argument("--value-bits", type=int, default=d.value_bits, help="bits per QRAM value")
    parser.add_argument("--batch", type=int, default=d.batch, help="classical batch size")
    parser.add_argument(
        "--output-dir", default="qsgd-resources", help="output folder (default: qsgd-resources)"
    )
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG")
    parser.add_argument("--json", action="store_true", help="also write resources.json")
    return parser


def run(args: argparse.Namespace) -> int:
    """Print assumptions and tables; write ``resources.png`` (and ``resources.json``)."""
    from pennylane_qsgd.diagnostics.lchs_resources import (
        compare_routes,
        format_routes,
        route_slopes,
    )
    from pennylane_qsgd.diagnostics.resource_plots import plot_resources
    from pennylane_qsgd.diagnostics.resources import (
        PAPER_MODELS,
        assumption_lines,
        crossover,
        estimate_window,
        format_table,
        loglog_slope,
    )
    from pennylane_qsgd.diagnostics.window_assumptions import WindowAssumptions

    if args.params:
        models = {f"n = {n:,}": n for n in args.params}
    else:
        models = {f"{k}, n = {v:,}": v for k, v in PAPER_MODELS.items()}
    steps = sorted(set(args.steps))
    if not steps or steps[0] < 1:
        raise SystemExit(f"--steps must be positive integers; got {args.steps}")
    common = {
        "sparsity": args.sparsity,
        "eps": args.eps,
        "lr": args.lr,
        "lambda_max": args.lambda_max,
        "f2_norm": args.f2_norm,
        "f0_norm": args.f0_norm,
        "u_norm": args.u_norm,
        "q": args.q,
        "level": args.level,
        "row_sparsity": args.row_sparsity,
        "value_bits": args.value_bits,
        "batch": args.batch,
    }
    try:
        assumptions = {label: WindowAssumptions(params=n, **common) for label, n in models.items()}
    except (TypeError, ValueError) as err:
        raise SystemExit(f"qsgd resources: {err}") from err
    print("Assumptions and model:")
    for line in assumption_lines(next(iter(assumptions.values()))):
        print(f"  - {line}")
    tables, routes = {}, {}
    for label, a in assumptions.items():
        rows = [estimate_window(a, T) for T in steps]
        tables[label] = rows
        print(f"\n{label}, s = {a.support:,} unpruned weights")
        print(format_table(rows))
        worst = rows[-1].truncation_bound
        print(
            f"Carleman truncation bound (Lemma 1) T N ||F2|| ||u_in||^(N+1): "
            f"{rows[0].truncation_bound:.3g} at T = {rows[0].T} .. {worst:.3g} at T = {rows[-1].T}"
            + (
                f" (above eps = {a.eps:g}: raise --level or rescale to a smaller ||u_in||)"
                if worst > a.eps
                else ""
            )
        )
        for key, what in (("t_count_oracle", "T-count (oracle QRAM)"), ("t_count", "T-count")):
            if getattr(rows[0], key) >= rows[0].classical_flops:
                print(f"{what} is above the classical FLOPs of the window from T = {rows[0].T}")
                continue
            cross = crossover(rows, key, "classical_flops")
            where = f"T ~ {cross:.3g}" if cross is not None else f"no T <= {steps[-1]}"
            print(f"{what} reaches the classical FLOPs of the window at {where}")
        big = [r for r in rows if r.T >= steps[-1] / 10] if len(steps) > 1 else []
        if len(big) >= 2:
            slope = loglog_slope([r.T for r in big], [r.t_count for r in big])
            calls = loglog_slope([r.T for r in big], [r.block_encoding_calls for r in big])
            print(
                f"log-log slope over T = {big[0].T}..{big[-1].T}: T-count {slope:.3f}, "
                f"block-encoding calls {calls:.3f} (Euler + QLSA: 2, times log factors)"
            )
        if len(steps) >= 2:  # slopes and crossovers need two window lengths
            route_rows = compare_routes(a, tuple(steps), euler_rows=rows)
            routes[label] = {
                "rows": [asdict(r) for r in route_rows],
                "slopes": asdict(route_slopes(route_rows)),
            }
            print(f"\n{label}: Euler + QSVT route against the LCHS route")
            print(format_routes(route_rows))
    out = Path(args.output_dir)
    if not args.no_plot:
        path = plot_resources(tables, out / "resources.png")
        print(f"\nplot: {path}")
    if args.json:
        out.mkdir(parents=True, exist_ok=True)
        payload = {
            "assumptions": {k: asdict(a) for k, a in assumptions.items()},
            "notes": assumption_lines(next(iter(assumptions.values()))),
            "tables": {k: [asdict(r) for r in rows] for k, rows in tables.items()},
            "routes": routes,
        }
        with open(out / "resources.json", "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=2)
        print(f"json: {out / 'resources.json'}")
    return 0


__all__ = [
    "DEFAULT_STEPS",
    "DEFAULTS",
    "DESCRIPTION",
    "add_parser",
    "run",
]
