"""Phase angles for 1/x polynomials: our symmetric-QSP solver against ``qml.poly_to_angles``.

For each condition number kappa and degree the odd polynomial of
:func:`pennylane_qsgd.core.polynomials.inverse_polynomial` (sup norm 0.9 on [-1, 1]) is turned into
phases by :func:`pennylane_qsgd.core.phase_angles.qsp_phases` and by PennyLane's
``qml.poly_to_angles(..., "QSP", angle_solver=...)``, which needs monomial coefficients
(``numpy.polynomial.chebyshev.cheb2poly``). Each set of phases is checked by sequential 2x2
products (:func:`~pennylane_qsgd.core.phase_angles.qsp_unitary_entry`) on a dense grid of [-1, 1]:
the imaginary part of <0|U|0> for ours, the real part for PennyLane's convention.

Run::

    python benchmarks/bench_phase_angles.py                    # full table
    python benchmarks/bench_phase_angles.py --kappas 100 --degrees 2001 --pl-solvers
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time
import warnings

import numpy as np
from numpy.polynomial import chebyshev as npcheb

from pennylane_qsgd.core.phase_angles import qsp_phases, qsp_unitary_entry
from pennylane_qsgd.core.polynomials import (
    ChebyshevPolynomial,
    inverse_polynomial,
    jacobi_anger_sin,
)


def _pl_worker(monomial: np.ndarray, solver: str, queue: mp.Queue) -> None:
    """Child process: PennyLane's angles (QSP convention) or the exception text."""
    warnings.simplefilter("ignore")
    import pennylane as qml

    start = time.perf_counter()
    try:
        angles = qml.poly_to_angles(monomial, "QSP", angle_solver=solver)
        queue.put(("ok", np.asarray(angles, dtype=float), time.perf_counter() - start))
    except Exception as err:  # any failure of the reference is a result
        queue.put(("failed", f"{type(err).__name__}: {err}"[:70], time.perf_counter() - start))


def pennylane_angles(poly: ChebyshevPolynomial, solver: str, timeout: float) -> tuple:
    """``(status, angles or message, seconds)`` with a wall-clock limit (separate process)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        monomial = npcheb.cheb2poly(poly.coeffs)
    queue: mp.Queue = mp.Queue()
    proc = mp.Process(target=_pl_worker, args=(monomial, solver, queue))
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return "timeout", f"over {timeout:.0f} s", timeout
    return queue.get()


def ours(poly: ChebyshevPolynomial, repeats: int) -> tuple[np.ndarray, float]:
    """Phases and the best wall time of ``repeats`` solves."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        phases = qsp_phases(poly)
        best = min(best, time.perf_counter() - start)
    return phases, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kappas", type=float, nargs="+", default=[10.0, 50.0, 100.0])
    parser.add_argument("--degrees", type=int, nargs="+", default=[11, 101, 1001, 2001])
    parser.add_argument(
        "--eps",
        type=float,
        nargs="*",
        default=[1e-8],
        help="also run the degree chosen by inverse_polynomial for these accuracies",
    )
    parser.add_argument(
        "--sin-times",
        type=float,
        nargs="*",
        default=[5.0, 20.0, 50.0],
        help="control rows: 0.5 sin(x t) to 1e-12 (Jacobi-Anger), where PennyLane can succeed",
    )
    parser.add_argument(
        "--pl-solvers", nargs="*", default=["root-finding", "iterative"], help="PennyLane solvers"
    )
    parser.add_argument("--pl-timeout", type=float, default=60.0, help="seconds per PL call")
    parser.add_argument("--grid", type=int, default=20001, help="check points on [-1, 1]")
    parser.add_argument("--repeats", type=int, default=3, help="timing repeats for our solver")
    args = parser.parse_args()

    x = np.concatenate([np.linspace(-1.0, 1.0, args.grid), np.cos(np.linspace(0, np.pi, 4001))])
    cases = [
        (f"1/x k={k:g}", inverse_polynomial(k, degree=d)) for k in args.kappas for d in args.degrees
    ]
    cases += [(f"1/x k={k:g}", inverse_polynomial(k, e)) for k in args.kappas for e in args.eps]
    cases += [(f"sin t={t:g}", jacobi_anger_sin(t, 1e-12)) for t in args.sin_times]

    head = f"{'case':>11} {'deg':>5} {'approx':>8} {'ours s':>8} {'ours err':>9}"
    for solver in args.pl_solvers:
        head += f" | {solver + ' s':>17} {'err':>9} {'ratio':>7}"
    print(head)
    print("-" * len(head))
    failures = []
    for label, poly in cases:
        phases, t_ours = ours(poly, args.repeats)
        target = poly(x)
        err_ours = np.max(np.abs(qsp_unitary_entry(phases, x).imag - target))
        rel = poly.target_error / poly.scale
        line = f"{label:>11} {poly.degree:5d} {rel:8.1e} {t_ours:8.3f} {err_ours:9.1e}"
        for solver in args.pl_solvers:
            status, payload, t_pl = pennylane_angles(poly, solver, args.pl_timeout)
            if status == "ok":
                err_pl = np.max(np.abs(qsp_unitary_entry(payload, x).real - target))
                line += f" | {t_pl:17.3f} {err_pl:9.1e} {t_pl / t_ours:7.1f}"
            else:
                line += f" | {status:>17} {'-':>9} {'-':>7}"
                failures.append(f"{label} degree={poly.degree} {solver}: {payload}")
        print(line, flush=True)
    print("\napprox: target_error / scale of the polynomial itself (for 1/x: relative error on")
    print(
        "1/kappa <= |x| <= 1); err: max |polynomial from phases - P| on the grid (sup 0.9 for 1/x,"
    )
    print("0.5 for sin); ratio: PennyLane time / our time.")
    for msg in failures:
        print("failed:", msg)


if __name__ == "__main__":
    main()
