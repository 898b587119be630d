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

Kernel. ``kernel="acl"`` (default) is ACL's exact kernel above, with :math:`O(t\\,(\\log
1/\\varepsilon)^{1 + 1/\\beta})` queries; ``kernel="low-somma"`` is Low and Somma's approximate,
Gaussian-damped kernel (arXiv:2508.19238, equation (6)), with :math:`O(t\\log(1/\\varepsilon))`
queries, its own error stated in closed form (:mod:`~pennylane_qsgd.core.lchs_kernels`). Both are
analytic in :math:`|\\operatorname{Im} k| < 1`, so the rule below serves both.

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

Inhomogeneous term and classical twins: :mod:`~pennylane_qsgd.core.lchs_twins`; query counts:
:mod:`~pennylane_qsgd.core.lchs_cost`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pennylane_qsgd.core.lchs_kernels import (
    DEFAULT_BETA,
    DEFAULT_SHIFT,
    ACLKernel,
    cutoff_for,
    line_integral,
    make_kernel,
)

DEFAULT_STRIP = 0.9
"""Half-width :math:`d` of the strip used in the aliasing bound (the kernel is analytic for < 1)."""


GAUSS_ORDER = 8
"""Gauss–Legendre points per panel of the Duhamel integral."""


def check_real_positive(value: object, name: str, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a {kind} finite number; got {value}")
    return value


def check_eps(eps: object) -> float:
    eps = check_real_positive(eps, "eps")
    if not eps < 1:
        raise ValueError(f"eps must lie in (0, 1); got {eps}")
    return eps


def _check_beta(beta: object) -> float:
    beta = check_real_positive(beta, "beta")
    if not beta < 1:
        raise ValueError(f"beta must lie in (0, 1); got {beta}")
    return beta


# ----------------------------------------------------------------------------------------------
# Kernel and quadrature


def lchs_kernel(k: np.ndarray | complex, beta: float = DEFAULT_BETA) -> np.ndarray:
    """ACL kernel :math:`f(k) = e^{2^\\beta}e^{-(1+ik)^\\beta}/(2\\pi(1 - ik))` (complex ``k`` allowed;
    :class:`~pennylane_qsgd.core.lchs_kernels.ACLKernel`)."""
    return ACLKernel(beta)(k)


def kernel_tail_bound(cutoff: float, beta: float = DEFAULT_BETA) -> float:
    """:math:`\\int_{|k|>K}|f| \\le e^{2^\\beta} E_1(\\cos(\\beta\\pi/2)K^\\beta)/(\\pi\\beta)` (ACL)."""
    return ACLKernel(beta).tail_bound(cutoff)


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
        The stated bounds of the rule (module docstring).
    kernel : str
        ``"acl"`` or ``"low-somma"`` (:mod:`~pennylane_qsgd.core.lchs_kernels`).
    kernel_error : float
        The kernel's own error (0 for ACL's exact kernel); :attr:`error_bound` is the sum of the
        three.
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
    kernel: str = "acl"
    kernel_error: float = 0.0

    @property
    def num_nodes(self) -> int:
        """Number of nodes :math:`J`."""
        return int(self.nodes.size)

    @property
    def error_bound(self) -> float:
        """:math:`\\|e^{At} - \\sum_j w_j U_j\\| \\le` this, for every :math:`A` with
        :math:`L_A \\succeq 0`, :math:`\\|L_A\\| \\le` ``norm_L`` and every time up to ``time``."""
        return self.alias_error + self.tail_error + self.kernel_error

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
    kernel: str = "acl",
    shift: float = DEFAULT_SHIFT,
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
    kernel : {"acl", "low-somma"}
        The kernel (:mod:`~pennylane_qsgd.core.lchs_kernels`). Low–Somma's is approximate: its own
        error gets ``eps/4`` and the truncation ``eps/4``.
    shift : float
        :math:`c` of the Low–Somma kernel.

    Returns
    -------
    LCHSQuadrature
    """
    t = check_real_positive(t, "t", allow_zero=True)
    norm_L = check_real_positive(norm_L, "norm_L", allow_zero=True)
    eps = check_eps(eps)
    beta = _check_beta(beta)
    strip = check_real_positive(strip, "strip")
    if not strip < 1:
        raise ValueError(f"strip must lie in (0, 1); got {strip}")

    tail_eps = eps / 2 if kernel == "acl" else eps / 4
    g = make_kernel(kernel, tail_eps, beta, shift)
    cutoff = cutoff_for(g, tail_eps)
    # Step: (M+ + M-) / (e^{2 pi d / h} - 1) <= eps / 2, in logs (t d ||L|| may be large).
    log_m = np.logaddexp(
        t * strip * norm_L + np.log(line_integral(g, strip)),
        np.log(line_integral(g, -strip)),
    )
    step = 2.0 * np.pi * strip / float(np.logaddexp(0.0, log_m + np.log(2.0 / eps)))
    half = int(math.ceil(cutoff / step - 1e-12))
    nodes = step * np.arange(-half, half + 1, dtype=np.float64)
    weights = step * g(nodes)
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
        tail_error=g.tail_bound(half * step),
        kernel=kernel,
        kernel_error=g.approximation_error,
    )


__all__ = [
    "DEFAULT_BETA",
    "LCHSQuadrature",
    "kernel_tail_bound",
    "lchs_kernel",
    "lchs_quadrature",
]
