"""Closure-based Taylor coefficients against torch.autograd.functional on the flattened support."""

import numpy as np
import pytest
import torch

from pennylane_qsgd.optim.closure_taylor import (
    ClosureHessian,
    SupportEntry,
    closure_gradient,
    closure_taylor_coefficients,
    gather_values,
    scatter_values,
)


def make_problem(seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    model = model.double()
    x = torch.randn(16, 3, dtype=torch.float64)
    y = torch.randint(0, 2, (16,))
    w1, b1, w2, b2 = model.parameters()
    entries = [
        SupportEntry(w1, torch.tensor([0, 3, 5, 7])),
        SupportEntry(w2, torch.tensor([1, 2, 6])),
        SupportEntry(b2, torch.tensor([0])),
    ]

    def closure():
        return torch.nn.functional.cross_entropy(model(x), y)

    def loss_of_support(values):
        # Independent reference: rebuild the parameters functionally from the support values.
        flats = [p.detach().reshape(-1).clone() for p in (w1, w2, b2)]
        out, offset = [], 0
        for flat, e in zip(flats, entries, strict=True):
            k = len(e.index)
            flat = flat.index_put((e.index,), values[offset : offset + k])
            out.append(flat)
            offset += k
        W1 = out[0].reshape(w1.shape)
        W2 = out[1].reshape(w2.shape)
        B2 = out[2].reshape(b2.shape)
        h = torch.tanh(x @ W1.T + b1.detach())
        return torch.nn.functional.cross_entropy(h @ W2.T + B2, y)

    return entries, closure, loss_of_support


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_gradient_hessian_and_third_derivative_match_autograd_functional(weight_decay):
    entries, closure, reference = make_problem()
    theta = gather_values(entries)
    coeffs, _ = closure_taylor_coefficients(closure, entries, order=2, weight_decay=weight_decay)
    g_ref = torch.autograd.functional.jacobian(reference, theta)
    H_ref = torch.autograd.functional.hessian(reference, theta)
    T3_ref = torch.autograd.functional.jacobian(
        lambda v: torch.autograd.functional.hessian(reference, v, create_graph=True), theta
    )
    s = theta.numel()
    np.testing.assert_allclose(coeffs.g, g_ref.numpy() + weight_decay * theta.numpy(), atol=1e-12)
    np.testing.assert_allclose(coeffs.H, H_ref.numpy() + weight_decay * np.eye(s), atol=1e-12)
    np.testing.assert_allclose(coeffs.T3, T3_ref.numpy(), atol=1e-10)
    for perm in [(0, 2, 1), (1, 0, 2), (2, 1, 0)]:  # exactly symmetric, as a derivative is
        np.testing.assert_array_equal(coeffs.T3, coeffs.T3.transpose(perm))


def test_matrix_free_hessian_and_gradient_agree_with_dense():
    entries, closure, _ = make_problem(1)
    coeffs, _ = closure_taylor_coefficients(closure, entries, order=1, weight_decay=0.05)
    op = ClosureHessian(closure, entries, weight_decay=0.05)
    v = np.random.default_rng(0).standard_normal(op.size)
    np.testing.assert_allclose(op.matvec(v), coeffs.H @ v, atol=1e-12)
    np.testing.assert_allclose(op.gradient, coeffs.g, atol=1e-12)
    g, loss = closure_gradient(closure, entries)
    np.testing.assert_allclose(g + 0.05 * coeffs.theta_bar, coeffs.g, atol=1e-12)
    assert loss == pytest.approx(closure().item())


def test_scatter_round_trip_and_bad_closures():
    entries, closure, _ = make_problem(2)
    values = gather_values(entries)
    scatter_values(entries, values + 1.0)
    np.testing.assert_allclose(gather_values(entries), values + 1.0)
    with pytest.raises(ValueError, match="returned None"):
        closure_taylor_coefficients(lambda: None, entries, order=1)
    with pytest.raises(FloatingPointError, match="non-finite"):
        closure_taylor_coefficients(lambda: closure() * float("nan"), entries, order=1)
