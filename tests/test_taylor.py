"""Tests of the Taylor coefficients on a support and of the ODE built from them.

References are independent of the code under test: ``torch.autograd.functional`` derivatives of
the loss as a function of *all* flattened parameters (of a dense copy of the module) restricted
to S, central finite differences of plain forward passes, direct SGD steps, and the Taylor model
written out with ``np.einsum``.
"""

import copy
import itertools

import numpy as np
import pytest
import scipy.sparse.linalg as spla
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.func import functional_call

from pennylane_qsgd.core.memory import MemoryBudgetError
from pennylane_qsgd.optim.pruning import global_l1_prune, remove_pruning
from pennylane_qsgd.optim.support import Support
from pennylane_qsgd.optim.taylor import (
    FORWARD,
    REVERSE,
    StochasticForcing,
    TaylorCoefficients,
    build_problem,
    gradient_on_support,
    hessian_operator,
    hessian_vector_product,
    stochastic_forcing,
    support_loss,
    taylor_coefficients,
)

DT = torch.float64

# torch loads its forward-mode decompositions with torch.jit.script on first use
pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning"
)


def mse(out, target):
    return torch.nn.functional.mse_loss(out, target)  # no forward-mode AD in torch 2.13


def mse_manual(out, target):
    return ((out - target) ** 2).mean()  # forward-mode friendly


def mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()


def data(seed=0, n=10, d_in=3, d_out=2):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d_in, generator=g, dtype=DT), torch.randn(n, d_out, generator=g, dtype=DT)


def dense_copy(module):
    """A deep copy with pruning made permanent (deepcopy refuses the hook's non-leaf weight)."""
    pruned = [(m, n) for m in module.modules() for n in list(m._parameters) if n.endswith("_orig")]
    saved = [(m, n[: -len("_orig")]) for m, n in pruned]
    attrs = [getattr(m, a) for m, a in saved]
    try:
        for m, a in saved:
            setattr(m, a, getattr(m, a).detach())
        out = copy.deepcopy(module)
    finally:
        for (m, a), value in zip(saved, attrs, strict=True):
            setattr(m, a, value)
    remove_pruning(out)
    return out


class Reference:
    """The loss of a dense copy of ``module`` as a function of all its flattened parameters."""

    def __init__(self, module, loss_fn, batch, support):
        self.ref = dense_copy(module)
        self.loss_fn, (self.x, self.y) = loss_fn, batch
        self.names, self.shapes, offsets, start = [], [], {}, 0
        for name, p in self.ref.named_parameters():
            self.names.append(name)
            self.shapes.append(p.shape)
            offsets[name] = start
            start += p.numel()
        self.theta = torch.cat([p.detach().reshape(-1) for p in self.ref.parameters()])
        self.pos = np.concatenate(
            [offsets[n.removesuffix("_orig")] + idx.numpy() for n, idx in support.entries]
        )

    def f(self, vec):
        params, start = {}, 0
        for name, shape in zip(self.names, self.shapes, strict=True):
            n = int(np.prod(shape))
            params[name] = vec[start : start + n].reshape(shape)
            start += n
        return self.loss_fn(functional_call(self.ref, params, (self.x,)), self.y)

    def full(self, theta_s):
        vec = self.theta.clone()
        vec[torch.as_tensor(self.pos)] = torch.as_tensor(theta_s, dtype=DT)
        return vec

    def grad(self, theta_s=None):
        vec = self.theta if theta_s is None else self.full(theta_s)
        g = torch.autograd.functional.jacobian(self.f, vec, vectorize=True)
        return g.numpy()[self.pos]

    def hessian(self, theta_s=None):
        vec = self.theta if theta_s is None else self.full(theta_s)
        H = torch.autograd.functional.hessian(self.f, vec, vectorize=True).numpy()
        return H[np.ix_(self.pos, self.pos)]

    def third(self):
        def hess(v):
            return torch.autograd.functional.hessian(self.f, v, create_graph=True, vectorize=True)

        T = torch.autograd.functional.jacobian(hess, self.theta, vectorize=True).numpy()
        return T[np.ix_(self.pos, self.pos, self.pos)]


@pytest.fixture(scope="module")
def setting():
    net = mlp()
    batch = data()
    support = Support.from_indices(
        net, {"0.weight": [0, 4, 7, 11], "0.bias": [1, 3], "2.weight": [0, 5, 6], "2.bias": [1]}
    )
    ref = Reference(net, mse, batch, support)
    coeffs = taylor_coefficients(net, mse, batch, support, order=2)
    return net, batch, support, ref, coeffs


# ---------------------------------------------------------------------- loss, gradient, Hessian


def test_support_loss_equals_forward_pass(setting):
    net, (x, y), support, _, _ = setting
    f = support_loss(net, mse, (x, y), support)
    theta = support.gather(net)
    assert f(theta).item() == pytest.approx(mse(net(x), y).item(), rel=1e-14)
    other = theta + 0.3 * torch.arange(support.size, dtype=DT)
    moved = copy.deepcopy(net)
    support.scatter_(moved, other)
    assert f(other).item() == pytest.approx(mse(moved(x), y).item(), rel=1e-14)
    np.testing.assert_array_equal(support.gather(net).numpy(), theta.numpy())  # not mutated


def test_gradient_and_hessian_match_full_autograd(setting):
    net, batch, support, ref, coeffs = setting
    np.testing.assert_allclose(coeffs.theta_bar, ref.theta.numpy()[ref.pos], rtol=0, atol=0)
    assert coeffs.loss == pytest.approx(ref.f(ref.theta).item(), rel=1e-14)
    np.testing.assert_allclose(coeffs.g, ref.grad(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(coeffs.H, ref.hessian(), rtol=1e-11, atol=1e-13)
    g = gradient_on_support(net, mse, batch, support)
    np.testing.assert_allclose(g.numpy(), ref.grad(), rtol=1e-12, atol=1e-14)
    assert coeffs.order == 2 and coeffs.size == support.size


@pytest.mark.parametrize(("loss_fn", "mode"), [(mse, REVERSE), (mse_manual, FORWARD)])
def test_hvp_matches_reference_and_finite_differences(setting, loss_fn, mode):
    net, batch, support, _, _ = setting
    ref = Reference(net, loss_fn, batch, support)
    hvp = hessian_vector_product(net, loss_fn, batch, support)
    v = torch.linspace(-1.0, 1.0, support.size, dtype=DT)
    hv = hvp(v).numpy()
    assert hvp.mode == mode
    np.testing.assert_allclose(hv, ref.hessian() @ v.numpy(), rtol=1e-11, atol=1e-13)
    h = 1e-5
    theta = ref.theta.numpy()[ref.pos]
    fd = (ref.grad(theta + h * v.numpy()) - ref.grad(theta - h * v.numpy())) / (2 * h)
    np.testing.assert_allclose(hv, fd, rtol=1e-6, atol=1e-8)


def test_gradient_matches_finite_differences_of_forward_passes(setting):
    net, (x, y), support, _, coeffs = setting
    h = 1e-6
    fd = np.empty(support.size)
    for i in range(support.size):
        vals = []
        for sign in (1, -1):
            moved = copy.deepcopy(net)
            support.scatter_(moved, coeffs.theta_bar + sign * h * np.eye(support.size)[i])
            vals.append(mse(moved(x), y).item())
        fd[i] = (vals[0] - vals[1]) / (2 * h)
    np.testing.assert_allclose(coeffs.g, fd, rtol=1e-7, atol=1e-9)


def test_third_derivative_matches_reference_and_finite_differences(setting):
    net, batch, support, ref, coeffs = setting
    T3 = coeffs.T3
    s = support.size
    assert T3.shape == (s, s, s)
    for perm in [(0, 2, 1), (1, 0, 2), (2, 1, 0), (1, 2, 0)]:
        np.testing.assert_array_equal(T3, np.transpose(T3, perm))
    np.testing.assert_allclose(T3, ref.third(), rtol=1e-10, atol=1e-12)
    h = 1e-4
    theta = coeffs.theta_bar
    fd = np.stack(
        [(ref.hessian(theta + h * e) - ref.hessian(theta - h * e)) / (2 * h) for e in np.eye(s)],
        axis=-1,
    )
    np.testing.assert_allclose(T3, fd, rtol=1e-5, atol=1e-7)


def test_forward_and_reverse_modes_agree(setting):
    net, batch, support, _, _ = setting
    fwd = taylor_coefficients(net, mse_manual, batch, support, mode="forward", chunk_size=5)
    rev = taylor_coefficients(net, mse_manual, batch, support, mode="reverse", chunk_size=3)
    np.testing.assert_allclose(fwd.H, rev.H, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fwd.T3, rev.T3, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(fwd.g, rev.g, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_works_inside_no_grad(setting, mode):
    """Optimizer.step runs with grad mode off; the coefficients must not change."""
    net, batch, support, ref, _ = setting
    with torch.no_grad():
        c = taylor_coefficients(net, mse_manual, batch, support, mode=mode)
        hv = hessian_vector_product(net, mse_manual, batch, support, mode=mode)(
            torch.ones(support.size)
        )
    ref = Reference(net, mse_manual, batch, support)
    np.testing.assert_allclose(c.g, ref.grad(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c.H, ref.hessian(), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(hv.numpy(), ref.hessian().sum(axis=1), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(c.T3, ref.third(), rtol=1e-10, atol=1e-12)


def test_hessian_operator_matches_dense_hessian(setting):
    net, batch, support, ref, _ = setting
    op = hessian_operator(net, mse, batch, support, weight_decay=0.1)
    assert isinstance(op, spla.LinearOperator) and op.dtype == np.float64
    H = ref.hessian() + 0.1 * np.eye(support.size)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(support.size, 3))
    np.testing.assert_allclose(op @ X, H @ X, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(op.rmatvec(X[:, 0]), H @ X[:, 0], rtol=1e-11, atol=1e-13)
    top = spla.eigsh(op, k=2, which="LA", return_eigenvectors=False)
    np.testing.assert_allclose(np.sort(top), np.linalg.eigvalsh(H)[-2:], rtol=1e-8)


# ---------------------------------------------------------------------- fallbacks


class CubeNoJvp(torch.autograd.Function):
    """x**3 with a backward but no forward-mode rule (torch.func style)."""

    @staticmethod
    def forward(x):
        return x**3

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * grad_out


class CubeLegacy(torch.autograd.Function):
    """x**3 as an old-style Function, unusable by torch.func transforms altogether."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * grad_out


class CubeNet(nn.Module):
    def __init__(self, cube):
        super().__init__()
        torch.manual_seed(1)
        self.lin = nn.Linear(3, 3).double()
        self.out = nn.Linear(3, 1).double()
        self.cube = cube

    def forward(self, x):
        h = self.lin(x)
        return self.out(self.cube(h) if self.cube else h**3)


@pytest.mark.parametrize("cube", [CubeNoJvp.apply, CubeLegacy.apply])
def test_fallback_to_double_backward(cube):
    x, _ = data(1, n=6)
    y = torch.randn(6, 1, dtype=DT)
    net = CubeNet(cube)
    plain = CubeNet(None)  # same weights, pow instead of the custom Function
    support = Support.from_indices(net, {"lin.weight": [0, 2, 4, 8], "out.weight": [1]})
    ref = Reference(plain, mse_manual, (x, y), support)
    hvp = hessian_vector_product(net, mse_manual, (x, y), support)
    v = torch.ones(support.size, dtype=DT)
    np.testing.assert_allclose(hvp(v).numpy(), ref.hessian() @ v.numpy(), rtol=1e-11)
    assert hvp.mode == REVERSE
    coeffs = taylor_coefficients(net, mse_manual, (x, y), support)
    np.testing.assert_allclose(coeffs.g, ref.grad(), rtol=1e-12)
    np.testing.assert_allclose(coeffs.H, ref.hessian(), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(coeffs.T3, ref.third(), rtol=1e-10, atol=1e-12)
    forced = hessian_vector_product(net, mse_manual, (x, y), support, mode="forward")
    with pytest.raises((RuntimeError, NotImplementedError)):
        forced(v)


# ---------------------------------------------------------------------- weight decay, pruning, BN


def test_weight_decay_shifts_g_and_h(setting):
    net, batch, support, _, coeffs = setting
    wd = 0.3
    dec = taylor_coefficients(net, mse, batch, support, order=2, weight_decay=wd)
    tb = coeffs.theta_bar
    np.testing.assert_allclose(dec.g, coeffs.g + wd * tb, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(dec.H, coeffs.H + wd * np.eye(len(tb)), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(dec.T3, coeffs.T3, rtol=1e-13, atol=1e-15)
    assert dec.loss == pytest.approx(coeffs.loss + 0.5 * wd * tb @ tb, rel=1e-14)
    assert dec.weight_decay == wd
    hv = hessian_vector_product(net, mse, batch, support, weight_decay=wd)(torch.ones(len(tb)))
    np.testing.assert_allclose(hv.numpy(), dec.H @ np.ones(len(tb)), rtol=1e-12)


def test_pruned_module_coefficients_and_no_mutation():
    net = mlp(2)
    global_l1_prune(net, 0.5, exclude_last=False)
    batch = data(2)
    support = Support.from_masks(net, include_unmasked=True)
    weight_attr = net[0].weight
    orig = {n: p.detach().clone() for n, p in net.named_parameters()}
    coeffs = taylor_coefficients(net, mse, batch, support, order=2)
    ref = Reference(net, mse, batch, support)  # dense copy: weight = orig * mask
    np.testing.assert_allclose(coeffs.g, ref.grad(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(coeffs.H, ref.hessian(), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(coeffs.T3, ref.third(), rtol=1e-10, atol=1e-12)
    assert net[0].weight is weight_attr  # the pruning hook's attribute was restored
    for name, p in net.named_parameters():
        torch.testing.assert_close(p.detach(), orig[name], rtol=0, atol=0)
    x, y = batch
    assert mse(net(x), y).item() == pytest.approx(coeffs.loss, rel=1e-14)


def test_batchnorm_buffers_untouched_and_train_mode_gradient():
    torch.manual_seed(4)
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 1)).double()
    x, _ = data(3, n=8)
    y = torch.randn(8, 1, dtype=DT)
    buffers = {n: b.clone() for n, b in net.named_buffers()}
    support = Support.from_indices(net, {"0.weight": [0, 5, 9], "1.weight": [2], "3.weight": [1]})
    coeffs = taylor_coefficients(net, mse, (x, y), support, order=1)
    for name, b in net.named_buffers():
        torch.testing.assert_close(b, buffers[name], rtol=0, atol=0)

    def grad_at(theta):  # plain autograd through a train-mode copy
        moved = copy.deepcopy(net)
        support.scatter_(moved, theta)
        moved.zero_grad()
        mse(moved(x), y).backward()
        grads = {n: p.grad.reshape(-1) for n, p in moved.named_parameters()}
        return torch.cat([grads[n][i] for n, i in support.entries]).numpy()

    np.testing.assert_allclose(coeffs.g, grad_at(coeffs.theta_bar), rtol=1e-12, atol=1e-14)
    h, e = 1e-5, np.eye(support.size)
    fd = np.stack(
        [
            (grad_at(coeffs.theta_bar + h * v) - grad_at(coeffs.theta_bar - h * v)) / (2 * h)
            for v in e
        ]
    )
    np.testing.assert_allclose(coeffs.H, fd, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------------- the ODE


def model_gradient(g, H, T3, theta_bar, theta):
    d = theta - theta_bar
    out = g + H @ d
    if T3 is not None:
        out = out + 0.5 * np.einsum("abc,b,c->a", T3, d, d)
    return out


def random_coefficients(rng, s, order):
    A = rng.normal(size=(s, s))
    T = rng.normal(size=(s, s, s))
    T = sum(np.transpose(T, p) for p in itertools.permutations(range(3))) / 6
    return TaylorCoefficients(
        theta_bar=rng.normal(size=s),
        loss=1.0,
        g=rng.normal(size=s),
        H=(A + A.T) / 2,
        T3=T if order == 2 else None,
    )


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    s=st.integers(1, 5),
    order=st.sampled_from([1, 2]),
    lr=st.floats(1e-3, 1.0),
)
def test_rhs_is_minus_lr_times_taylor_model_gradient(seed, s, order, lr):
    rng = np.random.default_rng(seed)
    c = random_coefficients(rng, s, order)
    problem = build_problem(c, lr)
    np.testing.assert_array_equal(problem.u_in, c.theta_bar)
    assert problem.is_linear == (order == 1)
    for _ in range(3):
        u = rng.normal(size=s) * 2
        expected = -lr * model_gradient(c.g, c.H, c.T3, c.theta_bar, u)
        np.testing.assert_allclose(problem.rhs(0.0, u), expected, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(c.model_gradient(u), expected / -lr, rtol=1e-10, atol=1e-10)
    centre = rng.normal(size=s)
    shifted = build_problem(c, lr, centre=centre)
    np.testing.assert_allclose(shifted.u_in, c.theta_bar - centre)
    w = rng.normal(size=s)
    expected = -lr * model_gradient(c.g, c.H, c.T3, c.theta_bar, w + centre)
    np.testing.assert_allclose(shifted.rhs(0.0, w), expected, rtol=1e-9, atol=1e-9)


def test_rhs_on_a_real_model_and_one_euler_step_is_one_sgd_step(setting):
    net, batch, support, _, coeffs = setting
    lr = 0.05
    problem = build_problem(coeffs, lr)
    rng = np.random.default_rng(1)
    u = coeffs.theta_bar + 0.1 * rng.normal(size=support.size)
    expected = -lr * model_gradient(coeffs.g, coeffs.H, coeffs.T3, coeffs.theta_bar, u)
    np.testing.assert_allclose(problem.rhs(0.0, u), expected, rtol=1e-10, atol=1e-14)
    # time unit: forward Euler with h = 1 from theta_bar is exactly one SGD step on S
    moved = copy.deepcopy(net)
    masks = support.to_masks(moved)
    opt = torch.optim.SGD(moved.parameters(), lr=lr)
    x, y = batch
    mse(moved(x), y).backward()
    for name, p in moved.named_parameters():
        p.grad = p.grad * masks[name] if name in masks else None
    opt.step()
    euler = coeffs.theta_bar + problem.rhs(0.0, coeffs.theta_bar)
    np.testing.assert_allclose(support.gather(moved).numpy(), euler, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("wd", [0.0, 0.2])
def test_quadratic_loss_taylor_model_is_exact(wd):
    torch.manual_seed(5)
    net = nn.Linear(3, 2).double()
    batch = data(5)
    support = Support.all(net)
    coeffs = taylor_coefficients(net, mse, batch, support, order=2, weight_decay=wd)
    np.testing.assert_allclose(coeffs.T3, 0.0, atol=1e-13)
    lr = 0.1
    problem = build_problem(coeffs, lr)
    rng = np.random.default_rng(2)
    x, y = batch
    for _ in range(3):
        theta = 3 * rng.normal(size=support.size)
        moved = copy.deepcopy(net)
        support.scatter_(moved, theta)
        opt = torch.optim.SGD(moved.parameters(), lr=lr, weight_decay=wd)
        mse(moved(x), y).backward()
        opt.step()  # the exact GD step from an arbitrary theta
        step = support.gather(moved).numpy() - theta
        np.testing.assert_allclose(problem.rhs(0.0, theta), step, rtol=1e-10, atol=1e-12)
    linear = build_problem(taylor_coefficients(net, mse, batch, support, order=1), lr)
    assert linear.is_linear and linear.F2.shape == (support.size, support.size**2)


def test_order_zero_problem_is_constant_forcing(setting):
    net, batch, support, _, coeffs = setting
    c0 = taylor_coefficients(net, mse, batch, support, order=0)
    assert c0.H is None and c0.T3 is None and c0.order == 0
    problem = build_problem(c0, 0.1)
    np.testing.assert_allclose(problem.rhs(0.0, np.ones(support.size)), -0.1 * coeffs.g)


def test_stochastic_forcing_rows_and_problem(setting):
    net, batch, support, _, _ = setting
    wd, lr = 0.05, 0.02
    coeffs = taylor_coefficients(net, mse, batch, support, weight_decay=wd)
    batches = [data(10 + k, n=4) for k in range(3)]
    moved = copy.deepcopy(net)  # the forcing is taken at theta_bar, not at the module's values
    support.scatter_(moved, coeffs.theta_bar + 1.0)
    forcing = stochastic_forcing(moved, mse, batches, support, coeffs, lr)
    assert isinstance(forcing, StochasticForcing)
    np.testing.assert_array_equal(forcing.forcing_times, [0.0, 1.0, 2.0])
    problem = build_problem(coeffs, lr, forcing=forcing)
    assert problem.is_time_dependent
    rng = np.random.default_rng(3)
    u = coeffs.theta_bar + 0.1 * rng.normal(size=support.size)
    for k, b in enumerate(batches):
        g_k = Reference(net, mse, b, support).grad() + wd * coeffs.theta_bar
        expected = -lr * model_gradient(g_k, coeffs.H, coeffs.T3, coeffs.theta_bar, u)
        np.testing.assert_allclose(problem.rhs(k + 0.5, u), expected, rtol=1e-10, atol=1e-14)
    as_array = build_problem(coeffs, lr, forcing=forcing.F0)
    np.testing.assert_array_equal(as_array.forcing_times, forcing.forcing_times)


# ---------------------------------------------------------------------- bad input


def test_bad_inputs(setting):
    net, batch, support, _, coeffs = setting
    x, y = batch
    with pytest.raises(ValueError, match="loss is not finite"):
        taylor_coefficients(net, lambda o, t: mse(o, t) * float("nan"), batch, support)
    with pytest.raises(ValueError, match="loss is not finite"):
        gradient_on_support(net, mse, (x * float("inf"), y), support)
    with pytest.raises(TypeError, match="pair"):
        support_loss(net, mse, x, support)
    with pytest.raises(ValueError, match="scalar"):
        gradient_on_support(net, lambda o, t: (o - t) ** 2, batch, support)
    with pytest.raises(TypeError, match="callable"):
        support_loss(net, "mse", batch, support)
    with pytest.raises(ValueError, match="forward_dtype=torch.float64"):
        support_loss(net, mse, batch, support, forward_dtype=torch.float64)
    with pytest.raises(ValueError, match="order"):
        taylor_coefficients(net, mse, batch, support, order=3)
    with pytest.raises(ValueError, match="weight_decay"):
        taylor_coefficients(net, mse, batch, support, weight_decay=-1.0)
    with pytest.raises(ValueError, match="chunk_size"):
        taylor_coefficients(net, mse, batch, support, chunk_size=0)
    with pytest.raises(ValueError, match="lr"):
        build_problem(coeffs, 0.0)
    with pytest.raises(ValueError, match="mode"):
        hessian_vector_product(net, mse, batch, support, mode="sideways")
    with pytest.raises(ValueError, match="shape"):
        hessian_vector_product(net, mse, batch, support)(torch.ones(support.size + 1))
    with pytest.raises(ValueError, match="at must have shape"):
        gradient_on_support(net, mse, batch, support, at=np.zeros(2))
    with pytest.raises(ValueError, match="empty"):
        stochastic_forcing(net, mse, [], support, coeffs, 0.1)
    with pytest.raises(ValueError, match="same support"):
        stochastic_forcing(net, mse, [batch], Support.all(net), coeffs, 0.1)
    with pytest.raises(ValueError, match="does not have"):
        taylor_coefficients(nn.Linear(3, 2), mse, batch, support)


def test_coefficients_validation():
    rng = np.random.default_rng(0)
    c = random_coefficients(rng, 3, 2)
    with pytest.raises(ValueError, match="T3 must be symmetric"):
        TaylorCoefficients(c.theta_bar, 0.0, c.g, c.H, rng.normal(size=(3, 3, 3)))
    with pytest.raises(ValueError, match="H must be symmetric"):
        TaylorCoefficients(c.theta_bar, 0.0, c.g, rng.normal(size=(3, 3)))
    with pytest.raises(ValueError, match="g must have shape"):
        TaylorCoefficients(c.theta_bar, 0.0, c.g[:2], c.H)
    with pytest.raises(ValueError, match="NaN"):
        TaylorCoefficients(c.theta_bar, 0.0, c.g * np.nan, c.H)
    with pytest.raises(ValueError, match="needs the Hessian"):
        TaylorCoefficients(c.theta_bar, 0.0, c.g, None, c.T3)


def test_memory_guard_refuses_huge_tensors():
    big = nn.Linear(1000, 100)
    support = Support.all(big)  # s = 100100: T3 would need 8 s^3 ~ 8e15 bytes
    batch = (torch.zeros(1, 1000), torch.zeros(1, 100))
    with pytest.raises(MemoryBudgetError, match="T3"):
        taylor_coefficients(big, mse, batch, support, order=2)
