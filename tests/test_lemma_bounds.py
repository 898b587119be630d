"""Lemmas 1 and 2 as bounds in a problem's own units: rescaled into their hypotheses first."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.core.bounds import lemma_bounds, truncation_error_bound
from pennylane_qsgd.core.carleman_flow import carleman_flow
from pennylane_qsgd.core.dissipation import dissipation, lemma_rescaling_factor
from pennylane_qsgd.core.euler import solve_euler
from pennylane_qsgd.core.examples import logistic_problem
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.core.reference import integrate_ode


def test_plain_formula_is_exceeded_outside_the_normalisation_but_lemma_bounds_hold():
    # R = 0.95 with ||u_in|| = 0.5 < 1, but ||F2|| + ||F0|| = 1.9 > |Re lambda_1| = 1.
    problem = logistic_problem(decay=1.0, quadratic=1.9, u_in=0.5)
    T, level = 4.0, 16
    error = np.linalg.norm(carleman_flow(problem, level, T)[:1] - integrate_ode(problem, T))
    assert error > truncation_error_bound(problem, level, T)
    assert error <= lemma_bounds(problem, level, T, T / 100).truncation


@settings(max_examples=25, deadline=None)
@given(
    size=st.integers(1, 3),
    ratio=st.floats(0.05, 0.97),
    scale=st.floats(0.1, 20.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_lemma_bounds_hold_in_original_units(size, ratio, scale, seed):
    """Random dissipative problems with a prescribed R < 1 and an arbitrary unit of u."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((size, size)))
    F1 = -Q @ np.diag(rng.uniform(1.0, 2.0, size)) @ Q.T  # normal, Re lambda_1 <= -1
    F2 = rng.standard_normal((size, size * size))
    F0 = rng.standard_normal(size)
    u_in = rng.standard_normal(size)
    u_in /= np.linalg.norm(u_in)
    info = dissipation(PolynomialODE(F0, F1, F2, u_in))
    # Scale F2 and F0 together so that R = ratio exactly, then change the unit of u by `scale`.
    factor = ratio / info.R
    unit = PolynomialODE(factor * F0, F1, factor * F2, u_in)
    problem = unit.rescaled(1.0 / scale)  # u = v / scale: ||u_in|| = scale
    assert dissipation(problem).R == pytest.approx(ratio, rel=1e-9)

    gamma = lemma_rescaling_factor(problem)
    scaled = dissipation(problem.rescaled(gamma))
    assert scaled.norm_u_in < 1
    assert scaled.norm_F2 + scaled.norm_F0 < abs(scaled.re_lambda1)

    # The hypotheses hold inside lemma_gamma_range and fail just outside it.
    def admissible(g: float) -> bool:
        info = dissipation(problem.rescaled(g))
        return info.norm_u_in < 1 and info.norm_F2 + info.norm_F0 < abs(info.re_lambda1)

    low, high = dissipation(problem).lemma_gamma_range
    assert low < gamma < high
    assert admissible(low * 1.001) and admissible(high * 0.999)
    assert not admissible(low * 0.999) and not admissible(high * 1.001)

    T, steps = 1.5, 60
    exact = integrate_ode(problem, T)
    for level in (1, 2, 3):
        bounds = lemma_bounds(problem, level, T, T / steps)
        flow = carleman_flow(problem, level, T)[:size]
        euler = solve_euler(problem, level, T, steps, 0).u_final
        assert np.linalg.norm(flow - exact) <= bounds.truncation * (1 + 1e-9) + 1e-12
        assert np.linalg.norm(euler - flow) <= bounds.euler * (1 + 1e-9) + 1e-12


def test_no_bounds_when_r_is_at_least_one():
    problem = logistic_problem(decay=1.0, quadratic=4.0, u_in=0.5)
    assert dissipation(problem).R >= 1
    assert lemma_bounds(problem, 2, 1.0, 0.01) is None
    with pytest.raises(ValueError, match="R = "):
        lemma_rescaling_factor(problem)
