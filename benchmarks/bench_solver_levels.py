"""Benchmark: the gradient-flow solver circuit at the three levels of ``qsgd.sim``.

1. Native kernel against gates on ``lightning.qubit``, 8 to 14 qubits (``--qubits``): wall time of
   each (the QSVT phases, shared by both, are computed beforehand and reported apart), their ratio
   and the largest amplitude difference of the final states. Instances: a dissipative quadratic ODE
   with ``s`` variables, Carleman level 2, 2 Euler steps; ``s`` grows with the qubit count.
2. The largest instance each level finishes within ``--limit`` seconds (default 60) under the
   package's memory budget (``QSGD_MEMORY_LIMIT``, default ``min(8 GiB, RAM/2)``): gates and
   native on growing Carleman registers, the ideal model (exact forward substitution, no state
   vector) on growing windows. Every run is a child process killed at the limit.

Run: ``python benchmarks/bench_solver_levels.py [--quick] [--qubits 8 9 ...] [--limit 60]``.
``--quick``: 8 to 12 qubits, 20 s limit, shorter scans. ``--threads`` (default 1) sets the BLAS and
OpenMP threads of both levels before NumPy loads: on a loaded machine, multithreaded BLAS can make a
120 x 120 SVD take a second.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
import warnings

if __name__ == "__main__":
    _threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _threads

import numpy as np  # noqa: E402
import pennylane as qml  # noqa: E402
import scipy.sparse as sp  # noqa: E402

import pennylane_qsgd.device  # noqa: F401  (registers the native kernels)
from pennylane_qsgd.circuits.data_hash import DigestCache
from pennylane_qsgd.circuits.solver import GradientFlowSolver
from pennylane_qsgd.circuits.solver_layout import required_wires
from pennylane_qsgd.circuits.solver_twins import ideal_solution
from pennylane_qsgd.core.problem import PolynomialODE

PRECISION = 1e-6
LEVEL = 2
STEPS = 2


def problem_of_size(s: int, seed: int = 0) -> PolynomialODE:
    """Dissipative quadratic ODE with sparse couplings (about 3 entries per row of F1 and F2)."""
    rng = np.random.default_rng(seed)
    density1 = min(1.0, 3.0 / s)
    density2 = min(1.0, 3.0 / s**2)
    F1 = -sp.identity(s) + 0.1 * sp.random(
        s, s, density1, random_state=rng, data_rvs=rng.standard_normal
    )
    F2 = 0.05 * sp.random(s, s * s, density2, random_state=rng, data_rvs=rng.standard_normal)
    u_in = rng.normal(size=s)
    return PolynomialODE(
        F0=0.05 * rng.normal(size=s), F1=F1, F2=F2, u_in=0.3 * u_in / np.linalg.norm(u_in)
    )


def size_for_qubits(n: int, steps: int = STEPS) -> int:
    """Smallest ``s`` whose solver (level 2, ``steps`` steps, default idle) uses ``n`` wires."""
    for s in range(1, 5000):
        if required_wires(s, LEVEL, steps) == n:
            return s
        if required_wires(s, LEVEL, steps) > n:
            break
    raise ValueError(f"no problem size gives exactly {n} wires")


def make_solver(s: int, steps: int = STEPS) -> GradientFlowSolver:
    n = required_wires(s, LEVEL, steps)
    with qml.QueuingManager.stop_recording():
        return GradientFlowSolver(
            problem_of_size(s),
            T=0.5,
            carleman_level=LEVEL,
            steps=steps,
            precision=PRECISION,
            wires=range(n),
        )


def clear_caches() -> None:
    """Forget cached linear systems and prepared states (phases stay cached)."""
    DigestCache.clear_all()


def run_level(op: GradientFlowSolver, fidelity: str) -> tuple[np.ndarray, float]:
    """Final state and wall seconds of one execution at ``fidelity`` (``gates`` = lightning.qubit)."""
    if fidelity == "gates":
        dev = qml.device("lightning.qubit", wires=len(op.wires))
    else:
        dev = qml.device("qsgd.sim", wires=len(op.wires), fidelity=fidelity)

    @qml.qnode(dev)
    def circuit():
        qml.apply(op)
        return qml.state()

    clear_caches()
    start = time.perf_counter()
    state = np.asarray(circuit())
    return state, time.perf_counter() - start


def compare(qubits: list[int]) -> None:
    print("native kernel vs gates on lightning.qubit (level 2, 2 Euler steps)")
    print(
        f"{'qubits':>6} {'s':>4} {'degree':>6} {'phases s':>9} {'gates s':>9} {'native s':>9} "
        f"{'ratio':>8} {'max |diff|':>11}"
    )
    for n in qubits:
        s = size_for_qubits(n)
        op = make_solver(s)
        start = time.perf_counter()
        degree = op.inverse_angles().degree
        phases = time.perf_counter() - start
        native, t_native = run_level(op, "native")
        gates, t_gates = run_level(op, "gates")
        diff = float(np.max(np.abs(native - gates)))
        print(
            f"{n:>6} {s:>4} {degree:>6} {phases:>9.2f} {t_gates:>9.2f} {t_native:>9.3f} "
            f"{t_gates / t_native:>8.1f} {diff:>11.2e}",
            flush=True,
        )


def _child(task, args, queue) -> None:
    try:
        queue.put(("ok", task(*args)))
    except Exception as err:  # reported, the scan stops at this size
        queue.put(("error", f"{type(err).__name__}: {err}"))


def timed(task, args, limit: float):
    """``task(*args)`` in a child process; (status, result or message, seconds)."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(task, args, queue))
    start = time.perf_counter()
    proc.start()
    proc.join(limit)
    elapsed = time.perf_counter() - start
    if proc.is_alive():
        proc.kill()
        proc.join()
        return "timeout", None, elapsed
    status, value = queue.get() if not queue.empty() else ("error", "child died (memory?)")
    return status, value, elapsed


def _level_task(s: int, level: str) -> int:
    op = make_solver(s)
    op.inverse_angles()
    run_level(op, level)
    return len(op.wires)


def _ideal_task(s: int, steps: int) -> int:
    problem = problem_of_size(s)
    idle = steps
    with qml.QueuingManager.stop_recording():
        op = GradientFlowSolver(
            problem,
            T=0.5,
            carleman_level=LEVEL,
            steps=steps,
            idle=idle,
            wires=range(required_wires(s, LEVEL, steps, idle)),
            kappa="bound",
        )
    ideal_solution(op)
    return (steps + idle + 1) * (s + s * s)


def largest(limit: float, qubit_scan: dict[str, list[int]], ideal_scan: list[tuple[int, int]]):
    print(f"\nlargest instance per level within {limit:.0f} s (memory budget of the package)")
    for level, scan in qubit_scan.items():
        best = None
        for n in scan:
            s = size_for_qubits(n)
            status, value, elapsed = timed(_level_task, (s, level), limit)
            print(
                f"  {level:>6}: {n:>2} qubits (s = {s:>4}): {status} in {elapsed:6.1f} s"
                + (f" ({value})" if status == "error" else ""),
                flush=True,
            )
            if status != "ok":
                break
            best = n
        print(f"  -> {level}: largest {best} qubits")
    best = None
    for s, steps in ideal_scan:
        status, value, elapsed = timed(_ideal_task, (s, steps), limit)
        print(
            f"   ideal: s = {s}, m = p = {steps}: {status} in {elapsed:6.1f} s"
            + (f", system dimension {value:.3g}" if status == "ok" else f" ({value})"),
            flush=True,
        )
        if status != "ok":
            break
        best = value
    print(f"  -> ideal (forward substitution, no state vector): largest dimension {best}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8-12 qubits, 20 s limit")
    parser.add_argument("--qubits", type=int, nargs="+", default=None)
    parser.add_argument("--limit", type=float, default=None, help="seconds per run")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads")
    args = parser.parse_args()
    warnings.simplefilter("once")
    qubits = args.qubits or (list(range(8, 13)) if args.quick else list(range(8, 15)))
    limit = args.limit or (20.0 if args.quick else 60.0)
    compare(qubits)
    if args.quick:
        scan = {"gates": [12, 13], "native": [14, 16, 18, 20]}
        ideal_scan = [(10, 100), (30, 1000)]
    else:
        scan = {"gates": list(range(12, 17)), "native": list(range(14, 27, 2))}
        ideal_scan = [(10, 100), (30, 1000), (100, 1000), (300, 3000), (1000, 10000)]
    largest(limit, scan, ideal_scan)


if __name__ == "__main__":
    main()
