"""The linear system an LCHS window evolves: the referenced, rescaled Carleman system, its log-norm.

:func:`lchs_window_system` adds the reference coordinate (decaying at :func:`reference_decay`)
and applies the PNAS rescaling (:func:`~pennylane_qsgd.core.dissipation.rescale_to_unit_ball`)
before the Carleman lift, and reports :math:`\\mu(A)` with :math:`\\|L_A\\|` and :math:`\\|H_A\\|`
(:func:`log_norm_and_parts`), which decide whether the LCHS route
(:mod:`~pennylane_qsgd.optim.lchs_window`) applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from pennylane_qsgd.circuits.reference_coordinate import with_reference_coordinate
from pennylane_qsgd.core.carleman import carleman_forcing, carleman_matrix, lift
from pennylane_qsgd.core.dissipation import rescale_to_unit_ball
from pennylane_qsgd.core.lchs_generator import DISSIPATIVE_ATOL, hermitian_parts
from pennylane_qsgd.core.norms import spectral_norm
from pennylane_qsgd.core.problem import PolynomialODE


@dataclass(frozen=True)
class LCHSWindowSystem:
    """The linear system an LCHS window evolves.

    Attributes
    ----------
    A : ndarray, shape (Δ, Δ)
        Carleman matrix of the referenced, rescaled flow (dense).
    b : ndarray, shape (Δ,)
        Forcing :math:`[F_0; 0; \\dots]`.
    y0 : ndarray, shape (Δ,)
        Lifted initial state.
    size : int
        Level-1 size (the window's state plus the reference coordinate).
    gamma : float
        Rescaling :math:`u = \\gamma v`.
    reference : float
        Reference coordinate at the start, in problem units.
    decay : float
        Its decay rate :math:`a` (:func:`reference_decay`): :math:`u_0(T) = u_0(0)e^{-aT}`.
    log_norm : float
        :math:`\\mu(A) = \\lambda_{\\max}((A + A^T)/2)` (1/step); LCHS needs it :math:`\\le 0`.
    norm_L, norm_H : float
        :math:`\\|L_A\\|` and :math:`\\|H_A\\|` (:func:`~pennylane_qsgd.core.lchs_generator.hermitian_parts`).
    """

    A: np.ndarray
    b: np.ndarray
    y0: np.ndarray
    size: int
    gamma: float
    reference: float
    decay: float
    log_norm: float
    norm_L: float
    norm_H: float

    @cached_property
    def norm_A(self) -> float:
        """:math:`\\|A\\|_2`, computed once (an SVD of the Carleman matrix)."""
        return spectral_norm(self.A)

    @property
    def dissipative(self) -> bool:
        """:math:`\\mu(A) \\le 0` up to :data:`~pennylane_qsgd.core.lchs_generator.DISSIPATIVE_ATOL`."""
        return self.log_norm <= DISSIPATIVE_ATOL * max(1.0, self.norm_A)


def log_norm_and_parts(A: np.ndarray) -> tuple[float, float, float]:
    """:math:`\\mu(A)`, :math:`\\|L_A\\|`, :math:`\\|H_A\\|` of a dense square ``A``.

    Parameters
    ----------
    A : ndarray, shape (n, n)

    Returns
    -------
    tuple of float
        Log-norm :math:`\\mu(A) = \\lambda_{\\max}((A + A^\\dagger)/2)` and the spectral norms of
        the Hermitian parts (:func:`~pennylane_qsgd.core.lchs_generator.hermitian_parts`).
    """
    L, H = hermitian_parts(A)
    lam = np.linalg.eigvalsh(L)
    norm_H = float(np.max(np.abs(np.linalg.eigvalsh(H)))) if np.any(H) else 0.0
    return float(-lam[0]), max(float(lam[-1]), 0.0), norm_H


def reference_decay(problem: PolynomialODE, level: int) -> float:
    """Decay rate :math:`a` of the reference coordinate (:func:`with_reference_coordinate`).

    At level 1 the coordinate is constant (:math:`a = 0`: a zero row of :math:`F_1`, which keeps
    :math:`\\mu(A) = \\max(0, \\mu(F_1))`). At level :math:`\\ge 2` the forcing blocks couple
    the products with the coordinate to level 1, and a constant coordinate (zero diagonal) makes
    :math:`\\mu(A) > 0` as soon as :math:`F_0 \\ne 0`; half the damping of the window's own
    rescaled Carleman matrix, :math:`a = -\\mu(A_u)/2`, keeps that margin on both sides.
    """
    if level == 1:
        return 0.0
    scaled, _ = rescale_to_unit_ball(problem, 0.5)
    mu, _, _ = log_norm_and_parts(carleman_matrix(scaled, level).toarray())
    return max(-mu / 2, 0.0)


def lchs_window_system(problem: PolynomialODE, level: int) -> LCHSWindowSystem:
    """The window's Carleman system after the reference coordinate and the PNAS rescaling."""
    norm_in = float(np.linalg.norm(problem.u_in))
    reference = norm_in if norm_in > 0 else 1.0
    decay = reference_decay(problem, level)
    augmented = with_reference_coordinate(problem, reference, decay)
    scaled, gamma = rescale_to_unit_ball(augmented, 0.5)
    A = carleman_matrix(scaled, level).toarray()
    mu, norm_L, norm_H = log_norm_and_parts(A)
    return LCHSWindowSystem(
        A=A,
        b=carleman_forcing(scaled, level),
        y0=lift(scaled.u_in, level),
        size=scaled.size,
        gamma=gamma,
        reference=reference,
        decay=decay,
        log_norm=mu,
        norm_L=norm_L,
        norm_H=norm_H,
    )


__all__ = ["LCHSWindowSystem", "lchs_window_system", "log_norm_and_parts", "reference_decay"]
