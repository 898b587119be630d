"""The Carleman matrix :math:`A(t)` assembled once, its forcing blocks rewritten in place.

Only the blocks :math:`A^j_{j-1} = \\sum_i I^{\\otimes(i-1)} \\otimes F_0(t) \\otimes I^{\\otimes(j-i)}`
depend on time, and they are linear in :math:`F_0`. Every stored entry of them is a sum of entries
of :math:`F_0`, so the CSR values of those blocks are ``map @ F_0`` for one sparse 0/1 matrix
``map`` of shape (stored forcing entries, s). :class:`CarlemanOperator` builds the sparsity pattern
of the whole matrix and that map once; a new forcing piece then costs one sparse product of
:math:`O(N \\cdot \\mathrm{nnz}(A^N_{N-1}))` instead of a rebuild (Kronecker products, COO
concatenation, sorting, duplicate summation), and a step of forward Euler is one CSR product.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from pennylane_qsgd.core.carleman import (
    as_count,
    carleman_memory_estimate,
    kron_term,
    level_offsets,
)
from pennylane_qsgd.core.memory import check_memory
from pennylane_qsgd.core.problem import PolynomialODE


def _fixed_triplets(
    problem: PolynomialODE, level: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and values of the F1 and F2 Kronecker sums (duplicates not yet summed)."""
    s = problem.size
    offsets = level_offsets(s, level)
    rows, cols, vals = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0)]
    for j in range(1, level + 1):
        for block, target in ((problem.F1, j), (problem.F2, j + 1)):
            if target > level or not block.nnz:
                continue
            for i in range(1, j + 1):
                term = kron_term(block, s ** (i - 1), s ** (j - i))
                rows.append(term.row.astype(np.int64) + offsets[j - 1])
                cols.append(term.col.astype(np.int64) + offsets[target - 1])
                vals.append(term.data)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


def _forcing_triplets(
    support: np.ndarray, s: int, level: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and source index ``r`` of every entry :math:`F_{0,r}` of the forcing blocks.

    Term ``i`` of level ``j`` maps the column ``(a, b)`` of level ``j - 1`` (``a`` of
    :math:`s^{i-1}` values, ``b`` of :math:`s^{j-i}`) to the row ``(a, r, b)`` with weight
    :math:`F_{0,r}`, for each ``r`` in ``support``.
    """
    offsets = level_offsets(s, level)
    rows, cols, src = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for j in range(2, level + 1):
        for i in range(1, j + 1):
            left, right = s ** (i - 1), s ** (j - i)
            a = np.arange(left, dtype=np.int64)[:, None, None]
            r = support.astype(np.int64)[None, :, None]
            b = np.arange(right, dtype=np.int64)[None, None, :]
            shape = (left, support.size, right)
            rows.append(np.broadcast_to((a * s + r) * right + b + offsets[j - 1], shape).ravel())
            cols.append(np.broadcast_to(a * right + b + offsets[j - 2], shape).ravel())
            src.append(np.broadcast_to(r, shape).ravel())
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(src)


class CarlemanOperator:
    """:math:`A(t)` of :func:`~pennylane_qsgd.core.carleman.carleman_matrix`, forcing updatable.

    Parameters
    ----------
    problem : PolynomialODE
    level : int
        Truncation level ``N >= 1``.
    augmented : bool, optional
        Append the forcing vector :math:`b(t)` as a last column acting on a constant coordinate
        (last row zero), so that :math:`dy/dt = A y + b` becomes :math:`dz/dt = A_{\\rm aug} z`.

    Attributes
    ----------
    matrix : scipy.sparse.csr_array, shape (Δ, Δ) or (Δ + 1, Δ + 1)
        The current :math:`A(t)` (augmented if asked); :meth:`set_forcing` rewrites its values in place (its pattern
        holds every entry any piece of the problem can fill, so stored zeros may appear).
    forcing : ndarray, shape (s,)
        The current :math:`F_0(t)`; ``b(t)`` is this vector on level 1 and zero elsewhere.

    Examples
    --------
    >>> problem = PolynomialODE(F0=[[0.1], [0.2]], F1=[[-1.0]], F2=[[-0.5]], u_in=[0.3],
    ...                         forcing_times=[0.0, 1.0])
    >>> op = CarlemanOperator(problem, 2)
    >>> op.set_time(1.5)
    >>> op.matrix.toarray()
    array([[-1. , -0.5],
           [ 0.4, -2. ]])
    """

    def __init__(self, problem: PolynomialODE, level: int, augmented: bool = False) -> None:
        level = as_count(level, "level")
        s = problem.size
        dim = level_offsets(s, level)[-1] + (1 if augmented else 0)
        check_memory(
            carleman_memory_estimate(problem, level) + 16 * dim,
            f"Carleman operator (s = {s}, level {level}, Δ = {dim})",
            "Lower the level, or shrink the support s.",
        )
        self.problem, self.level, self.size, self.dimension = problem, level, s, dim
        self.augmented = augmented
        # Entries of F0 that are non-zero in some piece: the others never enter the pattern.
        support = np.flatnonzero(np.any(problem.F0 != 0, axis=0))
        rows_fix, cols_fix, vals_fix = _fixed_triplets(problem, level)
        rows_f0, cols_f0, src_f0 = _forcing_triplets(support, s, level)
        if augmented:  # b(t) as the last column, acting on a constant coordinate 1
            rows_f0 = np.concatenate([rows_f0, support.astype(np.int64)])
            cols_f0 = np.concatenate([cols_f0, np.full(support.size, dim - 1, dtype=np.int64)])
            src_f0 = np.concatenate([src_f0, support.astype(np.int64)])
        keys = np.concatenate([rows_fix * dim + cols_fix, rows_f0 * dim + cols_f0])
        # Sorted unique (row, col) keys are exactly the CSR order; ``slot`` maps triplets to them.
        unique, slot = np.unique(keys, return_inverse=True)
        del keys
        slot_fix, slot_f0 = slot[: rows_fix.size], slot[rows_fix.size :]
        values = np.bincount(slot_fix, weights=vals_fix, minlength=unique.size).astype(np.float64)
        # The forcing blocks never share an entry with the F1/F2 blocks, so their values are
        # written, not added: ``data[slots] = map @ F0``, ``map`` one row per forcing slot.
        self._slots, row_of = np.unique(slot_f0, return_inverse=True)
        self._forcing_map = sp.csr_array(
            (np.ones(slot_f0.size), (row_of, src_f0)), shape=(self._slots.size, s)
        )
        self._forcing_map.sum_duplicates()
        self._covered = np.zeros(s, dtype=bool)
        self._covered[support] = True
        indptr = np.zeros(dim + 1, dtype=np.int64)
        np.cumsum(np.bincount(unique // dim, minlength=dim), out=indptr[1:])
        index_type = np.int32 if max(dim, unique.size) < 2**31 else np.int64
        self.matrix = sp.csr_array(
            (
                values,
                (unique % dim).astype(index_type),
                indptr.astype(index_type),
            ),
            shape=(dim, dim),
        )
        self.matrix.has_sorted_indices = True
        self.forcing = np.zeros(s)
        self._piece: int | None = None
        self.set_forcing(problem.F0[0])
        self._piece = 0

    def set_forcing(self, forcing: np.ndarray) -> None:
        """Make the operator :math:`A` for the forcing vector ``forcing``, shape (s,).

        Raises
        ------
        ValueError
            When ``forcing`` is non-zero outside the entries that the problem's pieces use (the
            pattern has no room there).
        """
        f = np.asarray(forcing, dtype=np.float64).reshape(-1)
        if f.shape != (self.size,):
            raise ValueError(f"forcing must have shape ({self.size},); got {np.shape(forcing)}")
        outside = ~self._covered & (f != 0)
        if np.any(outside):
            raise ValueError(
                f"forcing is non-zero at entries {np.flatnonzero(outside).tolist()} that no "
                "forcing piece of the problem uses; build the operator from a problem that does"
            )
        self.matrix.data[self._slots] = self._forcing_map @ f
        self.forcing = f.copy()
        self._piece = None

    def set_time(self, t: float) -> None:
        """Make the operator :math:`A(t)` for the problem's forcing piece active at ``t``."""
        piece = self.problem.forcing_piece(t)
        if piece != self._piece:
            self.set_forcing(self.problem.F0[piece])
            self._piece = piece

    def apply(self, y: np.ndarray) -> np.ndarray:
        """:math:`A y + b`, the right-hand side of the Carleman system (or ``A_aug y``), shape (Δ,)."""
        out = self.matrix @ y
        if not self.augmented:
            out[: self.size] += self.forcing
        return out
