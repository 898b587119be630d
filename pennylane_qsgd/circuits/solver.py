"""The gradient-flow solver: :math:`|B\\rangle`, then an inverter over a block encoding of :math:`L`.

:class:`GradientFlowSolver` prepares :math:`|B\\rangle/\\|B\\|` and inverts the forward-Euler
matrix :math:`L` of the Carleman-linearised ODE (PNAS, arXiv:2011.03185, Theorem 1: equations
(4.8)-(4.10), Lemmas 3-5). Its parts click together:

* ``encoding``: any registered :class:`~.encoding.EulerEncoding` of :math:`L` (``"dense"``, the
  dilation of the padded :math:`L`; ``"structured"``, the LCU built from :math:`F_0, F_1, F_2`;
  or one of yours, :func:`~.encoding.register_encoding`);
* ``inverter``: ``"qsvt"``, the real part of a QSVT singular-value inversion of the encoding
  (Gilyén, Su, Low, Wiebe, arXiv:1806.01838, Corollary 18), or ``"hhl"``
  (:class:`~.HHLSolver` on the Hermitian dilation of :math:`L`: dense encoding, small windows);
* one policy for :math:`\\alpha`, :math:`\\kappa`, idle steps and precision
  (:mod:`.solver_policy`) and one register layout (:mod:`.solver_layout`).

On the success event the system register holds :math:`\\approx u(T)/\\|u(T)\\|`. The classical
twins (native and ideal fidelities, success branch, metadata) are in :mod:`.solver_twins`.

The QSVT inverter's gate sequence is :func:`~.qsvt_inverter.qsvt_sequence`.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
from pennylane.operation import Operation
from pennylane.wires import Wires

from pennylane_qsgd.circuits.data_hash import FullDataHashMixin, queued
from pennylane_qsgd.circuits.encoding import EulerEncoding, pack_problem, unpack_problem
from pennylane_qsgd.circuits.hhl_solver import HHLSolver
from pennylane_qsgd.circuits.qsvt_inverter import qsvt_sequence
from pennylane_qsgd.circuits.qsvt_solver import InverseAngles, inverse_angles
from pennylane_qsgd.circuits.resources import TemplateResources
from pennylane_qsgd.circuits.solver_arguments import encoding_for, solver_hyperparameters
from pennylane_qsgd.circuits.solver_layout import SolverLayout, solver_layout
from pennylane_qsgd.circuits.solver_policy import DEFAULT_PRECISION, condition_number, euler_twin
from pennylane_qsgd.circuits.state_prep import NormalizedStatePrep
from pennylane_qsgd.core.polynomials import inverse_polynomial
from pennylane_qsgd.core.problem import PolynomialODE

DEFAULT_CLOCK_QUBITS = 8
"""Clock qubits of ``inverter="hhl"`` (relative error about :math:`2\\pi\\kappa/(2^{n_c} t_0)`)."""


class GradientFlowSolver(FullDataHashMixin, Operation):
    """Solve the Euler–Carleman system of a polynomial ODE on a quantum computer (module docstring).

    Parameters
    ----------
    problem : PolynomialODE
        :math:`du/dt = F_0 + F_1 u + F_2 (u \\otimes u)`, :math:`u(0) = u_{\\rm in}`; piecewise
        forcing allowed.
    T : float
        Evolution time.
    carleman_level : int
        Carleman truncation ``N``.
    steps : int, optional
        Euler steps ``m``; or give ``eps`` (Lemma 2's tolerance).
    eps : float, optional
    idle : int, optional
        Idle steps ``p``; default :func:`~.solver_policy.default_idle`.
    encoding : str
        Registered block encoding of :math:`L` (``"dense"`` or ``"structured"``).
    inverter : {"qsvt", "hhl"}
    precision : float
        Relative accuracy of the 1/x polynomial (QSVT).
    wires : sequence
        ``required_wires(s, N, m, p, encoding, inverter, clock_qubits)`` wires
        (:mod:`.solver_layout`).
    alpha : float or {"bound", "norm"}
        ``"bound"``: the encoding's own subnormalisation; ``"norm"`` or a number
        :math:`\\ge \\|L\\|_2`: encodings with a free one (dense).
    kappa : float or {"auto", "exact", "bound"}
        Condition number of :math:`L/\\alpha` (:func:`~.solver_policy.condition_number`).
    scale : float, optional
        Scale of the 1/x polynomial (default: the largest with :math:`\\max|P| \\le 0.9`).
    clock_qubits : int
        HHL clock register.
    evolution : {"exact"}
        HHL Hamiltonian simulation.

    Examples
    --------
    >>> problem = PolynomialODE(F0=[0.0], F1=[[-1.0]], F2=[[-0.1]], u_in=[0.5])
    >>> n = required_wires(1, carleman_level=2, steps=2)
    >>> op = GradientFlowSolver(problem, T=0.5, carleman_level=2, steps=2, wires=range(n))
    """

    grad_method = None
    num_params = 9

    def __init__(
        self,
        problem: PolynomialODE,
        T: float,
        carleman_level: int,
        steps: int | None = None,
        eps: float | None = None,
        idle: int | None = None,
        encoding: str = "dense",
        inverter: str = "qsvt",
        precision: float = DEFAULT_PRECISION,
        wires: object = None,
        alpha: float | str = "bound",
        kappa: float | str = "auto",
        scale: float | None = None,
        clock_qubits: int = DEFAULT_CLOCK_QUBITS,
        evolution: str = "exact",
        id=None,
    ) -> None:
        self._hyperparameters = solver_hyperparameters(
            problem,
            T,
            carleman_level,
            steps,
            eps,
            idle,
            encoding,
            inverter,
            precision,
            wires,
            alpha,
            kappa,
            scale,
            clock_qubits,
            evolution,
        )
        super().__init__(*pack_problem(problem), wires=wires, id=id)

    # -- parts -----------------------------------------------------------------------------------

    @property
    def problem(self) -> PolynomialODE:
        """The ODE, rebuilt from ``op.data``."""
        return unpack_problem(self.data)

    @property
    def layout(self) -> SolverLayout:
        """Register layout of the operation's wires."""
        hp = self.hyperparameters
        return solver_layout(
            self.problem.size,
            hp["carleman_level"],
            hp["steps"],
            hp["idle"],
            self.wires,
            hp["encoding"],
            hp["inverter"],
            hp.get("clock_qubits", DEFAULT_CLOCK_QUBITS),
        )

    def encoding(self) -> EulerEncoding:
        """The block encoding of :math:`L` on the layout's encoding wires (not queued)."""
        return encoding_for(self.data, self.hyperparameters, self.layout)

    @property
    def alpha(self) -> float:
        """Subnormalisation of the encoding."""
        return self.encoding().alpha

    @property
    def kappa(self) -> float:
        """Condition number of :math:`L/\\alpha` the inverter uses."""
        return self.condition()[0]

    def condition(self) -> tuple[float, str]:
        """:math:`\\kappa` and its source (``"exact"``, ``"bound"``, ``"given"``)."""
        hp = self.hyperparameters
        twin = euler_twin(self.problem, hp["carleman_level"], hp["T"], hp["steps"], hp["idle"])
        return condition_number(twin, self.alpha, hp["steps"], hp["idle"], hp["kappa"])

    def inverse_angles(self) -> InverseAngles:
        """The 1/x polynomial and its QSVT angles (cached)."""
        hp = self.hyperparameters
        return inverse_angles(self.kappa, hp["precision"], hp["scale"])

    def info(self):
        """Metadata: layout, alpha, kappa, degree, success probabilities
        (:func:`~.solver_twins.solver_info`; one native solve)."""
        from pennylane_qsgd.circuits.solver_metadata import solver_info  # it imports this module

        return solver_info(self)

    def degree(self) -> int:
        """Calls to the block encoding: the 1/x polynomial's degree (0 for HHL), no phases."""
        if self.hyperparameters["inverter"] == "hhl":
            return 0
        hp = self.hyperparameters
        return inverse_polynomial(self.kappa, hp["precision"], hp["scale"]).degree

    def rhs(self) -> np.ndarray:
        """:math:`B` on the encoding's system register, not normalised."""
        hp = self.hyperparameters
        twin = euler_twin(self.problem, hp["carleman_level"], hp["T"], hp["steps"], hp["idle"])
        layout = self.layout
        out = np.zeros(2 ** len(layout.register_wires))
        out[layout.register_index()] = twin.B
        return out

    def hhl_operator(self) -> HHLSolver:
        """The :class:`~.HHLSolver` of ``inverter="hhl"`` on ``[anc, clock..., d, register...]``,
        :math:`C = 1/\\kappa` (below every :math:`\\sigma_i(L)/\\alpha`)."""
        enc = self.encoding().encoded()
        with qml.QueuingManager.stop_recording():
            return HHLSolver(
                enc.csr.toarray(),
                enc.alpha,
                wires=self.wires,
                C=1.0 / self.kappa,
                evolution=self.hyperparameters["evolution"],
                validate=False,
            )

    # -- PennyLane interface ---------------------------------------------------------------------

    def decomposition(self) -> list:  # noqa: D102
        layout = self.layout
        with qml.QueuingManager.stop_recording():
            prep = NormalizedStatePrep(self.rhs(), wires=layout.register_wires)
            if self.hyperparameters["inverter"] == "hhl":
                ops = [prep, self.hhl_operator()]
            else:
                ops = [prep, *qsvt_sequence(layout, self.encoding(), self.inverse_angles().angles)]
        return queued(ops)

    @staticmethod
    def compute_decomposition(*data, wires: Wires, **hyperparameters) -> list:  # noqa: D102
        problem = unpack_problem(data)
        hp = dict(hyperparameters)
        op = GradientFlowSolver(problem, hp.pop("T"), hp.pop("carleman_level"), wires=wires, **hp)
        return op.decomposition()

    def resources(self) -> TemplateResources:
        """State preparation, the inverter's gates and ``d`` encoding calls, counted from the
        operations this template decomposes into (the polynomial's degree without phases)."""
        layout = self.layout
        prep = NormalizedStatePrep.prep_resources(len(layout.register_wires))
        if self.hyperparameters["inverter"] == "hhl":
            hhl = self.hhl_operator().resources()
            total = prep.combined(hhl)
            return TemplateResources(
                len(self.wires), hhl.block_encoding_calls, total.gates, None, hhl.notes
            )
        enc = self.encoding()
        d = self.degree()
        with qml.QueuingManager.stop_recording():
            seq = qsvt_sequence(layout, enc, np.zeros(d + 1))
        gates = dict(prep.gates)
        for g in seq:
            if g is not enc and not isinstance(g, qml.ops.Adjoint):
                key = f"{g.name}({len(g.wires)})"
                gates[key] = gates.get(key, 0) + 1
        return TemplateResources(
            logical_qubits=len(self.wires),
            block_encoding_calls=d,
            gates=gates,
            block_encoding=enc.resources(),
            notes=f"QSVT inversion, kappa = {self.kappa:.6g}, {self.hyperparameters['encoding']} "
            f"encoding, alpha = {self.alpha:.6g}",
        )

    def label(self, decimals=None, base_label=None, cache=None) -> str:  # noqa: D102
        hp = self.hyperparameters
        s, N = np.shape(self.data[7])[0], hp["carleman_level"]
        return base_label or f"GradientFlow[{hp['encoding']},{hp['inverter']}, s={s}, N={N}]"

    def _flatten(self):
        return self.data, (self.wires, tuple(self.hyperparameters.items()))

    @classmethod
    def _unflatten(cls, data, metadata):
        hp = dict(metadata[1])
        return cls(
            unpack_problem(data), hp.pop("T"), hp.pop("carleman_level"), wires=metadata[0], **hp
        )


__all__ = ["DEFAULT_CLOCK_QUBITS", "GradientFlowSolver"]
