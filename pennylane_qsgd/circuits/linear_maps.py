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

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.fft
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from pennylane_qsgd.core.norms import spectral_norm

MatVec = Callable[[np.ndarray], np.ndarray]

# Chebyshev tail below which the series of sqrt(1 - x) is considered converged (relative).
_SQRT_TOL = 1e-15
# Degree cap of that series; beyond it the spectrum is too close to 1 for a polynomial.
_SQRT_MAX_DEGREE = 1 << 14


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


def _chebyshev_from_first_kind_nodes(values: np.ndarray) -> np.ndarray:
    """Chebyshev coefficients of the degree ``< M`` interpolant through ``M`` first-kind nodes."""
    count = values.shape[0]
    coeffs = scipy.fft.dct(values.real, type=2) + 1j * scipy.fft.dct(values.imag, type=2)
    coeffs /= count
    coeffs[0] /= 2
    return coeffs


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
    top_coeffs = _chebyshev_from_first_kind_nodes(top)
    bottom_coeffs = _chebyshev_from_first_kind_nodes(bottom / s)
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


def _sqrt_complement_series(rho2: float) -> np.ndarray:
    """Chebyshev series of :math:`\\sqrt{1 - x}` on :math:`x \\in [0, \\rho^2]` in ``t = 2x/rho2 - 1``."""

    count = 32
    while True:
        t = np.cos(np.pi * (np.arange(count) + 0.5) / count)
        values = np.sqrt(np.maximum(1.0 - 0.5 * rho2 * (t + 1.0), 0.0))
        coeffs = _chebyshev_from_first_kind_nodes(values).real
        tail = np.max(np.abs(coeffs[-count // 8 :]))
        if tail <= _SQRT_TOL or count >= _SQRT_MAX_DEGREE:
            break
        count *= 2
    if tail > 100 * _SQRT_TOL:
        raise ValueError(
            f"the block-encoded matrix has norm {np.sqrt(rho2):.12g}, too close to 1 for a "
            "polynomial square root; use a subnormalisation alpha a little above ||M||"
        )
    # Drop the converged tail (below rounding) so the recurrence is not longer than needed.
    keep = np.flatnonzero(np.abs(coeffs) > _SQRT_TOL * 1e-2)
    return coeffs[: keep[-1] + 1]


def complement_sqrt(
    apply: MatVec, apply_adjoint: MatVec, vectors: np.ndarray, norm_bound: float
) -> np.ndarray:
    """:math:`\\sqrt{I - X^\\dagger X}\\, v` by a Chebyshev series in :math:`X^\\dagger X`.

    Parameters
    ----------
    apply, apply_adjoint : callable
        Products with :math:`X` and :math:`X^\\dagger`.
    vectors : ndarray, shape (n,) or (n, k)
    norm_bound : float
        Upper bound :math:`\\rho \\ge \\|X\\|`, ``rho < 1``. The series is accurate to ~1e-15
        relative on :math:`[0, \\rho^2]`; its length grows like :math:`1/\\sqrt{1-\\rho}`.

    Raises
    ------
    ValueError
        If ``norm_bound`` is not in (0, 1) or so close to 1 that the series does not converge.
    """
    rho2 = float(norm_bound) ** 2
    if not 0.0 < rho2 < 1.0:
        raise ValueError(f"norm_bound must lie in (0, 1); got {norm_bound}")
    coeffs = _sqrt_complement_series(rho2)
    v = np.asarray(vectors)
    scale = 2.0 / rho2

    def t_op(x: np.ndarray) -> np.ndarray:
        return scale * apply_adjoint(apply(x)) - x

    # Clenshaw in t(X^dagger X), a Hermitian operator with spectrum in [-1, 1].
    b1 = np.zeros(v.shape, dtype=np.result_type(v.dtype, np.float64))
    b2 = np.zeros_like(b1)
    for ck in coeffs[:0:-1]:
        b1, b2 = ck * v + 2.0 * t_op(b1) - b2, b1
    return coeffs[0] * v + t_op(b1) - b2


#: Spectral norm of a real or complex matrix (dense SVD or ARPACK): the core's.
matrix_norm = spectral_norm


def norm_lower_bound(matrix: sp.sparray | np.ndarray, iterations: int = 30, seed: int = 0) -> float:
    """A lower bound on :math:`\\|M\\|_2`: power iteration on :math:`M^\\dagger M` (Rayleigh quotients).

    Every iterate :math:`x` gives :math:`\\|Mx\\|/\\|x\\| \\le \\|M\\|`; also at least the largest
    column norm.
    """
    mat = sp.csr_array(matrix)
    col = float(np.sqrt(np.max(np.asarray(abs(mat).power(2).sum(axis=0)).ravel())))
    x = np.random.default_rng(seed).standard_normal(mat.shape[1])
    best = 0.0
    for _ in range(iterations):
        x /= np.linalg.norm(x)
        y = mat @ x
        best = max(best, float(np.linalg.norm(y)))
        x = mat.conj().T @ y
        if not np.any(x):
            break
    return max(best, col)


def smallest_singular_value(matrix: sp.sparray | np.ndarray) -> float:
    """:math:`\\sigma_{\\min}(M)` of a square invertible sparse matrix: :math:`1/\\|M^{-1}\\|_2`.

    ARPACK on :math:`M^{-1}` applied through one sparse LU factorisation (natural ordering: a
    triangular ``M``, like the Euler matrix, has no fill-in). Accurate to rounding.
    """
    csc = sp.csc_array(matrix)
    n = csc.shape[0]
    lu = spla.splu(csc, permc_spec="NATURAL")
    inverse = spla.LinearOperator(
        (n, n),
        matvec=lu.solve,
        rmatvec=lambda x: lu.solve(x, trans="H"),
        dtype=csc.dtype,
    )
    if n <= 2:
        return float(np.linalg.svd(csc.toarray(), compute_uv=False)[-1])
    sigma = spla.svds(inverse, k=1, return_singular_vectors=False, rng=0)
    return float(1.0 / sigma[0])


def sparse_operator(matrix: sp.sparray | np.ndarray, scale: float = 1.0) -> tuple[MatVec, MatVec]:
    """``(apply, apply_adjoint)`` of ``matrix / scale`` as CSR products.

    The matrix is scaled once. A real matrix acts on complex vectors through their interleaved
    real view (no complex copy of the matrix per product).
    """
    csr = sp.csr_array(matrix) * (1.0 / float(scale))
    csr_h = sp.csr_array(csr.conj().T)
    real = not np.iscomplexobj(csr.data)

    def product(mat: sp.csr_array) -> MatVec:
        def apply(x: np.ndarray) -> np.ndarray:
            if real and np.iscomplexobj(x):
                xc = np.ascontiguousarray(x, dtype=np.complex128)
                flat = xc.reshape(xc.shape[0], -1).view(np.float64)
                return np.ascontiguousarray(mat @ flat).view(np.complex128).reshape(xc.shape)
            return mat @ x

        return apply

    return product(csr), product(csr_h)


def dilation_square_roots(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """:math:`\\sqrt{I - XX^\\dagger}`, :math:`\\sqrt{I - X^\\dagger X}` and :math:`\\|X\\|_2` from one SVD.

    With :math:`X = W \\Sigma V^\\dagger`: :math:`W\\sqrt{I - \\Sigma^2}W^\\dagger` and
    :math:`V\\sqrt{I - \\Sigma^2}V^\\dagger` (singular values above 1 by rounding clipped), the
    off-diagonal blocks of the unitary dilation (:func:`~.block_encoding.unitary_dilation`).

    Parameters
    ----------
    matrix : ndarray, shape (n, n)
        Dense :math:`X`, :math:`\\|X\\| \\le 1` up to rounding.
    """
    W, sigma, Vh = np.linalg.svd(matrix)
    comp = np.sqrt(np.clip(1.0 - sigma**2, 0.0, None))
    return (W * comp) @ W.conj().T, (Vh.conj().T * comp) @ Vh, float(sigma[0])


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


class EncodedMatrix:
    """The encoded block :math:`X = M/\\alpha` of a dense block encoding, as sparse products.

    Offers the four blocks of the dilation :math:`U_M` (:mod:`.block_encoding`) applied to vectors:
    :math:`X`, :math:`X^\\dagger`, :math:`\\sqrt{I - XX^\\dagger}` and :math:`\\sqrt{I - X^\\dagger X}`,
    the square roots by :func:`complement_sqrt` (or one dense SVD, :func:`dilation_square_roots`, when
    :math:`\\|X\\| = 1` to rounding and the matrix is small).

    Parameters
    ----------
    matrix : sparse or dense, shape (n, n)
    alpha : float
        Subnormalisation, :math:`\\ge \\|M\\|`.
    norm : float, optional
        :math:`\\|M\\|_2` if known (else computed).
    """

    _DENSE_FALLBACK = 4096

    def __init__(self, matrix: sp.sparray | np.ndarray, alpha: float, norm: float | None = None):
        self.csr = sp.csr_array(matrix)
        self.alpha = float(alpha)
        self.apply, self.apply_adjoint = sparse_operator(self.csr, self.alpha)
        self.norm = float(matrix_norm(self.csr) if norm is None else norm)
        # ARPACK/dense SVD are accurate to rounding; keep the Chebyshev interval just above it.
        self.rho = min(self.norm / self.alpha * (1.0 + 1e-9), 1.0)
        # Dense square roots by side, once the series has failed: a QSVT calls them 2d times.
        self._dense_roots: dict[bool, np.ndarray] = {}

    def _sqrt(self, adjoint_side: bool, vectors: np.ndarray) -> np.ndarray:
        root = self._dense_roots.get(adjoint_side)
        if root is None:
            apply, apply_adjoint = (
                (self.apply_adjoint, self.apply)
                if adjoint_side
                else (self.apply, self.apply_adjoint)
            )
            try:
                return complement_sqrt(apply, apply_adjoint, vectors, self.rho)
            except ValueError:
                if self.csr.shape[0] > self._DENSE_FALLBACK:
                    raise
            # One SVD for both sides, as the gate-level dilation computes them.
            left, right, _ = dilation_square_roots(self.csr.toarray() / self.alpha)
            self._dense_roots = {True: left, False: right}
            root = self._dense_roots[adjoint_side]
        v = np.asarray(vectors)
        return (root @ v.reshape(v.shape[0], -1)).reshape(v.shape)

    def sqrt_right(self, vectors: np.ndarray) -> np.ndarray:
        """:math:`\\sqrt{I - X^\\dagger X}\\, v` (the lower-left block of :math:`U_M`)."""
        return self._sqrt(False, vectors)

    def sqrt_left(self, vectors: np.ndarray) -> np.ndarray:
        """:math:`\\sqrt{I - X X^\\dagger}\\, v` (the upper-right block of :math:`U_M`)."""
        return self._sqrt(True, vectors)

    def dilation_apply(self, upper: np.ndarray, lower: np.ndarray, adjoint: bool = False):
        """:math:`U_M` (or :math:`U_M^\\dagger`) on :math:`|0\\rangle u + |1\\rangle l`.

        Returns the new ``(upper, lower)`` blocks.
        """
        if adjoint:
            return (
                self.apply_adjoint(upper) + self.sqrt_right(lower),
                self.sqrt_left(upper) - self.apply(lower),
            )
        return (
            self.apply(upper) + self.sqrt_left(lower),
            self.sqrt_right(upper) - self.apply_adjoint(lower),
        )


__all__ = [
    "complement_sqrt",
    "dilation_square_roots",
    "EncodedMatrix",
    "matrix_norm",
    "MatVec",
    "norm_lower_bound",
    "qsvt_response",
    "QSVTResponse",
    "real_part_qsvt",
    "RealPartOutput",
    "singular_value_transform",
    "smallest_singular_value",
    "sparse_operator",
]
