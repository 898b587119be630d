"""Structured LCU block encoding of the Euler–Carleman matrix L: block, gates, kernel, cost."""

from __future__ import annotations

import warnings

import numpy as np
import pennylane as qml
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pennylane.devices.qubit import apply_operation
from pennylane.wires import Wires

import pennylane_qsgd.device  # noqa: F401  (registers the native kernels)
from pennylane_qsgd.circuits.qsvt_solver import inverse_angles
from pennylane_qsgd.circuits.resources import bits
from pennylane_qsgd.circuits.structured_block_encoding import StructuredEulerEncoding
from pennylane_qsgd.circuits.structured_plan import (
    dyadic_blocks,
    structured_embedding,
    structured_layout,
)
from pennylane_qsgd.core.carleman import lift
from pennylane_qsgd.core.euler import euler_system
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.device.kernels_encodings import apply_encoding
from pennylane_qsgd.device.native import native_kernel_for

SETTINGS = settings(max_examples=12, deadline=None)


def _problem(seed: int, s: int, zero: str = "") -> PolynomialODE:
    rng = np.random.default_rng(seed)
    F0 = np.zeros(s) if "F0" in zero else rng.normal(size=s)
    F1 = np.zeros((s, s)) if "F1" in zero else rng.normal(size=(s, s))
    F2 = np.zeros((s, s * s)) if "F2" in zero else rng.normal(size=(s, s * s)) / s
    return PolynomialODE(F0=F0, F1=F1, F2=F2, u_in=rng.normal(size=s))


def _op(problem, T, N, m, p) -> StructuredEulerEncoding:
    lay = structured_layout(problem.size, N, m, p)
    return StructuredEulerEncoding(problem, T, N, m, p, wires=range(lay.num_wires))


def _dense_L(problem, N, T, m, p) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # step-size warnings: irrelevant for an exact identity
        L, _ = euler_system(problem, N, T, m, p)
    return L.toarray()


def _kernel_columns(op, inputs: np.ndarray, adjoint: bool = False) -> np.ndarray:
    """Columns ``U[:, e]`` (``U^dagger`` with ``adjoint``) for basis indices ``inputs``, batched.

    The batch rides on extra wires after the operation's wires (the kernel's ``rest`` axis).
    """
    n = len(op.wires)
    r = max(int(np.ceil(np.log2(len(inputs)))), 1)
    state = np.zeros((2**n, 2**r), dtype=np.complex128)
    state[inputs, np.arange(len(inputs))] = 1.0
    wire_order = Wires(list(op.wires) + [f"batch{q}" for q in range(r)])
    out = apply_encoding(state.reshape(-1), op, wire_order, adjoint=adjoint)
    return out.reshape(2**n, 2**r)[:, : len(inputs)]


def _gates(op) -> list:
    """``op``'s decomposition, expanded until every gate has a matrix."""
    out, todo = [], list(op.decomposition())
    while todo:
        g = todo.pop(0)
        if g.has_matrix:
            out.append(g)
        else:
            todo = list(g.decomposition()) + todo
    return out


def _gate_columns(op, states: np.ndarray) -> np.ndarray:
    """``U @ states`` (states as columns) by PennyLane's own gate application, batched."""
    n = len(op.wires)
    batch = states.T.reshape((states.shape[1],) + (2,) * n).astype(np.complex128)
    for gate in _gates(op):
        batch = apply_operation(gate, batch, is_state_batched=True)
    return batch.reshape(states.shape[1], -1).T


def _check_block(op, cols_valid, rows_valid_conj, L):
    """Block on valid coordinates is L/lambda; no leakage either way within the block."""
    emb = op.embedding()
    D = 2 ** len(op.system_wires)
    invalid = np.ones(D, dtype=bool)
    invalid[emb] = False
    block_cols = cols_valid[:D]  # ancillas (first wires) all |0>
    np.testing.assert_allclose(block_cols[emb], L / op.alpha, atol=1e-12)
    assert np.abs(block_cols[invalid]).max(initial=0.0) < 1e-12
    if rows_valid_conj is not None:
        assert np.abs(rows_valid_conj[:D][invalid]).max(initial=0.0) < 1e-12


# ----------------------------------------------------------------------------------------------
# The block: native kernel (many sizes) and gates (small sizes)


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    case=st.sampled_from([(1, 1), (1, 3), (2, 1), (2, 2), (2, 3), (3, 1), (3, 2)]),
    m=st.integers(1, 3),
    p=st.integers(0, 2),
    zero=st.sampled_from(["", "F0", "F2", "F0F2", "F1"]),
    T=st.floats(0.05, 2.0),
)
def test_kernel_block_is_L_over_lambda(seed, case, m, p, zero, T):
    s, N = case
    problem = _problem(seed, s, zero)
    op = _op(problem, T, N, m, p)
    emb = op.embedding()
    cols = _kernel_columns(op, emb)
    rows_conj = _kernel_columns(op, emb, adjoint=True)  # conj of the rows U[e, :]
    _check_block(op, cols, rows_conj, _dense_L(problem, N, T, m, p))
    np.testing.assert_allclose(np.linalg.norm(cols, axis=0), 1.0, atol=1e-12)


@pytest.mark.parametrize("s, N, m, p", [(2, 1, 1, 0), (2, 2, 1, 1), (3, 2, 1, 0), (2, 3, 1, 0)])
def test_gate_block_is_L_over_lambda(s, N, m, p):
    problem = _problem(7 + s + N, s)
    op = _op(problem, 0.7, N, m, p)
    emb = op.embedding()
    eye = np.zeros((2 ** len(op.wires), emb.size))
    eye[emb, np.arange(emb.size)] = 1.0
    _check_block(op, _gate_columns(op, eye), None, _dense_L(problem, N, 0.7, m, p))


def _piecewise(seed: int, s: int, pieces: int) -> PolynomialODE:
    base = _problem(seed, s)
    rng = np.random.default_rng(seed + 1)
    times = np.sort(rng.uniform(0.05, 0.9, size=pieces - 1))
    return PolynomialODE(
        F0=rng.normal(size=(pieces, s)),
        F1=base.F1,
        F2=base.F2,
        u_in=base.u_in,
        forcing_times=np.concatenate([[0.0], times]),
    )


@pytest.mark.parametrize("s, N, m, p, pieces", [(2, 2, 3, 1, 2), (1, 3, 4, 3, 3), (2, 2, 5, 2, 4)])
def test_piecewise_forcing_block_is_L_over_lambda(s, N, m, p, pieces):
    """Each Euler step's F0 term uses the forcing piece of its left end (as core.euler)."""
    problem = _piecewise(s + N + m, s, pieces)
    op = _op(problem, 1.0, N, m, p)
    emb = op.embedding()
    L = _dense_L(problem, N, 1.0, m, p)
    _check_block(op, _kernel_columns(op, emb), _kernel_columns(op, emb, adjoint=True), L)
    if len(op.wires) <= 14:
        eye = np.zeros((2 ** len(op.wires), emb.size))
        eye[emb, np.arange(emb.size)] = 1.0
        _check_block(op, _gate_columns(op, eye), None, L)


def test_gate_and_kernel_unitaries_are_unitary():
    problem = _problem(3, 2)
    small = _op(problem, 0.4, 1, 1, 0)  # 7 wires: the whole gate unitary
    U = _gate_columns(small, np.eye(2 ** len(small.wires)))
    np.testing.assert_allclose(U.conj().T @ U, np.eye(U.shape[0]), atol=1e-12)
    np.testing.assert_allclose(_kernel_columns(small, np.arange(U.shape[0])), U, atol=1e-12)
    big = _op(problem, 0.4, 2, 2, 1)  # 11 wires: the whole kernel unitary
    V = _kernel_columns(big, np.arange(2 ** len(big.wires)))
    np.testing.assert_allclose(V.conj().T @ V, np.eye(V.shape[0]), atol=1e-12)


# ----------------------------------------------------------------------------------------------
# Native kernel against the gate decomposition on devices


def _random_state(rng, n):
    x = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    return x / np.linalg.norm(x)


def _device_state(dev, op, x, adjoint):
    @qml.qnode(dev)
    def circuit():
        qml.StatePrep(x, wires=dev.wires)
        qml.adjoint(op) if adjoint else qml.apply(op)
        return qml.state()

    return circuit()


@pytest.mark.parametrize("s, N, m, p", [(3, 2, 1, 1), (2, 3, 1, 0)])
def test_native_kernel_matches_default_qubit(s, N, m, p):
    rng = np.random.default_rng(s * 10 + N)
    with qml.QueuingManager.stop_recording():
        op = _op(_problem(11, s), 0.5, N, m, p)
    dev = qml.device("default.qubit", wires=op.wires)
    for adjoint in (False, True):
        x = _random_state(rng, len(op.wires))
        ref = _device_state(dev, op, x, adjoint)
        got = apply_encoding(x.copy(), op, op.wires, adjoint=adjoint)
        np.testing.assert_allclose(got, ref, atol=1e-12)


def test_native_and_gates_levels_agree_on_qsgd_sim_and_lightning():
    rng = np.random.default_rng(5)
    with qml.QueuingManager.stop_recording():
        op = _op(_problem(2, 2), 0.9, 2, 2, 2)
    assert native_kernel_for(op, "native") is not None
    assert native_kernel_for(qml.adjoint(op), "native") is not None
    n = len(op.wires)
    x = _random_state(rng, n)
    for adjoint in (False, True):
        native = _device_state(qml.device("qsgd.sim", wires=n, fidelity="native"), op, x, adjoint)
        gates = _device_state(qml.device("qsgd.sim", wires=n, fidelity="gates"), op, x, adjoint)
        light = _device_state(qml.device("lightning.qubit", wires=n), op, x, adjoint)
        np.testing.assert_allclose(native, gates, atol=1e-10)
        np.testing.assert_allclose(native, light, atol=1e-10)


# ----------------------------------------------------------------------------------------------
# Subnormalisation, embedding, cost


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    s=st.integers(1, 3),
    N=st.integers(1, 3),
    m=st.integers(1, 4),
    p=st.integers(0, 3),
    T=st.floats(0.05, 3.0),
)
def test_alpha_is_the_stated_sum_and_bounds_norm_L(seed, s, N, m, p, T):
    problem = _problem(seed, s)
    op = _op(problem, T, N, m, p)
    h = T / m
    n1 = np.linalg.norm(problem.F1.toarray(), 2)
    n2 = np.linalg.norm(problem.F2.toarray(), 2)
    n0 = np.linalg.norm(problem.F0[0]) if N >= 2 else 0.0
    expected = 2.0 + h * (1.0 + 1e-6) * (N * n1 + (N - 1) * n2 + N * n0)
    assert op.alpha == pytest.approx(expected, rel=1e-12)
    assert op.alpha >= np.linalg.norm(_dense_L(problem, N, T, m, p), 2) * (1 - 1e-12)


@pytest.mark.parametrize("s, N, m, p", [(2, 3, 2, 1), (3, 2, 1, 2), (1, 2, 1, 0)])
def test_embedding_places_lifted_levels_in_factors(s, N, m, p):
    lay = structured_layout(s, N, m, p)
    emb = structured_embedding(s, N, m, p)
    u = np.arange(1.0, s + 1.0)
    B = 2**lay.factor_bits
    u_pad, e0 = np.zeros(B), np.zeros(B)
    u_pad[:s], e0[0] = u, 1.0
    Y = lift(u, N)
    dim = Y.size
    offset = 0
    for k in (0, m + p):
        for j in range(1, N + 1):
            vec = np.eye(2 ** lay.widths["time"])[k]
            vec = np.kron(vec, np.eye(2 ** lay.widths["level"])[j - 1])
            for q in range(N):
                vec = np.kron(vec, u_pad if q < j else e0)
            block = slice(k * dim + offset, k * dim + offset + s**j)
            np.testing.assert_allclose(vec[emb[block]], Y[offset : offset + s**j])
            assert np.count_nonzero(vec) == s**j
            offset += s**j
        offset = 0


def _total_gates(op) -> int:
    return sum(op.resources().gates.values())


def test_cost_grows_logarithmically_in_steps():
    problem = _problem(1, 2)
    counts, wires = [], []
    for t in range(2, 12):
        m = 2**t - 1  # m + p + 1 = 2**t with p = 0
        with qml.QueuingManager.stop_recording():
            op = _op(problem, 1.0, 2, m, 0)
        counts.append(_total_gates(op))
        wires.append(len(op.wires))
        assert op.resources().logical_qubits == len(op.wires)
        assert _total_gates(op) == len(op.decomposition())
    assert np.all(np.diff(wires) == 1)  # one time qubit per doubling
    steps = np.diff(counts)
    k = structured_layout(2, 2, 3, 0).widths["index"]
    # per extra time qubit: one more increment gate per dyadic block of the index interval [1, K)
    assert np.all(steps == steps[0]) and 0 < steps[0] <= 2 * k


def test_cost_grows_logarithmically_in_size():
    qubits, counts = [], []
    for b in range(1, 4):
        problem = _problem(4, 2**b)
        with qml.QueuingManager.stop_recording():
            op = _op(problem, 1.0, 2, 1, 1)
        qubits.append(len(op.wires))
        counts.append(_total_gates(op))
    assert np.diff(qubits).tolist() == [2, 2]  # N factors of one more qubit each
    # Only the factor SWAPs grow (b per shift), linearly in b = log2 s.
    assert counts[2] - counts[1] == counts[1] - counts[0] > 0


def test_dyadic_blocks_cover_interval_exactly():
    for width in range(0, 6):
        for lo in range(0, 2**width + 1):
            for hi in range(lo, 2**width + 1):
                covered = []
                for prefix, length in dyadic_blocks(lo, hi, width):
                    free = width - length
                    covered += list(range(prefix << free, (prefix + 1) << free))
                assert sorted(covered) == list(range(lo, hi))
                assert len(dyadic_blocks(lo, hi, width)) <= max(2 * width, 1)


# ----------------------------------------------------------------------------------------------
# Operation plumbing and errors


def test_flatten_roundtrip_and_full_data_hash():
    op = _op(_problem(0, 2), 0.5, 2, 2, 1)
    data, meta = op._flatten()
    clone = StructuredEulerEncoding._unflatten(data, meta)
    assert qml.equal(op, clone)
    assert clone.hash == op.hash
    other = _problem(0, 2)
    F1 = other.F1.toarray()
    F1[0, 1] += 1e-9
    changed = PolynomialODE(other.F0, F1, other.F2, other.u_in)
    assert _op(changed, 0.5, 2, 2, 1).hash != op.hash
    assert op.hyperparameters == {"T": 0.5, "carleman_level": 2, "steps": 2, "idle": 1}


def test_errors_name_the_argument():
    problem = _problem(0, 2)
    piecewise = PolynomialODE(
        F0=np.ones((2, 2)), F1=problem.F1, F2=problem.F2, u_in=problem.u_in, forcing_times=[0, 1]
    )
    lay = structured_layout(2, 2, 1, 1)
    assert StructuredEulerEncoding(piecewise, 1.0, 2, 1, 1, wires=range(lay.num_wires)).alpha > 2
    with pytest.raises(ValueError, match="needs 11 wires"):
        StructuredEulerEncoding(problem, 1.0, 2, 1, 1, wires=range(lay.num_wires - 1))
    with pytest.raises(ValueError, match="T must be"):
        StructuredEulerEncoding(problem, 0.0, 2, 1, 1, wires=range(lay.num_wires))
    with pytest.raises(TypeError, match="problem must be"):
        StructuredEulerEncoding(problem.F1, 1.0, 2, 1, 1, wires=range(lay.num_wires))
    with pytest.raises(ValueError, match="level"):
        structured_layout(2, 0, 1, 1)


def test_kernel_respects_wire_labels_and_order():
    rng = np.random.default_rng(9)
    lay = structured_layout(2, 2, 1, 0)
    labels = [f"w{q}" for q in range(lay.num_wires)]
    with qml.QueuingManager.stop_recording():
        op = StructuredEulerEncoding(_problem(4, 2), 0.8, 2, 1, 0, wires=labels)
    order = Wires(list(rng.permutation(labels + ["spare"])))
    x = _random_state(rng, len(order))
    ref = _device_state(qml.device("default.qubit", wires=order), op, x, False)
    got = apply_encoding(x.copy(), op, order)
    np.testing.assert_allclose(got, ref, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 2**40))
def test_bits_is_the_smallest_register_holding_n_states(n):
    """bits(n) = t with 2**(t-1) < n <= 2**t (0 for n = 1): by integer powers, not floats."""
    t = bits(n)
    assert 2**t >= n and (t == 0 or 2 ** (t - 1) < n)


def test_bits_refuses_an_empty_register():
    with pytest.raises(ValueError, match="positive count"):
        bits(0)


# ----------------------------------------------------------------------------------------------
# QSVT over the structured block encoding of L solves the Euler–Carleman system.
#
# ``qml.QSVT`` with ``PCPhase`` projectors on all wires (the block is the all-ancillas-zero corner)
# around the adjoint of :class:`StructuredEulerEncoding`, with the solver's own 1/x phases: the real
# part of the block applied to the embedded right-hand side is ``(scale * lambda / kappa) L^{-1} B``.
# The reference is numpy's dense solve of the core's ``L Y = B``.


def _qsvt_problem(s: int, seed: int) -> PolynomialODE:
    rng = np.random.default_rng(seed)
    F1 = -np.eye(s) + 0.1 * rng.standard_normal((s, s))
    F2 = 0.1 * rng.standard_normal((s, s * s))
    return PolynomialODE(0.1 * rng.standard_normal(s), F1, F2, 0.3 * rng.standard_normal(s))


@pytest.mark.parametrize(
    ("s", "level", "steps", "seed"), [(2, 2, 2, 3), (1, 3, 2, 5), (3, 1, 3, 7)]
)
def test_qsvt_over_structured_encoding_matches_dense_solve(s, level, steps, seed):
    problem, T, eps = _qsvt_problem(s, seed), 0.5, 1e-6
    layout = structured_layout(s, level, steps, steps)
    wires = list(range(layout.num_wires))
    system = wires[
        sum(layout.widths[r] for r in ("index", "time_flag", "level_flag", "f_ancilla")) :
    ]
    with qml.QueuingManager.stop_recording():
        alpha = StructuredEulerEncoding(problem, T, level, steps, steps, wires=wires).alpha
    L, B = euler_system(problem, level, T, steps, steps)
    L, B = L.toarray(), np.asarray(B).ravel()
    kappa = 1.01 * alpha / np.linalg.svd(L, compute_uv=False).min()
    angles = inverse_angles(kappa, eps)
    embedding = structured_embedding(s, level, steps, steps)
    rhs = np.zeros(2 ** len(system))
    rhs[embedding] = B / np.linalg.norm(B)

    @qml.qnode(qml.device("qsgd.sim", wires=len(wires)))
    def circuit():
        qml.StatePrep(rhs, wires=system)
        encoding = StructuredEulerEncoding(problem, T, level, steps, steps, wires=wires)
        qml.QSVT(
            qml.adjoint(encoding),
            [qml.PCPhase(t, dim=2 ** len(system), wires=wires) for t in angles.angles],
        )
        return qml.state()

    state = circuit()
    solution = np.real(state[embedding]) * np.linalg.norm(B) * kappa / (angles.scale * alpha)
    reference = np.linalg.solve(L, B)
    assert np.linalg.norm(solution - reference) <= 10 * eps * np.linalg.norm(reference)
    # nothing of the real part leaks out of the embedded coordinates of the block
    block = np.real(state[: 2 ** len(system)])
    outside = np.delete(block, embedding)
    assert np.linalg.norm(outside) <= 1e-10
