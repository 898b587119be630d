"""Discrete-time Carleman embedding of the gradient-descent map."""

from __future__ import annotations

from functools import reduce

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.core.discrete_carleman import (
    discrete_carleman_matrix,
    discrete_carleman_memory_estimate,
    discrete_lift,
    iterate_discrete_carleman,
)
from pennylane_qsgd.core.memory import MemoryBudgetError
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.core.reference import gradient_descent_map

SETTINGS = settings(max_examples=30, deadline=None)


def random_problem(seed: int, s: int, pieces: int = 1, quadratic: float = 0.3) -> PolynomialODE:
    rng = np.random.default_rng(seed)
    F1 = -0.5 * np.eye(s) + 0.2 * rng.standard_normal((s, s))
    F2 = quadratic * sp.random(s, s * s, density=0.5, random_state=rng).toarray()
    F0 = 0.1 * rng.standard_normal((pieces, s))
    times = np.arange(pieces) * 2.0 if pieces > 1 else None
    return PolynomialODE(F0, F1, F2, 0.5 * rng.standard_normal(s), times)


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    s=st.integers(1, 3),
    level=st.integers(1, 3),
    steps=st.integers(0, 8),
    pieces=st.integers(1, 3),
)
def test_exact_for_linear_map(seed, s, level, steps, pieces):
    problem = random_problem(seed, s, pieces, quadratic=0.0)
    np.testing.assert_allclose(
        iterate_discrete_carleman(problem, level, steps),
        gradient_descent_map(problem, steps),
        rtol=1e-12,
        atol=1e-14,
    )


def map_image(problem: PolynomialODE, x: np.ndarray, t: float = 0.0) -> np.ndarray:
    c, F1, F2 = problem.forcing(t), problem.F1.toarray(), problem.F2.toarray()
    return c + x + F1 @ x + F2 @ np.kron(x, x)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), s=st.integers(1, 2), level=st.integers(1, 4))
def test_blocks_keep_exactly_the_monomials_up_to_degree_N(seed, s, level):
    """Level j of D z(x) is the part of (x')^(x)j of degree <= N in x.

    With x = eps v, (x')^(x)j is a polynomial of degree 2j in eps whose eps^d coefficient is the
    degree-d part; recover the coefficients by polynomial interpolation and keep d <= N.
    """
    problem = random_problem(seed, s)
    v = np.random.default_rng(seed + 1).standard_normal(s)
    D = discrete_carleman_matrix(problem, level)
    image = D @ discrete_lift(v, level)
    assert image[0] == 1.0
    edges = 1 + np.cumsum([0] + [s**j for j in range(1, level + 1)])
    for j in range(1, level + 1):
        degree = 2 * j
        eps = np.cos(np.pi * (np.arange(degree + 1) + 0.5) / (degree + 1))
        values = np.array([reduce(np.kron, [map_image(problem, e * v)] * j) for e in eps])
        coeffs = np.linalg.solve(np.vander(eps, degree + 1, increasing=True), values)
        np.testing.assert_allclose(
            image[edges[j - 1] : edges[j]], coeffs[: level + 1].sum(axis=0), rtol=1e-9, atol=1e-11
        )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_error_decreases_with_level_for_small_state(seed):
    rng = np.random.default_rng(seed)
    s = 3
    F1 = -0.5 * np.eye(s) + 0.1 * rng.standard_normal((s, s))  # I + F1 a contraction
    assert np.linalg.norm(np.eye(s) + F1, 2) < 0.9
    F2 = 0.3 * rng.standard_normal((s, s * s))
    u = rng.standard_normal(s)
    problem = PolynomialODE(0.02 * rng.standard_normal(s), F1, F2, 0.3 * u / np.linalg.norm(u))
    reference = gradient_descent_map(problem, 10)
    errors = [
        np.max(np.abs(iterate_discrete_carleman(problem, level, 10) - reference))
        for level in range(1, 6)
    ]
    assert all(b < 0.5 * a for a, b in zip(errors, errors[1:], strict=False)), errors
    assert errors[-1] < 1e-2 * errors[0]


def test_constant_coordinate_and_shape():
    problem = random_problem(0, 2)
    D = discrete_carleman_matrix(problem, 3)
    assert D.shape == (1 + 2 + 4 + 8,) * 2
    np.testing.assert_array_equal(D[[0], :].toarray().ravel(), np.eye(15)[0])
    np.testing.assert_allclose(D[1:3, [0]].toarray().ravel(), problem.F0[0])


def test_memory_guard(monkeypatch):
    s = 300
    problem = PolynomialODE(
        np.ones(s), -sp.identity(s), sp.random(s, s * s, density=1e-4, random_state=0), np.ones(s)
    )
    monkeypatch.setenv("QSGD_MEMORY_LIMIT", "64M")
    assert discrete_carleman_memory_estimate(problem, 3) > 64 * 2**20
    with pytest.raises(MemoryBudgetError, match="discrete Carleman"):
        discrete_carleman_matrix(problem, 3)


def test_bad_arguments():
    problem = random_problem(0, 2)
    with pytest.raises(ValueError, match="level"):
        discrete_carleman_matrix(problem, 0)
    with pytest.raises(ValueError, match="steps"):
        iterate_discrete_carleman(problem, 2, -1)
