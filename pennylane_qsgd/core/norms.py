"""Spectral norms of the (possibly large, sparse) coefficient matrices."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

# Below this many entries a dense SVD is cheaper and more reliable than ARPACK.
_DENSE_LIMIT = 250_000


def spectral_norm(matrix: sp.sparray | sp.spmatrix | np.ndarray) -> float:
    """Largest singular value :math:`\\|M\\|_2` of a matrix.

    Parameters
    ----------
    matrix : sparse or dense matrix, shape (a, b)

    Returns
    -------
    float
        The spectral norm; 0 for an all-zero matrix.
    """
    if sp.issparse(matrix):
        if matrix.nnz == 0:
            return 0.0
        if matrix.shape[0] * matrix.shape[1] <= _DENSE_LIMIT or min(matrix.shape) < 3:
            return float(np.linalg.norm(matrix.toarray(), 2))
        sigma = spla.svds(
            sp.csr_array(matrix, dtype=np.float64),
            k=1,
            which="LM",
            return_singular_vectors=False,
            random_state=0,
        )
        return float(sigma[0])
    arr = np.atleast_2d(np.asarray(matrix, dtype=np.float64))
    if arr.size == 0 or not np.any(arr):
        return 0.0
    return float(np.linalg.norm(arr, 2))


def max_forcing_norm(F0: np.ndarray) -> float:
    """:math:`\\max_t \\|F_0(t)\\|` over the pieces of a piecewise-constant forcing, shape (K, s)."""
    return float(np.max(np.linalg.norm(np.atleast_2d(F0), axis=1)))
