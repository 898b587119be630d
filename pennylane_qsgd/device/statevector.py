"""State-vector kernels of ``qsgd.sim``: standard gates, native templates, initial states.

The state is a flat C-contiguous ``complex128`` array of length ``2**n`` in PennyLane's big-endian
order over ``wire_order`` (``wire_order[0]`` is the most significant bit), the layout documented in
:mod:`pennylane_qsgd.device.native`.

Runs of consecutive standard gates are applied in place by the C++ kernels of lightning.qubit
(``StateVectorC128`` of ``pennylane_lightning.lightning_qubit_ops``): the array is copied in once per
run and copied out when a native kernel or a measurement needs it. Registered templates are applied
by their native kernels (:mod:`pennylane_qsgd.device.native`); :func:`apply_matrix` is the NumPy
kernel for small dense matrices (observables, derivative matrices).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import scipy as sp
from pennylane.exceptions import DeviceError
from pennylane.operation import Operator, StatePrepBase
from pennylane.wires import Wires
from pennylane_lightning.lightning_qubit_ops import StateVectorC128

from pennylane_qsgd.core.memory import check_memory
from pennylane_qsgd.device.lightning_gates import apply_gate
from pennylane_qsgd.device.native import native_kernel_for

NORM_ATOL = 1e-10
"""Absolute tolerance on ``|1 - ||psi|| |`` for a prepared state."""


def statevector_nbytes(num_wires: int) -> int:
    """Peak bytes of a simulation on ``num_wires`` qubits: two ``complex128`` copies, 2 * 16 * 2**n.

    One copy is the NumPy state, the other the lightning.qubit buffer during a run of gates.
    """
    return 2 * 16 * 2**num_wires


def check_statevector_memory(num_wires: int) -> None:
    """Refuse a register whose state vector would exceed the memory budget.

    Raises
    ------
    pennylane_qsgd.core.memory.MemoryBudgetError
        With the estimate ``2 * 16 * 2**n`` bytes, the limit and what to change.
    """
    check_memory(
        statevector_nbytes(num_wires),
        f"a state vector on {num_wires} wires (16 * 2**{num_wires} bytes, two copies)",
        hint='Use fewer wires, or fidelity="ideal" where the solver template has an ideal model.',
    )


def initial_state(
    operations: Sequence[Operator], wire_order: Wires
) -> tuple[np.ndarray | None, Sequence[Operator]]:
    """The state before the circuit and the operations still to apply.

    A leading state preparation (``StatePrep``, ``BasisState``, any ``StatePrepBase``) sets the
    state, other wires start in :math:`|0\\rangle`. Without one the state is
    :math:`|0\\dots0\\rangle`, returned as ``None`` so that it is allocated only where it is first
    needed (:func:`apply_operations`).

    Raises
    ------
    ValueError
        If the prepared state is not normalised (the norm is reported; nothing is renormalised).
    """
    if operations and isinstance(operations[0], StatePrepBase):
        prep = operations[0]
        # a copy: the simulation writes into this array, which may be the caller's own data
        vector = prep.state_vector(wire_order=wire_order)
        if sp.sparse.issparse(vector):
            vector = vector.toarray()
        state = np.array(vector, dtype=np.complex128, order="C").reshape(-1)
        check_normalised(state, prep)
        return state, operations[1:]
    return None, operations


def zero_state(num_wires: int) -> np.ndarray:
    """:math:`|0\\dots0\\rangle` as a flat ``complex128`` array of length ``2**num_wires``."""
    state = np.zeros(2**num_wires, dtype=np.complex128)
    state[0] = 1.0
    return state


def check_normalised(state: np.ndarray, op: Operator) -> None:
    """Raise ValueError naming ``op`` and the norm if ``state`` is not a unit vector."""
    norm = float(np.linalg.norm(state))
    if abs(norm - 1.0) > NORM_ATOL:
        raise ValueError(
            f"{op.name} on wires {op.wires.tolist()} prepares a state of norm {norm!r}; qsgd.sim "
            "does not renormalise. Pass a unit vector (or normalize=True to qml.StatePrep)."
        )


class StateVector:
    """A register's state, kept where the next operation needs it.

    Runs of standard gates act in place on a lightning.qubit buffer (``StateVectorC128``); native
    kernels and measurements read the flat NumPy array (:meth:`array`). The two are synchronised
    lazily, one copy per switch, so a circuit of gates only costs a copy in and a copy out.

    Parameters
    ----------
    state : numpy.ndarray or None
        Flat ``complex128`` amplitudes over ``wire_order``; ``None`` for :math:`|0\\dots0\\rangle`.
        The array is taken over, not copied.
    wire_order : Wires
        The register, big-endian (``wire_order[0]`` is the most significant bit).
    fidelity : str
        Simulation fidelity; decides which operations go to native kernels.
    """

    def __init__(self, state: np.ndarray | None, wire_order: Wires, *, fidelity: str) -> None:
        self.wire_order = Wires(wire_order)
        self.fidelity = fidelity
        self._num_wires = len(self.wire_order)
        self._position = {wire: i for i, wire in enumerate(self.wire_order)}
        self._array = state
        self._buffer: StateVectorC128 | None = None
        self._current = "array"  # which copy is up to date: "array", "buffer" or "both"

    def apply(self, operations: Iterable[Operator]) -> None:
        """Apply ``operations`` in order (native kernels where registered at this fidelity)."""
        for op in operations:
            kernel = native_kernel_for(op, self.fidelity)
            if kernel is None:
                apply_gate(self._lightning(), op, self._position)
                self._current = "buffer"
            else:
                result = kernel(self.array(), op, self.wire_order)
                self._array = _as_state(result, 2**self._num_wires, op)
                self._current = "array"

    def array(self) -> np.ndarray:
        """The current amplitudes (flat ``complex128``; the object's own buffer, not a copy)."""
        if self._current == "buffer":
            if self._array is None:
                self._array = np.empty(2**self._num_wires, dtype=np.complex128)
            self._buffer.getState(self._array)
            self._current = "both"
        elif self._array is None:
            self._array = zero_state(self._num_wires)
        return self._array

    def _lightning(self) -> StateVectorC128:
        if self._buffer is None:
            self._buffer = StateVectorC128(self._num_wires)  # starts in |0...0>
            if self._array is not None:
                self._buffer.updateData(self._array)
        elif self._current == "array":
            self._buffer.updateData(self.array())
        return self._buffer


def apply_operations(
    state: np.ndarray | None, operations: Iterable[Operator], wire_order: Wires, *, fidelity: str
) -> np.ndarray:
    """Apply ``operations`` in order to ``state`` (flat, over ``wire_order``) and return the result.

    ``state=None`` stands for :math:`|0\\dots0\\rangle`. Operations with a native kernel at
    ``fidelity`` go to the kernel; all others must be standard gates (:func:`~.lightning_gates.apply_gate`).
    ``state`` may be overwritten.
    """
    register = StateVector(state, wire_order, fidelity=fidelity)
    register.apply(operations)
    return register.array()


def _as_state(result, size: int, op: Operator) -> np.ndarray:
    state = np.ascontiguousarray(np.asarray(result, dtype=np.complex128).reshape(-1))
    if state.shape != (size,):
        raise DeviceError(
            f"the native kernel of {op.name} returned {np.shape(result)} elements; expected a "
            f"state of {size} amplitudes"
        )
    if not state.flags.writeable:
        state = state.copy()
    return state


def apply_matrix(
    state: np.ndarray, matrix: np.ndarray, axes: Sequence[int], num_wires: int
) -> np.ndarray:
    """Return ``matrix`` (``2**k x 2**k``, big-endian over ``axes``) applied to a flat state.

    NumPy kernel for observables and derivative matrices; ``axes`` are positions in the wire order.
    Cost :math:`O(2^k 2^n)`. Uses ``einsum`` rather than BLAS: OpenBLAS threads contend with the
    OpenMP threads that lightning.qubit's kernels leave spinning, which costs milliseconds per call.
    """
    k = len(axes)
    mat = np.asarray(matrix, dtype=np.complex128)
    if k == 0:
        return complex(mat.reshape(())) * state
    first = axes[0]
    if list(axes) == list(range(first, first + k)):  # adjacent wires: no transposition
        view = state.reshape(2**first, 2**k, 2 ** (num_wires - first - k))
        return np.einsum("ij,ajb->aib", mat.reshape(2**k, 2**k), view).reshape(-1)
    letters = _EINSUM_LETTERS
    if num_wires + k > len(letters):
        raise ValueError(f"apply_matrix supports up to {len(letters) - k} wires; got {num_wires}")
    state_idx = letters[:num_wires]
    new_idx = letters[num_wires : num_wires + k]
    mat_idx = new_idx + "".join(state_idx[a] for a in axes)
    out_idx = list(state_idx)
    for a, letter in zip(axes, new_idx, strict=True):
        out_idx[a] = letter
    spec = f"{mat_idx},{state_idx}->{''.join(out_idx)}"
    out = np.einsum(spec, mat.reshape((2,) * (2 * k)), state.reshape((2,) * num_wires))
    return out.reshape(-1)


_EINSUM_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def real_inner(bra: np.ndarray, ket: np.ndarray) -> float:
    r""":math:`\mathrm{Re}\langle\mathrm{bra}|\mathrm{ket}\rangle` of flat complex128 arrays.

    The complex arrays viewed as interleaved reals: the real dot product is the real part of the
    inner product. No copy, no BLAS (see :func:`apply_matrix`).
    """
    bra = np.ascontiguousarray(bra, dtype=np.complex128)
    ket = np.ascontiguousarray(ket, dtype=np.complex128)
    return float(np.einsum("i,i->", bra.view(np.float64), ket.view(np.float64)))


__all__ = [
    "NORM_ATOL",
    "apply_matrix",
    "apply_operations",
    "check_normalised",
    "check_statevector_memory",
    "initial_state",
    "real_inner",
    "StateVector",
    "statevector_nbytes",
    "zero_state",
]
