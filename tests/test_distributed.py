"""Resumable torch Lanczos, per-layer spectra and data-parallel Hessian products (gloo, 2 ranks)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
from _distributed_worker import run
from _spectra_models import small_batch, small_cnn
from torch.func import functional_call

from pennylane_qsgd.core.lanczos import lanczos
from pennylane_qsgd.diagnostics import krylov
from pennylane_qsgd.diagnostics.distributed import ShardedHessian, resolve_device, shard_batch
from pennylane_qsgd.diagnostics.spectra import hessian_spectrum, per_layer_spectra
from pennylane_qsgd.optim.support import Support

LOSS = torch.nn.functional.cross_entropy


def _sym(n: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).standard_normal((n, n))
    return (a + a.T) / 2


def _op(a: np.ndarray):
    t = torch.as_tensor(a)
    return lambda v: t @ v


def test_torch_lanczos_matches_the_core_iteration():
    a = _sym(30, 0)
    runs = krylov.lanczos_probes(_op(a), 30, 12, probes=3, seed=4)
    for (alpha, beta), v0 in zip(runs, krylov.rademacher_probes(30, 3, 4), strict=True):
        ref_a, ref_b = lanczos(lambda v: a @ v, 30, 12, v0)
        np.testing.assert_allclose(alpha, ref_a, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(beta, ref_b, rtol=1e-12, atol=1e-12)


def test_full_lanczos_gives_the_exact_extremes():
    a = _sym(25, 1)
    ((alpha, beta),) = krylov.lanczos_probes(_op(a), 25, 25, seed=0)
    T = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
    exact = np.linalg.eigvalsh(a)
    np.testing.assert_allclose(np.linalg.eigvalsh(T), exact, atol=1e-9 * np.abs(exact).max())


class _Interrupt(Exception):
    pass


def test_interrupted_run_resumes_to_the_same_coefficients(tmp_path):
    a = _sym(40, 2)
    ref = krylov.lanczos_probes(_op(a), 40, 15, probes=3, seed=7)
    ckpt = tmp_path / "slq.pt"
    calls = {"n": 0}

    def flaky(v):
        calls["n"] += 1
        if calls["n"] == 22:  # in the middle of the second probe
            raise _Interrupt
        return torch.as_tensor(a) @ v

    with pytest.raises(_Interrupt):
        krylov.lanczos_probes(flaky, 40, 15, probes=3, seed=7, checkpoint=ckpt)
    saved = torch.load(ckpt, weights_only=True)
    assert len(saved["done"]) == 1 and len(saved["current"]["alpha"]) == 6
    calls["n"] = -(10**9)  # no more interruptions
    out = krylov.lanczos_probes(flaky, 40, 15, probes=3, seed=7, checkpoint=ckpt)
    assert calls["n"] == -(10**9) + 15 * 3 - 21  # only the missing products were computed
    for (alpha, beta), (ra, rb) in zip(out, ref, strict=True):
        np.testing.assert_allclose(alpha, ra, rtol=1e-12)
        np.testing.assert_allclose(beta, rb, rtol=1e-12)
    with pytest.raises(ValueError, match="belongs to another run"):
        krylov.lanczos_probes(_op(a), 40, 15, probes=3, seed=8, checkpoint=ckpt)


def test_nan_product_raises_and_keeps_the_checkpoint(tmp_path):
    a = _sym(10, 3)
    ckpt = tmp_path / "slq.pt"
    calls = {"n": 0}

    def nan_after_three(v):
        calls["n"] += 1
        w = torch.as_tensor(a) @ v
        return w * float("nan") if calls["n"] > 3 else w

    with pytest.raises(FloatingPointError, match="NaN or Inf at Lanczos step 3"):
        krylov.lanczos_probes(nan_after_three, 10, 8, checkpoint=ckpt, checkpoint_seconds=0)
    saved = torch.load(ckpt, weights_only=True)
    assert len(saved["current"]["alpha"]) == 3
    assert np.all(np.isfinite(saved["current"]["alpha"]))
    assert not list(tmp_path.glob(".*.tmp"))  # no half-written file left behind


def _reference_hessian(net, batch, support: Support) -> np.ndarray:
    """Dense Hessian in the support's (whole-tensor) parameters by torch.autograd.functional."""
    names = [name for name, _ in support.entries]
    params = dict(net.named_parameters())
    shapes = [params[n].shape for n in names]
    sizes = [params[n].numel() for n in names]
    assert sum(sizes) == support.size  # Support.all of an unpruned net: whole tensors
    flat0 = torch.cat([params[n].detach().reshape(-1) for n in names])

    def f(flat):
        tensors = dict(params)
        for n, part, shape in zip(names, flat.split(sizes), shapes, strict=True):
            tensors[n] = part.reshape(shape)
        return LOSS(functional_call(net, tensors, (batch[0],)), batch[1])

    return torch.autograd.functional.hessian(f, flat0).numpy(), sizes


@pytest.fixture(scope="module")
def reference():
    """The small CNN, its batch and support, and the dense Hessian with the tensors' sizes."""
    net, batch = small_cnn(), small_batch(8)
    support = Support.all(net)
    return net, batch, support, *_reference_hessian(net, batch, support)


def test_per_layer_spectra_match_the_exact_blocks(reference):
    net, batch, support, dense, sizes = reference
    layers = per_layer_spectra(net, LOSS, batch, support, steps=max(sizes), hvp_mode="reverse")
    assert list(layers) == [name for name, _ in support.entries]
    offsets = np.cumsum([0, *sizes])
    scale = np.abs(np.linalg.eigvalsh(dense)).max()
    for (name, dens), lo, hi in zip(layers.items(), offsets[:-1], offsets[1:], strict=True):
        exact = np.linalg.eigvalsh(dense[lo:hi, lo:hi])
        got = dens.extremes
        np.testing.assert_allclose(got, (exact[0], exact[-1]), atol=1e-8 * scale, err_msg=name)


def test_slq_of_the_model_matches_the_dense_hessian_moments(reference):
    net, batch, support, dense, _ = reference
    dens = hessian_spectrum(
        net, LOSS, batch, support, method="slq", steps=support.size, probes=1, hvp_mode="reverse"
    )
    np.testing.assert_allclose(
        dens.extremes, np.linalg.eigvalsh(dense)[[0, -1]], atol=1e-8 * np.abs(dense).max()
    )


def test_shard_batch_refuses_a_world_size_that_does_not_divide_the_batch():
    x, y = small_batch(6)
    xs, ys = shard_batch((x, y), 1, 3)
    assert torch.equal(xs, x[2:4]) and torch.equal(ys, y[2:4])
    with pytest.raises(ValueError, match="world size 4 does not divide the batch of 6"):
        shard_batch((x, y), 0, 4)


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="device must be"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            resolve_device("cuda:0")
        assert resolve_device(None) == torch.device("cpu")


def test_two_gloo_processes_equal_one(tmp_path):
    prefix = str(tmp_path / "rank")
    mp.spawn(run, args=(2, str(tmp_path / "pg"), prefix), nprocs=2, join=True)
    outs = [torch.load(f"{prefix}{r}.pt", weights_only=True) for r in range(2)]

    torch.set_num_threads(1)
    net, batch = small_cnn(), small_batch(8)
    support = Support.all(net)
    v = torch.randn(support.size, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    hv = ShardedHessian(net, LOSS, batch, support)(v)  # forward-over-reverse
    dens = hessian_spectrum(
        net, LOSS, batch, support, method="slq", steps=20, probes=2, hvp_mode="reverse"
    )
    layers = per_layer_spectra(net, LOSS, batch, support, steps=6, hvp_mode="reverse")
    for out in outs:
        torch.testing.assert_close(out["hv"], hv, rtol=1e-10, atol=1e-12 * hv.abs().max())
        np.testing.assert_allclose(out["nodes"].numpy(), dens.nodes, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(out["weights"].numpy(), dens.weights, rtol=1e-6, atol=1e-9)
        for name, d in layers.items():
            np.testing.assert_allclose(out["layers"][name].numpy(), d.nodes, rtol=1e-8, atol=1e-10)
        assert "world size 2 does not divide the batch of 7" in out["error"]
        assert "eval mode" in out["train_error"]
