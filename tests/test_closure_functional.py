"""The closure made functional: order-2 coefficients against dense autograd of the module."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.autograd.functional import hessian, jacobian

from pennylane_qsgd.optim.closure_functional import (
    closure_support_loss,
    fast_closure_coefficients,
)
from pennylane_qsgd.optim.closure_taylor import SupportEntry, evaluate_closure


def _setup(seed: int = 0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    x = torch.randn(12, 3, dtype=torch.float64)
    y = torch.randn(12, 2, dtype=torch.float64)
    w, b = model[0].weight, model[2].bias
    entries = [
        SupportEntry(w, torch.tensor([0, 5, 7, 10])),
        SupportEntry(b, torch.tensor([1])),
    ]
    return model, x, y, entries


def _dense_reference(model, x, y, entries):
    """g, H, T3 of the loss as an explicit function of the support values (torch.autograd)."""
    w, b = entries[0].param, entries[1].param

    def f(theta):
        W = w.detach().reshape(-1).scatter(0, entries[0].index, theta[:4]).reshape(w.shape)
        B = b.detach().scatter(0, entries[1].index, theta[4:])
        h = torch.tanh(x @ W.T + model[0].bias.detach())
        return ((h @ model[2].weight.detach().T + B - y) ** 2).mean()

    theta = torch.cat([w.detach().reshape(-1)[entries[0].index], b.detach()[entries[1].index]])
    g = jacobian(f, theta)
    H = hessian(f, theta)
    T3 = jacobian(lambda t: hessian(f, t, create_graph=True), theta)
    return g.numpy(), H.numpy(), T3.numpy()


@pytest.mark.parametrize("calls_backward", [False, True])
def test_functional_coefficients_match_dense_autograd(calls_backward):
    model, x, y, entries = _setup()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = [p.detach().clone() for p in model.parameters()]

    def closure():
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        if calls_backward:
            loss.backward()
        return loss

    loss = evaluate_closure(closure)
    coeffs, route = fast_closure_coefficients(closure, entries, 0.01, loss)
    assert route == "functional"
    g, H, T3 = _dense_reference(model, x, y, entries)
    theta = coeffs.theta_bar
    np.testing.assert_allclose(coeffs.g, g + 0.01 * theta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(coeffs.H, H + 0.01 * np.eye(5), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(coeffs.T3, T3, rtol=1e-9, atol=1e-12 * np.abs(T3).max())
    for p, p0 in zip(model.parameters(), before, strict=True):
        assert torch.equal(p.detach(), p0)


def test_support_loss_follows_theta():
    model, x, y, entries = _setup(1)
    f = closure_support_loss(lambda: ((model(x) - y) ** 2).mean(), entries)
    theta = torch.linspace(-1.0, 1.0, 5, dtype=torch.float64)
    with torch.no_grad():
        model[0].weight.view(-1)[entries[0].index] = theta[:4]
        model[2].bias[entries[1].index] = theta[4:]
        expected = ((model(x) - y) ** 2).mean()
    assert float(f(theta)) == pytest.approx(float(expected), rel=1e-14)
    with pytest.raises(ValueError, match="theta must have shape"):
        f(theta[:3])


def test_non_functional_closure_falls_back_to_the_closure_route():
    model, x, y, entries = _setup(2)
    w = model[0].weight

    cache = {}

    def closure():  # the first layer's weight product is cached: later calls cannot move it
        if "W" not in cache:
            cache["W"] = w * 1.0
        h = torch.tanh(x @ cache["W"].T + model[0].bias)
        return ((model[2](h) - y) ** 2).mean()

    loss = evaluate_closure(closure)
    coeffs, route = fast_closure_coefficients(closure, entries, 0.0, loss)
    assert route == "closure"
    g, H, _ = _dense_reference(model, x, y, entries)
    np.testing.assert_allclose(coeffs.g, g, rtol=1e-10)
    np.testing.assert_allclose(coeffs.H, H, rtol=1e-10, atol=1e-14)
