"""Forward-Euler system L Y = B, its structured solve, and Lemmas 2, 3 and 5."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from _problems import dissipative_problem, exact_carleman_solution, small_problems
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.core.bounds import (
    StepSizeWarning,
    condition_number_bound,
    euler_error_bound,
    max_step_size,
    success_probability_bound,
)
from pennylane_qsgd.core.carleman import carleman_forcing, carleman_matrix, lift
from pennylane_qsgd.core.euler import euler_system, solve_euler, state_from_solution
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.core.reference import integrate_ode

SETTINGS = settings(max_examples=30, deadline=None)


def dense_system(problem: PolynomialODE, level: int, T: float, m: int, p: int):
    """L and B assembled densely from the block formula of L and B with np.kron and explicit |k><k-1|."""
    h = T / m
    blocks = m + p + 1
    A0 = carleman_matrix(problem, level).toarray()
    dim = A0.shape[0]
    eye = np.eye(dim)
    L = np.kron(np.eye(blocks), eye)
    B = np.kron(np.eye(blocks)[0], lift(problem.u_in, level))
    for k in range(1, blocks):
        shift = np.zeros((blocks, blocks))
        shift[k, k - 1] = 1.0
        if k <= m:
            t = (k - 1) * h
            step = eye + h * carleman_matrix(problem, level, t).toarray()
            L -= np.kron(shift, step)
            B += h * np.kron(np.eye(blocks)[k], carleman_forcing(problem, level, t))
        else:
            L -= np.kron(shift, eye)
    return L, B


@SETTINGS
@given(
    problem=small_problems(damped=True),
    level=st.integers(1, 3),
    T=st.floats(0.1, 1.0),
    m=st.integers(1, 6),
    p=st.integers(0, 5),
)
def test_system_matches_dense_formula(problem, level, T, m, p):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StepSizeWarning)
        L, B = euler_system(problem, level, T, m, p)
    L_ref, B_ref = dense_system(problem, level, T, m, p)
    np.testing.assert_allclose(L.toarray(), L_ref, atol=1e-14)
    np.testing.assert_allclose(B, B_ref, atol=1e-15)


@SETTINGS
@given(
    problem=small_problems(damped=True),
    level=st.integers(1, 3),
    T=st.floats(0.1, 1.0),
    m=st.integers(1, 8),
    p=st.one_of(st.none(), st.integers(0, 6)),
)
def test_forward_substitution_equals_sparse_direct_solve(problem, level, T, m, p):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StepSizeWarning)
        L, B = euler_system(problem, level, T, m, p)
        sol = solve_euler(problem, level, T, m, p, store_history=True)
    Y = spla.spsolve(sp.csc_array(L), B)
    p_eff = m if p is None else p
    dim = L.shape[0] // (m + p_eff + 1)
    scale = max(1.0, np.max(np.abs(Y)))
    np.testing.assert_allclose(sol.history.reshape(-1), Y, atol=1e-11 * scale)
    np.testing.assert_allclose(sol.norm_Y, np.linalg.norm(Y), rtol=1e-10)
    # Success: time index k in m..m+p and level-1 coordinate, read off the direct solution.
    s = problem.size
    picked = [Y[k * dim : k * dim + s] for k in range(m, m + p_eff + 1)]
    expected = sum(float(v @ v) for v in picked) / float(Y @ Y)
    np.testing.assert_allclose(sol.success_probability, expected, rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(state_from_solution(sol), Y / np.linalg.norm(Y), atol=1e-11)
    np.testing.assert_allclose(sol.u_final, Y[m * dim : m * dim + s], atol=1e-11 * scale)
    assert sol.idle == p_eff and sol.steps == m and sol.h == pytest.approx(T / m)


def test_linear_level_one_is_plain_forward_euler():
    problem = PolynomialODE([0.3, -0.2], [[-1.0, 0.5], [0.0, -2.0]], np.zeros((2, 4)), [1.0, 2.0])
    u = problem.u_in.copy()
    h = 0.1
    for _ in range(5):
        u = u + h * (np.array([0.3, -0.2]) + np.array([[-1.0, 0.5], [0.0, -2.0]]) @ u)
    sol = solve_euler(problem, 1, 0.5, 5)
    np.testing.assert_allclose(sol.u_final, u, rtol=1e-14)
    assert sol.idle == 5
    assert sol.q == pytest.approx(np.linalg.norm([1.0, 2.0]) / np.linalg.norm(u))


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("level", [1, 2, 3])
def test_euler_error_obeys_lemma2_and_is_first_order(seed, level):
    problem = dissipative_problem(seed)
    T = 1.0
    exact = exact_carleman_solution(problem, level, T)
    errors = []
    for m in (40, 80):
        h = T / m
        assert h <= max_step_size(problem, level)
        sol = solve_euler(problem, level, T, m)
        errors.append(np.linalg.norm(sol.final - exact))
        assert errors[-1] <= euler_error_bound(problem, level, T, h)
    assert 1.7 < errors[0] / errors[1] < 2.3


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(("level", "m", "p"), [(1, 6, 6), (2, 8, 3), (3, 5, 5), (2, 12, 0)])
def test_condition_number_obeys_lemma3(seed, level, m, p):
    problem = dissipative_problem(seed, s=2)
    T = m * max_step_size(problem, level)
    L, _ = euler_system(problem, level, T, m, p)
    assert np.linalg.cond(L.toarray()) <= condition_number_bound(m, p)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(("level", "m", "p"), [(1, 20, None), (2, 20, 5), (3, 15, 15), (2, 10, 0)])
def test_success_probability_obeys_lemma5(seed, level, m, p):
    problem = dissipative_problem(seed)
    T = 1.5
    sol = solve_euler(problem, level, T, m, p)
    q = np.linalg.norm(problem.u_in) / np.linalg.norm(integrate_ode(problem, T))
    assert sol.success_probability >= success_probability_bound(m, sol.idle, level, q)


def test_step_size_warning_states_the_numbers():
    problem = PolynomialODE([0.0], [[-4.0]], [[0.1]], [0.5])
    with pytest.warns(StepSizeWarning, match=r"h = 0\.5 exceeds 1/\(N \|\|F1\|\|\) = 0\.125"):
        solve_euler(problem, 2, 1.0, 2)
    with pytest.warns(StepSizeWarning, match="0.125"):
        euler_system(problem, 2, 1.0, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solve_euler(problem, 2, 1.0, 8)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"steps": 0}, ValueError, "steps"),
        ({"steps": 2.5}, TypeError, "steps"),
        ({"idle": -1}, ValueError, "idle"),
        ({"idle": 1.0}, TypeError, "idle"),
        ({"T": 0.0}, ValueError, "T"),
        ({"T": float("nan")}, ValueError, "T"),
        ({"T": "1"}, TypeError, "T"),
        ({"level": 0}, ValueError, "level"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    problem = PolynomialODE([0.0], [[-1.0]], [[0.1]], [0.5])
    args = {"level": 2, "T": 1.0, "steps": 4, "idle": None} | kwargs
    with pytest.raises(error, match=match):
        solve_euler(problem, **args)
    with pytest.raises(error, match=match):
        euler_system(problem, **args)


def test_state_requires_history():
    problem = PolynomialODE([0.0], [[-1.0]], [[0.1]], [0.5])
    with pytest.raises(ValueError, match="store_history"):
        state_from_solution(solve_euler(problem, 2, 1.0, 4))
