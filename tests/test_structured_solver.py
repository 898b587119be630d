"""The gradient-flow solver on the structured encoding: output, success probability, levels.

References: the core's forward substitution (``solve_euler``), numpy's dense solve of the core's
``L Y = B``, the dense SVD of ``L`` with the solver's 1/x polynomial applied to the singular values
(:math:`\\operatorname{Re}P^{(SV)}(L^T/\\lambda) = V P(\\Sigma/\\lambda) W^T` for
:math:`L = W\\Sigma V^T`), and lightning.qubit on the gate decomposition.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pennylane as qml
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pennylane_qsgd.device  # noqa: F401  (registers qsgd.sim's kernels)
from pennylane_qsgd.circuits.structured_block_encoding import (
    StructuredEulerEncoding,
    structured_embedding,
)
from pennylane_qsgd.circuits.structured_solver import (
    StructuredFlowSolver,
    embedded_rhs,
    encoding_alpha,
    structured_kappa,
    structured_solver_wires,
    structured_success_branch,
)
from pennylane_qsgd.core.carleman import carleman_dimension, carleman_matrix
from pennylane_qsgd.core.euler import euler_system, solve_euler
from pennylane_qsgd.core.problem import PolynomialODE

PRECISION = 1e-4


def random_problem(s: int, seed: int) -> PolynomialODE:
    rng = np.random.default_rng(seed)
    F1 = -np.eye(s) + 0.1 * rng.standard_normal((s, s))
    F2 = 0.1 * rng.standard_normal((s, s * s))
    return PolynomialODE(0.1 * rng.standard_normal(s), F1, F2, 0.3 * rng.standard_normal(s))


def run(op: StructuredFlowSolver, fidelity: str = "native") -> np.ndarray:
    n = len(op.wires)
    device = (
        qml.device("lightning.qubit", wires=n)
        if fidelity == "lightning"
        else qml.device("qsgd.sim", wires=n, fidelity=fidelity)
    )

    @qml.qnode(device)
    def circuit():
        qml.apply(op)
        return qml.state()

    return np.asarray(circuit())


def dense_reference(problem, T, N, m, p):
    """Dense ``Y = L^{-1} B``, its success block (p+1, s), and the polynomial's output."""
    L, B = euler_system(problem, N, T, m, p)
    L = L.toarray()
    Y = np.linalg.solve(L, B)
    dim = carleman_dimension(problem.size, N)
    success = Y.reshape(m + p + 1, dim)[m:, : problem.size]
    return L, B, Y, success


CASES = [  # (s, N, m, p, seed): s = 3 pads factor 1 to 4 entries
    (2, 2, 2, 2, 3),
    (1, 2, 3, 1, 5),
    (3, 1, 3, 3, 7),
]


@pytest.fixture(scope="module", params=CASES, ids=lambda c: "s{}-N{}-m{}-p{}".format(*c[:4]))
def solved(request):
    s, N, m, p, seed = request.param
    problem, T = random_problem(s, seed), 0.4
    n = structured_solver_wires(s, N, m, p)
    with qml.QueuingManager.stop_recording():
        op = StructuredFlowSolver(problem, T, N, m, p, precision=PRECISION, wires=range(n))
    return problem, T, N, m, p, op, run(op)


def test_output_matches_euler_solution_and_dense_solve(solved):
    problem, T, N, m, p, op, state = solved
    u_hat, _ = structured_success_branch(op, state)
    assert np.linalg.norm(u_hat.imag) <= 1e-10
    euler = solve_euler(problem, N, T, m, p).u_final
    expected = euler / np.linalg.norm(euler)
    assert np.linalg.norm(u_hat.real - expected) <= 5 * PRECISION
    _, _, _, success = dense_reference(problem, T, N, m, p)
    dense = success.sum(axis=0)
    assert np.linalg.norm(u_hat.real - dense / np.linalg.norm(dense)) <= 5 * PRECISION


def test_success_probability_matches_formula_and_polynomial(solved):
    problem, T, N, m, p, op, state = solved
    _, prob = structured_success_branch(op, state)
    L, B, Y, success = dense_reference(problem, T, N, m, p)
    lam, kappa, angles = op.alpha, op.kappa, op.inverse_angles()
    # Ideal: r = 0 holds (scale lambda / kappa) L^{-1} B / ||B||; success = slots m..m+p, level 1.
    ideal = (angles.scale * lam / kappa) ** 2 * np.sum(success**2) / np.dot(B, B)
    assert abs(prob - ideal) <= 10 * PRECISION * ideal
    # Exact: the polynomial on the singular values of L^T / lambda (L = W S V^T).
    W, sig, Vt = np.linalg.svd(L)
    out = Vt.T @ (angles.polynomial(sig / lam) * (W.T @ (B / np.linalg.norm(B))))
    dim = carleman_dimension(problem.size, N)
    exact_success = out.reshape(m + p + 1, dim)[m:, : problem.size]
    assert prob == pytest.approx(np.sum(exact_success**2), rel=1e-8)
    # The whole r = 0, flag = 0, ancillas-0 block is that vector on the embedded coordinates.
    n_sys = len(op.layout.system_wires)
    block = state[: 2**n_sys]
    emb = structured_embedding(problem.size, N, m, p)
    assert np.allclose(block[emb], out, atol=1e-9)
    assert np.linalg.norm(np.delete(block, emb)) <= 1e-10
    # the disjoint wire conditions describe the same event
    total = 0.0
    grid = np.abs(state.reshape((2,) * len(op.wires))) ** 2
    for cond in op.layout.success_conditions():
        index = tuple(cond.get(w, slice(None)) for w in op.wires)
        part = grid[index]
        # factor 1's padded coordinates >= s are empty; the sum over them is harmless
        total += float(np.sum(part))
    assert total == pytest.approx(prob, rel=1e-10, abs=1e-14)


def test_native_level_matches_gates_on_lightning():
    problem, T, N, m, p = random_problem(2, 11), 0.4, 2, 1, 1
    n = structured_solver_wires(2, N, m, p)
    assert n <= 14
    with qml.QueuingManager.stop_recording():
        op = StructuredFlowSolver(problem, T, N, m, p, precision=1e-2, wires=range(n))
    native = run(op)
    gates = run(op, "lightning")
    assert np.max(np.abs(native - gates)) <= 1e-10
    # At the native level the encoding and its adjoint stay whole (their kernels apply them).
    tape = qml.tape.QuantumScript([op], [qml.state()])
    dev = qml.device("qsgd.sim", wires=n)
    (lowered,), _ = dev.preprocess_transforms()((tape,))
    names = Counter(
        type(o.base).__name__ + "^dag" if isinstance(o, qml.ops.op_math.Adjoint) else o.name
        for o in lowered.operations
    )
    assert names["StructuredEulerEncoding"] + names["StructuredEulerEncoding^dag"] == op.degree
    assert names["MultiControlledX"] == 2 * (op.degree + 1)


def test_kappa_modes_cover_the_singular_values():
    problem, T, N, m, p = random_problem(2, 4), 0.2, 2, 2, 2
    L, _ = euler_system(problem, N, T, m, p)
    sigma_min = np.linalg.svd(L.toarray(), compute_uv=False)[-1]
    n = structured_solver_wires(2, N, m, p)
    with qml.QueuingManager.stop_recording():
        lam = StructuredEulerEncoding(problem, T, N, m, p, wires=range(n - 2)).alpha
    exact, source = structured_kappa(problem, T, N, m, p)
    assert source == "exact"
    assert exact == pytest.approx(lam / sigma_min, rel=1e-5)
    bound, source = structured_kappa(problem, T, N, m, p, "bound")
    assert source == "bound" and bound >= exact
    assert bound <= lam * 3 * (m + p + 1)
    # Lemma 3 with sigma_max(L) >= sqrt(1 + ||I + hA||^2), ||I + hA|| by a dense numpy norm.
    step = np.eye(carleman_dimension(2, N)) + (T / m) * carleman_matrix(problem, N).toarray()
    lemma3 = lam * 3 * (m + p + 1) / np.sqrt(1 + np.linalg.norm(step, 2) ** 2)
    assert bound == pytest.approx(lemma3, rel=1e-12)
    assert encoding_alpha(problem, T, N, m, p) == pytest.approx(lam, rel=1e-14)


def test_rhs_is_the_embedded_core_rhs():
    problem, T, N, m, p = random_problem(3, 2), 0.3, 2, 2, 1
    _, B = euler_system(problem, N, T, m, p)
    rhs = embedded_rhs(problem, T, N, m, p)
    emb = structured_embedding(3, N, m, p)
    assert np.array_equal(rhs[emb], B)
    assert np.count_nonzero(np.delete(rhs, emb)) == 0


def test_resources_flatten_and_hash():
    problem = random_problem(1, 6)
    n = structured_solver_wires(1, 2, 2)
    with qml.QueuingManager.stop_recording():
        op = StructuredFlowSolver(problem, 0.4, 2, 2, precision=1e-2, wires=range(n))
        res = op.resources()
        decomposition = op.decomposition()
    d = op.degree
    assert res.block_encoding_calls == d == len(op.angles) - 1
    assert res.logical_qubits == n
    counted = Counter(o.name for o in decomposition)
    assert counted["MultiControlledX"] == sum(
        v for k, v in res.gates.items() if k.startswith("MultiControlledX")
    )
    assert counted["MultiRZ"] == res.gates["MultiRZ(2)"] == d + 1
    enc = res.block_encoding.gates
    total = res.total_gates()
    for name, count in enc.items():
        assert total[name] == d * count + res.gates.get(name, 0)
    data, meta = op._flatten()
    clone = StructuredFlowSolver._unflatten(data, meta)
    assert qml.equal(op, clone) and clone.hash == op.hash
    F1 = problem.F1.toarray()
    F1[0, 0] += 1e-9
    changed = PolynomialODE(problem.F0, F1, problem.F2, problem.u_in)
    with qml.QueuingManager.stop_recording():
        other = StructuredFlowSolver(
            changed, 0.4, 2, 2, precision=1e-2, kappa=op.kappa, wires=range(n)
        )
    assert other.hash != op.hash


def test_errors_name_the_argument():
    problem = random_problem(2, 0)
    n = structured_solver_wires(2, 2, 1, 1)
    wires = range(n)
    for bad in (0.0, 1.0, -1e-3, float("nan")):
        with pytest.raises(ValueError, match="precision"):
            StructuredFlowSolver(problem, 0.4, 2, 1, 1, precision=bad, wires=wires)
    with pytest.raises(ValueError, match="wires must hold"):
        StructuredFlowSolver(problem, 0.4, 2, 1, 1, wires=range(n - 1))
    with pytest.raises(ValueError, match="wires are required"):
        StructuredFlowSolver(problem, 0.4, 2, 1, 1)
    piecewise = PolynomialODE(
        F0=np.ones((2, 2)), F1=problem.F1, F2=problem.F2, u_in=problem.u_in, forcing_times=[0, 1]
    )
    with pytest.raises(ValueError, match="constant forcing"):
        StructuredFlowSolver(piecewise, 0.4, 2, 1, 1, wires=wires)
    with pytest.raises(ValueError, match="kappa"):
        StructuredFlowSolver(problem, 0.4, 2, 1, 1, kappa=0.5, wires=wires)
    with pytest.raises(ValueError, match="kappa"):
        StructuredFlowSolver(problem, 0.4, 2, 1, 1, kappa="huge", wires=wires)
    with pytest.raises(ValueError, match="T must be"):
        StructuredFlowSolver(problem, -1.0, 2, 1, 1, wires=wires)
    with pytest.raises(TypeError, match="problem must be"):
        StructuredFlowSolver(problem.F1, 0.4, 2, 1, 1, wires=wires)
    with pytest.raises(ValueError, match="state must be"):
        op = StructuredFlowSolver(problem, 0.4, 2, 1, 1, precision=1e-2, wires=wires)
        structured_success_branch(op, np.zeros(8))


def test_branches_are_real_and_imaginary_parts_of_pennylane_qsvt():
    problem, T, N, m, p = random_problem(2, 12), 0.4, 2, 1, 1
    n = structured_solver_wires(2, N, m, p)
    with qml.QueuingManager.stop_recording():
        op = StructuredFlowSolver(problem, T, N, m, p, precision=1e-2, wires=range(n))
    state = run(op).reshape(2, 2, -1)  # r, flag, encoding wires
    n_sys = len(op.layout.system_wires)
    wires = list(range(n - 2))

    @qml.qnode(qml.device("qsgd.sim", wires=n - 2))
    def qsvt():
        qml.StatePrep(embedded_rhs(problem, T, N, m, p), wires=wires[-n_sys:], normalize=True)
        encoding = StructuredEulerEncoding(problem, T, N, m, p, wires=wires)
        qml.QSVT(
            qml.adjoint(encoding), [qml.PCPhase(t, dim=2**n_sys, wires=wires) for t in op.angles]
        )
        return qml.state()

    block = np.asarray(qsvt())[: 2**n_sys]
    # r = 0: the average of the +phi and -phi sequences; r = 1: half their difference
    assert np.allclose(state[0, 0, : 2**n_sys], block.real, atol=1e-10)
    assert np.allclose(state[1, 0, : 2**n_sys], 1j * block.imag, atol=1e-10)
    # flag is always uncomputed
    assert np.linalg.norm(state[:, 1]) <= 1e-12


@settings(max_examples=6, deadline=None)
@given(
    s=st.integers(1, 3),
    N=st.integers(1, 2),
    m=st.integers(1, 3),
    p=st.integers(0, 2),
    seed=st.integers(0, 2**16),
)
def test_block_is_the_polynomial_of_the_singular_values(s, N, m, p, seed):
    problem, T = random_problem(s, seed), 0.3
    n = structured_solver_wires(s, N, m, p)
    with qml.QueuingManager.stop_recording():
        op = StructuredFlowSolver(problem, T, N, m, p, precision=1e-2, wires=range(n))
    state = run(op)
    L, B = euler_system(problem, N, T, m, p)
    W, sig, Vt = np.linalg.svd(L.toarray())
    poly = op.inverse_angles().polynomial
    expected = Vt.T @ (poly(sig / op.alpha) * (W.T @ (B / np.linalg.norm(B))))
    n_sys = len(op.layout.system_wires)
    emb = structured_embedding(s, N, m, p)
    assert np.allclose(state[emb], expected, atol=1e-9)  # r = 0, flag = 0, ancillas 0
    u_hat, prob = structured_success_branch(op, state)
    dim = carleman_dimension(s, N)
    success = expected.reshape(m + p + 1, dim)[m:, :s]
    assert prob == pytest.approx(np.sum(success**2), rel=1e-8)
    assert np.allclose(u_hat, success.sum(axis=0) / np.linalg.norm(success.sum(axis=0)), atol=1e-8)
    assert np.linalg.norm(state[: 2**n_sys]) ** 2 == pytest.approx(np.sum(expected**2), rel=1e-8)
