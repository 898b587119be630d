"""Forward Euler for the level-2 Carleman system with the level-2 block kept low rank.

At truncation level :math:`N = 2` the lifted state is :math:`y = [y_1; y_2]` with
:math:`y_1 \\approx u` and :math:`y_2 \\approx u \\otimes u` (``np.kron`` order). Read as an
:math:`s \\times s` matrix, :math:`Y_2 = \\operatorname{reshape}(y_2, (s, s))`, the Kronecker sums
of :func:`~pennylane_qsgd.core.carleman.carleman_matrix` become matrix products,
:math:`(F_1 \\otimes I + I \\otimes F_1) y_2 = \\operatorname{vec}(F_1 Y_2 + Y_2 F_1^T)` and
:math:`(F_0 \\otimes I + I \\otimes F_0) y_1 = \\operatorname{vec}(F_0 y_1^T + y_1 F_0^T)`, so the
Euler step :math:`y_k = (I + hA(t_{k-1})) y_{k-1} + h b(t_{k-1})` of
:func:`~pennylane_qsgd.core.euler.solve_euler` reads

.. math::

    y_1 &\\leftarrow y_1 + h\\,(F_1 y_1 + F_2 \\operatorname{vec}(Y_2) + F_0),\\\\
    Y_2 &\\leftarrow Y_2 + h\\,(F_1 Y_2 + Y_2 F_1^T + F_0 y_1^T + y_1 F_0^T),

both right-hand sides evaluated at the old iterate, with :math:`Y_2(0) = u_{\\rm in} u_{\\rm in}^T`.
:math:`Y_2` stays symmetric (not definite: the forcing term is indefinite), so it is kept as
:math:`U \\operatorname{diag}(S) U^T` with orthonormal :math:`U` (s, r) and signed :math:`S`, and
truncated after every step: eigenvalues with :math:`|\\lambda| \\le \\tau \\max|\\lambda|` are
dropped. The Frobenius norm of what is dropped is recorded per step (the truncation error, its
own term beside the Carleman and Euler errors of Lemmas 1 and 2). The quadratic term is applied
through the factor, :math:`F_2 \\operatorname{vec}(Y_2) = \\sum_r S_r F_2 (U_r \\otimes U_r)`, so
:math:`F_2` is only ever needed as a product :math:`(a, b) \\mapsto F_2 (a \\otimes b)` and
:math:`F_1` only as a matrix-vector product.

One step costs :math:`r + 1` products with :math:`F_1`, :math:`r` products with :math:`F_2` and a
QR of an :math:`s \\times (2r + 2)` matrix; memory is :math:`O(s r)`, against :math:`O(s^2)` for the
dense level-2 vector and :math:`O(s^3)` for a dense :math:`F_2`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from pennylane_qsgd.core.carleman import (
    BUILD_BYTES_PER_ENTRY,
    carleman_dimension,
    kron_sum_nnz,
)
from pennylane_qsgd.core.euler import resolve_euler_grid, step_times
from pennylane_qsgd.core.memory import check_memory
from pennylane_qsgd.core.problem import PolynomialODE

PairProduct = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``f2(A, B) -> C`` with ``A, B, C`` of shape (s, k): ``C[:, j] = F2 (A[:, j] (x) B[:, j])``."""

DEFAULT_TOLERANCE = 1e-8


class RankCapError(RuntimeError):
    """The level-2 factor needs more than ``max_rank`` columns after truncation.

    Attributes
    ----------
    step : int
        Euler step (1-based) at which the cap was exceeded.
    rank : int
        Rank the factor needed at that step (at the requested tolerance).
    max_rank : int
        The cap.
    """

    def __init__(self, step: int, rank: int, max_rank: int, tol: float) -> None:
        self.step, self.rank, self.max_rank, self.tol = step, rank, max_rank, tol
        super().__init__(
            f"the level-2 block needs rank {rank} > max_rank = {max_rank} at Euler step {step} "
            f"(tolerance {tol:.1e}); raise max_rank, loosen tol, or shorten the window"
        )


class DivergedEulerError(FloatingPointError):
    """The Euler iterate overflowed; ``step`` (1-based) is the first non-finite one, so the
    first ``step - 1`` steps of the same grid are finite."""

    def __init__(self, step: int, steps: int, h: float) -> None:
        self.step = step
        super().__init__(
            f"the Euler iterate is not finite at step {step} of {steps} (h = {h:.3g}); use more "
            "steps"
        )


@dataclass(frozen=True, eq=False)
class LowRankEulerSolution:
    """Result of :func:`solve_euler_lowrank`.

    Attributes
    ----------
    u_final : ndarray, shape (s,)
        Level-1 block :math:`y_1` at time ``T``: the approximation of :math:`u(T)`.
    factor_U : ndarray, shape (s, r)
        Orthonormal columns of the final level-2 block (``r = 0`` at level 1 or when it is 0).
    factor_S : ndarray, shape (r,)
        Signed eigenvalues: :math:`Y_2 = U \\operatorname{diag}(S) U^T`.
    ranks : ndarray of int, shape (m,)
        Rank kept after each Euler step.
    discarded : ndarray, shape (m,)
        Frobenius norm of the part of :math:`Y_2` dropped at each step (0 without truncation).
    norm_Y : float
        :math:`\\|Y\\|` of the whole history (level 1 and the factored level 2, idle copies
        included), as in :class:`~pennylane_qsgd.core.euler.EulerSolution`.
    success_probability : float
        :math:`(p+1)\\|u_{\\rm final}\\|^2 / \\|Y\\|^2`, as in
        :class:`~pennylane_qsgd.core.euler.EulerSolution`.
    q : float
        :math:`\\|u_{\\rm in}\\| / \\|u_{\\rm final}\\|`.
    steps, idle : int
        ``m`` and ``p``.
    h, T : float
        Step size and evolution time.
    level : int
        Truncation level (1 or 2).
    tol : float
        Relative truncation tolerance used.
    f1_products, f2_products : int
        Number of products with :math:`F_1` (columns) and :math:`F_2` (pairs) spent.
    u_path : ndarray, shape (m + 1, s), or None
        Level-1 block after each Euler step (row 0 is ``u_in``) when ``store_path`` was set.
    """

    u_final: np.ndarray
    factor_U: np.ndarray
    factor_S: np.ndarray
    ranks: np.ndarray
    discarded: np.ndarray
    norm_Y: float
    success_probability: float
    q: float
    steps: int
    idle: int
    h: float
    T: float
    level: int
    tol: float
    f1_products: int
    f2_products: int
    u_path: np.ndarray | None = None

    @property
    def rank(self) -> int:
        """Rank of the final level-2 factor."""
        return int(self.factor_S.shape[0])

    @property
    def max_rank_reached(self) -> int:
        """Largest rank kept over the window."""
        return int(self.ranks.max()) if self.ranks.size else 0

    @property
    def truncation_error(self) -> float:
        """:math:`\\sum_k \\|\\Delta Y_2^{(k)}\\|_F`, the level-2 mass dropped over the window."""
        return float(self.discarded.sum())

    def level2(self) -> np.ndarray:
        """The final level-2 block as a dense symmetric (s, s) matrix (small ``s`` only)."""
        s = self.u_final.shape[0]
        check_memory(8 * s * s, f"dense level-2 block ({s} x {s})", "Use factor_U, factor_S.")
        return (self.factor_U * self.factor_S) @ self.factor_U.T

    def final(self) -> np.ndarray:
        """The final lifted state :math:`[y_1; \\operatorname{vec}(Y_2)]` (small ``s`` only)."""
        if self.level == 1:
            return self.u_final.copy()
        return np.concatenate([self.u_final, self.level2().reshape(-1)])


def pair_product_from_matrix(F2: sp.sparray | sp.spmatrix | np.ndarray) -> PairProduct:
    """The product :math:`(A, B) \\mapsto F_2 (A_j \\otimes B_j)` column by column, from a matrix.

    Parameters
    ----------
    F2 : sparse or dense matrix, shape (s, s**2)
        ``np.kron`` column order, as in :class:`~pennylane_qsgd.core.problem.PolynomialODE`.

    Returns
    -------
    callable
        ``f2(A, B)`` for ``A, B`` of shape (s, k), returning shape (s, k). Memory ``O(s^2 k)``
        for the Khatri-Rao product; meant for references and small ``s``.
    """
    F2 = sp.csr_array(F2) if sp.issparse(F2) else np.asarray(F2, dtype=np.float64)
    s = F2.shape[0]
    if F2.shape != (s, s * s):
        raise ValueError(f"F2 must have shape (s, s**2) = ({s}, {s * s}); got {F2.shape}")

    def f2(A: np.ndarray, B: np.ndarray) -> np.ndarray:
        if A.shape[1] == 0:
            return np.zeros((s, 0))
        return np.asarray(F2 @ sla.khatri_rao(A, B))

    return f2


def _as_operator(F1: object, s: int) -> spla.LinearOperator:
    """``F1`` (matrix, sparse, LinearOperator or matvec callable) as a LinearOperator."""
    if isinstance(F1, spla.LinearOperator):
        op = F1
    elif sp.issparse(F1):
        op = spla.aslinearoperator(sp.csr_array(F1, dtype=np.float64))
    elif callable(F1):
        op = spla.LinearOperator((s, s), matvec=F1, dtype=np.float64)
    else:
        matrix = np.asarray(F1, dtype=np.float64)
        if matrix.ndim != 2:
            raise TypeError(
                "F1 must be a matrix, a scipy LinearOperator or a callable v -> F1 v; got "
                f"{type(F1).__name__} of shape {matrix.shape}"
            )
        op = spla.aslinearoperator(matrix)
    if op.shape != (s, s):
        raise ValueError(f"F1 must have shape ({s}, {s}); got {op.shape}")
    return op


def _forcing(
    F0: np.ndarray, forcing_times: np.ndarray | None, s: int
) -> tuple[np.ndarray, np.ndarray]:
    F0 = np.asarray(F0, dtype=np.float64)
    F0 = F0[None, :] if F0.ndim == 1 else F0
    if F0.ndim != 2 or F0.shape[1] != s or F0.shape[0] == 0:
        raise ValueError(f"F0 must have shape ({s},) or (K, {s}); got {F0.shape}")
    if not np.all(np.isfinite(F0)):
        raise ValueError("F0 contains NaN or Inf entries")
    if forcing_times is None:
        if F0.shape[0] != 1:
            raise ValueError("a piecewise forcing F0 with several rows needs forcing_times")
        return F0, np.zeros(1)
    times = np.asarray(forcing_times, dtype=np.float64).reshape(-1)
    if times.shape != (F0.shape[0],) or times[0] != 0 or np.any(np.diff(times) <= 0):
        raise ValueError(
            f"forcing_times must start at 0, increase strictly and match the {F0.shape[0]} rows "
            f"of F0; got {times.tolist()}"
        )
    return F0, times


def _truncate(
    basis: np.ndarray, core: np.ndarray, tol: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """Eigen-factor ``basis @ core @ basis.T`` (core symmetric) and drop small eigenvalues.

    Returns ``(U, S, dropped)`` with ``U`` orthonormal, ``|S| > tol * max|S|`` and ``dropped``
    the Frobenius norm of the removed part (exact: the removed eigenvectors are orthogonal).
    """
    Q, R = np.linalg.qr(basis)
    lam, W = np.linalg.eigh(R @ core @ R.T)
    scale = float(np.abs(lam).max()) if lam.size else 0.0
    keep = np.abs(lam) > tol * scale if scale > 0 else np.zeros(lam.shape, dtype=bool)
    dropped = float(np.sqrt(np.sum(lam[~keep] ** 2)))
    order = np.argsort(-np.abs(lam[keep]))  # largest first, for readable factors
    return (Q @ W[:, keep])[:, order], lam[keep][order], dropped


def _initial_factor(u_in: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    norm = float(np.linalg.norm(u_in))
    if norm == 0:
        return np.zeros((u_in.size, 0)), np.zeros(0)
    return (u_in / norm)[:, None], np.array([norm * norm])


def solve_euler_lowrank(
    F0: np.ndarray,
    F1: object,
    f2: PairProduct | None,
    u_in: np.ndarray,
    T: float,
    steps: int,
    idle: int | None = None,
    *,
    level: int = 2,
    forcing_times: np.ndarray | None = None,
    tol: float = DEFAULT_TOLERANCE,
    max_rank: int | None = None,
    store_path: bool = False,
) -> LowRankEulerSolution:
    """Forward Euler for the Carleman system at level ``N <= 2``, level 2 as a truncated factor.

    Reproduces :func:`~pennylane_qsgd.core.euler.solve_euler` (same steps, same idle blocks,
    same forcing pieces read at :math:`t_{k-1}`) up to the truncation, which vanishes as
    ``tol -> 0``. Neither :math:`F_2` nor :math:`Y_2` is ever formed.

    Parameters
    ----------
    F0 : array_like, shape (s,) or (K, s)
        Forcing; ``K`` pieces need ``forcing_times``.
    F1 : ndarray, sparse matrix, scipy LinearOperator or callable
        Linear part, shape (s, s); a callable is a matvec ``v (s,) -> F1 v (s,)``. Give a
        LinearOperator with a ``matmat`` to apply it to the ``r + 1`` columns at once.
    f2 : callable or None
        ``f2(A, B)`` with ``A, B`` of shape (s, k) returning :math:`F_2(A_j \\otimes B_j)` per
        column, shape (s, k) (:func:`pair_product_from_matrix` builds one from a matrix). None
        means :math:`F_2 = 0`.
    u_in : array_like, shape (s,)
        Initial state; :math:`Y_2(0) = u_{\\rm in} u_{\\rm in}^T`.
    T : float
        Evolution time ``> 0``.
    steps : int
        Euler steps ``m``; ``h = T / m``.
    idle : int, optional
        Idle copies ``p`` (default ``m``); they enter ``norm_Y`` and the success probability.
    level : {1, 2}
        Carleman truncation level. Level 1 drops :math:`F_2` (the linear model).
    forcing_times : array_like, shape (K,), optional
        Start times of the forcing pieces (see :class:`~pennylane_qsgd.core.problem.PolynomialODE`).
    tol : float, default 1e-8
        Relative truncation tolerance :math:`\\tau \\ge 0` on the eigenvalues of :math:`Y_2`.
    max_rank : int, optional
        Cap on the rank of :math:`Y_2`; exceeding it raises :class:`RankCapError`.
    store_path : bool, default False
        Keep :math:`y_1` after every step (``u_path``, ``(m + 1) s`` numbers).

    Returns
    -------
    LowRankEulerSolution

    Raises
    ------
    RankCapError
        When the rank needed at tolerance ``tol`` exceeds ``max_rank``.
    FloatingPointError
        When the iterate stops being finite (the window diverges; lower ``h``).

    Examples
    --------
    >>> sol = solve_euler_lowrank([0.0], [[-1.0]], pair_product_from_matrix([[-0.5]]),
    ...                           [0.3], T=1.0, steps=100)
    >>> round(float(sol.u_final[0]), 4), sol.rank
    (0.0993, 1)
    """
    level, T, m, p, h = resolve_euler_grid(level, T, steps, idle)
    if level > 2:
        raise ValueError(f"level must be 1 or 2 for the low-rank solve; got {level}")
    u = np.asarray(u_in, dtype=np.float64)
    if u.ndim != 1 or u.size == 0 or not np.all(np.isfinite(u)):
        raise ValueError(f"u_in must be a finite non-empty vector; got shape {u.shape}")
    s = u.size
    op = _as_operator(F1, s)
    forcing, times = _forcing(F0, forcing_times, s)
    tol = float(tol)
    if not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be a finite number >= 0; got {tol}")
    if max_rank is not None and (isinstance(max_rank, bool) or int(max_rank) < 1):
        raise ValueError(f"max_rank must be a positive int or None; got {max_rank!r}")
    quadratic = level == 2 and f2 is not None
    pieces = np.maximum(np.searchsorted(times, step_times(T, m), side="right") - 1, 0)

    U, S = _initial_factor(u) if level == 2 else (np.zeros((s, 0)), np.zeros(0))
    y1 = u.copy()
    norm2 = float(y1 @ y1 + S @ S)
    ranks = np.zeros(m, dtype=int)
    discarded = np.zeros(m)
    n_f1 = n_f2 = 0
    path = [y1] if store_path else None
    for k in range(1, m + 1):
        f0 = forcing[pieces[k - 1]]
        F1_cols = np.asarray(op.matmat(np.column_stack([y1, U])))  # F1 [y1, U]
        n_f1 += 1 + U.shape[1]
        dy1 = F1_cols[:, 0] + f0
        if quadratic and S.size:
            dy1 += np.asarray(f2(U, U)) @ S
            n_f2 += S.size
        if level == 2:
            # Y2 + h (F1 Y2 + Y2 F1^T + f0 y1^T + y1 f0^T) = B C B^T with B = [U, F1 U, f0, y1]
            r = S.size
            core = np.zeros((2 * r + 2, 2 * r + 2))
            core[:r, :r] = np.diag(S)
            core[:r, r : 2 * r] = core[r : 2 * r, :r] = h * np.diag(S)
            core[2 * r, 2 * r + 1] = core[2 * r + 1, 2 * r] = h
            basis = np.column_stack([U, F1_cols[:, 1:], f0, y1])
            U, S, discarded[k - 1] = _truncate(basis, core, tol)
            if max_rank is not None and S.size > max_rank:
                raise RankCapError(k, S.size, int(max_rank), tol)
        y1 = y1 + h * dy1
        if not (np.all(np.isfinite(y1)) and np.all(np.isfinite(S))):
            raise DivergedEulerError(k, m, h)
        ranks[k - 1] = S.size
        norm2 += float(y1 @ y1 + S @ S)
        if path is not None:
            path.append(y1)
    norm2 += p * float(y1 @ y1 + S @ S)
    u2 = float(y1 @ y1)
    norm_in = float(np.linalg.norm(u))
    return LowRankEulerSolution(
        u_final=y1,
        factor_U=U,
        factor_S=S,
        ranks=ranks,
        discarded=discarded,
        norm_Y=float(np.sqrt(norm2)),
        success_probability=(p + 1) * u2 / norm2 if norm2 > 0 else 0.0,
        q=float(norm_in / np.sqrt(u2)) if u2 > 0 else float("inf"),
        steps=m,
        idle=p,
        h=h,
        T=T,
        level=level,
        tol=tol,
        f1_products=n_f1,
        f2_products=n_f2,
        u_path=None if path is None else np.stack(path),
    )


def solve_problem_lowrank(
    problem: PolynomialODE,
    level: int,
    T: float,
    steps: int,
    idle: int | None = None,
    *,
    tol: float = DEFAULT_TOLERANCE,
    max_rank: int | None = None,
    store_path: bool = False,
) -> LowRankEulerSolution:
    """:func:`solve_euler_lowrank` for a :class:`~pennylane_qsgd.core.problem.PolynomialODE`.

    The same arguments as :func:`~pennylane_qsgd.core.euler.solve_euler`; :math:`F_2` is applied
    through :func:`pair_product_from_matrix` (memory :math:`O(s^2 r)`).
    """
    return solve_euler_lowrank(
        problem.F0,
        problem.F1,
        None if problem.is_linear else pair_product_from_matrix(problem.F2),
        problem.u_in,
        T,
        steps,
        idle,
        level=level,
        forcing_times=problem.forcing_times if problem.is_time_dependent else None,
        tol=tol,
        max_rank=max_rank,
        store_path=store_path,
    )


def dense_route_memory_estimate(
    s: int, level: int = 2, f1_nnz: int | None = None, f2_nnz: int | None = None
) -> int:
    """Peak bytes of a dense order-2 window: the tensor :math:`T_3`, :math:`F_2` and the solve.

    Counts the dense third-derivative tensor (``8 s^3`` bytes, as
    :func:`~pennylane_qsgd.optim.taylor.taylor_coefficients` builds it), the :math:`F_2` matrix
    (``12`` bytes per entry in CSR), the Carleman matrix of
    :func:`~pennylane_qsgd.core.euler.solve_euler` (``BUILD_BYTES_PER_ENTRY`` per entry, no
    cancellation) and its work vectors. Nothing is allocated.

    Parameters
    ----------
    s : int
        Support size.
    level : int, default 2
        Carleman level ``N``.
    f1_nnz, f2_nnz : int, optional
        Stored entries of :math:`F_1` and :math:`F_2`; default dense (``s^2``, ``s^3``).

    Returns
    -------
    int
        Bytes (an upper bound).
    """
    dim = carleman_dimension(s, level)
    f1_nnz = s * s if f1_nnz is None else int(f1_nnz)
    f2_nnz = s**3 if f2_nnz is None else int(f2_nnz)
    nnz = sum(kron_sum_nnz(f1_nnz, s, j) for j in range(1, level + 1))
    nnz += sum(kron_sum_nnz(f2_nnz, s, j) for j in range(1, level))
    tensor = 8 * s**3 if level >= 2 else 0
    return tensor + 12 * f2_nnz + BUILD_BYTES_PER_ENTRY * nnz + 6 * 8 * dim


def check_dense_route(
    s: int, level: int = 2, f1_nnz: int | None = None, f2_nnz: int | None = None
) -> int:
    """Refuse a dense order-2 window that would not fit, before anything is allocated.

    Returns the estimate of :func:`dense_route_memory_estimate` in bytes when it fits.

    Raises
    ------
    MemoryBudgetError
        When the estimate exceeds :func:`~pennylane_qsgd.core.memory.memory_limit_bytes`; the
        message suggests :func:`solve_euler_lowrank` (third-derivative products and a low-rank
        level 2, memory :math:`O(s r)`).
    """
    nbytes = dense_route_memory_estimate(s, level, f1_nnz, f2_nnz)
    check_memory(
        nbytes,
        f"dense order-2 window (s = {s}, level {level}: T3 of {s}^3 numbers and the Carleman "
        f"matrix of dimension {carleman_dimension(s, level)})",
        "Use the low-rank route: third-derivative products "
        "(pennylane_qsgd.optim.third_derivatives) with "
        "pennylane_qsgd.core.lowrank_carleman.solve_euler_lowrank, whose memory is O(s r).",
    )
    return nbytes
