"""Measured condition numbers against numpy's dense SVD."""

import numpy as np
import pytest
import scipy.sparse as sp

from pennylane_qsgd.core import conditioning
from pennylane_qsgd.core.conditioning import condition_number


def test_dense_path_matches_numpy():
    rng = np.random.default_rng(1)
    L = np.eye(50) + np.tril(rng.standard_normal((50, 50)) * 0.1, -1)
    assert condition_number(L).kappa == pytest.approx(np.linalg.cond(L), rel=1e-10)


def test_power_path_approaches_dense_value(monkeypatch):
    rng = np.random.default_rng(2)
    n = 400
    # Lower-bidiagonal, like a time-stepping system: identity minus a contraction below it.
    L = sp.diags_array([np.ones(n), -0.9 * (1 + 0.05 * rng.random(n - 1))], offsets=[0, -1])
    exact = np.linalg.cond(L.toarray())
    monkeypatch.setattr(conditioning, "DENSE_LIMIT", 10)
    measured = condition_number(L, iterations=300)
    assert measured.method == "power"
    assert measured.kappa <= exact * (1 + 1e-8)
    assert measured.kappa == pytest.approx(exact, rel=1e-3)


def test_non_square_is_refused():
    with pytest.raises(ValueError, match="square"):
        condition_number(np.ones((2, 3)))
