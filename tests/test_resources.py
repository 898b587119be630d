"""Window resource estimates: pennylane.estimator operators against the templates and the lemmas."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pennylane as qml
import pennylane.estimator as qre
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.circuits.solver import GradientFlowSolver
from pennylane_qsgd.circuits.solver_layout import required_wires
from pennylane_qsgd.core.polynomials import inverse_polynomial
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.diagnostics.estimator_counting import gate_counts, leaf_count, serial_depth
from pennylane_qsgd.diagnostics.estimator_ops import (
    CLIFFORD_T,
    AmplifiedWindow,
    CarlemanEulerEncoding,
    DenseEncoding,
    QSVTInversion,
)
from pennylane_qsgd.diagnostics.estimator_state_prep import DenseStatePrep, QRAMQuery, QRAMStatePrep
from pennylane_qsgd.diagnostics.resources import (
    crossover,
    estimate_window,
    inverse_degree,
    loglog_slope,
)
from pennylane_qsgd.diagnostics.solver_resources import solver_estimate
from pennylane_qsgd.diagnostics.window_assumptions import WindowAssumptions

PRECISION = 1e-4


def _problems() -> list[tuple[PolynomialODE, int, int]]:
    rng = np.random.default_rng(3)
    scalar = PolynomialODE(F0=[0.0], F1=[[-1.0]], F2=[[-0.1]], u_in=[0.5])
    forced = PolynomialODE(
        F0=0.05 * rng.normal(size=2),
        F1=-np.eye(2) + 0.1 * rng.normal(size=(2, 2)),
        F2=-0.1 * rng.normal(size=(2, 4)),
        u_in=[0.3, -0.2],
    )
    return [(scalar, 2, 2), (forced, 2, 3)]


def _solver(
    problem: PolynomialODE, level: int, steps: int, encoding: str = "dense"
) -> GradientFlowSolver:
    n = required_wires(problem.size, level, steps, encoding=encoding)
    return GradientFlowSolver(
        problem,
        T=0.5,
        carleman_level=level,
        steps=steps,
        encoding=encoding,
        precision=PRECISION,
        wires=range(n),
    )


def _names(ops, expand: set[str]) -> Counter:
    """Operator names after decomposing those named in ``expand``, recursively."""
    out = Counter()
    for op in ops:
        if op.name in expand:
            out += _names(op.decomposition(), expand)
        else:
            out[op.name] += 1
    return out


# ----------------------------------------------------------------------------------------------
# Degree formula


@settings(max_examples=25, deadline=None)
@given(kappa=st.floats(1.2, 200.0), log_eps=st.floats(-10.0, -1.0))
def test_inverse_degree_equals_built_polynomial(kappa, log_eps):
    eps = 10.0**log_eps
    assert inverse_degree(kappa, eps) == inverse_polynomial(kappa, eps).degree


def test_inverse_degree_huge_kappa_is_kappa_log():
    # d -> kappa arccosh(1/eps) as kappa -> inf (artanh(1/kappa) ~ 1/kappa).
    for kappa in (1e8, 1e12):
        d = inverse_degree(kappa, 1e-3)
        assert abs(d / (kappa * math.acosh(1e3)) - 1) < 1e-6
    with pytest.raises(ValueError, match="kappa"):
        inverse_degree(1.0, 0.1)
    with pytest.raises(ValueError, match="eps"):
        inverse_degree(10.0, 1.5)


# ----------------------------------------------------------------------------------------------
# Small instances: estimator vs template resources vs decomposition


@pytest.mark.parametrize("case", range(2))
def test_dense_estimate_matches_template_and_decomposition(case):
    problem, level, steps = _problems()[case]
    op = _solver(problem, level, steps)
    est = solver_estimate(op)
    res = op.resources()
    assert est.logical_qubits == res.logical_qubits == len(op.wires)
    assert est.block_encoding_calls == res.block_encoding_calls == op.info().degree
    # The decomposed circuit, template level and one level further.
    names = _names(op.decomposition(), {"GradientFlowSolver"})
    calls = names["DenseEulerEncoding"] + names["Adjoint(DenseEulerEncoding)"]
    assert calls == est.counts["DenseEncoding"]
    assert names["MultiRZ"] == est.counts["MultiRZ"]
    assert names["Hadamard"] == est.counts["Hadamard"]
    assert names["NormalizedStatePrep"] == est.counts["DenseStatePrep"] == 1
    enc = DenseEncoding.resource_rep(num_wires=len(op.wires) - 1)
    inv = QSVTInversion.resource_rep(encoding=enc, degree=est.degree, ancillas=1)
    counted = gate_counts(inv, {"QubitUnitary", "MultiRZ", "Hadamard"})
    assert counted["QubitUnitary"] == calls
    # Möttönen counts of the preparation, as the template reports them.
    prep = gate_counts(
        DenseStatePrep.resource_rep(num_wires=len(op.wires) - 2), {"RY", "RZ", "CNOT"}
    )
    assert prep == {k: v for k, v in res.gates.items() if k in ("RY", "RZ", "CNOT") and v}


@pytest.mark.parametrize("case", range(2))
def test_structured_estimate_is_the_circuits_own_count(case):
    """CarlemanEulerEncoding's gate list = the gates StructuredEulerEncoding decomposes into."""
    problem, level, steps = _problems()[case]
    op = _solver(problem, level, steps, "structured")
    hp = op.hyperparameters
    est = solver_estimate(op)
    res = op.resources()
    assert est.logical_qubits == res.logical_qubits == len(op.wires)
    assert est.block_encoding_calls == res.block_encoding_calls == op.degree()
    rep = CarlemanEulerEncoding.resource_rep(
        size=problem.size,
        level=level,
        steps=hp["steps"],
        idle=hp["idle"],
        forcing_pieces=1,
        f_model="dense",
        row_sparsity=1,
        value_bits=1,
    )
    enc = op.encoding()
    assert rep.num_wires == len(enc.wires)
    by_kind = Counter()
    for action in CarlemanEulerEncoding.resource_decomp(**rep.params):
        gate = action.gate
        name = gate.op_type.__name__
        if name == "Controlled":
            name = f"C({gate.params['base_cmpr_op'].op_type.__name__})"
        by_kind[name] += action.count
    built = Counter()
    for g in enc.decomposition():
        built[
            g.name.replace("BlockEncoding", "Encoding").replace("MottonenStatePreparation", "P")
        ] += 1
    assert by_kind["DenseStatePrep"] == built["P"] + built["Adjoint(P)"] == 2
    assert by_kind["MultiControlledX"] + by_kind["X"] == built["MultiControlledX"] + built["PauliX"]
    assert by_kind["C(DenseEncoding)"] == built["C(DenseEncoding)"]
    assert by_kind["C(SWAP)"] == sum(v for k, v in built.items() if "SWAP" in k)
    assert est.counts["CarlemanEulerEncoding"] == est.degree


def test_amplified_window_calls_match_pennylane_amplitude_amplification():
    # One U, then qml.AmplitudeAmplification with k iterations: U or U^dagger 2k + 1 times, k oracles.
    k = 3
    U = qml.RY(0.3, 0)
    ops = [U, qml.AmplitudeAmplification(U, qml.FlipSign([1], wires=[0]), iters=k)]
    names = _names(ops, {"AmplitudeAmplification", "Reflection"})
    enc = DenseEncoding.resource_rep(num_wires=2)
    window = AmplifiedWindow.resource_rep(
        prep=DenseStatePrep.resource_rep(num_wires=1),
        inversion=QSVTInversion.resource_rep(encoding=enc, degree=5, ancillas=1),
        rounds=k,
        flag_wires=2,
    )
    leaves = CLIFFORD_T | {"Toffoli", "DenseEncoding", "DenseStatePrep", "MultiRZ"}
    counts = gate_counts(window, leaves)
    assert counts["DenseStatePrep"] == names["RY"] + names["Adjoint(RY)"] == 2 * k + 1
    assert counts["DenseEncoding"] == 5 * (2 * k + 1)
    assert names["FlipSign"] == k


# ----------------------------------------------------------------------------------------------
# Large windows: growth in T, independent derivation from the lemmas


def _expected_calls(a: WindowAssumptions, T: int) -> tuple[int, int, int]:
    """m, time-register slots and d (2k+1) from PNAS Lemmas 2, 3, 5 written out here."""
    N = a.level
    total = a.lr * a.lambda_max + a.f2_norm + a.f0_norm
    h = min(a.eps / (3 * N**2.5 * T * total**2), 1 / (N * a.lr * a.lambda_max), T)
    m = math.ceil(T / h - 1e-9)
    slots = 2 ** math.ceil(math.log2(2 * m))  # m + p + 1 with the solver's default idle
    # the circuit's N = 2 terms: 2 F1, 1 F2, 2 F0, each with the 1e-6 dilation margin
    lam = 2 + h * (1 + 1e-6) * (2 * a.lr * a.lambda_max + 1 * a.f2_norm + 2 * a.f0_norm)
    kappa = 3 * lam * slots / math.sqrt(2)
    d = kappa * math.acosh(1 / a.eps)  # large-kappa degree
    P = (slots - m) / (9 * slots * N * a.q**2)
    k = math.floor(math.pi / (4 * math.asin(math.sqrt(P))))
    return m, slots, d * (2 * k + 1)


def test_block_encoding_calls_follow_lemmas_and_grow_like_T_squared():
    a = WindowAssumptions(params=1_000_000)
    Ts = [1000, 2000, 4000, 10_000]
    rows = [estimate_window(a, T) for T in Ts]
    expected = [_expected_calls(a, T) for T in Ts]
    for row, (m, slots, calls) in zip(rows, expected, strict=True):
        assert row.steps == m
        assert row.steps + row.idle + 1 == slots
        assert abs(row.block_encoding_calls / calls - 1) < 1e-3
        assert row.registers["time"] == math.ceil(math.log2(slots))
        assert row.t_count > row.t_count_oracle > 0
        assert row.classical_flops == 3 * a.params * a.batch * row.T
        assert row.truncation_bound == pytest.approx(row.T * 2 * a.f2_norm * a.u_norm**3)
    slope = loglog_slope(Ts, [r.t_count for r in rows])
    assert 1.8 < slope < 2.2
    assert abs(slope - loglog_slope(Ts, [c for *_, c in expected])) < 0.1
    # Qubits grow with log T only: the time register (the circuit flags idle slots with one
    # time_flag qubit, no comparator register).
    grown = rows[-1].registers["time"] - rows[0].registers["time"]
    assert rows[-1].logical_qubits - rows[0].logical_qubits == grown


def test_step_cap_below_the_bend_lemma_2_above():
    a = WindowAssumptions(params=1000, lr=1e-3, lambda_max=1.0, f2_norm=1e-5, f0_norm=1e-5, eps=0.9)
    total = a.f1_norm + a.f2_norm + a.f0_norm
    Tstar = a.eps * a.level * a.f1_norm / (3 * a.level**2.5 * total**2)
    assert a.bend() == pytest.approx(Tstar)
    assert 50 < Tstar < 200
    for T in (10, 50):  # the cap h <= 1/(N ||F1||) (or h <= T) sets the single step
        row = estimate_window(a, T)
        assert row.h == pytest.approx(min(1 / (a.level * a.f1_norm), T))
        assert row.steps == 1
    big = [estimate_window(a, T).steps for T in (1000, 10_000)]
    assert 95 < big[1] / big[0] < 105


def test_qram_queries_counted_from_the_model():
    a = WindowAssumptions(params=5000, sparsity=0.8)
    row = estimate_window(a, 50)
    s, b = a.support, math.ceil(math.log2(a.support))
    n1, n2, n0 = 2, 1, 2  # the circuit's N = 2 terms: one per factor (N, N - 1, N)
    per_call = 4 * (n1 + n2) + 2 * b * n0  # sparse access: 4 queries; KP tree: 2 per level
    per_prep = (3 + 1) * 2 * b  # u_in copies N(N+1)/2 and F0
    k = row.rounds
    assert s == 1000
    assert row.qram_queries == row.block_encoding_calls * per_call + (2 * k + 1) * per_prep
    words = s * a.row_sparsity
    addr = math.ceil(math.log2(words))
    word = max(a.value_bits, math.ceil(math.log2(s * s)))  # F2's column index (i, j) is widest
    assert row.qram_qubits == addr + word + 1 + 3 * (2**addr - 1)
    assert row.depth > row.qram_queries


def test_qram_query_uses_bbqram_and_depth_model():
    rep = QRAMQuery.resource_rep(num_words=1000, word_bits=8)
    ours = gate_counts(rep)
    ref = qre.estimate(
        qre.BBQRAM(
            num_bitstrings=1024, size_bitstring=8, num_wires=rep.num_wires, num_bit_flips=4000
        ),
        gate_set=set(CLIFFORD_T),
    ).gate_counts
    assert ours == {k: v for k, v in ref.items() if v}
    assert serial_depth(rep) == 6 * 10 + 8
    assert leaf_count(QRAMStatePrep.resource_rep(size=16, angle_bits=4), QRAMQuery) == 8


def test_crossover_interpolates_in_log_log():
    a = WindowAssumptions(params=7_450_000)
    rows = [estimate_window(a, T) for T in (10, 100, 1000)]
    cross = crossover(rows, "t_count_oracle", "classical_flops")
    assert rows[0].t_count_oracle < rows[0].classical_flops
    assert rows[-1].t_count_oracle > rows[-1].classical_flops
    assert 10 < cross < 1000
    # Both sides are (nearly) power laws: the interpolated T balances them between rows.
    i = 0 if cross < 100 else 1
    lo, hi = rows[i], rows[i + 1]
    frac = math.log(cross / lo.T) / math.log(hi.T / lo.T)

    def at(key):
        return math.exp((1 - frac) * math.log(getattr(lo, key)) + frac * math.log(getattr(hi, key)))

    assert at("t_count_oracle") == pytest.approx(at("classical_flops"), rel=1e-9)
    assert crossover(rows, "t_count", "classical_flops") is None  # above from the start


def test_assumptions_validate():
    with pytest.raises(ValueError, match="sparsity"):
        WindowAssumptions(params=10, sparsity=1.0)
    with pytest.raises(ValueError, match="params"):
        WindowAssumptions(params=0)
    with pytest.raises(TypeError, match="lr"):
        WindowAssumptions(params=10, lr="x")
    with pytest.raises(ValueError, match="u_norm"):
        WindowAssumptions(params=10, u_norm=1.5)
    assert WindowAssumptions(params=7_450_000).support == 745_000
