"""Native kernels of the block encodings of :math:`L` (:mod:`pennylane_qsgd.circuits.encoding`).

Every registered :class:`~pennylane_qsgd.circuits.encoding.EulerEncoding` states its classical twin,
:meth:`~pennylane_qsgd.circuits.encoding.EulerEncoding.apply_unitary`; the kernel here hands it the
state with the encoding's wires in front, as a (2**ancillas, 2**system, rest) array. Importing this
module registers it (and its adjoint) for every encoding registered so far;
:func:`register_encoding_kernels` registers those added later.

The combinators of block encodings (:class:`~pennylane_qsgd.circuits.product_encoding.ProductEncoding`,
:class:`~pennylane_qsgd.circuits.combination_encoding.LinearCombinationEncoding`) are registered
too, for the instances whose parts all have native kernels (others are decomposed): their parts'
kernels on the matching slices of the state, and for the combination the two index preparations
as their exact (small) unitaries, so the map is the gates' for any input.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
from pennylane.operation import Operator
from pennylane.wires import Wires

from pennylane_qsgd.circuits.combination_encoding import LinearCombinationEncoding, lcu_states
from pennylane_qsgd.circuits.data_hash import DigestCache, array_digest
from pennylane_qsgd.circuits.encoding import ENCODINGS
from pennylane_qsgd.circuits.product_encoding import ProductEncoding
from pennylane_qsgd.device.kernels_layout import from_front, to_front
from pennylane_qsgd.device.native import native_kernel_for, register_native_kernel


def apply_encoding(
    state: np.ndarray, op: Operator, wire_order: Wires, adjoint: bool = False
) -> np.ndarray:
    """:math:`U` (or :math:`U^\\dagger`) of an encoding ``op`` on a flat ``state`` over
    ``wire_order`` (big-endian, :mod:`pennylane_qsgd.device.native`)."""
    mat, axes = to_front(np.asarray(state, dtype=np.complex128), wire_order, op.wires)
    n_anc = len(op.ancilla_wires)
    blocks = mat.reshape(2**n_anc, -1, mat.shape[-1])
    out = op.apply_unitary(blocks, adjoint=adjoint)
    return from_front(out.reshape(mat.shape), axes, len(wire_order))


def _kernel(state: np.ndarray, op: Operator, wire_order: Wires) -> np.ndarray:
    return apply_encoding(state, op, wire_order)


def _adjoint_kernel(state: np.ndarray, op: Operator, wire_order: Wires) -> np.ndarray:
    return apply_encoding(state, op, wire_order, adjoint=True)


def register_encoding_kernels() -> None:
    """Register the kernel and its adjoint for every encoding in ``ENCODINGS`` (idempotent)."""
    for cls in ENCODINGS.values():
        register_native_kernel(cls, _kernel, adjoint_kernel=_adjoint_kernel)


def _parts_are_native(op: Operator, fidelity: str) -> bool:
    """Every part of a composite has a native kernel and an adjoint one."""
    return all(
        native_kernel_for(part, "native") is not None
        and native_kernel_for(qml.adjoint(part, lazy=True), "native") is not None
        for part in op.encodings
    )


def _apply_part(state: np.ndarray, part: Operator, wire_order: Wires, adjoint: bool) -> np.ndarray:
    target = qml.adjoint(part, lazy=True) if adjoint else part
    return native_kernel_for(target, "native")(state, target, wire_order)


def apply_product(
    state: np.ndarray, op: ProductEncoding, wire_order: Wires, adjoint: bool = False
) -> np.ndarray:
    """:math:`U_1 \\cdots U_n` (or its adjoint) of a :class:`ProductEncoding` by its parts'
    kernels, :math:`U_n` first."""
    state = np.asarray(state, dtype=np.complex128)
    for part in op.encodings if adjoint else reversed(op.encodings):
        state = _apply_part(state, part, wire_order, adjoint)
    return state


_preparations = DigestCache(size=8)


def _index_preparations(coeffs: np.ndarray, alphas: list[float], width: int) -> tuple:
    """Unitaries of the Möttönen PREP_R and PREP_L on ``width`` index wires (cached: a QSVT
    applies the same combination once per degree, and ``qml.matrix`` of the gates dominates)."""

    def make() -> tuple:
        right, left, _ = lcu_states(coeffs, alphas, width)
        wires = range(width)
        with qml.QueuingManager.stop_recording():
            mats = tuple(
                qml.matrix(qml.MottonenStatePreparation(v, wires=wires), wire_order=wires)
                for v in (right, left)
            )
        for mat in mats:
            mat.setflags(write=False)
        return mats

    return _preparations.get(array_digest(coeffs, np.asarray(alphas, dtype=float), width), make)


def apply_combination(
    state: np.ndarray, op: LinearCombinationEncoding, wire_order: Wires, adjoint: bool = False
) -> np.ndarray:
    """:math:`\\text{PREP}_L^\\dagger\\,\\text{SELECT}\\,\\text{PREP}_R` (or its adjoint) of a
    :class:`LinearCombinationEncoding`: the preparations as the unitaries of their gates on the
    index register, each part's kernel on the slice of its index value."""
    index = op.index_wires
    prep_r, prep_l = _index_preparations(
        op.coeffs, [part.alpha for part in op.encodings], len(index)
    )
    first, last = (prep_l, prep_r.conj().T) if adjoint else (prep_r, prep_l.conj().T)
    mat, axes = to_front(np.asarray(state, dtype=np.complex128), wire_order, index)
    mat = first @ mat
    rest = Wires([w for w in wire_order if w not in index])
    for i, part in enumerate(op.encodings):
        mat[i] = _apply_part(np.ascontiguousarray(mat[i]), part, rest, adjoint)
    return from_front(last @ mat, axes, len(wire_order))


def _kernels(apply) -> dict:
    """``kernel`` and ``adjoint_kernel`` of :func:`register_native_kernel` from ``apply``."""
    return {
        "kernel": lambda state, op, wire_order: apply(state, op, wire_order),
        "adjoint_kernel": lambda state, op, wire_order: apply(state, op, wire_order, True),
    }


register_native_kernel(ProductEncoding, **_kernels(apply_product), condition=_parts_are_native)
register_native_kernel(
    LinearCombinationEncoding, **_kernels(apply_combination), condition=_parts_are_native
)
register_encoding_kernels()

__all__ = ["apply_combination", "apply_encoding", "apply_product", "register_encoding_kernels"]
