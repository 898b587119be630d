"""The composed gradient-flow solver: layout, gates vs native vs ideal, metadata, amplification."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest

import pennylane_qsgd.device.kernels_circuits  # noqa: F401  (registers the kernels)
from pennylane_qsgd.circuits.amplification import SuccessAmplification, amplified_probability
from pennylane_qsgd.circuits.solver import (
    GradientFlowSolver,
    default_idle,
    euler_steps_for_tolerance,
    ideal_solution,
    register_sizes,
    required_wires,
    solver_oracle,
    success_branch,
)
from pennylane_qsgd.circuits.structured_encoding import structured_encoding_model
from pennylane_qsgd.core.bounds import euler_error_bound
from pennylane_qsgd.core.euler import euler_system, solve_euler
from pennylane_qsgd.core.examples import logistic_problem
from pennylane_qsgd.core.problem import PolynomialODE

PRECISION = 1e-7


def _quadratic(seed: int = 0, s: int = 2) -> PolynomialODE:
    rng = np.random.default_rng(seed)
    return PolynomialODE(
        F0=0.05 * rng.normal(size=s),
        F1=-np.eye(s) + 0.1 * rng.normal(size=(s, s)),
        F2=-0.1 * rng.normal(size=(s, s * s)),
        u_in=np.array([0.3, -0.2])[:s],
    )


def _forced_linear() -> PolynomialODE:
    """Linear ODE with a piecewise-constant forcing (two minibatches)."""
    return PolynomialODE(
        F0=[[0.1, -0.2], [-0.3, 0.05]],
        F1=[[-1.0, 0.3], [0.0, -0.5]],
        F2=np.zeros((2, 4)),
        u_in=[0.4, 0.1],
        forcing_times=[0.0, 0.3],
    )


CASES = {
    "quadratic": (_quadratic(), 0.5, 2, 2),
    "logistic": (logistic_problem(u_in=0.4), 0.6, 3, 3),
    "forced": (_forced_linear(), 0.6, 1, 4),
}


def _solver(name: str, **kwargs) -> GradientFlowSolver:
    problem, T, level, steps = CASES[name]
    idle = kwargs.pop("idle", None)
    n = required_wires(problem.size, level, steps, idle)
    with qml.QueuingManager.stop_recording():
        return GradientFlowSolver(
            problem,
            T=T,
            level=level,
            steps=steps,
            idle=idle,
            precision=PRECISION,
            wires=range(n),
            **kwargs,
        )


def _state(op: GradientFlowSolver, device: str, **device_kwargs) -> np.ndarray:
    dev = qml.device(device, wires=len(op.wires), **device_kwargs)

    @qml.qnode(dev)
    def circuit():
        qml.apply(op)
        return qml.state()

    return np.asarray(circuit())


def test_layout_and_wire_counts():
    problem = _quadratic(s=2)
    # s = 2 (b = 1), level 2: Carleman register 2 + 4 = 6 -> c = 3; m = 3 -> K = 8, p = 4.
    assert default_idle(3) == 4
    assert register_sizes(2, 2, 3, 4) == (3, 3, 1)
    assert required_wires(2, 2, 3) == 2 + 3 + 3
    wires = ["r", "a", "t0", "t1", "t2", "l0", "l1", "x"]
    op = GradientFlowSolver(problem, T=0.3, level=2, steps=3, wires=wires)
    layout = op.layout
    assert layout.time_wires.tolist() == ["t0", "t1", "t2"]
    assert layout.level_wires.tolist() == ["l0", "l1"]
    assert layout.system_wires.tolist() == ["x"]
    assert layout.success_condition == {"r": 0, "a": 0, "t0": 1, "l0": 0, "l1": 0}
    assert list(layout.success_slots) == [4, 5, 6, 7]


def test_idle_too_small_and_missing_arguments_are_refused():
    problem = _quadratic()
    with pytest.raises(ValueError, match="idle"):
        register_sizes(2, 1, 5, 0)  # 6 slots -> t = 3, but 2**2 < 5
    with pytest.raises(ValueError, match="steps"):
        GradientFlowSolver(problem, T=1.0, level=1, wires=range(6))
    with pytest.raises(ValueError, match="solver must be one of"):
        GradientFlowSolver(problem, T=1.0, level=1, steps=2, solver="lcu", wires=range(5))
    with pytest.raises(ValueError, match="needs 5 wires"):
        GradientFlowSolver(problem, T=1.0, level=1, steps=2, wires=range(4))
    with pytest.raises(ValueError, match="alpha"):
        GradientFlowSolver(problem, T=1.0, level=1, steps=2, wires=range(5), alpha="big")
    with pytest.raises(TypeError, match="PolynomialODE"):
        GradientFlowSolver("ode", T=1.0, level=1, steps=2, wires=range(5))


@pytest.mark.parametrize("name", list(CASES))
def test_gates_output_is_the_euler_carleman_solution(name):
    op = _solver(name)
    problem, T, level, steps = CASES[name]
    state = _state(op, "lightning.qubit")
    output, prob = success_branch(op, state)
    exact = solve_euler(problem, level, T, steps, op.layout.idle).u_final
    np.testing.assert_allclose(output.real, exact / np.linalg.norm(exact), atol=1e-5)
    assert np.abs(output.imag).max() < 1e-12
    # Against numpy's dense solve of the core's L, B: the r = 0, a = 0 block is c L^{-1} B.
    L, B = euler_system(problem, level, T, steps, op.layout.idle)
    x = np.linalg.solve(L.toarray(), B)
    block = state[: op.system().L.shape[0]][op.layout.register_index()]
    np.testing.assert_allclose(block.real / np.linalg.norm(block), x / np.linalg.norm(x), atol=1e-5)
    assert prob == pytest.approx(op.info().success_probability, rel=1e-9)


@pytest.mark.parametrize("name", list(CASES))
def test_native_matches_gates(name):
    op = _solver(name)
    gates = _state(op, "lightning.qubit")
    native = _state(op, "qsgd.sim", fidelity="native")
    np.testing.assert_allclose(native, gates, atol=1e-10)


def test_ideal_level_is_exact_solve():
    op = _solver("quadratic")
    ideal = _state(op, "qsgd.sim", fidelity="ideal")
    problem, T, level, steps = CASES["quadratic"]
    exact = solve_euler(problem, level, T, steps, op.layout.idle).u_final
    output, prob = success_branch(op, ideal)
    np.testing.assert_allclose(output.real, exact / np.linalg.norm(exact), atol=1e-13)
    info = op.info()
    assert prob == pytest.approx(info.ideal_success_probability, rel=1e-12)
    # The polynomial's precision separates the ideal and native success probabilities.
    assert prob == pytest.approx(info.success_probability, rel=1e-4)
    sol = ideal_solution(op)
    np.testing.assert_allclose(sol.state, exact / np.linalg.norm(exact), atol=1e-14)


def test_info_metadata():
    op = _solver("quadratic")
    info = op.info()
    system = op.system()
    L_dense = system.L.toarray()
    sigma = np.linalg.svd(L_dense, compute_uv=False)
    assert info.norm == pytest.approx(sigma[0], rel=1e-9)
    assert info.alpha >= sigma[0]
    assert info.kappa >= info.alpha / sigma[-1]
    assert info.kappa_bound == 3 * (op.layout.steps + op.layout.idle + 1)
    assert info.degree == len(op.inverse_angles().angles) - 1
    assert info.resources.block_encoding_calls == info.degree
    assert amplified_probability(info.success_probability, info.rounds) == pytest.approx(
        info.amplified_probability
    )
    assert info.amplified_probability > 0.9


def test_amplification_of_solver_success():
    op = _solver("quadratic")
    info = op.info()
    n = len(op.wires)

    def run(device, rounds, **kw):
        dev = qml.device(device, wires=n, **kw)

        @qml.qnode(dev)
        def circuit():
            qml.apply(op)
            SuccessAmplification(_solver("quadratic"), solver_oracle(op), iters=rounds)
            return qml.state()

        return np.asarray(circuit())

    for k in (1, info.rounds):
        native = run("qsgd.sim", k, fidelity="native")
        _, prob = success_branch(op, native)
        assert prob == pytest.approx(amplified_probability(info.success_probability, k), rel=1e-9)
    np.testing.assert_allclose(run("lightning.qubit", 1), run("qsgd.sim", 1), atol=1e-10)


def test_kappa_and_alpha_options():
    exact = _solver("quadratic")
    bound = _solver("quadratic", kappa="bound")
    tight = _solver("quadratic", alpha="norm")
    given_ = _solver("quadratic", kappa=50.0)
    assert bound.system().kappa_source == "bound" and exact.system().kappa_source == "exact"
    assert bound.system().kappa > exact.system().kappa
    assert bound.info().degree > exact.info().degree
    assert tight.system().alpha < exact.system().alpha
    assert given_.system().kappa == 50.0
    with pytest.raises(ValueError, match="below"):
        _solver("quadratic", alpha=0.5).system()
    # A looser polynomial still solves the system (more degree, same state).
    out_bound, _ = success_branch(bound, _state(bound, "qsgd.sim"))
    out_exact, _ = success_branch(exact, _state(exact, "qsgd.sim"))
    np.testing.assert_allclose(out_bound, out_exact, atol=1e-5)


def test_steps_from_euler_tolerance():
    problem = _quadratic()
    eps = 0.5
    m = euler_steps_for_tolerance(problem, 2, 0.5, eps)
    assert euler_error_bound(problem, 2, 0.5, 0.5 / m) <= eps
    assert euler_error_bound(problem, 2, 0.5, 0.5 / (m - 1)) > eps or m == 1
    op = GradientFlowSolver(problem, T=0.5, level=2, eps=eps, wires=range(required_wires(2, 2, m)))
    assert op.hyperparameters["steps"] == m


def test_hash_and_flatten():
    problem = _quadratic()
    other = PolynomialODE(problem.F0, problem.F1.toarray() + 1e-9, problem.F2, problem.u_in, None)
    n = required_wires(2, 2, 2)
    a = GradientFlowSolver(problem, T=0.5, level=2, steps=2, wires=range(n))
    b = GradientFlowSolver(other, T=0.5, level=2, steps=2, wires=range(n))
    assert a.hash != b.hash
    clone = GradientFlowSolver._unflatten(*a._flatten())
    assert clone.hash == a.hash
    np.testing.assert_allclose(clone.problem.F2.toarray(), problem.F2.toarray())


def test_native_kernel_needs_fresh_wires():
    op = _solver("quadratic")
    dev = qml.device("qsgd.sim", wires=len(op.wires))

    @qml.qnode(dev)
    def circuit():
        qml.PauliX(op.wires[-1])
        qml.apply(op)
        return qml.state()

    with pytest.raises(ValueError, match="fresh wires"):
        circuit()


def test_decomposition_queues_exactly_its_operations():
    op = _solver("logistic")
    with qml.queuing.AnnotatedQueue() as q:
        ops = op.decomposition()
    assert [o.name for o in q.queue] == ["NormalizedStatePrep", "QSVTInverse"]
    assert [o.name for o in ops] == ["NormalizedStatePrep", "QSVTInverse"]


def test_native_handles_larger_windows_quickly():
    """Native level past the gates level's reach: 16 time slots, level 2, s = 2 (11 wires)."""
    problem = _quadratic()
    steps = 8
    n = required_wires(2, 2, steps)
    op = GradientFlowSolver(problem, T=1.0, level=2, steps=steps, wires=range(n), kappa="bound")
    native = _state(op, "qsgd.sim", fidelity="native")
    output, prob = success_branch(op, native)
    exact = ideal_solution(op).state
    np.testing.assert_allclose(output.real, exact, atol=1e-5)
    assert prob == pytest.approx(op.info().success_probability, rel=1e-9)


def test_structured_model_for_solver():
    problem, T, level, steps = CASES["quadratic"]
    model = structured_encoding_model(problem, level, T, steps, default_idle(steps))
    assert model.subnormalisation >= _solver("quadratic").system().norm


def test_sparse_paths_for_long_windows(monkeypatch):
    """Past the dense-SVD and ARPACK limits the system uses rigorous bounds, never dense L."""
    import pennylane_qsgd.circuits.solver as solver_module

    dense = _solver("quadratic").system()
    monkeypatch.setattr(solver_module, "DENSE_SVD_LIMIT", 0)
    monkeypatch.setattr(solver_module, "_SYSTEM_CACHE", type(solver_module._SYSTEM_CACHE)())
    sparse = _solver("quadratic").system()
    assert sparse.sigma_min == pytest.approx(dense.sigma_min, rel=1e-10)  # ARPACK on L^{-1}
    assert sparse.norm >= dense.norm  # the shift bound 1 + max(1, ||I + hA||)
    assert sparse.alpha == pytest.approx(dense.alpha)
    monkeypatch.setattr(solver_module, "SPARSE_SIGMA_LIMIT", 0)
    op = _solver("quadratic")
    sol = ideal_solution(op)  # Lemma 3 with a lower bound of ||L||: no L needed
    exact = ideal_solution(_solver("quadratic", kappa=dense.kappa))
    assert sol.flag_probability < exact.flag_probability
    assert sol.subset_probability == pytest.approx(exact.subset_probability)
    problem, T, level, steps = CASES["quadratic"]
    _, B = euler_system(problem, level, T, steps, op.layout.idle)
    assert solver_module._rhs_norm(problem, level, T, steps) == pytest.approx(np.linalg.norm(B))


def test_resources_dense_and_structured():
    op = _solver("quadratic")
    dense = op.resources()
    assert dense.block_encoding_calls == op.inverse_angles().degree
    assert dense.logical_qubits == len(op.wires)
    structured = op.resources(encoding="structured")
    # The LCU's subnormalisation exceeds alpha, so the polynomial needs more calls.
    assert structured.block_encoding_calls >= dense.block_encoding_calls
    assert "controlled SWAP" in structured.block_encoding.gates
    with pytest.raises(ValueError, match="encoding"):
        op.resources(encoding="sparse")
