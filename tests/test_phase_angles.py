"""Tests for pennylane_qsgd.core.phase_angles (symmetric QSP phases, QSVT angle conversion).

The reference for every solved phase vector is the plain product of 2x2 matrices
(``qsp_unitary_entry``, or an explicit matrix product below) compared with the target evaluated by
numpy's Chebyshev routines, and PennyLane's own QSVT for the angle conversion.
"""

import warnings

import numpy as np
import pennylane as qml
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial import chebyshev as npcheb

from pennylane_qsgd.core.phase_angles import (
    QSPConvergenceError,
    qsp_chebyshev_coefficients,
    qsp_phases,
    qsp_unitary_entry,
    wx_to_qsvt_angles,
)
from pennylane_qsgd.core.polynomials import (
    ChebyshevPolynomial,
    chebyshev_sup_norm,
    inverse_polynomial,
    jacobi_anger_cos,
    jacobi_anger_sin,
)
from pennylane_qsgd.core.qsp_forward import forward, full_phases


def grid(n):
    """Dense check points on [-1, 1]: equispaced in x and in arccos x, plus the end points."""
    return np.concatenate([np.linspace(-1, 1, n), np.cos(np.linspace(0, np.pi, n))])


def target_error(phases, coeffs, n):
    """max over grid(n) of |Im <0|U(x, phases)|0> - sum_k c_k T_k(x)|, the target by numpy."""
    x = grid(n)
    return np.max(np.abs(qsp_unitary_entry(phases, x).imag - npcheb.chebval(x, coeffs)))


def matrix_product_entry(phases, x):
    """<0|U(x, phases)|0> with explicit 2x2 numpy matrices (scalar x; small degrees only)."""
    s = np.sqrt(1 - x * x)
    w = np.array([[x, 1j * s], [1j * s, x]])
    u = np.diag(np.exp([1j * phases[0], -1j * phases[0]]))
    for p in phases[1:]:
        u = u @ w @ np.diag(np.exp([1j * p, -1j * p]))
    return u[0, 0]


def random_bounded(data, max_degree, sup):
    """Random Chebyshev coefficients of definite parity, scaled to a given sup norm."""
    degree = data.draw(st.integers(0, max_degree))
    parity = degree % 2
    values = data.draw(
        st.lists(
            st.floats(-1, 1, allow_subnormal=False),
            min_size=degree // 2 + 1,
            max_size=degree // 2 + 1,
        )
    )
    coeffs = np.zeros(degree + 1)
    coeffs[parity::2] = values
    coeffs[-1] = coeffs[-1] if abs(coeffs[-1]) > 1e-3 else 0.5  # keep the degree exact
    return coeffs * sup / chebyshev_sup_norm(coeffs)


# ----------------------------------------------------------------------------------------------
# The reference evaluation itself


def test_unitary_entry_matches_explicit_matrices_and_closed_forms():
    rng = np.random.default_rng(3)
    phases = rng.uniform(-np.pi, np.pi, 8)
    for x in (-1.0, -0.3, 0.0, 0.61, 1.0):
        assert qsp_unitary_entry(phases, x) == pytest.approx(matrix_product_entry(phases, x))
    x = np.linspace(-1, 1, 11)
    # Zero phases: W(x)^d = exp(i d arccos(x) X), so the entry is T_d(x).
    np.testing.assert_allclose(
        qsp_unitary_entry(np.zeros(6), x), np.cos(5 * np.arccos(x)), atol=1e-14
    )
    # d = 1: e^{i a Z} W e^{i b Z} has top-left entry e^{i(a+b)} x.
    np.testing.assert_allclose(qsp_unitary_entry([0.3, 0.4], x), np.exp(0.7j) * x, atol=1e-15)
    assert qsp_unitary_entry(np.zeros(3), np.zeros((2, 3))).shape == (2, 3)


def test_chebyshev_coefficients_of_the_entry():
    rng = np.random.default_rng(4)
    phases = rng.uniform(-np.pi, np.pi, 10)
    p_coeffs, f_coeffs = qsp_chebyshev_coefficients(phases)
    x = np.linspace(-1, 1, 101)
    entry = qsp_unitary_entry(phases, x)
    np.testing.assert_allclose(npcheb.chebval(x, p_coeffs), entry.real, atol=1e-13)
    np.testing.assert_allclose(npcheb.chebval(x, f_coeffs), entry.imag, atol=1e-13)
    np.testing.assert_allclose(p_coeffs[0::2], 0, atol=1e-14)  # degree 9: odd parts only
    np.testing.assert_allclose(f_coeffs[0::2], 0, atol=1e-14)


# ----------------------------------------------------------------------------------------------
# The solver


@pytest.mark.parametrize("degree", [11, 101, 1001, 2001])
def test_inverse_polynomial_phases_reproduce_the_target(degree):
    poly = inverse_polynomial(100.0, degree=degree)
    phases = qsp_phases(poly)
    assert phases.shape == (degree + 1,)
    np.testing.assert_array_equal(phases, phases[::-1])
    assert target_error(phases, poly.coeffs, 5001) <= 1e-10


@settings(max_examples=40, deadline=None)
@given(data=st.data(), sup=st.floats(0.01, 0.999))
def test_random_bounded_polynomials(data, sup):
    coeffs = random_bounded(data, 40, sup)
    phases = qsp_phases(coeffs)
    assert phases.shape == (coeffs.size,)
    np.testing.assert_allclose(phases, phases[::-1], atol=0)
    assert target_error(phases, coeffs, 801) <= 1e-11


@settings(max_examples=15, deadline=None)
@given(data=st.data(), sup=st.floats(0.05, 0.9))
def test_methods_agree(data, sup):
    """The direct (NLFT), Anderson-accelerated, plain fixed-point and Newton solvers find the
    same phases."""
    coeffs = random_bounded(data, 24, sup)
    auto = qsp_phases(coeffs)
    np.testing.assert_allclose(qsp_phases(coeffs, method="nlft"), auto, atol=1e-10)
    np.testing.assert_allclose(qsp_phases(coeffs, method="anderson"), auto, atol=1e-10)
    np.testing.assert_allclose(qsp_phases(coeffs, method="fixed_point"), auto, atol=1e-10)
    np.testing.assert_allclose(qsp_phases(coeffs, method="newton"), auto, atol=1e-10)


@pytest.mark.parametrize("sup", [0.99, 0.9999, 0.99999])
def test_near_unit_sup_norm(sup):
    poly = inverse_polynomial(20.0, degree=301, max_norm=sup)
    phases = qsp_phases(poly)
    assert target_error(phases, poly.coeffs, 2001) <= 1e-10


def test_jacobi_anger_phases():
    for poly in (jacobi_anger_cos(20.0, 1e-12), jacobi_anger_sin(-20.0, 1e-12)):
        phases = qsp_phases(poly)
        assert phases.size == poly.degree + 1
        assert target_error(phases, poly.coeffs, 2001) <= 1e-12


def test_low_degrees_and_trailing_zeros():
    x = np.linspace(-1, 1, 51)
    # d = 0: Im e^{i phi_0} = c_0.
    np.testing.assert_allclose(np.sin(qsp_phases([0.4])), [0.4])
    # Trailing zeros are dropped; an explicit parity of an all-zero vector sets the degree.
    np.testing.assert_allclose(qsp_phases([0.0, 0.5, 0.0, 0.0]), qsp_phases([0.0, 0.5]))
    assert qsp_phases(np.zeros(4), parity=1).shape == (2,)
    phases = qsp_phases(ChebyshevPolynomial([0.1, 0.0, -0.3], parity=0))
    np.testing.assert_allclose(qsp_unitary_entry(phases, x).imag, 0.1 - 0.3 * (2 * x**2 - 1))


@pytest.mark.parametrize(
    ("arg", "kwargs", "match"),
    [
        ([0.1, 0.2, 0.3], {}, "definite parity"),
        ([0.0, 0.5, 0.1], {"parity": 1}, "definite parity"),
        ([0.0, 1.2], {}, "max\\|f\\|"),
        ([0.0, 0.6, 0.0, 0.5], {}, "max\\|f\\|"),  # sup = 1.1 at x = 1
        ([0.0, np.nan], {}, "NaN"),
        ([[0.0, 0.5]], {}, "1-D"),
        ([], {}, "1-D"),
        ([0.0, 0.5], {"method": "bisection"}, "method"),
        ([0.0, 0.5], {"tol": -1.0}, "tol"),
        ([0.0, 0.5], {"parity": 3}, "parity"),
        (ChebyshevPolynomial([0.0, 0.5], parity=1), {"parity": 0}, "contradicts"),
    ],
)
def test_bad_input_raises(arg, kwargs, match):
    with pytest.raises(ValueError, match=match):
        qsp_phases(arg, **kwargs)


def test_non_numeric_input_raises_type_error():
    for bad in ("abc", {"c": 0.5}, [0.0, "x"]):
        with pytest.raises(TypeError):
            qsp_phases(bad)


def test_non_convergence_reports_the_residual():
    poly = inverse_polynomial(50.0, degree=401)
    with pytest.raises(QSPConvergenceError, match="residual") as info:
        qsp_phases(poly, method="fixed_point", max_iter=3)
    assert info.value.residual > 1e-13
    assert info.value.iterations == 3


def test_anderson_finishes_with_newton_when_the_mixing_budget_runs_out():
    poly = inverse_polynomial(50.0, degree=401, max_norm=0.999)
    phases = qsp_phases(poly, max_iter=2, method="anderson")  # two Anderson steps, then Newton
    assert target_error(phases, poly.coeffs, 2001) <= 1e-11


def test_unitary_entry_rejects_bad_input():
    with pytest.raises(ValueError):
        qsp_unitary_entry([0.1, 0.2], 1.5)
    with pytest.raises(ValueError):
        qsp_unitary_entry([], 0.5)


# ----------------------------------------------------------------------------------------------
# PennyLane's QSVT convention


@pytest.mark.parametrize("degree", [1, 2, 3, 4, 7, 10])
def test_qsvt_angles_equal_pennylane_transform(degree):
    rng = np.random.default_rng(degree)
    phases = rng.uniform(-np.pi, np.pi, degree + 1)
    real_part_phases = phases - np.pi / 4 * (np.eye(degree + 1)[0] + np.eye(degree + 1)[-1])
    expected = qml.transform_angles(real_part_phases, "QSP", "QSVT")
    np.testing.assert_allclose(wx_to_qsvt_angles(phases), expected, atol=1e-14)


def qsvt_top_left(matrix, angles):
    """Top-left block of PennyLane's QSVT of BlockEncode(matrix) with PCPhase projectors."""
    n = matrix.shape[0]
    wires = list(range(int(np.log2(n)) + 1))
    op = qml.QSVT(
        qml.BlockEncode(matrix, wires=wires), [qml.PCPhase(a, dim=n, wires=wires) for a in angles]
    )
    return qml.matrix(op, wire_order=wires)[:n, :n]


def matrix_function(matrix, coeffs):
    vals, vecs = np.linalg.eigh(matrix)
    return vecs @ np.diag(npcheb.chebval(vals, coeffs)) @ vecs.conj().T


@pytest.mark.parametrize("degree", [0, 1, 2, 5, 8])
@pytest.mark.parametrize("size", [1, 2])
def test_pennylane_qsvt_block_is_f_minus_i_p(degree, size):
    """QSVT(theta) -> f(A) - i p(A), QSVT(-theta) -> f(A) + i p(A), average f(A)."""
    rng = np.random.default_rng(10 * degree + size)
    coeffs = np.zeros(degree + 1)
    coeffs[degree % 2 :: 2] = rng.normal(size=degree // 2 + 1)
    coeffs *= 0.8 / chebyshev_sup_norm(coeffs)
    phases = qsp_phases(coeffs)
    p_coeffs, _ = qsp_chebyshev_coefficients(phases)
    m = rng.normal(size=(size, size)) + 1j * rng.normal(size=(size, size))
    a = (m + m.conj().T) / 2
    a *= 0.9 / np.max(np.abs(np.linalg.eigvalsh(a)))
    f_a, p_a = matrix_function(a, coeffs), matrix_function(a, p_coeffs)
    theta = wx_to_qsvt_angles(phases)
    plus, minus = qsvt_top_left(a, theta), qsvt_top_left(a, -theta)
    np.testing.assert_allclose(plus, f_a - 1j * p_a, atol=1e-12)
    np.testing.assert_allclose(minus, f_a + 1j * p_a, atol=1e-12)
    np.testing.assert_allclose((plus + minus) / 2, f_a, atol=1e-12)


def test_real_part_agrees_with_pennylane_poly_to_angles():
    """Both PennyLane's angles and ours put the target in the real part of the QSVT block."""
    poly = jacobi_anger_sin(2.0, 1e-10)
    a = np.array([[0.3, 0.2], [0.2, -0.5]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pl_angles = qml.poly_to_angles(npcheb.cheb2poly(poly.coeffs), "QSVT")
    ours = qsvt_top_left(a, wx_to_qsvt_angles(qsp_phases(poly)))
    theirs = qsvt_top_left(a, pl_angles)
    np.testing.assert_allclose(ours.real, matrix_function(a, poly.coeffs), atol=1e-12)
    np.testing.assert_allclose(theirs.real, ours.real, atol=1e-8)


@pytest.mark.parametrize("degree", [20_001, 20_000])
def test_forward_map_top_coefficient_matches_the_closed_form(degree):
    """The T_d coefficient of Im<0|U|0> is sin(phi_0 + phi_d) prod_{0<j<d} cos(phi_j) (the
    e^{id theta} term takes (1+X)/2 from every W). Coherent rounding in the product tree's roots of
    unity once put it off by ~4e-17 d (8e-13 here)."""
    rng = np.random.default_rng(degree)
    psi = rng.uniform(-1e-6, 1e-6, degree // 2 + 1)  # the product of cosines stays near 1
    phases = full_phases(psi, degree)
    top = np.sin(phases[0] + phases[-1]) * np.prod(np.cos(phases[1:-1]))
    assert forward(psi, degree)[-1] == pytest.approx(top, abs=1e-14)


def test_reflection_signal_matches_explicit_matrices():
    rng = np.random.default_rng(5)
    angles = rng.uniform(-np.pi, np.pi, 9)
    for x in (-0.7, 0.0, 0.4, 1.0):
        s = np.sqrt(1 - x * x)
        u = np.diag(np.exp([1j * angles[0], -1j * angles[0]]))
        for a in angles[1:]:
            u = u @ np.array([[x, s], [s, -x]]) @ np.diag(np.exp([1j * a, -1j * a]))
        assert qsp_unitary_entry(angles, x, signal="reflection") == pytest.approx(u[0, 0])
    with pytest.raises(ValueError, match="signal"):
        qsp_unitary_entry(angles, 0.5, signal="z")
