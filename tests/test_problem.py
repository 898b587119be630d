"""The polynomial ODE problem: validation, right-hand side, rescaling and shifting."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.core.problem import PolynomialODE


def random_problem(rng: np.random.Generator, s: int) -> PolynomialODE:
    F1 = rng.standard_normal((s, s))
    F2 = sp.random_array((s, s * s), density=0.3, rng=rng)
    return PolynomialODE(rng.standard_normal(s), F1, F2, rng.standard_normal(s))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 5), st.integers(0, 2**31 - 1))
def test_rhs_matches_explicit_sum(s, seed):
    rng = np.random.default_rng(seed)
    problem = random_problem(rng, s)
    u = rng.standard_normal(s)
    F2 = problem.F2.toarray().reshape(s, s, s)
    expected = problem.F0[0] + problem.F1.toarray() @ u + np.einsum("abc,b,c->a", F2, u, u)
    np.testing.assert_allclose(problem.rhs(0.0, u), expected, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(0, 2**31 - 1), st.floats(0.1, 10.0))
def test_rescaled_problem_describes_u_over_gamma(s, seed, gamma):
    rng = np.random.default_rng(seed)
    problem = random_problem(rng, s)
    v = rng.standard_normal(s)
    scaled = problem.rescaled(gamma)
    # dv/dt = (du/dt)/gamma evaluated at u = gamma v
    np.testing.assert_allclose(scaled.rhs(0.0, v), problem.rhs(0.0, gamma * v) / gamma, atol=1e-10)
    np.testing.assert_allclose(scaled.u_in, problem.u_in / gamma)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_shifted_problem_describes_u_minus_centre(s, seed):
    rng = np.random.default_rng(seed)
    problem = random_problem(rng, s)
    centre = rng.standard_normal(s)
    w = rng.standard_normal(s)
    shifted = problem.shifted(centre)
    np.testing.assert_allclose(shifted.rhs(0.0, w), problem.rhs(0.0, w + centre), atol=1e-9)


def test_jacobian_matches_finite_differences():
    rng = np.random.default_rng(3)
    problem = random_problem(rng, 3)
    u = rng.standard_normal(3)
    eps = 1e-6
    numeric = np.column_stack(
        [(problem.rhs(0, u + eps * e) - problem.rhs(0, u - eps * e)) / (2 * eps) for e in np.eye(3)]
    )
    np.testing.assert_allclose(problem.jacobian(u).toarray(), numeric, atol=1e-6)


def test_piecewise_forcing_selects_the_right_piece():
    problem = PolynomialODE(
        F0=[[1.0], [2.0], [3.0]], F1=[[-1.0]], F2=[[0.0]], u_in=[0.0], forcing_times=[0, 1, 2.5]
    )
    assert problem.is_time_dependent
    assert [problem.forcing(t)[0] for t in (0.0, 0.99, 1.0, 2.4, 2.5, 10.0)] == [1, 1, 2, 2, 3, 3]


@settings(max_examples=40, deadline=None)
@given(
    gaps=st.lists(st.floats(0.1, 2.0), max_size=4),
    T=st.floats(0.0, 8.0),
    times=st.lists(st.floats(-1.0, 9.0), min_size=1, max_size=6),
)
def test_forcing_pieces_and_segments_follow_the_start_times(gaps, T, times):
    starts = np.cumsum([0.0, *gaps])
    problem = PolynomialODE(np.arange(starts.size)[:, None], [[-1.0]], [[0.0]], [0.0], starts)
    # Piece active at t: the last start <= t, by a plain scan (0 before the first start).
    expected = [max([k for k, s in enumerate(starts) if s <= t], default=0) for t in times]
    assert problem.forcing_piece(np.array(times)).tolist() == expected
    assert [problem.forcing_piece(t) for t in times] == expected
    assert [problem.forcing(t)[0] for t in times] == expected
    segments = problem.forcing_segments(T)
    # The segments tile [0, T], each inside its piece's interval [starts[k], starts[k+1]).
    assert segments[0][0] == 0.0 and segments[-1][1] == T
    assert [k for _, _, k in segments] == list(range(len(segments)))
    for (start, end, k), following in zip(segments, segments[1:] + [None], strict=True):
        assert start == starts[k] and start <= end
        if following is not None:
            assert end == following[0] == starts[k + 1] and end < T
    assert len(segments) == max(1, int(np.sum(starts < T)))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(F0=[0.0], F1=[[-1.0, 0.0]], F2=[[0.0]], u_in=[0.0]), "square"),
        (dict(F0=[0.0], F1=[[-1.0]], F2=[[0.0, 1.0]], u_in=[0.0]), "F2 must have shape"),
        (dict(F0=[0.0, 1.0], F1=[[-1.0]], F2=[[0.0]], u_in=[0.0]), "F0 must have shape"),
        (dict(F0=[0.0], F1=[[np.nan]], F2=[[0.0]], u_in=[0.0]), "NaN"),
        (dict(F0=[np.inf], F1=[[-1.0]], F2=[[0.0]], u_in=[0.0]), "NaN or Inf"),
        (dict(F0=[0.0], F1=[[-1.0]], F2=[[0.0]], u_in=[0.0, 1.0]), "u_in must have shape"),
        (dict(F0=[[0.0], [1.0]], F1=[[-1.0]], F2=[[0.0]], u_in=[0.0]), "forcing_times"),
        (
            dict(F0=[[0.0], [1.0]], F1=[[-1.0]], F2=[[0.0]], u_in=[0.0], forcing_times=[0, 0]),
            "increase strictly",
        ),
        (dict(F0=np.zeros(0), F1=np.zeros((0, 0)), F2=np.zeros((0, 0)), u_in=[]), "at least one"),
    ],
)
def test_bad_input_raises_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PolynomialODE(**kwargs)


def test_rescale_rejects_non_positive_gamma():
    problem = PolynomialODE(F0=[0.0], F1=[[-1.0]], F2=[[0.0]], u_in=[1.0])
    with pytest.raises(ValueError, match="gamma"):
        problem.rescaled(0.0)
