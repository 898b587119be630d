"""Linear combination of Hamiltonian simulation (LCHS): :math:`e^{At}` as an integral of unitaries.

Conventions of An, Childs and Lin, arXiv:2312.03916 (ACL). For :math:`du/dt = Au + b` write

.. math::

    -A = L_A + iH_A, \\qquad L_A = -\\tfrac12(A + A^\\dagger) \\succeq 0, \\qquad
    H_A = \\tfrac{i}{2}(A - A^\\dagger),

both Hermitian; :math:`L_A \\succeq 0` says that the Hermitian part :math:`(A + A^\\dagger)/2` of
:math:`A` is :math:`\\preceq 0` (non-positive logarithmic norm). Then (ACL Theorem 5)

.. math::

    e^{At} = \\int_{\\mathbb R} f(k)\\, e^{-it(kL_A + H_A)}\\, dk, \\qquad
    f(k) = \\frac{e^{2^\\beta}}{2\\pi}\\,\\frac{e^{-(1+ik)^\\beta}}{1 - ik}, \\quad \\beta \\in (0, 1).

Check on a scalar :math:`A = -a - ib`, :math:`a \\ge 0`: the integral is :math:`e^{-itb}\\int f(k)
e^{-ik\\,ta}\\,dk`; closing the contour in the lower half plane, where :math:`e^{-(1+ik)^\\beta}` is
analytic and bounded, picks the pole :math:`k = -i` of :math:`1/(1-ik)` with residue factor
:math:`2\\pi \\cdot e^{2^\\beta}/(2\\pi)\\cdot e^{-2^\\beta} e^{-ta} = e^{-ta}`.

Kernel. Low and Somma (arXiv:2508.19238) give a kernel with :math:`O(t\\log(1/\\varepsilon))` queries
that is optimal up to a factor of about 3; its closed form could not be pinned down from the
material at hand, so this module uses ACL's kernel above, whose cost is
:math:`O(t\\,(\\log 1/\\varepsilon)^{1 + 1/\\beta})` -- also linear in :math:`t`, which is what the
comparison with the :math:`T^2` of Euler needs. The kernel is one function (:func:`lchs_kernel`);
another one with a strip of analyticity slots into :func:`lchs_quadrature` unchanged.

Quadrature (stated error, every constant computed). :math:`f` is analytic in the strip
:math:`|\\operatorname{Im} k| < 1` (pole at :math:`-i`, branch point at :math:`+i`), and on the line
:math:`\\operatorname{Im} k = y` the unitary becomes :math:`e^{-it(xL_A + H_A)+tyL_A}`, of norm at most
:math:`e^{ty\\|L_A\\|}` for :math:`y > 0` and 1 for :math:`y < 0`. The trapezoidal rule with step
:math:`h` on the whole line then errs by at most (aliasing bound for functions analytic in a strip,
Trefethen and Weideman, SIAM Rev. 56, 385 (2014), Theorem 5.1, one term per side)

.. math::

    E_{\\rm alias} \\le \\frac{M_+ + M_-}{e^{2\\pi d/h} - 1}, \\qquad
    M_+ = e^{td\\|L_A\\|} \\int |f(x + id)|\\,dx, \\quad M_- = \\int |f(x - id)|\\,dx,

with :math:`d = 0.9` (``strip``). Since :math:`|f|` decreases in :math:`|k|` and
:math:`\\operatorname{Re}(1+ik)^\\beta \\ge |k|^\\beta\\cos(\\beta\\pi/2)`, cutting the sum at
:math:`|k| \\le K` adds at most

.. math::

    E_{\\rm tail} \\le \\int_{|k| > K} |f| \\le \\frac{e^{2^\\beta}}{\\pi\\beta}
    E_1\\big(\\cos(\\beta\\pi/2) K^\\beta\\big).

:func:`lchs_quadrature` picks :math:`K` and :math:`h` so that each is at most :math:`\\varepsilon/2`:
:math:`K = O((\\log 1/\\varepsilon)^{1/\\beta})`, :math:`h \\approx 2\\pi d/(td\\|L_A\\| +
\\ln(1/\\varepsilon))`, hence :math:`2K/h + 1 = O(t\\|L_A\\| K + K\\log(1/\\varepsilon))` nodes.

Inhomogeneous term (Duhamel). :math:`u(t) = e^{At}u_0 + \\int_0^t e^{A(t - s)} b\\,ds`. The
:math:`s`-integral is taken by composite Gauss–Legendre (:func:`duhamel_quadrature`, Peano-kernel
error bound with :math:`\\|d^{2n}/ds^{2n}\\, e^{A(t-s)}b\\| \\le \\|A\\|^{2n}\\|b\\|`), and every
:math:`e^{A(t - s_i)}` by the same :math:`k`-grid (a grid valid for :math:`t` is valid for every
shorter time): a double LCU over :math:`(s_i, k_j)` with times :math:`t - s_i`.

Queries (:func:`lchs_cost`). Quantumly, all nodes run at once as the Hamiltonian
:math:`\\sum_j |j\\rangle\\langle j| \\otimes (k_jL_A + H_A)`, block-encoded with one query to the
encodings of :math:`L_A/\\alpha_L` and of :math:`H_A/\\alpha_H` (subnormalisation
:math:`K\\alpha_L + \\alpha_H`), simulated for time :math:`t` by Jacobi–Anger QSVT.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.integrate import quad
from scipy.optimize import brentq
from scipy.special import exp1, roots_legendre

from pennylane_qsgd.core.norms import spectral_norm
from pennylane_qsgd.core.polynomials import jacobi_anger_cos, jacobi_anger_sin

DEFAULT_BETA = 0.75
"""Default exponent :math:`\\beta` of the kernel (ACL recommend :math:`\\beta` near but below 1)."""

DEFAULT_STRIP = 0.9
"""Half-width :math:`d` of the strip used in the aliasing bound (the kernel is analytic for < 1)."""

DISSIPATIVE_ATOL = 1e-12
"""Largest eigenvalue of :math:`(A + A^\\dagger)/2` tolerated as zero, relative to :math:`\\|A\\|`."""

GAUSS_ORDER = 8
"""Gauss–Legendre points per panel of the Duhamel integral."""


def _positive(value: object, name: str, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a {kind} finite number; got {value}")
    return value


def _check_eps(eps: object) -> float:
    eps = _positive(eps, "eps")
    if not eps < 1:
        raise ValueError(f"eps must lie in (0, 1); got {eps}")
    return eps


def _check_beta(beta: object) -> float:
    beta = _positive(beta, "beta")
    if not beta < 1:
        raise ValueError(f"beta must lie in (0, 1); got {beta}")
    return beta


# ----------------------------------------------------------------------------------------------
# The generator's parts


def hermitian_parts(A: np.ndarray | sp.sparray) -> tuple[np.ndarray, np.ndarray]:
    """:math:`(L_A, H_A)` with :math:`-A = L_A + iH_A` (module docstring), both dense Hermitian.

    Parameters
    ----------
    A : array_like or sparse, shape (n, n)

    Returns
    -------
    L_A, H_A : ndarray, shape (n, n), complex
    """
    dense = A.toarray() if sp.issparse(A) else np.asarray(A)
    if dense.ndim != 2 or dense.shape[0] != dense.shape[1]:
        raise ValueError(f"A must be a square matrix; got shape {dense.shape}")
    if not np.all(np.isfinite(dense)):
        raise ValueError("A contains NaN or Inf entries")
    dense = dense.astype(np.complex128)
    return -0.5 * (dense + dense.conj().T), 0.5j * (dense - dense.conj().T)


def log_norm(A: np.ndarray | sp.sparray) -> float:
    """Logarithmic 2-norm :math:`\\mu(A) = \\lambda_{\\max}((A + A^\\dagger)/2)`."""
    L, _ = hermitian_parts(A)
    return float(-np.linalg.eigvalsh(L)[0])


def check_dissipative(A: np.ndarray | sp.sparray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`hermitian_parts` of ``A`` if :math:`L_A \\succeq 0` (to :data:`DISSIPATIVE_ATOL`).

    Raises
    ------
    ValueError
        When the Hermitian part of ``A`` has a positive eigenvalue: LCHS needs
        :math:`\\mu(A) \\le 0`.
    """
    L, H = hermitian_parts(A)
    mu = float(-np.linalg.eigvalsh(L)[0])
    scale = max(1.0, spectral_norm(L + 1j * H))
    if mu > DISSIPATIVE_ATOL * scale:
        raise ValueError(
            f"A must have a non-positive log-norm (Hermitian part <= 0) for LCHS; got "
            f"lambda_max((A + A^dagger)/2) = {mu:.3e}"
        )
    return L, H


# ----------------------------------------------------------------------------------------------
# Kernel and quadrature


def lchs_kernel(k: np.ndarray | complex, beta: float = DEFAULT_BETA) -> np.ndarray:
    """ACL kernel :math:`f(k) = e^{2^\\beta}e^{-(1+ik)^\\beta}/(2\\pi(1 - ik))` (complex ``k`` allowed).

    Parameters
    ----------
    k : array_like
        Points with :math:`-1 < \\operatorname{Im} k < 1`.
    beta : float
        Exponent in (0, 1).
    """
    z = np.asarray(k, dtype=np.complex128)
    return np.exp(2.0**beta - (1.0 + 1j * z) ** beta) / (2.0 * np.pi * (1.0 - 1j * z))


def kernel_tail_bound(cutoff: float, beta: float = DEFAULT_BETA) -> float:
    """:math:`\\int_{|k|>K}|f| \\le e^{2^\\beta} E_1(\\cos(\\beta\\pi/2)K^\\beta)/(\\pi\\beta)`."""
    if cutoff <= 0:
        return float("inf")
    return float(np.exp(2.0**beta) * exp1(np.cos(beta * np.pi / 2) * cutoff**beta) / (np.pi * beta))


def _line_integral(beta: float, y: float) -> float:
    """:math:`\\int |f(x + iy)|\\,dx` (numerical; decays like :math:`e^{-c|x|^\\beta}/|x|`)."""

    def integrand(x: float) -> float:
        return float(abs(lchs_kernel(x + 1j * y, beta)))

    total = 0.0
    for a, b in ((-np.inf, -1.0), (-1.0, 1.0), (1.0, np.inf)):
        total += quad(integrand, a, b, limit=400, epsabs=0.0, epsrel=1e-10)[0]
    return total


@dataclass(frozen=True)
class LCHSQuadrature:
    """Trapezoidal LCHS grid :math:`e^{At} \\approx \\sum_j w_j e^{-it(k_jL_A + H_A)}`.

    Attributes
    ----------
    nodes : ndarray, shape (J,)
        :math:`k_j = jh`, :math:`|j| \\le (J - 1)/2`.
    weights : ndarray, shape (J,), complex
        :math:`w_j = h f(k_j)`.
    step, cutoff : float
        :math:`h` and :math:`K = \\max_j |k_j|`.
    time, norm_L, eps, beta, strip : float
        The inputs: :math:`t`, the bound :math:`\\|L_A\\|` the grid was made for, the target,
        :math:`\\beta` and :math:`d`.
    alias_error, tail_error : float
        The two stated bounds (module docstring); their sum is :attr:`error_bound`.
    """

    nodes: np.ndarray
    weights: np.ndarray
    step: float
    cutoff: float
    time: float
    norm_L: float
    eps: float
    beta: float
    strip: float
    alias_error: float
    tail_error: float

    @property
    def num_nodes(self) -> int:
        """Number of nodes :math:`J`."""
        return int(self.nodes.size)

    @property
    def error_bound(self) -> float:
        """:math:`\\|e^{At} - \\sum_j w_j U_j\\| \\le` this, for every :math:`A` with
        :math:`L_A \\succeq 0`, :math:`\\|L_A\\| \\le` ``norm_L`` and every time up to ``time``."""
        return self.alias_error + self.tail_error

    @property
    def l1_norm(self) -> float:
        """:math:`\\sum_j |w_j|`: the LCU's subnormalisation (about :math:`\\int |f|`)."""
        return float(np.sum(np.abs(self.weights)))


def lchs_quadrature(
    t: float,
    norm_L: float,
    eps: float,
    beta: float = DEFAULT_BETA,
    strip: float = DEFAULT_STRIP,
) -> LCHSQuadrature:
    """The trapezoidal grid whose stated error is at most ``eps`` (module docstring).

    Parameters
    ----------
    t : float
        Evolution time, ``>= 0``.
    norm_L : float
        Upper bound on :math:`\\|L_A\\|`, ``>= 0``.
    eps : float
        Target operator-norm error in (0, 1): aliasing and truncation get ``eps/2`` each.
    beta : float
        Kernel exponent in (0, 1).
    strip : float
        Half-width :math:`d \\in (0, 1)` of the strip in the aliasing bound.

    Returns
    -------
    LCHSQuadrature
    """
    t = _positive(t, "t", allow_zero=True)
    norm_L = _positive(norm_L, "norm_L", allow_zero=True)
    eps = _check_eps(eps)
    beta = _check_beta(beta)
    strip = _positive(strip, "strip")
    if not strip < 1:
        raise ValueError(f"strip must lie in (0, 1); got {strip}")

    # Cutoff: tail <= eps / 2 (the bound decreases in K).
    def excess(log_k: float) -> float:
        return np.log(kernel_tail_bound(np.exp(log_k), beta)) - np.log(eps / 2)

    hi = 1.0
    while excess(hi) > 0:
        hi += 1.0
    cutoff = float(np.exp(brentq(excess, -10.0, hi, xtol=1e-10)))
    # Step: (M+ + M-) / (e^{2 pi d / h} - 1) <= eps / 2, in logs (t d ||L|| may be large).
    log_m = np.logaddexp(
        t * strip * norm_L + np.log(_line_integral(beta, strip)),
        np.log(_line_integral(beta, -strip)),
    )
    step = 2.0 * np.pi * strip / float(np.logaddexp(0.0, log_m + np.log(2.0 / eps)))
    half = int(math.ceil(cutoff / step - 1e-12))
    nodes = step * np.arange(-half, half + 1, dtype=np.float64)
    weights = step * lchs_kernel(nodes, beta)
    x = 2.0 * np.pi * strip / step
    alias = float(np.exp(log_m - x - np.log(-np.expm1(-x))))  # M / (e^x - 1) without overflow
    return LCHSQuadrature(
        nodes=nodes,
        weights=weights,
        step=float(step),
        cutoff=float(half * step),
        time=t,
        norm_L=norm_L,
        eps=eps,
        beta=beta,
        strip=strip,
        alias_error=alias,
        tail_error=kernel_tail_bound(half * step, beta),
    )


# ----------------------------------------------------------------------------------------------
# Classical twins


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
    t = _positive(t, "t", allow_zero=True)
    norm_A = _positive(norm_A, "norm_A", allow_zero=True)
    eps = _check_eps(eps)
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
        :math:`\\|u - u(t)\\| \\le` this: ``eps * (||u0|| + t ||b||)`` by construction.
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
) -> LCHSSolution:
    """:math:`u(t)` of :math:`du/dt = Au + b` by LCHS (homogeneous and Duhamel parts).

    The :math:`k`-grid has error ``eps/2`` and the Duhamel rule ``eps/2 * t ||b||``, so the result
    errs by at most ``eps * (||u0|| + t ||b||)``.

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
    """
    L, H = check_dissipative(A)
    t = _positive(t, "t", allow_zero=True)
    eps = _check_eps(eps)
    u0 = np.asarray(u0, dtype=np.complex128).reshape(-1)
    if u0.shape != (L.shape[0],):
        raise ValueError(f"u0 must have shape ({L.shape[0]},); got {u0.shape}")
    norm_L = float(np.linalg.eigvalsh(L)[-1])
    grid = lchs_quadrature(t, norm_L, eps / 2, beta)
    u = _node_evolutions(L, H, grid, np.array([t]), u0)[0]
    bound = grid.error_bound * float(np.linalg.norm(u0))
    rule = None
    if b is not None:
        b = np.asarray(b, dtype=np.complex128).reshape(-1)
        if b.shape != u0.shape:
            raise ValueError(f"b must have shape {u0.shape}; got {b.shape}")
        rule = duhamel_quadrature(t, spectral_norm(L + 1j * H), eps / 2)
        evolved = _node_evolutions(L, H, grid, t - rule.nodes, b)
        u = u + rule.weights @ evolved
        nb = float(np.linalg.norm(b))
        bound += (rule.error_bound + t * grid.error_bound) * nb
    return LCHSSolution(u=u, error_bound=bound, quadrature=grid, duhamel=rule)


# ----------------------------------------------------------------------------------------------
# Query counts


def jacobi_anger_degree(tau: float, eps: float) -> int:
    """:math:`d_c + d_s` of the Jacobi–Anger pair for :math:`e^{-i\\tau x}` at relative ``eps``
    (the block-encoding calls of ``HamiltonianSimulation``, about :math:`e\\tau + 2\\ln(1/\\varepsilon)`)."""
    return jacobi_anger_cos(tau, eps, 0.5).degree + jacobi_anger_sin(tau, eps, 0.5).degree


@dataclass(frozen=True)
class LCHSCost:
    """Block-encoding queries of one LCHS evolution (:func:`lchs_cost`).

    Attributes
    ----------
    time, eps : float
    nodes : int
        :math:`k`-nodes :math:`J` (the LCU's index register holds :math:`\\lceil\\log_2 J\\rceil`
        qubits).
    cutoff, step, l1_norm : float
        :math:`K`, :math:`h`, :math:`\\|w\\|_1`.
    alpha : float
        Subnormalisation :math:`K\\alpha_L + \\alpha_H` of the select Hamiltonian.
    degree : int
        Jacobi–Anger calls for :math:`\\tau = \\alpha t`: queries to *each* of the encodings of
        :math:`L_A` and :math:`H_A` per application of the LCU.
    success_amplitude : float
        :math:`(s/2)\\,/(\\|w\\|_1\\, q\\, F)` with :math:`s = 0.99` the Jacobi–Anger
        prefactor, :math:`q = \\|u_0\\|/\\|u(t)\\|` and :math:`F` the forcing and decay factor
        of :func:`lchs_cost`.
    rounds : int
        Amplitude-amplification rounds :math:`\\lceil \\pi/(4\\arcsin a) - 1/2\\rceil` for that
        amplitude (0 when not needed).
    queries : int
        ``degree * (2 rounds + 1)``: queries to each encoding for the normalised state.
    """

    time: float
    eps: float
    nodes: int
    cutoff: float
    step: float
    l1_norm: float
    alpha: float
    degree: int
    success_amplitude: float
    rounds: int
    queries: int


def lchs_cost(
    t: float,
    eps: float,
    alpha_L: float,
    alpha_H: float,
    q: float = 1.0,
    beta: float = DEFAULT_BETA,
    scale: float = 0.99,
    forcing: float = 0.0,
    decay: float = 0.0,
) -> LCHSCost:
    """Queries of the LCHS state preparation for :math:`e^{At}u_0` at operator error ``eps``.

    Error budget: quadrature ``eps/2``; Jacobi–Anger ``eps / (4 ||w||_1)`` relative (its error is
    multiplied by :math:`\\|w\\|_1` when the LCU is rescaled and the pair's block errs by twice
    the polynomial error relative to :math:`s/2`).

    Parameters
    ----------
    t, eps : float
    alpha_L, alpha_H : float
        Subnormalisations of the encodings, :math:`\\ge \\|L_A\\|, \\|H_A\\|`.
    q : float
        :math:`\\|u_0\\|/\\|u(t)\\|`.
    beta, scale : float
    forcing : float
        :math:`\\|b\\|/\\|u_0\\|` of a constant forcing (Duhamel term), 0 for none.
    decay : float
        :math:`\\delta \\ge 0` with :math:`L_A \\succeq \\delta I`. LCHS of :math:`A + \\delta I`
        with the factor :math:`e^{-\\delta\\tau}` moved into the LCU weights: the LCU's
        normalisation becomes :math:`\\|w\\|_1(e^{-\\delta t}\\|u_0\\| +
        \\|b\\|(1 - e^{-\\delta t})/\\delta)` (:math:`\\|u_0\\| + t\\|b\\|` at
        :math:`\\delta = 0`), so a decaying window's forcing costs no factor of :math:`t`.
    """
    alpha_L = _positive(alpha_L, "alpha_L", allow_zero=True)
    alpha_H = _positive(alpha_H, "alpha_H", allow_zero=True)
    q = _positive(q, "q")
    forcing = _positive(forcing, "forcing", allow_zero=True)
    decay = _positive(decay, "decay", allow_zero=True)
    grid = lchs_quadrature(t, alpha_L, eps / 2, beta)
    x = decay * grid.time
    weight = np.exp(-x) + forcing * (grid.time if x == 0 else -np.expm1(-x) / decay)
    alpha = grid.cutoff * alpha_L + alpha_H
    degree = jacobi_anger_degree(alpha * grid.time, eps / (4 * grid.l1_norm))
    amp = min(1.0, 0.5 * scale / (grid.l1_norm * q * weight))
    rounds = max(0, math.ceil(np.pi / (4 * np.arcsin(amp)) - 0.5)) if amp < 1 else 0
    return LCHSCost(
        time=grid.time,
        eps=grid.eps * 2,
        nodes=grid.num_nodes,
        cutoff=grid.cutoff,
        step=grid.step,
        l1_norm=grid.l1_norm,
        alpha=alpha,
        degree=degree,
        success_amplitude=amp,
        rounds=rounds,
        queries=degree * (2 * rounds + 1),
    )


__all__ = [
    "DEFAULT_BETA",
    "DuhamelQuadrature",
    "LCHSCost",
    "LCHSQuadrature",
    "LCHSSolution",
    "check_dissipative",
    "duhamel_quadrature",
    "hermitian_parts",
    "jacobi_anger_degree",
    "kernel_tail_bound",
    "lchs_apply",
    "lchs_cost",
    "lchs_kernel",
    "lchs_propagator",
    "lchs_quadrature",
    "lchs_solve",
    "log_norm",
]
