"""Dissipation quantities against their definitions (PNAS section 2)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.core.dissipation import (
    NonDiagonalisableWarning,
    dissipation,
    dissipation_ratio,
    leading_eigenvalue,
    provable_interval,
    rescale_to_unit_ball,
)
from pennylane_qsgd.core.problem import PolynomialODE


def random_dissipative(rng, s, shift=2.0):
    F1 = rng.standard_normal((s, s)) * 0.3 - shift * np.eye(s)
    F2 = rng.standard_normal((s, s * s)) * 0.2
    return PolynomialODE(rng.standard_normal(s) * 0.1, F1, F2, rng.standard_normal(s) * 0.5)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(0, 2**31 - 1))
def test_ratio_matches_definition(s, seed):
    rng = np.random.default_rng(seed)
    problem = random_dissipative(rng, s)
    F1 = problem.F1.toarray()
    lam = np.linalg.eigvals(F1)
    re1 = lam.real.max()
    norm_u = np.linalg.norm(problem.u_in)
    expected = (
        norm_u * np.linalg.norm(problem.F2.toarray(), 2) + np.linalg.norm(problem.F0[0]) / norm_u
    ) / abs(re1)
    assert dissipation_ratio(problem) == pytest.approx(expected, rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5), st.integers(0, 2**31 - 1), st.floats(0.05, 20.0))
def test_ratio_is_invariant_under_rescaling(s, seed, gamma):
    problem = random_dissipative(np.random.default_rng(seed), s)
    assert dissipation_ratio(problem.rescaled(gamma)) == pytest.approx(
        dissipation_ratio(problem), rel=1e-8
    )


@settings(max_examples=40, deadline=None)
@given(st.floats(0.1, 5.0), st.floats(0.0, 2.0), st.floats(0.0, 2.0), st.floats(0.01, 10.0))
def test_interval_is_where_ratio_is_below_one(a, n0, n2, norm_u):
    r_minus, r_plus = provable_interval(-a, n0, n2)
    R = (norm_u * n2 + n0 / norm_u) / a
    if np.isnan(r_minus):
        assert R >= 1 - 1e-9
    elif r_minus * (1 + 1e-9) < norm_u < r_plus * (1 - 1e-9):
        assert R < 1
    elif norm_u < r_minus * (1 - 1e-9) or norm_u > r_plus * (1 + 1e-9):
        assert R > 1


def test_non_dissipative_problem_has_infinite_ratio():
    problem = PolynomialODE(F0=[0.0], F1=[[0.5]], F2=[[0.0]], u_in=[1.0])
    summary = dissipation(problem)
    assert not summary.is_dissipative and np.isinf(summary.R) and not summary.is_provable


def test_sparse_eigen_solver_agrees_with_dense_for_large_matrices():
    rng = np.random.default_rng(0)
    s = 1600
    diag = -1.0 - rng.random(s)
    F1 = sp.diags_array([diag, 0.05 * np.ones(s - 1)], offsets=[0, 1]).tocsr()
    assert leading_eigenvalue(F1).real == pytest.approx(diag.max(), rel=1e-6)


def test_jordan_block_warns_non_diagonalisable():
    with pytest.warns(NonDiagonalisableWarning):
        leading_eigenvalue(np.array([[-1.0, 1.0], [0.0, -1.0]]))


def test_rescaling_puts_initial_state_in_unit_ball():
    problem = PolynomialODE(F0=[0.1, 0.0], F1=-np.eye(2), F2=np.zeros((2, 4)), u_in=[3.0, 4.0])
    scaled, gamma = rescale_to_unit_ball(problem, 0.5)
    assert gamma == pytest.approx(10.0)
    assert np.linalg.norm(scaled.u_in) == pytest.approx(0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert dissipation_ratio(scaled) == pytest.approx(dissipation_ratio(problem))
    with pytest.raises(ValueError, match="target_norm"):
        rescale_to_unit_ball(problem, 1.5)


@settings(max_examples=20, deadline=None)
@given(size=st.integers(1, 12), symmetric=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_leading_eigenvalue_and_norm_match_numpy(size, symmetric, seed):
    rng = np.random.default_rng(seed)
    F1 = rng.standard_normal((size, size))
    if symmetric:
        F1 = F1 + F1.T
    problem = PolynomialODE(np.zeros(size), F1, np.zeros((size, size * size)), np.ones(size))
    info = dissipation(problem)
    assert info.norm_F1 == pytest.approx(np.linalg.svd(F1, compute_uv=False)[0], rel=1e-12)
    assert info.re_lambda1 == pytest.approx(np.linalg.eigvals(F1).real.max(), rel=1e-9, abs=1e-12)
