"""Condition number of the Euler–Carleman system, the quantity that sets the linear solver's cost.

Lemma 3 of arXiv:2011.03185 bounds :math:`\\kappa(L) \\le 3(m+p+1)`; these functions measure it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

# Above this many rows a dense SVD is replaced by power iterations.
DENSE_LIMIT = 3000


@dataclass(frozen=True)
class ConditionNumber:
    """A measured condition number.

    Attributes
    ----------
    kappa : float
        :math:`\\sigma_{\\max}(L) / \\sigma_{\\min}(L)`.
    sigma_max, sigma_min : float
    method : str
        ``"dense"`` (exact SVD) or ``"power"`` (power iterations on :math:`L^T L` and on
        :math:`(L^T L)^{-1}` through a triangular factorisation; both extremes are approached from
        inside, so ``kappa`` is a lower estimate that tightens with ``iterations``).
    """

    kappa: float
    sigma_max: float
    sigma_min: float
    method: str


def condition_number(
    L: sp.sparray | np.ndarray, iterations: int = 60, seed: int = 0
) -> ConditionNumber:
    """The 2-norm condition number of a square, invertible matrix.

    Parameters
    ----------
    L : sparse or dense matrix, shape (n, n)
    iterations : int
        Power iterations for each extreme singular value when ``n > DENSE_LIMIT``.
    seed : int
        Seed of the random start vectors.
    """
    n = L.shape[0]
    if L.shape != (n, n):
        raise ValueError(f"L must be square; got shape {L.shape}")
    if n <= DENSE_LIMIT:
        dense = L.toarray() if sp.issparse(L) else np.asarray(L, dtype=np.float64)
        sv = np.linalg.svd(dense, compute_uv=False)
        return ConditionNumber(float(sv[0] / sv[-1]), float(sv[0]), float(sv[-1]), "dense")
    matrix = sp.csc_array(L, dtype=np.float64)
    # Natural ordering keeps a triangular L triangular (no fill-in).
    lu = spla.splu(matrix, permc_spec="NATURAL")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    y = rng.standard_normal(n)
    sigma_max2 = sigma_min_inv2 = 0.0
    for _ in range(iterations):
        x /= np.linalg.norm(x)
        x = matrix.T @ (matrix @ x)
        sigma_max2 = float(np.linalg.norm(x))
        y /= np.linalg.norm(y)
        y = lu.solve(lu.solve(y), trans="T")
        sigma_min_inv2 = float(np.linalg.norm(y))
    sigma_max = np.sqrt(sigma_max2)
    sigma_min = 1.0 / np.sqrt(sigma_min_inv2)
    return ConditionNumber(
        float(sigma_max / sigma_min), float(sigma_max), float(sigma_min), "power"
    )
