"""Phase angles at degree >= 10^4: the polynomial reproduced, and PennyLane's QSVT convention.

Every check evaluates the phases independently of the solver: sequential 2x2 products
(``qsp_unitary_entry``, or the reflection form of PennyLane's QSVT written out below), against the
target evaluated by numpy's Clenshaw recurrence.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial import chebyshev as npcheb

from pennylane_qsgd.core.phase_angles import qsp_phases, qsp_unitary_entry, wx_to_qsvt_angles
from pennylane_qsgd.core.polynomials import chebyshev_sup_norm, jacobi_anger_cos


def check_points(n: int = 600) -> np.ndarray:
    return np.concatenate([np.linspace(-1, 1, n), np.cos(np.linspace(0, np.pi, n))])


def random_polynomial(seed: int, degree: int, sup: float, decay: float) -> np.ndarray:
    """Random Chebyshev coefficients of parity ``degree % 2``, decaying like n^-decay, sup ``sup``."""
    rng = np.random.default_rng(seed)
    coeffs = np.zeros(degree + 1)
    n = np.arange(degree % 2, degree + 1, 2)
    coeffs[n] = rng.standard_normal(n.size) / (1.0 + n) ** decay
    coeffs[-1] = 0.5 / (1.0 + degree) ** decay  # the degree is exact
    return coeffs * sup / chebyshev_sup_norm(coeffs)


@settings(max_examples=4, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    degree=st.integers(10_000, 12_000),
    sup=st.floats(0.1, 0.95),
    decay=st.sampled_from([0.0, 0.5, 1.0]),
)
def test_random_bounded_polynomials_at_degree_ten_thousand(seed, degree, sup, decay):
    coeffs = random_polynomial(seed, degree, sup, decay)
    phases = qsp_phases(coeffs)
    assert phases.shape == (degree + 1,)
    np.testing.assert_array_equal(phases, phases[::-1])
    x = check_points()
    error = np.max(np.abs(qsp_unitary_entry(phases, x).imag - npcheb.chebval(x, coeffs)))
    assert error <= 1e-10


def reflection_sequence_entry(angles: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Top-left entry of e^{i a_0 Z} R(x) e^{i a_1 Z} ... R(x) e^{i a_d Z}, R the reflection.

    R(x) = [[x, sqrt(1-x^2)], [sqrt(1-x^2), -x]] is how BlockEncode acts on each singular
    subspace and PCPhase(a) as e^{i a Z}; all factors are symmetric, so the entry does not depend
    on the order in which PennyLane multiplies them.
    """
    s = np.sqrt(1 - x * x)
    r0 = np.full(x.shape, np.exp(1j * angles[0]))
    r1 = np.zeros(x.shape, dtype=complex)
    for a in angles[1:]:
        r0, r1 = (x * r0 + s * r1) * np.exp(1j * a), (s * r0 - x * r1) * np.exp(-1j * a)
    return r0


def test_pennylane_convention_is_exact_at_degree_ten_thousand():
    poly = jacobi_anger_cos(9_000.0, 1e-12)  # even, degree ~ 9,200
    phases = qsp_phases(poly)
    theta = wx_to_qsvt_angles(phases)
    # PennyLane's own conversion of the real-part QSP phases gives the same angles.
    d = phases.size - 1
    real_part = phases - np.pi / 4 * (np.eye(d + 1)[0] + np.eye(d + 1)[-1])
    expected = qml.transform_angles(real_part, "QSP", "QSVT")
    np.testing.assert_allclose(np.angle(np.exp(1j * (theta - expected))), 0.0, atol=1e-12)
    # The QSVT block is f(x) - i p(x): f the target, p the real part of the W_x entry.
    x = np.concatenate([np.linspace(-1, 1, 200), np.cos(np.linspace(0, np.pi, 200))])
    block = reflection_sequence_entry(theta, x)
    np.testing.assert_allclose(block.real, npcheb.chebval(x, poly.coeffs), atol=1e-10)
    np.testing.assert_allclose(block.imag, -qsp_unitary_entry(phases, x).real, atol=1e-10)
