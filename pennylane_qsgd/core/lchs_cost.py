"""Block-encoding queries of one LCHS evolution (:func:`lchs_cost`), for either kernel.

The nodes of :func:`~pennylane_qsgd.core.lchs.lchs_quadrature` run at once as one Hamiltonian
simulation of :math:`\\sum_j |j\\rangle\\langle j| \\otimes (k_jL_A + H_A)` (subnormalisation
:math:`K\\alpha_L + \\alpha_H`) by Jacobi–Anger QSVT, and amplitude amplification brings the
LCU's success amplitude near 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pennylane_qsgd.core.lchs import check_real_positive, lchs_quadrature
from pennylane_qsgd.core.lchs_kernels import DEFAULT_BETA
from pennylane_qsgd.core.polynomials import jacobi_anger_cos, jacobi_anger_sin


def jacobi_anger_degree(tau: float, eps: float) -> int:
    """:math:`d_c + d_s` of the Jacobi–Anger pair for :math:`e^{-i\\tau x}` at relative ``eps``
    (the block-encoding calls of ``HamiltonianSimulation``, about :math:`e\\tau + 2\\ln(1/\\varepsilon)`)."""
    return jacobi_anger_cos(tau, eps, 0.5).degree + jacobi_anger_sin(tau, eps, 0.5).degree


@dataclass(frozen=True)
class LCHSCost:
    """Block-encoding queries of one LCHS evolution (:func:`lchs_cost`).

    Attributes
    ----------
    time, eps : float
    nodes : int
        :math:`k`-nodes :math:`J` (the LCU's index register holds :math:`\\lceil\\log_2 J\\rceil`
        qubits).
    cutoff, step, l1_norm : float
        :math:`K`, :math:`h`, :math:`\\|w\\|_1`.
    alpha : float
        Subnormalisation :math:`K\\alpha_L + \\alpha_H` of the select Hamiltonian.
    degree : int
        Jacobi–Anger calls for :math:`\\tau = \\alpha t`: queries to *each* of the encodings of
        :math:`L_A` and :math:`H_A` per application of the LCU.
    success_amplitude : float
        :math:`(s/2)\\,/(\\|w\\|_1\\, q\\, F)` with :math:`s = 0.99` the Jacobi–Anger
        prefactor, :math:`q = \\|u_0\\|/\\|u(t)\\|` and :math:`F` the forcing and decay factor
        of :func:`lchs_cost`.
    rounds : int
        Amplitude-amplification rounds :math:`\\lceil \\pi/(4\\arcsin a) - 1/2\\rceil` for that
        amplitude (0 when not needed).
    queries : int
        ``degree * (2 rounds + 1)``: queries to each encoding for the normalised state.
    """

    time: float
    eps: float
    nodes: int
    cutoff: float
    step: float
    l1_norm: float
    alpha: float
    degree: int
    success_amplitude: float
    rounds: int
    queries: int


def lchs_cost(
    t: float,
    eps: float,
    alpha_L: float,
    alpha_H: float,
    q: float = 1.0,
    beta: float = DEFAULT_BETA,
    scale: float = 0.99,
    forcing: float = 0.0,
    decay: float = 0.0,
    kernel: str = "acl",
) -> LCHSCost:
    """Queries of the LCHS state preparation for :math:`e^{At}u_0` at operator error ``eps``.

    Error budget: quadrature ``eps/2``; Jacobi–Anger ``eps / (4 ||w||_1)`` relative (its error is
    multiplied by :math:`\\|w\\|_1` when the LCU is rescaled and the pair's block errs by twice
    the polynomial error relative to :math:`s/2`).

    Parameters
    ----------
    t, eps : float
    alpha_L, alpha_H : float
        Subnormalisations of the encodings, :math:`\\ge \\|L_A\\|, \\|H_A\\|`.
    q : float
        :math:`\\|u_0\\|/\\|u(t)\\|`.
    beta, scale : float
    kernel : {"acl", "low-somma"}
        The kernel (:func:`lchs_quadrature`).
    forcing : float
        :math:`\\|b\\|/\\|u_0\\|` of a constant forcing (Duhamel term), 0 for none.
    decay : float
        :math:`\\delta \\ge 0` with :math:`L_A \\succeq \\delta I`. LCHS of :math:`A + \\delta I`
        with the factor :math:`e^{-\\delta\\tau}` moved into the LCU weights: the LCU's
        normalisation becomes :math:`\\|w\\|_1(e^{-\\delta t}\\|u_0\\| +
        \\|b\\|(1 - e^{-\\delta t})/\\delta)` (:math:`\\|u_0\\| + t\\|b\\|` at
        :math:`\\delta = 0`), so a decaying window's forcing costs no factor of :math:`t`.
    """
    alpha_L = check_real_positive(alpha_L, "alpha_L", allow_zero=True)
    alpha_H = check_real_positive(alpha_H, "alpha_H", allow_zero=True)
    q = check_real_positive(q, "q")
    forcing = check_real_positive(forcing, "forcing", allow_zero=True)
    decay = check_real_positive(decay, "decay", allow_zero=True)
    grid = lchs_quadrature(t, alpha_L, eps / 2, beta, kernel=kernel)
    x = decay * grid.time
    weight = np.exp(-x) + forcing * (grid.time if x == 0 else -np.expm1(-x) / decay)
    alpha = grid.cutoff * alpha_L + alpha_H
    degree = jacobi_anger_degree(alpha * grid.time, eps / (4 * grid.l1_norm))
    amp = min(1.0, 0.5 * scale / (grid.l1_norm * q * weight))
    rounds = max(0, math.ceil(np.pi / (4 * np.arcsin(amp)) - 0.5)) if amp < 1 else 0
    return LCHSCost(
        time=grid.time,
        eps=grid.eps * 2,
        nodes=grid.num_nodes,
        cutoff=grid.cutoff,
        step=grid.step,
        l1_norm=grid.l1_norm,
        alpha=alpha,
        degree=degree,
        success_amplitude=amp,
        rounds=rounds,
        queries=degree * (2 * rounds + 1),
    )


__all__ = ["LCHSCost", "jacobi_anger_degree", "lchs_cost"]
