"""One policy for the gradient-flow solver: idle steps, Euler steps, subnormalisation, condition number.

Every encoding and inverter of :class:`~pennylane_qsgd.circuits.solver.GradientFlowSolver` takes
these choices from here (PNAS, arXiv:2011.03185, Theorem 1 and Lemmas 2-3):

* idle steps :func:`default_idle`: :math:`p = K - 1 - m` with :math:`K = 2^t \\ge 2m` time slots, so
  the top time wire alone flags the idle block;
* Euler steps :func:`euler_steps_for_tolerance` from Lemma 2's bound;
* the dense encoding's :math:`\\alpha` (:func:`dense_alpha`): :math:`1.01\\,(1 + \\max(1,
  \\|I + hA\\|))`, the norm bound of the identity plus the shifted Euler blocks; other encodings
  state their own;
* :math:`\\kappa` of :math:`L/\\alpha` (:func:`condition_number`): ``"exact"``
  :math:`\\alpha/\\sigma_{\\min}(L)` (dense SVD up to :data:`DENSE_SVD_LIMIT` rows, ARPACK up to
  :data:`SPARSE_SIGMA_LIMIT`), ``"bound"`` Lemma 3's :math:`\\kappa(L) \\le 3(m+p+1)`, ``"auto"``
  the first where it is computable;
* precision :data:`DEFAULT_PRECISION` of the 1/x polynomial.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from pennylane_qsgd.circuits.data_hash import DigestCache, array_digest
from pennylane_qsgd.circuits.matrix_functions import norm_lower_bound, smallest_singular_value
from pennylane_qsgd.circuits.resources import bits
from pennylane_qsgd.circuits.structured_twin import carleman_products
from pennylane_qsgd.core.bounds import (
    condition_number_bound,
    euler_error_bound,
    max_step_size,
    spectral_norm,
)
from pennylane_qsgd.core.carleman import as_count, carleman_dimension, carleman_matrix
from pennylane_qsgd.core.euler import euler_memory_estimate, euler_system, step_times
from pennylane_qsgd.core.memory import memory_limit_bytes
from pennylane_qsgd.core.problem import PolynomialODE

DEFAULT_PRECISION = 1e-6
"""Default relative accuracy of the 1/x polynomial."""

DENSE_SVD_LIMIT = 256
"""Largest Euler system (rows) whose singular values come from a dense SVD."""

SPARSE_SIGMA_LIMIT = 200_000
"""Largest Euler system whose smallest singular value ``kappa="auto"`` computes (ARPACK)."""

ALPHA_MARGIN = 1.01
"""Factor on the norm bound :math:`1 + \\max(1, \\|I + hA\\|)` of the dense :math:`\\alpha`."""

KAPPA_SLACK = 1e-6
"""Relative slack on a measured :math:`\\kappa`, for the rounding of the singular-value solvers."""

KAPPA_MODES = ("auto", "exact", "bound")


def default_idle(steps: int) -> int:
    """Idle steps ``p`` filling a time register of :math:`K = 2^t \\ge 2m` slots: ``p = K - 1 - m``.

    Then ``K/2 >= m`` and the top time wire alone flags idle slots; :math:`p \\ge m - 1`, close to
    the paper's choice ``p = m`` (Theorem 1).
    """
    m = as_count(steps, "steps")
    return 2 ** max(bits(2 * m), 1) - 1 - m


def time_wires(steps: int, idle: int) -> int:
    """Time-register qubits :math:`t`, checking that the top wire flags idle slots only."""
    m = as_count(steps, "steps")
    p = as_count(idle, "idle", minimum=0)
    t = max(bits(m + p + 1), 1)
    if 2 ** (t - 1) < m:
        raise ValueError(
            f"idle = {p} is too small for steps = {m}: the top time wire must flag idle slots only, "
            f"which needs 2**(t-1) >= m for the 2**t >= m + p + 1 time slots; use idle >= "
            f"{2 ** bits(m) - m} (the default is {default_idle(m)})"
        )
    return t


def euler_steps_for_tolerance(problem: PolynomialODE, level: int, T: float, eps: float) -> int:
    """Euler steps ``m`` with Lemma 2's bound at most ``eps`` and :math:`h \\le 1/(N\\|F_1\\|)`."""
    if not np.isfinite(eps) or eps <= 0:
        raise ValueError(f"eps must be a positive tolerance; got {eps}")
    per_h = euler_error_bound(problem, level, T, 1.0)
    h = min(eps / per_h if per_h > 0 else np.inf, max_step_size(problem, level), T)
    return max(int(np.ceil(T / h - 1e-12)), 1)


def step_matrix_norm(
    problem: PolynomialODE, level: int, T: float, steps: int, matrix_free: bool = False
) -> float:
    """:math:`\\max_k \\|I + h A(t_{k-1})\\|` over the forcing pieces used by the Euler steps.

    ``matrix_free``: ARPACK on the products of
    :func:`~pennylane_qsgd.circuits.structured_twin.carleman_products`, never forming :math:`A`.
    """
    h = T / steps
    pieces = np.unique(problem.forcing_piece(step_times(T, steps)))
    dim = carleman_dimension(problem.size, level)
    if not matrix_free:
        eye = sp.identity(dim, format="csr")
        return max(
            spectral_norm(eye + h * carleman_matrix(problem, level, problem.forcing_times[k]))
            for k in pieces
        )
    norms = []
    for k in pieces:
        A, At = carleman_products(problem, level, k), carleman_products(problem, level, k, True)
        op = spla.LinearOperator(
            (dim, dim),
            matvec=lambda x, A=A: x.reshape(-1) + h * A(x.reshape(-1, 1)).reshape(-1),
            rmatvec=lambda x, At=At: x.reshape(-1) + h * At(x.reshape(-1, 1)).reshape(-1),
            dtype=np.float64,
        )
        norms.append(float(spla.svds(op, k=1, return_singular_vectors=False, rng=0)[0]))
    return max(norms)


@dataclass(frozen=True)
class EulerTwin:
    """The core's Euler system of a window and what the policy derived from it.

    Attributes
    ----------
    L : scipy.sparse.csr_array or None
        :math:`L` of ``core.euler.euler_system`` (None where :func:`forms_L` is false).
    B : ndarray or None
        :math:`B`, not normalised.
    rows : int
        :math:`(m+p+1)\\Delta`.
    sigma : ndarray or None
        All singular values of :math:`L` (up to :data:`DENSE_SVD_LIMIT` rows).
    step_norm : float
        :math:`\\max_k\\|I + hA\\|`.
    """

    L: sp.csr_array | None
    B: np.ndarray | None
    rows: int
    sigma: np.ndarray | None
    step_norm: float
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def sigma_min(self) -> float:
        """:math:`\\sigma_{\\min}(L)` (dense SVD or ARPACK on :math:`L^{-1}`, computed once)."""
        if "sigma_min" not in self.memo:
            value = self.sigma[-1] if self.sigma is not None else smallest_singular_value(self.L)
            self.memo["sigma_min"] = float(value)
        return self.memo["sigma_min"]


_TWINS = DigestCache(size=4)


def forms_L(problem: PolynomialODE, level: int, steps: int, idle: int) -> bool:
    """Whether the policy forms the core's sparse :math:`L` for this window: at most
    :data:`SPARSE_SIGMA_LIMIT` rows and ``core.euler.euler_memory_estimate`` within a quarter of
    the memory budget (the rest for the QSVT recurrence's vectors). Otherwise :math:`\\kappa`
    comes from Lemma 3 and products with :math:`L` must be matrix-free."""
    rows = (steps + idle + 1) * carleman_dimension(problem.size, level)
    if rows > SPARSE_SIGMA_LIMIT:
        return False
    return euler_memory_estimate(problem, level, steps, idle) <= memory_limit_bytes() // 4


def euler_twin(problem: PolynomialODE, level: int, T: float, steps: int, idle: int) -> EulerTwin:
    """The :class:`EulerTwin` of a window (cached by the problem's bytes and the settings)."""
    key = array_digest(
        problem.F0, problem.F1.toarray(), problem.F2.data, problem.F2.indices, problem.u_in
    ) + repr((problem.forcing_times.tolist(), level, T, steps, idle))

    def make() -> EulerTwin:
        rows = (steps + idle + 1) * carleman_dimension(problem.size, level)
        formed = forms_L(problem, level, steps, idle)
        step_norm = step_matrix_norm(problem, level, T, steps, matrix_free=not formed)
        if not formed:
            return EulerTwin(None, None, rows, None, step_norm)
        L, B = euler_system(problem, level, T, steps, idle)
        sigma = np.linalg.svd(L.toarray(), compute_uv=False) if rows <= DENSE_SVD_LIMIT else None
        return EulerTwin(L, B, rows, sigma, step_norm)

    return _TWINS.get(key, make)


def dense_alpha(twin: EulerTwin, alpha: float | str) -> tuple[float, float]:
    """:math:`\\alpha` and an upper bound on :math:`\\|L\\|_2` for the dense encoding.

    ``alpha``: ``"bound"`` :math:`1.01\\,(1 + \\max(1, \\|I + hA\\|))`, ``"norm"``
    :math:`1.001\\|L\\|_2`, or a number :math:`\\ge \\|L\\|_2` (checked).
    """
    shift_bound = 1.0 + max(1.0, twin.step_norm * (1.0 + 1e-9))
    norm = float(max(twin.sigma[0], 1.0)) if twin.sigma is not None else shift_bound
    if alpha == "bound":
        return ALPHA_MARGIN * shift_bound, min(norm, ALPHA_MARGIN * shift_bound)
    if twin.L is None:
        raise ValueError(
            f"alpha={alpha!r} needs L itself; the window has {twin.rows} rows (limit "
            f"{SPARSE_SIGMA_LIMIT}): use alpha='bound'"
        )
    exact = norm if twin.sigma is not None else spectral_norm(twin.L)
    if alpha == "norm":
        return 1.001 * exact, exact
    value = float(alpha)
    if not np.isfinite(value) or value < exact * (1 - 1e-10):
        raise ValueError(f"alpha = {alpha!r} is below ||L||_2 = {exact:.12g}")
    return value, min(norm, max(exact, value), value)


def _warn_lemma3(step_norm: float) -> None:
    if step_norm > 1.0 + 1e-12:
        warnings.warn(
            f"||I + hA|| = {step_norm:.6g} > 1: Lemma 3's condition-number bound "
            "3(m+p+1) is not guaranteed; the 1/x polynomial may not cover the smallest "
            "singular values (use kappa='exact' or a number)",
            UserWarning,
            stacklevel=4,
        )


def condition_number(
    twin: EulerTwin, alpha: float, steps: int, idle: int, kappa: float | str = "auto"
) -> tuple[float, str]:
    """:math:`\\kappa` of :math:`L/\\alpha` for the 1/x polynomial and where it came from.

    ``"exact"``: :math:`\\alpha/\\sigma_{\\min}(L)\\,(1 + 10^{-6})`. ``"bound"``: Lemma 3,
    :math:`\\sigma_{\\min} \\ge \\|L\\|/(3(m+p+1))` with a lower bound on :math:`\\|L\\|`
    (:math:`\\sigma_{\\max}`, power iteration, or :math:`\\sqrt{1 + \\|I + hA\\|^2}` without
    :math:`L`); warns when :math:`\\|I + hA\\| > 1`. ``"auto"``: ``"exact"`` while :math:`L` is
    formed. A number :math:`> 1` is used as given.

    Returns
    -------
    kappa : float
    source : {"exact", "bound", "given"}
    """
    if not isinstance(kappa, str):
        value = float(kappa)
        if not np.isfinite(value) or value <= 1:
            raise ValueError(f"kappa must be a finite number > 1; got {kappa!r}")
        return value, "given"
    if kappa not in KAPPA_MODES:
        raise ValueError(f"kappa must be a number or one of {KAPPA_MODES}; got {kappa!r}")
    mode = ("exact" if twin.L is not None else "bound") if kappa == "auto" else kappa
    if mode == "exact":
        if twin.L is None:
            raise ValueError(
                f"kappa='exact' on a {twin.rows}-row Euler system is above the limit "
                f"{SPARSE_SIGMA_LIMIT} rows; use kappa='bound' or a number"
            )
        return max(alpha / min(twin.sigma_min(), 1.0) * (1.0 + KAPPA_SLACK), 1 + 1e-12), "exact"
    _warn_lemma3(twin.step_norm)
    if twin.sigma is not None:
        lower = float(twin.sigma[0])
    elif twin.L is not None:
        lower = norm_lower_bound(twin.L)
    else:
        lower = float(np.sqrt(1.0 + twin.step_norm**2))
    return max(alpha * condition_number_bound(steps, idle) / lower, 1 + 1e-12), "bound"


__all__ = [
    "ALPHA_MARGIN",
    "DEFAULT_PRECISION",
    "DENSE_SVD_LIMIT",
    "KAPPA_MODES",
    "SPARSE_SIGMA_LIMIT",
    "EulerTwin",
    "condition_number",
    "default_idle",
    "dense_alpha",
    "euler_steps_for_tolerance",
    "euler_twin",
    "forms_L",
    "step_matrix_norm",
    "time_wires",
]
