"""GradientFlowSolver over every registered encoding and both inverters: validity, layout, gates vs
native vs ideal vs the core's Euler solve, metadata, amplification, policy options, resources from
the circuit."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from _problems import final_state

import pennylane_qsgd.device  # noqa: F401  (registers the native kernels)
from pennylane_qsgd.circuits.amplification import SuccessAmplification, amplified_probability
from pennylane_qsgd.circuits.hhl_phase_estimation import fejer_filter
from pennylane_qsgd.circuits.solver import DEFAULT_CLOCK_QUBITS, GradientFlowSolver
from pennylane_qsgd.circuits.solver_layout import required_wires
from pennylane_qsgd.circuits.solver_metadata import solver_oracle
from pennylane_qsgd.circuits.solver_policy import (
    default_idle,
    euler_steps_for_tolerance,
    time_wires,
)
from pennylane_qsgd.circuits.solver_twins import (
    hhl_solver_state,
    ideal_solution,
    solver_state,
    success_branch,
)
from pennylane_qsgd.core.bounds import euler_error_bound
from pennylane_qsgd.core.euler import euler_system, solve_euler
from pennylane_qsgd.core.examples import logistic_problem
from pennylane_qsgd.core.problem import PolynomialODE

PRECISION = 1e-7
ENCODINGS = ("dense", "structured")


def _quadratic(seed: int = 0, s: int = 2) -> PolynomialODE:
    rng = np.random.default_rng(seed)
    return PolynomialODE(
        F0=0.05 * rng.normal(size=s),
        F1=-np.eye(s) + 0.1 * rng.normal(size=(s, s)),
        F2=-0.1 * rng.normal(size=(s, s * s)),
        u_in=np.array([0.3, -0.2])[:s],
    )


def _forced(F2_scale: float = 0.0) -> PolynomialODE:
    """Piecewise-constant forcing (two minibatches); linear unless ``F2_scale``."""
    return PolynomialODE(
        F0=[[0.1, -0.2], [-0.3, 0.05]],
        F1=[[-1.0, 0.3], [0.0, -0.5]],
        F2=F2_scale * np.arange(8.0).reshape(2, 4) / 8,
        u_in=[0.4, 0.1],
        forcing_times=[0.0, 0.3],
    )


CASES = {
    "quadratic": (_quadratic(), 0.5, 2, 2),
    "logistic": (logistic_problem(u_in=0.4), 0.6, 3, 3),
    "forced": (_forced(), 0.6, 1, 4),
    "forced-quadratic": (_forced(-0.2), 0.6, 2, 3),
}


def _solver(name: str, encoding: str = "dense", **kwargs) -> GradientFlowSolver:
    problem, T, level, steps = CASES[name]
    idle = kwargs.pop("idle", None)
    n = required_wires(problem.size, level, steps, idle, encoding)
    with qml.QueuingManager.stop_recording():
        return GradientFlowSolver(
            problem,
            T=T,
            carleman_level=level,
            steps=steps,
            idle=idle,
            encoding=encoding,
            precision=kwargs.pop("precision", PRECISION),
            wires=range(n),
            **kwargs,
        )


_state = final_state


def _exact(name: str, idle: int) -> np.ndarray:
    problem, T, level, steps = CASES[name]
    u = solve_euler(problem, level, T, steps, idle).u_final
    return u / np.linalg.norm(u)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_assert_valid(encoding):
    """PennyLane's own checks: decomposition, matrix, pickling, copy, flatten, data hash."""
    problem = PolynomialODE(F0=[0.05], F1=[[-1.0]], F2=[[-0.1]], u_in=[0.5])
    n = required_wires(1, 2, 1, encoding=encoding)
    op = GradientFlowSolver(
        problem, T=0.3, carleman_level=2, steps=1, encoding=encoding, precision=1e-3, wires=range(n)
    )
    qml.ops.functions.assert_valid(op, skip_differentiation=True)
    qml.ops.functions.assert_valid(op.encoding(), skip_differentiation=True)


def test_layout_and_wire_counts():
    problem = _quadratic(s=2)
    # s = 2 (b = 1), level 2: Carleman register 2 + 4 = 6 -> c = 3; m = 3 -> K = 8, p = 4.
    assert default_idle(3) == 4
    assert time_wires(3, 4) == 3
    assert required_wires(2, 2, 3) == 2 + 3 + 3
    wires = ["r", "a", "t0", "t1", "t2", "l0", "l1", "x"]
    op = GradientFlowSolver(problem, T=0.3, carleman_level=2, steps=3, wires=wires)
    layout = op.layout
    assert layout.time_wires.tolist() == ["t0", "t1", "t2"]
    assert layout.level_wires.tolist() == ["l0", "l1"]
    assert layout.system_wires.tolist() == ["x"]
    assert layout.success_condition == {"r": 0, "a": 0, "t0": 1, "l0": 0, "l1": 0}
    assert list(layout.success_slots) == [4, 5, 6, 7]
    # The structured layout: r, flag, the encoding's four ancilla registers, time, level, factors.
    n = required_wires(2, 2, 3, encoding="structured")
    op = GradientFlowSolver(
        problem, T=0.3, carleman_level=2, steps=3, encoding="structured", wires=range(n)
    )
    assert op.layout.flag_wire == 1 and op.layout.time_wires.tolist() == [8, 9, 10]
    cond = op.layout.success_condition
    assert cond[0] == 0 and cond[8] == 1 and all(cond[w] == 0 for w in op.layout.ancilla_wires)


def test_bad_arguments_are_refused_by_name():
    problem = _quadratic()
    with pytest.raises(ValueError, match="idle"):
        time_wires(5, 0)  # 6 slots -> t = 3, but 2**2 < 5
    with pytest.raises(ValueError, match="steps"):
        GradientFlowSolver(problem, T=1.0, carleman_level=1, wires=range(6))
    with pytest.raises(ValueError, match="inverter must be one of"):
        GradientFlowSolver(
            problem, T=1.0, carleman_level=1, steps=2, inverter="lcu", wires=range(5)
        )
    with pytest.raises(ValueError, match="encoding must be one of"):
        GradientFlowSolver(
            problem, T=1.0, carleman_level=1, steps=2, encoding="sparse", wires=range(5)
        )
    with pytest.raises(ValueError, match="needs 5 wires"):
        GradientFlowSolver(problem, T=1.0, carleman_level=1, steps=2, wires=range(4))
    with pytest.raises(ValueError, match="alpha"):
        GradientFlowSolver(problem, T=1.0, carleman_level=1, steps=2, wires=range(5), alpha="big")
    with pytest.raises(ValueError, match="free subnormalisation"):
        _solver("quadratic", "structured", alpha=5.0)
    with pytest.raises(TypeError, match="PolynomialODE"):
        GradientFlowSolver("ode", T=1.0, carleman_level=1, steps=2, wires=range(5))


@pytest.mark.parametrize("name", ["quadratic", "forced", "forced-quadratic"])
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_gates_output_is_the_euler_carleman_solution(name, encoding):
    op = _solver(name, encoding)
    if len(op.wires) > 14:
        pytest.skip("gate-level simulation above 14 wires")
    problem, T, level, steps = CASES[name]
    state = _state(op, "lightning.qubit")
    output, prob = success_branch(op, state)
    np.testing.assert_allclose(output.real, _exact(name, op.layout.idle), atol=1e-5)
    assert np.abs(output.imag).max() < 1e-12
    # Against numpy's dense solve of the core's L, B: the success block is c L^{-1} B.
    L, B = euler_system(problem, level, T, steps, op.layout.idle)
    x = np.linalg.solve(L.toarray(), B)
    block = state[: 2 ** len(op.layout.register_wires)][op.layout.register_index()]
    np.testing.assert_allclose(block.real / np.linalg.norm(block), x / np.linalg.norm(x), atol=1e-5)
    np.testing.assert_allclose(state, solver_state(op), atol=1e-10)  # the native twin
    assert prob == pytest.approx(op.info().success_probability, rel=1e-9)


@pytest.mark.parametrize("name", list(CASES))
def test_native_matches_gates_dense(name):
    op = _solver(name)
    np.testing.assert_allclose(
        _state(op, "qsgd.sim", fidelity="native"), _state(op, "lightning.qubit"), atol=1e-10
    )


@pytest.mark.parametrize("name", ["logistic", "forced-quadratic"])
def test_structured_and_dense_encodings_agree(name):
    """Same Euler solution from both encodings (they differ in alpha, hence kappa and degree)."""
    dense, structured = _solver(name), _solver(name, "structured")
    out_d, p_d = success_branch(dense, _state(dense, "qsgd.sim"))
    out_s, p_s = success_branch(structured, _state(structured, "qsgd.sim"))
    exact = _exact(name, dense.layout.idle)
    np.testing.assert_allclose(out_d.real, exact, atol=1e-5)
    np.testing.assert_allclose(out_s.real, exact, atol=1e-5)
    assert structured.alpha > dense.alpha and structured.degree() > dense.degree()
    for op, p in ((dense, p_d), (structured, p_s)):
        assert p == pytest.approx(ideal_solution(op).success_probability, rel=1e-4)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_ideal_fidelity_is_the_forward_substitution(encoding):
    op = _solver("forced-quadratic", encoding)
    ideal = _state(op, "qsgd.sim", fidelity="ideal")
    output, prob = success_branch(op, ideal)
    exact = _exact("forced-quadratic", op.layout.idle)
    np.testing.assert_allclose(output.real, exact, atol=1e-13)
    info = op.info()
    assert prob == pytest.approx(info.ideal_success_probability, rel=1e-12)
    # The polynomial's precision separates the ideal and native success probabilities.
    assert prob == pytest.approx(info.success_probability, rel=1e-4)
    np.testing.assert_allclose(ideal_solution(op).state, exact, atol=1e-14)


def test_info_metadata():
    op = _solver("quadratic")
    info = op.info()
    problem, T, level, steps = CASES["quadratic"]
    L, _ = euler_system(problem, level, T, steps, op.layout.idle)
    sigma = np.linalg.svd(L.toarray(), compute_uv=False)
    assert info.alpha >= sigma[0]
    assert info.kappa >= info.alpha / sigma[-1]
    assert info.kappa_source == "exact" and info.encoding == "dense"
    assert info.kappa_bound == 3 * (op.layout.steps + op.layout.idle + 1)
    assert info.degree == len(op.inverse_angles().angles) - 1 == op.degree()
    assert info.resources.block_encoding_calls == info.degree
    assert amplified_probability(info.success_probability, info.rounds) == pytest.approx(
        info.amplified_probability
    )
    assert info.amplified_probability > 0.9


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_amplification_of_solver_success(encoding):
    op = _solver("quadratic", encoding, precision=1e-4)
    info = op.info()
    n = len(op.wires)

    def run(device, rounds, **kw):
        @qml.qnode(qml.device(device, wires=n, **kw))
        def circuit():
            qml.apply(op)
            SuccessAmplification(op, solver_oracle(op), iters=rounds)
            return qml.state()

        return np.asarray(circuit())

    for k in (1, info.rounds):
        _, prob = success_branch(op, run("qsgd.sim", k, fidelity="native"))
        assert prob == pytest.approx(amplified_probability(info.success_probability, k), rel=1e-9)
    if encoding == "dense":
        np.testing.assert_allclose(run("lightning.qubit", 1), run("qsgd.sim", 1), atol=1e-10)


def test_kappa_and_alpha_options():
    exact = _solver("quadratic")
    bound = _solver("quadratic", kappa="bound")
    assert bound.condition()[1] == "bound"
    tight = _solver("quadratic", alpha="norm")
    given_ = _solver("quadratic", kappa=50.0)
    assert exact.condition()[1] == "exact"
    assert bound.kappa > exact.kappa and bound.degree() > exact.degree()
    assert tight.alpha < exact.alpha
    assert given_.condition() == (50.0, "given")
    with pytest.raises(ValueError, match="below"):
        _ = _solver("quadratic", alpha=0.5).alpha
    # A looser polynomial still solves the system (more degree, same state).
    out_bound, _ = success_branch(bound, solver_state(bound))
    out_exact, _ = success_branch(exact, solver_state(exact))
    np.testing.assert_allclose(out_bound, out_exact, atol=1e-5)


def test_steps_from_euler_tolerance():
    problem = _quadratic()
    eps = 0.5
    m = euler_steps_for_tolerance(problem, 2, 0.5, eps)
    assert euler_error_bound(problem, 2, 0.5, 0.5 / m) <= eps
    assert euler_error_bound(problem, 2, 0.5, 0.5 / (m - 1)) > eps or m == 1
    n = required_wires(2, 2, m)
    op = GradientFlowSolver(problem, T=0.5, carleman_level=2, eps=eps, wires=range(n))
    assert op.hyperparameters["steps"] == m


def test_hash_and_flatten():
    problem = _quadratic()
    other = PolynomialODE(problem.F0, problem.F1.toarray() + 1e-9, problem.F2, problem.u_in, None)
    n = required_wires(2, 2, 2)
    a = GradientFlowSolver(problem, T=0.5, carleman_level=2, steps=2, wires=range(n))
    b = GradientFlowSolver(other, T=0.5, carleman_level=2, steps=2, wires=range(n))
    assert a.hash != b.hash
    clone = GradientFlowSolver._unflatten(*a._flatten())
    assert clone.hash == a.hash
    np.testing.assert_allclose(clone.problem.F2.toarray(), problem.F2.toarray())


def test_native_kernel_needs_fresh_wires():
    op = _solver("quadratic")

    @qml.qnode(qml.device("qsgd.sim", wires=len(op.wires)))
    def circuit():
        qml.PauliX(op.wires[-1])
        qml.apply(op)
        return qml.state()

    with pytest.raises(ValueError, match="fresh wires"):
        circuit()


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_decomposition_and_resources_come_from_the_circuit(encoding):
    op = _solver("logistic", encoding, precision=1e-3)
    with qml.queuing.AnnotatedQueue() as q:
        ops = op.decomposition()
    assert [o.name for o in q.queue] == [o.name for o in ops]
    d = op.degree()
    calls = [o for o in ops if o.name.startswith(("Adjoint(", "DenseEuler", "StructuredEuler"))]
    assert len(calls) == d
    res = op.resources()
    counted = {}
    for o in ops[1:]:
        if o not in calls:
            key = f"{o.name}({len(o.wires)})"
            counted[key] = counted.get(key, 0) + 1
    assert all(res.gates[k] == v for k, v in counted.items())
    assert res.block_encoding_calls == d and res.logical_qubits == len(op.wires)
    assert res.block_encoding.gates == op.encoding().resources().gates


def test_native_handles_larger_windows_quickly():
    """Native fidelity past the gates level's reach: 16 time slots, level 2, s = 2 (11 wires)."""
    problem = _quadratic()
    steps = 8
    n = required_wires(2, 2, steps)
    op = GradientFlowSolver(
        problem, T=1.0, carleman_level=2, steps=steps, wires=range(n), kappa="bound"
    )
    output, _ = success_branch(op, _state(op, "qsgd.sim", fidelity="native"))
    np.testing.assert_allclose(output.real, ideal_solution(op).state, atol=1e-5)


def test_long_windows_use_bounds_without_L(monkeypatch):
    """Past SPARSE_SIGMA_LIMIT rows the policy forms no L: Lemma 3 and the shift bound."""
    import pennylane_qsgd.circuits.solver_policy as policy

    exact = _solver("quadratic", idle=5)
    kappa, alpha = exact.kappa, exact.alpha
    monkeypatch.setattr(policy, "SPARSE_SIGMA_LIMIT", 0)
    monkeypatch.setattr(policy, "_TWINS", type(policy._TWINS)())
    op = _solver("quadratic", idle=5)
    assert op.condition()[1] == "bound"
    assert op.alpha == pytest.approx(alpha) and op.kappa > kappa
    sol = ideal_solution(op)
    ref = ideal_solution(_solver("quadratic", idle=5, kappa=kappa))
    assert sol.flag_probability < ref.flag_probability
    assert sol.subset_probability == pytest.approx(ref.subset_probability)


def test_draw_shows_names_not_arrays():
    op = _solver("quadratic")
    text = qml.draw(lambda: qml.apply(op))()
    assert "GradientFlow[dense,qsvt, s=2, N=2]" in text and "[[" not in text
    for name, expected in (("structured", "BE(L)[LCU, s=2, N=2]"), ("dense", "BE[32x32]")):
        enc = _solver("quadratic", name).encoding()
        label = enc.label() if name == "structured" else enc.decomposition()[0].label()
        assert label == expected


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_pennylane_amplitude_amplification_and_reflection_around_the_solver(encoding):
    """qml.AmplitudeAmplification and qml.Reflection as PennyLane users write them: native and
    ideal fidelities run them as reflections about U|0>; native equals the gates."""
    op = _solver("quadratic", encoding, precision=1e-3)
    n = len(op.wires)

    def run(fidelity, kind):
        @qml.qnode(qml.device("qsgd.sim", wires=n, fidelity=fidelity))
        def circuit():
            qml.apply(op)
            if kind == "aa":
                qml.AmplitudeAmplification(op, solver_oracle(op), iters=2)
            else:
                solver_oracle(op)
                qml.Reflection(op, np.pi)
            return qml.state()

        return np.asarray(circuit())

    p = op.info().success_probability
    for kind in ("aa", "reflection"):
        native = run("native", kind)
        if encoding == "dense":
            np.testing.assert_allclose(native, run("gates", kind), atol=1e-10)
        _, prob_ideal = success_branch(op, run("ideal", kind))
        _, prob = success_branch(op, native)
        if kind == "aa":
            assert prob == pytest.approx(amplified_probability(p, 2), rel=1e-9)
            assert prob_ideal == pytest.approx(prob, rel=1e-2)
        else:  # one Grover round: sin^2(3 theta)
            assert prob == pytest.approx(amplified_probability(p, 1), rel=1e-9)


def test_encoding_registry_names_its_entries():
    from pennylane_qsgd.circuits.encoding import ENCODINGS, encoding_class, register_encoding

    assert {"dense", "structured"} <= set(ENCODINGS)
    with pytest.raises(TypeError, match="EulerEncoding"):
        register_encoding("bad", GradientFlowSolver)
    with pytest.raises(ValueError, match="'dense'"):
        encoding_class("nope")
    with pytest.raises(ValueError, match="needs 11 wires"):
        ENCODINGS["structured"](_quadratic(), 0.5, 2, 1, 1, wires=range(3))


# ----------------------------------------------------------------------------------------------
# inverter="hhl": layout, gates vs native kernel, agreement with QSVT and Euler

HHL_T, HHL_LEVEL, HHL_STEPS = 0.5, 1, 2

# Linear (F2 = 0), s = 2, with a constant forcing: level 1 is exact Carleman.
LINEAR = PolynomialODE(
    F0=[0.05, 0.1], F1=[[-1.0, 0.2], [0.1, -0.5]], F2=np.zeros((2, 4)), u_in=[0.5, -0.3]
)


def _hhl_op(
    solver: str = "hhl", clock_qubits: int = DEFAULT_CLOCK_QUBITS, **kw
) -> GradientFlowSolver:
    n = required_wires(
        LINEAR.size, HHL_LEVEL, HHL_STEPS, inverter=solver, clock_qubits=clock_qubits
    )
    extra = {"clock_qubits": clock_qubits} if solver == "hhl" else {"precision": 1e-7}
    with qml.QueuingManager.stop_recording():
        return GradientFlowSolver(
            LINEAR,
            T=HHL_T,
            carleman_level=HHL_LEVEL,
            steps=HHL_STEPS,
            inverter=solver,
            wires=range(n),
            **extra,
            **kw,
        )


def _fidelity(u: np.ndarray, v: np.ndarray) -> float:
    return abs(np.vdot(u, v)) ** 2 / (np.vdot(u, u).real * np.vdot(v, v).real)


def _linear_euler() -> np.ndarray:
    idle = _hhl_op().layout.idle
    return solve_euler(LINEAR, HHL_LEVEL, HHL_T, HHL_STEPS, idle).u_final


def test_layout_wires_and_success_condition():
    # s = 2 (b = 1), level 1 (c = 1), m = 2 (t = 2, p = 1): QSVT needs 2 + 2 + 1 wires.
    assert required_wires(2, 1, 2) == 5
    assert required_wires(2, 1, 2, inverter="hhl", clock_qubits=3) == 8
    assert required_wires(2, 1, 2, inverter="hhl") == 5 + DEFAULT_CLOCK_QUBITS
    wires = ["anc", "c0", "c1", "c2", "d", "t0", "t1", "x"]
    op = GradientFlowSolver(
        LINEAR, T=HHL_T, carleman_level=1, steps=2, inverter="hhl", clock_qubits=3, wires=wires
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

    def make(**options) -> GradientFlowSolver:
        return GradientFlowSolver(
            LINEAR, T=HHL_T, carleman_level=1, steps=2, inverter="hhl", **options
        )

    with pytest.raises(ValueError, match="clock_qubits"):
        make(clock_qubits=0, wires=range(n))
    with pytest.raises(ValueError, match="evolution"):
        make(clock_qubits=4, evolution="qsvt", wires=range(n))
    with pytest.raises(ValueError, match="needs 9 wires"):
        make(clock_qubits=4, wires=range(5))
    with pytest.raises(ValueError, match="inverter"):
        required_wires(2, 1, 2, inverter="lcu")
    with pytest.raises(ValueError, match="encoding='dense'"):
        required_wires(2, 1, 2, encoding="structured", inverter="hhl")


def test_gates_match_native_kernel():
    """default.qubit running the decomposition (QPE, controlled RYs, inverse QPE) = native map."""
    op = _hhl_op(clock_qubits=5)
    gates = _state(op, "default.qubit")
    native = _state(op, "qsgd.sim", fidelity="native")
    np.testing.assert_allclose(native, gates, atol=1e-10)
    np.testing.assert_allclose(hhl_solver_state(op), gates, atol=1e-10)
    clone = GradientFlowSolver._unflatten(*op._flatten())
    assert clone.hash == op.hash
    assert clone.hyperparameters["clock_qubits"] == 5


def test_success_branch_matches_qsvt_and_euler():
    hhl = _hhl_op()
    qsvt = _hhl_op("qsvt")
    out_hhl, p_hhl = success_branch(hhl, _state(hhl, "qsgd.sim", fidelity="native"))
    out_qsvt, _ = success_branch(qsvt, _state(qsvt, "qsgd.sim", fidelity="native"))
    exact = _linear_euler()
    assert _fidelity(out_hhl, exact / np.linalg.norm(exact)) > 1 - 1e-4
    assert _fidelity(out_hhl, out_qsvt) > 1 - 1e-4
    # Success probability: exact inverse with C = 1/kappa, up to the clock's 1/x error.
    ideal = ideal_solution(hhl)
    assert p_hhl == pytest.approx(ideal.success_probability, rel=0.05)


def test_ideal_level_is_exact_solve_on_the_hhl_flags():
    op = _hhl_op()
    ideal = _state(op, "qsgd.sim", fidelity="ideal")
    out, prob = success_branch(op, ideal)
    exact = _linear_euler()
    np.testing.assert_allclose(out.real, exact / np.linalg.norm(exact), atol=1e-13)
    # Flag with C = 1/kappa and exact eigenvalues: (alpha/kappa)^2 ||L^-1 B||^2 / ||B||^2.
    L, B = euler_system(LINEAR, HHL_LEVEL, HHL_T, HHL_STEPS, op.layout.idle)
    y = np.linalg.solve(L.toarray(), B)
    flag = (op.alpha / op.kappa * np.linalg.norm(y) / np.linalg.norm(B)) ** 2
    grid = y.reshape(HHL_STEPS + op.layout.idle + 1, -1)
    subset = np.sum(grid[op.layout.time_slots // 2 :, : LINEAR.size] ** 2)
    assert prob == pytest.approx(flag * subset / np.sum(y**2), rel=1e-10)


def test_info_and_resources():
    op = _hhl_op(clock_qubits=6)
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
    op = _hhl_op(clock_qubits=4)
    _, p = success_branch(op, hhl_solver_state(op))

    def run(device, **kw):
        dev = qml.device(device, wires=len(op.wires), **kw)

        @qml.qnode(dev)
        def circuit():
            qml.apply(op)
            SuccessAmplification(_hhl_op(clock_qubits=4), solver_oracle(op), iters=1)
            return qml.state()

        return np.asarray(circuit())

    native = run("qsgd.sim", fidelity="native")
    _, amplified = success_branch(op, native)
    theta = np.arcsin(np.sqrt(p))
    assert amplified == pytest.approx(np.sin(3 * theta) ** 2, rel=1e-9)
    assert amplified == pytest.approx(amplified_probability(p, 1), rel=1e-9)
    np.testing.assert_allclose(run("default.qubit"), native, atol=1e-10)
