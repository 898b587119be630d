"""Bounds of arXiv:2011.03185 evaluated on problems whose norms are known by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.core.bounds import (
    StepSizeWarning,
    check_step_size,
    condition_number_bound,
    euler_error_bound,
    forcing_norm,
    max_step_size,
    spectral_norm,
    success_probability_bound,
    truncation_error_bound,
)
from pennylane_qsgd.core.problem import PolynomialODE


@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(1, 30),
    cols=st.integers(1, 30),
    density=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_spectral_norm_matches_dense_svd(rows, cols, density, seed):
    rng = np.random.default_rng(seed)
    M = sp.random(rows, cols, density=density, random_state=rng, data_rvs=rng.standard_normal)
    expected = np.linalg.svd(M.toarray(), compute_uv=False).max(initial=0.0)
    assert spectral_norm(M) == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert spectral_norm(M.toarray()) == pytest.approx(expected, rel=1e-12, abs=1e-300)
    Z = M + 1j * sp.random(rows, cols, density=density, random_state=rng)
    expected = np.linalg.svd(Z.toarray(), compute_uv=False).max(initial=0.0)
    assert spectral_norm(Z) == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert spectral_norm(Z.toarray()) == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_spectral_norm_of_large_sparse_matrix_uses_arpack_correctly():
    rng = np.random.default_rng(3)
    M = sp.random(40, 40_000, density=2e-3, random_state=rng, data_rvs=rng.standard_normal)
    gram = (M @ M.T).toarray()  # ||M||^2 = largest eigenvalue of M M^T (40 x 40)
    expected = np.sqrt(np.linalg.eigvalsh(gram).max())
    assert spectral_norm(M) == pytest.approx(expected, rel=1e-9)
    assert spectral_norm(M.toarray()) == pytest.approx(expected, rel=1e-9)
    assert spectral_norm(np.array([3.0, 4.0])) == 5.0
    assert spectral_norm(np.array([3.0, 4.0j])) == 5.0


# Scalar problem: every norm is an absolute value.
SCALAR = PolynomialODE([0.2], [[-2.0]], [[0.5]], [0.3])


@pytest.mark.parametrize("level", [1, 2, 5])
def test_truncation_bound_lemma1_scalar(level):
    assert truncation_error_bound(SCALAR, level, 1.5) == pytest.approx(
        1.5 * level * 0.5 * 0.3 ** (level + 1)
    )


def test_euler_bound_lemma2_scalar_and_piecewise_forcing():
    assert euler_error_bound(SCALAR, 3, 2.0, 0.01) == pytest.approx(
        3 * 3**2.5 * 2.0 * 0.01 * (0.5 + 2.0 + 0.2) ** 2
    )
    piecewise = SCALAR.with_forcing([[0.2], [-0.7], [0.1]], [0.0, 1.0, 2.0])
    assert forcing_norm(piecewise) == pytest.approx(0.7)
    assert euler_error_bound(piecewise, 1, 1.0, 0.1) == pytest.approx(
        3 * 1.0 * 0.1 * (0.5 + 2.0 + 0.7) ** 2
    )


def test_norms_in_bounds_are_spectral_for_matrices():
    F1 = np.array([[-1.0, 2.0], [0.0, -1.0]])  # ||F1|| = 1 + sqrt(2)
    F2 = np.zeros((2, 4))
    F2[0, 0], F2[1, 3] = 3.0, 4.0  # ||F2|| = 4
    problem = PolynomialODE([3.0, 4.0], F1, F2, [0.6, 0.8])
    assert truncation_error_bound(problem, 2, 1.0) == pytest.approx(2 * 4.0 * 1.0)
    assert max_step_size(problem, 2) == pytest.approx(1 / (2 * (1 + np.sqrt(2))))
    assert euler_error_bound(problem, 1, 1.0, 1.0) == pytest.approx(
        3 * (4.0 + 1 + np.sqrt(2) + 5.0) ** 2
    )


def test_condition_and_success_bounds():
    assert condition_number_bound(10, 5) == 48
    assert success_probability_bound(10, 10, 2, 2.0) == pytest.approx(11 / (9 * 21 * 2 * 4))
    assert success_probability_bound(4, 0, 1, 1.0) == pytest.approx(1 / 45)


def test_step_size_check_warns_and_returns():
    assert max_step_size(SCALAR, 2) == pytest.approx(0.25)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_step_size(SCALAR, 2, 0.25)
    with pytest.warns(StepSizeWarning, match="0.3.*0.25"):
        assert not check_step_size(SCALAR, 2, 0.3)
    zero = PolynomialODE([0.0], [[0.0]], [[0.1]], [0.5])
    assert max_step_size(zero, 3) == np.inf


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: truncation_error_bound(SCALAR, 0, 1.0), ValueError),
        (lambda: truncation_error_bound(SCALAR, 2, -1.0), ValueError),
        (lambda: euler_error_bound(SCALAR, 2, 1.0, float("inf")), ValueError),
        (lambda: condition_number_bound(0, 1), ValueError),
        (lambda: condition_number_bound(3, -1), ValueError),
        (lambda: condition_number_bound(3.0, 1), TypeError),
        (lambda: success_probability_bound(3, 3, 1, 0.0), ValueError),
        (lambda: success_probability_bound(3, 3, 1, np.inf), ValueError),
    ],
)
def test_bad_arguments(call, error):
    with pytest.raises(error):
        call()
