r"""Registry of native kernels: how ``qsgd.sim`` applies a template without decomposing it.

At ``fidelity="native"`` (and ``"ideal"``) the device does not lower a registered template to gates.
It hands the state vector to the template's *kernel*, a plain function that applies the exact linear
map the template's circuit implements (sparse matrices, Chebyshev recurrences, a structured solve...),
and continues with the array the kernel returns. At ``fidelity="gates"`` the registry is ignored and the
template is decomposed like any other operation, so the two fidelities can be compared.

Kernel contract
---------------
A kernel is any callable

.. code-block:: python

    def kernel(state: np.ndarray, op: qml.operation.Operator, wire_order: qml.wires.Wires) -> np.ndarray

* ``state`` is the full register as a **flat**, C-contiguous ``complex128`` array of length
  ``2**n`` with ``n = len(wire_order)``.
* Bit order is PennyLane's (big-endian): ``wire_order[0]`` is the most significant bit, so
  ``state.reshape((2,) * n)`` has axis ``k`` for wire ``wire_order[k]``, and the amplitude of the
  basis state :math:`|b_0 b_1 \dots b_{n-1}\rangle` (``b_k`` on ``wire_order[k]``) sits at index
  :math:`\sum_k b_k 2^{n-1-k}`.
* ``wire_order`` holds the user's wire labels; ``op.wires`` is a subset of it. Use
  ``wire_order.indices(op.wires)`` to find the axes the operation acts on.
* The kernel returns the new state: a flat array of the same length (``complex128``, or anything
  ``np.asarray(..., dtype=complex128)`` accepts). It may overwrite ``state`` in place and return it.
  It must not renormalise: the device measures whatever the kernel returns, exactly as the circuit
  would leave it (a unitary template keeps the norm; post-selection is a later measurement).
* ``op`` is the operation instance from the tape; read its numeric data from ``op.data`` and its
  settings from ``op.hyperparameters``. Parameters reach the kernel as NumPy arrays or floats.

An optional ``adjoint_kernel`` with the same signature applies :math:`U^\dagger` for the
operation ``op`` (the *base* operation, not the ``Adjoint`` wrapper). When it is registered,
``qml.adjoint(MyTemplate(...))`` is applied natively too; otherwise the adjoint is decomposed.

Levels
------
A kernel is registered for ``"native"`` (default) or ``"ideal"``. At ``"ideal"`` the device uses the
``"ideal"`` kernel of a type when there is one and falls back to its ``"native"`` kernel, so only the
templates whose ideal model differs (the gradient-flow solver as an exact linear solve) need a second
registration.

Lookup is by exact type: a subclass of a registered template is decomposed unless it is registered
itself.

Example
-------
>>> import numpy as np, pennylane as qml
>>> from pennylane_qsgd.device.native import register_native_kernel
>>> class MyFlip(qml.operation.Operation):
...     num_wires = 1
...     def decomposition(self):
...         return [qml.PauliX(self.wires)]
>>> def flip_kernel(state, op, wire_order):
...     n = len(wire_order)
...     axis = wire_order.indices(op.wires)[0]
...     return np.flip(state.reshape((2,) * n), axis=axis).reshape(-1)
>>> register_native_kernel(MyFlip, flip_kernel)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pennylane.operation import Operator
from pennylane.ops.op_math import Adjoint
from pennylane.wires import Wires

NativeKernel = Callable[[np.ndarray, Operator, Wires], np.ndarray]
"""``kernel(state, op, wire_order) -> new_state``; see the module docstring for the layout."""

KERNEL_FIDELITIES = ("native", "ideal")
"""Levels at which registered kernels are used (``"gates"`` always decomposes)."""


@dataclass(frozen=True)
class _Entry:
    kernel: NativeKernel
    adjoint_kernel: NativeKernel | None
    condition: Callable[[Operator, str], bool] | None = None


_REGISTRY: dict[str, dict[type, _Entry]] = {fidelity: {} for fidelity in KERNEL_FIDELITIES}


def _check_fidelity(fidelity: str) -> str:
    if fidelity not in KERNEL_FIDELITIES:
        raise ValueError(
            f"fidelity must be one of {KERNEL_FIDELITIES} for a native kernel; got {fidelity!r}"
        )
    return fidelity


def register_native_kernel(
    op_type: type,
    kernel: NativeKernel,
    *,
    fidelity: str = "native",
    adjoint_kernel: NativeKernel | None = None,
    condition: Callable[[Operator, str], bool] | None = None,
) -> None:
    """Apply operations of type ``op_type`` with ``kernel`` instead of decomposing them.

    Parameters
    ----------
    op_type : type
        A subclass of :class:`pennylane.operation.Operator`. Matched by exact type.
    kernel : callable
        ``kernel(state, op, wire_order) -> new_state``, ``state`` flat ``complex128`` of length
        ``2**len(wire_order)`` in PennyLane's big-endian wire order (module docstring).
    fidelity : {"native", "ideal"}
        Level at which this kernel is used. ``"ideal"`` falls back to ``"native"`` kernels.
    adjoint_kernel : callable, optional
        Same signature; applies the adjoint of the base operation it receives. Enables native
        application of ``qml.adjoint(op)``.
    condition : callable, optional
        ``condition(op, fidelity) -> bool``: use the kernel only for the instances it accepts and
        decompose the others (for PennyLane's own templates, e.g. ``qml.AmplitudeAmplification``
        around an operation that has a kernel).

    Raises
    ------
    TypeError
        If ``op_type`` is not an Operator subclass or a kernel is not callable.
    ValueError
        If ``fidelity`` is not ``"native"`` or ``"ideal"``.

    Notes
    -----
    Registering a type again replaces its kernel at that fidelity.
    """
    if not (isinstance(op_type, type) and issubclass(op_type, Operator)):
        raise TypeError(
            f"op_type must be a subclass of pennylane.operation.Operator; got {op_type!r}"
        )
    if not callable(kernel):
        raise TypeError(f"kernel must be callable; got {kernel!r}")
    if adjoint_kernel is not None and not callable(adjoint_kernel):
        raise TypeError(f"adjoint_kernel must be callable or None; got {adjoint_kernel!r}")
    if condition is not None and not callable(condition):
        raise TypeError(f"condition must be callable or None; got {condition!r}")
    _REGISTRY[_check_fidelity(fidelity)][op_type] = _Entry(kernel, adjoint_kernel, condition)


def unregister_native_kernel(op_type: type, fidelity: str | None = None) -> None:
    """Forget the kernel(s) of ``op_type`` at ``fidelity`` (all fidelities when ``None``); no-op if absent."""
    fidelities = KERNEL_FIDELITIES if fidelity is None else (_check_fidelity(fidelity),)
    for fid in fidelities:
        _REGISTRY[fid].pop(op_type, None)


def _entry(op_type: type, fidelity: str) -> _Entry | None:
    if fidelity == "ideal":
        return _REGISTRY["ideal"].get(op_type) or _REGISTRY["native"].get(op_type)
    if fidelity == "native":
        return _REGISTRY["native"].get(op_type)
    return None


def native_kernel_for(op: Operator, fidelity: str) -> NativeKernel | None:
    """The kernel that applies ``op`` at ``fidelity``, or ``None`` if ``op`` must be decomposed.

    ``qml.adjoint(op)`` resolves to the registered ``adjoint_kernel`` of ``type(op)`` (called with
    the base operation). At ``fidelity="gates"`` this always returns ``None``.
    """
    if fidelity not in KERNEL_FIDELITIES:
        return None
    if isinstance(op, Adjoint):
        entry = _entry(type(op.base), fidelity)
        if entry is None or entry.adjoint_kernel is None:
            return None
        adjoint_kernel = entry.adjoint_kernel
        return lambda state, adj_op, wire_order: adjoint_kernel(state, adj_op.base, wire_order)
    entry = _entry(type(op), fidelity)
    if entry is None or (entry.condition is not None and not entry.condition(op, fidelity)):
        return None
    return entry.kernel


def has_native_kernel(op: Operator, fidelity: str) -> bool:
    """Whether ``op`` is applied by a registered kernel at ``fidelity`` (decomposition stops there)."""
    return native_kernel_for(op, fidelity) is not None


def registered_native_types(fidelity: str = "native") -> frozenset[type]:
    """Operation types with a kernel usable at ``fidelity`` for every instance (``"ideal"``
    includes ``"native"`` ones; kernels with a ``condition`` are left out)."""
    fids = ("ideal", "native") if fidelity == "ideal" else (_check_fidelity(fidelity),)
    return frozenset(
        op_type
        for fid in fids
        for op_type, entry in _REGISTRY[fid].items()
        if entry.condition is None
    )


__all__ = [
    "KERNEL_FIDELITIES",
    "has_native_kernel",
    "native_kernel_for",
    "NativeKernel",
    "register_native_kernel",
    "registered_native_types",
    "unregister_native_kernel",
]
