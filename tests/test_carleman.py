"""Carleman embedding: lift, the block-tridiagonal matrix, truncation error (Lemma 1)."""

from __future__ import annotations

from functools import reduce

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
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
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.core.reference import integrate_ode

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def small_problems(draw, max_s: int = 3, max_pieces: int = 3) -> PolynomialODE:
    """Random sparse problems with optional piecewise forcing (values unconstrained)."""
    s = draw(st.integers(1, max_s))
    pieces = draw(st.integers(1, max_pieces))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    density = draw(st.sampled_from([0.3, 0.6, 1.0]))
    F1 = sp.random(s, s, density=density, random_state=rng, data_rvs=rng.standard_normal)
    F2 = sp.random(s, s * s, density=density, random_state=rng, data_rvs=rng.standard_normal)
    F0 = rng.standard_normal((pieces, s)) * (rng.random((pieces, s)) < density)
    times = np.cumsum(np.r_[0.0, rng.uniform(0.1, 1.0, pieces - 1)]) if pieces > 1 else None
    return PolynomialODE(F0, F1, F2, rng.standard_normal(s), times)


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


def dissipative_problem(seed: int, s: int = 3, norm_u: float = 0.4) -> PolynomialODE:
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((s, s)))[0]
    F1 = -Q @ np.diag(rng.uniform(1.0, 2.0, s)) @ Q.T
    F2 = 0.3 * rng.standard_normal((s, s * s))
    F0 = 0.02 * rng.standard_normal(s)
    u = rng.standard_normal(s)
    return PolynomialODE(F0, F1, F2, norm_u * u / np.linalg.norm(u))


def dissipation_ratio_by_definition(problem: PolynomialODE) -> float:
    F1, F2 = problem.F1.toarray(), problem.F2.toarray()
    re_lambda1 = np.max(np.linalg.eigvals(F1).real)
    norm_u = np.linalg.norm(problem.u_in)
    numerator = norm_u * np.linalg.norm(F2, 2) + np.linalg.norm(problem.F0[0]) / norm_u
    return numerator / abs(re_lambda1)


def exact_carleman_solution(problem: PolynomialODE, level: int, T: float) -> np.ndarray:
    """y(T) of dy/dt = A y + b by the exponential of the augmented matrix [[A, b], [0, 0]]."""
    A = carleman_matrix(problem, level).toarray()
    dim = A.shape[0]
    aug = np.zeros((dim + 1, dim + 1))
    aug[:dim, :dim] = A
    aug[:dim, dim] = carleman_forcing(problem, level)
    return (sla.expm(T * aug) @ np.r_[lift(problem.u_in, level), 1.0])[:dim]


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
