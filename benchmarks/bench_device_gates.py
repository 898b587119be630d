"""Benchmark: standard-gate circuits on ``qsgd.sim`` against ``lightning.qubit``.

Layered circuits (each layer: RX, RY, RZ on every wire, then a CNOT ladder) at 16 to 22 qubits,
measured with ``expval(Z(0))``, timed end to end through a QNode (preprocessing included). Prints
the median wall time of each device and their ratio; the target is ``qsgd.sim`` within 1.5x.

Run: ``python benchmarks/bench_device_gates.py [--qubits 16 18 20 22] [--layers 4] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pennylane as qml


def layered_circuit(weights: np.ndarray) -> float:
    """Layers of RX, RY, RZ on every wire and a CNOT ladder; ``weights`` has shape (L, n, 3)."""
    num_layers, num_wires, _ = weights.shape
    for layer in range(num_layers):
        for w in range(num_wires):
            qml.RX(weights[layer, w, 0], wires=w)
            qml.RY(weights[layer, w, 1], wires=w)
            qml.RZ(weights[layer, w, 2], wires=w)
        for w in range(num_wires - 1):
            qml.CNOT(wires=[w, w + 1])
    return qml.expval(qml.Z(0))


def time_device(name: str, weights: np.ndarray, repeats: int) -> tuple[float, float]:
    """Median seconds per call (after one warm-up call) and the result of the last call."""
    dev = qml.device(name, wires=weights.shape[1])
    qnode = qml.QNode(layered_circuit, dev)
    result = qnode(weights)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = qnode(weights)
        times.append(time.perf_counter() - start)
    return statistics.median(times), float(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qubits", type=int, nargs="+", default=[16, 18, 20, 22])
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    header = f"{'qubits':>6} {'gates':>6} {'lightning [s]':>14} {'qsgd.sim [s]':>13} {'ratio':>6}"
    print(f"layers={args.layers}, repeats={args.repeats} (median), expval(Z(0))")
    print(header)
    print("-" * len(header))
    for n in args.qubits:
        weights = rng.uniform(0, 2 * np.pi, size=(args.layers, n, 3))
        t_ref, r_ref = time_device("lightning.qubit", weights, args.repeats)
        t_qsgd, r_qsgd = time_device("qsgd.sim", weights, args.repeats)
        if not np.isclose(r_ref, r_qsgd, atol=1e-10):
            raise RuntimeError(f"results differ at {n} qubits: {r_ref} vs {r_qsgd}")
        gates = args.layers * (4 * n - 1)
        print(f"{n:>6} {gates:>6} {t_ref:>14.3f} {t_qsgd:>13.3f} {t_qsgd / t_ref:>6.2f}")


if __name__ == "__main__":
    main()
