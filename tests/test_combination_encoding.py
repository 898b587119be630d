"""Linear combination of block encodings: the block of PREP_L^dag SELECT PREP_R is
sum_i c_i A_i / sum_i |c_i| alpha_i."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from _problems import check_block_encoding, dense_block_encodings
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.circuits.block_encoding import DenseBlockEncoding
from pennylane_qsgd.circuits.combination_encoding import LinearCombinationEncoding, index_width
from pennylane_qsgd.circuits.composite_encoding import encoded_matrix
from pennylane_qsgd.circuits.dense_encoding import DenseEulerEncoding
from pennylane_qsgd.circuits.product_encoding import ProductEncoding
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.device.native import native_kernel_for

SETTINGS = settings(max_examples=12, deadline=None)
X = np.array([[0.0, 1.0], [1.0, 0.0]])
Z = np.diag([1.0, -1.0])


def _assert_native_matches_gates(op, prepare) -> None:
    """qsgd.sim's native state equals default.qubit's after ``prepare()`` and ``op``."""

    def run(device, **kwargs):
        @qml.qnode(qml.device(device, wires=op.wires, **kwargs))
        def circuit():
            prepare()
            qml.apply(op)
            return qml.state()

        return circuit()

    np.testing.assert_allclose(run("qsgd.sim", fidelity="native"), run("default.qubit"), atol=1e-10)


def test_assert_valid():
    """PennyLane's own checks: decomposition, matrix, pickling, copy, flatten, data hash."""
    terms = [DenseBlockEncoding(X, 1.0, wires=["a", 0]), DenseBlockEncoding(Z, 2.0, wires=["a", 0])]
    op = LinearCombinationEncoding([0.5, -1.5], terms, index_wires=["i"])
    qml.ops.functions.assert_valid(op, skip_differentiation=True)


@SETTINGS
@given(
    data=st.data(),
    count=st.integers(1, 5),
    n_system=st.integers(1, 2),
    shared=st.booleans(),
    complex_=st.booleans(),
)
def test_block_is_combination_over_lambda(data, count, n_system, shared, complex_):
    system = [f"s{q}" for q in range(n_system)]
    ancillas = ["a"] * count if shared else [f"a{i}" for i in range(count)]
    terms = data.draw(dense_block_encodings(count, system, ancillas))
    rng = np.random.default_rng(count + 10 * n_system)
    coeffs = rng.standard_normal(count) + (1j * rng.standard_normal(count) if complex_ else 0)
    index = [f"i{q}" for q in range(index_width(count))]
    op = LinearCombinationEncoding(coeffs, terms, index_wires=index)
    expected = sum(c * np.asarray(t.data[0]) for c, t in zip(coeffs, terms, strict=True))
    lam = float(np.sum(np.abs(coeffs) * [t.alpha for t in terms]))
    check_block_encoding(op, expected, lam, seed=count)


def test_combination_of_products_runs_natively():
    """X Z - 0.5 Z X = 1.5 X Z (XZ = -ZX), with products as terms; qsgd.sim's native fidelity
    (parts' kernels) and default.qubit give the same state."""
    a, b = ("a", "b")
    xz = ProductEncoding([DenseBlockEncoding(X, 1.0, [a, 0]), DenseBlockEncoding(Z, 1.0, [b, 0])])
    zx = ProductEncoding([DenseBlockEncoding(Z, 1.0, [a, 0]), DenseBlockEncoding(X, 1.0, [b, 0])])
    op = LinearCombinationEncoding([1.0, -0.5], [xz, zx], index_wires=["i"])
    assert op.wires.tolist() == ["i", "a", "b", 0]
    assert op.alpha == pytest.approx(1.5)
    np.testing.assert_allclose(op.encoded_matrix(), 1.5 * X @ Z, atol=1e-14)
    np.testing.assert_allclose(1.5 * qml.matrix(op)[:2, :2], 1.5 * X @ Z, atol=1e-12)
    gates = op.resources().gates
    assert gates["C(ProductEncoding)(4)"] == 2 and op.resources().logical_qubits == 4

    _assert_native_matches_gates(op, lambda: qml.Hadamard(0))


def test_errors_name_the_argument():
    term = DenseBlockEncoding(X, 1.0, wires=["a", 0])
    with pytest.raises(ValueError, match="index_wires must hold 1"):
        LinearCombinationEncoding([1.0], [term], index_wires=[])
    with pytest.raises(ValueError, match="one coefficient per encoding"):
        LinearCombinationEncoding([1.0, 2.0], [term], index_wires=["i"])
    with pytest.raises(ValueError, match="not all zero"):
        LinearCombinationEncoding([0.0], [term], index_wires=["i"])
    with pytest.raises(ValueError, match="used by the encodings"):
        LinearCombinationEncoding([1.0], [term], index_wires=["a"])


@pytest.mark.parametrize("adjoint", [False, True])
def test_native_kernel_of_euler_parts_matches_the_gates(adjoint):
    """An LCU of L^2 and L (dense encodings of the Euler matrix as parts) with its registered
    kernel: qsgd.sim's native state equals default.qubit's on a random input, and its adjoint."""
    problem = PolynomialODE(F0=[0.05], F1=[[-1.0]], F2=[[-0.1]], u_in=[0.5])
    n = DenseEulerEncoding.num_wires_for(1, 2, 2, 1)
    system = [f"s{q}" for q in range(n - 1)]

    def dense(ancilla):
        return DenseEulerEncoding(problem, 0.5, 2, 2, 1, wires=[ancilla, *system])

    square = ProductEncoding([dense("a"), dense("b")])
    op = LinearCombinationEncoding([0.7, -0.4], [square, dense("a")], index_wires=["i"])
    assert native_kernel_for(op, "native") is not None
    assert native_kernel_for(qml.adjoint(op), "native") is not None
    rng = np.random.default_rng(3)
    psi = rng.standard_normal(2 ** len(op.wires)) + 1j * rng.standard_normal(2 ** len(op.wires))
    psi /= np.linalg.norm(psi)

    applied = qml.adjoint(op) if adjoint else op
    _assert_native_matches_gates(applied, lambda: qml.StatePrep(psi, wires=op.wires))


def test_parts_without_kernels_are_decomposed():
    """A part with no native kernel (H_a CNOT, whose block is I/sqrt 2): the combination has no
    kernel either, qsgd.sim decomposes it, and the block is the combination of the parts'."""

    class Plain(qml.operation.Operation):
        num_wires = 2
        alpha = 1.0

        @property
        def ancilla_wires(self):
            return qml.wires.Wires(self.wires[:1])

        @property
        def system_wires(self):
            return qml.wires.Wires(self.wires[1:])

        def decomposition(self):
            return [qml.CNOT(self.wires), qml.Hadamard(self.wires[0])]

    op = LinearCombinationEncoding([1.0, 0.5], [Plain(["a", 0]), Plain(["b", 0])], ["i"])
    assert native_kernel_for(op, "native") is None
    np.testing.assert_allclose(encoded_matrix(op), 1.5 / np.sqrt(2) * np.eye(2), atol=1e-12)

    _assert_native_matches_gates(op, lambda: qml.Hadamard(0))


def test_native_kernel_follows_the_coefficients():
    """Two combinations of the same parts with different complex coefficients, one after the
    other: the native state (index preparations reused per coefficients) equals default.qubit's."""
    rng = np.random.default_rng(11)
    terms = [DenseBlockEncoding(X, 1.0, wires=["a", 0]), DenseBlockEncoding(Z, 2.0, wires=["a", 0])]
    first = LinearCombinationEncoding([0.5, -1.5j], terms, index_wires=["i"])
    second = LinearCombinationEncoding([0.3 + 0.4j, 1.0], terms, index_wires=["i"])
    psi = rng.standard_normal(8) + 1j * rng.standard_normal(8)
    psi /= np.linalg.norm(psi)

    class Both(qml.operation.Operation):
        num_wires = 3

        def decomposition(self):
            return [first, second, qml.adjoint(first)]

    def prepare():
        qml.StatePrep(psi, wires=first.wires)

    _assert_native_matches_gates(Both(first.wires), prepare)
