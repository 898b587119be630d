"""Classical post-processing of the tomography of :mod:`.tomography`: counts in, vectors out.

Stage 1 of Kerenidis and Prakash (arXiv:1808.09266, Algorithm 4.1) reads magnitudes from
computational-basis counts, stage 2 signs from the interference counts; their Theorem 4.1 sets the
shots (:func:`recommended_shots`).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

GlobalSign = Literal["largest", "first", "measured"]

GLOBAL_SIGNS = ("largest", "first", "measured")
"""The conventions of :func:`apply_global_sign`."""


#: Samples per stage in Theorem 4.1 of arXiv:1808.09266: :math:`36\\, s \\ln s/\\epsilon^2`.
KP_CONSTANT = 36.0


def recommended_shots(s: int, eps: float, delta: float = 0.01) -> int:
    """Total shots (both stages) for l2 error :math:`\\le \\epsilon` with probability :math:`1-\\delta`.

    .. math::

        N_{\\rm total} = 2 \\left\\lceil 36\\, s \\ln(s/\\delta) / \\epsilon^2 \\right\\rceil .

    Kerenidis and Prakash (arXiv:1808.09266, Algorithm 4.1, Theorem 4.1) use
    :math:`36\\, s \\ln s/\\epsilon^2` samples in each of the two stages and obtain failure probability
    at most :math:`s^{-0.83}`; their union bound over the :math:`s` entries gives the
    :math:`O(s \\log(s/\\delta)/\\epsilon^2)` form for a prescribed :math:`\\delta` (cf. the discussion
    of sample-based pure-state tomography in van Apeldoorn, Cornelissen, Gilyén and Nannicini,
    arXiv:2207.08800, whose query-based methods improve the :math:`\\epsilon` dependence).
    Keeping the constant 36 with :math:`\\ln(s/\\delta)` is conservative: for
    :math:`\\delta \\le s^{-0.83}` it is at least the Kerenidis–Prakash count. The observed error is
    usually far smaller (module docstring).

    Parameters
    ----------
    s : int
        Number of amplitudes, ``>= 1``.
    eps : float
        Target l2 error of the unit vector, in (0, 2].
    delta : float, optional
        Failure probability, in (0, 1).

    Returns
    -------
    int
    """
    if isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 1:
        raise ValueError(f"s must be a positive integer; got {s!r}")
    eps = float(eps)
    if not np.isfinite(eps) or not 0.0 < eps <= 2.0:
        raise ValueError(f"eps must lie in (0, 2]; got {eps!r}")
    delta = float(delta)
    if not np.isfinite(delta) or not 0.0 < delta < 1.0:
        raise ValueError(f"delta must lie in (0, 1); got {delta!r}")
    per_stage = math.ceil(KP_CONSTANT * int(s) * math.log(int(s) / delta) / eps**2)
    return 2 * per_stage


def magnitudes_from_counts(counts: np.ndarray) -> np.ndarray:
    """Stage 1 of Algorithm 4.1 (arXiv:1808.09266): :math:`|\\hat\\psi_i| = \\sqrt{n_i / \\sum_j n_j}`.

    Parameters
    ----------
    counts : array_like, shape (s,)
        Non-negative outcome counts or probabilities (any non-zero total).

    Returns
    -------
    numpy.ndarray, shape (s,)
        Unit-norm, non-negative.
    """
    n = np.asarray(counts, dtype=np.float64)
    if n.ndim != 1 or n.size == 0:
        raise ValueError(f"counts must be a non-empty 1-D array; got shape {n.shape}")
    if not np.all(np.isfinite(n)) or np.any(n < 0):
        raise ValueError("counts must be finite and non-negative")
    total = n.sum()
    if total <= 0:
        raise ValueError("counts sum to zero: no outcome was observed")
    return np.sqrt(n / total)


def signs_from_counts(counts0: np.ndarray, counts1: np.ndarray) -> np.ndarray:
    """Stage 2 of Algorithm 4.1 (arXiv:1808.09266): sign +1 where :math:`n_{0,i} \\ge n_{1,i}`, else -1.

    Parameters
    ----------
    counts0, counts1 : array_like, shape (s,)
        Counts (or probabilities) of ancilla outcome 0 and 1 at each register index, after the
        final Hadamard on the ancilla.

    Returns
    -------
    numpy.ndarray, shape (s,)
        Entries in ``{-1.0, +1.0}``.
    """
    a = np.asarray(counts0, dtype=np.float64)
    b = np.asarray(counts1, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(
            f"counts0 and counts1 must be 1-D of equal shape; got {a.shape} and {b.shape}"
        )
    return np.where(a >= b, 1.0, -1.0)


def apply_global_sign(vector: np.ndarray, convention: GlobalSign) -> np.ndarray:
    """Fix the global sign of a real vector (a state is defined only up to it).

    Parameters
    ----------
    vector : array_like, shape (s,)
    convention : {"largest", "first", "measured"}
        ``"largest"``: the entry of largest magnitude (first one on ties) is made non-negative.
        ``"first"``: entry 0 is made non-negative (the reference-coordinate layout of
        :func:`~pennylane_qsgd.circuits.reference_coordinate.with_reference_coordinate` with a
        positive value). ``"measured"``: unchanged.

    Returns
    -------
    numpy.ndarray, shape (s,)
    """
    vec = np.asarray(vector, dtype=np.float64)
    if convention not in GLOBAL_SIGNS:
        raise ValueError(f"global_sign must be one of {GLOBAL_SIGNS}; got {convention!r}")
    if convention == "measured" or vec.size == 0:
        return vec.copy()
    pivot = int(np.argmax(np.abs(vec))) if convention == "largest" else 0
    return -vec if vec[pivot] < 0 else vec.copy()


def l2_distance(estimate: np.ndarray, reference: np.ndarray, up_to_sign: bool = True) -> float:
    """:math:`\\|\\hat\\psi - r/\\|r\\|\\|`, minimised over :math:`\\pm r` when ``up_to_sign``."""
    est = np.asarray(estimate, dtype=np.float64)
    ref = np.asarray(reference, dtype=np.float64)
    ref = ref / np.linalg.norm(ref)
    err = float(np.linalg.norm(est - ref))
    if up_to_sign:
        err = min(err, float(np.linalg.norm(est + ref)))
    return err


__all__ = [
    "GLOBAL_SIGNS",
    "KP_CONSTANT",
    "GlobalSign",
    "apply_global_sign",
    "l2_distance",
    "magnitudes_from_counts",
    "recommended_shots",
    "signs_from_counts",
]
