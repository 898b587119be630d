"""Extreme eigenvalues of a symmetric operator from a short Lanczos run (a few products)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.linalg as sla


def lanczos_extremes(
    matvec: Callable[[np.ndarray], np.ndarray], dim: int, steps: int = 12, seed: int = 0
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
        Seed of the random start vector.
    """
    if dim < 1 or steps < 1:
        raise ValueError(f"dim and steps must be positive; got dim={dim}, steps={steps}")
    steps = min(steps, dim)
    rng = np.random.default_rng(seed)
    basis = np.empty((steps, dim))
    v = rng.standard_normal(dim)
    basis[0] = v / np.linalg.norm(v)
    alpha, beta = [], []
    for k in range(steps):
        w = np.asarray(matvec(basis[k]), dtype=np.float64)
        alpha.append(float(basis[k] @ w))
        w -= basis[: k + 1].T @ (basis[: k + 1] @ w)  # re-orthogonalise against the whole basis
        w -= basis[: k + 1].T @ (basis[: k + 1] @ w)
        b = float(np.linalg.norm(w))
        if k + 1 == steps or b <= 1e-12 * max(abs(alpha[-1]), 1.0):
            break
        beta.append(b)
        basis[k + 1] = w / b
    ritz = sla.eigvalsh_tridiagonal(np.array(alpha), np.array(beta[: len(alpha) - 1]))
    return float(ritz[0]), float(ritz[-1])
