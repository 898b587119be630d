"""Forward Euler for the Carleman system as one linear system, and its structured solve.

With step :math:`h = T/m`, ``m`` Euler steps and ``p`` idle steps that copy the last state, the
history :math:`Y = [y_0; y_1; \\dots; y_{m+p}]` (time-major: :math:`|k\\rangle \\otimes y_k`) solves
:math:`L Y = B` with (equations (4.8)-(4.10) of arXiv:2011.03185)

.. math::

    L = \\sum_{k=0}^{m+p} |k\\rangle\\langle k| \\otimes I
        - \\sum_{k=1}^{m} |k\\rangle\\langle k-1| \\otimes (I + h A(t_{k-1}))
        - \\sum_{k=m+1}^{m+p} |k\\rangle\\langle k-1| \\otimes I,

    B = |0\\rangle \\otimes y_{\\rm in} + \\sum_{k=1}^{m} h\\, |k\\rangle \\otimes b(t_{k-1}),

:math:`t_k = k h`, :math:`y_{\\rm in} = [u_{\\rm in}; u_{\\rm in}^{\\otimes 2}; \\dots]`. A
piecewise-constant forcing is read at the left end of each step, :math:`F_0(t_{k-1})`.

``L`` is unit block lower-bidiagonal, so :math:`Y` follows by forward substitution
:math:`y_k = (I + hA) y_{k-1} + h b`, with :math:`O(\\Delta)` memory per step:
:func:`solve_euler` does this without ever forming ``L``. :func:`euler_system` builds ``L`` and
``B`` explicitly for quantum linear solvers and for checks.

By default the number of idle steps is ``p = m`` (the choice of the paper's Theorem 1, which makes
the success probability of reading the idle block :math:`\\Omega(1/(N q^2))`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from pennylane_qsgd.core.bounds import check_step_size
from pennylane_qsgd.core.carleman import (
    BUILD_BYTES_PER_ENTRY,
    as_count,
    carleman_dimension,
    carleman_matrix,
    carleman_memory_estimate,
    carleman_nnz_estimate,
    forcing_block_matvec,
    lift,
)
from pennylane_qsgd.core.carleman_operator import CarlemanOperator
from pennylane_qsgd.core.memory import check_memory
from pennylane_qsgd.core.problem import PolynomialODE


def check_horizon(T: object) -> float:
    if isinstance(T, bool) or not isinstance(T, (int, float, np.integer, np.floating)):
        raise TypeError(f"T must be a real number; got {T!r} of type {type(T).__name__}")
    T = float(T)
    if not np.isfinite(T) or T <= 0:
        raise ValueError(f"T must be a positive finite time; got {T}")
    return T


def resolve_euler_grid(
    level: object, T: object, steps: object, idle: object
) -> tuple[int, float, int, int, float]:
    """Validate (level, T, steps, idle); return (N, T, m, p, h), ``idle=None`` meaning ``p = m``."""
    level = as_count(level, "level")
    T = check_horizon(T)
    m = as_count(steps, "steps")
    p = m if idle is None else as_count(idle, "idle", minimum=0)
    return level, T, m, p, T / m


def _squared_norm(y: np.ndarray) -> float:
    """:math:`\\|y\\|^2` without BLAS: a threaded ``ddot`` on a shared machine can stall for
    milliseconds per call (measured 6.5 ms against 0.04 ms at Δ = 69,904 under load)."""
    return float(np.einsum("i,i->", y, y))


def step_times(T: float, steps: int) -> np.ndarray:
    """Left ends :math:`t_{k-1} = (k-1) h` of the Euler steps ``k = 1..m``, shape (m,)."""
    return np.arange(steps) * (T / steps)


def euler_memory_estimate(problem: PolynomialODE, level: int, steps: int, idle: int) -> int:
    """Peak bytes to build ``L`` and ``B`` of :func:`euler_system` (upper bound from nnz counts)."""
    dim = carleman_dimension(problem.size, level)
    blocks = steps + idle + 1
    nnz_step = carleman_nnz_estimate(problem, level) + dim  # I + hA
    nnz = blocks * dim + steps * nnz_step + idle * dim
    pieces = min(problem.F0.shape[0], steps)
    return (
        BUILD_BYTES_PER_ENTRY * nnz
        + pieces * carleman_memory_estimate(problem, level)
        + 8 * (blocks * dim + 1)
        + 8 * blocks * dim
    )


def euler_system(
    problem: PolynomialODE, level: int, T: float, steps: int, idle: int | None = None
) -> tuple[sp.csr_array, np.ndarray]:
    """The forward-Euler linear system :math:`L Y = B` of the truncated Carleman ODE.

    Parameters
    ----------
    problem : PolynomialODE
    level : int
        Carleman truncation level ``N >= 1``.
    T : float
        Evolution time, ``> 0``.
    steps : int
        Number of Euler steps ``m >= 1``; ``h = T / m``.
    idle : int, optional
        Number of idle (copy) steps ``p >= 0``; default ``m``.

    Returns
    -------
    L : scipy.sparse.csr_array, shape ((m+p+1) Δ, (m+p+1) Δ)
    B : ndarray, shape ((m+p+1) Δ,)

    Warns
    -----
    StepSizeWarning
        When ``h > 1/(N ||F1||)`` (Lemma 2 of arXiv:2011.03185 then does not apply).

    Raises
    ------
    MemoryBudgetError
        Before allocating, when the system would exceed the memory budget.
    """
    level, T, m, p, h = resolve_euler_grid(level, T, steps, idle)
    dim = carleman_dimension(problem.size, level)
    check_memory(
        euler_memory_estimate(problem, level, m, p),
        f"Euler system (Δ = {dim}, {m + p + 1} time blocks)",
        "Lower the level, the number of steps or the idle steps, or use solve_euler, which "
        "never forms L.",
    )
    check_step_size(problem, level, h, stacklevel=3)
    blocks = m + p + 1
    s = problem.size
    eye = sp.identity(dim, format="csr")
    pieces = problem.forcing_piece(step_times(T, m))

    terms = [sp.identity(blocks * dim, format="coo")]
    # One pattern for every piece: only the forcing values change (no rebuild per piece).
    operator = CarlemanOperator(problem, level)
    for piece in np.unique(pieces):
        ks = np.flatnonzero(pieces == piece) + 1  # Euler steps k (1-based) using this piece
        shift = sp.coo_array((np.ones(ks.size), (ks, ks - 1)), shape=(blocks, blocks))
        operator.set_forcing(problem.F0[piece])
        step_matrix = eye + h * operator.matrix
        terms.append(-sp.kron(shift, step_matrix, format="coo"))
    if p:
        ks = np.arange(m + 1, m + p + 1)
        shift = sp.coo_array((np.ones(p), (ks, ks - 1)), shape=(blocks, blocks))
        terms.append(-sp.kron(shift, eye, format="coo"))
    L = sp.csr_array(sum(terms[1:], start=terms[0]))
    L.sum_duplicates()
    L.eliminate_zeros()

    B = np.zeros(blocks * dim)
    B[:dim] = lift(problem.u_in, level)
    forcing = problem.F0[pieces]  # (m, s)
    rows = (np.arange(1, m + 1) * dim)[:, None] + np.arange(s)[None, :]
    B[rows] = h * forcing
    return L, B


@dataclass(frozen=True, eq=False)
class EulerSolution:
    """Result of :func:`solve_euler`.

    Attributes
    ----------
    final : ndarray, shape (Δ,)
        :math:`y_m`, the lifted state at time ``T`` (the idle blocks copy it).
    u_final : ndarray, shape (s,)
        Level-1 block of ``final``: the approximation of :math:`u(T)`.
    history : ndarray, shape (m+p+1, Δ), or None
        All blocks :math:`y_0, \\dots, y_{m+p}` when ``store_history`` was set.
    trajectory : ndarray, shape (m+1, s), or None
        The level-1 blocks of :math:`y_0, \\dots, y_m` (the approximations of
        :math:`u(t_k)`, :math:`t_k = k h`) when ``store_trajectory`` was set.
    norm_Y : float
        :math:`\\|Y\\|` of the whole history vector.
    success_probability : float
        Exact probability of measuring a time index ``k`` in the idle block ``k = m..m+p``
        (``p + 1`` blocks, including the last Euler block ``m``) *and* a level-1 coordinate in
        :math:`|Y\\rangle/\\|Y\\|`: :math:`(p+1)\\|u_{\\rm final}\\|^2 / \\|Y\\|^2`.
    q : float
        :math:`\\|u_{\\rm in}\\| / \\|u_{\\rm final}\\|` (``inf`` if ``u_final`` is 0).
    steps, idle : int
        ``m`` and ``p``.
    h : float
        Step size ``T/m``.
    level : int
        Truncation level ``N``.
    T : float
        Evolution time.
    """

    final: np.ndarray
    u_final: np.ndarray
    history: np.ndarray | None
    norm_Y: float
    success_probability: float
    q: float
    steps: int
    idle: int
    h: float
    level: int
    T: float
    trajectory: np.ndarray | None = None


def solve_euler(
    problem: PolynomialODE,
    level: int,
    T: float,
    steps: int,
    idle: int | None = None,
    store_history: bool = False,
    store_trajectory: bool = False,
) -> EulerSolution:
    """Solve :math:`L Y = B` of :func:`euler_system` by forward substitution through time blocks.

    The success probability counts the ``p + 1`` time blocks ``k = m..m+p`` (the last Euler block
    and the idle copies) and, inside each, the level-1 coordinates only (see
    :class:`EulerSolution`).

    :math:`y_0 = y_{\\rm in}`, :math:`y_k = (I + hA(t_{k-1})) y_{k-1} + h b(t_{k-1})` for
    ``k = 1..m``, :math:`y_k = y_m` for ``k = m+1..m+p``. Only the fixed part of ``A`` (the
    :math:`F_1` and :math:`F_2` blocks) is stored; the forcing blocks are applied matrix-free, so the
    memory is ``nnz(A)`` plus a few vectors of length Δ (plus ``(m+p+1) Δ`` with ``store_history``).

    Parameters
    ----------
    problem : PolynomialODE
    level : int
        Carleman truncation level ``N >= 1``.
    T : float
        Evolution time ``> 0``.
    steps : int
        Euler steps ``m >= 1``.
    idle : int, optional
        Idle steps ``p >= 0``; default ``m``.
    store_history : bool, optional
        Keep every block :math:`y_k` (needed for :func:`state_from_solution`).
    store_trajectory : bool, optional
        Keep the level-1 block of every Euler step, :math:`(m + 1) s` numbers (the error curve
        of PNAS Fig. 1 without the :math:`(m + p + 1) \\Delta` of ``store_history``).

    Returns
    -------
    EulerSolution

    Warns
    -----
    StepSizeWarning
        When ``h > 1/(N ||F1||)``.

    Examples
    --------
    >>> problem = PolynomialODE(F0=[0.0], F1=[[-1.0]], F2=[[-0.5]], u_in=[0.3])
    >>> sol = solve_euler(problem, level=3, T=1.0, steps=100)
    >>> sol.idle, round(float(sol.u_final[0]), 4)
    (100, 0.1003)
    """
    level, T, m, p, h = resolve_euler_grid(level, T, steps, idle)
    s = problem.size
    dim = carleman_dimension(s, level)
    nbytes = carleman_memory_estimate(problem, level, include_forcing=False) + 6 * 8 * dim
    if store_history:
        nbytes += 8 * (m + p + 1) * dim
    check_memory(
        nbytes,
        f"forward substitution (Δ = {dim}"
        + (f", history of {m + p + 1} blocks)" if store_history else ")"),
        "Lower the level" + (" or drop store_history." if store_history else "."),
    )
    check_step_size(problem, level, h, stacklevel=3)

    A_fixed = carleman_matrix(problem, level, include_forcing=False)
    pieces = problem.forcing_piece(step_times(T, m))
    y = lift(problem.u_in, level)
    history = np.empty((m + p + 1, dim)) if store_history else None
    if history is not None:
        history[0] = y
    trajectory = np.empty((m + 1, s)) if store_trajectory else None
    if trajectory is not None:
        trajectory[0] = y[:s]
    norm2 = _squared_norm(y)
    for k in range(1, m + 1):
        f = problem.F0[pieces[k - 1]]
        dy = A_fixed @ y
        if level > 1:
            dy += forcing_block_matvec(f, y, s, level)
        dy[:s] += f
        y = y + h * dy
        norm2 += _squared_norm(y)
        if history is not None:
            history[k] = y
        if trajectory is not None:
            trajectory[k] = y[:s]
    if history is not None and p:
        history[m + 1 :] = y
    norm2 += p * _squared_norm(y)

    u_final = y[:s].copy()
    u_norm2 = float(u_final @ u_final)
    norm_in = float(np.linalg.norm(problem.u_in))
    q = norm_in / np.sqrt(u_norm2) if u_norm2 > 0 else np.inf
    return EulerSolution(
        final=y,
        u_final=u_final,
        history=history,
        norm_Y=float(np.sqrt(norm2)),
        success_probability=(p + 1) * u_norm2 / norm2 if norm2 > 0 else 0.0,
        q=float(q),
        steps=m,
        idle=p,
        h=h,
        level=level,
        T=T,
        trajectory=trajectory,
    )


def state_from_solution(solution: EulerSolution) -> np.ndarray:
    """The normalised history state :math:`|Y\\rangle = Y/\\|Y\\|`, shape ((m+p+1) Δ,).

    Time-major order, :math:`|k\\rangle \\otimes y_k`, matching the rows of :func:`euler_system`.
    Requires a solution computed with ``store_history=True``.
    """
    if solution.history is None:
        raise ValueError("solution has no history; call solve_euler(..., store_history=True)")
    if solution.norm_Y == 0:
        raise ValueError("the history vector Y is zero and cannot be normalised")
    return solution.history.reshape(-1) / solution.norm_Y


def success_mask(level_dim: int, s: int, steps: int, idle: int) -> np.ndarray:
    """Boolean mask over :math:`|Y\\rangle` of the success subspace: ``k`` in ``m..m+p``, level 1.

    Parameters
    ----------
    level_dim : int
        Δ.
    s : int
        Size of level 1.
    steps, idle : int
        ``m`` and ``p``.

    Returns
    -------
    ndarray of bool, shape ((m+p+1) Δ,)
    """
    mask = np.zeros((steps + idle + 1, level_dim), dtype=bool)
    mask[steps:, :s] = True
    return mask.reshape(-1)
