"""Standard gates applied in place by lightning.qubit's C++ kernels (``StateVectorC128``).

:func:`apply_gate` is how :class:`~pennylane_qsgd.device.statevector.StateVector` applies every
operation without a native kernel: a dedicated kernel by name where lightning.qubit has one
(:data:`LIGHTNING_GATES`; adjoints through its inverse flag, extra controls through its controlled
overload), otherwise the gate's dense or sparse matrix.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
from pennylane.exceptions import DeviceError
from pennylane.operation import Operator
from pennylane.ops import Adjoint, Controlled
from pennylane_lightning.lightning_qubit_ops import StateVectorC128

LIGHTNING_GATES = frozenset(
    name
    for name in dir(StateVectorC128)
    if name[:1].isupper() and name not in {"Identity"}  # gate kernels are the capitalised methods
)
"""Gates with a dedicated lightning.qubit kernel (also used with controls, adjoint flag)."""


_PLAIN_GATES = LIGHTNING_GATES - {"PCPhase"}  # kernels whose parameters are exactly op.data


def _unwrap_adjoint(op: Operator) -> tuple[Operator, bool]:
    inverse = False
    while isinstance(op, Adjoint):
        op, inverse = op.base, not inverse
    return op, inverse


def _gate_params(op: Operator) -> list[float]:
    if isinstance(op, qml.PCPhase):
        return [float(op.data[0]), float(op.hyperparameters["dimension"][0])]
    return [float(p) for p in op.data]


def _dense(op: Operator) -> np.ndarray:
    return np.ascontiguousarray(qml.matrix(op), dtype=np.complex128)


def apply_gate(sv: StateVectorC128, op: Operator, position: dict) -> None:
    """Apply one standard gate in place with lightning.qubit's kernels.

    ``position`` maps each wire label to its index in the wire order. Dedicated kernels by name
    (adjoints through the kernel's inverse flag, extra controls through its controlled overload);
    otherwise the gate's matrix, dense (``applyMatrix``, controlled ``applyControlledMatrix``) or
    sparse.
    """
    name = op.name
    if name in _PLAIN_GATES:  # the common case, first
        sv_kernel = getattr(sv, name)
        sv_kernel([position[w] for w in op.wires], False, [float(p) for p in op.data])
        return
    base, inverse = _unwrap_adjoint(op)
    if isinstance(base, (qml.Identity, qml.Snapshot)):
        return
    if isinstance(base, qml.PauliRot):
        theta = float(base.data[0])
        word = base.hyperparameters["pauli_word"]
        wires = [position[w] for w, p in zip(base.wires, word, strict=True) if p != "I"]
        if wires:
            sv.applyPauliRot(wires, inverse, [theta], word.replace("I", ""))
        else:  # exp(-i theta/2 I) is a global phase
            sv.GlobalPhase([], inverse, [theta / 2])
        return
    if base.name in LIGHTNING_GATES:
        getattr(sv, base.name)([position[w] for w in base.wires], inverse, _gate_params(base))
        return
    if isinstance(base, Controlled):
        target, target_inverse = _unwrap_adjoint(base.base)
        controls = [position[w] for w in base.control_wires]
        values = [bool(v) for v in base.control_values]
        targets = [position[w] for w in base.target_wires]
        flag = inverse != target_inverse
        if target.name in LIGHTNING_GATES:
            getattr(sv, target.name)(controls, values, targets, flag, _gate_params(target))
        else:
            sv.applyControlledMatrix(_dense(target), controls, values, targets, flag)
        return
    if base.has_matrix:
        sv.applyMatrix(_dense(base), [position[w] for w in base.wires], inverse)
        return
    if op.has_sparse_matrix:
        csr = op.sparse_matrix(wire_order=op.wires).tocsr()
        data = csr.data.astype(np.complex128)
        sv.applySparseMatrix(csr.indptr, csr.indices, data, [position[w] for w in op.wires], False)
        return
    raise DeviceError(f"qsgd.sim has no kernel for {op.name}; it should have been decomposed")


__all__ = ["LIGHTNING_GATES", "apply_gate"]
