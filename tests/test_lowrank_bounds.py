"""The dropped level-2 mass as a bound, alone and combined with Lemmas 1 and 2."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.core.bounds import lemma_bounds
from pennylane_qsgd.core.euler import solve_euler
from pennylane_qsgd.core.lowrank_bounds import (
    combined_error_bound,
    discarded_error_bound,
    euler_growth,
)
from pennylane_qsgd.core.lowrank_carleman import solve_problem_lowrank
from pennylane_qsgd.core.norms import spectral_norm
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.core.reference import integrate_ode


def _problem(seed: int, s: int = 5) -> PolynomialODE:
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(s, s)))
    F1 = -Q @ np.diag(rng.uniform(1.0, 2.0, s)) @ Q.T
    F2 = 0.3 * rng.normal(size=(s, s * s)) / s
    return PolynomialODE(
        F0=0.02 * rng.normal(size=s), F1=F1, F2=F2, u_in=0.3 * rng.normal(size=s) / np.sqrt(s)
    )


def _growth(problem: PolynomialODE, h: float) -> float:
    return euler_growth(
        h,
        float(np.linalg.norm(problem.F0)),
        spectral_norm(problem.F1),
        spectral_norm(problem.F2),
    )


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), tol=st.sampled_from([1e-3, 1e-2, 5e-2, 0.2]))
def test_lowrank_error_below_the_discarded_bound(seed, tol):
    problem = _problem(seed)
    T, m = 1.0, 8
    low = solve_problem_lowrank(problem, 2, T, m, tol=tol)
    dense = solve_euler(problem, 2, T, m)
    bound = discarded_error_bound(low.discarded, _growth(problem, T / m))
    error = float(np.linalg.norm(low.u_final - dense.u_final))
    assert error <= bound * (1 + 1e-9) + 1e-15
    if low.truncation_error == 0:
        assert error <= 1e-13


def test_combined_bound_holds_against_the_exact_flow():
    problem = _problem(7)
    T, m = 1.0, 10
    low = solve_problem_lowrank(problem, 2, T, m, tol=0.1)
    assert low.truncation_error > 0  # the case where the new term matters
    lemmas = lemma_bounds(problem, 2, T, T / m)
    assert lemmas is not None
    bound = combined_error_bound(
        lemmas, discarded_error_bound(low.discarded, _growth(problem, T / m))
    )
    exact = integrate_ode(problem, T)
    assert np.linalg.norm(low.u_final - exact) <= bound
    assert combined_error_bound(None, 1.0) is None


def test_discarded_bound_by_hand_and_bad_input():
    assert discarded_error_bound([1.0, 0.5, 0.25], 2.0) == pytest.approx(4 + 1 + 0.25)
    assert discarded_error_bound([], 3.0) == 0.0
    with pytest.raises(ValueError, match="growth"):
        discarded_error_bound([1.0], 0.5)
    with pytest.raises(ValueError, match="discarded"):
        discarded_error_bound([-1.0], 1.5)
    with pytest.raises(ValueError, match="norm_F2"):
        euler_growth(0.1, 1.0, 1.0, float("nan"))
