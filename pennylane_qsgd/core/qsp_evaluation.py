r"""Reference evaluation of a :math:`W_x` phase sequence, and its angles for PennyLane's QSVT.

Convention in :mod:`~pennylane_qsgd.core.phase_angles`. :func:`qsp_unitary_entry` multiplies the
2x2 factors one at a time: the independent check of every solver in this package.
"""

from __future__ import annotations

import numpy as np
from scipy.fft import dct


def qsp_unitary_entry(phases: np.ndarray, x: np.ndarray | float, signal: str = "wx") -> np.ndarray:
    r""":math:`\langle 0|U(x,\Phi)|0\rangle` by sequential 2x2 products (any phases).

    The first row of the running product is multiplied by :math:`W(x)` and
    :math:`e^{i\phi_j Z}` one factor at a time: the reference evaluation of the convention in
    :mod:`~pennylane_qsgd.core.phase_angles`, independent of the solvers' symmetry, product trees
    and FFTs. O(d) vector operations on arrays the size of ``x``.

    Parameters
    ----------
    phases : array_like, shape (d + 1,)
        :math:`\phi_0, \dots, \phi_d` (not necessarily symmetric).
    x : float or array_like of any shape, entries in [-1, 1]
        Signal values.
    signal : {"wx", "reflection"}
        "wx": :math:`W(x)`; "reflection": :math:`R(x) = \begin{pmatrix} x & \sqrt{1-x^2} \\
        \sqrt{1-x^2} & -x \end{pmatrix}`, how ``qml.BlockEncode`` acts on a singular-value
        subspace in PennyLane's ``qml.QSVT`` (then ``phases`` are the angles of
        :func:`wx_to_qsvt_angles` and the entry is the QSVT block at singular value ``x``).

    Returns
    -------
    numpy.ndarray (complex), the shape of ``x``
    """
    phi = np.asarray(phases, dtype=np.float64)
    if phi.ndim != 1 or phi.size == 0 or not np.all(np.isfinite(phi)):
        raise ValueError(f"phases must be a non-empty finite 1-D array; got shape {phi.shape}")
    xa = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(xa)) or np.any(np.abs(xa) > 1.0):
        raise ValueError("x must lie in [-1, 1]")
    if signal not in ("wx", "reflection"):
        raise ValueError(f"signal must be 'wx' or 'reflection'; got {signal!r}")
    x_flat = xa.reshape(-1)
    # [[x, off], [off, last]]: W(x) or R(x).
    off = np.sqrt(1.0 - x_flat * x_flat) * (1j if signal == "wx" else 1.0)
    last = x_flat if signal == "wx" else -x_flat
    # First row (r0, r1) of the running product, right-multiplied by the signal and e^{i phi Z}.
    r0 = np.full(x_flat.shape, np.exp(1j * phi[0]))
    r1 = np.zeros(x_flat.shape, dtype=complex)
    for p in phi[1:]:
        r0, r1 = (
            (x_flat * r0 + off * r1) * np.exp(1j * p),
            (off * r0 + last * r1) * np.exp(-1j * p),
        )
    return r0.reshape(xa.shape)


def qsp_chebyshev_coefficients(phases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Chebyshev coefficients of :math:`p = \operatorname{Re}` and :math:`f = \operatorname{Im}`
    of :math:`\langle 0|U(x,\Phi)|0\rangle` (any phases).

    The entry is evaluated by :func:`qsp_unitary_entry` at the :math:`d + 1` Chebyshev–Gauss nodes
    and transformed back by one DCT-II (exact up to rounding: both parts have degree
    :math:`\le d`).

    Parameters
    ----------
    phases : array_like, shape (d + 1,)

    Returns
    -------
    tuple of numpy.ndarray, each shape (d + 1,)
        ``(p_coeffs, f_coeffs)``. With the angles of :func:`wx_to_qsvt_angles` the QSVT block is
        :math:`f(A) - i\,p(A)`.
    """
    phi = np.asarray(phases, dtype=np.float64)
    n = phi.size
    theta = (2.0 * np.arange(n) + 1.0) * np.pi / (2.0 * n)
    entry = qsp_unitary_entry(phi, np.cos(theta))
    out = []
    for part in (entry.real, entry.imag):
        c = dct(part, type=2) / n
        c[0] *= 0.5
        out.append(c)
    return out[0], out[1]


def wx_to_qsvt_angles(phases: np.ndarray) -> np.ndarray:
    r"""Angles for PennyLane's ``qml.QSVT`` with ``qml.PCPhase`` projectors from :math:`W_x` phases.

    PennyLane's QSVT interleaves ``PCPhase(theta_k)`` (:math:`e^{i\theta_k(2\Pi - I)}`, i.e.
    :math:`e^{i\theta_k Z}` on each singular-value subspace) with the block encoding, which acts
    there as the reflection :math:`R(x) = \begin{pmatrix} x & \sqrt{1-x^2}\\ \sqrt{1-x^2} & -x
    \end{pmatrix}` (arXiv:2105.02859, Appendix A.2). Since
    :math:`R(x) = -i\, e^{i\pi Z/4}\, W(x)\, e^{i\pi Z/4}` and :math:`e^{i\pi Z} = -I`, the angles

    .. math::

        \theta_0 = \phi_0 - \bigl(2 + (d+1) \bmod 4\bigr)\tfrac{\pi}{2}, \quad
        \theta_j = \phi_j + \tfrac{\pi}{2}\ (0 < j < d), \quad
        \theta_d = \phi_d - \tfrac{\pi}{2}

    (:math:`\theta_0 = \phi_0 - \pi/2` when :math:`d = 0`) turn the scalar sequence into
    :math:`-i\,\langle 0|U(x,\Phi)|0\rangle = f(x) - i\,p(x)`. For :math:`d \ge 1` they equal
    PennyLane's ``transform_angles(phi_re, "QSP", "QSVT")`` of its real-part QSP phases
    ``phi_re = phases - pi/4 * (e_0 + e_d)`` (whose single-angle case does not apply).

    So for Hermitian :math:`A` (:math:`\|A\| \le 1`) block-encoded by ``qml.BlockEncode`` the
    QSVT top-left block is :math:`f(A) - i\,p(A)` with angles :math:`\theta` and
    :math:`f(A) + i\,p(A)` with :math:`-\theta` (the complex-conjugate sequence: the block
    encoding is real on each subspace); their average is :math:`f(A)`.

    Parameters
    ----------
    phases : array_like, shape (d + 1,)
        :math:`W_x` phases (e.g. from :func:`~pennylane_qsgd.core.phase_angles.qsp_phases`).

    Returns
    -------
    numpy.ndarray, shape (d + 1,)
        ``angles`` for ``[qml.PCPhase(a, dim, wires) for a in angles]`` in PennyLane's order.
    """
    phi = np.asarray(phases, dtype=np.float64)
    if phi.ndim != 1 or phi.size == 0 or not np.all(np.isfinite(phi)):
        raise ValueError(f"phases must be a non-empty finite 1-D array; got shape {phi.shape}")
    d = phi.size - 1
    if d == 0:
        return phi - np.pi / 2
    theta = phi + np.pi / 2
    theta[0] = phi[0] - (2 + (d + 1) % 4) * np.pi / 2
    theta[-1] = phi[-1] - np.pi / 2
    return theta
