"""Amplitude amplification of a success subspace: rotation formula, fixed point, native kernel."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pennylane.templates.subroutines.amplitude_amplification import _get_fixed_point_angles

import pennylane_qsgd.device.kernels_circuits  # noqa: F401  (registers the kernels)
from pennylane_qsgd.circuits.amplification import (
    SuccessAmplification,
    amplification_rounds,
    amplified_probability,
    fixed_point_angles,
    fixed_point_iterations,
    fixed_point_probability,
    success_oracle,
)

SETTINGS = settings(max_examples=8, deadline=None)
GOOD = {0: 1, 2: 0}  # success subspace: wire 0 in |1>, wire 2 in |0>


def _prep(theta: float, wires=(0, 1, 2)) -> qml.operation.Operator:
    """A 3-qubit state whose success probability (wire 0 = 1, wire 2 = 0) is sin^2(theta)."""
    with qml.QueuingManager.stop_recording():
        return qml.prod(
            qml.CNOT(wires=[wires[0], wires[2]]),
            qml.PauliX(wires[2]),
            qml.Hadamard(wires[1]),
            qml.RY(2 * theta, wires=wires[0]),
        )


def _success_probability(state: np.ndarray, n: int) -> float:
    tensor = state.reshape((2,) * n)
    index = [slice(None)] * n
    for wire, bit in GOOD.items():
        index[wire] = bit
    return float(np.sum(np.abs(tensor[tuple(index)]) ** 2))


def _run(device: str, theta: float, iters: int, fixed_point: bool = False, p_min: float = 0.9):
    n = 4 if fixed_point else 3
    dev = qml.device(device, wires=n) if device != "native" else qml.device("qsgd.sim", wires=n)

    @qml.qnode(dev)
    def circuit():
        qml.apply(_prep(theta))
        SuccessAmplification(
            _prep(theta),
            success_oracle(GOOD),
            iters=iters,
            fixed_point=fixed_point,
            work_wire=3 if fixed_point else None,
            p_min=p_min,
        )
        return qml.state()

    return np.asarray(circuit())


def test_assert_valid():
    """PennyLane's own checks: decomposition, matrix, pickling, copy, flatten, data hash."""
    op = SuccessAmplification(qml.RY(0.3, 0), qml.FlipSign([1], wires=[0]), iters=1)
    qml.ops.functions.assert_valid(op, skip_differentiation=True)


@SETTINGS
@given(theta=st.floats(0.02, 0.7), k=st.integers(0, 6))
def test_rounds_follow_rotation_formula(theta, k):
    state = _run("default.qubit", theta, k)
    p = np.sin(theta) ** 2
    assert _success_probability(state, 3) == pytest.approx(
        np.sin((2 * k + 1) * theta) ** 2, abs=1e-9
    )
    assert amplified_probability(p, k) == pytest.approx(np.sin((2 * k + 1) * theta) ** 2)


@SETTINGS
@given(p=st.floats(1e-4, 0.99))
def test_recommended_rounds_maximise_probability(p):
    k = amplification_rounds(p)
    theta = np.arcsin(np.sqrt(p))
    # First peak: (2k+1) theta lands within theta of pi/2, so P_k >= cos^2 theta = 1 - p.
    assert abs((2 * k + 1) * theta - np.pi / 2) <= theta + 1e-12
    assert amplified_probability(p, k) >= min(1 - p, p) - 1e-12
    for j in range(k + 2):  # no number of rounds up to the first peak does better
        assert amplified_probability(p, j) <= amplified_probability(p, k) + 1e-12


@pytest.mark.parametrize(
    ("theta", "iters", "p_min"), [(0.1, 7, 0.9), (0.25, 5, 0.8), (0.05, 11, 0.9)]
)
def test_fixed_point_probability_formula(theta, iters, p_min):
    state = _run("default.qubit", theta, iters, fixed_point=True, p_min=p_min)
    # The work wire returns to |0>; the success event is on wires 0 and 2.
    got = _success_probability(state, 4)
    assert got == pytest.approx(fixed_point_probability(np.sin(theta) ** 2, iters, p_min), abs=1e-9)


@pytest.mark.parametrize("p_lower", [0.3, 0.05, 0.002])
def test_fixed_point_iterations_reach_target_for_every_larger_probability(p_lower):
    p_min = 0.9
    L = fixed_point_iterations(p_lower, p_min)
    assert L % 2 == 1
    for p in np.linspace(p_lower, 1.0, 50):
        assert fixed_point_probability(p, L, p_min) >= p_min - 1e-9
    if L > 1:
        assert fixed_point_probability(p_lower, L - 2, p_min) < p_min


@pytest.mark.parametrize(("iters", "p_min"), [(1, 0.9), (5, 0.5), (8, 0.99), (9, 0.9)])
def test_fixed_point_angles_match_pennylane(iters, p_min):
    alphas, betas = fixed_point_angles(iters, p_min)
    ref_a, ref_b = _get_fixed_point_angles(iters, p_min)
    np.testing.assert_allclose(alphas, ref_a, atol=1e-12)
    np.testing.assert_allclose(betas, ref_b, atol=1e-12)


@pytest.mark.parametrize(("iters", "fixed_point"), [(0, False), (3, False), (7, True)])
def test_native_kernel_matches_gates(iters, fixed_point):
    gates = _run("default.qubit", 0.15, iters, fixed_point)
    native = _run("native", 0.15, iters, fixed_point)
    np.testing.assert_allclose(native, gates, atol=1e-10)


def test_oracle_flips_exactly_the_success_states():
    diag = np.diag(qml.matrix(success_oracle(GOOD), wire_order=[0, 1, 2]))
    expected = np.array([1 if (i >> 2) & 1 == 1 and i & 1 == 0 else 0 for i in range(8)])
    np.testing.assert_allclose(diag, 1 - 2 * expected)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: success_oracle({}), "at least one"),
        (lambda: success_oracle({0: 2}), "0 or 1"),
        (lambda: amplification_rounds(0.0), "probability"),
        (lambda: amplified_probability(0.5, -1), "rounds"),
        (lambda: fixed_point_probability(0.5, 4, 0.9), "odd"),
        (lambda: fixed_point_angles(0, 0.9), "iters"),
    ],
)
def test_bad_input_is_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_hash_includes_the_prepared_operator_data():
    big = np.zeros(2048)
    other = big.copy()
    big[0], other[0] = 1.0, 1.0
    other[1000] = 1e-3
    ops = []
    for vec in (big, other):
        U = qml.StatePrep(vec / np.linalg.norm(vec), wires=range(11))
        ops.append(SuccessAmplification(U, success_oracle({0: 1}), iters=1))
    assert ops[0].hash != ops[1].hash


def test_resources_count_reflections():
    op = SuccessAmplification(_prep(0.1), success_oracle(GOOD), iters=4)
    res = op.resources()
    assert res.gates["U or U†"] == 8
    assert res.gates["FlipSign"] == 4
