"""Built-in example problems against independent references."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from pennylane_qsgd.core.dissipation import dissipation
from pennylane_qsgd.core.examples import (
    burgers_problem,
    load_problem,
    logistic_problem,
    logistic_solution,
)


def test_logistic_closed_form_matches_scipy():
    problem = logistic_problem()
    t = np.linspace(0, 3, 7)
    sol = solve_ivp(
        lambda _t, u: problem.rhs(_t, u), (0, 3), problem.u_in, t_eval=t, rtol=1e-12, atol=1e-14
    )
    np.testing.assert_allclose(sol.y[0], logistic_solution(t), rtol=1e-9)
    assert dissipation(problem).R == pytest.approx(0.25)


def test_burgers_is_dissipative_but_far_from_provable():
    problem = burgers_problem()
    summary = dissipation(problem)
    assert problem.size == 16
    assert summary.is_dissipative and 30 < summary.R < 70
    # Lowest mode of nu * D2 on 16 interior points of [-1/2, 1/2].
    nu, dx = 1 / 20, 1 / 17
    assert summary.re_lambda1 == pytest.approx(-4 * nu / dx**2 * np.sin(np.pi / 34) ** 2)


def test_burgers_quadratic_term_is_the_conservative_difference():
    problem = burgers_problem(points=5, forced=False)
    u = np.random.default_rng(0).standard_normal(5)
    dx = 1 / 6
    padded = np.concatenate([[0.0], u, [0.0]])
    flux = -(padded[2:] ** 2 - padded[:-2] ** 2) / (4 * dx)
    np.testing.assert_allclose(problem.F2 @ np.kron(u, u), flux, atol=1e-12)


def test_modulated_burgers_forcing_is_piecewise():
    problem = burgers_problem(forcing_period=1.0, duration=3.0, forcing_pieces=30)
    assert problem.is_time_dependent and problem.F0.shape == (30, 16)
    # Piece k covers [k/10, (k+1)/10): the constant Gaussian profile times cos(2 pi t) at its middle.
    np.testing.assert_allclose(problem.forcing_times, np.arange(30) / 10, atol=1e-15)
    profile = burgers_problem().F0[0]
    middles = (np.arange(30) + 0.5) / 10
    np.testing.assert_allclose(
        problem.F0, np.cos(2 * np.pi * middles)[:, None] * profile, rtol=1e-12, atol=1e-13
    )
    # The operators and the initial state do not depend on the modulation.
    unforced = burgers_problem(forced=False)
    assert not np.any(unforced.F0)
    for other in (problem, unforced):
        assert (other.F1 != burgers_problem().F1).nnz == 0
        np.testing.assert_array_equal(other.u_in, burgers_problem().u_in)


def test_npz_round_trip_dense_and_sparse(tmp_path):
    problem = burgers_problem(points=4)
    dense = tmp_path / "dense.npz"
    np.savez(
        dense, F0=problem.F0[0], F1=problem.F1.toarray(), F2=problem.F2.toarray(), u_in=problem.u_in
    )
    coo = problem.F2.tocoo()
    sparse = tmp_path / "sparse.npz"
    np.savez(
        sparse,
        F0=problem.F0[0],
        F1=problem.F1.toarray(),
        F2_row=coo.row,
        F2_col=coo.col,
        F2_data=coo.data,
        u_in=problem.u_in,
    )
    for path in (dense, sparse):
        loaded = load_problem(str(path))
        np.testing.assert_array_equal(loaded.F2.toarray(), problem.F2.toarray())
        np.testing.assert_array_equal(loaded.F1.toarray(), problem.F1.toarray())
        np.testing.assert_array_equal(loaded.F0, problem.F0)
        np.testing.assert_array_equal(loaded.u_in, problem.u_in)
        assert not loaded.is_time_dependent
    piecewise = tmp_path / "piecewise.npz"
    F0 = np.array([[1.0, 0.0, 0.0, 2.0], [0.0, -1.0, 0.0, 0.0]])
    np.savez(
        piecewise,
        F0=F0,
        F1=problem.F1.toarray(),
        F2=problem.F2.toarray(),
        u_in=problem.u_in,
        forcing_times=[0.0, 0.5],
    )
    loaded = load_problem(str(piecewise))
    np.testing.assert_array_equal(loaded.F0, F0)
    np.testing.assert_array_equal(loaded.forcing_times, [0.0, 0.5])
    bad = tmp_path / "bad.npz"
    np.savez(bad, F0=problem.F0[0], u_in=problem.u_in)
    with pytest.raises(ValueError, match="F1"):
        load_problem(str(bad))
