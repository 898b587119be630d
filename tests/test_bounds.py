"""Bounds of arXiv:2011.03185 on problems whose norms are known by hand, and Lemmas 1 and 2 in a
problem's own units."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.core.bounds import (
    StepSizeWarning,
    check_step_size,
    condition_number_bound,
    euler_error_bound,
    forcing_norm,
    lemma_bounds,
    max_step_size,
    spectral_norm,
    success_probability_bound,
    truncation_error_bound,
)
from pennylane_qsgd.core.carleman_flow import carleman_flow
from pennylane_qsgd.core.dissipation import dissipation, lemma_rescaling_factor
from pennylane_qsgd.core.euler import solve_euler
from pennylane_qsgd.core.examples import logistic_problem
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.core.reference import integrate_ode


@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(1, 30),
    cols=st.integers(1, 30),
    density=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_spectral_norm_matches_dense_svd(rows, cols, density, seed):
    rng = np.random.default_rng(seed)
    M = sp.random(rows, cols, density=density, random_state=rng, data_rvs=rng.standard_normal)
    expected = np.linalg.svd(M.toarray(), compute_uv=False).max(initial=0.0)
    assert spectral_norm(M) == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert spectral_norm(M.toarray()) == pytest.approx(expected, rel=1e-12, abs=1e-300)
    Z = M + 1j * sp.random(rows, cols, density=density, random_state=rng)
    expected = np.linalg.svd(Z.toarray(), compute_uv=False).max(initial=0.0)
    assert spectral_norm(Z) == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert spectral_norm(Z.toarray()) == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_spectral_norm_of_large_sparse_matrix_uses_arpack_correctly():
    rng = np.random.default_rng(3)
    M = sp.random(40, 40_000, density=2e-3, random_state=rng, data_rvs=rng.standard_normal)
    gram = (M @ M.T).toarray()  # ||M||^2 = largest eigenvalue of M M^T (40 x 40)
    expected = np.sqrt(np.linalg.eigvalsh(gram).max())
    assert spectral_norm(M) == pytest.approx(expected, rel=1e-9)
    assert spectral_norm(M.toarray()) == pytest.approx(expected, rel=1e-9)
    assert spectral_norm(np.array([3.0, 4.0])) == 5.0
    assert spectral_norm(np.array([3.0, 4.0j])) == 5.0


# Scalar problem: every norm is an absolute value.
SCALAR = PolynomialODE([0.2], [[-2.0]], [[0.5]], [0.3])


@pytest.mark.parametrize("level", [1, 2, 5])
def test_truncation_bound_lemma1_scalar(level):
    assert truncation_error_bound(SCALAR, level, 1.5) == pytest.approx(
        1.5 * level * 0.5 * 0.3 ** (level + 1)
    )


def test_euler_bound_lemma2_scalar_and_piecewise_forcing():
    assert euler_error_bound(SCALAR, 3, 2.0, 0.01) == pytest.approx(
        3 * 3**2.5 * 2.0 * 0.01 * (0.5 + 2.0 + 0.2) ** 2
    )
    piecewise = SCALAR.with_forcing([[0.2], [-0.7], [0.1]], [0.0, 1.0, 2.0])
    assert forcing_norm(piecewise) == pytest.approx(0.7)
    assert euler_error_bound(piecewise, 1, 1.0, 0.1) == pytest.approx(
        3 * 1.0 * 0.1 * (0.5 + 2.0 + 0.7) ** 2
    )


def test_norms_in_bounds_are_spectral_for_matrices():
    F1 = np.array([[-1.0, 2.0], [0.0, -1.0]])  # ||F1|| = 1 + sqrt(2)
    F2 = np.zeros((2, 4))
    F2[0, 0], F2[1, 3] = 3.0, 4.0  # ||F2|| = 4
    problem = PolynomialODE([3.0, 4.0], F1, F2, [0.6, 0.8])
    assert truncation_error_bound(problem, 2, 1.0) == pytest.approx(2 * 4.0 * 1.0)
    assert max_step_size(problem, 2) == pytest.approx(1 / (2 * (1 + np.sqrt(2))))
    assert euler_error_bound(problem, 1, 1.0, 1.0) == pytest.approx(
        3 * (4.0 + 1 + np.sqrt(2) + 5.0) ** 2
    )


def test_condition_and_success_bounds():
    assert condition_number_bound(10, 5) == 48
    assert success_probability_bound(10, 10, 2, 2.0) == pytest.approx(11 / (9 * 21 * 2 * 4))
    assert success_probability_bound(4, 0, 1, 1.0) == pytest.approx(1 / 45)


def test_step_size_check_warns_and_returns():
    assert max_step_size(SCALAR, 2) == pytest.approx(0.25)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_step_size(SCALAR, 2, 0.25)
    with pytest.warns(StepSizeWarning, match="0.3.*0.25"):
        assert not check_step_size(SCALAR, 2, 0.3)
    zero = PolynomialODE([0.0], [[0.0]], [[0.1]], [0.5])
    assert max_step_size(zero, 3) == np.inf


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: truncation_error_bound(SCALAR, 0, 1.0), ValueError),
        (lambda: truncation_error_bound(SCALAR, 2, -1.0), ValueError),
        (lambda: euler_error_bound(SCALAR, 2, 1.0, float("inf")), ValueError),
        (lambda: condition_number_bound(0, 1), ValueError),
        (lambda: condition_number_bound(3, -1), ValueError),
        (lambda: condition_number_bound(3.0, 1), TypeError),
        (lambda: success_probability_bound(3, 3, 1, 0.0), ValueError),
        (lambda: success_probability_bound(3, 3, 1, np.inf), ValueError),
    ],
)
def test_bad_arguments(call, error):
    with pytest.raises(error):
        call()


# ----------------------------------------------------------------------------------------------
# Lemmas 1 and 2 as bounds in a problem's own units: rescaled into their hypotheses first.


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
