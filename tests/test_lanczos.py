"""Lanczos extremes against numpy's dense eigenvalues."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.core.lanczos import lanczos_extremes


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


def test_bad_sizes_raise():
    with pytest.raises(ValueError, match="positive"):
        lanczos_extremes(lambda v: v, 0)
