""":class:`LCHSSolver`: :math:`u(T)` of :math:`du/dt = Au + b` prepared by LCHS, forcing included.

Duhamel's formula :math:`u(T) = e^{AT}u_0 + \\int_0^T e^{A(T - s)}b\\,ds` with the integral taken
by the Gauss–Legendre panels of :func:`~pennylane_qsgd.core.lchs_twins.duhamel_quadrature` (nodes
:math:`s_r`, weights :math:`\\omega_r > 0`) is a sum of evolutions of different vectors for
different times:

.. math::

    u(T) \\approx \\sum_{r=0}^{P} c_r\\, e^{A\\tau_r}\\hat v_r, \\qquad
    (c_0, \\tau_0, \\hat v_0) = (\\|u_0\\|, T, u_0/\\|u_0\\|), \\quad
    (c_r, \\tau_r, \\hat v_r) = (\\omega_r\\|b\\|, T - s_r, b/\\|b\\|).

The circuit is an LCU over the *branch* index :math:`r` wrapped around the :math:`k`-LCU of
:class:`~.lchs.LCHSEvolution`, on the same :math:`k`-grid (a grid valid for :math:`T` is valid for
every :math:`\\tau_r \\le T`):

1. :class:`~.state_prep.NormalizedStatePrep` of :math:`\\sum_r \\sqrt{c_r/C}\\,|r\\rangle|\\hat
   v_r\\rangle` on ``branch + system`` (:math:`C = \\sum_r c_r`);
2. Möttönen :math:`M` and the phases :math:`D` on the node register (as in ``LCHSEvolution``);
3. one :class:`~.HamiltonianSimulation` for time :math:`T` of the block-diagonal
   :math:`\\sum_{r,j}|r, j\\rangle\\langle r, j| \\otimes (\\tau_r/T)(k_jL_A + H_A)`, whose norm is
   at most :math:`\\alpha = K\\|L_A\\| + \\|H_A\\|`: the times enter the Hamiltonian, the
   Jacobi–Anger pair is the one of :math:`\\tau = \\alpha T`;
4. :math:`M^\\dagger` on the nodes and :math:`B^\\dagger` on the branch register, with
   :math:`B|0\\rangle = \\sum_r\\sqrt{c_r/C}|r\\rangle`.

On :math:`|0\\rangle` the block :math:`|0\\rangle_{\\rm branch}|0\\rangle_{\\rm node}|000\\rangle_{lra}`
of the output holds :math:`\\frac{s}{2\\|w\\|_1 C}\\,\\tilde u(T)` with
:math:`\\|\\tilde u(T) - u(T)\\| \\le \\varepsilon\\,C + E_{\\rm Duhamel}\\|b\\|`
(:attr:`LCHSSolver.error_bound`). Wires: ``[branch (n_r), node (n_k), l, r, a, system (n)]``.
The native kernel (:mod:`pennylane_qsgd.device.kernels_lchs`) is the exact map of these gates on
fresh wires.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
from pennylane.operation import Operation
from pennylane.wires import Wires

from pennylane_qsgd.circuits.block_encoding import check_square_matrix
from pennylane_qsgd.circuits.data_hash import FullDataHashMixin, queued
from pennylane_qsgd.circuits.hamiltonian_simulation import DEFAULT_SCALE, HamiltonianSimulation
from pennylane_qsgd.circuits.lchs import DEFAULT_EPS, check_evolution_time
from pennylane_qsgd.circuits.lchs_layout import (
    ForcedLCHSLayout,
    forced_layout,
    jacobi_anger_eps,
    lchs_gates,
)
from pennylane_qsgd.circuits.resources import TemplateResources
from pennylane_qsgd.circuits.state_prep import NormalizedStatePrep
from pennylane_qsgd.core.lchs import DEFAULT_BETA, GAUSS_ORDER


class LCHSSolver(FullDataHashMixin, Operation):
    """Prepare :math:`u(T)` of :math:`du/dt = Au + b` by LCHS (module docstring).

    Parameters
    ----------
    A : array_like, shape (2**n, 2**n)
        Generator with Hermitian part :math:`\\preceq 0` (checked).
    u0, b : array_like, shape (2**n,)
        Initial state and constant forcing (``b`` may be zero).
    time : float
        :math:`T \\ge 0`.
    wires : sequence
        ``[branch (n_r), node (n_k), l, r, a, system (n)]``
        (:meth:`LCHSSolver.register_sizes`).
    eps, beta, scale
        As for :class:`~.lchs.LCHSEvolution`; the Duhamel rule also errs by at most ``eps``
        relative to :math:`T\\|b\\|`.
    order : int
        Gauss–Legendre points per panel of the Duhamel rule.
    kernel : {"acl", "low-somma"}
        LCHS kernel (:mod:`~pennylane_qsgd.core.lchs_kernels`).

    Examples
    --------
    >>> A, u0, b = np.array([[-0.5, 0.2], [-0.2, -0.3]]), np.array([1.0, 0.0]), np.array([0.0, 0.5])
    >>> n_r, n_k = LCHSSolver.register_sizes(A, u0, b, 0.5, eps=1e-2, order=2)
    >>> op = LCHSSolver(A, u0, b, 0.5, wires=range(n_r + n_k + 4), eps=1e-2, order=2)
    >>> op.label()
    'LCHS u(T)'
    """

    grad_method = None
    num_params = 4
    ndim_params = (2, 1, 1, 0)

    def __init__(
        self,
        A: object,
        u0: object,
        b: object,
        time: float,
        wires: object,
        eps: float = DEFAULT_EPS,
        beta: float = DEFAULT_BETA,
        scale: float = DEFAULT_SCALE,
        order: int = GAUSS_ORDER,
        kernel: str = "acl",
        id=None,
    ) -> None:
        arr = np.asarray(check_square_matrix(A, "A"), dtype=np.complex128)
        vecs = []
        for name, v in (("u0", u0), ("b", b)):
            v = np.asarray(v, dtype=np.complex128).reshape(-1)
            if v.shape != (arr.shape[0],) or not np.all(np.isfinite(v)):
                raise ValueError(f"{name} must be a finite vector of shape ({arr.shape[0]},)")
            vecs.append(v)
        time = check_evolution_time(time)
        hp = {
            "eps": float(eps),
            "beta": float(beta),
            "scale": float(scale),
            "order": int(order),
            "kernel": str(kernel),
        }
        layout = forced_layout(arr, *vecs, time, **hp)
        wires = Wires(wires)
        n = int(np.log2(arr.shape[0]))
        nr, nk = layout.branch_qubits, layout.base.node_qubits
        if len(wires) != nr + nk + 3 + n:
            raise ValueError(
                f"wires must hold {nr} branch, {nk} node wires, l, r, a and {n} system wires "
                f"({nr + nk + 3 + n} in all); got {len(wires)}"
            )
        self._hyperparameters = hp
        super().__init__(arr, *vecs, time, wires=wires, id=id)

    @staticmethod
    def register_sizes(
        A: object,
        u0: object,
        b: object,
        time: float,
        eps: float = DEFAULT_EPS,
        beta: float = DEFAULT_BETA,
        order: int = GAUSS_ORDER,
        kernel: str = "acl",
    ) -> tuple[int, int]:
        """:math:`(n_r, n_k)`: branch and node qubits for these data."""
        arr = np.asarray(check_square_matrix(A, "A"), dtype=np.complex128)
        u0, b = (np.asarray(v, dtype=np.complex128).reshape(-1) for v in (u0, b))
        layout = forced_layout(
            arr, u0, b, float(time), float(eps), float(beta), order=order, kernel=kernel
        )
        return layout.branch_qubits, layout.base.node_qubits

    @property
    def layout(self) -> ForcedLCHSLayout:
        """The derived grid, branches and preparations."""
        A, u0, b, time = self.data
        return forced_layout(A, u0, b, float(time), **self.hyperparameters)

    @property
    def block_scale(self) -> float:
        """:math:`s/(2\\|w\\|_1 C)`: the success block is this times :math:`u(T)`."""
        layout = self.layout
        return 0.5 * self.hyperparameters["scale"] / (layout.base.l1_norm * layout.total)

    @property
    def error_bound(self) -> float:
        """:math:`\\varepsilon C + E_{\\rm Duhamel}\\|b\\|`: bound on :math:`\\|\\tilde u - u(T)\\|`."""
        layout = self.layout
        rule = layout.rule
        duhamel = 0.0 if rule is None else rule.error_bound * float(np.linalg.norm(self.data[2]))
        return self.hyperparameters["eps"] * layout.total + duhamel

    @staticmethod
    def compute_decomposition(A, u0, b, time, wires, eps, beta, scale, order, kernel="acl") -> list:
        """Joint preparation, node :math:`M` and :math:`D`, one Hamiltonian simulation,
        :math:`M^\\dagger`, :math:`B^\\dagger` (module docstring)."""
        layout = forced_layout(np.asarray(A), u0, b, float(time), eps, beta, scale, order, kernel)
        nr, nk = layout.branch_qubits, layout.base.node_qubits
        branch, node = wires[:nr], wires[nr : nr + nk]
        (l, r, a), system = wires[nr + nk : nr + nk + 3], wires[nr + nk + 3 :]
        with qml.QueuingManager.stop_recording():
            node_prep = qml.MottonenStatePreparation(layout.base.prep, wires=node)
            ops = [
                NormalizedStatePrep(layout.joint, wires=[*branch, *system]),
                node_prep,
                qml.DiagonalQubitUnitary(layout.base.phases, wires=node),
                HamiltonianSimulation(
                    layout.select_hamiltonian(float(time)),
                    layout.base.alpha,
                    float(time),
                    wires=[l, r, a, *branch, *node, *system],
                    eps=jacobi_anger_eps(eps, layout.base.l1_norm),
                    scale=scale,
                    validate=False,
                ),
                qml.adjoint(node_prep),
                qml.adjoint(qml.MottonenStatePreparation(layout.branch_prep, wires=branch)),
            ]
        return queued(ops)

    def resources(self) -> TemplateResources:
        """One Hamiltonian simulation of the select Hamiltonian (:math:`d_c + d_s` calls), the
        joint, node and branch preparations."""
        layout = self.layout
        angles = layout.base.angles
        calls = angles.cos.degree + angles.sin.degree
        nr, nk = layout.branch_qubits, layout.base.node_qubits
        n = len(self.wires) - nr - nk - 3
        return TemplateResources(
            logical_qubits=len(self.wires),
            block_encoding_calls=calls,
            gates={
                **lchs_gates(calls, nk),
                f"MottonenStatePreparation({nr})": 1,
                f"NormalizedStatePrep({nr + n})": 1,
            },
            notes=(
                f"LCHS with forcing: {layout.times.size} branches (1 homogeneous + "
                f"{0 if layout.rule is None else layout.rule.nodes.size} Duhamel nodes), "
                f"{layout.base.quadrature.num_nodes} k-nodes, alpha = {layout.base.alpha:.4g}"
            ),
        )

    def label(self, decimals=None, base_label=None, cache=None) -> str:  # noqa: D102
        return base_label or "LCHS u(T)"

    def _flatten(self):
        return self.data, (self.wires, tuple(self.hyperparameters.items()))

    @classmethod
    def _unflatten(cls, data, metadata):
        return cls(*data, wires=metadata[0], **dict(metadata[1]))


__all__ = ["LCHSSolver"]
