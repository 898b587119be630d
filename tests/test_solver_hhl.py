"""GradientFlowSolver with inverter="hhl": layout, gates vs native kernel, agreement with QSVT and Euler."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from _problems import final_state

import pennylane_qsgd.device.kernels_circuits  # noqa: F401  (registers GradientFlowSolver's kernels)
from pennylane_qsgd.circuits.amplification import SuccessAmplification, amplified_probability
from pennylane_qsgd.circuits.hhl_solver import fejer_filter
from pennylane_qsgd.circuits.solver import DEFAULT_CLOCK_QUBITS, GradientFlowSolver
from pennylane_qsgd.circuits.solver_layout import required_wires
from pennylane_qsgd.circuits.solver_twins import (
    hhl_solver_state,
    ideal_solution,
    solver_oracle,
    success_branch,
)
from pennylane_qsgd.core.euler import euler_system, solve_euler
from pennylane_qsgd.core.problem import PolynomialODE

T, LEVEL, STEPS = 0.5, 1, 2

# Linear (F2 = 0), s = 2, with a constant forcing: level 1 is exact Carleman.
LINEAR = PolynomialODE(
    F0=[0.05, 0.1], F1=[[-1.0, 0.2], [0.1, -0.5]], F2=np.zeros((2, 4)), u_in=[0.5, -0.3]
)


def _op(solver: str = "hhl", clock_qubits: int = DEFAULT_CLOCK_QUBITS, **kw) -> GradientFlowSolver:
    n = required_wires(LINEAR.size, LEVEL, STEPS, inverter=solver, clock_qubits=clock_qubits)
    extra = {"clock_qubits": clock_qubits} if solver == "hhl" else {"precision": 1e-7}
    with qml.QueuingManager.stop_recording():
        return GradientFlowSolver(
            LINEAR,
            T=T,
            carleman_level=LEVEL,
            steps=STEPS,
            inverter=solver,
            wires=range(n),
            **extra,
            **kw,
        )


_state = final_state


def _fidelity(u: np.ndarray, v: np.ndarray) -> float:
    return abs(np.vdot(u, v)) ** 2 / (np.vdot(u, u).real * np.vdot(v, v).real)


def _euler() -> np.ndarray:
    idle = _op().layout.idle
    return solve_euler(LINEAR, LEVEL, T, STEPS, idle).u_final


def test_layout_wires_and_success_condition():
    # s = 2 (b = 1), level 1 (c = 1), m = 2 (t = 2, p = 1): QSVT needs 2 + 2 + 1 wires.
    assert required_wires(2, 1, 2) == 5
    assert required_wires(2, 1, 2, inverter="hhl", clock_qubits=3) == 8
    assert required_wires(2, 1, 2, inverter="hhl") == 5 + DEFAULT_CLOCK_QUBITS
    wires = ["anc", "c0", "c1", "c2", "d", "t0", "t1", "x"]
    op = GradientFlowSolver(
        LINEAR, T=T, carleman_level=1, steps=2, inverter="hhl", clock_qubits=3, wires=wires
    )
    layout = op.layout
    assert layout.clock_wires.tolist() == ["c0", "c1", "c2"]
    assert layout.register_wires.tolist() == ["t0", "t1", "x"]
    assert layout.wires.tolist() == wires
    assert layout.success_condition == {"anc": 1, "c0": 0, "c1": 0, "c2": 0, "d": 1, "t0": 1}
    oracle = solver_oracle(op)
    assert oracle.wires.tolist() == ["anc", "c0", "c1", "c2", "d", "t0"]
    hhl = op.hhl_operator()
    assert hhl.wires.tolist() == wires
    assert hhl.C == pytest.approx(1.0 / op.kappa)
    with qml.queuing.AnnotatedQueue() as q:
        ops = op.decomposition()
    assert [o.name for o in q.queue] == ["NormalizedStatePrep", "HHLSolver"]
    assert [o.name for o in ops] == ["NormalizedStatePrep", "HHLSolver"]


def test_bad_hhl_options_are_refused():
    n = required_wires(2, 1, 2, inverter="hhl", clock_qubits=4)
    with pytest.raises(ValueError, match="clock_qubits"):
        GradientFlowSolver(
            LINEAR, T=T, carleman_level=1, steps=2, inverter="hhl", clock_qubits=0, wires=range(n)
        )
    with pytest.raises(ValueError, match="evolution"):
        GradientFlowSolver(
            LINEAR,
            T=T,
            carleman_level=1,
            steps=2,
            inverter="hhl",
            clock_qubits=4,
            evolution="qsvt",
            wires=range(n),
        )
    with pytest.raises(ValueError, match="needs 9 wires"):
        GradientFlowSolver(
            LINEAR, T=T, carleman_level=1, steps=2, inverter="hhl", clock_qubits=4, wires=range(5)
        )
    with pytest.raises(ValueError, match="inverter"):
        required_wires(2, 1, 2, inverter="lcu")
    with pytest.raises(ValueError, match="encoding='dense'"):
        required_wires(2, 1, 2, encoding="structured", inverter="hhl")


def test_gates_match_native_kernel():
    """default.qubit running the decomposition (QPE, controlled RYs, inverse QPE) = native map."""
    op = _op(clock_qubits=5)
    gates = _state(op, "default.qubit")
    native = _state(op, "qsgd.sim", fidelity="native")
    np.testing.assert_allclose(native, gates, atol=1e-10)
    np.testing.assert_allclose(hhl_solver_state(op), gates, atol=1e-10)
    clone = GradientFlowSolver._unflatten(*op._flatten())
    assert clone.hash == op.hash
    assert clone.hyperparameters["clock_qubits"] == 5


def test_success_branch_matches_qsvt_and_euler():
    hhl = _op()
    qsvt = _op("qsvt")
    out_hhl, p_hhl = success_branch(hhl, _state(hhl, "qsgd.sim", fidelity="native"))
    out_qsvt, _ = success_branch(qsvt, _state(qsvt, "qsgd.sim", fidelity="native"))
    exact = _euler()
    assert _fidelity(out_hhl, exact / np.linalg.norm(exact)) > 1 - 1e-4
    assert _fidelity(out_hhl, out_qsvt) > 1 - 1e-4
    # Success probability: exact inverse with C = 1/kappa, up to the clock's 1/x error.
    ideal = ideal_solution(hhl)
    assert p_hhl == pytest.approx(ideal.success_probability, rel=0.05)


def test_ideal_level_is_exact_solve_on_the_hhl_flags():
    op = _op()
    ideal = _state(op, "qsgd.sim", fidelity="ideal")
    out, prob = success_branch(op, ideal)
    exact = _euler()
    np.testing.assert_allclose(out.real, exact / np.linalg.norm(exact), atol=1e-13)
    # Flag with C = 1/kappa and exact eigenvalues: (alpha/kappa)^2 ||L^-1 B||^2 / ||B||^2.
    L, B = euler_system(LINEAR, LEVEL, T, STEPS, op.layout.idle)
    y = np.linalg.solve(L.toarray(), B)
    flag = (op.alpha / op.kappa * np.linalg.norm(y) / np.linalg.norm(B)) ** 2
    grid = y.reshape(STEPS + op.layout.idle + 1, -1)
    subset = np.sum(grid[op.layout.time_slots // 2 :, : LINEAR.size] ** 2)
    assert prob == pytest.approx(flag * subset / np.sum(y**2), rel=1e-10)


def test_info_and_resources():
    op = _op(clock_qubits=6)
    info = op.info()
    assert info.degree == 0
    enc = op.encoding().encoded()
    lam = np.linalg.svd(enc.csr.toarray() / enc.alpha, compute_uv=False)
    hhl = op.hhl_operator()
    assert info.polynomial_error == pytest.approx(
        np.max(np.abs(fejer_filter(lam, 6, hhl.t0, hhl.C) - hhl.C / lam))
    )
    assert _fidelity(info.output_state, info.ideal_state) > 1 - 1e-3
    res = op.resources()
    assert res.logical_qubits == len(op.wires)
    assert res.gates["C(RY)"] == 2**6 - 1


def test_amplification_of_the_hhl_success_event():
    """One round on the flags anc = 1, clock 0, d = 1: sin^2(3 theta), gates = native."""
    op = _op(clock_qubits=4)
    _, p = success_branch(op, hhl_solver_state(op))

    def run(device, **kw):
        dev = qml.device(device, wires=len(op.wires), **kw)

        @qml.qnode(dev)
        def circuit():
            qml.apply(op)
            SuccessAmplification(_op(clock_qubits=4), solver_oracle(op), iters=1)
            return qml.state()

        return np.asarray(circuit())

    native = run("qsgd.sim", fidelity="native")
    _, amplified = success_branch(op, native)
    theta = np.arcsin(np.sqrt(p))
    assert amplified == pytest.approx(np.sin(3 * theta) ** 2, rel=1e-9)
    assert amplified == pytest.approx(amplified_probability(p, 1), rel=1e-9)
    np.testing.assert_allclose(run("default.qubit"), native, atol=1e-10)
