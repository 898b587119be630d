"""Direct QSP phases (Weiss completion and the inverse nonlinear FFT) against independent checks.

References: the sequential 2x2 products of ``qsp_unitary_entry`` against numpy's Clenshaw
evaluation of the target; the closed form of the top Chebyshev coefficient of a W_x sequence,
c_d = sin(phi_0 + phi_d) prod_{0<j<d} cos(phi_j); and, for the Weiss step, |A|^2 + f^2 = 1 on the
circle with A free of zeros in the unit disc (numpy's polynomial roots).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial import chebyshev as npcheb

from pennylane_qsgd.core import qsp_nlft
from pennylane_qsgd.core.phase_angles import QSPConvergenceError, qsp_phases, qsp_unitary_entry
from pennylane_qsgd.core.polynomials import (
    chebyshev_sup_norm,
    inverse_polynomial,
    jacobi_anger_cos,
)
from pennylane_qsgd.core.qsp_nlft import nlft_phases, weiss_complement


def random_coefficients(seed: int, degree: int, sup: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    coeffs = np.zeros(degree + 1)
    coeffs[degree % 2 :: 2] = rng.standard_normal(degree // 2 + 1)
    coeffs[-1] = coeffs[-1] if abs(coeffs[-1]) > 1e-3 else 0.5
    return coeffs * sup / chebyshev_sup_norm(coeffs)


def sup_error(phases: np.ndarray, coeffs: np.ndarray, n: int = 700) -> float:
    x = np.concatenate([np.linspace(-1, 1, n), np.cos(np.linspace(0, np.pi, n))])
    return float(np.max(np.abs(qsp_unitary_entry(phases, x).imag - npcheb.chebval(x, coeffs))))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), degree=st.integers(0, 300), sup=st.floats(0.01, 0.95))
def test_direct_phases_reproduce_random_polynomials(seed, degree, sup):
    coeffs = random_coefficients(seed, degree, sup)
    phases = nlft_phases(coeffs)
    assert phases.shape == (degree + 1,)
    np.testing.assert_array_equal(phases, phases[::-1])
    assert sup_error(phases, coeffs) <= 1e-12


@pytest.mark.parametrize("leaf", [1, 3, 8])
@pytest.mark.parametrize("degree", [57, 200, 301])
def test_divide_and_conquer_equals_one_rotation_at_a_time(monkeypatch, leaf, degree):
    """Small blocks force every level of the recursion (FFT updates and NLFT combinations)."""
    coeffs = random_coefficients(degree, degree, 0.9)
    monkeypatch.setattr(qsp_nlft, "_LEAF", 10**6)
    sequential = nlft_phases(coeffs)
    monkeypatch.setattr(qsp_nlft, "_LEAF", leaf)
    recursive = nlft_phases(coeffs)
    np.testing.assert_allclose(recursive, sequential, rtol=0, atol=1e-13)
    assert sup_error(recursive, coeffs) <= 1e-12


@pytest.mark.parametrize("degree", [6, 15, 40])
def test_weiss_completion_is_outer_and_complementary(degree):
    coeffs = random_coefficients(degree, degree, 0.8)
    a = weiss_complement(coeffs, degree + 1, 1 << 16)
    tau = np.linspace(0, 2 * np.pi, 997)
    a_on_circle = np.polynomial.polynomial.polyval(np.exp(1j * tau), a)
    f = npcheb.chebval(np.cos(tau / 2), coeffs)  # |b(e^{i tau})| = |f(cos(tau/2))|
    np.testing.assert_allclose(np.abs(a_on_circle) ** 2 + f**2, 1.0, atol=1e-13)
    assert a[0] > 0
    assert np.min(np.abs(np.polynomial.polynomial.polyroots(a))) > 1.0  # outer: no zeros in |z|<=1


def test_degree_thirty_thousand_inverse_and_top_coefficient():
    """At degree ~3e4 the phases reproduce 1/x, and the top Chebyshev coefficient from the closed
    form of the sequence equals the target's to relative rounding."""
    kappa = 1_300
    poly = inverse_polynomial(kappa, 1e-10)
    phases = qsp_phases(poly, method="nlft")
    assert poly.degree > 30_000
    top = np.sin(phases[0] + phases[-1]) * np.prod(np.cos(phases[1:-1]))
    assert abs(top - poly.coeffs[-1]) <= 1e-12 * abs(poly.coeffs[-1])
    x = np.concatenate(
        [np.linspace(-1, 1, 150), np.cos(np.linspace(0, np.pi, 150)), np.linspace(-0.02, 0.02, 100)]
    )
    error = np.max(np.abs(qsp_unitary_entry(phases, x).imag - npcheb.chebval(x, poly.coeffs)))
    assert error <= 1e-10


def test_even_jacobi_anger_by_the_direct_method():
    poly = jacobi_anger_cos(300.0, 1e-12)
    phases = qsp_phases(poly, method="nlft")
    assert sup_error(phases, poly.coeffs) <= 1e-12


def test_direct_method_reports_a_target_too_close_to_one():
    """max|f| = 1 - 1e-5 needs a Weiss grid beyond the default budget at this degree: "nlft" says
    so, "auto" falls back to the iterations and still reproduces the target."""
    poly = inverse_polynomial(20.0, degree=301, max_norm=0.99999)
    with pytest.raises(QSPConvergenceError, match="nlft"):
        qsp_phases(poly, method="nlft")
    assert sup_error(qsp_phases(poly), poly.coeffs) <= 1e-10
