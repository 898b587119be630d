"""Classical references against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.core.reference import gradient_descent_map, integrate_ode


def logistic(a: float, b: float, u0: float, t: np.ndarray) -> np.ndarray:
    """Solution of du/dt = a u - b u^2."""
    e = np.exp(a * t)
    return a * u0 * e / (a + b * u0 * (e - 1))


@pytest.mark.parametrize("method", ["DOP853", "Radau"])
def test_logistic_closed_form(method):
    a, b, u0 = -1.3, 0.7, 0.9
    problem = PolynomialODE([0.0], [[a]], [[-b]], [u0])
    t = np.array([2.0, 0.0, 0.5, 3.0, 1.25])
    tol = 1e-11 if method == "DOP853" else 1e-7
    out = integrate_ode(problem, 3.0, t_eval=t, method=method, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out[:, 0], logistic(a, b, u0, t), rtol=tol, atol=tol)
    np.testing.assert_allclose(integrate_ode(problem, 3.0), [logistic(a, b, u0, 3.0)], rtol=1e-12)


def affine_flow(F0: np.ndarray, F1: np.ndarray, u: np.ndarray, t: float) -> np.ndarray:
    """u(t) of du/dt = F0 + F1 u via the exponential of [[F1, F0], [0, 0]]."""
    s = F1.shape[0]
    aug = np.zeros((s + 1, s + 1))
    aug[:s, :s], aug[:s, s] = F1, F0
    return (sla.expm(t * aug) @ np.r_[u, 1.0])[:s]


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), pieces=st.integers(1, 4), T=st.floats(0.1, 3.0))
def test_piecewise_forcing_matches_composed_closed_form(seed, pieces, T):
    rng = np.random.default_rng(seed)
    s = 3
    F1 = -np.eye(s) + 0.4 * rng.standard_normal((s, s))
    F0 = rng.standard_normal((pieces, s))
    times = np.cumsum(np.r_[0.0, rng.uniform(0.2, 1.0, pieces - 1)])
    problem = PolynomialODE(F0, F1, np.zeros((s, s * s)), rng.standard_normal(s), times)
    t_eval = np.sort(rng.uniform(0, T, 4))
    # compose the exact flow piece by piece
    edges = np.r_[times, np.inf]

    def exact(t: float) -> np.ndarray:
        u = problem.u_in
        for k in range(pieces):
            start, end = edges[k], min(edges[k + 1], t)
            if end > start:
                u = affine_flow(F0[k], F1, u, end - start)
        return u

    out = integrate_ode(problem, T, t_eval=t_eval)
    expected = np.array([exact(t) for t in t_eval])
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(integrate_ode(problem, T), exact(T), rtol=1e-9, atol=1e-10)


def test_zero_horizon_and_bad_times():
    problem = PolynomialODE([0.1], [[-1.0]], [[0.1]], [0.5])
    np.testing.assert_array_equal(integrate_ode(problem, 0.0), [0.5])
    with pytest.raises(ValueError, match="T"):
        integrate_ode(problem, -1.0)
    with pytest.raises(ValueError, match="t_eval"):
        integrate_ode(problem, 1.0, t_eval=[0.5, 1.5])


def test_blow_up_is_reported():
    problem = PolynomialODE([0.0], [[0.0]], [[1.0]], [1.0])  # u' = u^2 blows up at t = 1
    with pytest.raises(RuntimeError, match="solve_ivp failed"):
        integrate_ode(problem, 2.0)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(0, 6), pieces=st.integers(1, 3))
def test_gradient_descent_map_iterates_the_quadratic_map(seed, steps, pieces):
    rng = np.random.default_rng(seed)
    s = 2
    c = rng.standard_normal((pieces, s))
    F1 = 0.3 * rng.standard_normal((s, s))
    T3 = 0.2 * rng.standard_normal((s, s, s))  # F2 as a tensor: (F2 (x (x) x))_i = T3[i] x x
    times = np.arange(pieces) * 2.0
    problem = PolynomialODE(c, F1, T3.reshape(s, s * s), rng.standard_normal(s), times)
    x = problem.u_in
    expected = [x]
    for k in range(steps):
        x = c[min(k // 2, pieces - 1)] + (np.eye(s) + F1) @ x + np.einsum("ijk,j,k->i", T3, x, x)
        expected.append(x)
    expected = np.array(expected)
    scale = np.max(np.abs(expected))
    np.testing.assert_allclose(
        gradient_descent_map(problem, steps), expected, rtol=1e-12, atol=1e-13 * scale
    )


def test_gradient_descent_map_rejects_bad_steps():
    problem = PolynomialODE([0.1], [[-1.0]], [[0.1]], [0.5])
    with pytest.raises(ValueError, match="steps"):
        gradient_descent_map(problem, -1)
    with pytest.raises(TypeError, match="steps"):
        gradient_descent_map(problem, 1.5)
