"""QSP phase angles side by side: ours against nlft-qsp, pyqsp and PennyLane, degrees 1e3..1e6.

Same polynomials for every solver, in one process (peers in a child process each, so that a
wall-clock limit can stop them):

- ``1/x``: :func:`~pennylane_qsgd.core.polynomials.inverse_polynomial` with
  :math:`\\varepsilon = 10^{-10}` and :math:`\\kappa = 40, 400, 4000, 40000` (degrees 949, 9,487,
  94,875, 948,759; odd, sup norm 0.9);
- ``sin``: :func:`~pennylane_qsgd.core.polynomials.jacobi_anger_sin`, :math:`0.5\\sin(tx)` to
  :math:`10^{-12}` with :math:`t` = 0.9 x 10^3 .. 0.9 x 10^6 (degrees about 10^3 .. 10^6).

Solvers: ours (:func:`~pennylane_qsgd.core.phase_angles.qsp_phases`, symmetric phases, target the
imaginary part; by default the direct Weiss + inverse nonlinear FFT phases of
:mod:`~pennylane_qsgd.core.qsp_nlft`, checked by one forward map; ``--ours-method anderson`` for the
iterative solver); ``nlft-qsp`` (``ChebyshevQSPPhaseFactors.solve``: Weiss completion and the inverse
nonlinear FFT of arXiv:2505.12615, target the real part); ``pyqsp`` (``method="sym_qsp"``, Newton
on symmetric phases, imaginary part); PennyLane's ``qml.poly_to_angles`` (monomial input, real
part). Every phase vector is checked by the same independent evaluation: sequential 2x2 products
(:func:`~pennylane_qsgd.core.qsp_evaluation.qsp_unitary_entry`, never a solver's own residual) at
2,500 points of [-1, 1] up to degree 10^4 and 300 at 10^6 (equispaced, Chebyshev-clustered, and
for 1/x dense in :math:`|x| \\le 20/\\kappa`), against numpy's Clenshaw evaluation of the
target.

A peer that fails or exceeds ``--timeout`` at one degree is not run at the larger ones. Ratios:
peer time / our time and peer error / our error (> 1: ours ahead). Our process CPU time is printed
too (the development machine is shared; wall times depend on its load).

Usage::

    python benchmarks/bench_phase_angles.py                       # 1e3 .. 1e6, about 10 min
    python benchmarks/bench_phase_angles.py --degrees 1e3 1e4 --timeout 60
    python benchmarks/bench_phase_angles.py --degrees 1e6 --peers      # ours only
    pip install "pennylane-qsgd[bench]"                           # nlft-qsp and pyqsp
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import multiprocessing as mp
import time
import warnings

import numpy as np
from numpy.polynomial import chebyshev as npcheb

from pennylane_qsgd.core.phase_angles import qsp_phases, qsp_unitary_entry, wx_to_qsvt_angles
from pennylane_qsgd.core.polynomials import (
    ChebyshevPolynomial,
    inverse_polynomial,
    jacobi_anger_sin,
)

PEERS = ("nlft-qsp", "pyqsp", "pennylane")


def _peer_angles(name: str, coeffs: np.ndarray) -> tuple[np.ndarray, str]:
    """Phases of a peer solver and the part of <0|U|0> that carries the target."""
    if name == "nlft-qsp":
        import nlft_qsp

        expansion = nlft_qsp.ChebyshevTExpansion(list(coeffs))
        return np.asarray(nlft_qsp.ChebyshevQSPPhaseFactors.solve(expansion).phi, float), "real"
    if name == "pyqsp":
        from pyqsp.angle_sequence import QuantumSignalProcessingPhases

        with contextlib.redirect_stdout(io.StringIO()):
            full, _, _ = QuantumSignalProcessingPhases(
                coeffs, method="sym_qsp", chebyshev_basis=True
            )
        return np.asarray(full, float), "imag"
    import pennylane as qml

    monomial = npcheb.cheb2poly(coeffs)
    return np.asarray(qml.poly_to_angles(monomial, "QSP"), float), "real"


_MODULES = {"nlft-qsp": "nlft_qsp", "pyqsp": "pyqsp.angle_sequence", "pennylane": "pennylane"}


def _worker(name: str, coeffs: np.ndarray, queue: mp.Queue) -> None:
    warnings.simplefilter("ignore")
    try:
        importlib.import_module(_MODULES[name])  # imports are not timed
    except ImportError as err:
        queue.put(("missing", f"not installed ({err.name})", 0.0))
        return
    start = time.perf_counter()
    try:
        phases, part = _peer_angles(name, coeffs)
        queue.put(("ok", (phases, part), time.perf_counter() - start))
    except Exception as err:  # a failure of a peer is a result
        queue.put(("failed", f"{type(err).__name__}: {err}"[:80], time.perf_counter() - start))


def run_peer(name: str, coeffs: np.ndarray, timeout: float) -> tuple[str, object, float]:
    """``(status, (phases, part) or message, seconds)`` under a wall-clock limit."""
    queue: mp.Queue = mp.Queue()
    proc = mp.Process(target=_worker, args=(name, coeffs, queue))
    proc.start()
    deadline = time.monotonic() + timeout
    while proc.is_alive() and time.monotonic() < deadline and queue.empty():
        time.sleep(0.05)
    if queue.empty():
        proc.terminate()
        proc.join()
        return "timeout", f"over {timeout:.0f} s", timeout
    result = queue.get()
    proc.join()
    return result


def check_points(label: str, poly: ChebyshevPolynomial, kappa: float | None) -> np.ndarray:
    """Points of [-1, 1] where the polynomial is checked: 2,500 up to degree 10^4, then fewer
    (the sequential products cost degree x points; 300 at degree 10^6)."""
    n = int(np.clip(2.5e7 / poly.degree, 300, 2500))
    x = [np.linspace(-1.0, 1.0, 2 * n // 5), np.cos(np.linspace(0.0, np.pi, 2 * n // 5))]
    if kappa is not None:
        x.append(np.linspace(-20.0 / kappa, 20.0 / kappa, n // 5))
    return np.unique(np.clip(np.concatenate(x), -1.0, 1.0))


def sup_error(phases: np.ndarray, part: str, x: np.ndarray, target: np.ndarray) -> float:
    entry = qsp_unitary_entry(phases, x)
    return float(np.max(np.abs((entry.imag if part == "imag" else entry.real) - target)))


def cases(degrees: list[float]) -> list[tuple[str, ChebyshevPolynomial, float | None]]:
    out = []
    for d in degrees:
        kappa = round(d / 23.7)  # inverse_polynomial(kappa, 1e-10) has degree ~ 23.7 kappa
        out.append((f"1/x k={kappa}", inverse_polynomial(kappa, 1e-10), kappa))
    for d in degrees:
        out.append((f"sin t={0.9 * d:g}", jacobi_anger_sin(0.9 * d, 1e-12), None))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--degrees", type=float, nargs="+", default=[1e3, 1e4, 1e5, 1e6])
    parser.add_argument("--peers", nargs="*", default=list(PEERS), choices=PEERS)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per peer call")
    parser.add_argument(
        "--ours-method", default="auto", help="method of qsp_phases (auto, nlft, anderson, ...)"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    head = f"{'case':>14} {'degree':>7} {'ours s':>7} {'cpu s':>6} {'ours err':>8} {'qsvt err':>8}"
    for peer in args.peers:
        head += f" | {peer:>9} s {'err':>8} {'t/ours':>6} {'e/ours':>6}"
    print(head)
    print("-" * len(head))
    given_up: dict[tuple[str, str], str] = {}
    notes = []
    for label, poly, kappa in cases(args.degrees):
        family = label.split()[0]
        x = check_points(label, poly, kappa)
        target = npcheb.chebval(x, poly.coeffs)
        start, cpu = time.perf_counter(), time.process_time()
        phases = qsp_phases(poly, method=args.ours_method)
        ours_s, ours_cpu = time.perf_counter() - start, time.process_time() - cpu
        ours_err = sup_error(phases, "imag", x, target)
        # PennyLane's convention: the real part of the QSVT block at each singular value.
        block = qsp_unitary_entry(wx_to_qsvt_angles(phases), x, signal="reflection")
        qsvt_err = float(np.max(np.abs(block.real - target)))
        line = f"{label:>14} {poly.degree:>7} {ours_s:7.2f} {ours_cpu:6.2f} {ours_err:8.1e}"
        line += f" {qsvt_err:8.1e}"
        for peer in args.peers:
            if (peer, family) in given_up:
                line += f" | {given_up[(peer, family)]:>11} {'-':>8} {'-':>6} {'-':>6}"
                continue
            status, payload, seconds = run_peer(peer, poly.coeffs, args.timeout)
            if status == "ok":
                err = sup_error(payload[0], payload[1], x, target)
                line += (
                    f" | {seconds:11.2f} {err:8.1e} {seconds / ours_s:6.1f} {err / ours_err:6.1g}"
                )
                continue
            line += f" | {status:>11} {'-':>8} {'-':>6} {'-':>6}"
            given_up[(peer, family)] = "skipped" if status != "missing" else "missing"
            notes.append(f"{peer} at {label} (degree {poly.degree}): {payload}")
        print(line, flush=True)
    print(
        "\nerr: max |polynomial from the phases - target| at the check points, by sequential 2x2 "
        "products;\nqsvt err: the same for the real part of PennyLane's QSVT block (reflection "
        "signal) with our angles converted by wx_to_qsvt_angles;\nt/ours, e/ours: the peer's time "
        "and error over ours (> 1: ours ahead)."
    )
    for note in notes:
        print("  ", note)


if __name__ == "__main__":
    main()
