"""Spectral norms of the (possibly large, sparse) coefficient matrices."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

# Below this many entries a dense SVD is both cheap and more reliable than ARPACK.
_DENSE_ENTRIES = 1_000_000


def spectral_norm(matrix: sp.sparray | sp.spmatrix | np.ndarray) -> float:
    """Largest singular value :math:`\\|M\\|_2` (real or complex); the Euclidean norm for a vector.

    Dense SVD for matrices up to 10^6 entries or with one dimension below 3, otherwise ARPACK
    (``scipy.sparse.linalg.svds``, ``k = 1``). Returns 0 for an all-zero matrix.
    """
    if sp.issparse(matrix):
        mat = sp.csr_array(matrix, dtype=np.result_type(matrix.dtype, np.float64))
        if mat.nnz == 0:
            return 0.0
        if min(mat.shape) == 1:
            return float(np.linalg.norm(mat.data))
    else:
        mat = np.asarray(matrix)
        mat = mat.astype(np.result_type(mat.dtype, np.float64), copy=False)
        if mat.ndim <= 1:
            return float(np.linalg.norm(mat))
        if mat.ndim != 2:
            raise ValueError(f"matrix must be 1-D or 2-D; got shape {mat.shape}")
        if not np.any(mat):
            return 0.0
    rows, cols = mat.shape
    if rows * cols > _DENSE_ENTRIES and min(rows, cols) >= 3:
        sigma = spla.svds(mat, k=1, return_singular_vectors=False, random_state=0)
        return float(sigma[0])
    dense = mat.toarray() if sp.issparse(mat) else mat
    return float(np.linalg.norm(dense, 2))


def max_forcing_norm(F0: np.ndarray) -> float:
    """:math:`\\max_t \\|F_0(t)\\|` over the pieces of a piecewise-constant forcing, shape (K, s)."""
    return float(np.max(np.linalg.norm(np.atleast_2d(F0), axis=1)))
