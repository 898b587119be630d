"""Hamiltonian simulation by QSVT (Jacobi–Anger + LCU) and by Trotter products."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
import scipy.linalg as sla
from hypothesis import given, settings
from hypothesis import strategies as st
from pennylane.wires import Wires

import pennylane_qsgd.device.kernels_hhl  # noqa: F401  (registers the kernels)
from pennylane_qsgd.circuits.amplified_simulation import AmplifiedHamiltonianSimulation
from pennylane_qsgd.circuits.hamiltonian_simulation import (
    HamiltonianSimulation,
    simulation_angles,
    trotter_evolution,
)
from pennylane_qsgd.circuits.hermitian_qsvt import HermitianQSVT
from pennylane_qsgd.circuits.qsvt_solver import inverse_angles
from pennylane_qsgd.core.phase_angles import qsp_phases, wx_to_qsvt_angles
from pennylane_qsgd.core.polynomials import ChebyshevPolynomial
from pennylane_qsgd.device.simulate import final_state

SETTINGS = settings(max_examples=8, deadline=None)
WIRES = ["l", "r", "a", 0, 1]


def _hermitian(seed: int, dim: int = 4, complex_: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(dim, dim)) + (1j * rng.normal(size=(dim, dim)) if complex_ else 0)
    return (X + X.conj().T) / 2


def _random_state(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    psi = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    return psi / np.linalg.norm(psi)


@pytest.mark.parametrize(
    "make",
    [
        lambda H, a: HermitianQSVT(H, 1.0, a, wires=[0, 1, 2]),
        lambda H, a: HamiltonianSimulation(H, 1.0, 0.5, wires=[0, 1, 2, 3]),
        lambda H, a: AmplifiedHamiltonianSimulation(H, 1.0, 0.5, wires=[0, 1, 2, 3]),
    ],
)
def test_assert_valid(make):
    """PennyLane's own checks: decomposition, matrix, pickling, copy, flatten, data hash."""
    op = make(np.array([[0.5, 0.1], [0.1, -0.3]]), inverse_angles(4.0, 1e-2).angles)
    qml.ops.functions.assert_valid(op, skip_differentiation=True)


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    t=st.floats(-4.0, 4.0).filter(lambda v: abs(v) > 1e-3),
    margin=st.floats(1.0, 2.0),
)
def test_gate_block_is_scaled_exponential(seed, t, margin):
    """Top-left block of the gates' matrix = (s/2) expm(-iHt) to the polynomial error."""
    H = _hermitian(seed)
    alpha = margin * np.linalg.norm(H, 2)
    op = HamiltonianSimulation(H, alpha, t, wires=WIRES, eps=1e-10)
    block = qml.matrix(op.decomposition(), wire_order=WIRES)[:4, :4]
    target = 0.5 * op.hyperparameters["scale"] * sla.expm(-1j * H * t)
    err = np.linalg.norm(block - target, 2)
    assert err <= op.angles.error + 1e-11
    assert err < 1e-9


@SETTINGS
@given(seed=st.integers(0, 10_000), t=st.floats(0.1, 3.0))
def test_success_amplitude_as_predicted(seed, t):
    """P(l = r = a = 0) = (s/2)^2 for any input, and the branch is (s/2) e^{-iHt} psi."""
    H = _hermitian(seed, complex_=False)
    alpha = 1.1 * np.linalg.norm(H, 2)
    psi = _random_state(seed + 1, 2)
    dev = qml.device("default.qubit", wires=WIRES)

    @qml.qnode(dev)
    def circuit():
        qml.StatePrep(psi, wires=[0, 1])
        HamiltonianSimulation(H, alpha, t, wires=WIRES)
        return qml.state()

    out = circuit()
    branch = out[:4]
    s = 0.99
    assert np.sum(np.abs(branch) ** 2) == pytest.approx(s**2 / 4, abs=1e-9)
    np.testing.assert_allclose(branch, s / 2 * sla.expm(-1j * H * t) @ psi, atol=1e-9)


@pytest.mark.parametrize("adjoint", [False, True])
def test_native_kernel_matches_gates_on_any_input(adjoint):
    """qsgd.sim's native kernel equals the decomposition on a random state (garbage included)."""
    H = _hermitian(7)
    op = HamiltonianSimulation(H, 1.3 * np.linalg.norm(H, 2), 1.5, wires=WIRES)
    psi = _random_state(3, len(WIRES))
    applied = qml.adjoint(op) if adjoint else op
    ref = qml.matrix(applied, wire_order=WIRES) @ psi
    tape = qml.tape.QuantumScript([qml.StatePrep(psi, wires=WIRES), applied])
    native = final_state(tape, fidelity="native", wire_order=Wires(WIRES))
    np.testing.assert_allclose(native, ref, atol=1e-10)


@SETTINGS
@given(seed=st.integers(0, 10_000), t=st.floats(-6.0, 6.0).filter(lambda v: abs(v) > 1e-3))
def test_amplified_simulation_is_unitary_exponential(seed, t):
    """Two rounds of oblivious amplification: block = expm(-iHt) itself, ancillas back in |000>."""
    H = _hermitian(seed)
    op = AmplifiedHamiltonianSimulation(H, 1.2 * np.linalg.norm(H, 2), t, wires=WIRES)
    assert op.success_amplitude == pytest.approx(1.0, abs=1e-14)
    mat = qml.matrix(op.decomposition(), wire_order=WIRES)
    np.testing.assert_allclose(mat[:4, :4], sla.expm(-1j * H * t), atol=5 * op.angles.error + 1e-10)
    assert np.linalg.norm(mat[4:, :4]) < 1e-8  # leakage out of |000>_{lra}
    assert op.resources().block_encoding_calls == 5 * (op.angles.cos.degree + op.angles.sin.degree)


def test_amplified_native_kernel_matches_gates_under_control():
    """Native kernel of the amplified operation = its gates, also as a controlled operation."""
    H = _hermitian(9, complex_=False)
    op = AmplifiedHamiltonianSimulation(H, 1.1 * np.linalg.norm(H, 2), -2.5, wires=WIRES)
    psi = _random_state(4, len(WIRES))
    tape = qml.tape.QuantumScript([qml.StatePrep(psi, wires=WIRES), op])
    native = final_state(tape, fidelity="native", wire_order=Wires(WIRES))
    gates = qml.matrix(op.decomposition(), wire_order=WIRES)
    np.testing.assert_allclose(native, gates @ psi, atol=1e-10)
    controlled = qml.matrix(qml.ctrl(op, control="c"), wire_order=["c", *WIRES])
    np.testing.assert_allclose(controlled[32:, 32:], gates, atol=1e-12)
    np.testing.assert_allclose(controlled[:32, :32], np.eye(32), atol=1e-12)


@pytest.mark.parametrize("coeffs", [[0.1, 0.0, -0.4, 0.0, 0.3], [0.0, 0.5, 0.0, -0.2]])
def test_hermitian_qsvt_block_is_polynomial_of_matrix(coeffs):
    """HermitianQSVT (either parity) has block P(H/alpha), P evaluated on the eigenvalues."""
    H = _hermitian(11, complex_=False)
    alpha = 1.2 * np.linalg.norm(H, 2)
    poly = ChebyshevPolynomial(np.array(coeffs), parity=(len(coeffs) - 1) % 2)
    angles = wx_to_qsvt_angles(qsp_phases(poly.coeffs, parity=poly.parity))
    op = HermitianQSVT(H, alpha, angles, wires=["r", "a", 0, 1])
    block = qml.matrix(op.decomposition(), wire_order=op.wires)[:4, :4]
    w, V = np.linalg.eigh(H / alpha)
    ref = V @ np.diag(np.polynomial.chebyshev.chebval(w, coeffs)) @ V.T
    np.testing.assert_allclose(block, ref, atol=1e-11)
    tape = qml.tape.QuantumScript([qml.StatePrep(_random_state(5, 4), wires=op.wires), op])
    native = final_state(tape, fidelity="native", wire_order=op.wires)
    gates = qml.matrix(op.decomposition(), wire_order=op.wires) @ _random_state(5, 4)
    np.testing.assert_allclose(native, gates, atol=1e-10)


@pytest.mark.parametrize("tau", [0.5, 5.0, 20.0])
def test_polynomial_error_bound_and_degree(tau):
    """Stated error bounds |(P_c - iP_s)/2 - (s/2) e^{-i tau x}| on a grid; degree ~ e tau/2."""
    ang = simulation_angles(tau, eps=1e-10)
    x = np.linspace(-1.0, 1.0, 2001)
    val = 0.5 * (ang.cos(x) - 1j * ang.sin(x))
    assert np.max(np.abs(val - 0.5 * ang.scale * np.exp(-1j * tau * x))) <= ang.error
    assert ang.cos.degree <= np.e * tau / 2 + np.log(1e10) + 10


def test_trotter_converges_with_order():
    """trotter_evolution approximates e^{-iHt}: error ~ 1/steps (order 1), 1/steps^2 (order 2)."""
    H = qml.dot([0.7, -0.4, 0.3], [qml.X(0) @ qml.X(1), qml.Z(0), qml.Y(1)])
    t = 1.3
    exact = sla.expm(-1j * t * qml.matrix(H, wire_order=[0, 1]))

    def err(steps, order):
        return np.linalg.norm(
            qml.matrix(trotter_evolution(H, t, steps, order), wire_order=[0, 1]) - exact, 2
        )

    assert err(40, 1) / err(20, 1) == pytest.approx(0.5, rel=0.1)
    assert err(40, 2) / err(20, 2) == pytest.approx(0.25, rel=0.1)
    assert err(40, 2) < 1e-3
    wrong_sign = sla.expm(1j * t * qml.matrix(H, wire_order=[0, 1]))
    assert (
        np.linalg.norm(qml.matrix(trotter_evolution(H, t, 40), wire_order=[0, 1]) - wrong_sign)
        > 0.1
    )


def test_trotter_of_pauli_decomposition_matches_dense_simulation():
    """The Pauli decomposition of a dense H, Trotterised, agrees with the QSVT block."""
    H = _hermitian(2, complex_=False)
    t = 0.8
    pauli = qml.pauli_decompose(H, wire_order=[0, 1])
    trot = qml.matrix(trotter_evolution(pauli, t, steps=60, order=2), wire_order=[0, 1])
    op = HamiltonianSimulation(H, 1.1 * np.linalg.norm(H, 2), t, wires=WIRES)
    block = qml.matrix(op, wire_order=WIRES)[:4, :4] / op.success_amplitude
    np.testing.assert_allclose(block, trot, atol=1e-3)


def test_flatten_round_trip_and_hash():
    H = _hermitian(4)
    op = HamiltonianSimulation(H, 2.0 * np.linalg.norm(H, 2), 0.5, wires=WIRES, eps=1e-8)
    data, meta = op._flatten()
    again = HamiltonianSimulation._unflatten(data, meta)
    assert again.hash == op.hash
    other = HamiltonianSimulation(H, 2.0 * np.linalg.norm(H, 2), 0.6, wires=WIRES, eps=1e-8)
    assert other.hash != op.hash
    assert op.resources().block_encoding_calls == op.angles.cos.degree + op.angles.sin.degree


def test_bad_inputs():
    H = _hermitian(1)
    norm = np.linalg.norm(H, 2)
    with pytest.raises(ValueError, match="Hermitian"):
        HamiltonianSimulation(H + np.triu(np.ones((4, 4)), 1), 10.0, 1.0, wires=WIRES)
    with pytest.raises(ValueError, match="alpha"):
        HamiltonianSimulation(H, 0.5 * norm, 1.0, wires=WIRES)
    with pytest.raises(ValueError, match="wires"):
        HamiltonianSimulation(H, 2 * norm, 1.0, wires=["l", "r", 0, 1])
    with pytest.raises(ValueError, match="time"):
        HamiltonianSimulation(H, 2 * norm, np.nan, wires=WIRES)
    with pytest.raises(ValueError, match="scale"):
        simulation_angles(1.0, scale=1.0)
    with pytest.raises(ValueError, match="order"):
        trotter_evolution(qml.Z(0), 1.0, order=3)
