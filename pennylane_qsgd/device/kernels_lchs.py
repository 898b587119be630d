"""Native kernel of :class:`~pennylane_qsgd.circuits.lchs.LCHSEvolution`.

Importing this module registers, with :func:`pennylane_qsgd.device.native.register_native_kernel`,
the exact map of the template's gates :math:`M^\\dagger\\,\\mathrm{SEL}\\,D\\,M` (and its adjoint) on
any input, garbage branches included:

* :math:`M`: the Möttönen preparation's own unitary on the node wires (``qml.matrix`` of the gate
  sequence, :math:`2^{n_k} \\times 2^{n_k}`, cached);
* :math:`D`: the node phases;
* SEL: per node :math:`j`, per eigenvalue :math:`x` of :math:`(k_jL_A + H_A)/\\alpha`, the exact 8x8
  map of :class:`~.HamiltonianSimulation` on ``(l, r, a)``
  (:func:`~pennylane_qsgd.circuits.hamiltonian_simulation.simulation_blocks`): the select
  Hamiltonian is block diagonal, so its eigenvectors are the nodes' eigenvectors.

Cost: one ``eigh`` of an ``n x n`` matrix per node, never a dense matrix of the register.

:class:`~pennylane_qsgd.circuits.lchs_solver.LCHSSolver` (forcing included) prepares a state from
:math:`|0\\rangle`; its kernel is the exact output of its gates on fresh wires: the joint
preparation, per branch :math:`r` and node :math:`j` the 8x8 maps for the eigenvalues of
:math:`(\\tau_r/T)(k_jL_A + H_A)/\\alpha` (same eigenvectors as the node's), then
:math:`M^\\dagger` and the branch :math:`B^\\dagger` (``qml.matrix`` of their gates).
"""

from __future__ import annotations

import numpy as np
from pennylane.operation import Operator
from pennylane.wires import Wires

from pennylane_qsgd.circuits.data_hash import DigestCache, array_digest
from pennylane_qsgd.circuits.lchs import LCHSEvolution
from pennylane_qsgd.circuits.lchs_layout import LCHSLayout, branch_prep_matrix, prep_matrix
from pennylane_qsgd.circuits.lchs_solver import LCHSSolver
from pennylane_qsgd.circuits.simulation_twin import simulation_blocks
from pennylane_qsgd.device.kernels_amplification import fresh_state_kernel
from pennylane_qsgd.device.kernels_layout import from_front, to_front
from pennylane_qsgd.device.native import register_native_kernel

_select_maps = DigestCache()


def _select(layout: LCHSLayout, key: str) -> tuple[np.ndarray, np.ndarray]:
    """Per node: eigenvectors (J, n, n) and 8x8 blocks per eigenvalue (J, n, 8, 8)."""

    def make() -> tuple[np.ndarray, np.ndarray]:
        vecs, blocks = [], []
        for k in layout.nodes:
            lam, V = np.linalg.eigh((k * layout.L + layout.H) / layout.alpha)
            vecs.append(V)
            blocks.append(simulation_blocks(lam, layout.angles))
        out = np.stack(vecs), np.stack(blocks)
        for arr in out:
            arr.setflags(write=False)
        return out

    return _select_maps.get(key, make)


def _lchs_kernel(adjoint: bool):
    def kernel(state: np.ndarray, op: Operator, wire_order: Wires) -> np.ndarray:
        mat, axes = to_front(state, wire_order, op.wires)
        layout = op.layout
        hp = op.hyperparameters
        key = (
            array_digest(op.data[0], op.data[1], hp["eps"], hp["beta"], hp["scale"]) + hp["kernel"]
        )
        V, blocks = _select(layout, key)
        M = prep_matrix(layout)
        J, n = layout.nodes.size, layout.L.shape[0]
        x = mat.reshape(J, 8, n, -1).astype(np.complex128)
        if adjoint:  # (M^dag SEL D M)^dag = M^dag D^dag SEL^dag M
            blocks = np.conj(np.swapaxes(blocks, 2, 3))
        x = np.einsum("ij,jarR->iarR", M, x)
        if not adjoint:
            x = layout.phases[:, None, None, None] * x
        x = np.einsum("jed,jadR->jaeR", V.conj().transpose(0, 2, 1), x)
        x = np.einsum("jeab,jbeR->jaeR", blocks, x)
        x = np.einsum("jde,jaeR->jadR", V, x)
        if adjoint:
            x = layout.phases.conj()[:, None, None, None] * x
        x = np.einsum("ij,jarR->iarR", M.conj().T, x)
        return from_front(x.reshape(mat.shape), axes, len(wire_order))

    return kernel


def solver_state(op: LCHSSolver) -> np.ndarray:
    """The state the gates of ``op`` prepare from :math:`|0\\rangle`, over ``op.wires``."""
    layout = op.layout
    base, T = layout.base, float(op.data[3])
    R, J, n = layout.times.size, base.nodes.size, base.L.shape[0]
    x0 = layout.joint.reshape(R, n)
    node_amp = prep_matrix(base)[:, 0] * base.phases  # D M |0>
    ratios = layout.time_ratios(T)
    out = np.zeros((R, J, 8, n), dtype=np.complex128)
    for j, k in enumerate(base.nodes):
        if node_amp[j] == 0:
            continue
        lam, V = np.linalg.eigh((k * base.L + base.H) / base.alpha)
        coeffs = x0 @ V.conj()  # row r: V^dagger x_r
        for r in range(R):
            if not np.any(coeffs[r]):
                continue
            blocks = simulation_blocks(lam * ratios[r], base.angles)[:, :, 0]  # |000>_lra in
            out[r, j] = node_amp[j] * (V @ (blocks * coeffs[r][:, None])).T
    out = np.einsum("ij,rjan->rian", prep_matrix(base).conj().T, out)
    out = np.einsum("sr,rjan->sjan", branch_prep_matrix(layout).conj().T, out)
    return out.reshape(-1)


def register_lchs_kernels() -> None:
    """Register the kernels of the module docstring (idempotent)."""
    register_native_kernel(LCHSEvolution, _lchs_kernel(False), adjoint_kernel=_lchs_kernel(True))
    register_native_kernel(LCHSSolver, fresh_state_kernel(solver_state, "lchs-solver"))


register_lchs_kernels()


__all__ = [
    "register_lchs_kernels",
    "solver_state",
]
