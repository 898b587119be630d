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

Every kernel applies the exact linear map of the template's gate decomposition (polynomial error,
real-part step and garbage branches included), never a dense matrix of the register. State
preparations (and the solver, which starts with one) are defined on fresh wires only: their
kernels raise ``ValueError`` if the wires they act on are not in :math:`|0\\rangle`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pennylane as qml
from pennylane.operation import Operator
from pennylane.wires import Wires

from pennylane_qsgd.circuits.amplification import SuccessAmplification, fixed_point_angles
from pennylane_qsgd.circuits.block_encoding import DenseBlockEncoding
from pennylane_qsgd.circuits.data_hash import DigestCache, array_digest
from pennylane_qsgd.circuits.encoded_matrix import EncodedMatrix
from pennylane_qsgd.circuits.linear_maps import qsvt_response, real_part_qsvt
from pennylane_qsgd.circuits.qsvt_solver import QSVTInverse
from pennylane_qsgd.circuits.solver import GradientFlowSolver
from pennylane_qsgd.circuits.solver_twins import ideal_solver_state, solver_state
from pennylane_qsgd.circuits.state_prep import NormalizedStatePrep
from pennylane_qsgd.device.native import native_kernel_for, register_native_kernel

# A state counts as |0> on a set of wires when the rest of its weight there is below this.
ZERO_ATOL = 1e-12
# Largest register for which an amplified operation without a kernel is simulated densely.
DENSE_PREP_WIRES = 12

# Encoded matrices and prepared states, reused while the same data comes back.
_encodings = DigestCache()
_prepared = DigestCache()


# ----------------------------------------------------------------------------------------------
# Layout helpers: operation wires first, as a (2**k, rest) matrix


def to_front(state: np.ndarray, wire_order: Wires, wires: Wires) -> tuple[np.ndarray, list[int]]:
    n = len(wire_order)
    axes = wire_order.indices(wires)
    tensor = np.moveaxis(state.reshape((2,) * n), axes, list(range(len(axes))))
    return tensor.reshape(2 ** len(axes), -1), axes


def from_front(matrix: np.ndarray, axes: list[int], n: int) -> np.ndarray:
    tensor = matrix.reshape((2,) * n)
    return np.ascontiguousarray(np.moveaxis(tensor, list(range(len(axes))), axes)).reshape(-1)


def require_fresh(matrix: np.ndarray, op: Operator) -> np.ndarray:
    """The ``rest`` vector if ``matrix`` is :math:`|0\\rangle \\otimes` rest, else ValueError."""
    rest = matrix[0]
    tail = float(np.linalg.norm(matrix[1:]))
    if tail > ZERO_ATOL * max(1.0, float(np.linalg.norm(rest))):
        raise ValueError(
            f"{op.name} prepares a state from |0...0> and its native kernel needs its wires "
            f"{op.wires.tolist()} in |0> (weight {tail**2:.3e} elsewhere); apply it to fresh wires. "
            "To amplify its success event, apply it once and then qml.AmplitudeAmplification(U, O) "
            "or SuccessAmplification with a qml.FlipSign oracle on U's wires (applied natively "
            "as reflections about U|0>), or run fidelity='gates'"
        )
    return rest


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


def _solver_kernel(model: Callable[[GradientFlowSolver], np.ndarray], tag: str):
    def kernel(state: np.ndarray, op: Operator, wire_order: Wires) -> np.ndarray:
        mat, axes = to_front(state, wire_order, op.wires)
        rest = require_fresh(mat, op)
        psi = _prepared.get(f"{tag}:{op.hash}", lambda: model(op))
        return from_front(np.outer(psi, rest), axes, len(wire_order))

    return kernel


# ----------------------------------------------------------------------------------------------
# Amplitude amplification


def prepared_state(U: Operator, fidelity: str) -> np.ndarray:
    """:math:`U|0\\rangle` over ``U.wires`` with ``U``'s kernel at ``fidelity`` (cached)."""

    def make() -> np.ndarray:
        kernel = native_kernel_for(U, fidelity)
        if kernel is not None:
            zero = np.zeros(2 ** len(U.wires), dtype=np.complex128)
            zero[0] = 1.0
            return np.asarray(kernel(zero, U, U.wires), dtype=np.complex128)
        if len(U.wires) > DENSE_PREP_WIRES:
            raise ValueError(
                f"{U.name} has no native kernel and acts on {len(U.wires)} > {DENSE_PREP_WIRES} "
                "wires; amplify a template with a native kernel (e.g. GradientFlowSolver)"
            )
        return np.asarray(qml.matrix(U, wire_order=U.wires)[:, 0], dtype=np.complex128)

    return _prepared.get(f"{fidelity}:{U.hash}", make)


def _oracle_mask(O: Operator, wires: Wires) -> np.ndarray:
    """Boolean mask over the basis of ``wires`` of the states whose sign ``O`` flips."""
    if not isinstance(O, qml.FlipSign):
        raise TypeError(
            f"the native amplification kernel needs a qml.FlipSign oracle; got {O.name} "
            "(use circuits.amplification.success_oracle)"
        )
    if not Wires(wires).contains_wires(O.wires):
        raise ValueError(f"oracle wires {O.wires.tolist()} are not all wires of U {wires}")
    u = len(wires)
    index = np.arange(2**u)
    mask = np.ones(2**u, dtype=bool)
    for wire, bit in zip(O.wires, O.hyperparameters["arr_bin"], strict=True):
        pos = wires.index(wire)
        mask &= ((index >> (u - 1 - pos)) & 1) == int(bit)
    return mask


def _reflect(x: np.ndarray, psi: np.ndarray, angle: float) -> np.ndarray:
    """``qml.Reflection(U, angle)``: :math:`-x + (1 - e^{i\\,angle})|\\psi\\rangle\\langle\\psi|x`."""
    overlap = np.tensordot(psi.conj(), x, axes=(0, 0))
    return -x + (1.0 - np.exp(1j * angle)) * np.multiply.outer(psi, overlap)


def _amplification_kernel(fidelity: str):
    def kernel(state: np.ndarray, op: Operator, wire_order: Wires) -> np.ndarray:
        hp = op.hyperparameters
        U, O = hp["U"], hp["O"]
        if Wires(hp["reflection_wires"]) != U.wires:
            raise ValueError("the native amplification kernel reflects about all wires of U")
        psi = prepared_state(U, fidelity)
        mask = _oracle_mask(O, U.wires)
        iters = int(hp["iters"])
        if not hp["fixed_point"]:
            mat, axes = to_front(state, wire_order, U.wires)
            for _ in range(iters):
                mat[mask] *= -1.0
                mat = _reflect(mat, psi, np.pi)
            return from_front(mat, axes, len(wire_order))
        # Fixed point: U's wires first, then the work wire: shape (2**u, 2, rest).
        mat, axes = to_front(state, wire_order, U.wires + Wires(hp["work_wire"]))
        mat = mat.reshape(2 ** len(U.wires), 2, -1)
        alphas, betas = fixed_point_angles(iters, hp["p_min"])
        for alpha, beta in zip(alphas, betas, strict=True):
            for phase in (beta, None):
                mat = _hadamard_work(mat)
                mat[mask, 1] *= -1.0  # ctrl(O, work_wire)
                mat = _hadamard_work(mat)
                if phase is not None:
                    mat[:, 1] *= np.exp(1j * phase)
            mat = _reflect(mat, psi, -alpha)
        return from_front(mat.reshape(-1, mat.shape[-1]), axes, len(wire_order))

    return kernel


def _reflection_kernel(fidelity: str):
    """``qml.Reflection(U, alpha)``: :math:`-(I - (1 - e^{i\\alpha})|\\psi\\rangle\\langle\\psi|)`,
    :math:`|\\psi\\rangle = U|0\\rangle` from ``U``'s kernel (PennyLane's matrix, global phase
    included)."""

    def kernel(state: np.ndarray, op: Operator, wire_order: Wires) -> np.ndarray:
        U = op.hyperparameters["base"]
        psi = prepared_state(U, fidelity)
        mat, axes = to_front(state, wire_order, U.wires)
        return from_front(_reflect(mat, psi, float(op.parameters[0])), axes, len(wire_order))

    return kernel


def _around_kernel_op(op: Operator, fidelity: str) -> bool:
    """PennyLane's amplification templates run natively when their ``U`` has a kernel, their
    oracle is a ``qml.FlipSign`` and they reflect about all of ``U``'s wires."""
    hp = op.hyperparameters
    U = hp.get("U", hp.get("base"))
    if U is None or native_kernel_for(U, fidelity) is None:
        return False
    if "O" in hp and not isinstance(hp["O"], qml.FlipSign):
        return False
    return Wires(hp["reflection_wires"]) == U.wires


def _hadamard_work(mat: np.ndarray) -> np.ndarray:
    return np.stack([mat[:, 0] + mat[:, 1], mat[:, 0] - mat[:, 1]], axis=1) / np.sqrt(2.0)


# ----------------------------------------------------------------------------------------------
# Registration


def register_circuit_kernels() -> None:
    """Register the kernels of the module docstring (idempotent)."""
    register_native_kernel(
        DenseBlockEncoding, _block_encoding(False), adjoint_kernel=_block_encoding(True)
    )
    register_native_kernel(QSVTInverse, _qsvt_inverse_kernel)
    register_native_kernel(NormalizedStatePrep, _state_prep_kernel)
    register_native_kernel(GradientFlowSolver, _solver_kernel(solver_state, "native"))
    register_native_kernel(
        GradientFlowSolver, _solver_kernel(ideal_solver_state, "ideal"), fidelity="ideal"
    )
    register_native_kernel(SuccessAmplification, _amplification_kernel("native"))
    register_native_kernel(SuccessAmplification, _amplification_kernel("ideal"), fidelity="ideal")
    for fidelity in ("native", "ideal"):
        register_native_kernel(
            qml.AmplitudeAmplification,
            _amplification_kernel(fidelity),
            fidelity=fidelity,
            condition=_around_kernel_op,
        )
        register_native_kernel(
            qml.Reflection,
            _reflection_kernel(fidelity),
            fidelity=fidelity,
            condition=_around_kernel_op,
        )


register_circuit_kernels()


__all__ = [
    "DENSE_PREP_WIRES",
    "ZERO_ATOL",
    "from_front",
    "prepared_state",
    "qsvt_sequence",
    "register_circuit_kernels",
    "to_front",
]
