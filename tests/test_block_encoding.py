"""Dense block encoding, its native kernel, the sparse matrix-function helpers, the LCU model."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
import scipy.linalg as sla
from hypothesis import example, given, settings
from hypothesis import strategies as st

import pennylane_qsgd.device.kernels_circuits as kernels
from pennylane_qsgd.circuits.block_encoding import (
    DenseBlockEncoding,
    pad_with_identity,
    unitary_dilation,
)
from pennylane_qsgd.circuits.data_hash import DigestCache
from pennylane_qsgd.circuits.encoded_matrix import EncodedMatrix, complement_sqrt
from pennylane_qsgd.circuits.linear_maps import singular_value_transform
from pennylane_qsgd.circuits.matrix_functions import sparse_operator
from pennylane_qsgd.device.native import native_kernel_for

SETTINGS = settings(max_examples=15, deadline=None)


def _random_matrix(seed: int, n: int, complex_: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(n, n))
    if complex_:
        M = M + 1j * rng.normal(size=(n, n))
    return M


def test_assert_valid():
    """PennyLane's own checks: decomposition, matrix, pickling, copy, flatten, data hash."""
    op = DenseBlockEncoding(np.array([[1.0, 0.2], [0.0, 0.8]]), 1.5, wires=[0, 1])
    qml.ops.functions.assert_valid(op, skip_differentiation=True)


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    wires=st.integers(1, 3),
    slack=st.floats(1.0, 3.0),
    complex_=st.booleans(),
)
def test_top_left_block_is_matrix_over_alpha(seed, wires, slack, complex_):
    M = _random_matrix(seed, 2**wires, complex_)
    alpha = slack * np.linalg.norm(M, 2)
    op = DenseBlockEncoding(M, alpha, wires=range(wires + 1))
    U = qml.matrix(op, wire_order=range(wires + 1))
    n = 2**wires
    np.testing.assert_allclose(U[:n, :n], M / alpha, atol=1e-12)
    np.testing.assert_allclose(U @ U.conj().T, np.eye(2 * n), atol=1e-11)
    assert op.alpha == pytest.approx(alpha)


def test_dilation_blocks_match_matrix_square_roots():
    M = _random_matrix(3, 4)
    alpha = 1.3 * np.linalg.norm(M, 2)
    A = M / alpha
    U = unitary_dilation(M, alpha)
    np.testing.assert_allclose(U[:4, 4:], sla.sqrtm(np.eye(4) - A @ A.T).real, atol=1e-10)
    np.testing.assert_allclose(U[4:, :4], sla.sqrtm(np.eye(4) - A.T @ A).real, atol=1e-10)
    np.testing.assert_allclose(U[4:, 4:], -A.T, atol=1e-14)


def test_adjoint_is_dilation_of_adjoint_matrix():
    M = _random_matrix(4, 4, complex_=True)
    op = DenseBlockEncoding(M, 2 * np.linalg.norm(M, 2), wires=[0, 1, 2])
    adj = op.adjoint()
    assert isinstance(adj, DenseBlockEncoding)
    np.testing.assert_allclose(qml.matrix(adj), qml.matrix(op).conj().T, atol=1e-12)


def test_decomposition_runs_on_lightning():
    M = _random_matrix(5, 4)
    alpha = 1.1 * np.linalg.norm(M, 2)
    dev = qml.device("lightning.qubit", wires=3)

    @qml.qnode(dev)
    def circuit():
        qml.Hadamard(1)
        DenseBlockEncoding(M, alpha, wires=[0, 1, 2])
        return qml.state()

    psi = np.zeros(8)
    psi[[0, 2]] = 1 / np.sqrt(2)  # H on wire 1, ancilla 0
    np.testing.assert_allclose(circuit(), unitary_dilation(M, alpha) @ psi, atol=1e-12)
    (gate,) = DenseBlockEncoding(M, alpha, wires=[0, 1, 2]).decomposition()
    assert gate.name == "QubitUnitary"


def test_subnormalisation_is_checked_never_rescaled():
    M = np.diag([2.0, 0.5])
    with pytest.raises(ValueError, match="below"):
        DenseBlockEncoding(M, 1.5, wires=[0, 1])
    op = DenseBlockEncoding(M, 2.0, wires=[0, 1])  # alpha = ||M|| is allowed
    np.testing.assert_allclose(qml.matrix(op)[:2, :2], M / 2.0, atol=1e-14)
    # qml.BlockEncode rescales silently; ours keeps alpha as given.
    np.testing.assert_allclose(op.data[1], 2.0)


def test_complex_norm_is_checked():
    M = np.array([[0.5, 2j], [0.0, 0.5]])  # ||M|| > 2, ||Re M|| = 0.5
    with pytest.raises(ValueError, match="below"):
        DenseBlockEncoding(M, 1.5, wires=[0, 1])


@pytest.mark.parametrize(
    ("matrix", "alpha", "wires", "match"),
    [
        (np.ones((2, 3)), 5.0, [0, 1], "square"),
        (np.ones((4, 4)), 5.0, [0, 1], "does not fit"),
        (np.array([[np.nan, 0], [0, 1]]), 5.0, [0, 1], "NaN"),
        (np.eye(2), -1.0, [0, 1], "positive"),
        (np.eye(2), 2.0, [0], "ancilla"),
    ],
)
def test_bad_input_is_refused(matrix, alpha, wires, match):
    with pytest.raises(ValueError, match=match):
        DenseBlockEncoding(matrix, alpha, wires=wires)


def test_pad_with_identity_keeps_inverse():
    M = np.array([[1.0, 0.0, 0.0], [0.5, 1.0, 0.0], [0.0, -0.3, 1.0]])
    P = pad_with_identity(M, 4).toarray()
    np.testing.assert_allclose(P[:3, :3], M)
    np.testing.assert_allclose(np.linalg.inv(P)[:3, :3], np.linalg.inv(M), atol=1e-14)
    assert P[3, 3] == 1.0 and not P[3, :3].any() and not P[:3, 3].any()
    with pytest.raises(ValueError, match="at least"):
        pad_with_identity(M, 2)


def test_hash_sees_every_entry_of_large_matrices():
    """NumPy summarises arrays of > 1000 entries in str(); the hash must not."""
    M = np.eye(64)
    M2 = M.copy()
    M2[31, 17] = 1e-3
    a = DenseBlockEncoding(M, 2.0, wires=range(7))
    b = DenseBlockEncoding(M2, 2.0, wires=range(7))
    assert str(a.data) == str(b.data)  # the collision the default hash would have
    assert a.hash != b.hash
    assert a.hash == DenseBlockEncoding(M.copy(), 2.0, wires=range(7)).hash


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    slack=st.floats(1.0, 2.0),
    adjoint=st.booleans(),
    complex_=st.booleans(),
)
# alpha = ||M||: the square roots meet sqrt(rounding); kernel and gates must share one SVD.
@example(seed=937, slack=1.0, adjoint=False, complex_=False)
@example(seed=937, slack=1.0, adjoint=True, complex_=True)
def test_native_kernel_matches_matrix(seed, slack, adjoint, complex_):
    rng = np.random.default_rng(seed)
    M = _random_matrix(seed, 4, complex_)
    alpha = slack * np.linalg.norm(M, 2)
    op = DenseBlockEncoding(M, alpha, wires=["a", 1, 2])
    wire_order = qml.wires.Wires([2, "x", "a", 1])
    state = rng.normal(size=16) + 1j * rng.normal(size=16)
    target = qml.adjoint(op) if adjoint else op
    expected = qml.matrix(target, wire_order=wire_order) @ state
    kernel = native_kernel_for(target, "native")
    np.testing.assert_allclose(kernel(state.copy(), target, wire_order), expected, atol=1e-10)


@SETTINGS
@given(seed=st.integers(0, 10_000), n=st.sampled_from([3, 5, 8]), rho=st.floats(0.1, 0.995))
def test_complement_sqrt_matches_dense_square_root(seed, n, rho):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n))
    X *= rho / np.linalg.norm(X, 2)
    apply, apply_adjoint = sparse_operator(X)
    v = rng.normal(size=(n, 2))
    expected = sla.sqrtm(np.eye(n) - X.T @ X).real @ v
    got = complement_sqrt(apply, apply_adjoint, v, np.linalg.norm(X, 2) * (1 + 1e-12))
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_complement_sqrt_falls_back_when_norm_is_one():
    X = np.diag([1.0, 0.5, 0.25, 0.1])  # ||X|| = 1 exactly: sqrt has a branch point on the spectrum
    enc = EncodedMatrix(X, 1.0)
    v = np.arange(1.0, 5.0)
    np.testing.assert_allclose(enc.sqrt_right(v), np.sqrt(1 - np.diag(X) ** 2) * v, atol=1e-13)
    with pytest.raises(ValueError, match="norm_bound"):
        complement_sqrt(enc.apply, enc.apply_adjoint, v, 1.0)


@SETTINGS
@given(seed=st.integers(0, 10_000), parity=st.integers(0, 1), degree=st.integers(1, 40))
def test_singular_value_transform_matches_svd(seed, parity, degree):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(5, 5)) + 1j * rng.normal(size=(5, 5))
    X /= 1.1 * np.linalg.norm(X, 2)
    coeffs = rng.normal(size=degree + 1)
    coeffs[1 - parity :: 2] = 0.0
    W, sigma, Vh = np.linalg.svd(X)
    f = np.polynomial.chebyshev.chebval(sigma, coeffs)
    expected = (W if parity else Vh.conj().T) @ np.diag(f) @ Vh
    apply, apply_adjoint = sparse_operator(X)
    v = rng.normal(size=5) + 1j * rng.normal(size=5)
    got = singular_value_transform(coeffs, apply, apply_adjoint, v)
    np.testing.assert_allclose(got, expected @ v, atol=1e-11)


def test_resources_without_decomposing():
    res = DenseBlockEncoding(np.eye(8), 1.0, wires=range(4)).resources()
    assert res.logical_qubits == 4
    assert res.gates == {"QubitUnitary(4)": 1}


def test_kernels_are_registered():
    assert kernels.register_circuit_kernels is not None
    op = DenseBlockEncoding(np.eye(2), 1.0, wires=[0, 1])
    assert native_kernel_for(op, "native") is not None
    assert native_kernel_for(op, "ideal") is not None


def test_digest_cache_computes_once_and_drops_least_recently_used():
    """Against a hand count: a hit never calls ``make``; beyond ``size`` the oldest goes."""
    cache, calls = DigestCache(size=2), []

    def make(key):
        return lambda: calls.append(key) or key.upper()

    assert cache.get("a", make("a")) == "A" and cache.get("b", make("b")) == "B"
    assert cache.get("a", make("a")) == "A"  # hit: "a" becomes the most recent
    assert cache.get("c", make("c")) == "C"  # evicts "b", the least recently used
    assert cache.get("a", make("a")) == "A" and cache.get("b", make("b")) == "B"
    assert calls == ["a", "b", "c", "b"]
    assert list(cache.items) == ["a", "b"]


def test_unitary_dilation_is_reused_for_the_same_data():
    rng = np.random.default_rng(7)
    M = rng.normal(size=(4, 4))
    alpha = 1.1 * np.linalg.norm(M, 2)
    first = unitary_dilation(M, alpha)
    assert unitary_dilation(M.copy(), alpha) is first
    np.testing.assert_allclose(first.T @ first, np.eye(8), atol=1e-12)


def test_dense_fallback_square_roots_match_eigh_and_are_kept():
    """||X|| = 1 exactly: both square roots by the dense fallback equal sqrt(I - X^H X) and
    sqrt(I - X X^H) from numpy's eigh on complex blocks of vectors, and each side's root is formed
    once for the repeated QSVT calls."""
    rng = np.random.default_rng(11)
    M = rng.normal(size=(6, 6)) + 1j * rng.normal(size=(6, 6))
    enc = EncodedMatrix(M, np.linalg.norm(M, 2))
    X = M / np.linalg.norm(M, 2)

    def root(G):  # sqrt(I - G) of a Hermitian G by eigh, clipped at the rounding of 1 - lambda
        lam, Q = np.linalg.eigh(G)
        return (Q * np.sqrt(np.clip(1.0 - lam, 0.0, None))) @ Q.conj().T

    right, left = root(X.conj().T @ X), root(X @ X.conj().T)
    v = rng.normal(size=(6, 3)) + 1j * rng.normal(size=(6, 3))
    # sqrt(1 - s^2) at s = 1 turns rounding eps into sqrt(eps)
    np.testing.assert_allclose(enc.sqrt_right(v), right @ v, atol=1e-7)
    np.testing.assert_allclose(enc.sqrt_left(v[:, 0]), left @ v[:, 0], atol=1e-7)
    kept = dict(enc._dense_roots)
    assert set(kept) == {False, True}
    enc.sqrt_right(v)
    assert enc._dense_roots[False] is kept[False]
