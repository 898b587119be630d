"""The generator's parts for LCHS: :math:`-A = L_A + iH_A`, the log-norm and the dissipativity check.

Conventions of :mod:`~pennylane_qsgd.core.lchs` (An, Childs and Lin, arXiv:2312.03916): LCHS
needs :math:`L_A = -\\tfrac12(A + A^\\dagger) \\succeq 0`, that is a non-positive logarithmic norm
:math:`\\mu(A) = \\lambda_{\\max}((A + A^\\dagger)/2) \\le 0`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from pennylane_qsgd.core.norms import spectral_norm

DISSIPATIVE_ATOL = 1e-12
"""Largest eigenvalue of :math:`(A + A^\\dagger)/2` tolerated as zero, relative to :math:`\\|A\\|`."""


def hermitian_parts(A: np.ndarray | sp.sparray) -> tuple[np.ndarray, np.ndarray]:
    """:math:`(L_A, H_A)` with :math:`-A = L_A + iH_A` (module docstring), both dense Hermitian.

    Parameters
    ----------
    A : array_like or sparse, shape (n, n)

    Returns
    -------
    L_A, H_A : ndarray, shape (n, n), complex
    """
    dense = A.toarray() if sp.issparse(A) else np.asarray(A)
    if dense.ndim != 2 or dense.shape[0] != dense.shape[1]:
        raise ValueError(f"A must be a square matrix; got shape {dense.shape}")
    if not np.all(np.isfinite(dense)):
        raise ValueError("A contains NaN or Inf entries")
    dense = dense.astype(np.complex128)
    return -0.5 * (dense + dense.conj().T), 0.5j * (dense - dense.conj().T)


def log_norm(A: np.ndarray | sp.sparray) -> float:
    """Logarithmic 2-norm :math:`\\mu(A) = \\lambda_{\\max}((A + A^\\dagger)/2)`."""
    L, _ = hermitian_parts(A)
    return float(-np.linalg.eigvalsh(L)[0])


def check_dissipative(A: np.ndarray | sp.sparray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`hermitian_parts` of ``A`` if :math:`L_A \\succeq 0` (to :data:`DISSIPATIVE_ATOL`).

    Raises
    ------
    ValueError
        When the Hermitian part of ``A`` has a positive eigenvalue: LCHS needs
        :math:`\\mu(A) \\le 0`.
    """
    L, H = hermitian_parts(A)
    mu = float(-np.linalg.eigvalsh(L)[0])
    scale = max(1.0, spectral_norm(L + 1j * H))
    if mu > DISSIPATIVE_ATOL * scale:
        raise ValueError(
            f"A must have a non-positive log-norm (Hermitian part <= 0) for LCHS; got "
            f"lambda_max((A + A^dagger)/2) = {mu:.3e}"
        )
    return L, H


__all__ = ["DISSIPATIVE_ATOL", "check_dissipative", "hermitian_parts", "log_norm"]
