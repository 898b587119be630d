"""HHL for the Euler–Carleman system: the resource model of the large-window construction.

The circuits are :class:`~.hhl_solver.HHLSolver` (gates and native kernel; its ``evolution="qsvt"``
is the construction counted here); :class:`~.solver.GradientFlowSolver` composes either it (``solver="hhl"``, small windows) or the
QSVT solver (:mod:`.qsvt_solver`). The model counts the HHL algorithm of Harrow, Hassidim and Lloyd
(arXiv:0811.3171) on the Hermitian dilation

.. math:: H = \\frac{1}{\\alpha}\\begin{pmatrix} 0 & L \\\\ L^\\dagger & 0 \\end{pmatrix},
          \\qquad \\operatorname{spec}(H) = \\{\\pm\\sigma_i(L)/\\alpha\\} \\subset
          [-1, -1/\\kappa] \\cup [1/\\kappa, 1],

block-encoded by one controlled call to the block encoding of :math:`L` or :math:`L^\\dagger`
(one extra qubit):

1. phase estimation of :math:`e^{i\\pi H}` with :math:`n_c = \\lceil\\log_2(2\\kappa/\\varepsilon)\\rceil`
   clock qubits (resolution :math:`\\varepsilon/\\kappa` on eigenvalues :math:`\\ge 1/\\kappa`);
2. controlled :math:`e^{i\\pi 2^j H}`, ``j < n_c``, each by QSVT Hamiltonian simulation: Jacobi–Anger
   polynomials for :math:`\\cos` and :math:`\\sin` (``core.polynomials``), combined by an LCU and one
   round of oblivious amplitude amplification, i.e. :math:`3(d_{\\cos} + d_{\\sin})` queries
   (Martyn et al., arXiv:2105.02859, section IV.B);
3. the controlled rotation by :math:`C/\\lambda` (:math:`C = 1/\\kappa`), then phase estimation
   undone: twice the queries of step 2;
4. amplitude amplification of the rotation's success, probability :math:`\\ge 1/\\kappa^2`:
   :math:`\\lfloor\\pi\\kappa/4\\rfloor` rounds of two HHL runs each.

Total :math:`O(\\kappa^2/\\varepsilon)` queries against QSVT's :math:`O(\\kappa\\log(1/\\varepsilon))`:
the reason the package solves with QSVT.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pennylane_qsgd.circuits.resources import TemplateResources
from pennylane_qsgd.core.polynomials import jacobi_anger_cos, jacobi_anger_sin


@dataclass(frozen=True)
class HHLModel:
    """Counts of the HHL solver (module docstring).

    Attributes
    ----------
    clock_qubits : int
        :math:`n_c`.
    queries_per_run : int
        Block-encoding calls of one HHL run (phase estimation, rotation, inverse estimation).
    amplification_rounds : int
        Rounds for the rotation's success probability bound :math:`1/\\kappa^2`.
    total_queries : int
        ``queries_per_run * (2 * rounds + 1)``.
    logical_qubits : int
        Register, dilation qubit, encoding ancilla, clock, rotation ancilla, two simulation
        ancillas (LCU of cos/sin and its amplification).
    """

    clock_qubits: int
    queries_per_run: int
    amplification_rounds: int
    total_queries: int
    logical_qubits: int

    def resources(self) -> TemplateResources:
        """As :class:`~.TemplateResources` (calls to the block encoding of :math:`L`)."""
        return TemplateResources(
            logical_qubits=self.logical_qubits,
            block_encoding_calls=self.total_queries,
            gates={"QFT": 2 * (2 * self.amplification_rounds + 1), "controlled rotation": 1},
            notes="HHL resource model (phase estimation over QSVT Hamiltonian simulation)",
        )


def hhl_model(
    kappa: float, eps: float, register_qubits: int, encoding_ancillas: int = 1
) -> HHLModel:
    """Resource model of HHL for a block-encoded system of condition number ``kappa``.

    Parameters
    ----------
    kappa : float
        :math:`\\alpha/\\sigma_{\\min}(L)`, > 1.
    eps : float
        Target relative accuracy of the solution, in (0, 1).
    register_qubits : int
        Qubits of the system register (time and Carleman).
    encoding_ancillas : int
        Ancillas of the block encoding of :math:`L`.
    """
    if not np.isfinite(kappa) or kappa <= 1:
        raise ValueError(f"kappa must be a finite number > 1; got {kappa}")
    if not np.isfinite(eps) or not 0 < eps < 1:
        raise ValueError(f"eps must lie in (0, 1); got {eps}")
    if int(register_qubits) != register_qubits or register_qubits < 1:
        raise ValueError(f"register_qubits must be a positive integer; got {register_qubits!r}")
    clock = int(np.ceil(np.log2(2.0 * kappa / eps)))
    eps_sim = eps / (2.0 * clock)
    estimation = 0
    for j in range(clock):
        tau = np.pi * 2**j
        degree = jacobi_anger_cos(tau, eps_sim).degree + jacobi_anger_sin(tau, eps_sim).degree
        estimation += 3 * degree
    per_run = 2 * estimation
    rounds = int(np.floor(np.pi / (4.0 * np.arcsin(1.0 / kappa))))
    return HHLModel(
        clock_qubits=clock,
        queries_per_run=per_run,
        amplification_rounds=rounds,
        total_queries=per_run * (2 * rounds + 1),
        logical_qubits=int(register_qubits) + 1 + int(encoding_ancillas) + clock + 1 + 2,
    )


__all__ = [
    "hhl_model",
    "HHLModel",
]
