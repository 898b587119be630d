"""Product of block encodings: the block of U_1 U_2 ... is A_1 A_2 .../(alpha_1 alpha_2 ...)."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from _problems import check_block_encoding, dense_block_encodings
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.circuits.block_encoding import DenseBlockEncoding
from pennylane_qsgd.circuits.composite_encoding import encoded_matrix
from pennylane_qsgd.circuits.dense_encoding import DenseEulerEncoding, dense_embedding, pad_system
from pennylane_qsgd.circuits.product_encoding import ProductEncoding
from pennylane_qsgd.core.euler import euler_system
from pennylane_qsgd.core.problem import PolynomialODE

SETTINGS = settings(max_examples=12, deadline=None)


def test_assert_valid():
    """PennyLane's own checks: decomposition, matrix, pickling, copy, flatten, data hash."""
    A = DenseBlockEncoding(np.array([[1.0, 2.0], [0.0, 1.0]]), 3.0, wires=["a", 0])
    B = DenseBlockEncoding(np.array([[0.5, 0.0], [1.0, 0.2]]), 1.5, wires=["b", 0])
    qml.ops.functions.assert_valid(ProductEncoding([A, B]), skip_differentiation=True)


@SETTINGS
@given(data=st.data(), count=st.integers(1, 3), n_system=st.integers(1, 2))
def test_block_is_product_over_alphas(data, count, n_system):
    system = [f"s{q}" for q in range(n_system)]
    parts = data.draw(dense_block_encodings(count, system, [f"a{i}" for i in range(count)]))
    op = ProductEncoding(parts)
    dense = [np.asarray(p.data[0]) for p in parts]
    expected = np.linalg.multi_dot(dense + [np.eye(2**n_system)])
    alpha = np.prod([p.alpha for p in parts])
    check_block_encoding(op, expected, alpha, seed=count)


def test_nested_products_and_resources_from_decomposition():
    A = DenseBlockEncoding(np.diag([1.0, 0.5]), 1.0, wires=["a", 0])
    B = DenseBlockEncoding(np.array([[0.0, 1.0], [1.0, 0.0]]), 2.0, wires=["b", 0])
    C = DenseBlockEncoding(np.array([[1.0, 1.0], [0.0, 1.0]]), 2.0, wires=["c", 0])
    op = ProductEncoding([ProductEncoding([A, B]), C])
    assert op.wires.tolist() == ["a", "b", "c", 0]
    assert op.alpha == pytest.approx(4.0)
    expected = np.diag([1.0, 0.5]) @ np.array([[0.0, 1.0], [1.0, 0.0]]) @ np.array([[1, 1], [0, 1]])
    np.testing.assert_allclose(4.0 * qml.matrix(op)[:2, :2], expected, atol=1e-12)
    assert op.resources().gates == {"ProductEncoding(3)": 1, "DenseBlockEncoding(2)": 1}
    assert op.resources().logical_qubits == 4


def test_euler_encodings_compose():
    """Two dense encodings of L on their own ancillas: the block is (L/alpha)^2 in the padding."""
    problem = PolynomialODE(F0=[0.05], F1=[[-1.0]], F2=[[-0.1]], u_in=[0.5])
    n = DenseEulerEncoding.num_wires_for(1, 2, 2, 1)
    system = list(range(1, n))
    first = DenseEulerEncoding(problem, 0.5, 2, 2, 1, wires=["a1", *system])
    second = DenseEulerEncoding(problem, 0.5, 2, 2, 1, wires=["a2", *system])
    op = ProductEncoding([first, second])
    L = euler_system(problem, 2, 0.5, 2, 1)[0]
    padded = pad_system(L, dense_embedding(1, 2, 2, 1), 2 ** len(system)).toarray()
    dim = padded.shape[0]
    U = qml.matrix(op, wire_order=op.wires)
    np.testing.assert_allclose(U[:dim, :dim], padded @ padded / first.alpha**2, atol=1e-12)
    np.testing.assert_allclose(encoded_matrix(op), padded @ padded, atol=1e-10)


def test_errors_name_the_problem():
    A = DenseBlockEncoding(np.eye(2), 1.0, wires=["a", 0])
    with pytest.raises(ValueError, match="own ancillas"):
        ProductEncoding([A, DenseBlockEncoding(np.eye(2), 1.0, wires=["a", 0])])
    with pytest.raises(ValueError, match="system register"):
        ProductEncoding([A, DenseBlockEncoding(np.eye(2), 1.0, wires=["b", 1])])
    with pytest.raises(TypeError, match="block-encoding operation"):
        ProductEncoding([A, qml.PauliX(0)])
    with pytest.raises(ValueError, match="at least one"):
        ProductEncoding([])
