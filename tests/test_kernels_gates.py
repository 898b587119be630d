"""The diagonal kernel of qml.PCPhase against PennyLane's own matrix and devices."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.device.kernels_gates import apply_pcphase


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 6),
    data=st.data(),
    phi=st.floats(-7.0, 7.0),
    seed=st.integers(0, 2**32 - 1),
    adjoint=st.booleans(),
)
def test_pcphase_kernel_matches_pennylane_matrix(n, data, phi, seed, adjoint):
    rng = np.random.default_rng(seed)
    wire_order = qml.wires.Wires(list(range(n)))
    k = data.draw(st.integers(1, n))
    wires = data.draw(st.permutations(list(range(n))))[:k]
    dim = data.draw(st.integers(0, 2**k))
    op = qml.PCPhase(phi, dim=dim, wires=wires)
    state = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    full = qml.matrix(qml.adjoint(op) if adjoint else op, wire_order=wire_order)
    np.testing.assert_allclose(
        apply_pcphase(state.copy(), op, wire_order, adjoint), full @ state, atol=1e-12
    )


def test_qsvt_with_pcphase_projectors_agrees_across_devices():
    rng = np.random.default_rng(4)
    A = rng.normal(size=(4, 4))
    A /= 1.2 * np.linalg.norm(A, 2)
    angles = rng.uniform(-np.pi, np.pi, size=8)
    wires = list(range(4))

    def circuit():
        qml.StatePrep(rng_state, wires=wires)
        qml.QSVT(
            qml.BlockEncode(A, wires=wires[:3]),
            [qml.PCPhase(t, dim=4, wires=wires[:3]) for t in angles],
        )
        return qml.state()

    rng_state = rng.normal(size=16) + 1j * rng.normal(size=16)
    rng_state /= np.linalg.norm(rng_state)
    native = qml.QNode(circuit, qml.device("qsgd.sim", wires=4))()
    gates = qml.QNode(circuit, qml.device("qsgd.sim", wires=4, fidelity="gates"))()
    reference = qml.QNode(circuit, qml.device("default.qubit", wires=4))()
    np.testing.assert_allclose(native, reference, atol=1e-12)
    np.testing.assert_allclose(gates, reference, atol=1e-12)


@pytest.mark.parametrize("phi", [0.3, -1.1])
def test_pcphase_gradient_by_adjoint_matches_default_qubit(phi):
    def circuit(theta):
        qml.Hadamard(0)
        qml.Hadamard(1)
        qml.RY(0.4, wires=2)
        qml.PCPhase(theta, dim=3, wires=[2, 0, 1])
        qml.Hadamard(0)
        qml.CNOT([0, 2])
        return qml.expval(qml.PauliX(1) @ qml.PauliZ(2))

    theta = qml.numpy.array(phi, requires_grad=True)
    ours = qml.grad(qml.QNode(circuit, qml.device("qsgd.sim", wires=3), diff_method="adjoint"))
    ref = qml.grad(qml.QNode(circuit, qml.device("default.qubit", wires=3), diff_method="backprop"))
    assert ours(theta) == pytest.approx(ref(theta), abs=1e-10)
    assert abs(ref(theta)) > 1e-3  # the check is not vacuous
