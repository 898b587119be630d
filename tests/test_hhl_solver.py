"""HHL as gates: phase estimation, rotations, uncomputation; native kernel; agreement with QSVT."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pennylane.wires import Wires

import pennylane_qsgd.device.kernels_circuits  # noqa: F401  (registers QSVTInverse's kernel)
import pennylane_qsgd.device.kernels_hhl  # noqa: F401  (registers the HHL kernels)
from pennylane_qsgd.circuits.hamiltonian_simulation import AMPLIFIED_SCALE, simulation_angles
from pennylane_qsgd.circuits.hhl_phase_estimation import (
    default_time,
    fejer_filter,
    hermitian_dilation,
)
from pennylane_qsgd.circuits.hhl_solver import HHLSolver
from pennylane_qsgd.circuits.hhl_twin import hhl_eigensystem, hhl_output
from pennylane_qsgd.circuits.qsvt_solver import QSVTInverse, inverse_angles
from pennylane_qsgd.circuits.solver import GradientFlowSolver
from pennylane_qsgd.circuits.solver_layout import required_wires
from pennylane_qsgd.circuits.solver_twins import solver_state, success_branch
from pennylane_qsgd.core.euler import euler_system
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.device.simulate import final_state

SETTINGS = settings(max_examples=8, deadline=None)

PROBLEM = PolynomialODE(
    F0=[0.0, 0.1], F1=[[-1.0, 0.2], [0.1, -0.5]], F2=np.zeros((2, 4)), u_in=[0.5, -0.3]
)


def _wires(num_clock: int, n: int) -> list:
    return ["anc", *[f"c{k}" for k in range(num_clock)], "d", *range(n)]


def _random_state(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    psi = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    return psi / np.linalg.norm(psi)


def _assert_native_matches_gates(applied: qml.operation.Operator, wires: list, seed: int) -> None:
    """qsgd.sim's native kernel of ``applied`` = default.qubit on its decomposition, for a random
    state on every wire."""
    psi = _random_state(seed, len(wires))
    dev = qml.device("default.qubit", wires=wires)

    @qml.qnode(dev)
    def circuit():
        qml.StatePrep(psi, wires=wires)
        qml.apply(applied)
        return qml.state()

    tape = qml.tape.QuantumScript([qml.StatePrep(psi, wires=wires), applied])
    native = final_state(tape, fidelity="native", wire_order=Wires(wires))
    np.testing.assert_allclose(native, circuit(), atol=1e-10)


def _fidelity(u: np.ndarray, v: np.ndarray) -> float:
    return abs(np.vdot(u, v)) ** 2 / (np.vdot(u, u).real * np.vdot(v, v).real)


def test_assert_valid():
    """PennyLane's own checks: decomposition, matrix, pickling, copy, flatten, data hash."""
    op = HHLSolver(np.array([[1.0, 0.2], [0.0, 0.8]]), 1.5, wires=list(range(6)))
    qml.ops.functions.assert_valid(op, skip_differentiation=True)


@pytest.mark.parametrize(
    ("size", "num_clock", "adjoint"), [(2, 6, False), (2, 6, True), (4, 6, False)]
)
def test_native_kernel_matches_gates(size, num_clock, adjoint):
    """qsgd.sim native = default.qubit on the decomposition, for a random state on every wire."""
    rng = np.random.default_rng(size + num_clock)
    L = np.eye(size) + np.tril(0.6 * rng.normal(size=(size, size)), -1)
    wires = _wires(num_clock, int(np.log2(size)))
    assert len(wires) <= 10
    op = HHLSolver(L, 1.05 * np.linalg.norm(L, 2), wires)
    _assert_native_matches_gates(qml.adjoint(op) if adjoint else op, wires, seed=1)


@pytest.mark.parametrize("adjoint", [False, True])
def test_trotter_variant_native_matches_gates(adjoint):
    """Phase estimation over a Trotter product: native kernel (Schur form) = gates (7 qubits)."""
    L = np.array([[1.0, 0.0], [-0.6, 1.0]])
    wires = _wires(4, 1)
    op = HHLSolver(L, 1.05 * np.linalg.norm(L, 2), wires, evolution="trotter", trotter_steps=2)
    _assert_native_matches_gates(qml.adjoint(op) if adjoint else op, wires, seed=2)


def test_trotter_variant_converges_with_steps():
    """Euler system (4x4), 10 clock qubits: the Trotter version approaches numpy.linalg.solve."""
    L, B = euler_system(PROBLEM, 1, 0.5, 1, 0)
    L = L.toarray()
    alpha = 1.01 * np.linalg.norm(L, 2)
    x = np.linalg.solve(L, B)

    def infidelity(steps):
        op = HHLSolver(L, alpha, _wires(10, 2), evolution="trotter", trotter_steps=steps)
        return 1 - _fidelity(hhl_output(op, B).solution, x)

    errors = [infidelity(steps) for steps in (1, 4, 16)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-5


def test_qsvt_evolution_native_matches_gates():
    """Phase estimation over controlled amplified QSVT simulations: native = gates (9 qubits)."""
    L = np.array([[1.0, 0.0], [-0.6, 1.0]])
    wires = ["anc", "c0", "c1", "c2", "l", "r", "a", "d", 0]
    op = HHLSolver(L, 1.05 * np.linalg.norm(L, 2), wires, evolution="qsvt", simulation_eps=1e-8)
    assert op.num_clock == 3 and op.register_wires.tolist() == ["d", 0]
    _assert_native_matches_gates(op, wires, seed=3)


def test_qsvt_evolution_agrees_with_exact_evolution():
    """Euler system (8x8), 8 clock qubits: the QSVT-simulated HHL equals the exact-unitary HHL to
    the polynomial precision, and solves the system."""
    L, B = euler_system(PROBLEM, 1, 0.5, 2, 1)
    L = L.toarray()
    alpha = 1.01 * np.linalg.norm(L, 2)
    clock = [f"c{k}" for k in range(8)]
    exact = HHLSolver(L, alpha, ["anc", *clock, "d", 0, 1, 2])
    qsvt = HHLSolver(L, alpha, ["anc", *clock, "l", "r", "a", "d", 0, 1, 2], evolution="qsvt")
    out_exact, out_qsvt = hhl_output(exact, B), hhl_output(qsvt, B)
    np.testing.assert_allclose(out_qsvt.solution, out_exact.solution, atol=1e-8)
    assert out_qsvt.success_probability == pytest.approx(out_exact.success_probability, abs=1e-8)
    assert _fidelity(out_qsvt.solution, np.linalg.solve(L, B)) > 1 - 1e-4
    degrees = [simulation_angles(-(2**k) * qsvt.t0, 1e-10, AMPLIFIED_SCALE) for k in range(8)]
    expected_calls = sum(10 * (ang.cos.degree + ang.sin.degree) for ang in degrees)
    assert qsvt.resources().block_encoding_calls == expected_calls


def test_exact_when_eigenvalues_sit_on_the_clock_grid():
    """sigma_i t0 N / (2 pi alpha) integer: the success branch is exactly C alpha L^{-1} b."""
    num_clock, alpha = 5, 1.0
    N = 2**num_clock
    grid = 2.0 / (N - 2)  # 2 pi / (N t0) for the default t0
    rng = np.random.default_rng(0)
    Q1, _ = np.linalg.qr(rng.normal(size=(2, 2)))
    Q2, _ = np.linalg.qr(rng.normal(size=(2, 2)))
    L = Q1 @ np.diag([3 * grid, 11 * grid]) @ Q2.T
    b = np.array([0.6, -0.8])
    op = HHLSolver(L, alpha, _wires(num_clock, 1))
    assert op.t0 == pytest.approx(default_time(num_clock))
    out = hhl_output(op, b)
    np.testing.assert_allclose(out.solution, op.C * alpha * np.linalg.solve(L, b), atol=1e-12)
    assert op.C == pytest.approx(3 * grid)
    assert out.clock_zero_probability == pytest.approx(out.success_probability, abs=1e-12)


@SETTINGS
@given(seed=st.integers(0, 10_000), num_clock=st.integers(3, 8))
def test_clock_zero_branch_is_fejer_filtered_inverse(seed, num_clock):
    """anc = 1, clock 0 holds sum_i g(lambda_i) <v_i|b> v_i with g the Fejér average of C/lambda_j."""
    rng = np.random.default_rng(seed)
    L = np.eye(2) + 0.5 * rng.normal(size=(2, 2))
    alpha = 1.1 * np.linalg.norm(L, 2)
    b = rng.normal(size=2)
    op = HHLSolver(L, alpha, _wires(num_clock, 1), C=0.5 * np.linalg.svd(L)[1][-1] / alpha)
    lam, V = np.linalg.eigh(hermitian_dilation(L) / alpha)
    g = fejer_filter(lam, num_clock, op.t0, op.C)
    rhs = np.concatenate([b, np.zeros(2)]) / np.linalg.norm(b)
    expected = (V @ (g * (V.T @ rhs)))[2:]
    np.testing.assert_allclose(hhl_output(op, b).solution, expected, atol=1e-12)


@pytest.mark.parametrize(("steps", "idle"), [(1, 0), (2, 1)])
def test_solves_euler_system(steps, idle):
    """Euler system of a tiny linear problem (4x4, 8x8): HHL vs numpy.linalg.solve.

    10 clock qubits: fidelity > 1 - 1e-5 (measured 1 - 2e-8 and 1 - 1.3e-6); success probability
    ~ C^2 alpha^2 ||L^{-1} b||^2.
    """
    L, B = euler_system(PROBLEM, 1, 0.5, steps, idle)
    L = L.toarray()
    alpha = 1.01 * np.linalg.norm(L, 2)
    op = HHLSolver(L, alpha, _wires(10, int(np.log2(L.shape[0]))))
    out = hhl_output(op, B)
    x = np.linalg.solve(L, B)
    assert _fidelity(out.solution, x) > 1 - 1e-5
    predicted = (op.C * alpha * np.linalg.norm(x) / np.linalg.norm(B)) ** 2
    assert out.success_probability == pytest.approx(predicted, rel=0.02)
    coarse = hhl_output(HHLSolver(L, alpha, _wires(4, int(np.log2(L.shape[0])))), B)
    assert _fidelity(coarse.solution, x) < _fidelity(out.solution, x)


def test_agrees_with_qsvt_inverse():
    """HHL and QSVTInverse (both native) give the same normalised solution of the Euler system."""
    L, B = euler_system(PROBLEM, 1, 0.5, 2, 1)
    L = L.toarray()
    alpha = 1.01 * np.linalg.norm(L, 2)
    kappa = 1.001 * alpha / np.linalg.svd(L, compute_uv=False)[-1]
    n = 3
    qsvt = QSVTInverse(L, alpha, inverse_angles(kappa, 1e-8).angles, wires=["r", "a", 0, 1, 2])
    prep = qml.StatePrep(B / np.linalg.norm(B), wires=[0, 1, 2])
    state = final_state(qml.tape.QuantumScript([prep, qsvt]), wire_order=qsvt.wires)
    qsvt_x = state[: 2**n]  # r = 0, a = 0
    hhl = HHLSolver(L, alpha, _wires(10, n))
    hhl_x = hhl_output(hhl, B).solution
    x = np.linalg.solve(L, B)
    assert _fidelity(qsvt_x, x) > 1 - 1e-12
    assert _fidelity(hhl_x, qsvt_x) > 1 - 1e-5
    # Amplitudes: HHL C alpha L^{-1} b, QSVT (scale alpha / kappa) L^{-1} b (same b).
    ratio = np.vdot(qsvt_x, hhl_x) / np.vdot(qsvt_x, qsvt_x)
    expected = hhl.C * kappa / inverse_angles(kappa, 1e-8).scale
    assert abs(ratio) == pytest.approx(expected, rel=1e-2)


def test_agrees_with_gradient_flow_solver():
    """HHL's idle-slot block, normalised, equals GradientFlowSolver's success branch."""
    L, B = euler_system(PROBLEM, 1, 0.5, 1, 0)
    L = L.toarray()
    n_wires = required_wires(2, 1, 1, 0)
    solver = GradientFlowSolver(
        PROBLEM, T=0.5, carleman_level=1, steps=1, idle=0, wires=range(n_wires)
    )
    u_qsvt, _ = success_branch(solver, solver_state(solver))
    out = hhl_output(HHLSolver(L, 1.01 * np.linalg.norm(L, 2), _wires(10, 2)), B)
    assert _fidelity(out.solution[2:], u_qsvt) > 1 - 1e-6


def test_runs_on_qsgd_sim_natively():
    """qsgd.sim (native level) measures the success probability hhl_output predicts, 15 qubits."""
    L = np.array([[1.0, 0.0], [-0.6, 1.0]])
    wires = _wires(12, 1)
    b = np.array([np.cos(0.35), np.sin(0.35)])
    dev = qml.device("qsgd.sim", wires=wires, fidelity="native")

    @qml.qnode(dev)
    def circuit():
        qml.RY(0.7, wires=0)
        HHLSolver(L, 1.05 * np.linalg.norm(L, 2), wires)
        return qml.probs(wires=["anc"])

    predicted = hhl_output(HHLSolver(L, 1.05 * np.linalg.norm(L, 2), wires), b)
    assert circuit()[1] == pytest.approx(predicted.success_probability, abs=1e-12)


def test_flatten_round_trip_and_resources():
    L = np.array([[1.0, 0.0], [-0.5, 1.0]])
    op = HHLSolver(L, 1.5, _wires(4, 1), t0=2.0, C=0.1)
    again = HHLSolver._unflatten(*op._flatten())
    assert again.hash == op.hash and again.t0 == 2.0 and again.C == 0.1
    trotter = HHLSolver(L, 1.5, _wires(4, 1), t0=2.0, C=0.1, evolution="trotter", trotter_steps=3)
    assert trotter.hash != op.hash
    assert HHLSolver._unflatten(*trotter._flatten()).hyperparameters["trotter_steps"] == 3
    assert op.num_clock == 4
    assert op.resources().gates["C(RY)"] == 15
    assert HHLSolver(L, 1.5, _wires(4, 1), t0=2.0, C=0.2).hash != op.hash


def test_bad_inputs():
    L = np.array([[1.0, 0.0], [-0.5, 1.0]])
    with pytest.raises(ValueError, match="alpha"):
        HHLSolver(L, 0.5, _wires(3, 1))
    with pytest.raises(ValueError, match="clock"):
        HHLSolver(L, 1.5, ["anc", "d", 0])
    with pytest.raises(ValueError, match="t0"):
        HHLSolver(L, 1.5, _wires(3, 1), t0=4.0)
    with pytest.raises(ValueError, match="C must"):
        HHLSolver(L, 1.5, _wires(3, 1), C=0.0)
    with pytest.raises(ValueError, match="power of two"):
        HHLSolver(np.eye(3), 1.5, _wires(3, 1))
    with pytest.raises(ValueError, match="evolution"):
        HHLSolver(L, 1.5, _wires(3, 1), evolution="dense")
    with pytest.raises(ValueError, match="trotter_steps"):
        HHLSolver(L, 1.5, _wires(3, 1), evolution="trotter", trotter_steps=0)
    with pytest.raises(ValueError, match="b must"):
        hhl_output(HHLSolver(L, 1.5, _wires(3, 1)), np.zeros(2))


def test_eigensystem_is_computed_once_per_operation():
    """A second HHLSolver with the same data reuses the (read-only) eigensystem, which is the
    eigendecomposition of the dilation scaled to phases (numpy.linalg.eigh)."""
    L = np.array([[1.0, 0.0], [-0.4, 1.0]])
    alpha = 1.05 * np.linalg.norm(L, 2)
    first = hhl_eigensystem(HHLSolver(L, alpha, _wires(4, 1)))
    again = hhl_eigensystem(HHLSolver(L.copy(), alpha, _wires(4, 1)))
    assert again[0] is first[0] and again[1] is first[1]
    assert not first[0].flags.writeable and not first[1].flags.writeable
    lam = np.linalg.eigvalsh(hermitian_dilation(L) / alpha)
    np.testing.assert_allclose(first[0], lam * default_time(4) / (2 * np.pi), atol=1e-12)
