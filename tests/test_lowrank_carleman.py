"""Low-rank level-2 Euler-Carleman solve against the dense forward substitution."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse.linalg as spla
from _problems import dissipative_problem, small_problems
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.core.bounds import StepSizeWarning
from pennylane_qsgd.core.euler import solve_euler
from pennylane_qsgd.core.lowrank_carleman import (
    RankCapError,
    check_dense_route,
    dense_route_memory_estimate,
    pair_product_from_matrix,
    solve_euler_lowrank,
    solve_problem_lowrank,
)
from pennylane_qsgd.core.memory import ENV_VAR, MemoryBudgetError

SETTINGS = settings(max_examples=30, deadline=None)


def _dense(problem, level, T, m, p):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StepSizeWarning)
        return solve_euler(problem, level, T, m, p)


def _assert_same(low, dense):
    scale = max(1.0, float(np.abs(dense.final).max()))
    np.testing.assert_allclose(low.final(), dense.final, atol=1e-12 * scale, rtol=0)
    np.testing.assert_allclose(low.norm_Y, dense.norm_Y, rtol=1e-12)
    np.testing.assert_allclose(low.success_probability, dense.success_probability, atol=1e-12)


@SETTINGS
@given(
    problem=small_problems(max_s=4, damped=True),
    level=st.integers(1, 2),
    T=st.floats(0.1, 1.0),
    m=st.integers(1, 8),
    p=st.one_of(st.none(), st.integers(0, 5)),
)
def test_zero_tolerance_reproduces_dense_forward_substitution(problem, level, T, m, p):
    """Random sparse problems with piecewise forcing: tol = 0 is the dense Euler-Carleman solve."""
    low = solve_problem_lowrank(problem, level, T, m, p, tol=0.0)
    dense = _dense(problem, level, T, m, p)
    _assert_same(low, dense)
    assert low.truncation_error == 0.0
    assert low.steps == dense.steps and low.idle == dense.idle


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), s=st.sampled_from([5, 16, 64]), m=st.integers(1, 6))
def test_dissipative_problems_up_to_s64(seed, s, m):
    problem = dissipative_problem(seed, s)
    low = solve_problem_lowrank(problem, 2, 1.0, m, tol=0.0)
    _assert_same(low, _dense(problem, 2, 1.0, m, None))
    # the default tolerance drops almost nothing here and changes u(T) accordingly little
    default = solve_problem_lowrank(problem, 2, 1.0, m)
    dense_u = _dense(problem, 2, 1.0, m, None).u_final
    assert np.linalg.norm(default.u_final - dense_u) <= 1e-6 * np.linalg.norm(dense_u)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), tol=st.sampled_from([1e-4, 1e-2, 1e-1]))
def test_discarded_mass_bounds_level2_error_for_a_contractive_level2(seed, tol):
    """F0 = 0 decouples level 2; with F1 symmetric, eigenvalues in [-2, -1] and h <= 1/4 its
    Euler map is a Frobenius contraction, so the level-2 error is at most the dropped mass."""
    problem = dissipative_problem(seed, 12).with_forcing(np.zeros(12))
    m = 8  # h = 1/8
    low = solve_problem_lowrank(problem, 2, 1.0, m, tol=tol)
    Y2 = _dense(problem, 2, 1.0, m, None).final[12:].reshape(12, 12)
    err = np.linalg.norm(low.level2() - Y2)
    assert err <= low.truncation_error * (1 + 1e-9) + 1e-14


def test_truncation_drops_mass_and_lowers_rank():
    problem = dissipative_problem(3, 30)
    exact = solve_problem_lowrank(problem, 2, 1.0, 10, tol=0.0)
    loose = solve_problem_lowrank(problem, 2, 1.0, 10, tol=1e-3)
    assert loose.max_rank_reached < exact.max_rank_reached
    assert loose.truncation_error > 0
    assert np.all(loose.ranks <= 2 * np.arange(1, 11) + 1)  # rank grows by at most 2 a step


def test_matrix_free_F1_and_pair_product_match_matrices():
    problem = dissipative_problem(7, 9)
    F1 = problem.F1.toarray()
    matvec_only = solve_euler_lowrank(
        problem.F0[0],
        lambda v: F1 @ v,
        pair_product_from_matrix(problem.F2),
        problem.u_in,
        1.0,
        5,
        tol=0.0,
    )
    as_operator = solve_euler_lowrank(
        problem.F0[0],
        spla.aslinearoperator(F1),
        pair_product_from_matrix(problem.F2.toarray()),
        problem.u_in,
        1.0,
        5,
        tol=0.0,
    )
    dense = _dense(problem, 2, 1.0, 5, None)
    for low in (matvec_only, as_operator):
        np.testing.assert_allclose(low.u_final, dense.u_final, atol=1e-13)
    assert matvec_only.f1_products == sum(1 + r for r in [1, *matvec_only.ranks[:-1]])


def test_zero_initial_state_starts_from_an_empty_factor():
    problem = dissipative_problem(1, 6).with_initial_state(np.zeros(6))
    low = solve_problem_lowrank(problem, 2, 1.0, 4, tol=0.0)
    _assert_same(low, _dense(problem, 2, 1.0, 4, None))
    assert low.ranks[0] <= 2  # F0 y1^T + y1 F0^T with y1 = 0: rank 0 after the first step


def test_rank_cap_raises_with_the_step():
    problem = dissipative_problem(2, 20)
    with pytest.raises(RankCapError, match="max_rank = 3") as info:
        solve_problem_lowrank(problem, 2, 1.0, 10, tol=0.0, max_rank=3)
    assert info.value.step >= 1 and info.value.rank > 3


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tol": -1.0}, "tol"),
        ({"max_rank": 0}, "max_rank"),
        ({"level": 3}, "level"),
        ({"steps": 0}, "steps"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    args = {"steps": 3, **kwargs}
    steps = args.pop("steps")
    with pytest.raises((ValueError, TypeError), match=match):
        solve_euler_lowrank([0.0], [[-1.0]], None, [0.1], 1.0, steps, **args)


def test_divergence_is_reported():
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match="not finite"):
        solve_euler_lowrank(
            [0.0], [[1.0]], pair_product_from_matrix([[1e200]]), [1e100], 1.0, 3, tol=0.0
        )


def test_dense_route_refused_before_allocating(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "1G")
    s = 2000  # T3 alone is 64 GB
    assert dense_route_memory_estimate(s) >= 8 * s**3
    with pytest.raises(MemoryBudgetError, match="low-rank route"):
        check_dense_route(s)
    assert check_dense_route(16) == dense_route_memory_estimate(16)


def test_dense_route_estimate_covers_the_dense_solve(monkeypatch):
    """The estimate is at least what solve_euler itself checks for a dense F1, F2."""
    from pennylane_qsgd.core.carleman import carleman_memory_estimate

    problem = dissipative_problem(0, 12)
    needed = carleman_memory_estimate(problem, 2, include_forcing=False)
    assert dense_route_memory_estimate(12) >= needed + 8 * 12**3


def test_stored_path_is_the_level1_history_of_the_dense_solve():
    problem = dissipative_problem(4, 7)
    low = solve_problem_lowrank(problem, 2, 1.0, 6, tol=0.0, store_path=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StepSizeWarning)
        dense = solve_euler(problem, 2, 1.0, 6, store_history=True)
    np.testing.assert_allclose(low.u_path, dense.history[:7, :7], atol=1e-13)
