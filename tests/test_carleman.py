"""Carleman embedding: lift, the block-tridiagonal matrix, truncation error (Lemma 1)."""

from __future__ import annotations

from functools import reduce

import numpy as np
import pytest
from _problems import dissipative_problem, exact_carleman_solution, small_problems
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.core.bounds import truncation_error_bound
from pennylane_qsgd.core.carleman import (
    carleman_dimension,
    carleman_forcing,
    carleman_matrix,
    carleman_memory_estimate,
    carleman_nnz_estimate,
    forcing_block_matvec,
    lift,
)
from pennylane_qsgd.core.carleman_flow import carleman_flow
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.core.reference import integrate_ode

SETTINGS = settings(max_examples=40, deadline=None)


def kron_power(u: np.ndarray, j: int) -> np.ndarray:
    return reduce(np.kron, [u] * j) if j else np.ones(1)


def truncated_derivative(problem: PolynomialODE, u: np.ndarray, level: int, t: float) -> np.ndarray:
    """d/dt u^(x)j = sum_i u^(i-1) (x) rhs (x) u^(j-i), dropping the degree-(N+1) part at level N."""
    f0, F1, F2 = problem.forcing(t), problem.F1.toarray(), problem.F2.toarray()
    out = []
    for j in range(1, level + 1):
        rhs = f0 + F1 @ u + (F2 @ np.kron(u, u) if j < level else 0.0)
        out.append(
            sum(
                np.kron(np.kron(kron_power(u, i - 1), rhs), kron_power(u, j - i))
                for i in range(1, j + 1)
            )
        )
    return np.concatenate(out)


@SETTINGS
@given(problem=small_problems(), level=st.integers(1, 4), t=st.floats(0.0, 3.0))
def test_matrix_gives_truncated_derivative_of_lifted_state(problem, level, t):
    u = problem.u_in
    A = carleman_matrix(problem, level, t)
    b = carleman_forcing(problem, level, t)
    dim = carleman_dimension(problem.size, level)
    assert A.shape == (dim, dim) and b.shape == (dim,)
    expected = truncated_derivative(problem, u, level, t)
    np.testing.assert_allclose(A @ lift(u, level) + b, expected, rtol=1e-11, atol=1e-11)


@SETTINGS
@given(problem=small_problems(), level=st.integers(1, 4), t=st.floats(0.0, 3.0))
def test_matrix_free_forcing_blocks_match_full_matrix(problem, level, t):
    rng = np.random.default_rng(0)
    y = rng.standard_normal(carleman_dimension(problem.size, level))
    fixed = carleman_matrix(problem, level, t, include_forcing=False)
    full = carleman_matrix(problem, level, t)
    split = fixed @ y + forcing_block_matvec(problem.forcing(t), y, problem.size, level)
    np.testing.assert_allclose(split, full @ y, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(problem=small_problems(max_pieces=1), level=st.integers(1, 4))
def test_matrix_is_block_tridiagonal_with_kronecker_sum_blocks(problem, level):
    s = problem.size
    A = carleman_matrix(problem, level).toarray()
    edges = np.cumsum([0] + [s**j for j in range(1, level + 1)])
    F = {
        -1: problem.F0[0].reshape(s, 1),
        0: problem.F1.toarray(),
        1: problem.F2.toarray(),
    }
    for j in range(1, level + 1):
        for k in range(1, level + 1):
            block = A[edges[j - 1] : edges[j], edges[k - 1] : edges[k]]
            if k - j in F:
                expected = sum(
                    np.kron(np.kron(np.eye(s ** (i - 1)), F[k - j]), np.eye(s ** (j - i)))
                    for i in range(1, j + 1)
                )
                np.testing.assert_allclose(block, expected, atol=1e-14)
            else:
                assert not np.any(block)


def test_lift_and_dimension():
    u = np.array([0.5, -2.0, 3.0])
    y = lift(u, 3)
    assert carleman_dimension(3, 3) == 3 + 9 + 27 == y.size
    np.testing.assert_array_equal(y[3:12], np.outer(u, u).reshape(-1))
    np.testing.assert_array_equal(y[12:], np.einsum("i,j,k->ijk", u, u, u).reshape(-1))
    assert carleman_dimension(2000, 4) == 2000 + 2000**2 + 2000**3 + 2000**4


@pytest.mark.parametrize("bad", [0, -1])
def test_bad_level_value(bad):
    problem = PolynomialODE([0.0], [[-1.0]], [[0.1]], [0.5])
    with pytest.raises(ValueError, match="level"):
        carleman_matrix(problem, bad)
    with pytest.raises(ValueError, match="level"):
        lift(problem.u_in, bad)


@pytest.mark.parametrize("bad", [1.5, 2.0, True, "2"])
def test_bad_level_type(bad):
    problem = PolynomialODE([0.0], [[-1.0]], [[0.1]], [0.5])
    with pytest.raises(TypeError, match="level"):
        carleman_matrix(problem, bad)


@SETTINGS
@given(problem=small_problems(), level=st.integers(1, 4))
def test_memory_estimate_bounds_the_built_matrix(problem, level):
    A = carleman_matrix(problem, level)
    assert carleman_nnz_estimate(problem, level) >= A.nnz
    built = A.data.nbytes + A.indices.nbytes + A.indptr.nbytes
    assert carleman_memory_estimate(problem, level) >= built


def dissipation_ratio_by_definition(problem: PolynomialODE) -> float:
    F1, F2 = problem.F1.toarray(), problem.F2.toarray()
    re_lambda1 = np.max(np.linalg.eigvals(F1).real)
    norm_u = np.linalg.norm(problem.u_in)
    numerator = norm_u * np.linalg.norm(F2, 2) + np.linalg.norm(problem.F0[0]) / norm_u
    return numerator / abs(re_lambda1)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_truncation_error_falls_geometrically_and_obeys_lemma1(seed):
    problem = dissipative_problem(seed)
    assert dissipation_ratio_by_definition(problem) < 1
    T = 2.0
    u_T = integrate_ode(problem, T)
    errors = []
    for level in range(1, 6):
        y = exact_carleman_solution(problem, level, T)
        errors.append(np.linalg.norm(y[: problem.size] - u_T))
        # Lemma 1 bounds every level j against u(T)^(x)j
        offsets = np.cumsum([0] + [problem.size**j for j in range(1, level + 1)])
        bound = truncation_error_bound(problem, level, T)
        for j in range(1, level + 1):
            exact_j = kron_power(u_T, j)
            assert np.linalg.norm(y[offsets[j - 1] : offsets[j]] - exact_j) <= bound
    ratios = np.array(errors[1:]) / np.array(errors[:-1])
    assert np.all(ratios < 0.5), ratios
    assert errors[-1] < 1e-3 * errors[0]


def test_linear_problem_is_exact_at_level_one():
    rng = np.random.default_rng(7)
    F1 = -np.eye(3) + 0.3 * rng.standard_normal((3, 3))
    problem = PolynomialODE(rng.standard_normal(3), F1, np.zeros((3, 9)), rng.standard_normal(3))
    y = exact_carleman_solution(problem, 1, 1.5)
    np.testing.assert_allclose(y, integrate_ode(problem, 1.5), rtol=1e-9, atol=1e-11)


@SETTINGS
@given(problem=small_problems(damped=True), level=st.integers(1, 3), T=st.floats(0.0, 2.0))
def test_flow_composes_the_exact_solution_of_each_forcing_piece(problem, level, T):
    edges = np.r_[problem.forcing_times, np.inf]
    y = lift(problem.u_in, level)
    for start, end in zip(edges[:-1], edges[1:], strict=True):
        if min(end, T) > start:
            y = exact_carleman_solution(problem, level, min(end, T) - start, y, t=start)
    np.testing.assert_allclose(carleman_flow(problem, level, T), y, rtol=1e-9, atol=1e-10)
