"""The LCHS route of a training window against scipy's integrators and the Euler route."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pennylane as qml
import pytest
import scipy.linalg as sla
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from pennylane_qsgd.circuits.lchs import LCHSEvolution
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.optim.lchs_window import (
    LCHSNotApplicableError,
    lchs_success_probability,
    solve_window_lchs,
)
from pennylane_qsgd.optim.lchs_window_system import lchs_window_system
from pennylane_qsgd.optim.qsgd import QSGD
from pennylane_qsgd.optim.window import solve_window
from pennylane_qsgd.optim.window_routes import LCHSFallbackWarning, solve_window_routed


def _order1_window(seed: int, s: int, lr: float = 0.1) -> PolynomialODE:
    """du/dt = -lr (g + H (u - u0)) with H positive semi-definite: F1 = -lr H, F0 = -lr (g - H u0)."""
    rng = np.random.default_rng(seed)
    Y = rng.normal(size=(s, s))
    H = Y @ Y.T / s
    g, u0 = rng.normal(size=s), rng.normal(size=s)
    return PolynomialODE(F0=-lr * (g - H @ u0), F1=-lr * H, F2=np.zeros((s, s * s)), u_in=u0)


def _flow(problem: PolynomialODE, T: float) -> np.ndarray:
    """The exact solution, by scipy's DOP853 (independent of the package's integrators)."""

    def rhs(_, u):
        return problem.F0[0] + problem.F1 @ u + problem.F2 @ np.kron(u, u)

    sol = solve_ivp(rhs, (0.0, T), problem.u_in, method="DOP853", rtol=1e-12, atol=1e-14)
    return sol.y[:, -1]


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000), s=st.integers(1, 4), T=st.floats(0.5, 12.0))
def test_order1_window_matches_solve_ivp_within_stated_error(seed, s, T):
    """Native (the quadrature twin) within eps (||y0|| + T ||b||) gamma of the exact flow."""
    problem = _order1_window(seed, s)
    eps = 1e-6
    sol = solve_window_lchs(problem, T, 1, fidelity="native", eps=eps)
    system = lchs_window_system(problem, 1)
    bound = eps * system.gamma * (np.linalg.norm(system.y0) + T * np.linalg.norm(system.b))
    assert np.linalg.norm(sol.u_final - _flow(problem, T)) <= bound
    ideal = solve_window_lchs(problem, T, 1, fidelity="ideal")
    np.testing.assert_allclose(ideal.u_final, _flow(problem, T), rtol=1e-8, atol=1e-10)
    assert sol.route == ideal.route == "lchs" and sol.lchs_log_norm <= 1e-12
    ls = solve_window_lchs(problem, T, 1, fidelity="native", eps=eps, kernel="low-somma")
    assert np.linalg.norm(ls.u_final - _flow(problem, T)) <= bound
    assert ls.degree < sol.degree or T < 2  # one logarithm in the cut-off


def _order2_window() -> PolynomialODE:
    """A strongly damped quadratic flow whose rescaled level-2 Carleman matrix is dissipative."""
    F1 = np.array([[-1.0, 0.2], [-0.1, -0.8]])
    F2 = np.zeros((2, 4))
    F2[0, 1], F2[1, 3] = -0.05, 0.04
    return PolynomialODE(F0=[0.01, -0.02], F1=F1, F2=F2, u_in=[0.3, -0.2])


def test_order2_window_through_the_carleman_matrix():
    """Native LCHS of the level-2 Carleman system vs solve_ivp of that linear system."""
    problem, T, eps = _order2_window(), 3.0, 1e-7
    system = lchs_window_system(problem, 2)
    assert system.log_norm <= 0  # the window is eligible: checked on the rescaled matrix
    sol = solve_window_lchs(problem, T, 2, fidelity="native", eps=eps)
    lin = solve_ivp(
        lambda _, y: system.A @ y + system.b,
        (0.0, T),
        system.y0,
        method="DOP853",
        rtol=1e-12,
        atol=1e-14,
    ).y[:, -1]
    # the level-1 block after the reference coordinate, back in problem units
    u_lin = system.gamma * lin[1 : system.size]
    bound = eps * system.gamma * (np.linalg.norm(system.y0) + T * np.linalg.norm(system.b))
    assert np.linalg.norm(sol.u_final - u_lin) <= bound
    # and the truncation at level 2 stays close to the nonlinear flow
    assert np.linalg.norm(sol.u_final - _flow(problem, T)) < 1e-3


def _concave(seed: int, s: int, lr: float) -> PolynomialODE:
    problem = _order1_window(seed, s, lr)
    return PolynomialODE(F0=problem.F0, F1=-problem.F1, F2=problem.F2, u_in=problem.u_in)


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 10_000), s=st.integers(1, 3), T=st.floats(0.5, 4.0))
def test_slightly_non_dissipative_window_is_shifted(seed, s, T):
    """mu(A) = c > 0 with e^{cT} <= 10: LCHS of A - cI, within e^{cT} times the stated error."""
    problem = _concave(seed, s, 0.05)
    system = lchs_window_system(problem, 1)
    c = system.log_norm
    if c * T > np.log(10):
        return
    eps = 1e-6
    sol = solve_window_lchs(problem, T, 1, fidelity="native", eps=eps)
    assert sol.lchs_shift == pytest.approx(c) and c > 0
    bound = (
        np.exp(c * T)
        * eps
        * system.gamma
        * (np.linalg.norm(system.y0) + T * np.linalg.norm(system.b))
    )
    assert np.linalg.norm(sol.u_final - _flow(problem, T)) <= bound
    ideal = solve_window_lchs(problem, T, 1, fidelity="ideal")
    # the shift's price: the LCU amplitude carries e^{-cT}, the same at both fidelities
    assert sol.success_probability == pytest.approx(ideal.success_probability, rel=1e-4)


def test_non_dissipative_window_is_refused_then_falls_back_with_a_warning():
    problem = _concave(3, 3, 1.0)
    assert lchs_window_system(problem, 1).log_norm * 4.0 > np.log(10)
    with pytest.raises(LCHSNotApplicableError, match="non-positive log-norm"):
        solve_window_lchs(problem, 4.0, 1)
    messages = []
    sol = solve_window_routed(
        problem,
        4.0,
        1,
        "lchs",
        messages.append,
        # the routing is under test: any Euler window stands in for the fallback's solve
        euler=lambda: solve_window(_order1_window(0, 1), 1.0, 1, fidelity="ideal"),
        fidelity="ideal",
    )
    assert sol.route == "euler" and len(messages) == 1 and "Euler route" in messages[0]
    expected = float(np.max(np.linalg.eigvalsh(problem.F1.toarray())))
    assert sol.lchs_log_norm == pytest.approx(expected / 1.0, rel=1e-8)


def _regression():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    x, y = torch.randn(16, 3), torch.randn(16, 1)
    return model, x, y


def _step(route: str, fidelity: str, **options):
    model, x, y = _regression()
    opt = QSGD(model.parameters(), lr=0.1, window=4, fidelity=fidelity, route=route, **options)

    def closure():
        opt.zero_grad()
        return torch.nn.functional.mse_loss(model(x), y)

    start = torch.cat([p.detach().reshape(-1) for p in model.parameters()]).double().numpy()
    opt.step(closure)
    end = torch.cat([p.detach().reshape(-1) for p in model.parameters()]).double().numpy()
    return start, end, opt.reports[-1], (x.double().numpy(), y.double().numpy())


def test_qsgd_lchs_route_follows_the_gradient_flow_and_the_euler_route():
    """A quadratic loss: the window's flow is linear, exp(-lr H T) in closed form (scipy expm)."""
    start, lchs, report, (x, y) = _step("lchs", "native")
    X = np.hstack([x, np.ones((x.shape[0], 1))])
    H = 2 * X.T @ X / x.shape[0]  # Hessian of the mean squared error in (w, b)
    g = H @ start - 2 * X.T @ y[:, 0] / x.shape[0]
    M = sla.expm(-0.1 * 4 * H)
    exact = start - np.linalg.solve(H, (np.eye(4) - M) @ g)
    assert np.linalg.norm(lchs - exact) <= 1e-5 * np.linalg.norm(exact)
    assert report.solver_route == "lchs" and report.euler_bound is None
    assert report.lchs_log_norm <= 1e-12 and 0 < report.success_probability < 1
    # the Euler route with a fine grid converges to the same point, at first order in h
    _, euler, e_report, _ = _step("euler", "ideal", euler_steps=64)
    assert e_report.solver_route == "euler"
    gap = np.linalg.norm(euler - exact)
    assert 1e-5 * np.linalg.norm(exact) < gap < 0.05 * np.linalg.norm(start - exact)
    json.dumps(report.to_dict(), allow_nan=False)


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(route="rk4"), "route must be one of"),
        (dict(route="lchs", fidelity="gates"), "fidelity"),
        (dict(route="lchs", stochastic=True), "stochastic=False"),
        (dict(route="lchs", matrix_free=True, fidelity="ideal"), "matrix_free"),
    ],
)
def test_route_options_are_validated(options, message):
    model, _, _ = _regression()
    with pytest.raises(ValueError, match=message):
        QSGD(model.parameters(), **options)


def test_fallback_warning_in_qsgd():
    """Maximising a convex loss: a log-norm too large to shift over 20 steps; Euler, warned."""
    model, x, y = _regression()
    opt = QSGD(model.parameters(), lr=0.1, window=20, fidelity="ideal", route="lchs", maximize=True)

    def closure():
        opt.zero_grad()
        return torch.nn.functional.mse_loss(model(x), y)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt.step(closure)
    assert any(issubclass(w.category, LCHSFallbackWarning) for w in caught)
    report = opt.reports[-1]
    assert report.solver_route == "euler" and report.lchs_log_norm > 0


@pytest.mark.parametrize("fidelity", ["native", "gates"])
def test_shifted_success_probability_is_the_circuits(fidelity):
    """The shift's price e^{-2cT} on the success probability, against the LCHS circuit's own."""
    A = np.array([[0.05, 0.3], [-0.3, -0.2]])  # Hermitian part with a positive eigenvalue
    c = float(np.linalg.eigvalsh((A + A.T) / 2).max())
    assert c > 0
    shifted = A - c * np.eye(2)
    T, eps, u0 = 2.0, 1e-3, np.array([0.6, 0.8])
    wires = [*range(LCHSEvolution.node_qubits(shifted, T, eps=eps)), "l", "r", "a", "s"]
    op = LCHSEvolution(shifted, T, wires=wires, eps=eps)

    @qml.qnode(qml.device("qsgd.sim", wires=wires, fidelity=fidelity))
    def circuit():
        qml.StatePrep(u0, wires=["s"])
        LCHSEvolution(shifted, T, wires=wires, eps=eps)
        return qml.state()

    measured = float(np.sum(np.abs(circuit()[:2]) ** 2))  # every ancilla in |0>
    y = sla.expm(A * T) @ u0  # the unshifted flow; the prediction applies e^{-cT} itself
    system = type("System", (), {"y0": u0, "b": np.zeros(2), "size": 2})()
    predicted = lchs_success_probability(y, system, T, op.layout.l1_norm, shift=c)
    v = np.exp(-c * T) * np.linalg.norm(y)
    assert measured == pytest.approx(predicted, rel=6 * eps / v)
    # and the price itself: without the shift's factor the prediction is e^{2cT} too large
    unshifted = lchs_success_probability(y, system, T, op.layout.l1_norm, shift=0.0)
    assert unshifted == pytest.approx(predicted * np.exp(2 * c * T), rel=1e-12)
