"""PNAS Fig. 1's Euler runs with one forcing piece per step: no rebuild against the rebuild path.

Problem: ``burgers-pnas`` (16 points including the boundaries, 3,999 Euler steps on [0, 3], the
source ``U0 exp(-(x - 1/4)^2 / (2/32^2)) cos(2 pi t)`` read at the start of each step, so 3,999
forcing pieces). For N = 1..4, side by side in this process:

- ``structured``: :func:`solve_euler` (the fixed F1/F2 part stored once, the forcing blocks applied
  as Kronecker structure, nothing rebuilt), all 3,999 steps;
- ``in place``: :class:`CarlemanOperator` (the whole A(t) stored, its forcing values rewritten in
  place per piece) stepping ``y += h (A y + b)``, all 3,999 steps;
- ``rebuild``: ``carleman_matrix(problem, N, t_k)`` at every step, as ``carleman_burgers.m`` does;
  timed on ``--sample`` steps and scaled to 3,999 (at N = 4 the full run would take minutes).

The three final states are compared on the sampled steps (largest relative difference), and the
total of the structured runs is checked against the 10 s target.

Usage::

    python benchmarks/bench_carleman_forcing.py [--sample 40]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from pennylane_qsgd.core.burgers import PNAS_FIG1, PNAS_FIG1_STEPS
from pennylane_qsgd.core.carleman import carleman_forcing, carleman_matrix, lift
from pennylane_qsgd.core.carleman_operator import CarlemanOperator
from pennylane_qsgd.core.euler import solve_euler

TARGET_SECONDS = 10.0


def in_place_run(problem, level: int, h: float, steps: int) -> np.ndarray:
    operator = CarlemanOperator(problem, level)
    y = lift(problem.u_in, level)
    for k in range(steps):
        operator.set_forcing(problem.F0[k])
        y = y + h * operator.apply(y)
    return y


def rebuild_run(problem, level: int, h: float, steps: int) -> np.ndarray:
    y = lift(problem.u_in, level)
    for k in range(steps):
        t = problem.forcing_times[k]
        y = y + h * (carleman_matrix(problem, level, t) @ y + carleman_forcing(problem, level, t))
    return y


def timed(fn, *args) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=40, help="rebuild steps timed per level")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    problem = PNAS_FIG1.problem()
    steps, T = PNAS_FIG1_STEPS, PNAS_FIG1.duration
    h = T / steps
    print(f"PNAS Fig. 1: s = {problem.size}, {steps} Euler steps, {problem.F0.shape[0]} pieces")
    header = (
        f"{'N':>2} {'Delta':>6} {'structured s':>12} {'in place s':>10} {'rebuild s':>10} "
        f"{'rebuild/struct':>14} {'rebuild/in place':>16} {'max rel diff':>12}"
    )
    print(header)
    print("-" * len(header))
    total = 0.0
    for level in (1, 2, 3, 4):
        structured, solution = timed(solve_euler, problem, level, T, steps, 0)
        in_place, y_in_place = timed(in_place_run, problem, level, h, steps)
        sample = min(args.sample, steps)
        rebuild_sample, y_rebuild = timed(rebuild_run, problem, level, h, sample)
        rebuild = rebuild_sample * steps / sample
        short = solve_euler(problem, level, sample * h, sample, 0).final
        scale = np.linalg.norm(y_rebuild)
        diff = max(
            np.linalg.norm(short - y_rebuild) / scale,
            np.linalg.norm(in_place_run(problem, level, h, sample) - y_rebuild) / scale,
            np.linalg.norm(solution.final - y_in_place) / np.linalg.norm(y_in_place),
        )
        total += structured
        print(
            f"{level:>2} {solution.final.size:>6} {structured:12.3f} {in_place:10.3f} "
            f"{rebuild:10.1f} {rebuild / structured:14.1f} {rebuild / in_place:16.1f} "
            f"{diff:12.2e}"
        )
    print(
        f"structured total N = 1..4: {total:.2f} s (target < {TARGET_SECONDS:g} s: "
        f"{'met' if total < TARGET_SECONDS else 'NOT met'}); rebuild times scaled from "
        f"{args.sample} steps"
    )


if __name__ == "__main__":
    main()
