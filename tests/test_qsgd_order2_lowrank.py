"""QSGD's low-rank order-2 route against the dense Euler–Carleman solve of the same window."""

import numpy as np
import pytest
import torch

import pennylane_qsgd.optim.qsgd as qsgd_module
from pennylane_qsgd.core.euler import solve_euler
from pennylane_qsgd.core.lowrank_carleman import RankCapError
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.core.reference import integrate_ode
from pennylane_qsgd.optim.qsgd import QSGD

SHAPES = [(4, 3), (4,), (1, 4)]


def tanh_mlp(seed=0):
    """A 3-4-1 tanh MLP as three float64 parameters (s = 20) and its loss on the flat vector."""
    g = torch.Generator().manual_seed(seed)
    params = [
        torch.nn.Parameter(0.7 * torch.randn(*s, generator=g, dtype=torch.float64)) for s in SHAPES
    ]
    x = torch.randn(24, 3, generator=g, dtype=torch.float64)
    y = torch.sin(x[:, :1] - x[:, 1:2])

    def loss_of(W1, b1, W2):
        return ((torch.tanh(x @ W1.T + b1) @ W2.T - y) ** 2).mean()

    def closure():
        return loss_of(*params)

    def flat_loss(v):
        sizes = [int(np.prod(s)) for s in SHAPES]
        parts = torch.split(v, sizes)
        return loss_of(*(p.reshape(s) for p, s in zip(parts, SHAPES, strict=True)))

    return params, closure, flat_loss


def flat(params):
    return torch.cat([p.detach().reshape(-1) for p in params]).numpy()


def centred_problem(flat_loss, theta, lr):
    """The centred Taylor-model flow (u(0) = 0), derivatives by torch.autograd.functional."""
    v = torch.as_tensor(theta)
    g = torch.autograd.functional.jacobian(flat_loss, v).numpy()
    H = torch.autograd.functional.hessian(flat_loss, v).numpy()
    T3 = torch.autograd.functional.jacobian(
        lambda w: torch.autograd.functional.hessian(flat_loss, w, create_graph=True), v
    ).numpy()
    s = theta.size
    return PolynomialODE(
        F0=-lr * g, F1=-lr * H, F2=-0.5 * lr * T3.reshape(s, s * s), u_in=np.zeros(s)
    )


def centred_dense_reference(flat_loss, theta, lr, T, steps):
    """Dense level-2 Euler–Carleman (core solve_euler) of the centred flow, weights at the end."""
    return theta + solve_euler(centred_problem(flat_loss, theta, lr), 2, float(T), steps).u_final


def run(route, lr=0.15, T=3, steps=6, **options):
    params, closure, flat_loss = tanh_mlp()
    theta0 = flat(params)
    opt = QSGD(
        params,
        lr=lr,
        window=T,
        order=2,
        euler_steps=steps,
        fidelity="ideal",
        order2_route=route,
        **options,
    )
    opt.step(closure)
    return theta0, flat(params), opt.reports[-1], flat_loss


def test_lowrank_route_without_truncation_equals_the_dense_level2_solve():
    lr, T, steps = 0.15, 3, 6
    theta0, after, report, flat_loss = run("lowrank", lr, T, steps, rank_tol=0.0)
    reference = centred_dense_reference(flat_loss, theta0, lr, T, steps)
    moved = np.linalg.norm(reference - theta0)
    assert moved > 1e-3
    np.testing.assert_allclose(after, reference, rtol=0, atol=1e-9 * moved)
    assert report.order2_route == "lowrank" and report.order == 2
    assert report.level2_discarded == 0.0 and 1 <= report.level2_rank <= theta0.size
    assert report.euler_steps == steps and report.shots == 0
    assert 0 < report.success_probability <= 1


def test_lowrank_route_is_nearer_the_taylor_flow_than_the_dense_route():
    # Both routes truncate the same Taylor-model flow at level 2; the dense route does it in
    # absolute coordinates (u(0) = theta, |theta| ~ 1), the low-rank route centred (u(0) = 0),
    # where the dropped cubic terms start at zero. Reference: the flow integrated by scipy.
    lr, T, steps = 0.05, 2, 8
    theta0, dense, dense_report, flat_loss = run("dense", lr, T, steps)
    _, lowrank, lowrank_report, _ = run("lowrank", lr, T, steps, rank_tol=1e-12)
    exact = theta0 + integrate_ode(centred_problem(flat_loss, theta0, lr), float(T))
    error_lowrank = np.linalg.norm(lowrank - exact)
    error_dense = np.linalg.norm(dense - exact)
    assert error_lowrank < error_dense
    assert error_lowrank < 0.1 * np.linalg.norm(exact - theta0)
    assert dense_report.order2_route == "dense" and lowrank_report.order2_route == "lowrank"
    assert lowrank_report.level2_discarded < 1e-6


def test_rank_cap_raises_and_restores_the_parameters():
    params, closure, _ = tanh_mlp()
    before = [p.detach().clone() for p in params]
    opt = QSGD(
        params, lr=0.15, window=3, order=2, fidelity="ideal", order2_route="lowrank", max_rank=1
    )
    with pytest.raises(RankCapError, match="max_rank = 1"):
        opt.step(closure)
    for p, b in zip(params, before, strict=True):
        assert torch.equal(p.detach(), b)
    assert opt.reports == [] and opt.state["qsgd"]["windows"] == 0


def test_auto_takes_the_lowrank_route_above_the_threshold(monkeypatch):
    _, _, report, _ = run("auto")
    assert report.order2_route == "dense"  # s = 20 is below the default threshold
    monkeypatch.setattr(qsgd_module, "LOWRANK_SUPPORT_THRESHOLD", 8)
    _, _, report, _ = run("auto")
    assert report.order2_route == "lowrank" and report.support_size == 20


def test_download_shots_are_modelled():
    theta0, exact, _, _ = run("lowrank")
    _, noisy, report, _ = run("lowrank", shots=20000, seed=1)
    assert report.shots > 0 and report.download_error > 0
    np.testing.assert_allclose(report.download_error, np.linalg.norm(noisy - exact), rtol=1e-6)
    assert report.download_error < 0.1 * np.linalg.norm(theta0)


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(order2_route="sparse"), "order2_route must be one of"),
        (dict(order2_route="lowrank", momentum=0.9), "momentum"),
        (dict(order2_route="lowrank", fidelity="native"), "fidelity='ideal'"),
        (dict(rank_tol=-1.0), "rank_tol"),
        (dict(max_rank=0), "max_rank"),
    ],
)
def test_bad_options_raise(options, message):
    params, _, _ = tanh_mlp()
    kwargs = dict(lr=0.1, order=2, fidelity="ideal") | options
    with pytest.raises(ValueError, match=message):
        QSGD(params, **kwargs)
