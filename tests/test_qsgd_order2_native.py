"""Order-2 QSGD windows at the native fidelity (structured encoding, coefficients from the closure
made functional) against the core's dense forward substitution."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from pennylane_qsgd.core.euler import solve_euler
from pennylane_qsgd.optim.qsgd import QSGD
from pennylane_qsgd.optim.support import Support
from pennylane_qsgd.optim.taylor import build_problem, taylor_coefficients


@pytest.mark.filterwarnings("ignore::pennylane_qsgd.optim.qsgd.NonDissipativeWarning")
def test_native_order2_window_matches_dense_forward_substitution():
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).double()
    x = torch.randn(16, 2, dtype=torch.float64)
    y = torch.sin(x[:, :1])
    loss_fn = nn.functional.mse_loss
    support = Support.top_k(model, 6)
    lr, T, m = 0.1, 2, 4
    # Reference: the module route's dense coefficients, solved by the core.
    coeffs = taylor_coefficients(model, loss_fn, (x, y), support, order=2)
    expected = solve_euler(build_problem(coeffs, lr), 2, float(T), m).u_final
    opt = QSGD(
        model.parameters(),
        lr=lr,
        window=T,
        order=2,
        euler_steps=m,
        fidelity="native",
        encoding="structured",
        max_support=6,
        precision=1e-10,
    )
    opt.step(lambda: loss_fn(model(x), y))
    got = support.gather(model).detach().numpy()
    scale = np.linalg.norm(expected - coeffs.theta_bar)
    assert np.linalg.norm(got - expected) <= 1e-6 * scale
    report = opt.reports[-1]
    assert report.encoding == "structured" and report.support_size == 6
