"""Discrete-time Carleman embedding of the gradient-descent map itself (no Euler error).

The map :math:`x' = c + M x + F_2 (x \\otimes x)` with :math:`c = F_0`, :math:`M = I + F_1` is
linear in :math:`w = [1; x; x^{\\otimes 2}]`. Its Kronecker powers are linear in the monomials:

.. math::

    x'^{\\otimes j} = \\sum_{a \\in \\{0,1,2\\}^j} (P_{a_1} \\otimes \\dots \\otimes P_{a_j})\\,
    x^{\\otimes (a_1 + \\dots + a_j)}, \\qquad P_0 = c,\\ P_1 = M,\\ P_2 = F_2,

so level ``j`` of the image couples to levels ``0..2j``. On
:math:`z = [1; x; x^{\\otimes 2}; \\dots; x^{\\otimes N}]` the truncated embedding keeps the
blocks :math:`D_{j,d} = \\sum_{|a| = d} \\otimes_i P_{a_i}` with :math:`d \\le N` and drops the
monomials of degree above ``N``; :math:`z_{k+1} = D z_k`. With :math:`F_2 = 0` nothing is dropped
and the iteration is exact.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from pennylane_qsgd.core.carleman import (
    BUILD_BYTES_PER_ENTRY,
    as_count,
    carleman_dimension,
    level_offsets,
    lift,
)
from pennylane_qsgd.core.memory import check_memory
from pennylane_qsgd.core.problem import PolynomialODE


def _factors(problem: PolynomialODE, t: float) -> list[sp.csr_array]:
    """:math:`P_0 = c` (s x 1), :math:`P_1 = I + F_1` (s x s), :math:`P_2 = F_2` (s x s^2)."""
    s = problem.size
    c = sp.csr_array(problem.forcing(t).reshape(s, 1))
    M = sp.csr_array(sp.identity(s, format="csr") + problem.F1)
    M.eliminate_zeros()
    return [c, M, problem.F2]


def discrete_carleman_memory_estimate(problem: PolynomialODE, level: int) -> int:
    """Peak bytes to build :func:`discrete_carleman_matrix` (upper bound from nnz counts)."""
    level = as_count(level, "level")
    s = problem.size
    nnz_p = [
        int(np.max(np.count_nonzero(problem.F0, axis=1))),
        problem.F1.nnz + s,
        problem.F2.nnz,
    ]
    # nnz[d] of the blocks of level j, by the same recursion as the construction.
    current = {a: nnz_p[a] for a in range(3) if a <= level}
    total = 1 + sum(current.values())
    for _ in range(2, level + 1):
        nxt: dict[int, int] = {}
        for d, n in current.items():
            for a in range(3):
                if d + a <= level:
                    nxt[d + a] = nxt.get(d + a, 0) + n * nnz_p[a]
        current = nxt
        total += sum(current.values())
    return BUILD_BYTES_PER_ENTRY * total + 8 * (carleman_dimension(s, level) + 2)


def discrete_lift(x: np.ndarray, level: int) -> np.ndarray:
    """:math:`z = [1; x; x^{\\otimes 2}; \\dots; x^{\\otimes N}]`, shape (1 + Δ,)."""
    return np.concatenate([[1.0], lift(x, level)])


def discrete_carleman_matrix(problem: PolynomialODE, level: int, t: float = 0.0) -> sp.csr_array:
    """The truncated discrete-time Carleman matrix ``D`` of the GD map, sparse (1 + Δ, 1 + Δ).

    Row/column 0 is the constant coordinate (:math:`D_{0,0} = 1`); level ``j`` occupies
    ``1 + offsets[j-1] .. 1 + offsets[j]`` as in :func:`~pennylane_qsgd.core.carleman.lift`.

    Parameters
    ----------
    problem : PolynomialODE
        :math:`c = F_0(t)`, :math:`M = I + F_1`, and :math:`F_2`.
    level : int
        Truncation level ``N >= 1`` (``N >= 2`` keeps the quadratic term on level 1).
    t : float, optional
        Time (step index) at which the piecewise forcing is read.

    Raises
    ------
    MemoryBudgetError
        Before allocating, when the matrix would exceed the memory budget.

    Examples
    --------
    >>> problem = PolynomialODE(F0=[0.1], F1=[[-0.5]], F2=[[0.2]], u_in=[0.3])
    >>> discrete_carleman_matrix(problem, 2).toarray()
    array([[1.  , 0.  , 0.  ],
           [0.1 , 0.5 , 0.2 ],
           [0.01, 0.1 , 0.29]])
    """
    level = as_count(level, "level")
    s = problem.size
    check_memory(
        discrete_carleman_memory_estimate(problem, level),
        f"discrete Carleman matrix (s = {s}, level {level})",
        "Lower the level, or shrink the support s.",
    )
    factors = _factors(problem, t)
    offsets = [0] + [1 + o for o in level_offsets(s, level)]  # with the constant coordinate
    dim = offsets[-1]
    rows, cols, vals = [np.zeros(1, np.int64)], [np.zeros(1, np.int64)], [np.ones(1)]
    # blocks[d] = D_{j,d} for the current level j, built as D_{j,d} = sum_a D_{j-1,d-a} (x) P_a.
    blocks: dict[int, sp.csr_array] = {0: sp.csr_array(np.ones((1, 1)))}
    for j in range(1, level + 1):
        nxt: dict[int, sp.csr_array] = {}
        for d, block in blocks.items():
            for a, factor in enumerate(factors):
                if d + a > level or factor.nnz == 0 or block.nnz == 0:
                    continue
                term = sp.csr_array(sp.kron(block, factor, format="csr"))
                nxt[d + a] = term if d + a not in nxt else nxt[d + a] + term
        blocks = nxt
        for d, block in blocks.items():
            coo = sp.coo_array(block)
            rows.append(coo.row.astype(np.int64) + offsets[j])
            cols.append(coo.col.astype(np.int64) + offsets[d])
            vals.append(coo.data)
    out = sp.csr_array(
        sp.coo_array(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(dim, dim)
        )
    )
    out.sum_duplicates()
    out.eliminate_zeros()
    return out


def iterate_discrete_carleman(problem: PolynomialODE, level: int, steps: int) -> np.ndarray:
    """Iterate :math:`z_{k+1} = D(k) z_k` from :math:`z_0 = [1; u_{\\rm in}; \\dots]`.

    Step ``k`` uses the forcing at time ``k``, as
    :func:`~pennylane_qsgd.core.reference.gradient_descent_map` does.

    Parameters
    ----------
    problem : PolynomialODE
    level : int
        Truncation level ``N >= 1``.
    steps : int
        Number of GD steps ``>= 0``.

    Returns
    -------
    ndarray, shape (steps + 1, s)
        The level-1 part of each :math:`z_k`: the approximation of :math:`x_k`.
    """
    level = as_count(level, "level")
    steps = as_count(steps, "steps", minimum=0)
    s = problem.size
    z = discrete_lift(problem.u_in, level)
    out = np.empty((steps + 1, s))
    out[0] = z[1 : 1 + s]
    pieces = problem.forcing_piece(np.arange(steps, dtype=float))
    current, D = -1, None  # pieces only move forward in k: keep one matrix at a time
    for k in range(steps):
        if pieces[k] != current:
            current = int(pieces[k])
            D = discrete_carleman_matrix(problem, level, problem.forcing_times[current])
        z = D @ z
        out[k + 1] = z[1 : 1 + s]
    return out
