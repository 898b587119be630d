"""Native kernels of amplitude amplification: the oracle and reflections about :math:`U|0\\rangle`.

:func:`register_amplification_kernels` registers, at fidelities ``"native"`` and ``"ideal"``,
kernels for :class:`~pennylane_qsgd.circuits.amplification.SuccessAmplification` (standard and
fixed-point schedules), ``qml.AmplitudeAmplification`` (when ``U`` has a kernel and the oracle is
a ``qml.FlipSign``) and ``qml.Reflection`` (when ``U`` has a kernel), each applied as rank-one
updates with :math:`|\\psi\\rangle = U|0\\rangle` from ``U``'s own kernel
(:func:`prepared_state`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pennylane as qml
from pennylane.operation import Operator
from pennylane.wires import Wires

from pennylane_qsgd.circuits.amplification import SuccessAmplification, fixed_point_angles
from pennylane_qsgd.circuits.data_hash import DigestCache
from pennylane_qsgd.device.kernels_layout import from_front, require_fresh, to_front
from pennylane_qsgd.device.native import native_kernel_for, register_native_kernel

# Largest register for which an amplified operation without a kernel is simulated densely.
DENSE_PREP_WIRES = 12

PREPARED_STATES = DigestCache()
"""Prepared states :math:`U|0\\rangle` keyed ``"fidelity:hash"``, reused while the same operation
comes back (shared with the solver's kernels)."""


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

    return PREPARED_STATES.get(f"{fidelity}:{U.hash}", make)


def fresh_state_kernel(model: Callable[[Operator], np.ndarray], tag: str) -> Callable:
    """Kernel of a state preparation on fresh wires: ``model(op)`` (over ``op.wires``, cached
    under ``"tag:hash"``) times the rest of the state; ValueError if the wires are not in
    :math:`|0\\rangle`."""

    def kernel(state: np.ndarray, op: Operator, wire_order: Wires) -> np.ndarray:
        mat, axes = to_front(state, wire_order, op.wires)
        rest = require_fresh(mat, op)
        psi = PREPARED_STATES.get(f"{tag}:{op.hash}", lambda: model(op))
        return from_front(np.outer(psi, rest), axes, len(wire_order))

    return kernel


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


def register_amplification_kernels() -> None:
    """Register the kernels of the module docstring (idempotent)."""
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


__all__ = [
    "DENSE_PREP_WIRES",
    "PREPARED_STATES",
    "fresh_state_kernel",
    "prepared_state",
    "register_amplification_kernels",
]
