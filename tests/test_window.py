"""One training window through the solver: encodings, the auto rule, fidelities, the report."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _problems import final_state

import pennylane_qsgd.circuits.solver_policy as policy
import pennylane_qsgd.device  # noqa: F401  (registers the native kernels)
from pennylane_qsgd.circuits.solver import GradientFlowSolver
from pennylane_qsgd.circuits.solver_layout import required_wires
from pennylane_qsgd.circuits.solver_twins import success_branch, success_output
from pennylane_qsgd.core.euler import solve_euler
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.optim.qsgd import QSGD
from pennylane_qsgd.optim.window import choose_encoding, solve_window


def _window_problem(s: int, order: int, seed: int = 0, lr: float = 0.1) -> PolynomialODE:
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.normal(size=(s, s)))[0]
    H = (Q * rng.uniform(0.5, 2.0, s)) @ Q.T
    theta = rng.normal(size=s) / np.sqrt(s)
    g = 0.1 * rng.normal(size=s) / np.sqrt(s)
    F2 = np.zeros((s, s * s)) if order == 1 else -0.0025 * rng.normal(size=(s, s * s)) / s
    return PolynomialODE(F0=-lr * (g - H @ theta), F1=-lr * H, F2=F2, u_in=theta)


@pytest.mark.parametrize("order", [1, 2])
def test_structured_and_dense_windows_agree_with_forward_substitution(order):
    """Native windows with either encoding = the ideal (forward substitution) window, to the
    polynomial's precision; the report says which encoding ran."""
    problem = _window_problem(3, order)
    outputs = []
    for encoding in ("dense", "structured"):
        kw = dict(encoding=encoding, precision=1e-8)
        ideal = solve_window(problem, 2.0, order, fidelity="ideal", **kw)
        sol = solve_window(problem, 2.0, order, fidelity="native", **kw)
        assert sol.encoding == ideal.encoding == encoding
        scale = np.linalg.norm(ideal.solver_output)
        assert np.linalg.norm(sol.solver_output - ideal.solver_output) < 1e-6 * scale
        # The exact 1/x against the polynomial of relative precision 1e-8.
        assert sol.success_probability == pytest.approx(ideal.success_probability, rel=1e-6)
        outputs.append(sol.solver_output)
    np.testing.assert_allclose(outputs[0], outputs[1], atol=1e-6 * np.linalg.norm(outputs[0]))


def test_success_output_is_the_devices_native_state_on_the_success_event():
    problem = _window_problem(2, 2)
    for encoding in ("dense", "structured"):
        n = required_wires(2, 2, 2, encoding=encoding)
        op = GradientFlowSolver(
            problem, T=1.0, carleman_level=2, steps=2, encoding=encoding, wires=range(n)
        )
        out, prob = success_output(op)
        ref, ref_prob = success_branch(op, final_state(op, "qsgd.sim", fidelity="native"))
        np.testing.assert_allclose(out, ref, atol=1e-12)
        assert prob == pytest.approx(ref_prob, rel=1e-10)


@pytest.mark.filterwarnings("ignore:.*Lemma 3:UserWarning")
def test_matrix_free_structured_products_past_the_policy_limit(monkeypatch):
    """Where the policy forms no L, the structured encoding's factor-by-factor products solve the
    same window (Lemma 3's kappa), the dense encoding refuses, and auto picks structured.

    Here ||I + hA|| is 1.001, so Lemma 3 warns that its bound is not guaranteed; the output
    checked against the forward substitution shows the polynomial still covers sigma_min."""
    problem = _window_problem(2, 2, seed=3)
    m, p = 2, 1
    u = solve_euler(problem, 2, 1.0, m, p).u_final
    assert choose_encoding(problem, 2, m, p, "native") == "dense"
    monkeypatch.setattr(policy, "SPARSE_SIGMA_LIMIT", 0)
    monkeypatch.setattr(policy, "_TWINS", type(policy._TWINS)())
    assert choose_encoding(problem, 2, m, p, "native") == "structured"
    assert choose_encoding(problem, 2, m, p, "ideal") == "dense"
    ops = {}
    for encoding in ("dense", "structured"):
        n = required_wires(2, 2, m, p, encoding=encoding)
        ops[encoding] = GradientFlowSolver(
            problem, T=1.0, carleman_level=2, steps=m, idle=p, encoding=encoding, wires=range(n)
        )
    out, prob = success_output(ops["structured"])
    assert ops["structured"].condition()[1] == "bound"
    np.testing.assert_allclose(out.real, u / np.linalg.norm(u), atol=1e-5)
    assert prob > 0
    with pytest.raises(ValueError, match="matrix-free"):
        success_output(ops["dense"])


def test_qsgd_reports_the_encoding():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    x, y = torch.randn(16, 3), torch.randn(16, 1)

    def closure():
        return torch.nn.functional.mse_loss(model(x), y)

    opt = QSGD(model.parameters(), lr=0.1, window=2, encoding="structured")
    opt.step(closure)
    assert opt.reports[-1].encoding == "structured"
    opt = QSGD(model.parameters(), lr=0.1, window=2)
    opt.step(closure)
    assert opt.reports[-1].encoding == "dense"  # auto: L is small, the dense encoding is cheaper
    with pytest.raises(ValueError, match="encoding must be one of"):
        QSGD(model.parameters(), lr=0.1, encoding="sparse")
