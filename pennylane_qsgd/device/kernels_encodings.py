"""Native kernels of the block encodings of :math:`L` (:mod:`pennylane_qsgd.circuits.encoding`).

Every registered :class:`~pennylane_qsgd.circuits.encoding.EulerEncoding` states its classical twin,
:meth:`~pennylane_qsgd.circuits.encoding.EulerEncoding.apply_unitary`; the kernel here hands it the
state with the encoding's wires in front, as a (2**ancillas, 2**system, rest) array. Importing this
module registers it (and its adjoint) for every encoding registered so far;
:func:`register_encoding_kernels` registers those added later.
"""

from __future__ import annotations

import numpy as np
from pennylane.operation import Operator
from pennylane.wires import Wires

from pennylane_qsgd.circuits.encoding import ENCODINGS
from pennylane_qsgd.device.kernels_circuits import from_front, to_front
from pennylane_qsgd.device.native import register_native_kernel


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


register_encoding_kernels()

__all__ = ["apply_encoding", "register_encoding_kernels"]
