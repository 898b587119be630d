"""Native kernels of the Hamiltonian-simulation and HHL templates.

Importing this module registers, with :func:`pennylane_qsgd.device.native.register_native_kernel`:

==================================  ===============================================================
template                            kernel (fidelity ``"native"``, with its adjoint)
==================================  ===============================================================
``HermitianQSVT``                   per eigenvalue of :math:`H/\\alpha`, the exact 4x4 map on ``(r, a)``
                                    (:func:`~pennylane_qsgd.circuits.simulation_twin.real_part_blocks`)
``HamiltonianSimulation``           per eigenvalue, the exact 8x8 map on ``(l, r, a)``
                                    (:func:`~pennylane_qsgd.circuits.simulation_twin.simulation_blocks`)
``AmplifiedHamiltonianSimulation``  the same with one round of oblivious amplification
                                    (:func:`~pennylane_qsgd.circuits.simulation_twin.amplified_blocks`)
``HHLSolver``                       per eigenvector of its unitary (exact or Trotter), phase estimation
                                    with the finite clock, rotations and inverse estimation
                                    (:func:`~pennylane_qsgd.circuits.hhl_twin.apply_hhl`)
==================================  ===============================================================

All three are the gate sequences' exact maps for any input (garbage branches included), computed in
the eigenbasis of the small dense Hermitian matrix or unitary (one ``eigh`` or Schur form), never as a dense register unitary.
"""

from __future__ import annotations

import numpy as np
from pennylane.operation import Operator
from pennylane.wires import Wires

from pennylane_qsgd.circuits.amplified_simulation import AmplifiedHamiltonianSimulation
from pennylane_qsgd.circuits.data_hash import DigestCache, array_digest
from pennylane_qsgd.circuits.hamiltonian_simulation import HamiltonianSimulation
from pennylane_qsgd.circuits.hermitian_qsvt import HermitianQSVT
from pennylane_qsgd.circuits.hhl_solver import HHLSolver
from pennylane_qsgd.circuits.hhl_twin import apply_hhl
from pennylane_qsgd.circuits.simulation_twin import (
    amplified_blocks,
    real_part_blocks,
    simulation_blocks,
)
from pennylane_qsgd.device.kernels_layout import from_front, to_front
from pennylane_qsgd.device.native import register_native_kernel

_eigensystems = DigestCache()


def _eigh(H: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """``eigh(H / alpha)``, once per ``(H, alpha)``: QPE applies the same operation many times."""

    def make() -> tuple[np.ndarray, np.ndarray]:
        lam, V = np.linalg.eigh(H / alpha)
        lam.setflags(write=False)  # shared by every later call
        V.setflags(write=False)
        return lam, V

    return _eigensystems.get(array_digest(H, alpha), make)


def _eigen_kernel(num_ancillas: int, blocks_of, adjoint: bool):
    """Kernel applying ``blocks_of(op, eigenvalues)`` (shape (k, 2**u, 2**u)) per eigenvector."""

    def kernel(state: np.ndarray, op: Operator, wire_order: Wires) -> np.ndarray:
        mat, axes = to_front(state, wire_order, op.wires)
        H = np.asarray(op.data[0])
        lam, V = _eigh(H, float(op.data[1]))
        blocks = blocks_of(op, lam)
        if adjoint:
            blocks = np.conj(np.swapaxes(blocks, 1, 2))
        x = mat.reshape(2**num_ancillas, H.shape[0], -1).astype(np.complex128)
        x = np.einsum("ed,adr->aer", V.conj().T, x)
        x = np.einsum("eab,ber->aer", blocks, x)
        out = np.einsum("de,aer->adr", V, x)
        return from_front(out.reshape(mat.shape), axes, len(wire_order))

    return kernel


def _real_part_blocks(op: Operator, lam: np.ndarray) -> np.ndarray:
    return real_part_blocks(lam, np.asarray(op.data[2]))


def _simulation_blocks(op: Operator, lam: np.ndarray) -> np.ndarray:
    return simulation_blocks(lam, op.angles)


def _amplified_blocks(op: Operator, lam: np.ndarray) -> np.ndarray:
    return amplified_blocks(simulation_blocks(lam, op.angles))


def _hhl_kernel(adjoint: bool):
    def kernel(state: np.ndarray, op: Operator, wire_order: Wires) -> np.ndarray:
        mat, axes = to_front(state, wire_order, op.wires)
        x = mat.reshape(2, 2**op.num_clock, -1, mat.shape[1])
        out = apply_hhl(op, x, adjoint=adjoint)
        return from_front(out.reshape(mat.shape), axes, len(wire_order))

    return kernel


def register_hhl_kernels() -> None:
    """Register the kernels of the module docstring (idempotent)."""
    register_native_kernel(
        HermitianQSVT,
        _eigen_kernel(2, _real_part_blocks, False),
        adjoint_kernel=_eigen_kernel(2, _real_part_blocks, True),
    )
    register_native_kernel(
        HamiltonianSimulation,
        _eigen_kernel(3, _simulation_blocks, False),
        adjoint_kernel=_eigen_kernel(3, _simulation_blocks, True),
    )
    register_native_kernel(
        AmplifiedHamiltonianSimulation,
        _eigen_kernel(3, _amplified_blocks, False),
        adjoint_kernel=_eigen_kernel(3, _amplified_blocks, True),
    )
    register_native_kernel(HHLSolver, _hhl_kernel(False), adjoint_kernel=_hhl_kernel(True))


register_hhl_kernels()


__all__ = [
    "register_hhl_kernels",
]
