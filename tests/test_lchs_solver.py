"""LCHSSolver (LCHS with forcing): PennyLane's checks, gates against native, the block against
scipy's integrator."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

import pennylane_qsgd.device.kernels_lchs  # noqa: F401  (registers the kernels)
from pennylane_qsgd.circuits.lchs_solver import LCHSSolver

EPS, ORDER = 5e-2, 2  # a coarse grid and two Gauss points keep the registers small


def _data(seed: int, dim: int = 2):
    rng = np.random.default_rng(seed)
    Y = rng.normal(size=(dim, dim))
    X = rng.normal(size=(dim, dim))
    A = -0.4 * Y @ Y.T / dim + 0.3 * (X - X.T)
    return A, rng.normal(size=dim), 0.5 * rng.normal(size=dim)


def _op(A, u0, b, t):
    nr, nk = LCHSSolver.register_sizes(A, u0, b, t, eps=EPS, order=ORDER)
    n = int(np.log2(A.shape[0]))
    return LCHSSolver(A, u0, b, t, wires=range(nr + nk + 3 + n), eps=EPS, order=ORDER)


def _state(op, fidelity):
    dev = qml.device("qsgd.sim", wires=op.wires, fidelity=fidelity)

    @qml.qnode(dev)
    def circuit():
        qml.apply(op)
        return qml.state()

    return np.asarray(circuit())


def test_pennylane_validity_label_and_resources():
    op = _op(*_data(0), 0.3)
    qml.ops.functions.assert_valid(op, skip_differentiation=True)
    assert op.label() == "LCHS u(T)"
    angles = op.layout.base.angles
    assert op.resources().block_encoding_calls == angles.cos.degree + angles.sin.degree


def test_gates_agree_with_the_native_kernel():
    op = _op(*_data(1), 0.3)
    np.testing.assert_allclose(_state(op, "native"), _state(op, "gates"), atol=1e-12)


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 10_000), t=st.floats(0.1, 0.8))
def test_success_block_is_the_forced_solution_within_the_stated_error(seed, t):
    """The |0> block over branch, node and lra is s/(2||w||_1 C) u(T) (solve_ivp reference)."""
    A, u0, b = _data(seed)
    op = _op(A, u0, b, t)
    exact = solve_ivp(
        lambda _, u: A @ u + b, (0.0, t), u0, method="DOP853", rtol=1e-12, atol=1e-14
    ).y[:, -1]
    block = _state(op, "native")[: A.shape[0]] / op.block_scale
    assert np.linalg.norm(block - exact) <= op.error_bound


def test_without_forcing_it_is_the_homogeneous_lchs():
    A, u0, _ = _data(2)
    op = _op(A, u0, np.zeros(2), 0.4)
    assert op.layout.rule is None and op.layout.branch_qubits == 1
    exact = solve_ivp(lambda _, u: A @ u, (0.0, 0.4), u0, rtol=1e-12, atol=1e-14).y[:, -1]
    block = _state(op, "native")[:2] / op.block_scale
    assert np.linalg.norm(block - exact) <= op.error_bound


def test_bad_inputs_are_named():
    A, u0, b = _data(3)
    with pytest.raises(ValueError, match="u0 must be"):
        LCHSSolver(A, u0[:1], b, 0.3, wires=range(12))
    with pytest.raises(ValueError, match="time"):
        LCHSSolver(A, u0, b, -1.0, wires=range(12))
    with pytest.raises(ValueError, match="wires must hold"):
        LCHSSolver(A, u0, b, 0.3, wires=range(3), eps=EPS, order=ORDER)
    with pytest.raises(ValueError, match="non-positive log-norm"):
        LCHSSolver(-A, u0, b, 0.3, wires=range(12), eps=EPS, order=ORDER)
