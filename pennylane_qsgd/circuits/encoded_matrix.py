"""The four blocks of a dense block encoding's dilation, applied by sparse products.

:class:`EncodedMatrix` is the classical twin of :class:`~.block_encoding.DenseBlockEncoding`
(and of :class:`~.dense_encoding.DenseEulerEncoding`): :math:`X = M/\\alpha`, :math:`X^\\dagger`
and the complements :math:`\\sqrt{I - XX^\\dagger}`, :math:`\\sqrt{I - X^\\dagger X}`, the latter by
a Chebyshev series in :math:`X^\\dagger X` (:func:`complement_sqrt`), never forming a matrix
function.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from pennylane_qsgd.circuits.matrix_functions import (
    MatVec,
    chebyshev_from_first_kind_nodes,
    dilation_square_roots,
    matrix_norm,
    sparse_operator,
)

# Chebyshev tail below which the series of sqrt(1 - x) is considered converged (relative).
_SQRT_TOL = 1e-15


# Degree cap of that series; beyond it the spectrum is too close to 1 for a polynomial.
_SQRT_MAX_DEGREE = 1 << 14


def _sqrt_complement_series(rho2: float) -> np.ndarray:
    """Chebyshev series of :math:`\\sqrt{1 - x}` on :math:`x \\in [0, \\rho^2]` in ``t = 2x/rho2 - 1``."""

    count = 32
    while True:
        t = np.cos(np.pi * (np.arange(count) + 0.5) / count)
        values = np.sqrt(np.maximum(1.0 - 0.5 * rho2 * (t + 1.0), 0.0))
        coeffs = chebyshev_from_first_kind_nodes(values).real
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


__all__ = ["EncodedMatrix", "complement_sqrt"]
