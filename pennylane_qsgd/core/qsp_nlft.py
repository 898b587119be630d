r"""Symmetric QSP phases by Weiss completion and the inverse nonlinear fast Fourier transform.

Quantum signal processing is a nonlinear Fourier transform (NLFT; Alexis, Mnatsakanyan and Thiele,
arXiv:2310.12683; Alexis, Lin, Mnatsakanyan, Thiele and Wang, arXiv:2407.05634). Conjugated by a
Hadamard gate, the :math:`W_x` sequence of :mod:`~pennylane_qsgd.core.phase_angles` becomes, with
:math:`w = e^{i\theta}`, :math:`z = w^2` and every :math:`e^{i\theta Z}` moved to the right,

.. math::

    H U H = \prod_{k=0}^{d} \begin{pmatrix} \cos\phi_k & i \sin\phi_k\, z^k \\
        i \sin\phi_k\, z^{-k} & \cos\phi_k \end{pmatrix}
        \operatorname{diag}(w^d, w^{-d})
    = \begin{pmatrix} a & b \\ -b^* & a^* \end{pmatrix} \operatorname{diag}(w^d, w^{-d}),

the NLFT of the sequence :math:`F_k = i \tan\phi_k`, and
:math:`\operatorname{Im}\langle 0|U|0\rangle = \operatorname{Im}(b\, w^{-d})`. For a real target
:math:`f = \sum_n c_n T_n` of parity :math:`d \bmod 2` this holds with
:math:`b(z) = i \sum_{k=0}^{d} \beta_k z^k`, :math:`\beta_{(d \mp n)/2} = c_n / 2` (:math:`n > 0`),
:math:`\beta_{d/2} = c_0`, and :math:`|b| = |f|` on the circle. Among all :math:`a` with
:math:`|a|^2 + |b|^2 = 1` the outer one (no zeros in the disc, :math:`a^*(0) > 0`) gives the
symmetric phases connected to :math:`\Phi = 0`, the solution the fixed-point iteration finds.

1. **Weiss completion.** :math:`A = a^*` is :math:`\exp` of the analytic function whose real part
   is :math:`\tfrac12 \log(1 - |b|^2)` (one DCT for :math:`f` at the circle's points, two real
   FFTs for the Schwarz transform and one for the coefficients). The grid grows until the
   coefficients of :math:`A` beyond degree :math:`d` (zero for the exact polynomial, Fejér–Riesz)
   are below :math:`10^{-9}`.
2. **Layer stripping.** With :math:`A` real and :math:`b = i\beta`, removing the first layer is a
   plane rotation of :math:`(A, \beta)` by :math:`\phi_0 = \operatorname{atan2}(\beta_0, A_0)`
   followed by :math:`\beta \leftarrow \beta / z`; the first :math:`m` layers depend only on the
   first :math:`m` coefficients. A divide-and-conquer over the layers (the inverse nonlinear FFT,
   arXiv:2505.12615) strips the first half, applies its NLFT to the remaining coefficients by FFT
   convolutions and recurses: :math:`O(d \log^2 d)`. The phases are symmetric, so only the first
   :math:`\lfloor d/2 \rfloor + 1` layers are computed, from the first as many coefficients.

Both steps are numerically stable when :math:`\max|f|` stays away from 1 (arXiv:2407.05634);
:func:`~pennylane_qsgd.core.phase_angles.qsp_phases` checks the result with the forward map and
polishes it by the fixed-point iteration when needed.
"""

from __future__ import annotations

import math
import os

import numpy as np
import scipy.fft as sp_fft

_WORKERS = min(2, os.cpu_count() or 1)
# FFTs smaller than this (all batches together) run on one thread: starting a second costs more.
_THREADED_SIZE = 1 << 15
# Below this many layers the rotations are applied one by one (vector operations on the block);
# above it the recursion's FFT convolutions win.
_LEAF = 512
# Weiss grid: from 4 points per coefficient, grown by 3/2 and 4/3 in turn while A's coefficients
# beyond degree d (zero for the exact polynomial) exceed this. The first half of the
# coefficients, the only ones used, were within 4e-3 of that tail in every grid measured (1/x and
# sin(tx), d = 1e5 .. 1e6: tails 1e-6 .. 1e-17); the forward map's check after the phases is
# the guarantee.
_WEISS_TAIL = 1e-9
_WEISS_MIN_FACTOR = 4


def default_max_points(degree: int) -> int:
    """Default budget of the Weiss grid: 64 points per coefficient (rounded up to a power of two),
    at least :math:`2^{16}`."""
    return max(1 << 16, 64 << max(degree, 1).bit_length())


class WeissCompletionError(ArithmeticError):
    """The complementary polynomial did not converge within the grid budget (max|f| near 1)."""


def _log_modulus_coefficients(coeffs: np.ndarray, points: int) -> np.ndarray:
    r"""Fourier coefficients :math:`r_k`, ``k = 0..N/2``, of :math:`\tfrac12\log(1 - f^2)` at
    :math:`x = \cos(\tau/2)`, from ``N = points`` samples of :math:`\tau`.

    The function is even in :math:`\tau` and :math:`f^2` is even in :math:`x`, so the samples
    :math:`x_j = \cos(\pi j/N)`, ``j = 0..N/2`` (:math:`x \in [0, 1]`) suffice: one DCT-I (even
    :math:`f`) or DCT-II (odd :math:`f`) of length ``N/2`` for the values, one DCT-I for the
    coefficients.
    """
    half = points // 2
    if coeffs.size % 2:  # even degree: f_j = sum_n c_{2n} cos(pi n j / half)
        e = np.zeros(half + 1)
        e[: (coeffs.size + 1) // 2] = coeffs[0::2]
        f = sp_fft.dct(e, type=1, workers=_WORKERS)
        f[0::2] += e[0] + e[-1]
        f[1::2] += e[0] - e[-1]
    else:  # odd: f_j = sum_n c_{2n+1} cos(pi j (2n+1) / (2 half)); f = 0 at x = 0 (j = half)
        f = np.zeros(half + 1)
        f[:half] = sp_fft.dct(coeffs[1::2], type=2, n=half, workers=_WORKERS)
    f *= 0.5
    log_modulus = np.log1p(-f * f)
    log_modulus *= 0.5
    return sp_fft.dct(log_modulus, type=1, workers=_WORKERS) / points


def weiss_complement(coeffs: np.ndarray, count: int, max_points: int) -> np.ndarray:
    r"""First ``count`` coefficients of the outer :math:`A` with :math:`|A|^2 = 1 - |b|^2`.

    :math:`|b(e^{i\tau})| = |f(\cos(\tau/2))|`, so :math:`R(\tau) = \tfrac12\log(1 - f^2)` is a
    real, even, :math:`2\pi`-periodic function; :math:`G = r_0 + 2\sum_{k>0} r_k z^k` from its
    Fourier coefficients :math:`r_k` is analytic with real part :math:`R`, and
    :math:`A = e^{G}` (real coefficients, :math:`A_0 > 0`).

    Parameters
    ----------
    coeffs : numpy.ndarray, shape (d + 1,)
        Chebyshev coefficients of :math:`f`, :math:`\max_{[-1,1]}|f| < 1`.
    count : int
        Number of coefficients returned (at most ``d + 1``).
    max_points : int
        Largest grid (number of points on the circle) tried.

    Returns
    -------
    numpy.ndarray, shape (count,)

    Raises
    ------
    WeissCompletionError
        If the coefficients beyond degree ``d`` stay above rounding on the largest grid.
    """
    degree = coeffs.size - 1
    points = _WEISS_MIN_FACTOR << max(degree, 1).bit_length()
    growth = 3
    while True:
        r = _log_modulus_coefficients(coeffs, points)
        g = 2.0 * r
        g[0] = r[0]
        g[-1] = 0.0  # Nyquist term: R's coefficients have decayed there
        # G at the circle's points (half of them: G has real coefficients), then A's coefficients.
        values = np.exp(np.conj(sp_fft.rfft(g, points, workers=_WORKERS)))
        a = sp_fft.irfft(np.conj(values), points, workers=_WORKERS)
        tail = float(np.max(np.abs(a[degree + 1 :]))) if points > degree + 1 else 0.0
        if tail <= _WEISS_TAIL or points * growth // (growth - 1) > max_points:
            break
        points = points * growth // (growth - 1)  # x 3/2, then x 4/3: fast FFT lengths
        growth = 7 - growth
    if tail > _WEISS_TAIL:
        raise WeissCompletionError(
            f"Weiss completion: coefficients beyond degree {degree} are {tail:.1e} on "
            f"{points} points (max|f| too close to 1 for the grid budget)"
        )
    return a[:count].copy()


def _strip_block(a: np.ndarray, beta: np.ndarray) -> np.ndarray:
    r"""Layer stripping one rotation at a time: the phases of the block's layers.

    ``z = A + i beta`` turns the rotation into one complex multiplication by
    :math:`e^{-i\phi}`, and the shift of :math:`\beta` into one copy of the imaginary parts.
    """
    n = a.size
    z = a + 1j * beta
    imag = z.imag
    phi = np.empty(n)
    for j in range(n):
        z0 = complex(z[0])
        phi[j] = math.atan2(z0.imag, z0.real)
        rest = n - j
        if rest > 1:
            head = z[:rest]
            head *= z0.conjugate() / abs(z0)
            imag[: rest - 1] = imag[1:rest]
    return phi


def _combine(
    e1: np.ndarray,
    g1: np.ndarray,
    e2: np.ndarray,
    g2: np.ndarray,
    size: int,
    first: tuple[np.ndarray, ...] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""NLFT of two consecutive runs of layers, :math:`E = E_1 E_2 - z\,\Gamma_1^R \Gamma_2`,
    :math:`\Gamma = z E_1^R \Gamma_2 + \Gamma_1 E_2` (the first run's length is ``e1``'s last
    axis, ``R`` reverses it), by real FFTs of length ``size`` along the last axis; returns the
    first ``size`` coefficients. ``first``: the spectra of :math:`(E_1, \Gamma_1, E_1^R,
    \Gamma_1^R)` at this ``size`` when the caller already has them."""

    workers = _WORKERS if e1.size >= _THREADED_SIZE else 1

    def spec(v: np.ndarray) -> np.ndarray:
        return sp_fft.rfft(v, size, axis=-1, workers=workers)

    if first is None:
        first = spec(e1), spec(g1), spec(e1[..., ::-1]), spec(g1[..., ::-1])
    fe1, fg1, fe1r, fg1r = first
    fe2, fg2 = spec(e2), spec(g2)
    shift = np.exp(-2j * np.pi * np.arange(size // 2 + 1) / size)  # multiplication by z
    e = sp_fft.irfft(fe1 * fe2 - shift * (fg1r * fg2), size, axis=-1, workers=workers)
    g = sp_fft.irfft(shift * (fe1r * fg2) + fg1 * fe2, size, axis=-1, workers=workers)
    return e, g


def _layers_map(phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""NLFT :math:`(E, \Gamma)` of the layers ``phi`` (each ``(cos phi, sin phi)``): a balanced
    product tree, one batch of FFTs per level (identity layers pad to a power of two)."""
    n = phi.size
    size = 1 << max(n - 1, 0).bit_length()
    e = np.ones((size, 1))
    g = np.zeros((size, 1))
    e[:n, 0] = np.cos(phi)
    g[:n, 0] = np.sin(phi)
    while e.shape[0] > 1:
        e, g = _combine(e[0::2], g[0::2], e[1::2], g[1::2], 2 * e.shape[1])
    return e[0, :n], g[0, :n]


def _strip(a: np.ndarray, beta: np.ndarray, need_map: bool) -> tuple[np.ndarray, ...]:
    r"""Phases of the first ``n = a.size`` layers of :math:`(A, \beta)` (their first ``n``
    coefficients), and, when ``need_map``, the NLFT :math:`(E, \Gamma)` of those layers.

    With :math:`(E_1, \Gamma_1)` the NLFT of the first ``m`` layers and ``R`` the reversal of a
    coefficient vector, the remaining problem is

    .. math::

        A_2 = z^{1-m} (E_1^R A + \Gamma_1^R \beta), \qquad
        \beta_2 = z^{-m} (E_1 \beta - \Gamma_1 A),

    exact polynomials after the shifts, and the two halves combine as
    :math:`E = E_1 E_2 - z\,\Gamma_1^R \Gamma_2`, :math:`\Gamma = z E_1^R \Gamma_2 + \Gamma_1 E_2`.
    One real FFT length (``>= n``) serves all of them: every window read is free of wrap-around.
    """
    n = a.size
    if n <= _LEAF:
        phi = _strip_block(a, beta)
        return (phi, *_layers_map(phi)) if need_map else (phi, None, None)
    m = n // 2
    phi1, e1, g1 = _strip(a[:m], beta[:m], True)
    size = sp_fft.next_fast_len(n, real=True)
    workers = _WORKERS if n >= _THREADED_SIZE else 1

    def spec(v: np.ndarray) -> np.ndarray:
        return sp_fft.rfft(v, size, workers=workers)

    def back(v: np.ndarray) -> np.ndarray:
        return sp_fft.irfft(v, size, workers=workers)

    fe1, fg1, fe1r, fg1r = spec(e1), spec(g1), spec(e1[::-1]), spec(g1[::-1])
    fa, fb = spec(a), spec(beta)
    a2 = back(fe1r * fa + fg1r * fb)[m - 1 : n - 1]
    b2 = back(fe1 * fb - fg1 * fa)[m:n]
    phi2, e2, g2 = _strip(a2, b2, need_map)
    phi = np.concatenate([phi1, phi2])
    if not need_map:
        return phi, None, None
    e, g = _combine(e1, g1, e2, g2, size, (fe1, fg1, fe1r, fg1r))
    return phi, e[:n], g[:n]


def nlft_phases(coeffs: np.ndarray, max_points: int | None = None) -> np.ndarray:
    r"""Symmetric :math:`W_x` phases whose entry has imaginary part :math:`f` (no iteration).

    Parameters
    ----------
    coeffs : numpy.ndarray, shape (d + 1,)
        Chebyshev coefficients of :math:`f`, parity :math:`d \bmod 2` (the other entries zero),
        :math:`\max_{[-1,1]}|f| < 1`.
    max_points : int, optional
        Largest Weiss grid; default 64 points per coefficient (at least :math:`2^{16}`).

    Returns
    -------
    numpy.ndarray, shape (d + 1,)
        :math:`\phi_0, \dots, \phi_d`, :math:`\phi_j = \phi_{d-j}`.

    Raises
    ------
    WeissCompletionError
        When :math:`\max|f|` is too close to 1 for the grid budget.
    """
    degree = coeffs.size - 1
    half = degree // 2 + 1  # phi_0 .. phi_{d//2}
    beta = 0.5 * coeffs[degree - 2 * np.arange(half)]
    if degree % 2 == 0:
        beta[-1] = coeffs[0]
    if max_points is None:
        max_points = default_max_points(degree)
    a = weiss_complement(coeffs, half, max_points)
    phi, _, _ = _strip(a, beta, False)
    return np.concatenate([phi, phi[: degree + 1 - half][::-1]])
