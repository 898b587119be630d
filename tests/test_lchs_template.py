"""LCHSEvolution: gates against the native kernel, the block against expm, PennyLane's checks."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
import scipy.linalg as sla
from hypothesis import given, settings
from hypothesis import strategies as st

import pennylane_qsgd.device.kernels_lchs  # noqa: F401  (registers the kernel)
from pennylane_qsgd.circuits.lchs import LCHSEvolution

EPS = 5e-2  # a coarse grid keeps the node register (and the gate simulation) small


def _generator(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    Y = rng.normal(size=(2, 2))
    X = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
    return -0.4 * Y @ Y.T + 0.3 * (X - X.conj().T)


def _wires(A: np.ndarray, t: float) -> list:
    return [*range(LCHSEvolution.node_qubits(A, t, eps=EPS)), "l", "r", "a", "s"]


def _run(A, t, wires, psi, fidelity, adjoint=False):
    def circuit():
        qml.StatePrep(psi, wires=wires)
        op = LCHSEvolution(A, t, wires=wires, eps=EPS)
        if adjoint:
            qml.adjoint(op)  # replaces op in the queue
        return qml.state()

    return qml.QNode(circuit, qml.device("qsgd.sim", wires=wires, fidelity=fidelity))()


@pytest.mark.parametrize("adjoint", [False, True])
def test_native_kernel_matches_gates_on_any_input(adjoint):
    A, t = _generator(1), 0.4
    wires = _wires(A, t)
    rng = np.random.default_rng(2)
    psi = rng.normal(size=2 ** len(wires)) + 1j * rng.normal(size=2 ** len(wires))
    psi /= np.linalg.norm(psi)
    native = _run(A, t, wires, psi, "native", adjoint)
    gates = _run(A, t, wires, psi, "gates", adjoint)
    np.testing.assert_allclose(native, gates, atol=1e-10)


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 10_000), t=st.floats(0.1, 0.8))
def test_block_is_scaled_exponential_within_target(seed, t):
    """Success block on |0>_node |000>_lra = s/(2||w||_1) e^{At}, operator error <= eps."""
    A = _generator(seed)
    wires = _wires(A, t)
    op = LCHSEvolution(A, t, wires=wires, eps=EPS)
    cols = []
    for col in range(2):
        psi = np.zeros(2 ** len(wires))
        psi[col] = 1.0
        cols.append(_run(A, t, wires, psi, "native")[:2])
    block = np.column_stack(cols) / op.block_scale
    assert np.linalg.norm(block - sla.expm(A * t), 2) <= EPS


def test_low_somma_kernel_gates_native_and_block():
    """The Low-Somma grid in the circuit: gates == native, block within eps of expm."""
    A, t = _generator(5), 0.4
    wires = [
        *range(LCHSEvolution.node_qubits(A, t, eps=EPS, kernel="low-somma")),
        "l",
        "r",
        "a",
        "s",
    ]

    def run(psi, fidelity):
        def circuit():
            qml.StatePrep(psi, wires=wires)
            LCHSEvolution(A, t, wires=wires, eps=EPS, kernel="low-somma")
            return qml.state()

        return qml.QNode(circuit, qml.device("qsgd.sim", wires=wires, fidelity=fidelity))()

    rng = np.random.default_rng(6)
    psi = rng.normal(size=2 ** len(wires)) + 1j * rng.normal(size=2 ** len(wires))
    psi /= np.linalg.norm(psi)
    np.testing.assert_allclose(run(psi, "native"), run(psi, "gates"), atol=1e-10)
    op = LCHSEvolution(A, t, wires=wires, eps=EPS, kernel="low-somma")
    assert op.layout.quadrature.kernel == "low-somma"
    qml.ops.functions.assert_valid(op, skip_differentiation=True)
    cols = []
    for col in range(2):
        e = np.zeros(2 ** len(wires))
        e[col] = 1.0
        cols.append(run(e, "native")[:2])
    block = np.column_stack(cols) / op.block_scale
    assert np.linalg.norm(block - sla.expm(A * t), 2) <= EPS


def test_pennylane_validity_label_and_data():
    A, t = _generator(3), 0.3
    op = LCHSEvolution(A, t, wires=_wires(A, t), eps=EPS)
    qml.ops.functions.assert_valid(op, skip_differentiation=True)
    assert op.label() == "LCHS e^(At)"
    np.testing.assert_array_equal(op.data[0], A)
    assert op.data[1] == t
    res = op.resources()
    assert res.block_encoding_calls == op.layout.angles.cos.degree + op.layout.angles.sin.degree


def test_bad_inputs_are_named():
    A = _generator(4)
    with pytest.raises(ValueError, match="log-norm"):
        LCHSEvolution(np.eye(2), 0.3, wires=range(10))
    with pytest.raises(ValueError, match="wires must hold"):
        LCHSEvolution(A, 0.3, wires=range(4), eps=EPS)
    with pytest.raises(ValueError, match="time"):
        LCHSEvolution(A, -1.0, wires=range(10), eps=EPS)
