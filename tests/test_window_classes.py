"""Window classes of the spectrum job: the from-norms class is conservative, the summary counts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.core.almost_dissipative import classify_window
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.diagnostics.dissipation import measure
from pennylane_qsgd.diagnostics.spectra import SpectralDensity
from pennylane_qsgd.diagnostics.window_classes import (
    class_summary,
    classify_records,
    format_class_summary,
)


def _window(seed: int, s: int, shift: float, lr: float):
    """Hessian with spectrum shifted by ``shift``, gradient, weights: the record and the flow."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(s, s)))
    lam = np.sort(rng.uniform(0.0, 1.0, size=s)) + shift
    H = Q @ np.diag(lam) @ Q.T
    g, theta = 0.1 * rng.normal(size=s), rng.normal(size=s)
    record = measure(SpectralDensity.from_eigenvalues(lam), lr, 0, loss=1.0)
    record.extra = {
        "grad_norm": float(np.linalg.norm(g)),
        "weight_norm": float(np.linalg.norm(theta)),
    }
    # du/dt = -lr (g + H (u - theta)), u(0) = theta
    flow = PolynomialODE(F0=-lr * (g - H @ theta), F1=-lr * H, F2=np.zeros((s, s * s)), u_in=theta)
    return record, flow


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    s=st.integers(2, 6),
    shift=st.floats(-0.3, 0.3),
    lr=st.floats(0.01, 0.5),
)
def test_class_from_norms_is_conservative(seed, s, shift, lr):
    """||F0|| is bounded from above, so R and the shift are at least those of the exact flow."""
    record, flow = _window(seed, s, shift, lr)
    classify_records([record], T=10)
    exact = classify_window(flow, 10.0)
    assert record.dissipation_ratio >= exact.R * (1 - 1e-9)
    order = ["dissipative", "almost-dissipative", "divergent"]
    assert order.index(record.extra["window_class"]) >= order.index(exact.kind)
    assert record.extra["lchs_applies"] == (shift >= 0 or np.min(record.density().nodes) >= 0)


def test_summary_counts_classes_and_penalties():
    records = []
    for seed, shift in enumerate([0.2, -0.05, -0.05, 0.3]):
        record, _ = _window(seed, 4, shift, 0.1)
        records.append(record)
    classify_records(records, T=10)
    summary = class_summary(records, T=10)
    kinds = [r.extra["window_class"] for r in records]
    assert summary["classified"] == 4
    for kind in ("dissipative", "almost-dissipative", "divergent"):
        assert summary[kind] == pytest.approx(kinds.count(kind) / 4)
    penalties = [
        float(r.extra["shift_penalty"])
        for r in records
        if r.extra["window_class"] == "almost-dissipative"
    ]
    assert penalties  # the set-up has almost-dissipative windows: the penalties are checked
    assert summary["penalty_max"] == pytest.approx(max(penalties))
    assert all(p >= 1 for p in penalties)
    assert "window classes (T = 10" in format_class_summary(summary)
    assert class_summary([]) == {"window": 10, "classified": 0}
