"""Symmetric Lanczos tridiagonalisation and the extreme Ritz values of a short run."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.linalg as sla

Matvec = Callable[[np.ndarray], np.ndarray]


def _positive(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {name}={value!r}")
    return int(value)


def _apply(matvec: Matvec, v: np.ndarray, n: int) -> np.ndarray:
    w = np.asarray(matvec(v), dtype=np.float64).reshape(-1)
    if w.shape != (n,):
        raise ValueError(f"matvec returned shape {w.shape}; expected ({n},)")
    return w


def lanczos(
    matvec: Matvec,
    dim: int,
    steps: int,
    v0: np.ndarray | None = None,
    reorthogonalize: bool = True,
    seed: int | None = 0,
    basis_dtype: type | np.dtype = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric Lanczos tridiagonalisation of ``matvec`` from ``v0``.

    Builds an orthonormal basis :math:`V_m` of the Krylov space
    :math:`\\mathcal{K}_m(A, v_0)` with :math:`V_m^T A V_m = T_m`, tridiagonal with diagonal
    ``alpha`` and off-diagonal ``beta``.

    Parameters
    ----------
    matvec : callable
        ``v (dim,) -> A v (dim,)`` for a symmetric ``A``.
    dim : int
        ``n``.
    steps : int
        Number of Lanczos steps ``m`` (clipped to ``dim``). The iteration stops earlier when the
        Krylov space becomes invariant (``beta`` below ``1e-10 ||A||`` estimate).
    v0 : numpy.ndarray, shape (dim,), optional
        Starting vector (normalised internally); a Rademacher vector drawn with ``seed`` if
        omitted.
    reorthogonalize : bool
        Full re-orthogonalisation against the stored basis (twice, classical Gram-Schmidt), which
        keeps the Ritz values free of spurious copies; costs ``O(m n)`` memory.
    seed : int, optional
        Seed for ``v0`` when it is not given.
    basis_dtype : numpy dtype
        Storage type of the basis (``float32`` halves the memory for very large ``n``).

    Returns
    -------
    alpha : numpy.ndarray, shape (k,)
        Diagonal of :math:`T_k`, ``k <= steps``.
    beta : numpy.ndarray, shape (k - 1,)
        Off-diagonal of :math:`T_k` (positive).
    """
    n = _positive(dim, "dim")
    m = min(_positive(steps, "steps"), n)
    if v0 is None:
        v = np.random.default_rng(seed).choice([-1.0, 1.0], size=n)
    else:
        v = np.asarray(v0, dtype=np.float64).reshape(-1)
        if v.shape != (n,):
            raise ValueError(f"v0 must have shape ({n},); got {np.shape(v0)}")
    norm = np.linalg.norm(v)
    if not np.isfinite(norm) or norm == 0.0:
        raise ValueError("v0 must be a finite non-zero vector")
    v = v / norm
    basis = np.empty((m, n), dtype=basis_dtype) if reorthogonalize else None
    alpha: list[float] = []
    beta: list[float] = []
    v_prev = np.zeros(n)
    b_prev = 0.0
    scale = 0.0
    for j in range(m):
        if basis is not None:
            basis[j] = v
        w = _apply(matvec, v, n)
        a = float(v @ w)
        alpha.append(a)
        w = w - a * v - b_prev * v_prev
        if basis is not None:
            block = basis[: j + 1]
            for _ in range(2):
                coeffs = block @ w.astype(block.dtype, copy=False)
                w -= (block.T @ coeffs).astype(np.float64, copy=False)
        b = float(np.linalg.norm(w))
        scale = max(scale, abs(a), b)
        if j == m - 1 or b <= 1e-10 * scale:
            break
        beta.append(b)
        v_prev, v, b_prev = v, w / b, b
    return np.asarray(alpha), np.asarray(beta)


def lanczos_extremes(
    matvec: Matvec, dim: int, steps: int = 12, seed: int = 0
) -> tuple[float, float]:
    """Smallest and largest Ritz values after ``steps`` Lanczos steps (full re-orthogonalisation).

    The Ritz values lie inside the spectrum and approach its ends quickly, so with a dozen
    products they serve as estimates of :math:`\\lambda_{\\min}` and :math:`\\lambda_{\\max}`
    (from inside: ``lambda_min`` is over-, ``lambda_max`` under-estimated).

    Parameters
    ----------
    matvec : callable
        ``v (dim,) -> A v (dim,)`` for a symmetric ``A``.
    dim : int
    steps : int
        Number of products (clipped to ``dim``).
    seed : int
        Seed of the Gaussian start vector.
    """
    n = _positive(dim, "dim")
    v0 = np.random.default_rng(seed).standard_normal(n)
    alpha, beta = lanczos(matvec, n, steps, v0=v0)
    ritz = sla.eigvalsh_tridiagonal(alpha, beta)
    return float(ritz[0]), float(ritz[-1])


def ritz_extremes(
    basis: np.ndarray, products: np.ndarray, rtol: float = 1e-6
) -> tuple[float, float] | None:
    """Smallest and largest Ritz values of a symmetric ``A`` on the span of given vectors.

    Rayleigh-Ritz with products already computed (for instance the Hessian-vector products of
    Euler steps, whose directions span a Krylov space of the gradient), so no new product is
    needed. Like :func:`lanczos_extremes`, the values lie inside the spectrum.

    Parameters
    ----------
    basis : ndarray, shape (k, n)
        Vectors spanning the subspace (any scaling, possibly nearly dependent).
    products : ndarray, shape (k, n)
        ``A`` applied to each row of ``basis``.
    rtol : float
        Singular values of ``basis`` below ``rtol`` times the largest are dropped.

    Returns
    -------
    (float, float) or None
        The extremes, or None when the vectors span nothing (all zero or non-finite).
    """
    V = np.atleast_2d(np.asarray(basis, dtype=float))
    W = np.atleast_2d(np.asarray(products, dtype=float))
    if V.size == 0 or not (np.isfinite(V).all() and np.isfinite(W).all()):
        return None
    # Orthonormal basis Q = V^T Z S^-1 from the small Gram matrix (k x k, k << n).
    gram = V @ V.T
    evals, Z = np.linalg.eigh(gram)
    keep = evals > (rtol**2) * max(float(evals[-1]), 0.0)
    if not keep.any():  # includes a Gram matrix with no positive eigenvalue (all zero)
        return None
    C = Z[:, keep] / np.sqrt(evals[keep])
    projected = C.T @ (V @ W.T) @ C
    ritz = np.linalg.eigvalsh(0.5 * (projected + projected.T))
    return float(ritz[0]), float(ritz[-1])
