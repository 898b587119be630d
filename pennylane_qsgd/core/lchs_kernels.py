"""LCHS kernels: An–Childs–Lin's exact kernel and Low–Somma's Gaussian-damped one.

Both write :math:`e^{At} \\approx \\int_{\\mathbb R} g(k)\\,e^{-it(kL_A + H_A)}\\,dk` for
:math:`-A = L_A + iH_A`, :math:`L_A \\succeq 0` (:mod:`pennylane_qsgd.core.lchs`), and both are
analytic in the strip :math:`|\\operatorname{Im} k| < 1`, so the trapezoidal rule's aliasing bound
of :func:`~pennylane_qsgd.core.lchs.lchs_quadrature` applies to either. They differ in the tail:

* **ACL** (An, Childs, Lin, arXiv:2312.03916, Theorem 5), exact:
  :math:`g(k) = e^{2^\\beta}e^{-(1+ik)^\\beta}/(2\\pi(1 - ik))`, tail
  :math:`\\int_{|k|>K}|g| \\le e^{2^\\beta}E_1(\\cos(\\beta\\pi/2)K^\\beta)/(\\pi\\beta)`, so
  :math:`K = O((\\log 1/\\varepsilon)^{1/\\beta})`.
* **Low–Somma** (arXiv:2508.19238, equation (6) with :math:`j = 2`, :math:`y = 1`), approximate:

  .. math::

      g(k) = \\frac{1}{\\pi}\\,\\frac{e^{c(1 - ik)}\\,e^{-(k^2 + 1)/(4\\gamma^2)}}{1 + k^2}.

  Without the Gaussian, :math:`\\int e^{-ikx}e^{-ikc}/(\\pi(1 + k^2))\\,dk = e^{-|x + c|}`; the
  Gaussian convolves that with the normal density of variance :math:`\\sigma^2 = 1/(2\\gamma^2)`,
  and the factor :math:`e^{c - 1/(4\\gamma^2)}` is exactly what puts the result back on
  :math:`e^{-x}` away from the kink at :math:`x = -c`. In closed form, for :math:`x \\ge 0`,

  .. math::

      \\int g(k)e^{-ikx}dk - e^{-x} = -e^{-x}\\,\\Phi\\big(\\sigma - \\tfrac{x + c}{\\sigma}\\big)
      + e^{x + 2c}\\,\\Phi\\big(-\\tfrac{x + c}{\\sigma} - \\sigma\\big),

  two non-negative terms that decrease in :math:`x` (Mills' ratio), so the kernel's own error is
  at most :math:`\\max(\\Phi(\\sigma - c/\\sigma), e^{2c}\\Phi(-c/\\sigma - \\sigma))`
  (:attr:`LowSommaKernel.approximation_error`); :func:`low_somma_kernel` picks :math:`\\gamma` for a
  target. This is the scalar (normal :math:`A`) error; Low and Somma bound the operator error of
  the approximate LCHS in general, and the tests check it against ``expm`` on non-normal
  :math:`A`. The tail is Gaussian,
  :math:`\\int_{|k|>K}|g| \\le \\tfrac{2\\gamma}{\\sqrt\\pi}\\,e^{c - 1/(4\\gamma^2)}
  \\operatorname{erfc}(K/(2\\gamma))/(1 + K^2)`, so :math:`K = O(\\gamma\\sqrt{\\log 1/\\varepsilon})
  = O(\\log(1/\\varepsilon)/c)`: one logarithm, which is what makes the query count
  :math:`O(t\\log 1/\\varepsilon)`. The price is the LCU's 1-norm :math:`\\|g\\|_1 \\approx e^c`
  (amplification rounds); :data:`DEFAULT_SHIFT` balances the two on our windows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.integrate import quad
from scipy.optimize import brentq
from scipy.special import erfc, exp1, log_ndtr

DEFAULT_BETA = 0.75
"""Default exponent :math:`\\beta` of the ACL kernel (ACL recommend :math:`\\beta` near but below 1)."""

DEFAULT_SHIFT = 0.5
"""Default shift :math:`c` of the Low–Somma kernel (1-norm about :math:`e^c`)."""

KERNELS = ("acl", "low-somma")
"""Kernel names accepted by :func:`make_kernel`."""


@dataclass(frozen=True)
class ACLKernel:
    """An–Childs–Lin's kernel (module docstring); exact, ``approximation_error = 0``."""

    beta: float = DEFAULT_BETA
    name: str = "acl"
    approximation_error: float = 0.0

    def __call__(self, k: np.ndarray | complex) -> np.ndarray:
        """:math:`g(k)` for :math:`-1 < \\operatorname{Im} k < 1`."""
        z = np.asarray(k, dtype=np.complex128)
        return np.exp(2.0**self.beta - (1.0 + 1j * z) ** self.beta) / (2.0 * np.pi * (1.0 - 1j * z))

    def tail_bound(self, cutoff: float) -> float:
        """:math:`\\int_{|k|>K}|g| \\le e^{2^\\beta}E_1(\\cos(\\beta\\pi/2)K^\\beta)/(\\pi\\beta)`."""
        if cutoff <= 0:
            return float("inf")
        b = self.beta
        return float(np.exp(2.0**b) * exp1(np.cos(b * np.pi / 2) * cutoff**b) / (np.pi * b))


@dataclass(frozen=True)
class LowSommaKernel:
    """Low–Somma's kernel :math:`\\hat f_{2,1}` (module docstring), approximate.

    Attributes
    ----------
    gamma : float
        Width of the Gaussian damping in :math:`k`.
    c : float
        Shift of the kink away from :math:`x \\ge 0`.
    """

    gamma: float
    c: float = DEFAULT_SHIFT
    name: str = "low-somma"

    @property
    def sigma(self) -> float:
        """:math:`\\sigma = 1/(\\sqrt2\\gamma)`, the smoothing width in :math:`x`."""
        return 1.0 / (np.sqrt(2.0) * self.gamma)

    @property
    def approximation_error(self) -> float:
        """:math:`\\max(\\Phi(\\sigma - c/\\sigma), e^{2c}\\Phi(-c/\\sigma - \\sigma))` (docstring)."""
        s, c = self.sigma, self.c
        return float(np.exp(max(log_ndtr(s - c / s), 2 * c + log_ndtr(-c / s - s))))

    def __call__(self, k: np.ndarray | complex) -> np.ndarray:
        """:math:`g(k)`, analytic except for the poles :math:`k = \\pm i`."""
        z = np.asarray(k, dtype=np.complex128)
        g2 = 4.0 * self.gamma**2
        return np.exp(self.c * (1.0 - 1j * z) - (z * z + 1.0) / g2) / (np.pi * (1.0 + z * z))

    def tail_bound(self, cutoff: float) -> float:
        """:math:`\\tfrac{2\\gamma}{\\sqrt\\pi}e^{c - 1/(4\\gamma^2)}\\operatorname{erfc}(K/(2\\gamma))
        /(1 + K^2)`."""
        if cutoff <= 0:
            return float("inf")
        g = self.gamma
        front = 2.0 * g / np.sqrt(np.pi) * np.exp(self.c - 1.0 / (4.0 * g * g))
        return float(front * erfc(cutoff / (2.0 * g)) / (1.0 + cutoff**2))


def _solve_decreasing(
    bound: Callable[[float], float], eps: float, log_low: float, xtol: float
) -> float:
    """The :math:`x > 0` with ``bound(x) = eps`` for a ``bound`` decreasing in :math:`x`: Brent's
    method in :math:`\\log x`, bracketed by ``log_low`` and the first integer :math:`\\log x \\ge 1`
    at which the bound is at most ``eps``."""

    def excess(log_x: float) -> float:
        return np.log(max(bound(np.exp(log_x)), 1e-300)) - np.log(eps)

    hi = 1.0
    while excess(hi) > 0:
        hi += 1.0
    return float(np.exp(brentq(excess, log_low, hi, xtol=xtol)))


def low_somma_kernel(eps: float, c: float = DEFAULT_SHIFT) -> LowSommaKernel:
    """The Low–Somma kernel whose :attr:`~LowSommaKernel.approximation_error` is ``eps``.

    Parameters
    ----------
    eps : float
        Target in (0, 1).
    c : float
        Shift, ``> 0``.
    """
    if not (isinstance(c, int | float) and np.isfinite(c) and c > 0):
        raise ValueError(f"c must be a positive finite number; got {c!r}")
    if not 0 < eps < 1:
        raise ValueError(f"eps must lie in (0, 1); got {eps!r}")

    def error(gamma: float) -> float:
        return LowSommaKernel(float(gamma), c).approximation_error

    return LowSommaKernel(_solve_decreasing(error, eps, -5.0, 1e-12), float(c))


Kernel = ACLKernel | LowSommaKernel


def make_kernel(
    name: str, eps: float, beta: float = DEFAULT_BETA, c: float = DEFAULT_SHIFT
) -> Kernel:
    """``"acl"``: :class:`ACLKernel` (``beta``); ``"low-somma"``: :func:`low_somma_kernel` at
    ``eps`` (``c``)."""
    if name == "acl":
        return ACLKernel(beta)
    if name == "low-somma":
        return low_somma_kernel(eps, c)
    raise ValueError(f"kernel must be one of {KERNELS}; got {name!r}")


def line_integral(kernel: Kernel, y: float) -> float:
    """:math:`\\int |g(x + iy)|\\,dx` (numerical; both kernels decay at least like
    :math:`e^{-c|x|^\\beta}/|x|`)."""

    def integrand(x: float) -> float:
        return float(abs(kernel(x + 1j * y)))

    total = 0.0
    for a, b in ((-np.inf, -1.0), (-1.0, 1.0), (1.0, np.inf)):
        total += quad(integrand, a, b, limit=400, epsabs=0.0, epsrel=1e-10)[0]
    return total


def cutoff_for(kernel: Kernel, eps: float) -> float:
    """Smallest :math:`K` with ``kernel.tail_bound(K) <= eps`` (the bound decreases in K)."""

    return _solve_decreasing(kernel.tail_bound, eps, -10.0, 1e-10)


__all__ = [
    "ACLKernel",
    "DEFAULT_BETA",
    "DEFAULT_SHIFT",
    "KERNELS",
    "Kernel",
    "LowSommaKernel",
    "cutoff_for",
    "line_integral",
    "low_somma_kernel",
    "make_kernel",
]
