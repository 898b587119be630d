"""Tests for pennylane_qsgd.core.polynomials (bounded Chebyshev polynomials for QSP/QSVT)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial import chebyshev as npcheb

from pennylane_qsgd.core.polynomials import (
    ChebyshevPolynomial,
    chebyshev_sup_norm,
    inverse_polynomial,
    inverse_polynomial_degree,
    jacobi_anger_cos,
    jacobi_anger_sin,
)


def trig_sum(x, coeffs):
    """Independent evaluation sum_n c_n cos(n arccos x)."""
    theta = np.arccos(np.clip(x, -1.0, 1.0))
    return np.cos(np.outer(theta, np.arange(len(coeffs)))) @ np.asarray(coeffs)


def dense_grid(n=20001):
    """Points of [-1, 1] dense in both x and arccos x."""
    return np.unique(np.concatenate([np.linspace(-1, 1, n), np.cos(np.linspace(0, np.pi, n))]))


# ----------------------------------------------------------------------------------------------
# ChebyshevPolynomial and the sup norm


def test_chebyshev_polynomial_evaluates_its_series():
    poly = ChebyshevPolynomial(coeffs=[0.0, 0.3, 0.0, -0.2, 0.0, 0.1], parity=1, scale=2.0)
    x = np.linspace(-1, 1, 101)
    assert poly.degree == 5
    np.testing.assert_allclose(poly(x), trig_sum(x, poly.coeffs), atol=1e-14)
    np.testing.assert_allclose(poly.parity_coeffs, [0.3, -0.2, 0.1])
    np.testing.assert_allclose(poly(-x), -poly(x), atol=1e-15)
    with pytest.raises(ValueError):
        poly.coeffs[1] = 1.0  # read-only


@pytest.mark.parametrize(
    "kwargs",
    [
        {"coeffs": [0.0, 0.3, 0.1], "parity": 1},  # wrong-parity entry
        {"coeffs": [0.3, np.nan], "parity": 0},
        {"coeffs": [[0.3]], "parity": 0},
        {"coeffs": [], "parity": 0},
        {"coeffs": [0.3], "parity": 2},
        {"coeffs": [0.3], "parity": 0, "target_error": -1.0},
        {"coeffs": [0.3], "parity": 0, "scale": np.inf},
    ],
)
def test_chebyshev_polynomial_rejects_bad_input(kwargs):
    with pytest.raises(ValueError):
        ChebyshevPolynomial(**kwargs)


@settings(max_examples=60, deadline=None)
@given(
    coeffs=st.lists(st.floats(-1, 1, allow_subnormal=False), min_size=1, max_size=40),
)
def test_sup_norm_matches_dense_sampling(coeffs):
    c = np.asarray(coeffs)
    grid = np.cos(np.linspace(0, np.pi, 400001))
    reference = np.max(np.abs(npcheb.chebval(grid, c)))
    sup = chebyshev_sup_norm(c)
    # The dense grid can only underestimate (by < 1e-7 relative at degree < 40).
    assert sup >= reference - 1e-12
    assert sup <= reference * (1 + 1e-7) + 1e-12


def test_sup_norm_finds_a_narrow_off_grid_peak():
    # Equal peaks everywhere: every local maximum is a candidate; the true sup is 0.7.
    c = np.zeros(1002)
    c[-1] = 0.7
    assert chebyshev_sup_norm(c) == pytest.approx(0.7, abs=1e-12)


# ----------------------------------------------------------------------------------------------
# 1/x


@pytest.mark.parametrize("kappa", [2.0, 10.0, 100.0])
@pytest.mark.parametrize("eps", [1e-4, 1e-8, 1e-12])
def test_inverse_polynomial_error_and_boundedness(kappa, eps):
    poly = inverse_polynomial(kappa, eps)
    assert poly.parity == 1
    assert np.all(poly.coeffs[0::2] == 0)
    assert poly.target_error <= eps * poly.scale
    x = dense_grid()
    domain = np.abs(x) >= 1.0 / kappa
    err = np.max(np.abs(poly(x[domain]) - poly.scale / (kappa * x[domain])))
    assert err <= poly.target_error + 1e-12
    # Automatic scale: sup over [-1, 1] is max_norm = 0.9.
    assert np.max(np.abs(poly(x))) <= 0.9 + 1e-9
    assert np.max(np.abs(poly(x))) >= 0.9 - 1e-4
    # Degree within the optimal kappa * ln(2 / eps) (Chebyshev-minimax bound).
    assert poly.degree <= kappa * np.log(2.0 / eps) + 2


@pytest.mark.parametrize(("kappa", "m"), [(3.0, 4), (10.0, 25), (20.0, 60)])
def test_inverse_polynomial_is_the_shifted_chebyshev_construction(kappa, m):
    """Compare with (1 - T_m(z(x^2)) / T_m(z(0))) / (kappa x), evaluated by numpy's chebval."""
    poly = inverse_polynomial(kappa, degree=2 * m - 1, scale=0.2)
    a = 1.0 / kappa
    e_m = np.zeros(m + 1)
    e_m[m] = 1.0
    x = np.concatenate([np.linspace(-1, -0.01, 500), np.linspace(0.01, 1, 500)])
    z = (2 * x**2 - 1 - a * a) / (1 - a * a)
    z0 = (1 + a * a) / (1 - a * a)
    reference = 0.2 * (1 - npcheb.chebval(z, e_m) / npcheb.chebval(-z0, e_m)) / (kappa * x)
    np.testing.assert_allclose(poly(x), reference, atol=1e-12)
    assert poly.scale == 0.2
    # The reported error bound scale / T_m(z0) is attained at x = 1/kappa.
    assert poly.target_error == pytest.approx(0.2 / np.cosh(m * np.arccosh(z0)), rel=1e-10)
    assert abs(poly(a) - 0.2) == pytest.approx(poly.target_error, rel=1e-6)


def test_inverse_polynomial_kappa_100_reaches_the_benchmark_degrees():
    for degree in (11, 101, 1001, 2001):
        poly = inverse_polynomial(100.0, degree=degree)
        assert poly.degree == degree
        assert poly.sup_norm() == pytest.approx(0.9, abs=1e-9)
    # eps 1e-6 .. 1e-10 lands around degree 1500 .. 2400 at kappa = 100.
    assert 1300 < inverse_polynomial(100.0, 1e-6).degree < inverse_polynomial(100.0, 1e-10).degree
    assert inverse_polynomial(100.0, 1e-10).degree < 2500


@settings(max_examples=40, deadline=None)
@given(kappa=st.floats(1.05, 300.0), log_eps=st.floats(-12.0, -0.5))
def test_inverse_polynomial_degree_is_the_smallest_meeting_eps(kappa, log_eps):
    eps = 10.0**log_eps
    degree = inverse_polynomial_degree(kappa, eps)
    assert degree == inverse_polynomial(kappa, eps).degree and degree % 2 == 1
    # T_m(z0) = cosh(m arccosh z0) >= 1/eps, z0 = (1 + a^2)/(1 - a^2), first reached at m.
    z0 = (1 + kappa**-2) / (1 - kappa**-2)
    m = (degree + 1) // 2
    assert np.cosh(m * np.arccosh(z0)) >= (1 - 1e-12) / eps
    assert m == 1 or np.cosh((m - 1) * np.arccosh(z0)) < (1 + 1e-12) / eps


def test_inverse_polynomial_explicit_scale():
    poly = inverse_polynomial(10.0, 1e-6, scale=0.4)
    assert poly.scale == 0.4
    assert poly(0.1) == pytest.approx(0.4, abs=poly.target_error + 1e-14)
    assert poly(0.5) == pytest.approx(0.08, abs=poly.target_error + 1e-14)
    with pytest.raises(ValueError, match="scale <="):
        inverse_polynomial(100.0, 1e-10, scale=0.5)  # overshoot 2.23 * 0.5 > 1


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((1.0, 1e-6), {}),
        ((np.nan, 1e-6), {}),
        ((10.0, 0.0), {}),
        ((10.0, 1.5), {}),
        ((10.0,), {}),
        ((10.0,), {"degree": 10}),
        ((10.0,), {"degree": -1}),
        ((10.0, 1e-6), {"scale": -0.1}),
        ((10.0, 1e-6), {"max_norm": 1.0}),
    ],
)
def test_inverse_polynomial_rejects_bad_input(args, kwargs):
    with pytest.raises(ValueError):
        inverse_polynomial(*args, **kwargs)


@pytest.mark.parametrize(("kappa", "eps", "match"), [(1.0, 0.1, "kappa"), (10.0, 1.5, "eps")])
def test_inverse_polynomial_degree_rejects_bad_input(kappa, eps, match):
    with pytest.raises(ValueError, match=match):
        inverse_polynomial_degree(kappa, eps)


# ----------------------------------------------------------------------------------------------
# Jacobi-Anger


@settings(max_examples=40, deadline=None)
@given(
    t=st.floats(-80, 80, allow_subnormal=False),
    log_eps=st.floats(-14, -2),
    scale=st.floats(0.05, 0.9),
)
def test_jacobi_anger_matches_cos_and_sin(t, log_eps, scale):
    eps = 10.0**log_eps
    x = np.linspace(-1, 1, 4001)
    cos_poly = jacobi_anger_cos(t, eps, scale=scale)
    sin_poly = jacobi_anger_sin(t, eps, scale=scale)
    assert (cos_poly.parity, sin_poly.parity) == (0, 1)
    assert cos_poly.degree % 2 == 0 and sin_poly.degree % 2 == 1
    unit = np.finfo(float).eps
    for poly, ref in ((cos_poly, np.cos(x * t)), (sin_poly, np.sin(x * t))):
        assert poly.target_error <= eps * scale
        # Rounding, relative to the quantities: Clenshaw's sum (~ degree * unit * sum |c_n|)
        # and the reference's argument x * t (~ unit * |t| * scale).
        rounding = 4 * unit * ((poly.degree + 1) * np.abs(poly.coeffs).sum() + (abs(t) + 1) * scale)
        assert np.max(np.abs(poly(x) - scale * ref)) <= poly.target_error + rounding
        assert poly.sup_norm() <= scale * (1 + eps) + rounding
        # Degree about e|t|/2 + ln(1/eps) (Bessel decay), never far beyond.
        assert poly.degree <= 1.4 * abs(t) + np.log(1 / eps) + 12


def test_jacobi_anger_reduces_to_constants_at_t_zero():
    np.testing.assert_allclose(jacobi_anger_cos(0.0, 1e-10).coeffs, [0.5])
    np.testing.assert_allclose(jacobi_anger_sin(0.0, 1e-10).coeffs, [0.0, 0.0])


@pytest.mark.parametrize(
    ("t", "eps", "scale"), [(np.inf, 1e-6, 0.5), (1.0, 0.0, 0.5), (1.0, 1e-6, 0)]
)
def test_jacobi_anger_rejects_bad_input(t, eps, scale):
    with pytest.raises(ValueError):
        jacobi_anger_cos(t, eps, scale)
    with pytest.raises(ValueError):
        jacobi_anger_sin(t, eps, scale)
