"""Third-derivative products and the matrix-free order-2 flow.

References: the dense third derivative of the loss on S by ``torch.autograd.functional``
(the Jacobian of its Hessian), contracted with ``np.einsum``; the dense ODE of
``optim.taylor.build_problem`` and the dense Euler-Carleman solve of ``core.euler``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from pennylane_qsgd.core.bounds import StepSizeWarning
from pennylane_qsgd.core.euler import solve_euler
from pennylane_qsgd.core.lowrank_carleman import pair_product_from_matrix, solve_euler_lowrank
from pennylane_qsgd.optim.closure_taylor import SupportEntry
from pennylane_qsgd.optim.pruning import global_l1_prune
from pennylane_qsgd.optim.support import Support
from pennylane_qsgd.optim.taylor import (
    FORWARD,
    REVERSE,
    build_problem,
    support_loss,
    taylor_coefficients,
)
from pennylane_qsgd.optim.third_derivatives import (
    ClosureThirdDerivative,
    closure_order2_flow,
    f2_pair_product,
    order2_flow,
    third_derivative_product,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning"
)

SELECT = {"0.weight": [0, 3, 5, 7], "0.bias": [1], "2.weight": [1, 2, 6], "2.bias": [0]}


def mse(out, target):
    return ((out - target) ** 2).mean()


def tanh_mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()


def data(seed=0, n=10):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, generator=g, dtype=torch.float64), torch.randn(
        n, 2, generator=g, dtype=torch.float64
    )


def dense_t3(net, batch, support):
    """T3 on S: Jacobian of the Hessian of the loss on S, by torch.autograd.functional."""
    f = support_loss(net, mse, batch, support)
    theta = support.gather(net)

    def hessian(th):
        return torch.autograd.functional.hessian(f, th, create_graph=True)

    return torch.autograd.functional.jacobian(hessian, theta).numpy()


@pytest.fixture(scope="module")
def setup():
    net = tanh_mlp()
    batch = data()
    support = Support.from_indices(net, SELECT)
    return net, batch, support, dense_t3(net, batch, support)


def _vectors(seed, k, s):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((k, s)), rng.standard_normal((k, s))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), mode=st.sampled_from(["auto", "forward", "reverse"]))
def test_products_match_dense_third_derivative(setup, seed, mode):
    net, batch, support, T3 = setup
    A, B = _vectors(seed, 3, support.size)
    t3 = third_derivative_product(net, mse, batch, support, mode=mode, chunk_size=2)
    expected = np.einsum("abc,ka,kb->kc", T3, A, B)
    scale = np.abs(expected).max()
    single = t3(torch.from_numpy(A[0]), torch.from_numpy(B[0])).numpy()
    np.testing.assert_allclose(single, expected[0], atol=1e-11 * scale)
    rows = t3.batched(torch.from_numpy(A), torch.from_numpy(B)).numpy()
    np.testing.assert_allclose(rows, expected, atol=1e-11 * scale)
    assert t3.mode == (REVERSE if mode == "reverse" else FORWARD)
    assert t3.products == 4


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_closure_route_matches_dense_third_derivative(setup, seed):
    net, batch, support, T3 = setup
    params = dict(net.named_parameters())
    entries = [SupportEntry(params[name], torch.tensor(idx)) for name, idx in SELECT.items()]
    x, y = batch
    t3 = ClosureThirdDerivative(lambda: mse(net(x), y), entries)
    A, B = _vectors(seed, 2, support.size)
    expected = np.einsum("abc,ka,kb->kc", T3, A, B)
    np.testing.assert_allclose(
        t3.batched(A, B).numpy(), expected, atol=1e-11 * np.abs(expected).max()
    )


def test_closure_route_under_no_grad_is_not_zero(setup):
    """Inside Optimizer.step grad mode is off; the products must still be T3's, not zeros."""
    net, batch, support, T3 = setup
    params = dict(net.named_parameters())
    entries = [SupportEntry(params[name], torch.tensor(idx)) for name, idx in SELECT.items()]
    x, y = batch
    A, B = _vectors(3, 2, support.size)
    expected = np.einsum("abc,ka,kb->kc", T3, A, B)
    with torch.no_grad():
        t3 = ClosureThirdDerivative(lambda: mse(net(x), y), entries)
        rows = t3.batched(A, B).numpy()
    assert np.abs(expected).max() > 0
    np.testing.assert_allclose(rows, expected, atol=1e-11 * np.abs(expected).max())


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), lr=st.floats(0.01, 2.0))
def test_f2_pair_product_is_minus_half_eta_mat_t3(setup, seed, lr):
    net, batch, support, T3 = setup
    s = support.size
    A, B = (v.T for v in _vectors(seed, 4, s))  # columns are the vectors
    f2 = f2_pair_product(third_derivative_product(net, mse, batch, support), lr)
    reference = pair_product_from_matrix(-0.5 * lr * T3.reshape(s, s * s))
    np.testing.assert_allclose(f2(A, B), reference(A, B), atol=1e-12 * lr * np.abs(T3).max() * s)


def test_pruned_relu_network_with_cross_entropy():
    """The module route through a pruned module (weight = weight_orig * mask)."""
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, 3)).double()
    global_l1_prune(net, amount=0.5)
    support = Support.from_masks(net).top_k(net, 8)
    x = torch.randn(12, 5, dtype=torch.float64)
    y = torch.randint(0, 3, (12,))
    loss = nn.functional.cross_entropy
    f = support_loss(net, loss, (x, y), support)
    theta = support.gather(net)
    T3 = torch.autograd.functional.jacobian(
        lambda th: torch.autograd.functional.hessian(f, th, create_graph=True), theta
    ).numpy()
    A, B = _vectors(3, 5, support.size)
    rows = third_derivative_product(net, loss, (x, y), support).batched(A, B).numpy()
    expected = np.einsum("abc,ka,kb->kc", T3, A, B)
    np.testing.assert_allclose(rows, expected, atol=1e-11 * np.abs(expected).max())


@pytest.mark.parametrize("centre", ["theta_bar", "zero"])
def test_order2_flow_matches_build_problem(setup, centre):
    net, batch, support, _ = setup
    lr, wd = 0.3, 0.05
    coeffs = taylor_coefficients(net, mse, batch, support, order=2, weight_decay=wd)
    c = coeffs.theta_bar if centre == "theta_bar" else np.zeros(support.size)
    problem = build_problem(coeffs, lr, centre=c)
    flow = order2_flow(net, mse, batch, support, lr, weight_decay=wd, centre=c)
    s = support.size
    np.testing.assert_allclose(flow.F0, problem.F0[0], atol=1e-12)
    np.testing.assert_allclose(flow.F1.matmat(np.eye(s)), problem.F1.toarray(), atol=1e-12)
    np.testing.assert_allclose(flow.u_in, problem.u_in, atol=0)
    A, B = _vectors(5, 3, s)
    np.testing.assert_allclose(
        flow.f2(A.T, B.T), pair_product_from_matrix(problem.F2)(A.T, B.T), atol=1e-12
    )


def test_lowrank_window_on_products_matches_dense_euler(setup):
    """End to end: products + low-rank level 2 = dense T3 + dense Euler-Carleman (tol = 0)."""
    net, batch, support, _ = setup
    lr, T, m = 0.5, 3.0, 6
    coeffs = taylor_coefficients(net, mse, batch, support, order=2)
    problem = build_problem(coeffs, lr, centre=coeffs.theta_bar)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StepSizeWarning)
        dense = solve_euler(problem, 2, T, m)
    flow = order2_flow(net, mse, batch, support, lr)
    low = solve_euler_lowrank(flow.F0, flow.F1, flow.f2, flow.u_in, T, m, tol=0.0)
    np.testing.assert_allclose(low.final(), dense.final, atol=1e-12)
    np.testing.assert_allclose(flow.weights(low.u_final), coeffs.theta_bar + dense.u_final)


class Bad(nn.Module):
    """A loss with an infinite third derivative in ``bad`` at 0 (|x|^2.5), smooth in ``good``."""

    def __init__(self):
        super().__init__()
        self.good = nn.Parameter(torch.ones(2, dtype=torch.float64))
        self.bad = nn.Parameter(torch.zeros(2, dtype=torch.float64))

    def forward(self, x):
        return (self.good**3).sum() * x.sum() + ((self.bad**2 + 0.0).sqrt() ** 2.5).sum()


def test_non_finite_product_names_the_parameter():
    net = Bad()
    support = Support.all(net)
    t3 = third_derivative_product(net, lambda out, _: out, (torch.ones(1), None), support)
    ones = torch.ones(support.size, dtype=torch.float64)
    with pytest.raises(FloatingPointError, match="bad"):
        t3(ones, ones)


def test_bad_shapes_are_named(setup):
    net, batch, support, _ = setup
    t3 = third_derivative_product(net, mse, batch, support)
    with pytest.raises(ValueError, match="a must have shape"):
        t3(torch.ones(3), torch.ones(support.size))
    with pytest.raises(ValueError, match="lr"):
        f2_pair_product(t3, -1.0)
    with pytest.raises(ValueError, match="mode"):
        third_derivative_product(net, mse, batch, support, mode="sideways")


def test_closure_flow_matches_module_flow(setup):
    net, batch, support, _ = setup
    params = dict(net.named_parameters())
    entries = [SupportEntry(params[name], torch.tensor(idx)) for name, idx in SELECT.items()]
    x, y = batch
    closure_flow = closure_order2_flow(lambda: mse(net(x), y), entries, 0.4, weight_decay=0.1)
    flow = order2_flow(net, mse, batch, support, 0.4, weight_decay=0.1)
    s = support.size
    np.testing.assert_allclose(closure_flow.F0, flow.F0, atol=1e-13)
    np.testing.assert_allclose(
        closure_flow.F1.matmat(np.eye(s)), flow.F1.matmat(np.eye(s)), atol=1e-12
    )
    A, B = _vectors(8, 3, s)
    np.testing.assert_allclose(closure_flow.f2(A.T, B.T), flow.f2(A.T, B.T), atol=1e-12)
    np.testing.assert_allclose(closure_flow.u_in, 0.0)
    np.testing.assert_allclose(closure_flow.theta_bar, flow.theta_bar)
