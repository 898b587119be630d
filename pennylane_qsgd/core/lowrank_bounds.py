"""The error of the low-rank level 2 as a bound, and one combined bound with Lemmas 1 and 2.

:func:`~pennylane_qsgd.core.lowrank_carleman.solve_euler_lowrank` runs the Euler–Carleman
iteration :math:`Y^{k+1} = (I + hA_k) Y^k + b_k` at level 2 and drops a part :math:`D_{k+1}` of the
level-2 block after each step (Frobenius norm :math:`\\varepsilon_{k+1}`, the ``discarded``
array). The error :math:`e^k` against the dense iteration obeys :math:`e^{k+1} = (I + hA_k)e^k -
D_{k+1}`, so

.. math::

    \\|y_1^{\\rm low}(T) - \\hat y_1^m\\| \\le \\|e^m\\| \\le \\sum_{k=1}^{m} G^{m-k}
    \\varepsilon_k, \\qquad G = 1 + h\\,\\big(2\\|F_1\\| + \\max(\\|F_2\\|, 2\\|F_0\\|)\\big)
    \\ge \\|I + hA\\|,

since :math:`A = \\operatorname{diag}(F_1, F_1 \\oplus F_1) + \\begin{pmatrix} 0 & F_2 \\\\
F_0 \\otimes I + I \\otimes F_0 & 0 \\end{pmatrix}`. Added to Lemma 1 (Carleman truncation) and
Lemma 2 (Euler), :func:`~pennylane_qsgd.core.bounds.lemma_bounds` in the problem's units, it
bounds :math:`\\|u(T) - y_1^{\\rm low}(T)\\|` by the triangle inequality.
"""

from __future__ import annotations

import numpy as np

from pennylane_qsgd.core.bounds import LemmaBounds

__all__ = ["combined_error_bound", "discarded_error_bound", "euler_growth"]


def euler_growth(h: float, norm_F0: float, norm_F1: float, norm_F2: float) -> float:
    """:math:`G = 1 + h(2\\|F_1\\| + \\max(\\|F_2\\|, 2\\|F_0\\|)) \\ge \\|I + hA\\|` at level 2.

    Parameters
    ----------
    h : float
        Euler step (time units).
    norm_F0, norm_F1, norm_F2 : float
        Spectral norms (:math:`\\|F_0\\|`: the largest over forcing pieces).
    """
    values = {"h": h, "norm_F0": norm_F0, "norm_F1": norm_F1, "norm_F2": norm_F2}
    for name, value in values.items():
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be finite and non-negative; got {value!r}")
    return 1.0 + h * (2.0 * norm_F1 + max(norm_F2, 2.0 * norm_F0))


def discarded_error_bound(discarded: np.ndarray, growth: float) -> float:
    """:math:`\\sum_k G^{m-k}\\varepsilon_k`: the dropped level-2 mass carried to time ``T``.

    Parameters
    ----------
    discarded : array_like, shape (m,)
        Frobenius norm dropped after Euler step ``k = 1..m``
        (:attr:`~pennylane_qsgd.core.lowrank_carleman.LowRankEulerSolution.discarded`).
    growth : float
        :func:`euler_growth`.

    Returns
    -------
    float
        A bound on :math:`\\|y_1^{\\rm low}(T) - \\hat y_1^m\\|` (units of ``u``).
    """
    eps = np.asarray(discarded, dtype=float).reshape(-1)
    if eps.size and (not np.all(np.isfinite(eps)) or eps.min() < 0):
        raise ValueError("discarded must hold finite non-negative norms")
    if not np.isfinite(growth) or growth < 1:
        raise ValueError(f"growth must be a finite number >= 1; got {growth!r}")
    powers = float(growth) ** np.arange(eps.size - 1, -1, -1, dtype=float)
    return float(np.dot(powers, eps))


def combined_error_bound(lemmas: LemmaBounds | None, discarded_bound: float) -> float | None:
    """Lemma 1 + Lemma 2 + :func:`discarded_error_bound`: a bound on
    :math:`\\|u(T) - y_1^{\\rm low}(T)\\|`; None where the lemmas do not apply (``R >= 1``)."""
    if lemmas is None:
        return None
    return float(lemmas.truncation + lemmas.euler + discarded_bound)
