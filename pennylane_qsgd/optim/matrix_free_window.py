"""The ideal fidelity for an order-1 window too large to form its Hessian (matrix-free)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from pennylane_qsgd.optim.window import WindowSolution, weights_solution


def solve_linear_window_matrix_free(
    hessian_matvec: Callable[[np.ndarray], np.ndarray],
    gradient: np.ndarray,
    theta_bar: np.ndarray,
    lr: float,
    T: float,
    steps: int,
    *,
    shots: int | None = None,
    seed: int | None = None,
    record: list[tuple[np.ndarray, np.ndarray]] | None = None,
) -> WindowSolution:
    """The ideal fidelity for an order-1 window too large to form its Hessian.

    Forward Euler on :math:`du/dt = -\\eta (g + H(u - \\bar\\theta))` with ``steps`` steps and as
    many idle copies, one Hessian-vector product per step after the first (which starts at
    :math:`u = \\bar\\theta`), memory O(s). The success probability is that of the time
    post-selection of the Euler history (Lemma 5's event); the QSVT flag probability is not
    modelled here. The download samples the final direction with a reference coordinate equal
    to :math:`\\|\\bar\\theta\\|`.

    ``record``, when given, receives the pairs ``(d, H d)`` of the products (the displacements
    span the Krylov space of the gradient: :func:`~pennylane_qsgd.core.lanczos.ritz_extremes`
    turns them into eigenvalue estimates without further products).
    """
    h = T / steps
    d = -h * lr * np.asarray(gradient, dtype=float)  # the first step: H 0 = 0
    u = theta_bar + d
    norm_Y2 = float(theta_bar @ theta_bar) + float(u @ u)
    for _ in range(steps - 1):
        product = hessian_matvec(d)
        if record is not None:
            record.append((d, product))
        d = d - h * lr * (gradient + product)
        u = theta_bar + d
        norm_Y2 += float(u @ u)
    u_final = theta_bar + d
    final2 = float(u_final @ u_final)
    norm_Y2 += steps * final2  # the idle copies
    probability = (steps + 1) * final2 / norm_Y2 if norm_Y2 > 0 else 0.0
    return weights_solution(
        u_final,
        theta_bar,
        probability,
        shots,
        seed,
        steps=steps,
        idle=steps,
        qubits=math.ceil(math.log2(len(theta_bar) + 1)) + math.ceil(math.log2(2 * steps + 1)),
    )


__all__ = ["solve_linear_window_matrix_free"]
