"""Exact solution of the truncated Carleman system, the reference that separates the two errors.

The total error of the Euler–Carleman pipeline splits into the truncation error (exact flow of the
level-N linear system :math:`dy/dt = A y + b` against the nonlinear ODE, PNAS Lemma 1) and the
time-stepping error (forward Euler against that same flow, PNAS Lemma 2). This module integrates the
linear system exactly with a sparse matrix exponential (:func:`scipy.sparse.linalg.expm_multiply`),
piece by piece for a piecewise-constant forcing.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from pennylane_qsgd.core.carleman import carleman_forcing, carleman_matrix, lift
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
    y = lift(problem.u_in, level)
    for start, end, _ in problem.forcing_segments(T):
        A = carleman_matrix(problem, level, t=start)
        b = carleman_forcing(problem, level, t=start)
        # Augment with a constant coordinate so that the forcing becomes part of the exponential.
        n = A.shape[0]
        augmented = sp.block_array(
            [[A, sp.csr_array(b.reshape(n, 1))], [sp.csr_array((1, n)), sp.csr_array((1, 1))]],
            format="csr",
        )
        y = spla.expm_multiply(augmented * (end - start), np.append(y, 1.0))[:n]
    return y
