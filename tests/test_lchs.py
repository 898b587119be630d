"""LCHS (core): the quadrature against scipy's matrix exponential and integrators."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from _problems import dissipative_generator
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from pennylane_qsgd.core.lchs import (
    lchs_kernel,
    lchs_quadrature,
)
from pennylane_qsgd.core.lchs_cost import jacobi_anger_degree, lchs_cost
from pennylane_qsgd.core.lchs_generator import check_dissipative, log_norm
from pennylane_qsgd.core.lchs_twins import (
    duhamel_quadrature,
    lchs_apply,
    lchs_propagator,
    lchs_solve,
)

SETTINGS = settings(max_examples=15, deadline=None)


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    dim=st.integers(1, 4),
    complex_=st.booleans(),
    t=st.floats(0.05, 6.0),
    eps=st.sampled_from([1e-3, 1e-6, 1e-9]),
)
def test_propagator_matches_expm_within_stated_error(seed, dim, complex_, t, eps):
    A = dissipative_generator(seed, dim, complex_)
    norm_L = float(np.linalg.eigvalsh(-(A + A.conj().T) / 2)[-1])
    grid = lchs_quadrature(t, norm_L, eps)
    assert grid.error_bound <= eps
    err = np.linalg.norm(lchs_propagator(A, grid) - sla.expm(A * t), 2)
    assert err <= grid.error_bound


def test_sparse_path_matches_expm_multiply():
    """Sparse A (a damped, advected chain): one expm_multiply per node."""
    n = 6
    A = sp.diags([0.4 * np.ones(n - 1), -0.5 * np.ones(n), -0.4 * np.ones(n - 1)], [-1, 0, 1])
    A = sp.csr_array(A)
    u = np.random.default_rng(5).normal(size=n)
    grid = lchs_quadrature(1.5, 0.5, 1e-3)
    ref = spla.expm_multiply(1.5 * A, u)
    sparse = lchs_apply(A, u, grid)
    assert np.linalg.norm(sparse - ref) <= grid.error_bound * np.linalg.norm(u) + 1e-12
    np.testing.assert_allclose(sparse, lchs_apply(A.toarray(), u, grid), atol=1e-10)


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    dim=st.integers(1, 3),
    t=st.floats(0.1, 5.0),
    eps=st.sampled_from([1e-4, 1e-7]),
)
def test_inhomogeneous_formula_matches_solve_ivp(seed, dim, t, eps):
    A = dissipative_generator(seed, dim, complex_=False)
    rng = np.random.default_rng(seed + 2)
    u0, b = rng.normal(size=dim), rng.normal(size=dim)
    ref = solve_ivp(
        lambda _, u: A @ u + b, (0.0, t), u0, method="DOP853", rtol=1e-13, atol=1e-14
    ).y[:, -1]
    sol = lchs_solve(A, u0, t, eps, b=b)
    assert sol.error_bound <= eps * (np.linalg.norm(u0) + t * np.linalg.norm(b)) * (1 + 1e-12)
    assert np.linalg.norm(sol.u - ref) <= sol.error_bound + 1e-11
    assert np.max(np.abs(sol.u.imag)) <= sol.error_bound + 1e-11  # real A, u0, b: real u(t)


def test_kernel_integrates_to_the_exponential_of_a_scalar():
    """Quadrature of f(k) e^{-ik s} reproduces e^{-s} for s >= 0 (scipy quad as reference)."""
    grid = lchs_quadrature(1.0, 1.0, 1e-10)
    for s in (0.0, 0.3, 1.0):
        total = np.sum(grid.weights * np.exp(-1j * grid.nodes * s))
        assert abs(total - np.exp(-s)) < 1e-10
    assert abs(lchs_kernel(-1j + 1e-9)) > 1e6  # the pole of 1/(1 - ik)


def test_node_count_grows_linearly_in_time():
    nodes = [lchs_quadrature(t, 1.0, 1e-6).num_nodes for t in (100.0, 200.0, 400.0, 800.0)]
    ratios = np.diff(np.log(nodes)) / np.log(2.0)
    assert ratios[-1] == pytest.approx(1.0, abs=0.1)


def test_query_slope_is_one_and_degree_matches_polynomials():
    T = np.array([1e2, 1e3, 1e4])
    queries = [lchs_cost(t, 1e-6, 0.05, 0.05).queries for t in T]
    slope = np.polyfit(np.log(T), np.log(queries), 1)[0]
    assert slope == pytest.approx(1.0, abs=0.1)
    # Jacobi-Anger degree ~ e tau / 2 each (cos and sin): about e tau in total.
    tau = 200.0
    assert jacobi_anger_degree(tau, 1e-10) == pytest.approx(np.e * tau, rel=0.15)


def test_duhamel_rule_error_bound_holds_for_an_oscillating_integrand():
    A = np.array([[-0.1, 3.0], [-3.0, -0.1]])
    b = np.array([1.0, 0.0])
    t = 4.0
    rule = duhamel_quadrature(t, np.linalg.norm(A, 2), 1e-8)
    approx = sum(
        w * sla.expm(A * (t - s)) @ b for s, w in zip(rule.nodes, rule.weights, strict=True)
    )
    exact = np.linalg.solve(A, (sla.expm(A * t) - np.eye(2)) @ b)
    assert np.linalg.norm(approx - exact) <= rule.error_bound <= 1e-8 * t


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="log-norm"):
        check_dissipative(np.array([[0.1, 0.0], [0.0, -1.0]]))
    with pytest.raises(ValueError, match="eps"):
        lchs_quadrature(1.0, 1.0, 2.0)
    with pytest.raises(ValueError, match="beta"):
        lchs_quadrature(1.0, 1.0, 1e-3, beta=1.0)
    with pytest.raises(ValueError, match="norm_L"):
        lchs_quadrature(1.0, -1.0, 1e-3)
    grid = lchs_quadrature(1.0, 0.1, 1e-3)
    with pytest.raises(ValueError, match="quadrature was made"):
        lchs_apply(-np.eye(2), np.ones(2), grid)
    assert log_norm(np.array([[0.0, 1.0], [0.0, 0.0]])) == pytest.approx(0.5)
