"""Native kernels of the circuit templates of :mod:`pennylane_qsgd.circuits`.

Importing this module registers, with :func:`pennylane_qsgd.device.native.register_native_kernel`:

===============================  ==================================================================
template                         kernel (fidelity ``"native"``; ``"ideal"`` where stated)
===============================  ==================================================================
``DenseBlockEncoding``           the dilation blocks :math:`X, X^\\dagger, \\sqrt{I - XX^\\dagger},
                                 \\sqrt{I - X^\\dagger X}` as sparse products and Chebyshev series
                                 (and its adjoint)
``QSVTInverse``                  the real-part QSVT map by Clenshaw recurrences on sparse products
                                 (encoding ancilla in 0), else the phase sequence applied literally
``NormalizedStatePrep``          writes :math:`B/\\|B\\|` on wires in :math:`|0\\rangle`
``GradientFlowSolver``           native: :func:`~pennylane_qsgd.circuits.solver_twins.solver_state`
                                 (any encoding; QSVT or HHL); ideal: exact forward substitution,
                                 :func:`~pennylane_qsgd.circuits.solver_twins.ideal_solver_state`
``SuccessAmplification``         the oracle and the reflections about :math:`U|0\\rangle` as rank-one
                                 updates (standard and fixed-point schedules), at both fidelities
``qml.AmplitudeAmplification``   the same, when ``U`` has a kernel and the oracle is a
                                 ``qml.FlipSign`` (otherwise decomposed)
``qml.Reflection``               :math:`-(I - (1 - e^{i\\alpha})|\\psi\\rangle\\langle\\psi|)` when ``U``
                                 has a kernel
===============================  ==================================================================

The amplification kernels live in :mod:`.kernels_amplification` and the wire layout helpers in
:mod:`.kernels_layout`; :func:`register_circuit_kernels` registers them all.

Every kernel applies the exact linear map of the template's gate decomposition (polynomial error,
real-part step and garbage branches included), never a dense matrix of the register. State
preparations (and the solver, which starts with one) are defined on fresh wires only: their
kernels raise ``ValueError`` if the wires they act on are not in :math:`|0\\rangle`.
"""

from __future__ import annotations

import numpy as np
from pennylane.operation import Operator
from pennylane.wires import Wires

from pennylane_qsgd.circuits.block_encoding import DenseBlockEncoding
from pennylane_qsgd.circuits.data_hash import DigestCache, array_digest
from pennylane_qsgd.circuits.encoded_matrix import EncodedMatrix
from pennylane_qsgd.circuits.linear_maps import qsvt_response, real_part_qsvt
from pennylane_qsgd.circuits.qsvt_solver import QSVTInverse
from pennylane_qsgd.circuits.solver import GradientFlowSolver
from pennylane_qsgd.circuits.solver_twins import ideal_solver_state, solver_state
from pennylane_qsgd.circuits.state_prep import NormalizedStatePrep
from pennylane_qsgd.device.kernels_amplification import (
    fresh_state_kernel,
    register_amplification_kernels,
)
from pennylane_qsgd.device.kernels_layout import ZERO_ATOL, from_front, require_fresh, to_front
from pennylane_qsgd.device.native import register_native_kernel

# Encoded matrices, reused while the same data comes back.
_encodings = DigestCache()


# ----------------------------------------------------------------------------------------------
# Block encoding and QSVT


def _encoded(matrix: np.ndarray, alpha: float) -> EncodedMatrix:
    return _encodings.get(
        array_digest(matrix, float(alpha)), lambda: EncodedMatrix(np.asarray(matrix), alpha)
    )


def _block_encoding(adjoint: bool):
    def kernel(state: np.ndarray, op: Operator, wire_order: Wires) -> np.ndarray:
        mat, axes = to_front(state, wire_order, op.wires)
        enc = _encoded(op.data[0], op.data[1])
        half = mat.shape[0] // 2
        upper, lower = enc.dilation_apply(mat[:half], mat[half:], adjoint=adjoint)
        return from_front(np.concatenate([upper, lower]), axes, len(wire_order))

    return kernel


def _phase(blocks: np.ndarray, phi: float) -> None:
    """``MultiRZ(-2 phi)`` on ``[a, r]``: :math:`e^{i\\phi z_a z_r}` on blocks indexed ``[r, a]``."""
    plus, minus = np.exp(1j * phi), np.exp(-1j * phi)
    blocks[0, 0] *= plus
    blocks[1, 1] *= plus
    blocks[0, 1] *= minus
    blocks[1, 0] *= minus


def _hadamard_r(blocks: np.ndarray) -> np.ndarray:
    return np.stack([blocks[0] + blocks[1], blocks[0] - blocks[1]]) / np.sqrt(2.0)


def qsvt_sequence(
    enc: EncodedMatrix, angles: np.ndarray, target_phase: float, blocks: np.ndarray
) -> np.ndarray:
    """:class:`~.QSVTInverse`'s gate sequence applied step by step (any input).

    ``blocks`` has shape (2, 2, N, rest), indexed ``[r, a]``. ``d`` dilation applications, each
    with two Chebyshev square roots: the reference path, and the kernel's path when the encoding
    ancilla is not in :math:`|0\\rangle`.
    """
    out = _hadamard_r(blocks.astype(np.complex128))
    _phase(out, angles[0])
    for k, phi in enumerate(angles[1:]):
        for r in range(2):
            # U_A = U_L^dagger first, then U_L, alternating (qml.QSVT order).
            out[r, 0], out[r, 1] = enc.dilation_apply(out[r, 0], out[r, 1], adjoint=k % 2 == 0)
        _phase(out, phi)
    out[0] *= np.exp(1j * target_phase)
    out[1] *= np.exp(-1j * target_phase)
    return _hadamard_r(out)


def _qsvt_inverse_kernel(state: np.ndarray, op: Operator, wire_order: Wires) -> np.ndarray:
    mat, axes = to_front(state, wire_order, op.wires)
    matrix, alpha, angles = op.data
    gamma = op.hyperparameters["target_phase"]
    enc = _encoded(matrix, alpha)
    blocks = mat.reshape(2, 2, mat.shape[0] // 4, -1)
    if float(np.linalg.norm(blocks[:, 1])) > ZERO_ATOL * 1e-2 * float(np.linalg.norm(blocks)):
        out = qsvt_sequence(enc, np.asarray(angles), gamma, blocks)
    else:
        res = real_part_qsvt(
            qsvt_response(angles), enc.apply_adjoint, enc.apply, blocks[0, 0], blocks[1, 0], gamma
        )
        out = np.empty(blocks.shape, dtype=np.complex128)
        out[0, 0], out[1, 0] = res.success, res.imaginary
        out[0, 1], out[1, 1] = enc.sqrt_left(res.garbage_r0), enc.sqrt_left(res.garbage_r1)
    return from_front(out.reshape(mat.shape), axes, len(wire_order))


# ----------------------------------------------------------------------------------------------
# State preparation and the composed solver


def _state_prep_kernel(state: np.ndarray, op: Operator, wire_order: Wires) -> np.ndarray:
    mat, axes = to_front(state, wire_order, op.wires)
    rest = require_fresh(mat, op)
    return from_front(np.outer(op.data[0], rest), axes, len(wire_order))


# ----------------------------------------------------------------------------------------------
# Registration


def register_circuit_kernels() -> None:
    """Register the kernels of the module docstring (idempotent)."""
    register_native_kernel(
        DenseBlockEncoding, _block_encoding(False), adjoint_kernel=_block_encoding(True)
    )
    register_native_kernel(QSVTInverse, _qsvt_inverse_kernel)
    register_native_kernel(NormalizedStatePrep, _state_prep_kernel)
    register_native_kernel(GradientFlowSolver, fresh_state_kernel(solver_state, "native"))
    register_native_kernel(
        GradientFlowSolver, fresh_state_kernel(ideal_solver_state, "ideal"), fidelity="ideal"
    )
    register_amplification_kernels()


register_circuit_kernels()


__all__ = [
    "qsvt_sequence",
    "register_circuit_kernels",
]
