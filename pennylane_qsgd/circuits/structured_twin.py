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
    forcing_schedule,
    structured_layout,
)
from pennylane_qsgd.circuits.structured_weights import (
    factor_matrices,
    lcu_weights,
    prepare_vectors,
)
from pennylane_qsgd.core.euler import step_times
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


# ----------------------------------------------------------------------------------------------
# The encoded block L without forming it: the Carleman blocks factor by factor


def _on_axes(M, Y: np.ndarray, first: int, count: int, out_count: int) -> np.ndarray:
    """``M`` (rows ``s**out_count``, columns ``s**count``) on axes ``first..first+count-1`` of
    ``Y`` (one axis per factor of size ``s``, then a batch axis)."""
    s = Y.shape[0] if Y.ndim > 1 else 1
    moved = np.moveaxis(Y, list(range(first, first + count)), list(range(count)))
    rest = moved.shape[count:]
    out = np.asarray(M @ moved.reshape(s**count, -1)).reshape((s,) * out_count + rest)
    return np.moveaxis(out, list(range(out_count)), list(range(first, first + out_count)))


def carleman_products(problem: PolynomialODE, level: int, piece: int, transpose: bool = False):
    """``y -> A y`` (or :math:`A^T y`) for the Carleman matrix :math:`A` of the core
    (``core.carleman.carleman_matrix`` with forcing piece ``piece``), on arrays of shape (Δ, k),
    factor by factor: :math:`F_1` on each factor of level ``j``, :math:`F_2` contracting two
    factors of level ``j + 1``, :math:`F_0` inserted as a factor of level ``j - 1`` (the terms of
    the structured encoding). Memory :math:`O(\\Delta k)`; :math:`A` is never formed."""
    s, N = problem.size, level
    # Dense BLAS products where F is mostly filled (a window's Taylor coefficients usually are).
    F1, F2 = (
        F.toarray() if F.nnz > 0.1 * np.prod(F.shape) else F.tocsr()
        for F in (problem.F1, problem.F2)
    )
    F0 = problem.F0[piece].reshape(s, 1)
    if transpose:
        F1, F2, F0 = F1.T, F2.T, F0.T
    sizes = [s**j for j in range(1, N + 1)]
    offsets = np.concatenate([[0], np.cumsum(sizes)])

    def apply(y: np.ndarray) -> np.ndarray:
        y = np.asarray(y)
        k = y.shape[1]
        levels = [y[offsets[j] : offsets[j + 1]].reshape((s,) * (j + 1) + (k,)) for j in range(N)]
        out = [np.zeros((s,) * (j + 1) + (k,), dtype=y.dtype) for j in range(N)]
        for j in range(N):  # level j + 1 (j + 1 factors), 0-based j
            for i in range(j + 1):
                out[j] += _on_axes(F1, levels[j], i, 1, 1)
            if not transpose:
                for i in range(j + 1 if j + 1 < N else 0):  # F2: level j + 2 -> level j + 1
                    out[j] += _on_axes(F2, levels[j + 1], i, 2, 1)
                for i in range(j + 1 if j >= 1 else 0):  # F0: level j -> level j + 1
                    out[j] += _on_axes(F0, levels[j - 1], i, 0, 1)
            else:
                for i in range(j):  # F2^T: level j -> level j + 1 (one factor split in two)
                    out[j] += _on_axes(F2, levels[j - 1], i, 1, 2)
                for i in range(j + 2 if j + 1 < N else 0):  # F0^T: level j + 2 -> level j + 1
                    out[j] += _on_axes(F0, levels[j + 1], i, 1, 0)
        return np.concatenate([o.reshape(-1, k) for o in out])

    return apply


def euler_products(problem: PolynomialODE, level: int, T: float, steps: int, idle: int):
    """``(apply, apply_adjoint)`` of the Euler matrix :math:`L` of ``core.euler.euler_system`` on
    history arrays of shape ((m+p+1) Δ,) or ((m+p+1) Δ, k), matrix-free (:func:`carleman_products`
    per forcing piece): :math:`(LY)_k = Y_k - (I + hA(t_{k-1}))Y_{k-1}` for ``k <= m`` and
    :math:`Y_k - Y_{k-1}` for the idle steps."""
    h = T / steps
    pieces = np.asarray(problem.forcing_piece(step_times(T, steps))).reshape(-1)
    forward = {q: carleman_products(problem, level, q) for q in np.unique(pieces)}
    backward = {q: carleman_products(problem, level, q, True) for q in np.unique(pieces)}
    blocks = steps + idle + 1

    def shaped(x):
        x = np.asarray(x)
        return x.reshape(blocks, -1, x.shape[-1] if x.ndim == 2 else 1), x.shape

    def apply(x: np.ndarray) -> np.ndarray:
        X, shape = shaped(x)
        out = X.copy()
        out[1:] -= X[:-1]
        for k in range(1, steps + 1):
            out[k] -= h * forward[pieces[k - 1]](X[k - 1])
        return out.reshape(shape)

    def apply_adjoint(x: np.ndarray) -> np.ndarray:
        Z, shape = shaped(x)
        out = Z.copy()
        out[:-1] -= Z[1:]
        for k in range(steps):
            out[k] -= h * backward[pieces[k]](Z[k + 1])
        return out.reshape(shape)

    return apply, apply_adjoint


def structured_digest(data: tuple) -> str:
    """Cache key of an encoding's ``op.data``."""
    return array_digest(*data)


__all__ = [
    "apply_structured_unitary",
    "carleman_products",
    "euler_products",
    "structured_digest",
    "structured_parts",
]
