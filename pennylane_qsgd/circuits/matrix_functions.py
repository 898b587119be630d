"""Matrix-free building blocks of the classical twins: sparse products, norms, Chebyshev nodes.

The twins (:mod:`.linear_maps`, :mod:`.encoded_matrix`) apply block-encoded matrices through
:func:`sparse_operator` products only; :func:`norm_lower_bound` and
:func:`smallest_singular_value` give the subnormalisation and condition-number policy its
numbers without a dense SVD.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.fft
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from pennylane_qsgd.core.norms import spectral_norm

MatVec = Callable[[np.ndarray], np.ndarray]


def chebyshev_from_first_kind_nodes(values: np.ndarray) -> np.ndarray:
    """Chebyshev coefficients of the degree ``< M`` interpolant through ``M`` first-kind nodes."""
    count = values.shape[0]
    coeffs = scipy.fft.dct(values.real, type=2) + 1j * scipy.fft.dct(values.imag, type=2)
    coeffs /= count
    coeffs[0] /= 2
    return coeffs


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


__all__ = [
    "MatVec",
    "chebyshev_from_first_kind_nodes",
    "dilation_square_roots",
    "matrix_norm",
    "norm_lower_bound",
    "smallest_singular_value",
    "sparse_operator",
]
