"""Validated, explicitly normalised preparation of |B> and its native kernel."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import pennylane_qsgd.device.kernels_circuits  # noqa: F401  (registers the kernels)
from pennylane_qsgd.circuits.state_prep import NormalizedStatePrep, normalized_state
from pennylane_qsgd.device.native import native_kernel_for

SETTINGS = settings(max_examples=15, deadline=None)
finite = st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False)


def test_assert_valid():
    """PennyLane's own checks: decomposition, matrix, pickling, copy, flatten, data hash."""
    op = NormalizedStatePrep(np.array([1.0, 2.0, 0.0, 1.0]), wires=[0, 1])
    qml.ops.functions.assert_valid(op, skip_differentiation=True)


@SETTINGS
@given(vec=arrays(np.float64, st.integers(1, 8), elements=finite))
def test_normalised_and_padded(vec):
    if not np.any(vec):
        with pytest.raises(ValueError, match="zero"):
            normalized_state(vec, 3)
        return
    state, norm = normalized_state(vec, 3)
    assert state.shape == (8,)
    peak = np.max(np.abs(vec))
    assert norm == pytest.approx(peak * np.sqrt(np.sum((vec / peak) ** 2)), rel=1e-12)
    np.testing.assert_allclose(np.linalg.norm(state), 1.0, atol=1e-14)
    np.testing.assert_allclose(state[: vec.size] * norm, vec, rtol=1e-12, atol=1e-12 * peak)
    assert not state[vec.size :].any()


@pytest.mark.parametrize("device", ["default.qubit", "lightning.qubit"])
def test_circuit_prepares_unit_vector_from_unnormalised_input(device):
    B = np.array([3.0, 0.0, -4.0])  # norm 5, padded to 4 amplitudes
    dev = qml.device(device, wires=3)

    @qml.qnode(dev)
    def circuit():
        qml.Hadamard(0)  # the preparation sits mid-circuit on fresh wires 1, 2
        NormalizedStatePrep(B, wires=[1, 2])
        return qml.state()

    expected = np.kron(np.array([1, 1]) / np.sqrt(2), np.array([0.6, 0.0, -0.8, 0.0]))
    np.testing.assert_allclose(circuit(), expected, atol=1e-12)


def test_unvalidated_statepreparation_would_be_wrong():
    """Trap 6: qml.StatePrep accepts an unnormalised vector without complaint."""
    B = np.array([3.0, 4.0])
    raw = qml.StatePrep(B, wires=[0])  # no error: the trap
    assert np.linalg.norm(raw.state_vector()) == pytest.approx(5.0)
    ours = NormalizedStatePrep(B, wires=[0])
    assert np.linalg.norm(ours.state_vector()) == pytest.approx(1.0)
    assert ours.norm == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("vector", "error", "match"),
    [
        (np.zeros(2), ValueError, "zero"),
        (np.array([1.0, np.nan]), ValueError, "NaN"),
        (np.array([1.0, np.inf]), ValueError, "NaN"),
        (np.ones(5), ValueError, "more than"),
        (np.ones((2, 2)), ValueError, "1-D"),
        (np.array([], dtype=float), ValueError, "1-D"),
        (np.array(["a", "b"]), TypeError, "numeric"),
    ],
)
def test_bad_vectors_are_refused(vector, error, match):
    with pytest.raises(error, match=match):
        NormalizedStatePrep(vector, wires=[0, 1])


def test_complex_vectors_keep_their_phases():
    B = np.array([1.0, 1j, -1.0, -1j])
    op = NormalizedStatePrep(B, wires=[0, 1])
    np.testing.assert_allclose(op.data[0], B / 2)


def test_native_kernel_on_fresh_wires_and_refusal_otherwise():
    B = np.array([1.0, 2.0, 2.0, 0.0])
    op = NormalizedStatePrep(B, wires=["b1", "b0"])
    wire_order = qml.wires.Wires(["b0", "x", "b1"])
    rest = np.array([0.6, 0.8j])  # wire "x"
    state = np.zeros(8, dtype=complex)
    state[[0, 2]] = rest  # b0 = b1 = 0
    got = native_kernel_for(op, "native")(state.copy(), op, wire_order)
    expected = np.einsum("ab,x->bxa", (B / 3).reshape(2, 2), rest).reshape(-1)
    np.testing.assert_allclose(got, expected, atol=1e-14)
    busy = np.zeros(8, dtype=complex)
    busy[4] = 1.0  # b0 = 1
    with pytest.raises(ValueError, match="fresh wires"):
        native_kernel_for(op, "native")(busy, op, wire_order)


def test_flatten_roundtrip_keeps_norm_and_hash():
    op = NormalizedStatePrep(np.arange(1.0, 9.0), wires=range(3))
    data, meta = op._flatten()
    clone = NormalizedStatePrep._unflatten(data, meta)
    assert clone.norm == pytest.approx(op.norm)
    np.testing.assert_allclose(clone.data[0], op.data[0])
    assert clone.hash == op.hash


def test_resources():
    res = NormalizedStatePrep(np.ones(8), wires=range(3)).resources()
    assert res.logical_qubits == 3
    assert res.gates["RY"] == 7 and res.gates["CNOT"] == 12
