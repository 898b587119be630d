"""Lanczos tridiagonalisation and extremes against numpy's dense eigenvalues."""

import numpy as np
import pytest
import scipy.linalg as sla
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.core.lanczos import lanczos, lanczos_extremes, ritz_extremes


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 40), st.integers(0, 2**31 - 1))
def test_ritz_values_lie_inside_the_spectrum_and_are_exact_with_enough_steps(n, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n))
    A = A + A.T
    eigs = np.linalg.eigvalsh(A)
    low, high = lanczos_extremes(lambda v: A @ v, n, steps=5, seed=seed)
    assert eigs[0] - 1e-9 <= low and high <= eigs[-1] + 1e-9
    low, high = lanczos_extremes(lambda v: A @ v, n, steps=n, seed=seed)
    assert low == pytest.approx(eigs[0], abs=1e-8) and high == pytest.approx(eigs[-1], abs=1e-8)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 30), st.integers(0, 2**31 - 1), st.booleans())
def test_tridiagonal_is_the_projection_on_the_krylov_space(n, seed, reorthogonalize):
    """T = V^T A V with V the orthonormalised Krylov basis [v0, A v0, ...] (numpy QR)."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n))
    A = A + A.T
    v0 = rng.standard_normal(n)
    steps = min(n, 4)
    alpha, beta = lanczos(lambda v: A @ v, n, steps, v0=v0, reorthogonalize=reorthogonalize)
    assert alpha.shape == (steps,) and beta.shape == (steps - 1,) and np.all(beta > 0)
    krylov = np.column_stack([np.linalg.matrix_power(A, k) @ v0 for k in range(steps)])
    basis, r = np.linalg.qr(krylov)
    basis *= np.sign(np.diag(r))  # the Lanczos vectors have positive Krylov coordinates
    T = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
    np.testing.assert_allclose(T, basis.T @ A @ basis, atol=1e-8 * np.linalg.norm(A, 2))


def test_full_run_recovers_the_spectrum():
    d = np.array([-2.0, -0.5, 0.1, 1.0, 3.0, 7.0])
    alpha, beta = lanczos(lambda v: d * v, 6, 6, v0=np.ones(6))
    np.testing.assert_allclose(sla.eigvalsh_tridiagonal(alpha, beta), d, atol=1e-12)


def test_bad_sizes_raise():
    with pytest.raises(ValueError, match="positive"):
        lanczos_extremes(lambda v: v, 0)
    with pytest.raises(ValueError, match="steps"):
        lanczos(lambda v: v, 3, 0)
    with pytest.raises(ValueError, match="v0"):
        lanczos(lambda v: v, 3, 2, v0=np.zeros(3))
    with pytest.raises(ValueError, match="matvec returned shape"):
        lanczos(lambda v: v[:-1], 3, 2)


def test_ritz_extremes_of_a_full_basis_are_the_exact_extremes_and_inside_otherwise():
    rng = np.random.default_rng(5)
    M = rng.standard_normal((9, 9))
    A = M + M.T
    exact = np.linalg.eigvalsh(A)
    # A Krylov basis like the Euler displacements: powers of A on a start vector, unscaled.
    vectors = [rng.standard_normal(9)]
    for _ in range(8):
        vectors.append(A @ vectors[-1] / np.linalg.norm(vectors[-1]))
    V = np.stack(vectors)
    low, high = ritz_extremes(V, V @ A)
    np.testing.assert_allclose([low, high], [exact[0], exact[-1]], rtol=1e-6)
    low, high = ritz_extremes(V[:4], V[:4] @ A)
    assert exact[0] - 1e-9 <= low <= high <= exact[-1] + 1e-9
    assert ritz_extremes(np.zeros((2, 9)), np.zeros((2, 9))) is None
