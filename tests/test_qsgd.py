"""The QSGD optimizer against independent references: torch SGD, the exact flow, the core's Euler solve."""

import numpy as np
import pytest
import scipy.linalg as sla
import torch
from torch.nn.utils import prune

from pennylane_qsgd.core.euler import solve_euler
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.core.reference import integrate_ode
from pennylane_qsgd.optim.qsgd import QSGD, NonDissipativeWindowError


def regression(seed=0, n=40, d=3):
    torch.manual_seed(seed)
    x = torch.randn(n, d, dtype=torch.float64)
    y = x @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)[:d, None] + 0.3
    model = torch.nn.Linear(d, 1).double()

    def closure():
        return ((model(x) - y) ** 2).mean()

    return model, x, y, closure


def flat(model):
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()]).numpy()


def test_quadratic_loss_with_unit_euler_steps_equals_torch_sgd():
    model, _, _, closure = regression()
    reference, _, _, ref_closure = regression()
    opt = QSGD(model.parameters(), lr=0.1, window=5, euler_steps=5, fidelity="ideal")
    opt.step(closure)
    sgd = torch.optim.SGD(reference.parameters(), lr=0.1)
    for _ in range(5):
        sgd.zero_grad()
        ref_closure().backward()
        sgd.step()
    np.testing.assert_allclose(flat(model), flat(reference), atol=1e-10)
    assert opt.reports[-1].steps == 5 and opt.param_groups[0]["window"] == 5


def test_quadratic_loss_converges_to_the_exact_gradient_flow_as_h_shrinks():
    model, x, y, _ = regression(1)
    # Exact flow of L = mean((Xw + b - y)^2): d theta/dt = -lr (A theta - c), solved with expm.
    X = torch.cat([x, torch.ones(len(x), 1, dtype=torch.float64)], 1).numpy()
    A = 2 * X.T @ X / len(x)
    c = 2 * X.T @ y.numpy()[:, 0] / len(x)
    theta0 = flat(model)
    star = np.linalg.solve(A, c)
    exact = star + sla.expm(-0.1 * A * 6) @ (theta0 - star)
    errors = []
    for steps in (6, 24, 96):
        m, *_ = regression(1)
        closure = lambda m=m: ((m(x) - y) ** 2).mean()  # noqa: E731
        QSGD(m.parameters(), lr=0.1, window=6, euler_steps=steps, fidelity="ideal").step(closure)
        errors.append(np.linalg.norm(flat(m) - exact))
    # First order in h: each 4x refinement divides the error by about 4.
    ratios = [errors[0] / errors[1], errors[1] / errors[2]]
    assert all(3.5 < r < 4.5 for r in ratios), ratios
    assert errors[2] < 1e-2 * np.linalg.norm(exact - theta0)


@pytest.mark.parametrize("fidelity", ["ideal", "native"])
def test_one_window_on_a_small_mlp_matches_the_euler_carleman_solution(fidelity):
    torch.manual_seed(3)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    model = model.double()
    x = torch.randn(20, 2, dtype=torch.float64)
    y = torch.sin(x[:, :1])
    w0 = model[0].weight
    mask = torch.zeros_like(w0)
    mask.view(-1)[[0, 4]] = 1.0

    def closure():
        return ((model(x) - y) ** 2).mean()

    params = [w0]
    before = w0.detach().clone()
    lr, T = 0.2, 3
    opt = QSGD(
        params,
        lr=lr,
        window=T,
        order=2,
        euler_steps=6,
        fidelity=fidelity,
        masks={w0: mask},
        precision=1e-9,
    )
    opt.step(closure)
    # Independent reference: derivatives by torch.autograd.functional on the two weights.
    idx = torch.tensor([0, 4])

    def loss_of(v):
        w = before.reshape(-1).index_put((idx,), v).reshape(before.shape)
        h = torch.tanh(x @ w.T + model[0].bias.detach())
        return ((h @ model[2].weight.detach().T + model[2].bias.detach() - y) ** 2).mean()

    theta = before.reshape(-1)[idx]
    g = torch.autograd.functional.jacobian(loss_of, theta).numpy()
    H = torch.autograd.functional.hessian(loss_of, theta).numpy()
    T3 = torch.autograd.functional.jacobian(
        lambda v: torch.autograd.functional.hessian(loss_of, v, create_graph=True), theta
    ).numpy()
    tb = theta.numpy()
    problem = PolynomialODE(
        F0=-lr * (g - H @ tb + 0.5 * np.einsum("abc,b,c->a", T3, tb, tb)),
        F1=-lr * (H - np.einsum("abc,b->ac", T3, tb)),
        F2=-lr / 2 * T3.reshape(2, 4),
        u_in=tb,
    )
    expected = solve_euler(problem, 2, T, 6, 6).u_final
    got = w0.detach().reshape(-1)[idx].numpy()
    np.testing.assert_allclose(got, expected, atol=1e-6)
    # Pruned entries untouched; the report's numbers are the ones computed here.
    untouched = [i for i in range(6) if i not in (0, 4)]
    np.testing.assert_array_equal(w0.detach().reshape(-1)[untouched], before.reshape(-1)[untouched])
    report = opt.reports[-1]
    eigs = np.linalg.eigvalsh(H)
    assert report.lambda_min == pytest.approx(eigs[0], rel=1e-9)
    assert report.negative_fraction == pytest.approx(np.mean(eigs < 0))
    assert report.support_size == 2 and report.carleman_level == 2
    # Against T true GD steps: within the Taylor-model error plus the Carleman/Euler error.
    gd = tb.copy()
    for _ in range(T):
        gd = gd - lr * torch.autograd.functional.jacobian(loss_of, torch.tensor(gd)).numpy()
    taylor_flow = integrate_ode(problem, T)
    taylor_gd = tb.copy()
    for _ in range(T):
        d = taylor_gd - tb
        taylor_gd = taylor_gd - lr * (g + H @ d + 0.5 * np.einsum("abc,b,c->a", T3, d, d))
    bound = (
        np.linalg.norm(gd - taylor_gd)
        + np.linalg.norm(taylor_gd - taylor_flow)
        + np.linalg.norm(taylor_flow - expected)
    )
    assert np.linalg.norm(got - gd) <= bound + 1e-6


def test_pruned_module_keeps_pruned_weights_at_zero():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    prune.l1_unstructured(model[0], "weight", amount=0.5)
    x, y = torch.randn(16, 4), torch.randint(0, 2, (16,))
    orig_before = model[0].weight_orig.detach().clone()
    opt = QSGD(model.parameters(), lr=0.1, window=2, masks=model, fidelity="ideal")
    opt.step(lambda: torch.nn.functional.cross_entropy(model(x), y))
    mask = model[0].weight_mask.bool()
    assert torch.all(model[0].weight[~mask] == 0)
    assert torch.equal(model[0].weight_orig[~mask], orig_before[~mask])
    assert not torch.equal(model[0].weight_orig[mask], orig_before[mask])
    assert opt.reports[-1].support_size == int(mask.sum()) + 3 + 6 + 2


def test_state_dict_round_trip_and_scheduler():
    model, _, _, closure = regression(2)
    opt = QSGD(model.parameters(), lr=0.1, window=2, fidelity="ideal", shots=4000, seed=5)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    opt.step(closure)
    sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.05)
    state = opt.state_dict()
    clone = QSGD(model.parameters(), lr=0.1, window=2, fidelity="ideal", shots=4000, seed=5)
    clone.load_state_dict(state)
    assert clone.reports == opt.reports
    assert clone.state_dict()["state"] == state["state"]
    assert clone.param_groups[0]["lr"] == pytest.approx(0.05)
    snapshot = flat(model)
    opt.step(closure)
    after_opt = flat(model)
    with torch.no_grad():
        for p, v in zip(model.parameters(), torch.tensor(snapshot).split([3, 1]), strict=True):
            p.copy_(v.reshape(p.shape))
    clone.step(closure)
    np.testing.assert_array_equal(flat(model), after_opt)  # same seed for the same window
    assert clone.reports[-1].window == 1 and clone.reports[-1].shots > 0


def test_bad_inputs_leave_parameters_unchanged(monkeypatch):
    model, x, y, closure = regression(4)
    before = flat(model)
    opt = QSGD(model.parameters(), lr=0.1, window=2, fidelity="ideal")
    with pytest.raises(ValueError, match="closure"):
        opt.step(None)
    with pytest.raises(ValueError, match="returned None"):
        opt.step(lambda: None)
    with pytest.raises(FloatingPointError):
        opt.step(lambda: closure() * float("nan"))
    concave = QSGD(
        model.parameters(), lr=0.1, window=2, fidelity="ideal", on_nondissipative="raise"
    )
    with pytest.raises(NonDissipativeWindowError):
        concave.step(lambda: -closure())
    monkeypatch.setenv("QSGD_MEMORY_LIMIT", "256")
    with pytest.raises(MemoryError, match="max_support"):
        # The dense route refuses; order2_route="auto" would take the low-rank route instead.
        dense = QSGD(model.parameters(), lr=0.1, order=2, fidelity="ideal", order2_route="dense")
        dense.step(closure)
    np.testing.assert_array_equal(flat(model), before)
    empty = QSGD([model.weight], lr=0.1, masks={model.weight: torch.zeros_like(model.weight)})
    with pytest.raises(ValueError, match="support is empty"):
        empty.step(closure)
    bad = (
        {"lr": -1},
        {"window": 0},
        {"order": 3},
        {"fidelity": "fast"},
        {"shots": 1},
        {"encoding": "sparse"},
    )
    for kwargs in bad:
        with pytest.raises(ValueError):
            QSGD(model.parameters(), **{"lr": 0.1, **kwargs})
    np.testing.assert_array_equal(flat(model), before)


def test_classical_fallback_runs_plain_gradient_steps():
    model, x, _, closure = regression(5)
    reference, _, _, ref_closure = regression(5)
    opt = QSGD(
        model.parameters(), lr=0.05, window=3, fidelity="ideal", on_nondissipative="classical"
    )
    opt.step(lambda: -closure())
    sgd = torch.optim.SGD(reference.parameters(), lr=0.05)
    for _ in range(3):
        sgd.zero_grad()
        (-ref_closure()).backward()
        sgd.step()
    np.testing.assert_allclose(flat(model), flat(reference), atol=1e-12)
    report = opt.reports[-1]
    assert report.action == "classical"
    # The negated least-squares loss has the Hessian -2 Z^T Z / n on S = (weight, bias).
    Z = np.hstack([x.numpy(), np.ones((x.shape[0], 1))])
    eigs = np.linalg.eigvalsh(-2.0 * Z.T @ Z / x.shape[0])
    assert report.lambda_min == pytest.approx(eigs[0], rel=1e-9)
    assert report.negative_fraction == 1.0 and report.R == float("inf")
    assert report.re_lambda1 == pytest.approx(-0.05 * eigs[0], rel=1e-9)
    assert report.euler_steps == report.shots == report.qubits == 0


def test_stochastic_window_uses_one_minibatch_gradient_per_step():
    # Minibatches that share the inputs (so the Hessian) but not the targets: the stochastic
    # window's piecewise forcing then reproduces SGD over the same minibatches exactly.
    model, x, y, _ = regression(6)
    reference, *_ = regression(6)
    noise = [torch.randn_like(y, generator=torch.Generator().manual_seed(k)) for k in range(3)]
    calls = []

    def closure():
        target = y + noise[len(calls) % 3]
        calls.append(1)
        return ((model(x) - target) ** 2).mean()

    opt = QSGD(
        model.parameters(), lr=0.1, window=3, euler_steps=3, fidelity="ideal", stochastic=True
    )
    opt.step(closure)
    assert len(calls) == 3
    sgd = torch.optim.SGD(reference.parameters(), lr=0.1)
    for k in range(3):
        sgd.zero_grad()
        ((reference(x) - y - noise[k]) ** 2).mean().backward()
        sgd.step()
    np.testing.assert_allclose(flat(model), flat(reference), atol=1e-10)


def test_matrix_free_window_equals_the_dense_one():
    dense_model, _, _, dense_closure = regression(7)
    free_model, _, _, free_closure = regression(7)
    QSGD(dense_model.parameters(), lr=0.1, window=4, fidelity="ideal").step(dense_closure)
    opt = QSGD(free_model.parameters(), lr=0.1, window=4, fidelity="ideal", matrix_free=True)
    opt.step(free_closure)
    np.testing.assert_allclose(flat(free_model), flat(dense_model), atol=1e-10)
    report = opt.reports[-1]
    assert report.lambda_min > 0 and report.action == "quantum" and report.negative_fraction is None


def test_matrix_free_window_on_a_nonlinear_model_equals_the_dense_one():
    def build():
        torch.manual_seed(8)
        net = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))
        return net.double()

    x = torch.randn(30, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    y = torch.sin(x.sum(1, keepdim=True))
    dense, free = build(), build()
    QSGD(dense.parameters(), lr=0.1, window=3, euler_steps=6, fidelity="ideal").step(
        lambda: ((dense(x) - y) ** 2).mean()
    )
    opt = QSGD(
        free.parameters(), lr=0.1, window=3, euler_steps=6, fidelity="ideal", matrix_free=True
    )
    opt.step(lambda: ((free(x) - y) ** 2).mean())
    np.testing.assert_allclose(flat(free), flat(dense), atol=1e-9)


def test_gradient_descent_reference_is_torch_sgd_on_the_support_and_restores_weights():
    torch.manual_seed(3)
    x = torch.randn(30, 4, dtype=torch.float64)
    y = torch.randn(30, 2, dtype=torch.float64)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    model = model.double()
    prune.random_unstructured(model[0], "weight", amount=0.5)

    def closure():
        return ((model(x) - y) ** 2).mean()

    opt = QSGD(
        model.parameters(), lr=0.2, window=4, weight_decay=0.01, masks=model, fidelity="ideal"
    )
    before = flat(model)
    entries = opt.support()
    mask = model[0].weight_mask.reshape(-1).bool()
    by_param = {id(e.param): e.index.tolist() for e in entries}
    assert by_param[id(model[0].weight_orig)] == torch.nonzero(mask).reshape(-1).tolist()
    assert sum(e.index.numel() for e in entries) == int(mask.sum()) + 3 + 6 + 2
    result = opt.gradient_descent_reference(closure)
    np.testing.assert_array_equal(flat(model), before)

    # Independent reference: torch's SGD (weight decay included), gradients masked by pruning.
    sgd = torch.optim.SGD(model.parameters(), lr=0.2, weight_decay=0.01)
    for _ in range(4):
        sgd.zero_grad()
        closure().backward()
        sgd.step()
    expected = torch.cat([e.param.detach().reshape(-1)[e.index] for e in opt.support()]).numpy()
    np.testing.assert_allclose(result, expected, atol=1e-12)


def test_support_rejects_a_missing_group():
    model, _, _, _ = regression()
    opt = QSGD(model.parameters(), lr=0.1, window=2, fidelity="ideal")
    with pytest.raises(IndexError, match="out of range"):
        opt.support(1)
    with pytest.raises(TypeError, match="integer"):
        opt.support("0")
