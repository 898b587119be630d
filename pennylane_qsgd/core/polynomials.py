"""Bounded Chebyshev polynomials for quantum signal processing (QSP) and QSVT.

QSVT applies a real polynomial of definite parity with :math:`|P(x)| \\le 1` on :math:`[-1, 1]` to
the singular values of a block-encoded matrix (Gilyén, Su, Low, Wiebe, arXiv:1806.01838).
This module builds the two families the package needs, always in the Chebyshev basis
(:math:`P = \\sum_n c_n T_n`, never monomials, which lose all precision past degree ~40):

* :func:`inverse_polynomial`: an odd approximation of :math:`\\text{scale}/(\\kappa x)` on
  :math:`1/\\kappa \\le |x| \\le 1`, the polynomial of the QSVT linear-system solver;
* :func:`jacobi_anger_cos` / :func:`jacobi_anger_sin`: truncated Jacobi–Anger expansions of
  :math:`\\text{scale}\\cos(xt)` and :math:`\\text{scale}\\sin(xt)` for Hamiltonian simulation
  (arXiv:1806.01838; Martyn, Rossi, Tan, Chuang, arXiv:2105.02859).

Error convention. For every constructor ``eps`` is relative to ``scale``, the largest value the
target takes on its domain: the result satisfies :math:`|P(x) - \\text{target}(x)| \\le
\\text{eps}\\cdot\\text{scale}` there, and that absolute bound is stored as
:attr:`ChebyshevPolynomial.target_error`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.polynomial import chebyshev as npcheb
from scipy.fft import dct
from scipy.special import gammaln, jv

from pennylane_qsgd.core.memory import check_memory


def as_coefficients(coeffs: np.ndarray, name: str = "coeffs") -> np.ndarray:
    """Return ``coeffs`` as a finite, non-empty, 1-D float64 array (a copy)."""
    arr = np.array(coeffs, dtype=np.float64, copy=True)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array; got shape {np.shape(coeffs)}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or Inf entries")
    return arr


def _sampled_abs(c: np.ndarray, oversample: int) -> tuple[np.ndarray, float, float]:
    """:math:`|g|` on ``oversample * (d + 1)`` equispaced angles, the step and the relative margin.

    A sample misses the peak of its cell by at most the returned margin (relative to the peak).
    """
    if oversample < 4:
        raise ValueError(f"oversample must be at least 4; got {oversample}")
    # A power of two: the DCT-I runs as an FFT of length 2 num (Bluestein's algorithm otherwise).
    num = 1 << max(4, (oversample * c.size - 1).bit_length())
    step = np.pi / num
    # g(pi k / num) for k = 0..num is a DCT-I of the zero-padded coefficients.
    padded = np.zeros(num + 1)
    padded[: c.size] = c
    padded[1:-1] *= 0.5
    margin = 0.5 * (0.5 * (c.size - 1) * step) ** 2 + 1e-12
    return np.abs(dct(padded, type=1)), step, margin


def _cosine_series(
    c: np.ndarray, theta: np.ndarray, derivatives: bool = False
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """:math:`g = \\sum_n c_n \\cos n\\theta` (and :math:`g', g''` in θ) at a few angles.

    Direct sums, vectorised over the degree in chunks: O(d) per angle without the Python loop of
    a Clenshaw recurrence over d coefficients.
    """
    n = np.arange(c.size, dtype=np.float64)
    g = np.empty(theta.size)
    g1 = np.empty(theta.size) if derivatives else None
    g2 = np.empty(theta.size) if derivatives else None
    chunk = max(1, 4_000_000 // c.size)
    for start in range(0, theta.size, chunk):
        angles = np.outer(theta[start : start + chunk], n)
        cos = np.cos(angles)
        g[start : start + chunk] = cos @ c
        if derivatives:
            g1[start : start + chunk] = -(np.sin(angles) @ (n * c))
            g2[start : start + chunk] = -(cos @ (n * n * c))
    return g, g1, g2


def chebyshev_sup_bounds(coeffs: np.ndarray, oversample: int = 8) -> tuple[float, float]:
    r"""Lower and upper bounds on :math:`\max_{[-1,1]} |\sum_n c_n T_n|` from one DCT, O(d log d).

    The lower bound is the largest sample of :func:`chebyshev_sup_norm`'s grid, the upper one that
    sample over ``1 - margin`` (Bernstein's inequality; about 2% apart for ``oversample=8``). Use it
    where a threshold test suffices: the refinement of :func:`chebyshev_sup_norm` evaluates the
    series at every near-maximal peak, O(d) each, which for a polynomial with O(d) equal peaks
    (e.g. :math:`\sin(tx)`) costs O(d^2).
    """
    absval, _, margin = _sampled_abs(as_coefficients(coeffs), oversample)
    low = float(absval.max())
    return low, low / (1.0 - margin)


def chebyshev_sup_norm(coeffs: np.ndarray, oversample: int = 8) -> float:
    """Maximum of :math:`|\\sum_n c_n T_n(x)|` over :math:`x \\in [-1, 1]`.

    With :math:`g(\\theta) = \\sum_n c_n \\cos(n\\theta)` (:math:`x = \\cos\\theta`), ``g`` is
    sampled at ``oversample * (d + 1)`` equispaced angles in :math:`[0, \\pi]` (one DCT-I). A
    sample misses its peak by at most :math:`\\tfrac12 (d\\,\\Delta\\theta/2)^2 \\max|g|`
    (Bernstein's inequality :math:`|g''| \\le d^2 \\max|g|`), about 2% for ``oversample=8``, so
    every local maximum of :math:`|g|` within that margin of the largest sample is refined by
    Newton's method on :math:`g'(\\theta) = 0` inside its grid cell.

    Parameters
    ----------
    coeffs : array_like, shape (d + 1,)
        Chebyshev coefficients :math:`c_0, \\dots, c_d`.
    oversample : int
        Samples per degree of freedom, at least 4.

    Returns
    -------
    float
        :math:`\\max_{[-1, 1]} |P|` to about 1e-13 relative.
    """
    c = as_coefficients(coeffs)
    absval, step, margin = _sampled_abs(c, oversample)
    best = float(absval.max())
    if best == 0.0 or c.size == 1:
        return best
    ext = np.concatenate([[-np.inf], absval, [-np.inf]])
    peak = (absval >= ext[:-2]) & (absval >= ext[2:]) & (absval >= (1.0 - margin) * best)
    theta0 = step * np.nonzero(peak)[0]
    theta = theta0.copy()
    for _ in range(3):
        _, g1, g2 = _cosine_series(c, theta, derivatives=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            delta = np.where(g2 != 0.0, g1 / g2, 0.0)
        theta = np.clip(
            theta - delta, np.maximum(theta0 - step, 0.0), np.minimum(theta0 + step, np.pi)
        )
    refined = np.abs(_cosine_series(c, theta)[0])
    return max(best, float(refined.max()))


@dataclass(frozen=True, eq=False)
class ChebyshevPolynomial:
    """A real polynomial of definite parity in the Chebyshev basis, with its approximation record.

    :math:`P(x) = \\sum_{n=0}^{d} c_n T_n(x)`, with :math:`c_n = 0` whenever
    :math:`n \\not\\equiv \\text{parity} \\pmod 2`.

    Parameters
    ----------
    coeffs : array_like, shape (d + 1,)
        Chebyshev coefficients :math:`c_0, \\dots, c_d` (stored as a read-only float64 array).
        Entries of the wrong parity must vanish (below ``1e-14 * max|c|``; they are then set to 0).
    parity : int
        0 for an even polynomial, 1 for an odd one.
    scale : float
        Factor of the target function it approximates (e.g. ``scale / (kappa x)``); 1 by default.
    target_error : float
        Bound on :math:`|P - \\text{target}|` on the target's domain (absolute, not relative);
        0 when ``P`` is itself the target.

    Raises
    ------
    ValueError
        For non-finite or non-1-D coefficients, a parity outside {0, 1}, non-zero coefficients of
        the wrong parity, or a negative/non-finite ``target_error``.
    """

    coeffs: np.ndarray
    parity: int
    scale: float = 1.0
    target_error: float = 0.0

    def __post_init__(self) -> None:
        c = as_coefficients(self.coeffs)
        if self.parity not in (0, 1):
            raise ValueError(f"parity must be 0 (even) or 1 (odd); got {self.parity!r}")
        wrong = c[1 - self.parity :: 2]
        if wrong.size and np.max(np.abs(wrong)) > 1e-14 * max(1.0, float(np.max(np.abs(c)))):
            raise ValueError(
                f"coeffs has non-zero entries of the wrong parity for parity={self.parity} "
                f"(largest {np.max(np.abs(wrong)):.3e})"
            )
        c[1 - self.parity :: 2] = 0.0
        c.setflags(write=False)
        if not np.isfinite(self.scale):
            raise ValueError(f"scale must be finite; got {self.scale}")
        if not (np.isfinite(self.target_error) and self.target_error >= 0):
            raise ValueError(f"target_error must be finite and >= 0; got {self.target_error}")
        object.__setattr__(self, "coeffs", c)
        object.__setattr__(self, "parity", int(self.parity))
        object.__setattr__(self, "scale", float(self.scale))
        object.__setattr__(self, "target_error", float(self.target_error))

    @property
    def degree(self) -> int:
        """Degree ``d`` (length of ``coeffs`` minus one)."""
        return self.coeffs.size - 1

    @property
    def parity_coeffs(self) -> np.ndarray:
        """The coefficients of :math:`T_{2k + \\text{parity}}`, :math:`k = 0, 1, \\dots`."""
        return self.coeffs[self.parity :: 2]

    def __call__(self, x: np.ndarray | float) -> np.ndarray:
        """Evaluate :math:`P(x)` by the Clenshaw recurrence; ``x`` of any shape."""
        return npcheb.chebval(np.asarray(x, dtype=np.float64), self.coeffs)

    def sup_norm(self) -> float:
        """:math:`\\max_{x \\in [-1, 1]} |P(x)|` (see :func:`chebyshev_sup_norm`)."""
        return chebyshev_sup_norm(self.coeffs)


# ----------------------------------------------------------------------------------------------
# 1/x


def _check_kappa(kappa: float) -> None:
    if not (np.isfinite(kappa) and kappa > 1.0):
        raise ValueError(f"kappa must be a finite number > 1; got {kappa}")


def _check_eps(eps: float) -> None:
    if not (np.isfinite(eps) and 0.0 < eps < 1.0):
        raise ValueError(f"eps must lie in (0, 1); got {eps}")


def _inverse_degree_half(kappa: float, eps: float) -> int:
    """Smallest ``m`` with :math:`T_m(z_0) \\ge 1/\\text{eps}`, :math:`z_0 = (1+a^2)/(1-a^2)`."""
    a = 1.0 / kappa
    t0 = 2.0 * np.arctanh(a)  # arccosh(z0), computed without cancellation
    return max(1, int(np.ceil(np.arccosh(1.0 / eps) / t0)))


def inverse_polynomial_degree(kappa: float, eps: float) -> int:
    """Degree of ``inverse_polynomial(kappa, eps)``, without building the polynomial.

    :math:`d = 2m - 1` with :math:`m = \\max(1, \\lceil\\operatorname{arccosh}(1/\\text{eps}) /
    (2\\operatorname{artanh}(1/\\kappa))\\rceil)`, about :math:`\\kappa\\ln(2/\\text{eps})`
    (see :func:`inverse_polynomial`).

    Raises
    ------
    ValueError
        For kappa <= 1 or eps outside (0, 1).
    """
    _check_kappa(kappa)
    _check_eps(eps)
    return 2 * _inverse_degree_half(float(kappa), float(eps)) - 1


def _one_minus_q_over_x(x: np.ndarray, kappa: float, m: int) -> np.ndarray:
    """:math:`(1 - Q_m(x^2)) / (\\kappa x)` for ``x > 0``, stably (:func:`inverse_polynomial`)."""
    a = 1.0 / kappa
    b = 1.0 - a * a
    t0 = 2.0 * np.arctanh(a)  # arccosh(z0)
    z0 = (1.0 + a * a) / b
    y = x * x
    one_minus_q = np.empty_like(x)
    inside = y >= a * a
    # y >= a^2: z = (2y - 1 - a^2)/b in [-1, 1], Q = (-1)^m cos(m arccos z) / cosh(m t0), tiny.
    sech = 2.0 * np.exp(-m * t0) / (1.0 + np.exp(-2.0 * m * t0))
    zi = np.clip((2.0 * y[inside] - 1.0 - a * a) / b, -1.0, 1.0)
    one_minus_q[inside] = 1.0 - (-1.0) ** m * np.cos(m * np.arccos(zi)) * sech
    # y < a^2: w = -z = z0 - delta > 1, Q = cosh(m t) / cosh(m t0), t = arccosh(w) = t0 - u.
    # u comes from sinh(t0 - t) = (z0^2 - w^2) / (sqrt(z0^2 - 1) w + z0 sqrt(w^2 - 1)) with
    # z0 - w = delta and w - 1 formed exactly, so m u (up to ~m t0) keeps full relative precision
    # and 1 - Q is accurate as x -> 0.
    yo = y[~inside]
    delta = 2.0 * yo / b
    w = z0 - delta
    root_w = np.sqrt(2.0 * (a * a - yo) / b * (w + 1.0))  # sqrt(w^2 - 1)
    u = np.arcsinh(delta * (z0 + w) / (2.0 * a / b * w + z0 * root_w))
    log_q = -m * u + np.log1p(np.exp(-2.0 * m * (t0 - u))) - np.log1p(np.exp(-2.0 * m * t0))
    one_minus_q[~inside] = -np.expm1(log_q)
    return one_minus_q / (kappa * x)


def inverse_polynomial(
    kappa: float,
    eps: float | None = None,
    scale: float | None = None,
    *,
    degree: int | None = None,
    max_norm: float = 0.9,
) -> ChebyshevPolynomial:
    """Odd polynomial close to :math:`\\text{scale}/(\\kappa x)` for :math:`|x| \\ge 1/\\kappa`.

    Construction: the shifted-Chebyshev polynomial of optimal degree (the eigenstate-filtering
    polynomial of Lin and Tong, arXiv:1910.14596, in :math:`y = x^2`). With
    :math:`a = 1/\\kappa`, :math:`z(y) = (2y - 1 - a^2)/(1 - a^2)` and
    :math:`z_0 = -z(0) = (1+a^2)/(1-a^2)`,

    .. math::

        Q_m(y) = \\frac{T_m(z(y))}{T_m(-z_0)}, \\qquad
        P(x) = \\frac{\\text{scale}}{\\kappa}\\,\\frac{1 - Q_m(x^2)}{x}.

    :math:`Q_m(0) = 1`, so :math:`P` is an odd polynomial of degree :math:`2m - 1`, and
    :math:`|Q_m| \\le 1/T_m(z_0)` on :math:`[a^2, 1]`, so for :math:`1/\\kappa \\le |x| \\le 1`

    .. math::

        |P(x) - \\text{scale}/(\\kappa x)| \\le \\text{scale}/T_m(z_0),
        \\qquad T_m(z_0) = \\cosh(m \\cdot 2\\,\\text{artanh}(1/\\kappa)).

    Hence ``m = ceil(arccosh(1/eps) / (2 artanh(1/kappa)))``: degree about
    :math:`\\kappa \\ln(2/\\text{eps})` (kappa = 100: 1451 for eps = 1e-6, 2371 for 1e-10).

    Overshoot. Inside :math:`(-1/\\kappa, 1/\\kappa)` the polynomial rises above the target's
    domain maximum ``scale``: :math:`\\max|P| = \\omega\\,\\text{scale}` with
    :math:`\\omega \\approx` 1.47, 1.76, 2.01, 2.23, 2.43 for eps = 1e-4, 1e-6, 1e-8, 1e-10, 1e-12
    (nearly independent of kappa). Polynomials of near-optimal degree overshoot this way; a
    smaller overshoot costs a much higher degree (a smooth erf cutoff with overshoot 1.5 needs
    about 3.5 times the degree). ``scale=None`` therefore picks
    ``scale = max_norm / omega``, so that :math:`\\max_{[-1,1]}|P| = \\text{max\\_norm}`.

    Parameters
    ----------
    kappa : float
        Condition number, > 1; the domain is :math:`1/\\kappa \\le |x| \\le 1`.
    eps : float, optional
        Relative accuracy in (0, 1): :math:`|P - \\text{scale}/(\\kappa x)| \\le
        \\text{eps}\\cdot\\text{scale}` on the domain. Required unless ``degree`` is given.
    scale : float, optional
        Target value at :math:`x = 1/\\kappa`. ``None`` (default): ``max_norm / omega``.
    degree : int, optional
        Request this odd degree instead of choosing it from ``eps``; the achieved error bound is
        reported in ``target_error`` (``eps`` is then ignored).
    max_norm : float
        Sup norm of ``P`` on :math:`[-1, 1]` when ``scale`` is chosen automatically, in (0, 1).

    Returns
    -------
    ChebyshevPolynomial
        Odd (``parity=1``), with the chosen ``scale`` and ``target_error = scale / T_m(z0)``.

    Raises
    ------
    ValueError
        For kappa <= 1, eps outside (0, 1), a degree that is not a positive odd integer, a
        non-positive scale, max_norm outside (0, 1), or an explicit ``scale`` for which
        :math:`\\max|P| > 1` (the message gives the largest admissible scale).

    Examples
    --------
    >>> poly = inverse_polynomial(kappa=10.0, eps=1e-8)
    >>> poly.degree
    191
    >>> bool(abs(poly(0.5) - poly.scale / 5.0) <= poly.target_error)
    True
    """
    _check_kappa(kappa)
    if not (0.0 < max_norm < 1.0):
        raise ValueError(f"max_norm must lie in (0, 1); got {max_norm}")
    if degree is None:
        if eps is None:
            raise ValueError("give eps (target accuracy) or degree")
        m = (inverse_polynomial_degree(kappa, eps) + 1) // 2
    else:
        if int(degree) != degree or degree < 1 or degree % 2 == 0:
            raise ValueError(f"degree must be a positive odd integer; got {degree}")
        m = (int(degree) + 1) // 2
    # the DCT, the node values and chebyshev_sup_norm's 16 m-point grid: ~128 floats per m
    check_memory(
        1024 * m,
        f"the inverse polynomial of degree {2 * m - 1} (kappa = {kappa:.3g})",
        "Lower kappa or loosen eps.",
    )
    if scale is not None and not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive finite number; got {scale}")

    # Exact Chebyshev coefficients of the degree-(2m-1) odd polynomial (unit scale) from its
    # values at the m positive nodes of the 2m-point Chebyshev-Gauss grid (one DCT-IV).
    theta = (2.0 * np.arange(m) + 1.0) * np.pi / (4.0 * m)
    values = _one_minus_q_over_x(np.cos(theta), kappa, m)
    coeffs = np.zeros(2 * m)
    coeffs[1::2] = dct(values, type=4) / m
    omega = chebyshev_sup_norm(coeffs)
    t0 = 2.0 * np.arctanh(1.0 / kappa)
    rel_error = 1.0 / np.cosh(m * t0) if m * t0 < 700 else 0.0
    if scale is None:
        scale = max_norm / omega
    elif scale * omega > 1.0:
        raise ValueError(
            f"scale={scale} gives max|P| = {scale * omega:.4f} > 1 on [-1, 1] (kappa={kappa}, "
            f"degree={2 * m - 1}); use scale <= {1.0 / omega:.4f}, or scale=None"
        )
    return ChebyshevPolynomial(
        coeffs=scale * coeffs, parity=1, scale=scale, target_error=scale * rel_error
    )


# ----------------------------------------------------------------------------------------------
# cos(xt), sin(xt)


def _jacobi_anger(t: float, eps: float, scale: float, parity: int) -> ChebyshevPolynomial:
    """Truncated :math:`\\text{scale}\\cos(xt)` (parity 0) or :math:`\\text{scale}\\sin(xt)` (1)."""
    if not np.isfinite(t):
        raise ValueError(f"t must be finite; got {t}")
    _check_eps(eps)
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive finite number; got {scale}")
    tau = abs(float(t))
    # Beyond n_max the terms obey |J_n(tau)| <= (tau/2)^n / n!, a geometric tail with ratio <= 1/2.
    n_max = int(np.ceil(max(2.0 * tau, 1.0) + 2.0 * np.log(1.0 / eps) + 20.0))
    orders = np.arange(n_max + 1)
    bessel = jv(orders, tau)
    log_bound = (n_max + 1) * np.log(max(tau, 1e-300) / 2.0) - gammaln(n_max + 2.0)
    far_tail = 4.0 * np.exp(log_bound) if tau > 0 else 0.0
    # Chebyshev coefficients: cos(xt) = J0 + 2 sum_k (-1)^k J_2k T_2k,
    # sin(xt) = 2 sum_k (-1)^k J_{2k+1} T_{2k+1}; J_n(-t) = (-1)^n J_n(t) gives the sign of t.
    full = 2.0 * bessel * np.where((orders // 2) % 2 == 0, 1.0, -1.0)
    full[0] *= 0.5
    full[orders % 2 != parity] = 0.0
    if parity == 1 and t < 0:
        full = -full
    # Drop the longest tail whose l1 norm (plus far_tail) stays below eps: |T_n| <= 1.
    tail = np.cumsum(np.abs(full[::-1]))[::-1] + far_tail  # tail[n] = sum_{k >= n} |c_k|
    keep = np.nonzero(tail > eps)[0]
    degree = int(keep[-1]) if keep.size else parity
    if degree % 2 != parity:
        degree += 1
    degree = max(degree, parity)
    coeffs = full[: degree + 1].copy()
    err = (tail[degree + 1] if degree + 1 <= n_max else far_tail) * scale
    return ChebyshevPolynomial(coeffs=scale * coeffs, parity=parity, scale=scale, target_error=err)


def jacobi_anger_cos(t: float, eps: float, scale: float = 0.5) -> ChebyshevPolynomial:
    """Even polynomial approximating :math:`\\text{scale}\\cos(x t)` on :math:`[-1, 1]`.

    Truncated Jacobi–Anger expansion :math:`\\cos(xt) = J_0(t) + 2\\sum_{k\\ge1} (-1)^k J_{2k}(t)
    T_{2k}(x)` (arXiv:1806.01838), cut at the smallest degree whose dropped
    coefficients have l1 norm at most ``eps`` (so :math:`|P - \\text{scale}\\cos(xt)| \\le
    \\text{eps}\\cdot\\text{scale}` on all of :math:`[-1, 1]`); the degree is about
    :math:`e|t|/2 + \\ln(1/\\text{eps})`.

    Parameters
    ----------
    t : float
        Evolution time (any sign).
    eps : float
        Relative accuracy in (0, 1).
    scale : float
        Positive prefactor; :math:`\\max|P| \\le \\text{scale}(1 + \\text{eps})`.

    Returns
    -------
    ChebyshevPolynomial
        Even, with ``target_error`` the l1 norm of the dropped coefficients times ``scale``.
    """
    return _jacobi_anger(t, eps, scale, parity=0)


def jacobi_anger_sin(t: float, eps: float, scale: float = 0.5) -> ChebyshevPolynomial:
    """Odd polynomial approximating :math:`\\text{scale}\\sin(x t)` on :math:`[-1, 1]`.

    Truncated Jacobi–Anger expansion :math:`\\sin(xt) = 2\\sum_{k\\ge0} (-1)^k J_{2k+1}(t)
    T_{2k+1}(x)` (arXiv:1806.01838). Parameters, error convention and ``target_error`` as in
    :func:`jacobi_anger_cos`; the polynomial is odd.
    """
    return _jacobi_anger(t, eps, scale, parity=1)
