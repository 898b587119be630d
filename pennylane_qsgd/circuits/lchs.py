""":class:`LCHSEvolution`: :math:`e^{At}` block-encoded as an LCU of Hamiltonian simulations.

Linear combination of Hamiltonian simulation (An, Liu, Lin, PRL 131, 150603 (2023); An, Childs,
Lin, arXiv:2312.03916) on the grid of :func:`~pennylane_qsgd.core.lchs.lchs_quadrature`:
:math:`e^{At} \\approx \\sum_j w_j e^{-it H_j}`, :math:`H_j = k_jL_A + H_A`. All nodes run at once
(the SELECT of the LCU) as one Hamiltonian simulation of the block-diagonal

.. math::

    H_{\\rm sel} = \\sum_j |j\\rangle\\langle j| \\otimes (k_j L_A + H_A),
    \\qquad \\|H_{\\rm sel}\\| \\le K\\alpha_L + \\alpha_H = \\alpha,

so its cost is that of one :class:`~.HamiltonianSimulation` for :math:`\\tau = \\alpha t`, not one
per node. With :math:`M|0\\rangle = \\sum_j \\sqrt{|w_j|/\\|w\\|_1}|j\\rangle` (Möttönen) and the
phases :math:`D = \\mathrm{diag}(w_j/|w_j|)` the circuit is :math:`M^\\dagger\\,\\mathrm{SEL}\\,D\\,M`,
and on :math:`|0\\rangle_{\\rm node}|000\\rangle_{lra}` its block is

.. math::

    \\frac{s}{2\\|w\\|_1} \\sum_j w_j\\, \\tfrac{2}{s}\\,\\tfrac12[P_c - iP_s](H_j/\\alpha)
    = \\frac{s}{2\\|w\\|_1}\\, e^{At} + E, \\qquad
    \\|E\\| \\le \\frac{s}{2\\|w\\|_1}\\,(\\varepsilon_{\\rm quad} + 2\\|w\\|_1\\varepsilon_{\\rm JA}).

The grid is padded to :math:`2^{n_k}` nodes with zero weight. Wires:
``[node_0 .. node_{n_k - 1}, l, r, a, system...]`` (:meth:`LCHSEvolution.node_qubits` gives
:math:`n_k`). The block encoding of :math:`H_{\\rm sel}` here is the dense dilation (the faithful
small-instance model); the query count with separate encodings of :math:`L_A` and :math:`H_A` is
:func:`~pennylane_qsgd.core.lchs_cost.lchs_cost`.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
from pennylane.operation import Operation
from pennylane.wires import Wires

from pennylane_qsgd.circuits.block_encoding import check_square_matrix
from pennylane_qsgd.circuits.data_hash import FullDataHashMixin, queued
from pennylane_qsgd.circuits.hamiltonian_simulation import DEFAULT_SCALE, HamiltonianSimulation
from pennylane_qsgd.circuits.lchs_layout import (
    LCHSLayout,
    jacobi_anger_eps,
    lchs_gates,
    lchs_layout,
)
from pennylane_qsgd.circuits.resources import TemplateResources, bits
from pennylane_qsgd.core.lchs import DEFAULT_BETA

DEFAULT_EPS = 1e-3
"""Default operator-norm target of :class:`LCHSEvolution` (quadrature and polynomials)."""


def check_evolution_time(time: object) -> float:
    """``time`` as a float if it is finite and :math:`\\ge 0`; ValueError naming it otherwise."""
    if isinstance(time, bool) or not np.isscalar(time) or not np.isfinite(time) or time < 0:
        raise ValueError(f"time must be a finite non-negative number; got {time!r}")
    return float(time)


class LCHSEvolution(FullDataHashMixin, Operation):
    """:math:`\\frac{s}{2\\|w\\|_1}e^{At}` block-encoded by LCHS (module docstring).

    Parameters
    ----------
    A : array_like, shape (2**n, 2**n)
        Generator with Hermitian part :math:`\\preceq 0` (checked).
    time : float
        :math:`t \\ge 0`.
    wires : sequence
        ``[node wires (n_k), l, r, a, system (n)]``.
    eps : float
        Operator-norm target of the normalised block (quadrature ``eps/2``, polynomials ``eps/2``).
    beta : float
        Exponent in (0, 1) of An–Childs–Lin's kernel.
    scale : float
        Jacobi–Anger prefactor :math:`s`.
    kernel : {"acl", "low-somma"}
        LCHS kernel (:mod:`~pennylane_qsgd.core.lchs_kernels`).

    Examples
    --------
    >>> A = np.array([[-0.5, 0.3], [-0.3, -0.2]])
    >>> n_k = LCHSEvolution.node_qubits(A, 0.5, eps=1e-2)
    >>> op = LCHSEvolution(A, 0.5, wires=[*range(n_k), "l", "r", "a", "s"], eps=1e-2)
    >>> op.label()
    'LCHS e^(At)'
    """

    grad_method = None
    num_params = 2
    ndim_params = (2, 0)

    def __init__(
        self,
        A: object,
        time: float,
        wires: object,
        eps: float = DEFAULT_EPS,
        beta: float = DEFAULT_BETA,
        scale: float = DEFAULT_SCALE,
        kernel: str = "acl",
        id=None,
    ) -> None:
        arr = np.asarray(check_square_matrix(A, "A"), dtype=np.complex128)
        time = check_evolution_time(time)
        n = int(np.log2(arr.shape[0]))
        layout = lchs_layout(arr, time, float(eps), float(beta), float(scale), kernel)
        wires = Wires(wires)
        expected = layout.node_qubits + 3 + n
        if len(wires) != expected:
            raise ValueError(
                f"wires must hold {layout.node_qubits} node wires, l, r, a and {n} system wires "
                f"({expected} in all); got {len(wires)}"
            )
        self._hyperparameters = {
            "eps": float(eps),
            "beta": float(beta),
            "scale": float(scale),
            "kernel": str(kernel),
        }
        super().__init__(arr, time, wires=wires, id=id)

    @staticmethod
    def node_qubits(
        A: object,
        time: float,
        eps: float = DEFAULT_EPS,
        beta: float = DEFAULT_BETA,
        kernel: str = "acl",
    ) -> int:
        """:math:`n_k` for this generator, time and target."""
        arr = np.asarray(check_square_matrix(A, "A"), dtype=np.complex128)
        return lchs_layout(arr, float(time), float(eps), float(beta), kernel=kernel).node_qubits

    @property
    def layout(self) -> LCHSLayout:
        """The derived grid, angles and state-preparation data."""
        hp = self.hyperparameters
        A, time = self.data[0], float(self.data[1])
        return lchs_layout(A, time, hp["eps"], hp["beta"], hp["scale"], hp["kernel"])

    @property
    def block_scale(self) -> float:
        """:math:`s/(2\\|w\\|_1)`: the block is this times :math:`e^{At}`."""
        return 0.5 * self.hyperparameters["scale"] / self.layout.l1_norm

    @staticmethod
    def compute_decomposition(A, time, wires, eps, beta, scale, kernel="acl") -> list:
        """Möttönen :math:`M` on the node wires, the phases :math:`D`,
        :class:`~.HamiltonianSimulation` of :math:`H_{\\rm sel}` on ``[l, r, a, node, system]``,
        :math:`M^\\dagger`."""
        layout = lchs_layout(np.asarray(A), float(time), eps, beta, scale, kernel)
        nk = layout.node_qubits
        node, (l, r, a), system = wires[:nk], wires[nk : nk + 3], wires[nk + 3 :]
        with qml.QueuingManager.stop_recording():
            prep = qml.MottonenStatePreparation(layout.prep, wires=node)
            sim = HamiltonianSimulation(
                layout.select_hamiltonian(),
                layout.alpha,
                float(time),
                wires=[l, r, a, *node, *system],
                eps=jacobi_anger_eps(eps, layout.l1_norm),
                scale=scale,
                validate=False,
            )
            ops = [prep, qml.DiagonalQubitUnitary(layout.phases, wires=node), sim]
            ops.append(qml.adjoint(prep))
        return queued(ops)

    def resources(self) -> TemplateResources:
        """Calls of the encoding of :math:`H_{\\rm sel}` (one :math:`U_L` and one :math:`U_H`
        each): :math:`d_c + d_s` for :math:`\\tau = \\alpha t`; two node preparations."""
        layout = self.layout
        calls = layout.angles.cos.degree + layout.angles.sin.degree
        nk = layout.node_qubits
        return TemplateResources(
            logical_qubits=len(self.wires),
            block_encoding_calls=calls,
            gates=lchs_gates(calls, nk),
            notes=(
                f"LCHS: {layout.quadrature.num_nodes} nodes padded to 2^{nk}, one Hamiltonian "
                f"simulation of the select Hamiltonian (alpha = {layout.alpha:.4g}, "
                f"{bits(calls)}-bit call counter)"
            ),
        )

    def label(self, decimals=None, base_label=None, cache=None) -> str:  # noqa: D102
        return base_label or "LCHS e^(At)"

    def _flatten(self):
        hp = self.hyperparameters
        meta = tuple(hp.items())
        return self.data, (self.wires, meta)

    @classmethod
    def _unflatten(cls, data, metadata):
        return cls(*data, wires=metadata[0], **dict(metadata[1]))


__all__ = ["LCHSEvolution"]
