"""``simulate(tape)``: run one preprocessed circuit of ``qsgd.sim`` on a state vector.

The function the device calls for each tape, usable on its own: make the initial state, apply the
operations (standard gates through lightning.qubit's kernels, registered templates through their
native kernels), measure.
"""

from __future__ import annotations

import numpy as np
from pennylane.tape import QuantumScript
from pennylane.typing import Result
from pennylane.wires import Wires

from pennylane_qsgd.device.measure import measure_analytic, measure_with_samples
from pennylane_qsgd.device.statevector import (
    apply_operations,
    check_statevector_memory,
    initial_state,
)

FIDELITIES = ("native", "gates", "ideal")
"""Fidelities of ``qsgd.sim``."""


def check_fidelity(fidelity: str) -> str:
    """Return ``fidelity`` if it is one of :data:`FIDELITIES`, else raise ValueError."""
    if fidelity not in FIDELITIES:
        raise ValueError(f"fidelity must be one of {FIDELITIES}; got {fidelity!r}")
    return fidelity


def final_state(
    tape: QuantumScript, *, fidelity: str = "native", wire_order: Wires | None = None
) -> np.ndarray:
    """Flat ``complex128`` state (big-endian over ``wire_order``) after the tape's operations.

    ``wire_order`` defaults to ``tape.wires`` and must contain them.

    Raises
    ------
    pennylane_qsgd.core.memory.MemoryBudgetError
        If the register is too large for a state vector.
    ValueError
        If a leading state preparation is not normalised.
    """
    wire_order = tape.wires if wire_order is None else Wires(wire_order)
    check_statevector_memory(len(wire_order))
    state, operations = initial_state(tape.operations, wire_order)
    return apply_operations(state, operations, wire_order, fidelity=check_fidelity(fidelity))


def standard_wires(tape: QuantumScript) -> tuple[QuantumScript, Wires]:
    """The tape on wires ``0..n-1`` and the wire order ``Wires(range(n))`` to simulate it in.

    As in default.qubit: some of PennyLane's measurement processes (the entropies) read their
    wires as array positions, so position and label must coincide.
    """
    tape = tape.map_to_standard_wires()
    return tape, Wires(range(len(tape.wires)))


def simulate(
    tape: QuantumScript, *, fidelity: str = "native", rng: np.random.Generator | None = None
) -> Result:
    """Simulate a tape whose operations ``qsgd.sim`` supports at ``fidelity`` and return its results.

    Parameters
    ----------
    tape : QuantumScript
        Preprocessed circuit: a leading state preparation at most, then standard gates and
        templates with native kernels at ``fidelity``; measurements diagonal in the computational
        basis when ``tape.shots`` is set (up to their own diagonalizing gates).
    fidelity : {"native", "gates", "ideal"}
        Whether registered native kernels are used (``"gates"``: never).
    rng : numpy.random.Generator, optional
        Source of the samples when the tape has shots.

    Returns
    -------
    The PennyLane result structure of ``tape.measurements``.
    """
    tape, wire_order = standard_wires(tape)

    # 1) initial state and 2) operations
    state = final_state(tape, fidelity=fidelity, wire_order=wire_order)

    # 3) measurements; shots are pulled from the tape, not from the device
    if tape.shots:
        rng = np.random.default_rng() if rng is None else rng
        return measure_with_samples(tape.measurements, state, wire_order, tape.shots, rng)
    results = tuple(measure_analytic(mp, state, wire_order) for mp in tape.measurements)
    return results[0] if len(results) == 1 else results


__all__ = [
    "FIDELITIES",
    "check_fidelity",
    "final_state",
    "simulate",
    "standard_wires",
]
