"""HHL linear solver built as gates: phase estimation, eigenvalue inversion, uncomputation.

Harrow, Hassidim and Lloyd (arXiv:0811.3171) on the Hermitian dilation of a
square, possibly non-Hermitian :math:`L` of size :math:`2^n`:

.. math::

    H = \\frac{1}{\\alpha}\\begin{pmatrix} 0 & L \\\\ L^\\dagger & 0 \\end{pmatrix}, \\qquad
    \\operatorname{spec}(H) = \\{\\pm\\sigma_i(L)/\\alpha\\} \\subset [-1, 1], \\qquad
    H^{-1}\\begin{pmatrix} b \\\\ 0 \\end{pmatrix} = \\alpha\\begin{pmatrix} 0 \\\\ L^{-1} b
    \\end{pmatrix}.

So the input :math:`|0\\rangle_d|b\\rangle` (dilation wire ``d`` in 0) becomes, on success,
:math:`\\propto |1\\rangle_d\\, L^{-1}|b\\rangle`.

Circuit (:class:`HHLSolver`, wires ``[anc, clock (n_c wires, MSB first), d, system (n wires)]``,
with ``l, r, a`` before ``d`` for ``evolution="qsvt"``; :math:`N = 2^{n_c}`):

1. ``qml.QuantumPhaseEstimation`` of :math:`U = e^{iHt_0}` (controlled :math:`U^{2^k}` as dense
   unitaries; for an eigenvector with :math:`H v = \\lambda v` the clock holds
   :math:`\\sum_j a_j(\\varphi)|j\\rangle`, :math:`\\varphi = \\lambda t_0/2\\pi`, with the Dirichlet
   kernel :math:`a_j(\\varphi) = \\frac1N\\sum_{m<N} e^{2\\pi i m(\\varphi - j/N)}`, see
   :func:`qpe_amplitudes`);
2. the clock value ``j`` decodes to :math:`\\lambda_j = 2\\pi\\,\\tilde\\jmath/(N t_0)`,
   :math:`\\tilde\\jmath = j` for :math:`j < N/2`, :math:`j - N` otherwise; a ``RY`` on ``anc``
   controlled on each ``j`` rotates by :math:`2\\arcsin r_j`, :math:`r_j = \\mathrm{clip}(C/\\lambda_j,
   -1, 1)` (:math:`r_0 = 0`): the clipping caps the small decoded :math:`|\\lambda_j| < C`;
3. the phase estimation undone (``qml.adjoint``). Success: ``anc = 1`` (and, to remove the clock's
   residual, clock :math:`= 0`, which :func:`hhl_output` and the tests use).

Precision and the clock's arithmetic: :mod:`.hhl_phase_estimation`; the exact map of the gates
(the native kernel's): :mod:`.hhl_twin`.

Hamiltonian simulation. ``evolution="exact"`` (default) builds :math:`U` as a dense
``QubitUnitary``: this version is for small systems. ``evolution="trotter"`` builds it as a
product formula (``qml.TrotterProduct`` via :func:`~.trotter_evolution`) of the Pauli
decomposition of :math:`H` (at most :math:`4^{n+1}` words; short for structured :math:`L`); the
clock then estimates the product formula's eigenphases, and its error (order :math:`k`, ``s``
steps: :math:`O(t_0^{k+1}/s^k)` on each phase) adds to the clock's.
``evolution="qsvt"`` runs each controlled power :math:`U^{2^k}` as one controlled
:class:`~.AmplifiedHamiltonianSimulation` of time :math:`-2^k t_0` (QSVT with Jacobi–Anger
polynomials, LCU of cos and sin, two rounds of oblivious amplification that make the amplitude
:math:`\\sin(\\pi/10)` exactly 1): the construction :mod:`.hhl` counts, here with three more
ancillas ``l, r, a``; its error is the polynomial error (about ``5 * simulation_eps`` per power).
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
from pennylane.operation import Operation
from pennylane.wires import Wires

from pennylane_qsgd.circuits.amplified_simulation import AmplifiedHamiltonianSimulation
from pennylane_qsgd.circuits.data_hash import FullDataHashMixin, queued
from pennylane_qsgd.circuits.hamiltonian_simulation import (
    AMPLIFIED_SCALE,
    DEFAULT_EPS,
    simulation_angles,
)
from pennylane_qsgd.circuits.hhl_arguments import hhl_arguments, simulation_ancillas
from pennylane_qsgd.circuits.hhl_phase_estimation import (
    evolution_operator,
    hermitian_dilation,
    rotation_ratios,
)
from pennylane_qsgd.circuits.resources import TemplateResources


class HHLSolver(FullDataHashMixin, Operation):
    """HHL on the Hermitian dilation of ``matrix`` (module docstring).

    Parameters
    ----------
    matrix : array_like, shape (2**n, 2**n)
        :math:`L` (any square matrix, non-singular).
    alpha : float
        :math:`\\alpha \\ge \\|L\\|_2` (checked): :math:`H = \\text{dilation}/\\alpha`.
    wires : sequence
        ``[anc, clock_0, ..., clock_{n_c - 1}, d, system...]``; :math:`n_c` is ``len(wires) - 2 - n``.
        For ``evolution="qsvt"``: ``[anc, clock..., l, r, a, d, system...]``.
    t0 : float, optional
        Evolution time of :math:`U = e^{iHt_0}`; default :func:`~.hhl_phase_estimation.default_time`. Must satisfy
        :math:`t_0 < \\pi` so that :math:`\\pm 1` do not alias.
    C : float, optional
        Rotation constant; default :math:`\\sigma_{\\min}(L)/\\alpha` (dense SVD).
    evolution : {"exact", "trotter", "qsvt"}
        :math:`U`: the dense ``QubitUnitary`` :math:`e^{iHt_0}`, or the product formula of the
        Pauli decomposition of :math:`H` (:func:`~.trotter_evolution`, ``trotter_steps``
        repetitions of Suzuki order ``trotter_order``). With ``"trotter"`` the clock estimates the
        eigenphases of the product formula, whose error shifts them by
        :math:`O(t_0^{k+1}/\\text{steps}^k)` (order :math:`k`).
        ``"qsvt"``: each controlled power is one controlled
        :class:`~.AmplifiedHamiltonianSimulation` of time :math:`-2^k t_0` (QSVT with Jacobi–Anger
        polynomials, LCU, two rounds of oblivious amplification), on three extra ancillas
        ``l, r, a`` placed before ``d`` in ``wires``.
    trotter_steps, trotter_order : int
        Used with ``evolution="trotter"``.
    simulation_eps : float
        Polynomial accuracy of ``evolution="qsvt"``.
    validate : bool
        Check ``alpha >= ||L||``.

    Examples
    --------
    >>> L = np.array([[1.0, 0.0], [-0.5, 1.0]])
    >>> op = HHLSolver(L, alpha=1.5, wires=["anc", "c0", "c1", "c2", "c3", "d", 0])
    >>> op.num_clock
    4
    """

    grad_method = None
    num_params = 4
    ndim_params = (2, 0, 0, 0)

    def __init__(
        self,
        matrix: object,
        alpha: float,
        wires: object,
        t0: float | None = None,
        C: float | None = None,
        evolution: str = "exact",
        trotter_steps: int = 1,
        trotter_order: int = 2,
        simulation_eps: float = DEFAULT_EPS,
        validate: bool = True,
        id=None,
    ) -> None:
        L, alpha, t0, C, self._hyperparameters = hhl_arguments(
            matrix,
            alpha,
            wires,
            t0,
            C,
            evolution,
            trotter_steps,
            trotter_order,
            simulation_eps,
            validate,
        )
        super().__init__(L, alpha, float(t0), float(C), wires=wires, id=id)

    @property
    def alpha(self) -> float:
        """Subnormalisation :math:`\\alpha`."""
        return float(self.data[1])

    @property
    def t0(self) -> float:
        """Evolution time of the phase-estimation unitary."""
        return float(self.data[2])

    @property
    def C(self) -> float:  # noqa: N802 - the paper's symbol
        """Rotation constant."""
        return float(self.data[3])

    @property
    def num_clock(self) -> int:
        """Clock qubits :math:`n_c`."""
        extra = simulation_ancillas(self.hyperparameters["evolution"])
        return len(self.wires) - 2 - extra - int(np.log2(np.shape(self.data[0])[0]))

    @property
    def register_wires(self) -> Wires:
        """``[d, system...]``."""
        return self.wires[-1 - int(np.log2(np.shape(self.data[0])[0])) :]

    def scaled_hamiltonian(self) -> np.ndarray:
        """:math:`H = \\text{dilation}(L)/\\alpha` on ``[d, system...]``."""
        return hermitian_dilation(self.data[0]) / self.alpha

    def evolution_operator(self) -> qml.operation.Operator:
        """The phase-estimation unitary :math:`U \\approx e^{iHt_0}` on ``[d, system...]``."""
        hp = self.hyperparameters
        return evolution_operator(
            self.scaled_hamiltonian(),
            self.t0,
            self.register_wires,
            hp["evolution"],
            hp["trotter_steps"],
            hp["trotter_order"],
        )

    @staticmethod
    def compute_decomposition(
        matrix,
        alpha,
        t0,
        C,
        wires,
        evolution="exact",
        trotter_steps=1,
        trotter_order=2,
        simulation_eps=DEFAULT_EPS,
    ) -> list:
        """Phase estimation of :math:`U \\approx e^{iHt_0}`, one multi-controlled ``RY`` per clock
        value, inverse phase estimation."""
        n = int(np.log2(np.shape(matrix)[0]))
        extra = simulation_ancillas(evolution)
        num_clock = len(wires) - 2 - n - extra
        anc, clock = wires[0], wires[1 : 1 + num_clock]
        sim, register = wires[1 + num_clock : 1 + num_clock + extra], wires[1 + num_clock + extra :]
        H = hermitian_dilation(matrix) / alpha
        ratios = rotation_ratios(num_clock, t0, C)
        with qml.QueuingManager.stop_recording():
            if evolution == "qsvt":
                qpe = [qml.Hadamard(w) for w in clock]
                for k, w in enumerate(clock):
                    power = AmplifiedHamiltonianSimulation(
                        H,
                        1.0,
                        -(2 ** (num_clock - 1 - k)) * t0,
                        sim + register,
                        eps=simulation_eps,
                        validate=False,
                    )
                    qpe.append(qml.ctrl(power, control=w))
                qpe.append(qml.adjoint(qml.QFT(wires=clock)))
                undo = [qml.adjoint(o) for o in reversed(qpe)]
            else:
                U = evolution_operator(H, t0, register, evolution, trotter_steps, trotter_order)
                qpe = [qml.QuantumPhaseEstimation(U, estimation_wires=clock)]
                undo = [qml.adjoint(qpe[0])]
            ops = list(qpe)
            for j, r in enumerate(ratios):
                if r == 0.0:
                    continue
                bits = [int(b) for b in np.binary_repr(j, width=num_clock)]
                ops.append(
                    qml.ctrl(
                        qml.RY(2.0 * np.arcsin(r), wires=anc), control=clock, control_values=bits
                    )
                )
            ops += undo
        return queued(ops)

    def resources(self) -> TemplateResources:
        """Two phase estimations, two QFTs and :math:`2^{n_c} - 1` multi-controlled rotations.

        ``"exact"`` / ``"trotter"``: :math:`2(2^{n_c} - 1)` controlled-:math:`U` calls
        (:math:`U^{2^k}` counted as :math:`2^k` calls). ``"qsvt"``: :math:`2 n_c` controlled
        amplified simulations; ``block_encoding_calls`` counts their calls to the dilation's
        block encoding, :math:`2 \\sum_k 5 (d_c + d_s)(2^k t_0)`.
        """
        N = 2**self.num_clock
        gates = {"QFT": 2, "Hadamard": 2 * self.num_clock, "C(RY)": N - 1}
        evolution = self.hyperparameters["evolution"]
        if evolution != "qsvt":
            gates["C(U)"] = 2 * (N - 1)
            return TemplateResources(
                logical_qubits=len(self.wires),
                gates=gates,
                notes=f"HHL, {evolution} controlled powers of exp(iHt0)",
            )
        eps = self.hyperparameters["simulation_eps"]
        calls = 0
        for k in range(self.num_clock):
            ang = simulation_angles(-(2**k) * self.t0, eps, AMPLIFIED_SCALE)
            calls += 2 * 5 * (ang.cos.degree + ang.sin.degree)
        gates["C(AmplifiedHamiltonianSimulation)"] = 2 * self.num_clock
        return TemplateResources(
            logical_qubits=len(self.wires),
            block_encoding_calls=calls,
            gates=gates,
            notes="HHL over QSVT Hamiltonian simulation (calls to the dilation's block encoding)",
        )

    def label(self, decimals=None, base_label=None, cache=None) -> str:  # noqa: D102
        n = np.shape(self.data[0])[0]
        return base_label or f"HHL[{n}x{n}]"

    def _flatten(self):
        return self.data, (self.wires, tuple(self.hyperparameters.items()))

    @classmethod
    def _unflatten(cls, data, metadata):
        return cls(
            data[0],
            data[1],
            wires=metadata[0],
            t0=data[2],
            C=data[3],
            validate=False,
            **dict(metadata[1]),
        )


__all__ = ["HHLSolver"]
