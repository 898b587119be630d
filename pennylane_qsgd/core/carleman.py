"""Carleman linearisation of the quadratic ODE, truncated at level ``N``.

With :math:`y_j = u^{\\otimes j}` (``np.kron`` order), :math:`j = 1..N`, the quadratic ODE
:math:`du/dt = F_0 + F_1 u + F_2 (u\\otimes u)` becomes the linear system
:math:`dy/dt = A(t)\\, y + b(t)` of dimension :math:`\\Delta = s + s^2 + \\dots + s^N` with the
block-tridiagonal matrix (equations (4.2)-(4.3) of arXiv:2011.03185)

.. math::

    A^j_{j+1} = \\sum_{i=1}^{j} I^{\\otimes(i-1)} \\otimes F_2 \\otimes I^{\\otimes(j-i)}, \\quad
    A^j_{j}   = \\sum_{i=1}^{j} I^{\\otimes(i-1)} \\otimes F_1 \\otimes I^{\\otimes(j-i)}, \\quad
    A^j_{j-1} = \\sum_{i=1}^{j} I^{\\otimes(i-1)} \\otimes F_0 \\otimes I^{\\otimes(j-i)},

where the level-1 forcing :math:`A^1_0 = F_0` acts on the constant 1 and therefore moves to the
vector :math:`b = [F_0; 0; \\dots; 0]`, and the level-``N`` coupling to ``N + 1`` is dropped
(the truncation).
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

from pennylane_qsgd.core.memory import check_memory
from pennylane_qsgd.core.problem import PolynomialODE

# Peak bytes per stored entry while assembling: COO triplets (8-byte value, two 8-byte indices)
# held once as pieces and once concatenated, plus the CSR result (value + index).
BUILD_BYTES_PER_ENTRY = 64


def as_count(value: object, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an ``int`` at least ``minimum``; TypeError/ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {value!r} of type {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}")
    return int(value)


def carleman_dimension(s: int, level: int) -> int:
    """Dimension :math:`\\Delta = s + s^2 + \\dots + s^N` of the truncated embedding (exact int)."""
    s = as_count(s, "s")
    level = as_count(level, "level")
    return sum(s**j for j in range(1, level + 1))


def level_offsets(s: int, level: int) -> list[int]:
    """Start index of each level in the lifted vector: ``offsets[j-1]`` for level ``j``, then Δ."""
    offsets = [0]
    for j in range(1, level + 1):
        offsets.append(offsets[-1] + s**j)
    return offsets


def lift(u: np.ndarray, level: int) -> np.ndarray:
    """The lifted vector :math:`[u; u^{\\otimes 2}; \\dots; u^{\\otimes N}]`, shape (Δ,).

    Parameters
    ----------
    u : array_like, shape (s,)
    level : int
        Truncation level ``N >= 1``.
    """
    level = as_count(level, "level")
    u = np.asarray(u, dtype=np.float64)
    if u.ndim != 1 or u.size == 0:
        raise ValueError(f"u must be a non-empty 1-D vector; got shape {u.shape}")
    check_memory(
        8 * carleman_dimension(u.size, level),
        f"lifted vector (s = {u.size}, level {level})",
        "Lower the level or the problem size.",
    )
    blocks = [u]
    for _ in range(level - 1):
        blocks.append(np.kron(blocks[-1], u))
    return np.concatenate(blocks)


def kron_sum_nnz(nnz: int, s: int, j: int) -> int:
    """Upper bound on the entries of :math:`\\sum_{i\\le j} I^{(i-1)} \\otimes F \\otimes I^{(j-i)}`."""
    return j * nnz * s ** (j - 1)


def carleman_nnz_estimate(problem: PolynomialODE, level: int, include_forcing: bool = True) -> int:
    """Upper bound on the stored entries of :func:`carleman_matrix` (no cancellation assumed)."""
    level = as_count(level, "level")
    s = problem.size
    nnz_f0 = int(np.max(np.count_nonzero(problem.F0, axis=1)))
    total = 0
    for j in range(1, level + 1):
        total += kron_sum_nnz(problem.F1.nnz, s, j)
        if j < level:
            total += kron_sum_nnz(problem.F2.nnz, s, j)
        if include_forcing and j >= 2:
            total += kron_sum_nnz(nnz_f0, s, j)
    return total


def carleman_memory_estimate(
    problem: PolynomialODE, level: int, include_forcing: bool = True
) -> int:
    """Peak bytes needed to build :func:`carleman_matrix`, from nnz counts alone.

    Counts ``BUILD_BYTES_PER_ENTRY`` bytes per stored entry of the blocks (an upper bound: no
    cancellation between the Kronecker terms) plus the CSR row pointer. Nothing is allocated, so
    this is safe for any ``s`` and ``level``.
    """
    level = as_count(level, "level")
    nnz = carleman_nnz_estimate(problem, level, include_forcing)
    return BUILD_BYTES_PER_ENTRY * nnz + 8 * (carleman_dimension(problem.size, level) + 1)


def kron_term(F: sp.csr_array, left: int, right: int) -> sp.coo_array:
    """:math:`I_{left} \\otimes F \\otimes I_{right}` as COO."""
    out = sp.coo_array(F)
    if right > 1:
        out = sp.kron(out, sp.identity(right, format="csr"), format="coo")
    if left > 1:
        out = sp.kron(sp.identity(left, format="csr"), out, format="coo")
    return sp.coo_array(out)


def carleman_matrix(
    problem: PolynomialODE, level: int, t: float = 0.0, include_forcing: bool = True
) -> sp.csr_array:
    """The truncated Carleman matrix :math:`A(t)`, sparse (Δ, Δ).

    Parameters
    ----------
    problem : PolynomialODE
    level : int
        Truncation level ``N >= 1``.
    t : float, optional
        Time at which the (piecewise-constant) forcing :math:`F_0(t)` is read.
    include_forcing : bool, optional
        If False, leave out the blocks :math:`A^j_{j-1}` (the only time-dependent part); see
        :func:`forcing_block_matvec` to apply them without storing them.

    Returns
    -------
    scipy.sparse.csr_array, shape (Δ, Δ)

    Raises
    ------
    MemoryBudgetError
        Before allocating, when :func:`carleman_memory_estimate` exceeds the budget.

    Examples
    --------
    >>> problem = PolynomialODE(F0=[0.1], F1=[[-1.0]], F2=[[-0.5]], u_in=[0.3])
    >>> carleman_matrix(problem, 3).toarray()
    array([[-1. , -0.5,  0. ],
           [ 0.2, -2. , -1. ],
           [ 0. ,  0.3, -3. ]])
    """
    level = as_count(level, "level")
    s = problem.size
    check_memory(
        carleman_memory_estimate(problem, level, include_forcing),
        f"Carleman matrix (s = {s}, level {level}, Δ = {carleman_dimension(s, level)})",
        "Lower the level, or shrink the support s.",
    )
    offsets = level_offsets(s, level)
    dim = offsets[-1]
    f0 = sp.csr_array(problem.forcing(t).reshape(s, 1))
    rows, cols, vals = [], [], []

    def add(block: sp.csr_array, j: int, target: int) -> None:
        # Kronecker sum of ``block`` at row level j, column level ``target``.
        for i in range(1, j + 1):
            term = kron_term(block, s ** (i - 1), s ** (j - i))
            rows.append(term.row.astype(np.int64) + offsets[j - 1])
            cols.append(term.col.astype(np.int64) + offsets[target - 1])
            vals.append(term.data)

    for j in range(1, level + 1):
        add(problem.F1, j, j)
        if j < level and problem.F2.nnz:
            add(problem.F2, j, j + 1)
        if include_forcing and j >= 2 and f0.nnz:
            add(f0, j, j - 1)
    if not vals:
        return sp.csr_array((dim, dim), dtype=np.float64)
    coo = sp.coo_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(dim, dim)
    )
    for pieces in (rows, cols, vals):  # free the pieces before the CSR conversion
        pieces.clear()
    out = sp.csr_array(coo)
    out.sum_duplicates()
    out.eliminate_zeros()
    return out


def carleman_forcing(problem: PolynomialODE, level: int, t: float = 0.0) -> np.ndarray:
    """The forcing vector :math:`b(t) = [F_0(t); 0; \\dots; 0]`, shape (Δ,)."""
    level = as_count(level, "level")
    s = problem.size
    dim = carleman_dimension(s, level)
    check_memory(8 * dim, f"Carleman forcing vector (Δ = {dim})", "Lower the level.")
    b = np.zeros(dim)
    b[:s] = problem.forcing(t)
    return b


def forcing_block_matvec(forcing: np.ndarray, y: np.ndarray, s: int, level: int) -> np.ndarray:
    """Apply the blocks :math:`A^j_{j-1}` (``j = 2..N``) built from ``forcing`` to ``y``.

    Each term :math:`(I^{\\otimes(i-1)} \\otimes F_0 \\otimes I^{\\otimes(j-i)}) y_{j-1}` is the
    tensor ``y_{j-1}`` with the vector :math:`F_0` inserted as factor ``i``, so the product costs
    :math:`O(N \\Delta)` and stores nothing of size nnz(A).

    Parameters
    ----------
    forcing : ndarray, shape (s,)
        :math:`F_0(t)`.
    y : ndarray, shape (Δ,)
    s, level : int

    Returns
    -------
    ndarray, shape (Δ,)
        Zero on level 1 (that part is the vector ``b``).
    """
    offsets = level_offsets(s, level)
    out = np.zeros(offsets[-1])
    f = np.asarray(forcing, dtype=np.float64)
    for j in range(2, level + 1):
        prev = y[offsets[j - 2] : offsets[j - 1]]
        acc = out[offsets[j - 1] : offsets[j]].reshape(-1)
        for i in range(1, j + 1):
            left, right = s ** (i - 1), s ** (j - i)
            term = prev.reshape(left, 1, right) * f.reshape(1, s, 1)
            acc += term.reshape(-1)
    return out
