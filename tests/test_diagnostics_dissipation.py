"""Dissipation measures against direct numpy sums, and tracking over fine-tuning."""

import json

import numpy as np
import pytest
import scipy.linalg as sla
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pennylane_qsgd.diagnostics.dissipation import (
    DissipationRecord,
    dissipative_divergent_sums,
    negative_fraction,
    per_mode_factor,
    records_to_json,
    track_dissipation,
)
from pennylane_qsgd.diagnostics.spectra import SpectralDensity, slq_density
from pennylane_qsgd.optim.pruning import global_l1_prune
from pennylane_qsgd.optim.support import Support

eigs = arrays(np.float64, st.integers(1, 40), elements=st.floats(-3.0, 8.0, allow_subnormal=False))
lrs = st.floats(1e-3, 1.0)


@settings(max_examples=60, deadline=None)
@given(eig=eigs, lr=lrs, t=st.integers(0, 40))
def test_per_mode_factor_matches_numpy(eig, lr, t):
    ref = np.mean(np.abs(1 - lr * eig) ** t)
    assert np.isclose(per_mode_factor(eig, lr, t), ref, rtol=1e-12)
    assert np.isclose(per_mode_factor(SpectralDensity.from_eigenvalues(eig), lr, t), ref)
    ts = np.arange(5)
    assert np.allclose(
        per_mode_factor(eig, lr, ts), [np.mean(np.abs(1 - lr * eig) ** k) for k in ts]
    )


@settings(max_examples=60, deadline=None)
@given(eig=eigs, lr=lrs, t=st.integers(0, 30))
def test_dissipative_divergent_split_matches_numpy(eig, lr, t):
    base = np.abs(1 - lr * eig)
    d_ref = np.sum(base[base < 1] ** t) / eig.size
    g_ref = np.sum(base[base > 1] ** t) / eig.size
    out = dissipative_divergent_sums(eig, lr, t)
    assert np.isclose(out.dissipative, d_ref) and np.isclose(out.divergent, g_ref)
    assert np.isclose(out.dissipative_fraction, np.mean(base < 1))
    assert np.isclose(out.divergent_fraction, np.mean(base > 1))
    if d_ref > 0:
        assert np.isclose(out.ratio, g_ref / d_ref)
    else:
        assert out.ratio == float("inf")
    neutral = np.sum(base[base == 1] ** t) / eig.size
    assert np.isclose(out.dissipative + out.divergent + neutral, per_mode_factor(eig, lr, t))


@settings(max_examples=60, deadline=None)
@given(eig=eigs)
def test_negative_fraction_matches_numpy(eig):
    assert negative_fraction(eig) == pytest.approx(np.mean(eig < 0))
    assert negative_fraction(eig, tol=0.5) == pytest.approx(np.mean(eig < -0.5))


def test_weighted_versions():
    nodes = np.array([-1.0, 0.5, 3.0])
    w = np.array([1.0, 2.0, 1.0])  # normalised inside
    lr, t = 0.5, 3
    ref = np.sum(w * np.abs(1 - lr * nodes) ** t) / w.sum()
    assert np.isclose(per_mode_factor(nodes, lr, t, weights=w), ref)
    dens = SpectralDensity(nodes, w / w.sum(), dim=3)
    assert np.isclose(per_mode_factor(dens, lr, t), ref)
    assert np.isclose(negative_fraction(dens), 0.25)
    split = dissipative_divergent_sums(dens, lr, t)
    # |1 - 0.5 * (-1)| = 1.5 > 1, |1 - 0.25| < 1, |1 - 1.5| < 1
    assert np.isclose(split.divergent, 0.25 * 1.5**3)
    assert np.isclose(split.dissipative, 0.5 * 0.75**3 + 0.25 * 0.5**3)
    with pytest.raises(ValueError, match="weights"):
        per_mode_factor(dens, lr, t, weights=w)
    with pytest.raises(ValueError, match="weights"):
        per_mode_factor(nodes, lr, t, weights=-w)


def test_slq_density_estimates_the_factor():
    rng = np.random.default_rng(0)
    n = 300
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    eig = np.concatenate([rng.uniform(-0.5, 2.5, n - 2), [5.0, 6.0]])
    a = (q * eig) @ q.T
    dens = slq_density(lambda v: a @ v, n, steps=30, probes=40, seed=1)
    lr = 0.2
    for t in (1, 5, 20):
        ref = np.mean(np.abs(1 - lr * eig) ** t)
        assert abs(per_mode_factor(dens, lr, t) - ref) < 0.05 * ref
    assert abs(negative_fraction(dens) - np.mean(eig < 0)) < 0.05


def test_bad_arguments():
    with pytest.raises(ValueError, match="lr"):
        per_mode_factor([1.0], 0.0)
    with pytest.raises(ValueError, match="t must"):
        per_mode_factor([1.0], 0.1, -1)
    with pytest.raises(ValueError, match="empty"):
        negative_fraction([])
    with pytest.raises(ValueError, match="NaN"):
        per_mode_factor([np.nan], 0.1)


# ------------------------------------------------------------------------------- tracking


def _linear_regression(seed=0):
    torch.manual_seed(seed)
    x = torch.randn(40, 5, dtype=torch.float64)
    y = x @ torch.randn(5, 1, dtype=torch.float64) + 0.1 * torch.randn(40, 1, dtype=torch.float64)
    net = torch.nn.Linear(5, 1, bias=False).double()
    return net, (x, y)


def test_track_dissipation_on_a_quadratic_loss():
    # MSE of a linear model: the Hessian 2 X^T X / N is the same at every step
    net, batch = _linear_regression()
    lr = 0.05
    records = track_dissipation(
        net,
        torch.nn.functional.mse_loss,
        [batch],
        lambda p: torch.optim.SGD(p, lr=lr),
        steps=6,
        every=2,
        method="exact",
    )
    x = batch[0].numpy()
    eig = sla.eigvalsh(2.0 * x.T @ x / 40)
    assert [r.step for r in records] == [0, 2, 4, 6]
    for r in records:
        assert np.allclose(r.density().eigenvalues, eig, atol=1e-10)
        assert r.lr == lr and r.dim == 5 and r.method == "exact"
        assert np.isclose(r.per_mode_factor, np.mean(np.abs(1 - lr * eig) ** (r.step + 1)))
        assert np.isclose(r.factor_one_step, np.mean(np.abs(1 - lr * eig)))
        assert r.negative_fraction == 0.0
    # gradient descent on a convex quadratic with lr < 2/lambda_max decreases the loss
    losses = [r.loss for r in records]
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False))
    loss_ref = torch.nn.functional.mse_loss(net(batch[0]), batch[1]).item()
    assert np.isclose(records[-1].loss, loss_ref)


def test_track_dissipation_pruned_slq_hook_scheduler_json():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
    global_l1_prune(net, amount=0.75)
    support = Support.from_masks(net)
    batches = [(torch.randn(12, 6), torch.randint(3, (12,))) for _ in range(3)]
    calls = []

    def hook(module, loss_fn, batch, supp, lr):
        calls.append(lr)
        assert supp.size == support.size
        return 0.5, {"note": "fixed"}

    def factory(params):
        opt = torch.optim.SGD(params, lr=0.1)
        factory.sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        return opt

    steps_seen = []

    def progress(step):
        steps_seen.append(step)
        factory.sched.step()

    records = track_dissipation(
        net,
        torch.nn.functional.cross_entropy,
        batches,
        factory,
        steps=3,
        every=1,
        method="auto",
        max_exact_dim=10,
        lanczos_steps=8,
        probes=2,
        ratio_hook=hook,
        progress=progress,
    )
    assert steps_seen == [0, 1, 2]
    assert [r.method for r in records] == ["slq"] * 4
    assert [r.lr for r in records] == pytest.approx([0.1, 0.05, 0.025, 0.0125])
    assert calls == pytest.approx([0.1, 0.05, 0.025, 0.0125])
    assert all(r.dissipation_ratio == 0.5 and r.extra == {"note": "fixed"} for r in records)
    assert all(r.dim == support.size for r in records)
    # pruned weights stay zero during fine-tuning
    w = net[0].weight
    assert bool(torch.all(w[net[0].weight_mask == 0] == 0))
    data = json.loads(json.dumps(records_to_json(records)))
    assert data[0]["spectrum"]["method"] == "slq" and data[2]["step"] == 2
    assert isinstance(records[0], DissipationRecord)


def test_track_dissipation_rejects_bad_method():
    net, batch = _linear_regression()
    with pytest.raises(ValueError, match="method"):
        track_dissipation(
            net, torch.nn.functional.mse_loss, [batch], torch.optim.SGD, 1, method="dense"
        )
