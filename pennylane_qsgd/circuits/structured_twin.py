"""Classical twin of the structured encoding's unitary: the SELECT plan applied with tensor operations.

:func:`apply_structured_unitary` applies exactly the unitary of
:class:`~.StructuredEulerEncoding`'s gates, :math:`\\text{PREP}_L^\\dagger\\,\\text{SELECT}\\,
\\text{PREP}_R`: the register is reshaped into one axis per register (index, flags, encoding
ancilla, time, level, one axis per Carleman factor), SELECT runs the steps of
:meth:`~.structured_plan.StructuredLayout.plan` on the slice of each index value (flag flips on
slices of the time or level axis, the small dilations of :math:`F_0, F_1, F_2` by ``tensordot`` on
one or two factor axes and, for a piecewise forcing, on the time values of each piece, factor
shifts as axis moves, increments as ``np.roll``), and the two preparations act on the index axis
through their :math:`2^k \\times 2^k` matrices. No matrix of the whole register is formed.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml

from pennylane_qsgd.circuits.block_encoding import unitary_dilation
from pennylane_qsgd.circuits.data_hash import DigestCache, array_digest
from pennylane_qsgd.circuits.structured_plan import (
    REGISTERS,
    Cycle,
    Encode,
    Flip,
    Increment,
    factor_matrices,
    forcing_schedule,
    lcu_weights,
    prepare_vectors,
    structured_layout,
)
from pennylane_qsgd.core.problem import PolynomialODE

_cache = DigestCache()

# Axis of each register in the per-index slice (the index axis removed); factors follow "level".
_AXIS = {name: pos for pos, name in enumerate(REGISTERS[1:-1])}
_FACTOR0 = len(REGISTERS) - 2


def structured_parts(problem: PolynomialODE, T: float, level: int, steps: int, idle: int):
    """``(layout, plan, mats, weights)`` of the structured encoding of these settings."""
    lay = structured_layout(problem.size, level, steps, idle)
    mats = factor_matrices(problem, lay)
    schedule = forcing_schedule(problem, T, steps, lay.widths["time"])
    return lay, lay.plan(schedule), mats, lcu_weights(lay, T, mats)


def _prepared(problem: PolynomialODE, hp: dict, digest: str) -> tuple:
    def make() -> tuple:
        lay, plan, mats, w = structured_parts(
            problem, hp["T"], hp["carleman_level"], hp["steps"], hp["idle"]
        )
        k = lay.widths["index"]
        with qml.QueuingManager.stop_recording():
            prep = [
                np.asarray(qml.matrix(qml.MottonenStatePreparation(v, wires=range(k))), complex)
                for v in prepare_vectors(w, k)
            ]
        dil = {kind: [unitary_dilation(M, a) for M in Ms] for kind, (Ms, a, _) in mats.items()}
        return lay, plan, prep[0], prep[1], dil

    return _cache.get(digest + repr(sorted(hp.items())), make)


def _indices(intervals) -> list[int]:
    return [ell for lo, hi in intervals for ell in range(lo, hi)]


def _encode(sub: np.ndarray, U: np.ndarray, axes: list[int], b: int, nfac: int) -> np.ndarray:
    shape = (2,) + (2**b,) * nfac
    Ut = U.reshape(shape + shape)
    out = np.tensordot(Ut, sub, axes=(list(range(len(shape), 2 * len(shape))), axes))
    return np.moveaxis(out, list(range(len(axes))), axes)


def _apply_step(psi: np.ndarray, step, lay, dilations: dict, adjoint: bool) -> None:
    """Apply one SELECT step (or its inverse) in place; ``psi`` has the index on axis 0."""
    if isinstance(step, Flip):
        reg_axis = _AXIS[step.register]
        values = np.asarray(_indices(step.fail), dtype=np.int64)
        values = values[values < psi.shape[1 + reg_axis]]
        for ell in _indices(step.index):
            sub = psi[ell]
            sel = [slice(None)] * sub.ndim
            sel[reg_axis] = values
            sel = tuple(sel)
            sub[sel] = np.flip(sub[sel], axis=_AXIS[step.flag])
    elif isinstance(step, Encode):
        axes = [_AXIS["f_ancilla"]] + [_FACTOR0 + f for f in step.factors]
        time_axis = _AXIS["time"]
        sub = psi[step.index]
        for piece, intervals in step.pieces:
            U = dilations[step.kind][piece]
            U = U.conj().T if adjoint else U
            values = np.asarray(_indices(intervals), dtype=np.int64)
            values = values[values < sub.shape[time_axis]]
            sel = [slice(None)] * sub.ndim
            sel[time_axis] = values
            sel = tuple(sel)
            sub[sel] = _encode(sub[sel], U, axes, lay.factor_bits, len(step.factors))
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


def apply_structured_unitary(
    problem: PolynomialODE, hp: dict, digest: str, state: np.ndarray, adjoint: bool = False
) -> np.ndarray:
    """:math:`U` (or :math:`U^\\dagger`) of the structured encoding on ``state``.

    Parameters
    ----------
    problem : PolynomialODE
    hp : dict
        ``T``, ``carleman_level``, ``steps``, ``idle``.
    digest : str
        Cache key of the problem's data.
    state : ndarray, shape (2**n_wires, k)
        The encoding's wires first (big-endian, :data:`~.structured_plan.REGISTERS` order).

    Returns
    -------
    ndarray of complex, the same shape
    """
    lay, plan, prep_r, prep_l, dilations = _prepared(problem, hp, digest)
    shape_in = state.shape
    w = lay.widths
    shape = [2 ** w[name] for name in REGISTERS[:-1]] + [2**lay.factor_bits] * lay.level + [-1]
    psi = np.asarray(state, dtype=np.complex128).reshape(shape)
    first, last = (prep_l, prep_r.conj().T) if adjoint else (prep_r, prep_l.conj().T)
    psi = np.tensordot(first, psi, axes=(1, 0))
    for step in reversed(plan) if adjoint else plan:
        _apply_step(psi, step, lay, dilations, adjoint)
    psi = np.tensordot(last, psi, axes=(1, 0))
    return psi.reshape(shape_in)


def structured_digest(data: tuple) -> str:
    """Cache key of an encoding's ``op.data``."""
    return array_digest(*data)


__all__ = ["apply_structured_unitary", "structured_digest", "structured_parts"]
