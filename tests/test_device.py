"""Tests of the ``qsgd.sim`` device: results against independent references, sampling, tracker,
derivatives, the native-kernel hook and the error messages."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pennylane as qml
import pytest
import scipy as sp
import tomllib
from hypothesis import given, settings
from hypothesis import strategies as st
from pennylane.devices.capabilities import DeviceCapabilities
from pennylane.exceptions import DeviceError, QuantumFunctionError, WireError

from pennylane_qsgd.core.memory import MemoryBudgetError
from pennylane_qsgd.device import (
    PENNYLANE_REQUIRES,
    QSGDSimulator,
    native_kernel_for,
    register_native_kernel,
    registered_native_types,
    unregister_native_kernel,
)
from pennylane_qsgd.device.measure import marginal_probabilities
from pennylane_qsgd.device.statevector import apply_matrix, real_inner

ROOT = Path(__file__).resolve().parents[1]
ATOL = 1e-10

# ---------------------------------------------------------------- references


def dense_state(ops, wire_order) -> np.ndarray:
    """Exact state by dense matrix products of PennyLane's own gate matrices."""
    state = np.zeros(2 ** len(wire_order), dtype=complex)
    state[0] = 1.0
    for op in ops:
        state = qml.matrix(op, wire_order=wire_order) @ state
    return state


def random_unitary(rng: np.random.Generator, dim: int) -> np.ndarray:
    z = rng.normal(size=(dim, dim)) + 1j * rng.normal(size=(dim, dim))
    q, r = np.linalg.qr(z)
    return q * (np.diag(r) / np.abs(np.diag(r)))


def random_gate(rng: np.random.Generator, wires: list) -> qml.operation.Operator:
    """One gate of a broad pool, on randomly chosen wires of ``wires``."""
    n = len(wires)
    pick = lambda k: [wires[i] for i in rng.permutation(n)[:k]]  # noqa: E731
    angle = lambda: float(rng.uniform(-np.pi, np.pi))  # noqa: E731
    one = [
        lambda: qml.RX(angle(), pick(1)),
        lambda: qml.RY(angle(), pick(1)),
        lambda: qml.RZ(angle(), pick(1)),
        lambda: qml.Rot(angle(), angle(), angle(), pick(1)),
        lambda: qml.Hadamard(pick(1)),
        lambda: qml.adjoint(qml.S(pick(1))),
        lambda: qml.adjoint(qml.SX(pick(1))),
        lambda: qml.PhaseShift(angle(), pick(1)),
        lambda: qml.GlobalPhase(angle(), pick(1)),
        lambda: qml.QubitUnitary(random_unitary(rng, 2), pick(1)),
        lambda: qml.DiagonalQubitUnitary(np.exp(1j * rng.normal(size=2)), pick(1)),
    ]
    two = [
        lambda: qml.CNOT(pick(2)),
        lambda: qml.CZ(pick(2)),
        lambda: qml.CRX(angle(), pick(2)),
        lambda: qml.IsingXY(angle(), pick(2)),
        lambda: qml.ECR(pick(2)),
        lambda: qml.SWAP(pick(2)),
        lambda: qml.PauliRot(angle(), "XY", pick(2)),
        lambda: qml.PauliRot(angle(), "IZ", pick(2)),
        lambda: qml.CH(pick(2)),
        lambda: qml.QubitUnitary(random_unitary(rng, 4), pick(2)),
        lambda: qml.adjoint(qml.IsingZZ(angle(), pick(2))),
    ]
    three = [
        lambda: qml.Toffoli(pick(3)),
        lambda: qml.MultiControlledX(wires=pick(3), control_values=[0, 1]),
        lambda: qml.ctrl(qml.RY(angle(), 0), control=[1, 2], control_values=[1, 0]).map_wires(
            dict(zip([0, 1, 2], pick(3), strict=True))
        ),
        lambda: qml.ctrl(
            qml.adjoint(qml.Rot(angle(), angle(), angle(), 0)), control=[1, 2]
        ).map_wires(dict(zip([0, 1, 2], pick(3), strict=True))),
        lambda: qml.PCPhase(angle(), dim=3, wires=pick(3)),
        lambda: qml.PauliRot(angle(), "XZY", pick(3)),
    ]
    pools = [one] + ([two] if n >= 2 else []) + ([three] if n >= 3 else [])
    pool = pools[rng.integers(len(pools))]
    return pool[rng.integers(len(pool))]()


WIRE_LABELS = st.sampled_from([[0], [0, 1], ["a", 3, "q"], [2, 0, 1, 3], [5, "b", 1, 0]])


# ---------------------------------------------------------------- states and measurements


@settings(max_examples=40, deadline=None)
@given(wires=WIRE_LABELS, seed=st.integers(0, 2**32 - 1), depth=st.integers(1, 12))
def test_random_circuit_state_matches_dense_product(wires, seed, depth):
    rng = np.random.default_rng(seed)
    ops = [random_gate(rng, wires) for _ in range(depth)]
    dev = qml.device("qsgd.sim", wires=wires)

    @qml.qnode(dev)
    def circuit():
        for op in ops:
            qml.apply(op)
        return qml.state()

    assert np.allclose(circuit(), dense_state(ops, wires), atol=ATOL)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), fidelity=st.sampled_from(["native", "gates", "ideal"]))
def test_random_circuit_measurements_match_default_qubit(seed, fidelity):
    rng = np.random.default_rng(seed)
    wires = [0, 1, 2]
    ops = [random_gate(rng, wires) for _ in range(8)]
    herm = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    herm = herm + herm.conj().T
    ham = 0.3 * qml.X(0) @ qml.Y(2) - 1.2 * qml.Z(1) + 0.7 * qml.Y(0) @ qml.Y(1)

    def circuit():
        for op in ops:
            qml.apply(op)
        return (
            qml.expval(ham),
            qml.var(qml.Hermitian(herm, wires=[2, 0])),
            qml.probs(wires=[2, 0]),
            qml.probs(op=qml.X(1)),
            qml.density_matrix(wires=[1]),
            qml.vn_entropy(wires=[0]),
            qml.expval(qml.Projector([1, 0], wires=[0, 2])),
        )

    ours = qml.QNode(circuit, qml.device("qsgd.sim", wires=3, fidelity=fidelity))()
    ref = qml.QNode(circuit, qml.device("default.qubit", wires=3))()
    for a, b in zip(ours, ref, strict=True):
        assert np.allclose(a, b, atol=1e-9)


@pytest.mark.parametrize(
    "op",
    [
        qml.PauliRot(0.7, "II", wires=[0, 1]),
        qml.adjoint(qml.PauliRot(0.7, "IZI", wires=[0, 1, 2])),
        qml.GlobalPhase(0.4),
        qml.Identity(1),
        qml.adjoint(qml.adjoint(qml.RX(0.3, 2))),
        qml.ctrl(qml.adjoint(qml.S(0)), control=[1, 2], control_values=[0, 1]),
        qml.ControlledQubitUnitary(qml.matrix(qml.RY(0.5, 0)), wires=[2, 1, 0]),
        qml.BlockEncode(np.array([[0.3, 0.1], [0.2, -0.4]]), wires=[1, 2]),
    ],
    ids=lambda op: op.name,
)
def test_special_gates_match_dense_product(op):
    prep = [qml.Hadamard(0), qml.RY(0.4, 1), qml.RX(1.1, 2)]
    dev = qml.device("qsgd.sim", wires=3)

    @qml.qnode(dev)
    def circuit():
        for gate in [*prep, op]:
            qml.apply(gate)
        return qml.state()

    assert np.allclose(circuit(), dense_state([*prep, op], [0, 1, 2]), atol=ATOL)


def test_state_prep_and_basis_state_initialise_the_register():
    rng = np.random.default_rng(3)
    psi = rng.normal(size=4) + 1j * rng.normal(size=4)
    psi /= np.linalg.norm(psi)
    original = psi.copy()
    dev = qml.device("qsgd.sim", wires=[0, 1, 2])

    @qml.qnode(dev)
    def prep():
        qml.StatePrep(psi, wires=[2, 0])
        qml.CNOT([2, 1])
        return qml.state()

    prepared = np.zeros(8, dtype=complex)  # psi on wires (2, 0), wire 1 in |0>
    for b0 in (0, 1):
        for b2 in (0, 1):
            prepared[4 * b0 + b2] = psi[2 * b2 + b0]
    expected = qml.matrix(qml.CNOT([2, 1]), wire_order=[0, 1, 2]) @ prepared
    assert np.allclose(prep(), expected, atol=ATOL)
    assert np.array_equal(psi, original)  # the caller's array is not written to

    @qml.qnode(dev)
    def basis():
        qml.BasisState(np.array([1, 0, 1]), wires=[0, 1, 2])
        return qml.probs()

    assert np.allclose(basis(), np.eye(8)[0b101])


def test_batched_and_sparse_state_preparations():
    dev = qml.device("qsgd.sim", wires=2)
    batch = np.array([[1, 0, 0, 0], [0, 0.6, 0.8j, 0]], dtype=complex)

    @qml.qnode(dev)
    def circuit(state):
        qml.StatePrep(state, wires=[0, 1])
        return qml.probs(wires=[1])

    assert np.allclose(circuit(batch), [[1, 0], [0.64, 0.36]])
    assert np.allclose(circuit(sp.sparse.csr_matrix(batch[1])), [0.64, 0.36])
    with pytest.raises(ValueError, match="norm 1.08166"):
        circuit(np.array([[1, 0, 0, 0], [0, 0.6, 0.9, 0]]))


def test_mid_circuit_measurement_is_deferred():
    dev = qml.device("qsgd.sim", wires=3)

    @qml.qnode(dev)
    def circuit(x):
        qml.RY(x, 0)
        m = qml.measure(0)
        qml.cond(m, qml.PauliX)(1)
        return qml.expval(qml.Z(1))

    assert np.isclose(circuit(0.8), np.cos(0.8), atol=ATOL)


def test_broadcasting_is_expanded():
    dev = qml.device("qsgd.sim", wires=1)
    xs = np.array([0.1, 0.7, 2.0])

    @qml.qnode(dev)
    def circuit(x):
        qml.RX(x, 0)
        return qml.expval(qml.Z(0))

    assert np.allclose(circuit(xs), np.cos(xs), atol=ATOL)


# ---------------------------------------------------------------- numpy kernels


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 5), k=st.integers(1, 3))
def test_apply_matrix_matches_expanded_dense_matrix(seed, n, k):
    rng = np.random.default_rng(seed)
    k = min(k, n)
    axes = [int(a) for a in rng.permutation(n)[:k]]
    mat = rng.normal(size=(2**k, 2**k)) + 1j * rng.normal(size=(2**k, 2**k))
    state = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    full = qml.math.expand_matrix(mat, wires=axes, wire_order=list(range(n)))
    assert np.allclose(apply_matrix(state, mat, axes, n), full @ state, atol=1e-10)
    assert np.isclose(real_inner(state, full @ state), np.vdot(state, full @ state).real)


def test_marginal_probabilities_by_enumeration():
    rng = np.random.default_rng(0)
    wire_order = qml.wires.Wires(["a", "b", "c"])
    state = rng.normal(size=8) + 1j * rng.normal(size=8)
    state /= np.linalg.norm(state)
    expected = np.zeros(4)
    for index in range(8):
        bits = dict(zip("abc", format(index, "03b"), strict=True))
        expected[int(bits["c"] + bits["a"], 2)] += abs(state[index]) ** 2
    got = marginal_probabilities(state, wire_order, qml.wires.Wires(["c", "a"]))
    assert np.allclose(got, expected)


# ---------------------------------------------------------------- sampling


def bell_circuit():
    qml.Hadamard(0)
    qml.CNOT([0, 1])
    qml.RY(0.9, 2)
    return qml.sample(wires=[0, 1]), qml.expval(qml.Z(2)), qml.counts(wires=[2])


def test_samples_are_reproducible_with_a_seed_and_correlated():
    def run(seed):
        dev = qml.device("qsgd.sim", wires=3, seed=seed)
        return qml.set_shots(qml.QNode(bell_circuit, dev), 2000)()

    a, b, c = run(11), run(11), run(12)
    assert np.array_equal(a[0], b[0]) and a[1] == b[1]
    assert not np.array_equal(a[0], c[0])
    samples = a[0]
    assert samples.shape == (2000, 2)
    assert np.array_equal(samples[:, 0], samples[:, 1])  # a Bell pair
    assert sum(a[2].values()) == 2000


def test_shot_estimates_are_within_five_sigma_of_exact():
    dev = qml.device("qsgd.sim", wires=3, seed=2024)
    shots = 20000
    exact_z2 = np.cos(0.9)
    _, z2, counts = qml.set_shots(qml.QNode(bell_circuit, dev), shots)()
    sigma = np.sqrt((1 - exact_z2**2) / shots)
    assert abs(z2 - exact_z2) < 5 * sigma
    p1 = np.sin(0.45) ** 2
    assert abs(counts.get("1", 0) / shots - p1) < 5 * np.sqrt(p1 * (1 - p1) / shots)


def test_non_commuting_and_hermitian_measurements_with_shots():
    herm = np.array([[1.0, 2j], [-2j, 0.5]])

    def circuit():
        qml.RX(0.7, 0)
        qml.Hadamard(1)
        qml.CNOT([0, 1])
        return (
            qml.expval(qml.Hermitian(herm, wires=1)),
            qml.var(qml.Y(1) + 0.5 * qml.Z(0)),
            qml.expval(qml.X(0) + qml.Z(0) + qml.Y(1)),
            qml.expval(qml.Z(0) @ qml.X(1)),
            qml.expval(qml.Hermitian(herm, wires=0)),
            qml.var(qml.Y(0)),
        )

    shots = 40000
    got = qml.set_shots(qml.QNode(circuit, qml.device("qsgd.sim", wires=2, seed=5)), shots)()
    exact = qml.QNode(circuit, qml.device("default.qubit", wires=2))()
    # every estimate has a per-shot spread below 3 (|eigenvalues| <= 2.8)
    for g, e in zip(got, exact, strict=True):
        assert abs(g - e) < 5 * 3 / np.sqrt(shots)


def test_shot_vector_structure():
    dev = qml.device("qsgd.sim", wires=3, seed=1)
    res = qml.set_shots(qml.QNode(bell_circuit, dev), [5, (7, 2)])()
    assert len(res) == 3
    assert [r[0].shape for r in res] == [(5, 2), (7, 2), (7, 2)]


# ---------------------------------------------------------------- tracker and derivatives


def test_tracker_records_simulations_shots_and_resources():
    def track(name):
        dev = qml.device(name, wires=3, seed=0)
        qnode = qml.set_shots(qml.QNode(bell_circuit, dev), 100)
        with qml.Tracker(dev) as tracker:
            qnode()
            qnode()
        return tracker

    ours, ref = track("qsgd.sim"), track("default.qubit")
    assert ours.totals["simulations"] == 2
    assert ours.totals == ref.totals  # PennyLane's own accounting of executions and shots
    assert ours.history["resources"][0].num_allocs == 3
    assert ours.history["resources"][0].num_gates == 3


def derivative_circuit(params):
    qml.RX(params[0], 0)
    qml.Rot(params[1], params[2], params[3], 1)
    qml.CNOT([0, 1])
    qml.IsingXY(params[4], [1, 2])
    qml.CRY(params[0] * 0.5, [2, 0])
    return qml.expval(qml.Z(0) @ qml.X(1)), qml.expval(0.4 * qml.Y(2) - qml.Z(1))


@pytest.mark.parametrize("fidelity", ["native", "gates"])
def test_adjoint_jacobian_matches_parameter_shift(fidelity):
    params = qml.numpy.array([0.3, -0.8, 1.1, 0.25, 0.6], requires_grad=True)
    dev = qml.device("qsgd.sim", wires=3, fidelity=fidelity)
    adjoint = qml.QNode(derivative_circuit, dev, diff_method="adjoint")
    shift = qml.QNode(derivative_circuit, dev, diff_method="parameter-shift")
    ref = qml.QNode(
        derivative_circuit, qml.device("default.qubit", wires=3), diff_method="backprop"
    )
    jac = lambda q: np.array(qml.jacobian(lambda p: qml.math.stack(q(p)))(params))  # noqa: E731
    with qml.Tracker(dev) as tracker:
        j_adj = jac(adjoint)
    # one forward simulation and one device Jacobian batch, no shifted circuits
    assert tracker.totals["simulations"] == 1
    assert tracker.totals["execute_and_derivative_batches"] == 1
    assert np.allclose(j_adj, jac(ref), atol=1e-9)
    assert np.allclose(jac(shift), jac(ref), atol=1e-9)


def test_best_is_adjoint_for_expectations_and_parameter_shift_otherwise():
    dev = qml.device("qsgd.sim", wires=1)
    config = qml.devices.ExecutionConfig(gradient_method="best")
    expval_tape = qml.tape.QuantumScript([qml.RX(0.1, 0)], [qml.expval(qml.Z(0))])
    probs_tape = qml.tape.QuantumScript([qml.RX(0.1, 0)], [qml.probs(wires=0)])
    shots_tape = qml.tape.QuantumScript([qml.RX(0.1, 0)], [qml.expval(qml.Z(0))], shots=10)
    assert dev.supports_derivatives(config, expval_tape)
    assert not dev.supports_derivatives(config, probs_tape)
    assert not dev.supports_derivatives(config, shots_tape)
    assert not dev.supports_derivatives(qml.devices.ExecutionConfig(gradient_method="backprop"))

    @qml.qnode(dev)
    def probs(x):
        qml.RX(x, 0)
        return qml.probs(wires=0)

    x = qml.numpy.array(0.4, requires_grad=True)
    assert np.allclose(qml.jacobian(probs)(x), [-np.sin(x) / 2, np.sin(x) / 2])


def test_parameter_shift_with_torch():
    torch = pytest.importorskip("torch")
    dev = qml.device("qsgd.sim", wires=2)

    @qml.qnode(dev, interface="torch", diff_method="parameter-shift")
    def circuit(x):
        qml.RY(x, 0)
        qml.CNOT([0, 1])
        return qml.expval(qml.Z(1))

    x = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    circuit(x).backward()
    assert np.isclose(x.grad.item(), -np.sin(0.3))


# ---------------------------------------------------------------- native kernels


class ToyRotation(qml.operation.Operation):
    """Test template: RY on the first wire then CNOT; its kernel applies that matrix."""

    num_wires = 2
    num_params = 1
    grad_method = None

    def decomposition(self):
        return [qml.RY(self.data[0], self.wires[0]), qml.CNOT(self.wires)]


def toy_matrix(op, wire_order) -> np.ndarray:
    ops = [qml.RY(op.data[0], op.wires[0]), qml.CNOT(op.wires)]
    return qml.matrix(qml.prod(*reversed(ops)), wire_order=wire_order)


@pytest.fixture
def toy_kernels():
    calls = {"forward": 0, "adjoint": 0, "ideal": 0}

    def forward(state, op, wire_order):
        calls["forward"] += 1
        assert state.dtype == np.complex128 and state.shape == (2 ** len(wire_order),)
        return toy_matrix(op, wire_order) @ state

    def adjoint(state, op, wire_order):
        calls["adjoint"] += 1
        return toy_matrix(op, wire_order).conj().T @ state

    register_native_kernel(ToyRotation, forward, adjoint_kernel=adjoint)
    yield calls
    unregister_native_kernel(ToyRotation)


def toy_circuit(x):
    qml.Hadamard("b")
    ToyRotation(x, wires=["b", "a"])
    qml.RX(0.2, "c")
    qml.adjoint(ToyRotation(0.4, wires=["c", "b"]))
    return qml.state()


def test_native_kernel_is_used_at_native_and_ideal_but_not_at_gates(toy_kernels):
    expected = dense_state(
        [
            qml.Hadamard("b"),
            qml.RY(0.9, "b"),
            qml.CNOT(["b", "a"]),
            qml.RX(0.2, "c"),
            qml.CNOT(["c", "b"]),
            qml.RY(-0.4, "c"),
        ],
        ["a", "b", "c"],
    )
    for fidelity, calls in [("native", 1), ("ideal", 1), ("gates", 0)]:
        toy_kernels.update(forward=0, adjoint=0)
        dev = qml.device("qsgd.sim", wires=["a", "b", "c"], fidelity=fidelity)
        state = qml.QNode(toy_circuit, dev)(0.9)
        assert np.allclose(state, expected, atol=ATOL), fidelity
        assert toy_kernels["forward"] == calls and toy_kernels["adjoint"] == calls, fidelity


def test_native_ops_survive_preprocessing_only_at_kernel_fidelities(toy_kernels):
    tape = qml.tape.make_qscript(toy_circuit)(0.3)
    for fidelity, kept in [("native", True), ("ideal", True), ("gates", False)]:
        dev = QSGDSimulator(wires=["a", "b", "c"], fidelity=fidelity)
        (processed,), _ = dev.preprocess_transforms()((tape,))
        names = [op.name for op in processed.operations]
        assert ("ToyRotation" in names) == kept, (fidelity, names)


def test_ideal_kernel_takes_precedence_at_ideal_only(toy_kernels):
    def ideal(state, op, wire_order):
        toy_kernels["ideal"] += 1
        return toy_matrix(op, wire_order) @ state

    register_native_kernel(ToyRotation, ideal, fidelity="ideal")
    assert ToyRotation in registered_native_types("ideal")
    op = ToyRotation(0.1, wires=[0, 1])
    assert native_kernel_for(op, "ideal") is ideal
    assert native_kernel_for(op, "native") is not ideal
    assert native_kernel_for(op, "gates") is None
    unregister_native_kernel(ToyRotation, fidelity="ideal")
    assert native_kernel_for(op, "ideal") is not None  # falls back to the native kernel


def test_adjoint_differentiation_through_a_native_template(toy_kernels):
    def circuit(x):
        qml.RX(x, 0)
        ToyRotation(0.7, wires=[0, 1])
        qml.RY(2 * x, 1)
        return qml.expval(qml.Z(1) @ qml.X(0))

    x = qml.numpy.array(0.35, requires_grad=True)
    native = qml.QNode(circuit, qml.device("qsgd.sim", wires=2), diff_method="adjoint")
    gates = qml.QNode(circuit, qml.device("qsgd.sim", wires=2, fidelity="gates"))
    assert np.isclose(qml.grad(native)(x), qml.grad(gates)(x), atol=1e-9)
    assert toy_kernels["adjoint"] >= 1


def test_kernel_returning_a_wrong_shape_is_an_error():
    register_native_kernel(ToyRotation, lambda state, op, wire_order: state[:2])
    try:
        dev = qml.device("qsgd.sim", wires=2)
        with pytest.raises(DeviceError, match="ToyRotation returned"):
            qml.QNode(lambda: (ToyRotation(0.1, wires=[0, 1]), qml.state())[1], dev)()
    finally:
        unregister_native_kernel(ToyRotation)


def test_registry_rejects_bad_arguments():
    with pytest.raises(TypeError, match="op_type"):
        register_native_kernel(int, lambda s, o, w: s)
    with pytest.raises(TypeError, match="kernel must be callable"):
        register_native_kernel(ToyRotation, "not a kernel")
    with pytest.raises(ValueError, match="fidelity"):
        register_native_kernel(ToyRotation, lambda s, o, w: s, fidelity="gates")


# ---------------------------------------------------------------- errors


class Undecomposable(qml.operation.Operation):
    num_wires = 1


def test_unsupported_operation_names_the_operation_and_fidelity():
    dev = qml.device("qsgd.sim", wires=1, fidelity="gates")
    qnode = qml.QNode(lambda: (Undecomposable(wires=0), qml.state())[1], dev)
    with pytest.raises(DeviceError, match=r"Undecomposable.*fidelity='gates'"):
        qnode()


def test_wires_outside_the_device_are_refused():
    dev = qml.device("qsgd.sim", wires=2)
    with pytest.raises(WireError, match=r"\{5\}"):
        qml.QNode(lambda: (qml.RX(0.1, 5), qml.expval(qml.Z(0)))[1], dev)()


@pytest.mark.parametrize("position", ["first", "middle"])
def test_unnormalised_state_prep_is_refused_with_its_norm(position):
    dev = qml.device("qsgd.sim", wires=2)

    def circuit():
        if position == "middle":
            qml.Hadamard(0)
        qml.StatePrep(np.array([1.0, 1.0, 0.0, 0.0]), wires=[0, 1])
        return qml.state()

    with pytest.raises(ValueError, match=re.escape(f"norm {float(np.sqrt(2.0))!r}")):
        qml.QNode(circuit, dev)()


def test_register_too_large_is_refused_with_the_estimate(monkeypatch):
    monkeypatch.setenv("QSGD_MEMORY_LIMIT", "1M")
    dev = qml.device("qsgd.sim", wires=20)
    qnode = qml.QNode(lambda: (qml.RX(0.1, 0), qml.probs())[1], dev)
    with pytest.raises(MemoryBudgetError, match=r"20 wires.*32\.00 MiB.*fidelity=\"ideal\""):
        qnode()
    # wires that no operation or measurement touches are not simulated
    small = qml.QNode(lambda: (qml.RX(0.1, 0), qml.expval(qml.Z(0)))[1], dev)
    assert np.isclose(small(), np.cos(0.1))


def test_bad_device_arguments():
    with pytest.raises(ValueError, match="fidelity"):
        qml.device("qsgd.sim", wires=1, fidelity="exact")
    dev = qml.device("qsgd.sim", wires=1)
    with pytest.raises(DeviceError, match="mcm_method"):
        dev.setup_execution_config(
            qml.devices.ExecutionConfig(mcm_config=qml.devices.MCMConfig(mcm_method="one-shot"))
        )
    with pytest.raises(DeviceError, match="device options"):
        dev.setup_execution_config(qml.devices.ExecutionConfig(device_options={"x": 1}))

    @qml.qnode(dev, diff_method="adjoint")
    def sampled(x):
        qml.RX(x, 0)
        return qml.expval(qml.Z(0))

    with pytest.raises((DeviceError, QuantumFunctionError)):
        qml.grad(qml.set_shots(sampled, 10))(qml.numpy.array(0.1, requires_grad=True))


# ---------------------------------------------------------------- capabilities


def test_capabilities_toml_and_version_pin():
    toml_path = ROOT / "pennylane_qsgd" / "device" / "qsgd_sim.toml"
    caps = DeviceCapabilities.from_toml_file(str(toml_path))
    assert caps == QSGDSimulator.capabilities
    for gate in ["RX", "CNOT", "QubitUnitary", "MultiRZ", "PauliRot"]:
        assert caps.supports_operation(gate)
    assert caps.supports_operation("Adjoint(RY)") and caps.supports_operation("C(RX)")
    assert "StateMP" in caps.measurement_processes
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert f"pennylane{PENNYLANE_REQUIRES}" in pyproject["project"]["dependencies"]
    from packaging.specifiers import SpecifierSet

    assert qml.__version__ in SpecifierSet(PENNYLANE_REQUIRES)
