"""Native kernel of the structured block encoding of :math:`L` (:class:`~.StructuredEulerEncoding`).

Importing this module registers, for level ``"native"`` (and hence ``"ideal"``), a kernel that
applies exactly the unitary of the operation's gate decomposition,
:math:`\\text{PREP}_L^\\dagger\\, \\text{SELECT}\\, \\text{PREP}_R`, with tensor operations on the
state: the register is reshaped into one axis per register (index, flags, encoding ancilla, time,
level, one axis per Carleman factor), SELECT runs the steps of
:meth:`~pennylane_qsgd.circuits.structured_block_encoding.StructuredLayout.plan` on the slice of
each index value (flag flips on slices of the time or level axis, the small dilations of
:math:`F_0, F_1, F_2` by ``tensordot`` on one or two factor axes, factor shifts as axis moves,
increments as ``np.roll``), and the two preparations act on the index axis through their
:math:`2^k \\times 2^k` matrices. No matrix of the whole register is ever formed. The adjoint kernel
runs the inverse steps in reverse order.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
from pennylane.operation import Operator
from pennylane.wires import Wires

from pennylane_qsgd.circuits._data_hash import DigestCache, array_digest
from pennylane_qsgd.circuits.structured_block_encoding import (
    REGISTERS,
    Cycle,
    Encode,
    Flip,
    Increment,
    StructuredEulerEncoding,
    factor_dilations,
    prepare_vectors,
)
from pennylane_qsgd.device.native import register_native_kernel

_cache = DigestCache()

# Axis of each register in the per-index slice (the index axis removed); factors follow "level".
_AXIS = {name: pos for pos, name in enumerate(REGISTERS[1:-1])}
_FACTOR0 = len(REGISTERS) - 2


def _prepared(op: Operator) -> tuple:
    """(layout, plan, PREP_R matrix, PREP_L matrix, dilations) of ``op``, cached by its data."""
    hp = op.hyperparameters

    def make() -> tuple:
        lay = op.layout
        F0, F1, F2, T = (np.asarray(x, dtype=np.float64) for x in op.data)
        right, left = prepare_vectors(lay, F0, F1, F2, float(T))
        k = lay.widths["index"]
        with qml.QueuingManager.stop_recording():
            prep = [
                np.asarray(qml.matrix(qml.MottonenStatePreparation(v, wires=range(k))), complex)
                for v in (right, left)
            ]
        return lay, lay.plan(), prep[0], prep[1], factor_dilations(op)

    return _cache.get(array_digest(*op.data, hp["level"], hp["steps"], hp["idle"]), make)


def _indices(intervals) -> list[int]:
    return [ell for lo, hi in intervals for ell in range(lo, hi)]


def _mask(size: int, intervals) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    for lo, hi in intervals:
        mask[lo:hi] = True
    return np.flatnonzero(mask)


def _apply_step(psi: np.ndarray, step, lay, dilations: dict, adjoint: bool) -> None:
    """Apply one SELECT step (or its inverse) in place; ``psi`` has the index on axis 0."""
    if isinstance(step, Flip):
        reg_axis = _AXIS[step.register]
        size = psi.shape[1 + reg_axis]
        values = _mask(size, step.fail)
        for ell in _indices(step.index):
            sub = psi[ell]
            sel = [slice(None)] * sub.ndim
            sel[reg_axis] = values
            sel = tuple(sel)
            sub[sel] = np.flip(sub[sel], axis=_AXIS[step.flag])
    elif isinstance(step, Encode):
        U = dilations[step.kind]
        if adjoint:
            U = U.conj().T
        B = 2**lay.factor_bits
        shape = (2,) + (B,) * len(step.factors)
        Ut = U.reshape(shape + shape)
        axes = [_AXIS["f_ancilla"]] + [_FACTOR0 + f for f in step.factors]
        sub = psi[step.index]
        out = np.tensordot(Ut, sub, axes=(list(range(len(shape), 2 * len(shape))), axes))
        psi[step.index] = np.moveaxis(out, list(range(len(axes))), axes)
    elif isinstance(step, Cycle):
        first, last = _FACTOR0 + step.first, _FACTOR0 + step.last
        sub = psi[step.index]
        if step.up != adjoint:
            psi[step.index] = np.moveaxis(sub, last, first)
        else:
            psi[step.index] = np.moveaxis(sub, first, last)
    elif isinstance(step, Increment):
        axis = _AXIS[step.register]
        delta = -step.delta if adjoint else step.delta
        for ell in _indices(step.index):
            psi[ell] = np.roll(psi[ell], delta, axis=axis)
    else:  # pragma: no cover - the plan holds only the four step types
        raise TypeError(f"unknown step {step!r}")


def apply_structured_encoding(
    state: np.ndarray, op: Operator, wire_order: Wires, adjoint: bool = False
) -> np.ndarray:
    """:math:`U` (or :math:`U^\\dagger`) of a :class:`StructuredEulerEncoding` applied to ``state``.

    Parameters
    ----------
    state : ndarray, shape (2**n,)
        Flat state over ``wire_order`` (big-endian, :mod:`pennylane_qsgd.device.native`).
    op : StructuredEulerEncoding
    wire_order : Wires
    adjoint : bool
        Apply :math:`U^\\dagger`.

    Returns
    -------
    ndarray, shape (2**n,)
    """
    lay, plan, prep_r, prep_l, dilations = _prepared(op)
    n = len(wire_order)
    axes = wire_order.indices(op.wires)
    tensor = np.moveaxis(
        np.asarray(state, dtype=np.complex128).reshape((2,) * n), axes, range(len(axes))
    )
    w = lay.widths
    b = lay.factor_bits
    shape = [2 ** w[name] for name in REGISTERS[:-1]] + [2**b] * lay.level + [-1]
    psi = tensor.reshape(shape)
    first, last = (prep_l, prep_r.conj().T) if adjoint else (prep_r, prep_l.conj().T)
    psi = np.tensordot(first, psi, axes=(1, 0))
    for step in reversed(plan) if adjoint else plan:
        _apply_step(psi, step, lay, dilations, adjoint)
    psi = np.tensordot(last, psi, axes=(1, 0))
    out = psi.reshape((2,) * n)
    return np.ascontiguousarray(np.moveaxis(out, range(len(axes)), axes)).reshape(-1)


def _kernel(state: np.ndarray, op: Operator, wire_order: Wires) -> np.ndarray:
    return apply_structured_encoding(state, op, wire_order)


def _adjoint_kernel(state: np.ndarray, op: Operator, wire_order: Wires) -> np.ndarray:
    return apply_structured_encoding(state, op, wire_order, adjoint=True)


def register_structured_kernels() -> None:
    """Register the kernel and its adjoint for level ``"native"`` (idempotent)."""
    register_native_kernel(StructuredEulerEncoding, _kernel, adjoint_kernel=_adjoint_kernel)


register_structured_kernels()
