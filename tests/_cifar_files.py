"""Tiny CIFAR-10/100 releases written in the official python-pickle on-disk format."""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
from pathlib import Path

import numpy as np

from pennylane_qsgd import data


def _dump(path: Path, obj: dict) -> str:
    # protocol 2, as the official (Python 2) pickles; read back with encoding="latin1"
    path.write_bytes(pickle.dumps(obj, protocol=2))
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def write_tiny_cifar(root: Path, name: str, per_class: int = 2, seed: int = 0) -> dict:
    """Write a release with ``per_class`` train and one test image per class under ``root``.

    Returns the written arrays (``train``/``test``: images (N, 32, 32, 3) uint8, labels) and the
    md5 table of the files (``release``: a :class:`~pennylane_qsgd.data.CifarRelease`).
    """
    rel = data.CIFAR_RELEASES[name]
    folder = Path(root) / rel.folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    k = rel.num_classes
    out = {}
    md5 = {}
    for split, files, n_per in (("train", rel.train, per_class), ("test", rel.test, 1)):
        labels = np.repeat(np.arange(k), n_per)
        rng.shuffle(labels)
        images = rng.integers(0, 256, size=(labels.size, 32, 32, 3), dtype=np.uint8)
        out[split] = (images, labels)
        chunks = np.array_split(np.arange(labels.size), len(files))
        for (fname, _), idx in zip(files, chunks, strict=True):
            entry = {
                "batch_label": f"{split} batch",
                "filenames": [f"img_{i}.png" for i in idx],
                # the release stores channel planes: row-major (N, 3 * 32 * 32)
                "data": images[idx].transpose(0, 3, 1, 2).reshape(len(idx), -1),
                rel.label_key: labels[idx].tolist(),
            }
            if name == "cifar100":
                entry["coarse_labels"] = (labels[idx] // 5).tolist()
            md5[fname] = _dump(folder / fname, entry)
    names = [f"class_{c}" for c in range(k)]
    meta = {rel.names_key: names}
    if name == "cifar100":
        meta["coarse_label_names"] = [f"super_{c}" for c in range(20)]
    else:
        meta.update(num_cases_per_batch=len(out["train"][1]) // 5, num_vis=3072)
    md5[rel.meta[0]] = _dump(folder / rel.meta[0], meta)
    out["classes"] = names
    out["release"] = dataclasses.replace(
        rel,
        train=tuple((f, md5[f]) for f, _ in rel.train),
        test=tuple((f, md5[f]) for f, _ in rel.test),
        meta=(rel.meta[0], md5[rel.meta[0]]),
    )
    return out
