"""The exact linear maps the circuit templates implement, applied with sparse matrix-vector products.

These are the classical twins of the templates: the device's native kernels and the templates'
metadata (success probabilities) use them, and the tests check them against ``qml.matrix`` of the
gate decompositions.

QSVT response of a phase sequence
---------------------------------
For a block encoding :math:`U` of :math:`\\tilde A = \\Pi U \\Pi` with singular value decomposition
:math:`\\tilde A = \\sum_i \\sigma_i |w_i\\rangle\\langle v_i|`, Jordan's lemma splits the space into
invariant planes on which :math:`U` acts as the reflection
:math:`R(\\sigma) = \\begin{pmatrix}\\sigma & \\sqrt{1-\\sigma^2}\\\\ \\sqrt{1-\\sigma^2} & -\\sigma
\\end{pmatrix}` (Gilyén, Su, Low, Wiebe, arXiv:1806.01838, Theorem 17) and
:math:`e^{i\\phi(2\\Pi - I)}` as :math:`\\mathrm{diag}(e^{i\\phi}, e^{-i\\phi})`. PennyLane's QSVT
sequence of ``d + 1`` phases (``qml.QSVT``: :math:`\\Pi_{\\phi_0}` first, then :math:`U`,
:math:`\\Pi_{\\phi_1}`, :math:`U^\\dagger`, ...) therefore maps, for odd ``d``,

.. math::

    |0\\rangle|\\psi\\rangle \\mapsto |0\\rangle\\, P^{(SV)}(\\tilde A)|\\psi\\rangle
    + (I - \\Pi)\\, U\\, |0\\rangle\\, Q(\\tilde A^\\dagger \\tilde A)|\\psi\\rangle,

with :math:`P` (parity ``d``) the top-left entry of the product of the 2x2 matrices and
:math:`\\sqrt{1-\\sigma^2}\\,Q(\\sigma)` (parity ``d - 1``) its bottom-left entry.
:func:`qsvt_response` returns both as Chebyshev series; :func:`singular_value_transform` applies
them by a Clenshaw recurrence on matrix-vector products with :math:`\\tilde A` and
:math:`\\tilde A^\\dagger`, never forming a matrix function.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pennylane_qsgd.circuits.matrix_functions import MatVec, chebyshev_from_first_kind_nodes


@dataclass(frozen=True)
class QSVTResponse:
    """The two polynomials of a QSVT phase sequence, as Chebyshev series in :math:`\\sigma`.

    Attributes
    ----------
    top : ndarray of complex, shape (d + 1,)
        Chebyshev coefficients of :math:`P(\\sigma)`, the encoded block after the sequence.
    bottom : ndarray of complex, shape (d,) or (1,)
        Chebyshev coefficients of :math:`Q(\\sigma)`; the amplitude left outside the block is
        :math:`\\sqrt{1-\\sigma^2}\\, Q(\\sigma)`.
    degree : int
        ``d``, the number of block-encoding calls.
    """

    top: np.ndarray
    bottom: np.ndarray
    degree: int

    def conjugate(self) -> QSVTResponse:
        """Response of the negated phases :math:`-\\phi`: both polynomials conjugated."""
        return QSVTResponse(np.conj(self.top), np.conj(self.bottom), self.degree)

    def rotated(self, gamma: float) -> QSVTResponse:
        """Response multiplied by the global phase :math:`e^{i\\gamma}`."""
        phase = np.exp(1j * gamma)
        return QSVTResponse(phase * self.top, phase * self.bottom, self.degree)


def qsvt_response(angles: np.ndarray) -> QSVTResponse:
    """Polynomials :math:`P, Q` that PennyLane's QSVT sequence with ``angles`` implements.

    Parameters
    ----------
    angles : array_like, shape (d + 1,)
        Projector phases :math:`\\phi_0, \\dots, \\phi_d` in ``qml.QSVT``'s order (the first one acts
        first on the input).

    Returns
    -------
    QSVTResponse
        Exact up to rounding: the 2x2 products are evaluated at ``d + 1`` Chebyshev nodes and
        interpolated (the entries are polynomials of degree ``<= d``).
    """
    phis = np.asarray(angles, dtype=np.float64).reshape(-1)
    if phis.size < 2:
        raise ValueError(f"angles must hold at least 2 phases (degree >= 1); got {phis.size}")
    if not np.all(np.isfinite(phis)):
        raise ValueError("angles contain NaN or Inf")
    degree = phis.size - 1
    count = degree + 1
    x = np.cos(np.pi * (np.arange(count) + 0.5) / count)
    s = np.sqrt(1.0 - x * x)
    # First column of the 2x2 product, propagated through the sequence.
    top = np.full(count, np.exp(1j * phis[0]))
    bottom = np.zeros(count, dtype=np.complex128)
    for phi in phis[1:]:
        top, bottom = x * top + s * bottom, s * top - x * bottom
        top *= np.exp(1j * phi)
        bottom *= np.exp(-1j * phi)
    top_coeffs = chebyshev_from_first_kind_nodes(top)
    bottom_coeffs = chebyshev_from_first_kind_nodes(bottom / s)
    # Exact parities: P has the parity of d, Q the opposite one.
    top_coeffs[(degree + 1) % 2 :: 2] = 0.0
    bottom_coeffs[degree % 2 :: 2] = 0.0
    return QSVTResponse(top_coeffs, bottom_coeffs[: max(degree, 1)], degree)


def _parity(coeffs: np.ndarray) -> int:
    magnitude = np.abs(coeffs)
    if magnitude.ndim > 1:
        magnitude = magnitude.max(axis=tuple(range(1, magnitude.ndim)))
    nonzero = np.flatnonzero(magnitude > 0)
    if nonzero.size == 0:
        return 0
    parities = set((nonzero % 2).tolist())
    if len(parities) > 1:
        raise ValueError("a singular value transformation needs a polynomial of definite parity")
    return parities.pop()


def singular_value_transform(
    coeffs: np.ndarray, apply: MatVec, apply_adjoint: MatVec, vectors: np.ndarray
) -> np.ndarray:
    """Apply :math:`f^{(SV)}(X)` for a Chebyshev series ``f`` of definite parity (Clenshaw).

    For :math:`X = \\sum_i \\sigma_i |w_i\\rangle\\langle v_i|`, an odd ``f`` gives
    :math:`\\sum_i f(\\sigma_i) |w_i\\rangle\\langle v_i|` and an even ``f`` gives
    :math:`\\sum_i f(\\sigma_i) |v_i\\rangle\\langle v_i|`. The recurrence
    :math:`b_k = c_k v + 2 X_k b_{k+1} - b_{k+2}` alternates :math:`X_k \\in \\{X, X^\\dagger\\}` so
    that every :math:`b_k` stays in the space its parity belongs to; cost ``deg`` products.

    Parameters
    ----------
    coeffs : array_like, shape (deg + 1,) or (deg + 1, k)
        Chebyshev coefficients (complex allowed), only odd or only even ones non-zero; with a
        second axis, column ``j`` of ``vectors`` gets the series ``coeffs[:, j]``.
    apply, apply_adjoint : callable
        ``x -> X @ x`` and ``x -> X^dagger @ x`` on arrays of shape (n,) or (n, k).
    vectors : ndarray, shape (n,) or (n, k)

    Returns
    -------
    ndarray, same shape as ``vectors``
    """
    c = np.asarray(coeffs)
    parity = _parity(c)
    v = np.asarray(vectors)
    dtype = np.result_type(c.dtype, v.dtype, np.float64)
    deg = c.shape[0] - 1
    while deg > 0 and not np.any(c[deg]):
        deg -= 1
    if deg == 0:
        return (c[0] * v).astype(dtype) if parity == 0 else np.zeros_like(v, dtype=dtype)
    b1 = np.zeros(v.shape, dtype=dtype)  # b_{k+1}
    b2 = np.zeros(v.shape, dtype=dtype)  # b_{k+2}
    for k in range(deg, 0, -1):
        # b_k lives on the input side ("v" space) when k has the parity of f, else on the output.
        same = (k % 2) == parity
        step = apply_adjoint(b1) if same else apply(b1)
        bk = 2.0 * step - b2
        if same:
            bk = bk + c[k] * v
        b1, b2 = bk, b1
    if parity == 1:
        return apply(b1) - b2
    return c[0] * v + apply_adjoint(b1) - b2


@dataclass(frozen=True)
class RealPartOutput:
    """Output of the real-part QSVT circuit on inputs with the encoding ancillas in :math:`|0\\rangle`.

    With :math:`G(x) = (I - \\Pi) U |0\\rangle x` the part of one block-encoding call that leaves
    the encoded block, the state after the circuit is

    ``|0>_r [ |0>_a success + G(garbage_r0) ] + |1>_r [ |0>_a imaginary + G(garbage_r1) ]``.

    Attributes
    ----------
    success, imaginary : ndarray, shape (n,) or (n, k)
        Blocks on the encoding ancillas' :math:`|0\\rangle` for the real-part wire 0 and 1.
    garbage_r0, garbage_r1 : ndarray
        Vectors (input side of the encoded matrix) that :math:`G` maps to the rest of the state.
    """

    success: np.ndarray
    imaginary: np.ndarray
    garbage_r0: np.ndarray
    garbage_r1: np.ndarray


def real_part_qsvt(
    response: QSVTResponse,
    apply: MatVec,
    apply_adjoint: MatVec,
    psi_r0: np.ndarray,
    psi_r1: np.ndarray | None = None,
    target_phase: float = 0.0,
) -> RealPartOutput:
    """The real-part QSVT map (LCU of the sequences with phases :math:`\\pm\\phi`).

    The circuit is ``H_r``, the QSVT sequence with every projector phase controlled by the
    real-part wire ``r`` (phase :math:`+\\phi_k` on :math:`|0\\rangle_r`, :math:`-\\phi_k` on
    :math:`|1\\rangle_r`), ``RZ(-2 gamma)_r``, ``H_r``. The sequence with :math:`-\\phi` has the
    conjugate response, so with :math:`P_\\gamma = e^{i\\gamma} P`:

    .. math::

        |0\\rangle_r\\psi_0 + |1\\rangle_r\\psi_1 \\mapsto
        |0\\rangle_r\\,[\\operatorname{Re}P_\\gamma\\,\\psi_0 + i\\operatorname{Im}P_\\gamma\\,\\psi_1]
        + |1\\rangle_r\\,[i\\operatorname{Im}P_\\gamma\\,\\psi_0 + \\operatorname{Re}P_\\gamma\\,\\psi_1]

    (coefficient-wise real and imaginary parts, applied as singular value transforms of the
    encoded matrix :math:`X`), and likewise :math:`Q_\\gamma` for the garbage.

    Parameters
    ----------
    response : QSVTResponse
        Of the unsigned phase sequence (:func:`qsvt_response`); odd degree.
    apply, apply_adjoint : callable
        Products with the encoded matrix :math:`X` and :math:`X^\\dagger`.
    psi_r0, psi_r1 : ndarray, shape (n,)
        Input blocks on :math:`|0\\rangle_r|0\\rangle_a` and :math:`|1\\rangle_r|0\\rangle_a`.
    target_phase : float
        :math:`\\gamma`.
    """
    if response.degree % 2 != 1:
        raise ValueError(f"the real-part QSVT map needs an odd degree; got {response.degree}")
    rotated = response.rotated(target_phase)
    psi0 = np.asarray(psi_r0, dtype=np.complex128)
    shape = psi0.shape
    psi0 = psi0.reshape(shape[0], -1)
    if psi_r1 is None:
        stacked = psi0
    else:
        psi1 = np.asarray(psi_r1, dtype=np.complex128).reshape(psi0.shape)
        stacked = np.concatenate([psi0, psi1], axis=1)
    cols = psi0.shape[1]
    width = stacked.shape[1]
    # One recurrence for the real and the imaginary coefficients: columns [re | im].
    doubled = np.concatenate([stacked, stacked], axis=1)

    def parts(series: np.ndarray):
        coeffs = np.concatenate(
            [np.repeat(series.real[:, None], width, 1), np.repeat(series.imag[:, None], width, 1)],
            axis=1,
        )
        out = singular_value_transform(coeffs, apply, apply_adjoint, doubled)
        re, im = out[:, :width], out[:, width:]
        if psi_r1 is None:
            zero = np.zeros_like(re)
            return (re, zero), (im, zero)
        return (re[:, :cols], re[:, cols:]), (im[:, :cols], im[:, cols:])

    (top_re0, top_re1), (top_im0, top_im1) = parts(rotated.top)
    (bot_re0, bot_re1), (bot_im0, bot_im1) = parts(rotated.bottom)
    return RealPartOutput(
        success=(top_re0 + 1j * top_im1).reshape(shape),
        imaginary=(1j * top_im0 + top_re1).reshape(shape),
        garbage_r0=(bot_re0 + 1j * bot_im1).reshape(shape),
        garbage_r1=(1j * bot_im0 + bot_re1).reshape(shape),
    )


__all__ = [
    "qsvt_response",
    "QSVTResponse",
    "real_part_qsvt",
    "RealPartOutput",
    "singular_value_transform",
]
