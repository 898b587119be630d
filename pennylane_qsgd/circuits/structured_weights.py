"""The LCU weights of the structured encoding of :math:`L` and its small factor encodings.

:func:`factor_norms` and :func:`factor_matrices` give the one- and two-factor matrices
(:math:`F_1, F_2, F_0`) with their subnormalisations; :func:`lcu_weights`,
:func:`prepare_vectors` and :func:`subnormalisation` the PREPARE state and :math:`\\lambda` of the
LCU over the terms of :func:`~.structured_plan.structured_layout`.
"""

from __future__ import annotations

import numpy as np

from pennylane_qsgd.circuits.structured_plan import StructuredLayout
from pennylane_qsgd.core.norms import spectral_norm
from pennylane_qsgd.core.problem import PolynomialODE

DILATION_MARGIN = 1e-6
"""Relative margin of each small encoding's ``alpha`` over :math:`\\|F\\|_2`: keeps
:math:`\\sqrt{1 - \\sigma^2}` in the dilation well conditioned, at a relative cost of 1e-6 in
:math:`\\lambda`."""


def subnormalisation(layout: StructuredLayout, T: float, norms: dict[str, float]) -> float:
    """:math:`\\lambda` from the spectral norms ``{"F1": ..., "F2": ..., "F0": ...}`` (the same
    weights as the circuit: :func:`lcu_weights` with :data:`DILATION_MARGIN`)."""
    table = {k: (n * (1.0 + DILATION_MARGIN) if n > 0 else 1.0, n) for k, n in norms.items()}
    return float(np.sum(lcu_weights(layout, T, table)))


def factor_norms(problem: PolynomialODE, layout: StructuredLayout) -> dict:
    """``kind -> (alpha, norm)`` of the small encodings: :math:`\\|F_1\\|`, :math:`\\|F_2\\|`,
    :math:`\\max\\|F_0\\|` over the pieces (``N >= 2`` for the last two);
    ``alpha = (1 + DILATION_MARGIN) norm`` (1 for a zero matrix). No padded matrix is formed."""
    norms = {"F1": spectral_norm(problem.F1)}
    if layout.level >= 2:
        norms["F2"] = spectral_norm(problem.F2)
        norms["F0"] = float(np.max(np.linalg.norm(problem.F0, axis=1)))
    return {k: (n * (1.0 + DILATION_MARGIN) if n > 0 else 1.0, n) for k, n in norms.items()}


def factor_matrices(problem: PolynomialODE, layout: StructuredLayout) -> dict:
    """The padded matrices encoded on one or two factors, with :func:`factor_norms`.

    ``F1``: :math:`F_1` padded to :math:`2^b`. ``F2`` (``N >= 2``): :math:`2^{2b}` square with
    ``M[a 2^b, c 2^b + d] = F2[a, c s + d]``. ``F0`` (``N >= 2``): :math:`|F_0\\rangle\\langle 0|`
    per forcing piece.

    Returns
    -------
    dict kind -> (list of M (one per piece), alpha, norm)
    """
    s, B = layout.size, 2**layout.factor_bits
    M1 = np.zeros((B, B))
    M1[:s, :s] = problem.F1.toarray()
    mats = {"F1": [M1]}
    if layout.level >= 2:
        M2 = np.zeros((B, B, B, B))
        M2[:s, 0, :s, :s] = problem.F2.toarray().reshape(s, s, s)
        mats["F2"] = [M2.reshape(B * B, B * B)]
        mats["F0"] = []
        for piece in problem.F0:
            M0 = np.zeros((B, B))
            M0[:s, 0] = piece
            mats["F0"].append(M0)
    norms = factor_norms(problem, layout)
    return {kind: (Ms, *norms[kind]) for kind, Ms in mats.items()}


def lcu_weights(layout: StructuredLayout, T: float, norms: dict) -> np.ndarray:
    """Weights :math:`w_\\ell`: 1, 1, then :math:`h\\alpha_F` (0 for a zero ``F``); they sum to
    :math:`\\lambda`. ``norms``: :func:`factor_norms` (or :func:`factor_matrices`)."""
    h = T / layout.steps
    w = []
    for kind, _ in layout.terms:
        if kind in ("identity", "shift"):
            w.append(1.0)
        else:
            alpha, norm = norms[kind][-2:]
            w.append(h * alpha if norm > 0 else 0.0)
    return np.asarray(w)


def prepare_vectors(weights: np.ndarray, index_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """:math:`\\text{PREP}_R|0\\rangle = \\sum\\sqrt{w_\\ell/\\lambda}|\\ell\\rangle` and
    :math:`\\text{PREP}_L|0\\rangle` (signs :math:`-1` on every term but the identity)."""
    right = np.zeros(2**index_bits)
    right[: weights.size] = np.sqrt(weights / weights.sum())
    left = right.copy()
    left[1 : weights.size] *= -1.0
    return right, left


__all__ = [
    "DILATION_MARGIN",
    "factor_matrices",
    "factor_norms",
    "lcu_weights",
    "prepare_vectors",
    "subnormalisation",
]
