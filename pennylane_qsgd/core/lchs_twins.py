"""Classical twins of LCHS: the quadrature's own sum applied to vectors, and the forced solve.

:func:`lchs_propagator` and :func:`lchs_apply` evaluate :math:`\\sum_j w_je^{-it(k_jL_A + H_A)}`
on the grid of :func:`~pennylane_qsgd.core.lchs.lchs_quadrature` exactly (one ``eigh`` per node,
one for all nodes when :math:`H_A = 0`); :func:`lchs_solve` adds Duhamel's term for
:math:`du/dt = Au + b` by composite Gauss–Legendre panels (:func:`duhamel_quadrature`: Peano-kernel
error bound with :math:`\\|d^{2n}/ds^{2n}\\, e^{A(t-s)}b\\| \\le \\|A\\|^{2n}\\|b\\|`), every
:math:`e^{A(t - s_i)}` on the same :math:`k`-grid (valid for every shorter time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.special import roots_legendre

from pennylane_qsgd.core.lchs import (
    GAUSS_ORDER,
    LCHSQuadrature,
    check_eps,
    check_real_positive,
    lchs_quadrature,
)
from pennylane_qsgd.core.lchs_generator import check_dissipative
from pennylane_qsgd.core.lchs_kernels import DEFAULT_BETA
from pennylane_qsgd.core.norms import spectral_norm


def _node_evolutions(
    L: np.ndarray, H: np.ndarray, quadrature: LCHSQuadrature, times: np.ndarray, v: np.ndarray
) -> np.ndarray:
    """:math:`\\sum_j w_j e^{-i\\tau(k_jL + H)} v` for each :math:`\\tau` in ``times``: (n_t, n).

    When :math:`H = 0` (a symmetric real generator, e.g. an order-1 window) every node shares the
    eigenvectors of :math:`L`: one ``eigh`` serves all nodes and times.
    """
    out = np.zeros((times.size, v.size), dtype=np.complex128)
    if not np.any(H):
        lam, V = np.linalg.eigh(L)
        coeffs = V.conj().T @ v
        for i, tau in enumerate(times):  # sum_j w_j e^{-i tau k_j lam}, one (J, n) table per time
            factors = quadrature.weights @ np.exp(-1j * tau * np.outer(quadrature.nodes, lam))
            out[i] = V @ (factors * coeffs)
        return out
    for k, w in zip(quadrature.nodes, quadrature.weights, strict=True):
        lam, V = np.linalg.eigh(k * L + H)  # Hermitian: one eigh serves every time
        coeffs = V.conj().T @ v
        out += w * (np.exp(-1j * np.outer(times, lam)) * coeffs[None, :]) @ V.T
    return out


def lchs_propagator(A: np.ndarray | sp.sparray, quadrature: LCHSQuadrature) -> np.ndarray:
    """Dense :math:`\\sum_j w_j e^{-it(k_jL_A + H_A)}` (the LCU's target block), shape (n, n)."""
    L, H = check_dissipative(A)
    _check_grid(L, quadrature)
    out = np.zeros(L.shape, dtype=np.complex128)
    for k, w in zip(quadrature.nodes, quadrature.weights, strict=True):
        lam, V = np.linalg.eigh(k * L + H)
        out += w * (V * np.exp(-1j * quadrature.time * lam)) @ V.conj().T
    return out


def _check_grid(L: np.ndarray, quadrature: LCHSQuadrature) -> None:
    norm = float(np.linalg.eigvalsh(L)[-1]) if L.size else 0.0
    if norm > quadrature.norm_L * (1 + 1e-12) + 1e-300:
        raise ValueError(
            f"quadrature was made for ||L_A|| <= {quadrature.norm_L:.6g}; this A has "
            f"||L_A|| = {norm:.6g}"
        )


def lchs_apply(A: np.ndarray | sp.sparray, u: np.ndarray, quadrature: LCHSQuadrature) -> np.ndarray:
    """:math:`\\sum_j w_j e^{-it(k_jL_A + H_A)} u \\approx e^{At}u`.

    Dense ``A``: one ``eigh`` of each :math:`k_jL_A + H_A`. Sparse ``A``:
    ``scipy.sparse.linalg.expm_multiply`` per node.

    Parameters
    ----------
    A : array_like or sparse, shape (n, n)
        Generator with :math:`L_A \\succeq 0` and :math:`\\|L_A\\| \\le` ``quadrature.norm_L``.
    u : array_like, shape (n,)
    quadrature : LCHSQuadrature

    Returns
    -------
    ndarray, shape (n,), complex
    """
    L, H = check_dissipative(A)
    _check_grid(L, quadrature)
    u = np.asarray(u, dtype=np.complex128).reshape(-1)
    if u.shape != (L.shape[0],):
        raise ValueError(f"u must have shape ({L.shape[0]},); got {u.shape}")
    if not sp.issparse(A):
        return _node_evolutions(L, H, quadrature, np.array([quadrature.time]), u)[0]
    Ls, Hs = sp.csr_array(L), sp.csr_array(H)
    out = np.zeros_like(u)
    for k, w in zip(quadrature.nodes, quadrature.weights, strict=True):
        out += w * spla.expm_multiply(-1j * quadrature.time * (k * Ls + Hs), u)
    return out


@dataclass(frozen=True)
class DuhamelQuadrature:
    """Composite Gauss–Legendre rule for :math:`\\int_0^t g(s)\\,ds`.

    Attributes
    ----------
    nodes, weights : ndarray, shape (P n,)
    panels, order : int
        ``P`` panels of ``n`` points.
    error_bound : float
        Bound on the error for :math:`g(s) = e^{A(t-s)}b` with :math:`\\mu(A) \\le 0`, in units of
        :math:`\\|b\\|`.
    """

    nodes: np.ndarray
    weights: np.ndarray
    panels: int
    order: int
    error_bound: float


def duhamel_quadrature(
    t: float, norm_A: float, eps: float, order: int = GAUSS_ORDER
) -> DuhamelQuadrature:
    """Gauss–Legendre panels with error at most ``eps * t * ||b||`` on :math:`\\int_0^t e^{A(t-s)}b`.

    Per panel of length :math:`\\ell` the Peano kernel of the ``n``-point rule has one sign, so
    the error is at most :math:`\\ell^{2n+1}(n!)^4/((2n+1)((2n)!)^3)\\,\\|A\\|^{2n}\\|b\\|`
    (:math:`\\|e^{As}\\| \\le 1`); with ``P`` panels the total is
    :math:`t^{2n+1}c_n\\|A\\|^{2n}P^{-2n}`, so
    :math:`P = \\lceil t\\|A\\|(c_n/\\varepsilon)^{1/(2n)}\\rceil` (at least 1).
    """
    t = check_real_positive(t, "t", allow_zero=True)
    norm_A = check_real_positive(norm_A, "norm_A", allow_zero=True)
    eps = check_eps(eps)
    n = int(order)
    if n != order or n < 1:
        raise ValueError(f"order must be a positive integer; got {order!r}")
    log_c = 4 * math.lgamma(n + 1) - math.log(2 * n + 1) - 3 * math.lgamma(2 * n + 1)
    if t == 0 or norm_A == 0:
        panels = 1
    else:
        panels = max(1, math.ceil(t * norm_A * math.exp((log_c - math.log(eps)) / (2 * n))))
    x, w = roots_legendre(n)
    ell = t / panels
    starts = ell * np.arange(panels)
    nodes = (starts[:, None] + 0.5 * ell * (x[None, :] + 1.0)).reshape(-1)
    weights = np.tile(0.5 * ell * w, panels)
    if t == 0 or norm_A == 0:
        bound = 0.0
    else:
        bound = math.exp((2 * n + 1) * math.log(t) + log_c + 2 * n * math.log(norm_A))
        bound *= panels ** (-2.0 * n)
    return DuhamelQuadrature(nodes, weights, panels, n, bound)


@dataclass(frozen=True)
class LCHSSolution:
    """Result of :func:`lchs_solve`.

    Attributes
    ----------
    u : ndarray, shape (n,), complex
        :math:`\\approx u(t)`.
    error_bound : float
        :math:`\\|u - u(t)\\| \\le` this: ``e^{ct} eps (||u0|| + t ||b||)`` by construction
        (:math:`c` the shift, 0 by default).
    quadrature : LCHSQuadrature
    duhamel : DuhamelQuadrature or None
        The :math:`s`-rule (``None`` without forcing).
    """

    u: np.ndarray
    error_bound: float
    quadrature: LCHSQuadrature
    duhamel: DuhamelQuadrature | None


def lchs_solve(
    A: np.ndarray,
    u0: np.ndarray,
    t: float,
    eps: float,
    b: np.ndarray | None = None,
    beta: float = DEFAULT_BETA,
    kernel: str = "acl",
    shift: float = 0.0,
) -> LCHSSolution:
    """:math:`u(t)` of :math:`du/dt = Au + b` by LCHS (homogeneous and Duhamel parts).

    The :math:`k`-grid has error ``eps/2`` and the Duhamel rule ``eps/2 * t ||b||``, so the result
    errs by at most ``eps * (||u0|| + t ||b||)``. With ``shift`` :math:`c > 0` the LCHS is that
    of :math:`A - cI` (which must have a non-positive log-norm) and
    :math:`e^{A\\tau} = e^{c\\tau}e^{(A - cI)\\tau}`: every term and the error bound grow by at
    most :math:`e^{ct}` (the shift's price, see :mod:`~pennylane_qsgd.core.almost_dissipative`).

    Parameters
    ----------
    A : array_like, shape (n, n)
        Dense generator with :math:`L_A \\succeq 0`.
    u0 : array_like, shape (n,)
    t : float
    eps : float
        Relative target in (0, 1).
    b : array_like, shape (n,), optional
        Constant forcing.
    beta : float
        Exponent of the ACL kernel.
    kernel : {"acl", "low-somma"}
        The kernel (:func:`lchs_quadrature`).
    shift : float
        :math:`c \\ge 0` (1/time).
    """
    shift = check_real_positive(shift, "shift", allow_zero=True)
    A = np.asarray(A, dtype=np.complex128)
    L, H = check_dissipative(A - shift * np.eye(A.shape[0]) if shift else A)
    t = check_real_positive(t, "t", allow_zero=True)
    eps = check_eps(eps)
    u0 = np.asarray(u0, dtype=np.complex128).reshape(-1)
    if u0.shape != (L.shape[0],):
        raise ValueError(f"u0 must have shape ({L.shape[0]},); got {u0.shape}")
    norm_L = float(np.linalg.eigvalsh(L)[-1])
    grid = lchs_quadrature(t, norm_L, eps / 2, beta, kernel=kernel)
    grow = float(np.exp(shift * t))
    u = grow * _node_evolutions(L, H, grid, np.array([t]), u0)[0]
    bound = grow * grid.error_bound * float(np.linalg.norm(u0))
    rule = None
    if b is not None:
        b = np.asarray(b, dtype=np.complex128).reshape(-1)
        if b.shape != u0.shape:
            raise ValueError(f"b must have shape {u0.shape}; got {b.shape}")
        # Peano bound with ||A|| itself: d^2n/ds^2n e^{A(t-s)} b <= ||A||^2n e^{ct} ||b||
        rule = duhamel_quadrature(t, spectral_norm(A), eps / 2)
        evolved = _node_evolutions(L, H, grid, t - rule.nodes, b)
        u = u + (rule.weights * np.exp(shift * (t - rule.nodes))) @ evolved
        nb = float(np.linalg.norm(b))
        bound += grow * (rule.error_bound + t * grid.error_bound) * nb
    return LCHSSolution(u=u, error_bound=bound, quadrature=grid, duhamel=rule)


__all__ = [
    "DuhamelQuadrature",
    "LCHSSolution",
    "duhamel_quadrature",
    "lchs_apply",
    "lchs_propagator",
    "lchs_solve",
]
