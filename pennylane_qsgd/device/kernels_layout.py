"""Wire layout helpers of the native kernels: an operation's wires first, as a matrix.

A kernel views the state as a ``(2**k, rest)`` matrix over its operation's ``k`` wires
(:func:`to_front`), acts on the rows and puts the axes back (:func:`from_front`); state
preparations check their wires start in :math:`|0\\rangle` (:func:`require_fresh`).
"""

from __future__ import annotations

import numpy as np
from pennylane.operation import Operator
from pennylane.wires import Wires

# A state counts as |0> on a set of wires when the rest of its weight there is below this.
ZERO_ATOL = 1e-12


def to_front(state: np.ndarray, wire_order: Wires, wires: Wires) -> tuple[np.ndarray, list[int]]:
    """``state`` as a ``(2**len(wires), rest)`` matrix, ``wires`` first, and their axes."""
    n = len(wire_order)
    axes = wire_order.indices(wires)
    tensor = np.moveaxis(state.reshape((2,) * n), axes, list(range(len(axes))))
    return tensor.reshape(2 ** len(axes), -1), axes


def from_front(matrix: np.ndarray, axes: list[int], n: int) -> np.ndarray:
    """Inverse of :func:`to_front`: the flat state of ``n`` wires, axes put back."""
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


__all__ = ["ZERO_ATOL", "from_front", "require_fresh", "to_front"]
