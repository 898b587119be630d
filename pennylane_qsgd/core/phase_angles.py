r"""Symmetric quantum signal processing (QSP) phase factors from Chebyshev coefficients.

Convention (the :math:`W_x` convention of Dong, Lin, Ni and Wang, arXiv:2209.10162). For phases
:math:`\Phi = (\phi_0, \dots, \phi_d)` and :math:`x \in [-1, 1]`,

.. math::

    U(x, \Phi) = e^{i\phi_0 Z} \prod_{j=1}^{d} \left[ W(x)\, e^{i\phi_j Z} \right],
    \qquad
    W(x) = e^{i \arccos(x) X} = \begin{pmatrix} x & i\sqrt{1-x^2} \\
                                               i\sqrt{1-x^2} & x \end{pmatrix}.

:math:`\langle 0|U(x,\Phi)|0\rangle = p(x) + i f(x)` with real polynomials :math:`p, f` of degree
:math:`\le d` and parity :math:`d \bmod 2`. The phases are **symmetric**,
:math:`\phi_j = \phi_{d-j}`, and the target polynomial is the **imaginary part**

.. math::

    f(x) = \operatorname{Im} \langle 0|U(x,\Phi)|0\rangle .

Every real :math:`f` of degree :math:`d`, parity :math:`d \bmod 2` and :math:`\max|f| < 1` has
such phases (Wang, Dong, Lin, arXiv:2110.04993); :func:`qsp_phases` finds the ones connected to
:math:`\Phi = 0`.

Solvers. ``method="auto"`` (default) computes the phases directly, without iteration, by Weiss
completion and the inverse nonlinear fast Fourier transform (:mod:`~pennylane_qsgd.core.qsp_nlft`;
arXiv:2407.05634, arXiv:2505.12615; :math:`O(d \log^2 d)`; 11-14 s of CPU at degree
:math:`10^6` with the check), checks them once with the forward map and falls back to the
iterations below when the check fails (:math:`\max|f|` very close to 1). The iterations match the
:math:`\tilde d = \lfloor d/2 \rfloor + 1` free ("reduced") phases
:math:`\psi_k = \phi_{\lfloor d/2 \rfloor - k}` to the :math:`\tilde d` Chebyshev coefficients
:math:`c_k` of :math:`T_{2k + d \bmod 2}` in :math:`f`. With :math:`F(\psi)` the same
coefficients of :math:`\operatorname{Im}\langle0|U|0\rangle` (the :math:`T_0` entry doubled, so
that :math:`F'(0) = 2I`; :mod:`~pennylane_qsgd.core.qsp_forward`), :math:`F(\psi) = c` is solved
by the fixed-point iteration of arXiv:2209.10162 with Anderson mixing, and Newton's method as the
fallback (:mod:`~pennylane_qsgd.core.qsp_iterations`).

QSVT. :func:`~pennylane_qsgd.core.qsp_evaluation.wx_to_qsvt_angles` converts the phases to the
angles of PennyLane's ``qml.QSVT`` with ``qml.PCPhase`` projectors. For a Hermitian :math:`A`,
:math:`\|A\| \le 1`, block-encoded by ``qml.BlockEncode``, the top-left block of the QSVT unitary
with angles :math:`\theta` is :math:`f(A) - i\,p(A)`, and with angles :math:`-\theta` it is
:math:`f(A) + i\,p(A)`. Hence :math:`\tfrac12[U_{QSVT}(\theta) + U_{QSVT}(-\theta)]` has
top-left block exactly :math:`f(A)` (the real-part trick: one ancilla, Hadamard, select
:math:`\theta` / :math:`-\theta`, Hadamard).
"""

from __future__ import annotations

import numpy as np

from pennylane_qsgd.core.memory import check_memory, memory_limit_bytes
from pennylane_qsgd.core.polynomials import (
    ChebyshevPolynomial,
    as_coefficients,
    chebyshev_sup_bounds,
    chebyshev_sup_norm,
)
from pennylane_qsgd.core.qsp_evaluation import (
    qsp_chebyshev_coefficients,
    qsp_unitary_entry,
    wx_to_qsvt_angles,
)
from pennylane_qsgd.core.qsp_forward import forward, full_phases
from pennylane_qsgd.core.qsp_iterations import (
    anderson,
    l1_residual,
    max_abs,
    newton,
    residual_sup,
)
from pennylane_qsgd.core.qsp_nlft import WeissCompletionError, default_max_points, nlft_phases

__all__ = [
    "MAX_SUP_NORM",
    "QSPConvergenceError",
    "qsp_chebyshev_coefficients",
    "qsp_phases",
    "qsp_unitary_entry",
    "wx_to_qsvt_angles",
]

#: Largest sup norm of the target that :func:`qsp_phases` accepts.
MAX_SUP_NORM = 1.0 - 1e-6

_ANDERSON_MEMORY = 5
_NEWTON_FALLBACK_ITER = 30
_METHODS = ("auto", "nlft", "anderson", "fixed_point", "newton")
# The direct phases are accepted when the residual polynomial's sup bound is below
# _ACCEPT_FACTOR * tol or below the forward map's own rounding, _FORWARD_ROUNDING * d (its top
# Chebyshev coefficient was within 2e-19 * d of the closed form sin(phi_0 + phi_d) prod cos(phi_j)
# at d = 1e4 .. 1e5, the others within 1e-16 * sqrt(d)).
_ACCEPT_FACTOR = 100.0
_FORWARD_ROUNDING = 1e-17
# Weiss grid: bytes per point (a few real and complex work arrays).
_WEISS_BYTES_PER_POINT = 64


class QSPConvergenceError(RuntimeError):
    """The phase iteration did not reach the requested tolerance.

    Attributes
    ----------
    residual : float
        Final l1 norm of the Chebyshev-coefficient residual (a bound on the sup error).
    iterations : int
        Iterations performed.
    """

    def __init__(self, message: str, residual: float, iterations: int) -> None:
        super().__init__(message)
        self.residual = residual
        self.iterations = iterations


def _target_coefficients(
    poly_or_coeffs: ChebyshevPolynomial | np.ndarray, parity: int | None
) -> tuple[np.ndarray, int]:
    """Validated full Chebyshev coefficient vector (trailing zeros trimmed) and its parity."""
    if isinstance(poly_or_coeffs, ChebyshevPolynomial):
        if parity is not None and parity != poly_or_coeffs.parity:
            raise ValueError(
                f"parity={parity!r} contradicts the polynomial's parity {poly_or_coeffs.parity}"
            )
        coeffs = np.array(poly_or_coeffs.coeffs)
        parity = poly_or_coeffs.parity
    else:
        try:
            coeffs = np.array(poly_or_coeffs, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"poly_or_coeffs must be a ChebyshevPolynomial or real Chebyshev coefficients; "
                f"got {type(poly_or_coeffs).__name__}"
            ) from err
        coeffs = as_coefficients(coeffs, "poly_or_coeffs")
    nonzero = np.nonzero(coeffs)[0]
    last = int(nonzero[-1]) if nonzero.size else 0
    if parity is None:
        parity = last % 2
    if parity not in (0, 1):
        raise ValueError(f"parity must be 0 (even), 1 (odd) or None; got {parity!r}")
    wrong = coeffs[1 - parity :: 2]
    if wrong.size and max_abs(wrong) > 1e-14 * max(1.0, max_abs(coeffs)):
        raise ValueError(
            f"the polynomial has no definite parity: its coefficients of parity {1 - parity} are "
            f"non-zero (largest {max_abs(wrong):.3e}); QSP needs an even or an odd polynomial"
        )
    degree = max(last, parity)
    if degree % 2 != parity:
        degree += 1
    out = np.zeros(degree + 1)
    out[parity : min(degree + 1, coeffs.size) : 2] = coeffs[parity : degree + 1 : 2]
    return out, parity


def qsp_phases(
    poly_or_coeffs: ChebyshevPolynomial | np.ndarray,
    parity: int | None = None,
    tol: float = 1e-13,
    max_iter: int | None = None,
    method: str = "auto",
) -> np.ndarray:
    r"""Symmetric :math:`W_x` phases :math:`\Phi` whose entry has imaginary part :math:`f(x)`.

    Solves :math:`\operatorname{Im}\langle 0|U(x,\Phi)|0\rangle = f(x)` on :math:`[-1, 1]`
    (convention and method in the module docstring).

    Parameters
    ----------
    poly_or_coeffs : ChebyshevPolynomial or array_like, shape (d + 1,)
        The target :math:`f = \sum_n c_n T_n` in the Chebyshev basis (never monomials). Trailing
        zeros are dropped: ``d`` is the index of the last non-zero coefficient (plus one if that
        has the wrong parity).
    parity : int, optional
        0 (even) or 1 (odd); inferred from the degree when omitted.
    tol : float
        Largest Chebyshev-coefficient residual :math:`|F(\psi) - c|` the iterations stop at. The
        direct phases of ``"auto"`` / ``"nlft"`` are accepted when the residual polynomial's sup
        bound is below ``100 * tol`` or below the forward map's own rounding,
        :math:`10^{-17} d`. The sup error on :math:`[-1, 1]` is at most the l1 residual.
    max_iter : int, optional
        Iteration cap: default 300 for "auto" and "anderson" (then up to 30 Newton steps), 5000
        for "fixed_point", 50 for "newton".
    method : {"auto", "nlft", "anderson", "fixed_point", "newton"}
        "auto": the direct phases of :func:`~pennylane_qsgd.core.qsp_nlft.nlft_phases`, checked
        once by the forward map, with "anderson" from them when the check fails; "nlft": the
        direct phases only (error when the check fails); "anderson": the fixed-point iteration
        with Anderson mixing, Newton if that stalls (robust up to
        :math:`\max|f| = 1 - 10^{-6}`); "fixed_point": the plain iteration (slow as
        :math:`\max|f| \to 1`); "newton": Newton from :math:`\psi = 0`.

    Returns
    -------
    numpy.ndarray, shape (d + 1,)
        Phases :math:`\phi_0, \dots, \phi_d` with :math:`\phi_j = \phi_{d-j}`.

    Raises
    ------
    TypeError
        For input that is not numeric.
    ValueError
        For non-finite or non-1-D coefficients, no definite parity, :math:`\max_{[-1,1]}|f| \ge
        1 - 10^{-6}` (checked on a dense grid), a bad ``tol`` or an unknown ``method``.
    QSPConvergenceError
        If the residual does not fall below ``tol`` (the message gives the residual).

    Examples
    --------
    >>> coeffs = [0.0, 0.3, 0.0, -0.2]
    >>> phases = qsp_phases(coeffs)
    >>> x = np.linspace(-1, 1, 5)
    >>> target = np.polynomial.chebyshev.chebval(x, coeffs)
    >>> bool(np.allclose(qsp_unitary_entry(phases, x).imag, target, atol=1e-12))
    True
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}; got {method!r}")
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive number; got {tol}")
    if max_iter is not None and (int(max_iter) != max_iter or max_iter < 0):
        raise ValueError(f"max_iter must be a non-negative integer; got {max_iter}")
    coeffs, parity = _target_coefficients(poly_or_coeffs, parity)
    sup, upper = chebyshev_sup_bounds(coeffs)
    if upper >= MAX_SUP_NORM:
        sup = chebyshev_sup_norm(coeffs)  # refine only near the threshold
    if sup >= MAX_SUP_NORM:
        raise ValueError(
            f"the target polynomial has max|f| = {sup:.8f} on [-1, 1]; QSP needs max|f| < 1 and "
            f"this solver accepts max|f| < {MAX_SUP_NORM}: rescale the polynomial"
        )
    degree = coeffs.size - 1
    target = coeffs[parity::2].copy()
    if parity == 0:
        target[0] *= 2.0  # F's T_0 entry is doubled (module docstring)
    newton_bytes = 8 * (degree // 2 + 1) ** 2  # the Jacobian
    what = f"QSP phases of a degree-{degree} polynomial"
    hint = "Lower the degree (for an inversion polynomial: a smaller kappa or a looser precision)."
    check_memory(64 * (degree + 1) if method != "newton" else newton_bytes, what, hint)

    psi = None
    it = 0
    if method in ("auto", "nlft"):
        psi, res = _direct(coeffs, target, degree)
        if psi is not None and residual_sup(res, degree) <= max(
            _ACCEPT_FACTOR * tol, _FORWARD_ROUNDING * degree
        ):
            return full_phases(psi, degree)
        if method == "nlft":
            residual = np.inf if psi is None else l1_residual(res, parity)
            raise QSPConvergenceError(
                f"direct QSP phases (nlft) failed their check: l1 residual {residual:.3e} "
                f"(degree {degree}, max|f| = {sup:.6f}); use method='anderson'",
                residual,
                0,
            )
    if method == "newton":
        cap = 50 if max_iter is None else int(max_iter)
        psi, res, it = newton(target, degree, tol, cap, np.zeros_like(target))
    else:
        memory = 0 if method == "fixed_point" else _ANDERSON_MEMORY
        cap = (5000 if method == "fixed_point" else 300) if max_iter is None else int(max_iter)
        psi, res, it = anderson(target, degree, tol, cap, memory, start=psi)
        if memory and max_abs(res) > tol and newton_bytes <= memory_limit_bytes():
            psi, res, extra = newton(target, degree, tol, _NEWTON_FALLBACK_ITER, psi)
            it += extra
    if max_abs(res) > tol:
        residual = l1_residual(res, parity)
        raise QSPConvergenceError(
            f"QSP phase iteration ({method}) did not converge after {it} iterations: largest "
            f"coefficient residual {max_abs(res):.3e} > tol={tol:.1e} (l1 residual "
            f"{residual:.3e}; degree {degree}, max|f| = {sup:.6f})",
            residual,
            it,
        )
    return full_phases(psi, degree)


def _direct(
    coeffs: np.ndarray, target: np.ndarray, degree: int
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Reduced phases from :func:`~pennylane_qsgd.core.qsp_nlft.nlft_phases` and their forward-map
    residual; ``(None, None)`` when the Weiss completion needs a grid beyond the memory limit
    (max|f| close to 1)."""
    max_points = min(default_max_points(degree), memory_limit_bytes() // _WEISS_BYTES_PER_POINT)
    try:
        phases = nlft_phases(coeffs, max_points)
    except WeissCompletionError:
        return None, None
    if not np.all(np.isfinite(phases)):
        return None, None
    psi = phases[: degree // 2 + 1][::-1].copy()
    return psi, forward(psi, degree) - target
