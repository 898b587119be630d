"""Bundled digits, generated CIFAR-shaped data, and CIFAR-10/100 from a tiny release in the official
on-disk format (nothing downloaded)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _cifar_files import write_tiny_cifar
from sklearn.datasets import load_digits

from pennylane_qsgd import data
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


# ----------------------------------------------------------------------------------------------
# CIFAR-10/100 on disk


@pytest.fixture(params=["cifar100", "cifar10"])
def tiny(request, tmp_path, monkeypatch):
    written = write_tiny_cifar(tmp_path, request.param)
    # the tiny files have their own checksums; everything else is the real code path
    monkeypatch.setitem(data.CIFAR_RELEASES, request.param, written["release"])
    return request.param, tmp_path, written


@pytest.fixture(params=["torchvision-if-importable", "builtin"])
def backend(request, monkeypatch):
    if request.param == "builtin":
        monkeypatch.setattr(data, "_torchvision_class", lambda name, release: None)
    return request.param


def test_reads_back_what_was_written(tiny, backend):
    name, root, written = tiny
    for split in ("train", "test"):
        images, labels, classes = data.read_cifar(name, root, train=split == "train")
        ref_images, ref_labels = written[split]
        np.testing.assert_array_equal(images, ref_images)
        np.testing.assert_array_equal(labels, ref_labels)
        assert classes == written["classes"]
    # the release folder itself is accepted as root
    images, _, _ = data.read_cifar(name, root / data.CIFAR_RELEASES[name].folder, train=False)
    np.testing.assert_array_equal(images, written["test"][0])


def test_tensors_are_normalised_per_channel(tiny):
    name, root, written = tiny
    split = data.load_cifar_tensors(name, root, n_train=7)
    rel = data.CIFAR_RELEASES[name]
    assert split.x_train.shape == (7, 3, 32, 32) and split.x_train.dtype == torch.float32
    assert split.num_classes == rel.num_classes
    raw = written["train"][0][:7].astype(np.float64) / 255.0  # (N, 32, 32, 3)
    ref = (raw - np.asarray(rel.mean)) / np.asarray(rel.std)
    np.testing.assert_allclose(split.x_train.permute(0, 2, 3, 1).numpy(), ref, atol=1e-5)
    np.testing.assert_array_equal(split.y_test.numpy(), written["test"][1])


def test_missing_file_is_named(tiny):
    name, root, _ = tiny
    rel = data.CIFAR_RELEASES[name]
    victim = root / rel.folder / rel.test[0][0]
    victim.unlink()
    with pytest.raises(data.DatasetError) as info:
        data.read_cifar(name, root, train=True)
    msg = str(info.value)
    assert f"missing: {victim}" in msg and rel.folder in msg and "data_root" in msg


def test_corrupt_file_is_named(tiny, backend):
    name, root, _ = tiny
    rel = data.CIFAR_RELEASES[name]
    victim = root / rel.folder / rel.train[0][0]
    raw = bytearray(victim.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    victim.write_bytes(bytes(raw))
    with pytest.raises(data.DatasetError, match=f"corrupt .*{victim.name}"):
        data.read_cifar(name, root)


def test_empty_root_error_lists_expected_files(tmp_path):
    with pytest.raises(data.DatasetError, match="cifar-100-python/ with train, test, meta"):
        data.read_cifar("cifar100", tmp_path)
    with pytest.raises(ValueError, match="name must be one of"):
        data.read_cifar("svhn", tmp_path)


def test_augmentation_is_a_padded_crop_or_its_mirror():
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(6, 3, 32, 32, generator=gen)
    out = data.augment_cifar(x, "cifar100", gen)
    assert out.shape == x.shape
    rel = data.CIFAR_RELEASES["cifar100"]
    fill = -np.asarray(rel.mean) / np.asarray(rel.std)
    for img, aug in zip(x.numpy(), out.numpy(), strict=True):
        padded = np.broadcast_to(fill[:, None, None], (3, 40, 40)).copy()
        padded[:, 4:36, 4:36] = img
        candidates = [
            crop[..., ::-1] if flip else crop
            for i in range(9)
            for j in range(9)
            for flip in (False, True)
            for crop in [padded[:, i : i + 32, j : j + 32]]
        ]
        assert min(np.abs(c - aug).max() for c in candidates) < 1e-6
