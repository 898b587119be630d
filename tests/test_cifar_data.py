"""CIFAR-10/100 from a tiny release in the official on-disk format (nothing downloaded)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _cifar_files import write_tiny_cifar

from pennylane_qsgd import data


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
