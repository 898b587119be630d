"""Almost-dissipative windows: the shift's price and the Lyapunov certificate, against measurements."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.core.almost_dissipative import (
    classify_window,
    lyapunov_certificate,
    minimal_shift,
    shifted_problem,
)
from pennylane_qsgd.core.bounds import success_probability_bound
from pennylane_qsgd.core.carleman_flow import carleman_flow
from pennylane_qsgd.core.dissipation import dissipation
from pennylane_qsgd.core.euler import solve_euler, step_times
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.core.reference import integrate_ode


def _indefinite_window(seed: int, size: int, positive: float) -> PolynomialODE:
    """Linear window F1 = -eta H with one negative Hessian eigenvalue (Re lambda_1 = positive)."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((size, size)))
    eigs = np.concatenate([[positive], -rng.uniform(0.5, 2.0, size - 1)])
    F1 = Q @ np.diag(eigs) @ Q.T
    return PolynomialODE(
        0.1 * rng.standard_normal(size),
        F1,
        np.zeros((size, size * size)),
        rng.standard_normal(size),
    )


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), size=st.integers(1, 4), positive=st.floats(0.01, 0.5))
def test_shift_predicts_measured_success_probability(seed, size, positive):
    """Euler on the shifted problem: q grows by e^{cT}, and P is the exact-flow prediction."""
    problem = _indefinite_window(seed, size, positive)
    T, m = 2.0, 4000
    shift = minimal_shift(problem, T)
    assert shift.is_finite and shift.c > dissipation(problem).re_lambda1
    shifted = shifted_problem(problem, shift.c, T, m)
    assert dissipation(shifted).re_lambda1 < 0
    sol = solve_euler(shifted, 1, T, m)
    # Independent reference: the unshifted flow by solve_ivp at the step times.
    times = np.append(step_times(T, m), T)
    u = integrate_ode(problem, T, t_eval=times)
    weights = np.exp(-2 * shift.c * times) * np.sum(u**2, axis=1)
    predicted = (m + 1) * weights[-1] / (weights.sum() + m * weights[-1])
    assert sol.success_probability == pytest.approx(predicted, rel=2e-2)
    q = np.linalg.norm(problem.u_in) / np.linalg.norm(u[-1])
    assert sol.q == pytest.approx(q * shift.penalty, rel=2e-2)
    assert np.linalg.norm(sol.u_final - u[-1] / shift.penalty) <= 2e-2 * np.linalg.norm(u[-1])
    assert sol.success_probability >= success_probability_bound(m, m, 1, q * shift.penalty)


@settings(max_examples=20, deadline=None)
@given(
    re_l1=st.floats(-1.0, 1.0),
    f0=st.floats(0.0, 1.0),
    f2=st.floats(0.0, 0.2),
    T=st.floats(0.5, 5.0),
)
def test_minimal_shift_is_the_smallest_feasible_one(re_l1, f0, f2, T):
    problem = PolynomialODE([f0], [[re_l1]], [[-f2]], [1.0])
    shift = minimal_shift(problem, T, target=0.9)

    def ratio(c: float) -> float:  # R_c written out from the definition
        return np.inf if c <= re_l1 else (np.exp(c * T) * f2 + f0) / (c - re_l1)

    grid = np.linspace(max(0.0, re_l1), max(0.0, re_l1) + 5.0, 20001)[1:]
    feasible = grid[[ratio(c) <= 0.9 for c in grid]]
    if not shift.is_finite:
        assert feasible.size == 0
    else:
        assert ratio(shift.c) <= 0.9 * (1 + 1e-9)
        if feasible.size:
            assert shift.c <= feasible[0] + 1e-9


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), shift_rate=st.sampled_from([0.0, 0.3]))
def test_lyapunov_bound_holds_against_measured_carleman_error(seed, shift_rate):
    """Non-normal Hurwitz F1 with a positive log-norm: only a non-identity metric certifies it.

    With a shift the u-system's Carleman error is e^{ct} times the v-system's, so the measured
    error of the unshifted Carleman flow tests the shifted certificate too.
    """
    rng = np.random.default_rng(seed)
    # Eigenvalues -1, -1.5 (+ 1.3 with a shift: 0.3, -0.2); the Hermitian part has one > 0.
    F1 = np.array([[-1.0, 2.5], [0.0, -1.5]]) + (1.3 if shift_rate else 0.0) * np.eye(2)
    assert np.linalg.eigvalsh((F1 + F1.T) / 2)[-1] > 0  # plain log-norm fails
    F2 = 0.003 * rng.standard_normal((2, 4))
    F0 = 0.002 * rng.standard_normal(2)
    u_in = rng.standard_normal(2)
    u_in *= 0.3 / np.linalg.norm(u_in)
    problem = PolynomialODE(F0, F1, F2, u_in)
    T = 1.0
    c = 0.8 if shift_rate else 0.0  # F1 - cI has eigenvalues -0.5, -1.0
    cert = lyapunov_certificate(problem, T, c=c, level=2)
    assert cert.is_certified and cert.metric != "identity" and cert.mu < 0
    exact = integrate_ode(problem, T)
    for level in (1, 2, 3):
        error = np.linalg.norm(carleman_flow(problem, level, T)[:2] - exact)
        assert error <= cert.truncation_bound(level, T) * (1 + 1e-9) + 1e-13


def test_classification_of_three_windows():
    dissip = PolynomialODE([0.01], [[-1.0]], [[-0.1]], [0.5])
    almost = _indefinite_window(3, 3, 0.05)
    divergent = PolynomialODE([0.0], [[0.5]], [[5.0]], [1.0])
    a = classify_window(dissip, 5.0)
    assert a.kind == "dissipative" and a.penalty == 1.0 and a.R < 1
    b = classify_window(almost, 5.0)
    assert b.kind == "almost-dissipative" and b.R == np.inf
    assert b.penalty == pytest.approx(np.exp(5.0 * b.shift.c)) and b.penalty > 1
    assert b.shift.ratio <= 0.99 * (1 + 1e-9)
    c = classify_window(divergent, 5.0)
    assert c.kind == "divergent" and c.certificate is None
    assert "divergent" in c.summary()


def test_bad_inputs():
    problem = PolynomialODE([0.0], [[0.1]], [[0.2]], [1.0])
    with pytest.raises(ValueError, match="F2 = 0"):
        shifted_problem(problem, 0.5, 1.0, 10)
    with pytest.raises(ValueError, match="T must"):
        minimal_shift(problem, -1.0)
    with pytest.raises(ValueError, match="target"):
        minimal_shift(problem, 1.0, target=1.5)
    with pytest.raises(ValueError, match="c must"):
        lyapunov_certificate(problem, 1.0, c=-1.0)
