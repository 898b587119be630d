"""Measurements of ``qsgd.sim``: exact values from the state vector, and seeded sampling.

States are flat ``complex128`` arrays over ``wire_order`` (big-endian; see
:mod:`pennylane_qsgd.device.native`). Expectation values and variances apply the observable to the
state term by term (:func:`apply_observable`), never building a ``2**n`` matrix unless the
observable itself is a sparse Hamiltonian. Everything else is delegated to the measurement process's
own ``process_state`` / ``process_samples``, as in PennyLane's reference device.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pennylane as qml
from pennylane.exceptions import DeviceError
from pennylane.measurements import ExpectationMP, MeasurementProcess, Shots, VarianceMP
from pennylane.operation import Operator
from pennylane.wires import Wires

from pennylane_qsgd.device.statevector import apply_matrix, apply_operations, real_inner


def apply_observable(obs: Operator, state: np.ndarray, wire_order: Wires) -> np.ndarray:
    """Return :math:`O|\\psi\\rangle` for an observable ``obs`` and a flat state over ``wire_order``.

    Sums and scalar products are applied term by term, products factor by factor (rightmost first),
    sparse Hamiltonians as sparse matrices, any other observable as its dense matrix on its own wires.
    """
    if isinstance(obs, qml.ops.Sum):
        out = np.zeros_like(state)
        for term in obs.operands:
            out += apply_observable(term, state, wire_order)
        return out
    if isinstance(obs, qml.ops.SProd):
        return complex(obs.scalar) * apply_observable(obs.base, state, wire_order)
    if isinstance(obs, qml.ops.Prod):
        for factor in reversed(obs.operands):
            state = apply_observable(factor, state, wire_order)
        return state
    if isinstance(obs, qml.SparseHamiltonian):
        return obs.sparse_matrix(wire_order=wire_order) @ state
    return apply_matrix(state, qml.matrix(obs), wire_order.indices(obs.wires), len(wire_order))


def expectation(obs: Operator, state: np.ndarray, wire_order: Wires) -> np.float64:
    """:math:`\\langle\\psi|O|\\psi\\rangle` (real part; ``obs`` is Hermitian)."""
    return np.float64(real_inner(state, apply_observable(obs, state, wire_order)))


def variance(obs: Operator, state: np.ndarray, wire_order: Wires) -> np.float64:
    """:math:`\\langle O^2\\rangle - \\langle O\\rangle^2 = \\|O\\psi\\|^2 - \\langle O\\rangle^2`."""
    o_state = apply_observable(obs, state, wire_order)
    mean = real_inner(state, o_state)
    return np.float64(real_inner(o_state, o_state) - mean**2)


def measure_analytic(mp: MeasurementProcess, state: np.ndarray, wire_order: Wires):
    """Exact result of one measurement process on a flat state over ``wire_order``."""
    if isinstance(mp, ExpectationMP) and mp.obs is not None:
        return expectation(mp.obs, state, wire_order)
    if isinstance(mp, VarianceMP) and mp.obs is not None:
        return variance(mp.obs, state, wire_order)
    rotations = mp.diagonalizing_gates()
    if rotations:  # e.g. probs(op=X(0)): rotate a copy into the eigenbasis first
        state = apply_operations(state.copy(), rotations, wire_order, fidelity="gates")
    return mp.process_state(state, wire_order)


def marginal_probabilities(state: np.ndarray, wire_order: Wires, wires: Wires) -> np.ndarray:
    """Probabilities of the computational basis states of ``wires`` (big-endian over ``wires``)."""
    n = len(wire_order)
    probs = (state.real**2 + state.imag**2).reshape((2,) * n)
    keep = wire_order.indices(wires)
    summed = tuple(i for i in range(n) if i not in keep)
    probs = probs.sum(axis=summed)
    remaining = [i for i in range(n) if i in keep]  # axis order after summing
    probs = np.transpose(probs, [remaining.index(i) for i in keep])
    return probs.reshape(-1)


def sample_basis_states(
    state: np.ndarray, wire_order: Wires, wires: Wires, shots: int, rng: np.random.Generator
) -> np.ndarray:
    """Draw ``shots`` computational-basis outcomes of ``wires``; shape ``(shots, len(wires))``, 0/1.

    Probabilities are :math:`|\\psi_b|^2` divided by their sum (a native kernel that leaves an
    unnormalised state is sampled as the conditional distribution).
    """
    probs = marginal_probabilities(state, wire_order, wires)
    total = probs.sum()
    if not total > 0:
        raise ValueError("cannot sample from a zero state vector")
    indices = rng.choice(probs.size, size=shots, p=probs / total)
    powers = np.arange(len(wires) - 1, -1, -1, dtype=np.int64)
    return (indices[:, None] >> powers) & 1


def sampled_wires(measurements: Sequence[MeasurementProcess], wire_order: Wires) -> Wires:
    """Wires that must be sampled: all of ``wire_order`` if a measurement has no wires."""
    if any(len(mp.wires) == 0 for mp in measurements):
        return wire_order
    used = Wires.all_wires([mp.wires for mp in measurements])
    return Wires([w for w in wire_order if w in used])


def shared_diagonalizing_gates(measurements: Sequence[MeasurementProcess]) -> list[Operator]:
    """One basis change for all ``measurements``: their diagonalizing gates, each gate once.

    Raises
    ------
    DeviceError
        If two measurements need different basis changes on a shared wire (they do not commute).
    """
    gates: list[Operator] = []
    for mp in measurements:
        for gate in mp.diagonalizing_gates():
            if any(qml.equal(gate, seen) for seen in gates):
                continue
            if any(set(gate.wires) & set(seen.wires) for seen in gates):
                raise DeviceError(
                    f"{mp} needs a basis change on wires {gate.wires.tolist()} that conflicts with "
                    "another measurement of the same circuit; measure them in separate circuits."
                )
            gates.append(gate)
    return gates


def measure_with_samples(
    measurements: Sequence[MeasurementProcess],
    state: np.ndarray,
    wire_order: Wires,
    shots: Shots,
    rng: np.random.Generator,
):
    """Results of ``measurements`` estimated from ``shots`` samples of the computational basis.

    All measurements read the same samples, taken after one common basis change
    (:func:`shared_diagonalizing_gates`); the device's preprocessing has already rotated Pauli
    observables into the Z basis. Returns the PennyLane result structure: one entry per measurement (unwrapped when
    there is one), and one such entry per shot bin for a shot vector.
    """
    rotations = shared_diagonalizing_gates(measurements)
    if rotations:
        state = apply_operations(state.copy(), rotations, wire_order, fidelity="gates")
    wires = sampled_wires(measurements, wire_order)
    samples = sample_basis_states(state, wire_order, wires, shots.total_shots, rng)
    results = []
    for lower, upper in shots.bins():
        batch = samples[lower:upper]
        results.append(tuple(mp.process_samples(batch, wires) for mp in measurements))
    if len(measurements) == 1:
        results = [res[0] for res in results]
    return tuple(results) if shots.has_partitioned_shots else results[0]


__all__ = [
    "apply_observable",
    "expectation",
    "marginal_probabilities",
    "measure_analytic",
    "measure_with_samples",
    "sample_basis_states",
    "sampled_wires",
    "shared_diagonalizing_gates",
    "variance",
]
