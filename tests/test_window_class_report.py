"""The window classification in QSGD's reports, against the closed forms of a least-squares loss."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from pennylane_qsgd.core.almost_dissipative import (
    DEFAULT_TARGET,
    classify_from_norms,
    classify_window,
)
from pennylane_qsgd.core.dissipation import dissipation
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.optim.qsgd import QSGD, NonDissipativeWarning
from pennylane_qsgd.optim.report import WindowReport


def _least_squares(seed: int, scale: float, sign: float = 1.0, n: int = 60, d: int = 3):
    """A linear model far from the optimum (``scale``) and its loss ``sign * mean((Z w - y)^2)``.

    Returns the model, the closure and the closed forms of the window's flow
    :math:`d\\theta/dt = F_1\\theta + F_0` per unit lr: ``H`` (Hessian) and ``b`` (so
    :math:`F_1 = -\\eta H`, :math:`F_0 = \\eta b`).
    """
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, dtype=torch.float64, generator=gen)
    y = 0.1 * torch.randn(n, 1, dtype=torch.float64, generator=gen)
    model = torch.nn.Linear(d, 1).double()
    with torch.no_grad():
        model.weight.fill_(scale)
        model.bias.fill_(scale)
    Z = np.hstack([x.numpy(), np.ones((n, 1))])
    H = sign * 2.0 * Z.T @ Z / n
    b = sign * 2.0 * Z.T @ y.numpy()[:, 0] / n

    def closure():
        return sign * ((model(x) - y) ** 2).mean()

    theta = np.concatenate([model.weight.detach().numpy().ravel(), model.bias.detach().numpy()])
    return model, closure, H, b, theta


def test_dissipative_window_reports_no_shift():
    lr, T = 0.05, 4
    model, closure, H, b, theta = _least_squares(0, scale=5.0)
    opt = QSGD(model.parameters(), lr=lr, window=T, fidelity="ideal")
    opt.step(closure)
    report = opt.reports[-1]
    R = np.linalg.norm(lr * b) / np.linalg.norm(theta) / (lr * np.linalg.eigvalsh(H)[0])
    assert R < 1  # the set-up is in the paper's regime
    assert report.window_class == "dissipative" and report.certified
    assert report.shift_c == 0.0 and report.shift_penalty == 1.0
    assert report.shifted_R == pytest.approx(R, rel=1e-9) == report.R


def test_negative_curvature_window_is_almost_dissipative_at_its_penalty():
    lr, T = 0.05, 3
    model, closure, H, b, theta = _least_squares(1, scale=1.0, sign=-1.0)
    opt = QSGD(model.parameters(), lr=lr, window=T, fidelity="ideal")
    with pytest.warns(NonDissipativeWarning, match=r"almost-dissipative: shift c = .*penalty"):
        opt.step(closure)
    report = opt.reports[-1]
    re_lambda1 = -lr * np.linalg.eigvalsh(H)[0]
    assert re_lambda1 > 0 and report.R == math.inf
    assert report.window_class == "almost-dissipative"
    c = report.shift_c
    assert c >= re_lambda1
    assert report.shift_penalty == pytest.approx(math.exp(c * T), rel=1e-12)
    # R_c of a linear window, (||F0|| / ||u_in||) / (c - Re lambda_1): at the target, and the
    # smallest such c (a slightly smaller shift misses it).
    forcing = np.linalg.norm(lr * b) / np.linalg.norm(theta)
    assert forcing / (c - re_lambda1) == pytest.approx(report.shifted_R, rel=1e-9)
    assert report.shifted_R <= DEFAULT_TARGET
    assert forcing / (c * (1 - 1e-6) - re_lambda1) > DEFAULT_TARGET
    # F1 = -lr H is symmetric, so the plain log-norm certifies the shifted window.
    assert report.certified


def test_report_with_shift_fields_is_strict_json_and_round_trips():
    lr, T = 0.05, 3
    model, closure, *_ = _least_squares(2, scale=1.0, sign=-1.0)
    opt = QSGD(model.parameters(), lr=lr, window=T, fidelity="ideal")
    with pytest.warns(NonDissipativeWarning):
        opt.step(closure)
    report = opt.reports[-1]
    text = json.dumps(report.to_dict(), allow_nan=False)
    data = json.loads(text)
    assert data["window_class"] == "almost-dissipative" and data["shift_penalty"] > 1
    assert "R" in data["non_finite"] and "shift" in data["non_finite"]["R"]
    assert WindowReport.from_dict(data) == report
    # An unclassified report (constructed without the new fields) says why its shift is nan.
    fields = {k: v for k, v in report.__dict__.items() if k not in _SHIFT_FIELDS}
    bare = WindowReport(**fields)
    bare_data = json.loads(json.dumps(bare.to_dict(), allow_nan=False))
    assert bare_data["window_class"] == "unclassified" and bare_data["certified"] is False
    assert "not classified" in bare_data["non_finite"]["shift_penalty"]
    restored = WindowReport.from_dict(bare_data)
    assert math.isnan(restored.shift_c) and restored.window_class == "unclassified"


_SHIFT_FIELDS = ("window_class", "shift_c", "shift_penalty", "shifted_R", "certified")


def test_matrix_free_window_classifies_like_the_dense_one_without_certifying():
    lr, T = 0.05, 3
    reports = []
    for matrix_free in (False, True):
        model, closure, *_ = _least_squares(3, scale=1.0, sign=-1.0)
        opt = QSGD(model.parameters(), lr=lr, window=T, fidelity="ideal", matrix_free=matrix_free)
        with pytest.warns(NonDissipativeWarning):
            opt.step(closure)
        reports.append(opt.reports[-1])
    dense, free = reports
    assert free.window_class == dense.window_class == "almost-dissipative"
    assert free.shift_c == pytest.approx(dense.shift_c, rel=1e-6)
    assert free.shift_penalty == pytest.approx(dense.shift_penalty, rel=1e-6)
    assert not free.certified  # a Lanczos estimate of Re lambda_1 is not a bound


def test_classify_window_reuses_a_precomputed_dissipation_and_matches_the_norm_form():
    rng = np.random.default_rng(4)
    Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    F1 = Q @ np.diag([0.2, -1.0, -0.5, -2.0]) @ Q.T
    problem = PolynomialODE(0.1 * rng.standard_normal(4), F1, np.zeros((4, 16)), np.ones(4))
    info = dissipation(problem)
    fresh = classify_window(problem, 2.0)
    given = classify_window(problem, 2.0, info=info)
    assert given.kind == fresh.kind == "almost-dissipative"
    assert given.shift == fresh.shift and given.R == fresh.R
    norms = classify_from_norms(info.re_lambda1, info.norm_F0, 0.0, info.norm_u_in, 2.0)
    assert norms.kind == fresh.kind and norms.certificate is None
    assert norms.shift.c == pytest.approx(fresh.shift.c, rel=1e-12)
    # Re lambda_1 = 0.2 exactly (eigenvalue of F1 by construction), not from the code under test.
    assert fresh.shift.re_lambda1 == pytest.approx(0.2, rel=1e-12)
