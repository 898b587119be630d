"""Exact solution of the truncated Carleman system, the reference that separates the two errors.

The total error of the Euler–Carleman pipeline splits into the truncation error (exact flow of the
level-N linear system :math:`dy/dt = A y + b` against the nonlinear ODE, PNAS Lemma 1) and the
time-stepping error (forward Euler against that same flow, PNAS Lemma 2). This module integrates the
linear system exactly with a sparse matrix exponential (:func:`scipy.sparse.linalg.expm_multiply`),
piece by piece for a piecewise-constant forcing.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse.linalg as spla

from pennylane_qsgd.core.carleman import lift
from pennylane_qsgd.core.carleman_operator import CarlemanOperator
from pennylane_qsgd.core.problem import PolynomialODE


def carleman_flow(problem: PolynomialODE, level: int, T: float) -> np.ndarray:
    """The state :math:`y(T)` of the truncated Carleman system started from the lifted ``u_in``.

    Parameters
    ----------
    problem : PolynomialODE
    level : int
        Truncation level N.
    T : float
        Final time (same unit as the problem's time).

    Returns
    -------
    numpy.ndarray, shape (Delta,)
        :math:`y(T) = [y_1; \\dots; y_N]`; ``y[:s]`` approximates :math:`u(T)`.
    """
    if not np.isfinite(T) or T < 0:
        raise ValueError(f"T must be a non-negative finite time; got {T}")
    y = np.append(lift(problem.u_in, level), 1.0)
    # The forcing b rides in the last column (constant coordinate 1); only its values and the
    # forcing blocks change from piece to piece, in place.
    operator = CarlemanOperator(problem, level, augmented=True)
    for start, end, piece in problem.forcing_segments(T):
        if end <= start:
            continue
        operator.set_forcing(problem.F0[piece])
        y = spla.expm_multiply(operator.matrix * (end - start), y)
    return y[:-1]
