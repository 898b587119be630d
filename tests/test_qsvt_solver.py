"""QSVT inversion of non-Hermitian matrices with the real-part ancilla, and its native kernel."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pennylane_qsgd.device.kernels_circuits  # noqa: F401  (registers the kernels)
from pennylane_qsgd.circuits.block_encoding import unitary_dilation
from pennylane_qsgd.circuits.encoded_matrix import EncodedMatrix
from pennylane_qsgd.circuits.hhl import hhl_model
from pennylane_qsgd.circuits.linear_maps import qsvt_response
from pennylane_qsgd.circuits.qsvt_solver import QSVTInverse, inverse_angles
from pennylane_qsgd.device.kernels_circuits import qsvt_sequence
from pennylane_qsgd.device.native import native_kernel_for

SETTINGS = settings(max_examples=10, deadline=None)
WIRES = ["r", "a", 0, 1]


def _euler_like(seed: int, n: int = 4) -> np.ndarray:
    """Unit lower-triangular, non-Hermitian, like the Euler matrix L."""
    rng = np.random.default_rng(seed)
    return np.eye(n) + np.tril(0.5 * rng.normal(size=(n, n)), -1)


def _inverse_setup(M: np.ndarray, eps: float = 1e-8):
    sigma = np.linalg.svd(M, compute_uv=False)
    alpha = 1.05 * sigma[0]
    kappa = 1.001 * alpha / sigma[-1]
    return alpha, kappa, inverse_angles(kappa, eps)


def test_assert_valid():
    """PennyLane's own checks: decomposition, matrix, pickling, copy, flatten, data hash."""
    op = QSVTInverse(
        np.array([[1.0, 0.2], [0.0, 0.8]]), 1.5, inverse_angles(4.0, 1e-2).angles, wires=[0, 1, 2]
    )
    qml.ops.functions.assert_valid(op, skip_differentiation=True)


@SETTINGS
@given(seed=st.integers(0, 10_000), degree=st.sampled_from([1, 3, 6, 9]))
def test_response_matches_pennylane_qsvt(seed, degree):
    """Top block and garbage of qml.QSVT with any phases equal the 2x2 Jordan-block response."""
    rng = np.random.default_rng(seed)
    angles = rng.uniform(-np.pi, np.pi, degree + 1)
    M = rng.normal(size=(2, 2))
    alpha = 1.2 * np.linalg.norm(M, 2)
    U = unitary_dilation(M, alpha)
    proj = [qml.PCPhase(a, dim=2, wires=[0, 1]) for a in angles]
    mat = qml.matrix(qml.QSVT(qml.QubitUnitary(U, wires=[0, 1]), proj), wire_order=[0, 1])
    A = M / alpha
    W, sigma, Vh = np.linalg.svd(A)
    resp = qsvt_response(angles)
    P = np.polynomial.chebyshev.chebval(sigma, resp.top)
    left = W if degree % 2 else Vh.conj().T
    np.testing.assert_allclose(mat[:2, :2], left @ np.diag(P) @ Vh, atol=1e-11)
    if degree % 2:
        # garbage (I - Pi) U |0> Q(A^dagger A): the dilation's lower block sqrt(I - A^T A).
        Q = np.polynomial.chebyshev.chebval(sigma, resp.bottom)
        garbage = U[2:, :2] @ Vh.conj().T @ np.diag(Q) @ Vh
        np.testing.assert_allclose(mat[2:, :2], garbage, atol=1e-11)


def test_inverse_block_matches_numpy_inverse():
    M = _euler_like(1)
    alpha, kappa, ang = _inverse_setup(M)
    op = QSVTInverse(M, alpha, ang.angles, wires=WIRES)
    block = qml.matrix(op, wire_order=WIRES)[:4, :4]
    # On the r = 0, a = 0 block: Re P(M^dagger / alpha) ~ (scale alpha / kappa) M^{-1}.
    factor = ang.scale * alpha / kappa
    error = ang.polynomial.target_error  # |P - target| on [1/kappa, 1]
    np.testing.assert_allclose(block, factor * np.linalg.inv(M), atol=4 * error)
    assert np.abs(block.imag).max() < 1e-12


def test_real_part_is_average_of_conjugate_sequences():
    """The LCU of U(phi) and U(-phi), built independently with qml.QSVT."""
    M = _euler_like(2)
    alpha, _, ang = _inverse_setup(M, 1e-4)
    U = unitary_dilation(M.T, alpha)  # block encoding of M^dagger
    blocks = []
    for sign in (1, -1):
        proj = [qml.PCPhase(sign * a, dim=4, wires=[0, 1, 2]) for a in ang.angles]
        qsvt = qml.QSVT(qml.QubitUnitary(U, wires=[0, 1, 2]), proj)
        blocks.append(qml.matrix(qsvt, wire_order=[0, 1, 2])[:4, :4])
    op = QSVTInverse(M, alpha, ang.angles, wires=WIRES)
    np.testing.assert_allclose(
        qml.matrix(op, wire_order=WIRES)[:4, :4], (blocks[0] + blocks[1]) / 2, atol=1e-12
    )


@pytest.mark.parametrize("device", ["default.qubit", "lightning.qubit"])
def test_output_state_solves_the_linear_system(device):
    M = _euler_like(3)
    b = np.array([1.0, 0.3, -0.2, 0.5])
    alpha, kappa, ang = _inverse_setup(M, 1e-9)
    dev = qml.device(device, wires=WIRES)

    @qml.qnode(dev)
    def circuit():
        qml.StatePrep(b / np.linalg.norm(b), wires=[0, 1])
        QSVTInverse(M, alpha, ang.angles, wires=WIRES)
        return qml.state()

    state = circuit()
    success = state[:4]  # r = 0, a = 0
    x = np.linalg.solve(M, b)
    np.testing.assert_allclose(success / np.linalg.norm(success), x / np.linalg.norm(x), atol=1e-7)
    expected_prob = (ang.scale * alpha / kappa * np.linalg.norm(x) / np.linalg.norm(b)) ** 2
    assert np.sum(np.abs(success) ** 2) == pytest.approx(expected_prob, rel=1e-6)


def test_target_phase_selects_imaginary_part():
    M = _euler_like(4)
    alpha, _, ang = _inverse_setup(M, 1e-4)
    base = qml.matrix(QSVTInverse(M, alpha, ang.angles, wires=WIRES), wire_order=WIRES)
    rotated = qml.matrix(
        QSVTInverse(M, alpha, ang.angles, wires=WIRES, target_phase=np.pi / 2), wire_order=WIRES
    )
    # Re(e^{i pi/2} P) = -Im P, which the r = 1 branch of the unrotated circuit holds as i Im P.
    np.testing.assert_allclose(rotated[:4, :4], -(base[8:12, :4] / 1j), atol=1e-12)


@SETTINGS
@given(seed=st.integers(0, 10_000), ancilla_zero=st.booleans())
def test_native_kernel_matches_gates(seed, ancilla_zero):
    rng = np.random.default_rng(seed)
    M = _euler_like(seed)
    alpha, _, ang = _inverse_setup(M, 1e-5)
    op = QSVTInverse(M, alpha, ang.angles, wires=WIRES, target_phase=0.3)
    wire_order = qml.wires.Wires([1, "r", "x", 0, "a"])
    state = rng.normal(size=32) + 1j * rng.normal(size=32)
    if ancilla_zero:  # the fast Clenshaw path needs the encoding ancilla in |0>
        state.reshape((2,) * 5)[:, :, :, :, 1] = 0.0
    state /= np.linalg.norm(state)
    expected = qml.matrix(op, wire_order=wire_order) @ state
    got = native_kernel_for(op, "native")(state.copy(), op, wire_order)
    np.testing.assert_allclose(got, expected, atol=1e-10)


def test_literal_sequence_equals_clenshaw_path():
    M = _euler_like(7)
    alpha, _, ang = _inverse_setup(M, 1e-5)
    enc = EncodedMatrix(M, alpha)
    rng = np.random.default_rng(0)
    blocks = np.zeros((2, 2, 4, 1), dtype=complex)
    blocks[0, 0, :, 0] = rng.normal(size=4)
    literal = qsvt_sequence(enc, ang.angles, 0.0, blocks)
    expected = qml.matrix(QSVTInverse(M, alpha, ang.angles, wires=WIRES), wire_order=WIRES)
    np.testing.assert_allclose(literal.reshape(-1), expected @ blocks.reshape(-1), atol=1e-10)


def test_polynomial_error_shrinks_with_precision():
    M = _euler_like(5)
    sigma = np.linalg.svd(M, compute_uv=False)
    alpha = 1.05 * sigma[0]
    kappa = 1.001 * alpha / sigma[-1]
    errors = []
    for eps in (1e-2, 1e-4, 1e-8):
        ang = inverse_angles(kappa, eps)
        block = qml.matrix(QSVTInverse(M, alpha, ang.angles, wires=WIRES), wire_order=WIRES)[:4, :4]
        exact = ang.scale * alpha / kappa * np.linalg.inv(M)
        errors.append(np.abs(block - exact).max())
        assert errors[-1] <= 4 * ang.polynomial.target_error
    assert errors[0] > errors[1] > errors[2]


def test_resources_count_block_encoding_calls():
    M = _euler_like(6)
    alpha, _, ang = _inverse_setup(M, 1e-6)
    op = QSVTInverse(M, alpha, ang.angles, wires=WIRES)
    res = op.resources()
    assert res.block_encoding_calls == ang.degree == len(ang.angles) - 1
    decomposition = op.decomposition()
    calls = sum(o.name == "DenseBlockEncoding" for o in decomposition)
    assert calls == res.block_encoding_calls
    assert sum(o.name == "MultiRZ" for o in decomposition) == res.gates["MultiRZ(2)"]
    assert res.total_gates()["QubitUnitary(3)"] == ang.degree


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"angles": [0.1, 0.2, 0.3]}, ValueError, "even number"),
        ({"alpha": 0.5}, ValueError, "below"),
        ({"wires": ["r", 0, 1]}, ValueError, "does not fit"),
        ({"wires": ["r", "a"]}, ValueError, "real-part"),
    ],
)
def test_bad_input_is_refused(kwargs, error, match):
    M = np.eye(4)
    args = {"matrix": M, "alpha": 1.0, "angles": [0.1, 0.2], "wires": WIRES} | kwargs
    with pytest.raises(error, match=match):
        QSVTInverse(**args)


def test_inverse_angles_validation_and_cache():
    with pytest.raises(ValueError, match="kappa"):
        inverse_angles(1.0, 1e-3)
    with pytest.raises(ValueError, match="eps"):
        inverse_angles(3.0, 0.0)
    assert inverse_angles(3.0, 1e-3) is inverse_angles(3.0, 1e-3)


def test_hhl_model_costs_more_than_qsvt():
    kappa, eps = 20.0, 0.05
    model = hhl_model(kappa, eps, register_qubits=6)
    qsvt = inverse_angles(kappa, eps)
    assert model.clock_qubits == int(np.ceil(np.log2(2 * kappa / eps)))
    assert model.total_queries > 100 * qsvt.degree
    assert model.resources().block_encoding_calls == model.total_queries
    with pytest.raises(ValueError, match="kappa"):
        hhl_model(0.5, eps, 6)
