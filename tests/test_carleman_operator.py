"""The in-place forcing update of CarlemanOperator against the rebuild path (carleman_matrix)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from _problems import small_problems
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.core.carleman import carleman_forcing, carleman_matrix
from pennylane_qsgd.core.carleman_operator import CarlemanOperator
from pennylane_qsgd.core.problem import PolynomialODE

SETTINGS = settings(max_examples=40, deadline=None)


@SETTINGS
@given(
    problem=small_problems(max_pieces=4),
    level=st.integers(1, 4),
    times=st.lists(st.floats(0.0, 4.0), min_size=1, max_size=5),
)
def test_in_place_update_equals_the_rebuild_path(problem, level, times):
    operator = CarlemanOperator(problem, level)
    augmented = CarlemanOperator(problem, level, augmented=True)
    for t in times:  # any order: pieces are revisited and overwritten
        operator.set_time(t)
        augmented.set_time(t)
        rebuilt = carleman_matrix(problem, level, t).toarray()
        b = carleman_forcing(problem, level, t)
        scale = max(1.0, np.abs(rebuilt).max())
        np.testing.assert_allclose(operator.matrix.toarray(), rebuilt, rtol=0, atol=1e-14 * scale)
        dense_aug = augmented.matrix.toarray()
        np.testing.assert_allclose(dense_aug[:-1, :-1], rebuilt, rtol=0, atol=1e-14 * scale)
        np.testing.assert_array_equal(dense_aug[:-1, -1], b)
        assert not np.any(dense_aug[-1])
        y = np.random.default_rng(1).standard_normal(rebuilt.shape[0])
        np.testing.assert_allclose(
            operator.apply(y), rebuilt @ y + b, rtol=1e-12, atol=1e-12 * scale
        )


def test_forcing_outside_the_pattern_is_refused():
    problem = PolynomialODE(F0=[1.0, 0.0], F1=-np.eye(2), F2=sp.csr_array((2, 4)), u_in=[0.1, 0.2])
    operator = CarlemanOperator(problem, 2)
    operator.set_forcing([2.0, 0.0])
    with pytest.raises(ValueError, match=r"entries \[1\]"):
        operator.set_forcing([0.0, 1.0])
    with pytest.raises(ValueError, match="shape"):
        operator.set_forcing([1.0])
