"""The ``qsgd.sim`` PennyLane device and the registry of native template kernels.

``qml.device("qsgd.sim", wires=..., seed=..., fidelity="native")``; see :class:`QSGDSimulator` and, for
applying a template without decomposing it, :mod:`pennylane_qsgd.device.native`.
"""

from pennylane_qsgd.device.native import (
    NativeKernel,
    native_kernel_for,
    register_native_kernel,
    registered_native_types,
    unregister_native_kernel,
)
from pennylane_qsgd.device.qsgd_simulator import FIDELITIES, PENNYLANE_REQUIRES, QSGDSimulator
from pennylane_qsgd.device.simulate import final_state, simulate

__all__ = [
    "FIDELITIES",
    "PENNYLANE_REQUIRES",
    "NativeKernel",
    "QSGDSimulator",
    "final_state",
    "native_kernel_for",
    "register_native_kernel",
    "registered_native_types",
    "simulate",
    "unregister_native_kernel",
]

# Native kernels of the circuits layer's templates (registered on import).
import pennylane_qsgd.device.kernels_circuits  # noqa: E402, F401
import pennylane_qsgd.device.kernels_encodings  # noqa: E402, F401
import pennylane_qsgd.device.kernels_gates  # noqa: E402, F401
import pennylane_qsgd.device.kernels_hhl  # noqa: E402, F401
import pennylane_qsgd.device.kernels_lchs  # noqa: E402, F401
