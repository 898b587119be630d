"""Bundled digits and generated CIFAR-shaped data."""

import math

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from pennylane_qsgd.data import cifar_like, load_digits_tensors


def test_digits_shapes_and_types():
    split = load_digits_tensors()
    x_tr, y_tr, x_te, y_te = split
    assert x_tr.shape[1] == x_te.shape[1] == 64
    assert x_tr.shape[0] + x_te.shape[0] == 1797
    assert x_te.shape[0] == math.ceil(0.25 * 1797)
    assert x_tr.dtype == torch.float32 and y_tr.dtype == torch.int64
    assert split.num_classes == 10
    assert set(y_tr.tolist()) == set(range(10)) == set(y_te.tolist())


def test_digits_standardised_on_train():
    x_tr, _, _, _ = load_digits_tensors(test_fraction=0.3, seed=3)
    raw_std = load_digits().data.std(axis=0)
    varying = torch.as_tensor(raw_std > 0)
    mean = x_tr.mean(0)
    std = x_tr.std(0, unbiased=False)
    assert torch.allclose(mean, torch.zeros(64), atol=1e-5)
    # features constant on the training part keep std 0, the others have std 1
    assert torch.allclose(std[std > 1e-6], torch.ones(int((std > 1e-6).sum())), atol=1e-4)
    assert bool(torch.all(std[~varying] < 1e-6))


def test_digits_rows_are_the_raw_digits():
    raw = load_digits()
    split = load_digits_tensors(seed=1)
    keys = {(tuple(row), int(t)) for row, t in zip(raw.data.astype(int), raw.target, strict=True)}
    for x, y in ((split.x_train, split.y_train), (split.x_test, split.y_test)):
        back = np.rint(x.double().numpy() * split.feature_scale + split.feature_mean).astype(int)
        assert all((tuple(r), int(t)) in keys for r, t in zip(back, y.tolist(), strict=True))
    # the split is a partition of the 1797 samples (up to duplicate images)
    both = np.concatenate([split.x_train.numpy(), split.x_test.numpy()])
    assert len({tuple(r) for r in np.round(both, 4)}) == len({tuple(r) for r in raw.data})


def test_digits_deterministic_and_seeded():
    a = load_digits_tensors(seed=5)
    b = load_digits_tensors(seed=5)
    c = load_digits_tensors(seed=6)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.x_train, c.x_train)


@pytest.mark.parametrize("frac", [0.0, 1.0, -0.1, 1.5])
def test_digits_bad_fraction(frac):
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits_tensors(test_fraction=frac)


def test_cifar_like_shapes_and_determinism():
    x, y = cifar_like(16, seed=2, num_classes=5)
    assert x.shape == (16, 3, 32, 32) and x.dtype == torch.float32
    assert y.shape == (16,) and y.dtype == torch.int64
    assert int(y.min()) >= 0 and int(y.max()) < 5
    x2, y2 = cifar_like(16, seed=2, num_classes=5)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    x3, _ = cifar_like(16, seed=3, num_classes=5)
    assert not torch.equal(x, x3)


def test_cifar_like_is_learnable():
    # nearest class mean estimated on one draw classifies another draw far above chance (1/100)
    x_tr, y_tr = cifar_like(3000, seed=0)
    x_te, y_te = cifar_like(500, seed=1)
    means = torch.zeros(100, 3 * 32 * 32)
    flat = x_tr.reshape(len(x_tr), -1)
    for c in range(100):
        sel = flat[y_tr == c]
        if len(sel):
            means[c] = sel.mean(0)
    pred = torch.cdist(x_te.reshape(len(x_te), -1), means).argmin(1)
    assert (pred == y_te).float().mean() > 0.5


def test_cifar_like_bad_arguments():
    with pytest.raises(ValueError, match="n must"):
        cifar_like(0)
    with pytest.raises(ValueError, match="num_classes"):
        cifar_like(4, num_classes=1)
    with pytest.raises(ValueError, match="noise"):
        cifar_like(4, noise=-1.0)
