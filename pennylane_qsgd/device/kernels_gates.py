"""Native kernels for standard gates whose lightning kernel is dense.

``qml.PCPhase`` (the projector phase of ``qml.QSVT``) is diagonal,
:math:`e^{i\\phi(2\\Pi - I)}` with :math:`\\Pi` the projector onto the first ``dim`` basis states of
its wires, but lightning.qubit applies it as a dense :math:`2^k \\times 2^k` matrix: half a second
per call on 12 wires, so a degree-100 QSVT spends a minute in projectors. At the native and ideal
fidelities this kernel multiplies by the two phases instead (:math:`O(2^n)`); the gates fidelity keeps
lightning's kernel.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
from pennylane.operation import Operator
from pennylane.wires import Wires

from pennylane_qsgd.device.kernels_layout import from_front, to_front
from pennylane_qsgd.device.native import register_native_kernel


def apply_pcphase(
    state: np.ndarray, op: Operator, wire_order: Wires, adjoint: bool = False
) -> np.ndarray:
    """Apply ``qml.PCPhase(phi, dim, wires)`` (or its adjoint) to a flat state.

    Parameters
    ----------
    state : ndarray, shape (2**n,)
        Amplitudes over ``wire_order`` (big-endian).
    op : qml.PCPhase
    wire_order : Wires
    adjoint : bool
        Apply :math:`e^{-i\\phi(2\\Pi - I)}`.

    Returns
    -------
    ndarray, shape (2**n,)
    """
    phi = float(op.data[0]) * (-1.0 if adjoint else 1.0)
    dim = int(op.hyperparameters["dimension"][0])
    matrix, axes = to_front(state, wire_order, op.wires)
    phases = np.full(matrix.shape[0], np.exp(-1j * phi))
    phases[:dim] = np.exp(1j * phi)
    return from_front(matrix * phases[:, None], axes, len(wire_order))


register_native_kernel(
    qml.PCPhase,
    apply_pcphase,
    adjoint_kernel=lambda state, op, wire_order: apply_pcphase(state, op, wire_order, True),
)


__all__ = [
    "apply_pcphase",
]
