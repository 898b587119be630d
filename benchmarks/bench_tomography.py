"""Error of l2 tomography against the number of shots, for s = 16, 64, 256 amplitudes.

For each size a fixed random real unit vector (Gaussian entries, so some are small and their signs
are hard) is prepared with ``qml.StatePrep`` and estimated by
:func:`pennylane_qsgd.circuits.tomography.estimate_real_vector` with several seeds. The table lists
the mean l2 error, its ratio to :math:`\\sqrt{s/N}` (the scaling of Kerenidis–Prakash, constant if
the error falls like :math:`N^{-1/2}`), the stage-1 delta-method prediction
:math:`\\sqrt{(s-1)/(2N)}` and the Kerenidis–Prakash shot count for the error reached.

Run::

    python benchmarks/bench_tomography.py
    python benchmarks/bench_tomography.py --sizes 16 64 --shots 1000 10000 --seeds 5
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pennylane as qml

from pennylane_qsgd.circuits.tomography import estimate_real_vector
from pennylane_qsgd.circuits.tomography_counts import recommended_shots


def run(sizes: list[int], shots_grid: list[int], seeds: int, device: str) -> list[dict]:
    rows = []
    for s in sizes:
        n = int(round(math.log2(s)))
        if 2**n != s:
            raise ValueError(f"sizes must be powers of two; got {s}")
        v = np.random.default_rng(s).standard_normal(s)
        v /= np.linalg.norm(v)

        def prepare(wires, v=v):
            qml.StatePrep(v, wires=wires)

        for shots in shots_grid:
            start = time.perf_counter()
            errors = [
                estimate_real_vector(
                    prepare, list(range(n)), device, shots, seed=k, reference=v
                ).l2_error
                for k in range(seeds)
            ]
            wall = (time.perf_counter() - start) / seeds
            err = float(np.mean(errors))
            rows.append(
                dict(
                    s=s,
                    shots=shots,
                    error=err,
                    spread=float(np.std(errors)),
                    ratio=err / math.sqrt(s / shots),
                    predicted=math.sqrt((s - 1) / (2 * shots)),
                    kp_shots=recommended_shots(s, min(err, 2.0), delta=s**-0.83),
                    wall=wall,
                )
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--shots", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--device", default="lightning.qubit")
    args = parser.parse_args()
    rows = run(args.sizes, args.shots, args.seeds, args.device)
    print(f"device {args.device}, {args.seeds} seeds per row; error = mean +- std of ||est - psi||")
    print(
        "|   s |   shots N | l2 error          | error/sqrt(s/N) | sqrt((s-1)/2N) "
        "| KP shots for this error | wall s |"
    )
    print(
        "|----:|----------:|:------------------|----------------:|---------------:|"
        "------------------------:|-------:|"
    )
    for r in rows:
        print(
            f"| {r['s']:3d} | {r['shots']:9d} | {r['error']:.4f} +- {r['spread']:.4f} "
            f"| {r['ratio']:15.3f} | {r['predicted']:14.4f} | {r['kp_shots']:23.3e} "
            f"| {r['wall']:6.2f} |"
        )


if __name__ == "__main__":
    main()
