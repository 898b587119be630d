r"""The forward map of the symmetric QSP phases: reduced phases -> Chebyshev coefficients.

Convention in :mod:`~pennylane_qsgd.core.phase_angles`. :math:`F(\psi)` costs
:math:`O(d \log^2 d)`: the symmetric product is :math:`U = A\,W\,A^T` (odd :math:`d`) or
:math:`A\,e^{i\phi_{d/2} Z} A^T` (even), the half-product :math:`A` is an SU(2) matrix of Laurent
polynomials in :math:`e^{i\arccos x}`, multiplied out by a balanced product tree with FFT
interpolation between levels, and one FFT returns the Chebyshev coefficients.
"""

from __future__ import annotations

import os

import numpy as np
import scipy.fft as sp_fft

# FFT threads: the product tree's transforms are batched over many rows and split well.
_WORKERS = min(2, os.cpu_count() or 1)


def full_phases(psi: np.ndarray, degree: int) -> np.ndarray:
    r"""Symmetric :math:`\phi_0..\phi_d` from the reduced phases :math:`\psi_k = \phi_{m-k}`."""
    half = psi[::-1]  # phi_0 .. phi_m
    m = degree // 2
    return np.concatenate([half, half[: degree - m][::-1]])


def _unit_roots(n: int) -> np.ndarray:
    r""":math:`e^{2\pi i k/n}`, ``k = 0..n-1``, exact at the quarter turns and symmetric.

    Only the first octant is rounded; the rest follows by exact swaps and sign changes. A rounded
    :math:`e^{i\pi/2}` (real part 6e-17) or asymmetric rounding is applied to every block of the
    product tree alike, so it adds up coherently: with ``np.exp`` the top Chebyshev coefficient of
    the forward map was off by about 4e-17 * d.
    """
    if n % 4:
        out = np.exp(2j * np.pi * np.arange(n) / n)
        out[0] = 1.0
        if n % 2 == 0:
            out[n // 2] = -1.0
        return out
    quarter = np.exp(2j * np.pi * np.arange(n // 4) / n)
    if n % 8 == 0:
        eighth = n // 8
        quarter[eighth + 1 :] = 1j * quarter[1:eighth][::-1].conj()  # e^{i(pi/2 - a)}
    quarter[0] = 1.0
    return np.concatenate([quarter, 1j * quarter, -quarter, -1j * quarter])


def _half_step(values: np.ndarray) -> np.ndarray:
    """Polynomials of degree <= G/2 in z on the G roots of unity -> the 2G roots (last axis).

    The new points are the old ones turned by :math:`e^{i\\pi/G}`: one FFT, a phase ramp on the
    coefficients (all frequencies are non-negative, so none aliases) and one inverse FFT of the
    same length G, interleaved with the old values.
    """
    g = values.shape[-1]
    spec = sp_fft.fft(values, axis=-1, workers=_WORKERS)
    spec *= _unit_roots(2 * g)[:g]
    out = np.empty(values.shape[:-1] + (g, 2), dtype=complex)
    out[..., 0] = values
    out[..., 1] = sp_fft.ifft(spec, axis=-1, workers=_WORKERS, overwrite_x=True)
    return out.reshape(values.shape[:-1] + (2 * g,))


def _renormalise(alpha: np.ndarray, beta: np.ndarray) -> None:
    """Scale :math:`(\\alpha, \\beta)` to :math:`|\\alpha|^2 + |\\beta|^2 = 1` in place.

    Every partial product is in SU(2) at every sample; a norm error left by rounding is carried,
    multiplied, into every later level, where unbiased rounding alone stays at the level of one
    product. At degree 10^6 this took the sup error of the solved phases from 1.5e-10 to 1.0e-10.
    """
    scale = 1.0 / np.sqrt(alpha.real**2 + alpha.imag**2 + beta.real**2 + beta.imag**2)
    alpha *= scale
    beta *= scale


def _su2_product(phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    r"""First row :math:`(\alpha, \beta)` of :math:`\prod_j W(\cos\theta)\, e^{i\phi_j Z}`.

    Every factor and partial product of ``L`` factors has the SU(2) form
    :math:`\begin{pmatrix}\alpha & \beta\\ -\bar\beta & \bar\alpha\end{pmatrix}` with
    :math:`\alpha, \beta` Laurent polynomials in :math:`e^{i\theta}` of degree ``L`` and parity
    ``L``, i.e. :math:`\alpha = e^{-iL\theta} P(z)`, :math:`\beta = e^{-iL\theta} Q(z)` with
    polynomials :math:`P, Q` of degree ``L`` in :math:`z = e^{2i\theta}`. The product of a block
    ``(P_1, Q_1, L_1)`` with a block ``(P_2, Q_2, L_2)`` on :math:`|z| = 1` is

    .. math::

        P = P_1 P_2 - Q_1\, z^{L_2} \bar Q_2, \qquad Q = P_1 Q_2 + Q_1\, z^{L_2} \bar P_2,
        \qquad L = L_1 + L_2 .

    A balanced product tree multiplies neighbouring blocks pointwise at the ``G`` roots of unity
    (``G`` twice the largest block length; identity blocks, ``L = 0``, pad to a power of two),
    doubling the grid by :func:`_half_step` before each level: :math:`O(n \log^2 n)` work on
    arrays of ``2 n`` points, a quarter of the full-circle samples of :math:`\alpha, \beta`.

    Returns
    -------
    P, Q : numpy.ndarray (complex), shape (G,)
        Values at :math:`z_j = e^{2\pi i j/G}`, ``G = 2 * 2**ceil(log2(len(phi)))`` (1 if empty).
    L : int
        ``len(phi)``.
    """
    n = phi.size
    if n == 0:
        return np.ones(1, dtype=complex), np.zeros(1, dtype=complex), 0
    size = 1 << (n - 1).bit_length()
    e = np.exp(1j * phi)
    # One factor: P = e^{i phi} (z + 1)/2, Q = e^{-i phi} (z - 1)/2, at z = 1 and z = -1: exact
    # values, where sampled cos/sin would carry a rounding that every factor repeats coherently.
    P = np.zeros((size, 2), dtype=complex)
    Q = np.zeros((size, 2), dtype=complex)
    P[:n, 0] = e
    Q[:n, 1] = -e.conjugate()
    P[n:] = 1.0  # identity padding
    lengths = np.zeros(size, dtype=np.int64)
    lengths[:n] = 1
    g = 2
    while P.shape[0] > 1:
        P, Q = _half_step(P), _half_step(Q)
        g *= 2
        right = lengths[1::2]
        # z^{L_2} at the g roots: one row per distinct L_2 (full, partial and identity blocks).
        distinct, which = np.unique(right, return_inverse=True)
        powers = _unit_roots(g)[(distinct[:, None] * np.arange(g)) % g][which]
        p1, p2, q1, q2 = P[0::2], P[1::2], Q[0::2], Q[1::2]
        P = p1 * p2 - q1 * (powers * q2.conjugate())
        Q = p1 * q2 + q1 * (powers * p2.conjugate())
        _renormalise(P, Q)
        lengths = lengths[0::2] + right
    return P[0], Q[0], n


def _on_circle(values: np.ndarray, length: int, points: int) -> np.ndarray:
    """:math:`e^{-iL\\theta} P(e^{2i\\theta})` at :math:`\\theta_k = 2\\pi k/N` from P at G roots.

    ``points`` (N) even with ``N/2 >= G``: P's coefficients, zero-padded, give P at the N/2 roots,
    which :math:`z = e^{2i\\theta}` runs through twice.
    """
    g = values.size
    spec = np.zeros(points // 2, dtype=complex)
    spec[:g] = sp_fft.fft(values, workers=_WORKERS) / g
    half = sp_fft.ifft(spec, workers=_WORKERS) * (points // 2)
    # e^{-i L theta_k} with L k reduced mod N first: exp of L theta itself (up to ~3e6 rad at
    # degree 10^6) would lose ~1e-10 absolute, the same order as the coefficients sought.
    turns = (length * np.arange(points, dtype=np.int64)) % points
    return _unit_roots(points)[(-turns) % points] * np.concatenate([half, half])


def forward(psi: np.ndarray, degree: int) -> np.ndarray:
    r""":math:`F(\psi)`: Chebyshev coefficients of :math:`T_{2k+p}` in
    :math:`\operatorname{Im}\langle 0|U|0\rangle`, the :math:`T_0` one doubled; shape (m + 1,).

    With :math:`(r_0, r_1) = \langle 0|e^{i\phi_0 Z} \prod_{j=1}^{n} W e^{i\phi_j Z}`:
    odd :math:`d = 2m+1` (:math:`n = m`): :math:`\langle0|U|0\rangle = r W r^T`; even
    :math:`d = 2m` (:math:`n = m - 1`): :math:`(rW)\, e^{i\phi_m Z} (rW)^T`. The entry, a polynomial
    in :math:`\cos\theta`, is even in :math:`\theta`: :math:`\sum_k a_k e^{ik\theta}` with
    :math:`a_k = a_{-k}`, so its Chebyshev coefficients are :math:`a_0` and :math:`2a_k`; it has
    degree ``d``, so ``N >= 2d + 2`` samples on the circle determine it.
    """
    parity = degree % 2
    m = degree // 2
    phi = psi[::-1]  # phi_0 .. phi_m
    n_factors = m if parity else max(m - 1, 0)
    P, Q, length = _su2_product(phi[1 : n_factors + 1])
    points = max(4, 1 << (2 * degree + 1).bit_length(), 2 * P.size)
    e0 = np.exp(1j * phi[0])
    r0 = e0 * _on_circle(P, length, points)
    r1 = e0 * _on_circle(Q, length, points)
    roots = _unit_roots(points)
    c, isn = roots.real, 1j * roots.imag
    if parity:
        entry = c * (r0 * r0 + r1 * r1) + 2.0 * isn * r0 * r1
    elif m == 0:
        entry = r0  # d = 0: U = e^{i phi_0 Z}
    else:
        w0, w1 = c * r0 + isn * r1, isn * r0 + c * r1
        em = np.exp(1j * phi[m])
        entry = em * w0 * w0 + em.conjugate() * w1 * w1
    laurent = sp_fft.fft(entry, workers=_WORKERS) / entry.size
    return 2.0 * laurent[parity : degree + 1 : 2].imag
