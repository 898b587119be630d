"""Both routes of one window: Euler's T^2 against LCHS's T, from the same assumptions."""

from __future__ import annotations

import pytest

from pennylane_qsgd.diagnostics.lchs_resources import (
    compare_routes,
    format_routes,
    lchs_window,
    route_slopes,
)
from pennylane_qsgd.diagnostics.resources import estimate_window, loglog_slope
from pennylane_qsgd.diagnostics.window_assumptions import WindowAssumptions

ASSUMPTIONS = WindowAssumptions(params=100_000)


@pytest.fixture(scope="module")
def rows():
    return compare_routes(ASSUMPTIONS, steps=(100, 1000, 10_000))


def test_slopes_euler_two_lchs_one(rows):
    slopes = route_slopes(rows)
    assert slopes.euler_calls == pytest.approx(2.0, abs=0.2)
    assert slopes.lchs_calls == pytest.approx(1.0, abs=0.1)
    assert slopes.lchs_t_count == pytest.approx(1.0, abs=0.1)
    assert all(r.lchs_calls < r.euler_calls for r in rows)
    # Low-Somma's kernel: also linear in T, and fewer calls (one logarithm in the cut-off)
    assert slopes.ls_calls == pytest.approx(1.0, abs=0.1)
    assert all(0 < r.ls_calls < r.lchs_calls for r in rows)
    text = format_routes(rows)
    assert "slope vs T" in text and "crossover" in text


def test_given_euler_rows_are_used_as_they_are(rows):
    steps = (100, 1000, 10_000)
    euler = [estimate_window(ASSUMPTIONS, T) for T in steps]
    assert compare_routes(ASSUMPTIONS, steps, euler_rows=euler) == rows
    with pytest.raises(ValueError, match="euler_rows must be the rows at steps"):
        compare_routes(ASSUMPTIONS, steps, euler_rows=euler[:2])


def test_forcing_without_decay_brings_back_a_factor_of_t():
    """delta = 0: the Duhamel LCU is normalised by ||u0|| + T ||b||, so amplification grows."""
    Ts = [1000, 3000, 10_000]
    decaying = [lchs_window(ASSUMPTIONS, T, encoding_t_count=1).block_encoding_calls for T in Ts]
    flat = [
        lchs_window(ASSUMPTIONS, T, decay=0.0, encoding_t_count=1).block_encoding_calls for T in Ts
    ]
    assert loglog_slope(Ts, decaying) == pytest.approx(1.0, abs=0.1)
    assert loglog_slope(Ts, flat) > 1.3
    window = lchs_window(ASSUMPTIONS, 1000, encoding_t_count=1)
    assert window.block_encoding_calls == 2 * window.cost.queries
    assert window.cost.degree >= window.cost.alpha * 1000  # Jacobi-Anger: about e * alpha * T


def test_bad_window_length():
    with pytest.raises(ValueError, match="T must"):
        lchs_window(ASSUMPTIONS, 0)
