"""Data: scikit-learn's bundled digits, generated CIFAR-shaped images, and CIFAR-10/100 from disk.

The digits and the generated images need no network and are the defaults. The real CIFAR-10 and
CIFAR-100 are read from the standard python-pickle release in a folder the user gives
(:func:`load_cifar_tensors`), through ``torchvision.datasets`` when torchvision imports and by the
same format's reader below otherwise (for example a CPU-only torch beside the CUDA torchvision
wheel of PyPI, whose compiled operators cannot load). Only ``download=True`` goes to the network.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


@dataclass(frozen=True)
class TensorSplit:
    """A train/test split of a classification data set.

    Attributes
    ----------
    x_train, x_test : torch.Tensor, float32, shape (n_train, d...) and (n_test, d...)
    y_train, y_test : torch.Tensor, int64, shape (n_train,) and (n_test,)
        Class labels in ``range(num_classes)``.
    num_classes : int
    feature_mean, feature_scale : numpy.ndarray, shape (d,), optional
        The standardisation applied: ``x = (raw - feature_mean) / feature_scale``.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int
    feature_mean: np.ndarray | None = None
    feature_scale: np.ndarray | None = None

    def __iter__(self):
        """Unpack as ``x_train, y_train, x_test, y_test``."""
        return iter((self.x_train, self.y_train, self.x_test, self.y_test))


def load_digits_tensors(test_fraction: float = 0.25, seed: int = 0) -> TensorSplit:
    """The 1797 8x8 digits of scikit-learn as standardised float tensors, split train/test.

    The split is stratified by class and fixed by ``seed``. Each of the 64 pixel features is
    centred and scaled with the mean and standard deviation of the *training* part (features that
    are constant on the training part are only centred).

    Parameters
    ----------
    test_fraction : float
        Fraction of the samples held out, in (0, 1).
    seed : int
        Seed of the split.

    Returns
    -------
    TensorSplit
        ``x_*`` of shape ``(n, 64)``; 10 classes.
    """
    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"test_fraction must lie in (0, 1); got test_fraction={test_fraction!r}")
    digits = load_digits()
    x = digits.data.astype(np.float64)
    y = digits.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=float(test_fraction), random_state=int(seed), stratify=y
    )
    mean = x_tr.mean(axis=0)
    std = x_tr.std(axis=0)
    std[std == 0.0] = 1.0

    def to_x(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor((a - mean) / std, dtype=torch.float32)

    return TensorSplit(
        to_x(x_tr),
        torch.as_tensor(y_tr),
        to_x(x_te),
        torch.as_tensor(y_te),
        num_classes=10,
        feature_mean=mean,
        feature_scale=std,
    )


def cifar_like(
    n: int,
    seed: int = 0,
    num_classes: int = 100,
    noise: float = 1.0,
    template_seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generated CIFAR-shaped images with learnable class structure.

    Each class ``c`` has a smooth template image ``mu_c`` (a 4x4 Gaussian pattern per channel,
    bilinearly upsampled to 32x32, unit variance); a sample of class ``c`` is
    ``mu_c + noise * xi`` with white Gaussian ``xi``. Templates depend only on ``template_seed``,
    so sets drawn with different ``seed`` share their classes (train and test sets).

    Parameters
    ----------
    n : int
        Number of samples.
    seed : int
        Seed of the labels and the noise.
    num_classes : int
        Number of classes (100 as CIFAR-100).
    noise : float
        Standard deviation of the pixel noise (signal-to-noise ratio ``1/noise`` per pixel).
    template_seed : int
        Seed of the class templates.

    Returns
    -------
    x : torch.Tensor, float32, shape (n, 3, 32, 32)
    y : torch.Tensor, int64, shape (n,)
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer; got n={n!r}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an integer >= 2; got num_classes={num_classes!r}")
    if not float(noise) >= 0.0:
        raise ValueError(f"noise must be non-negative; got noise={noise!r}")
    tgen = torch.Generator().manual_seed(int(template_seed))
    coarse = torch.randn(num_classes, 3, 4, 4, generator=tgen)
    templates = F.interpolate(coarse, size=(32, 32), mode="bilinear", align_corners=False)
    templates = templates / templates.std(dim=(1, 2, 3), keepdim=True)
    gen = torch.Generator().manual_seed(int(seed))
    y = torch.randint(num_classes, (n,), generator=gen)
    x = templates[y] + float(noise) * torch.randn(n, 3, 32, 32, generator=gen)
    return x, y


# ---------------------------------------------------------------------------------------------
# CIFAR-10 / CIFAR-100 from the python-pickle release
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CifarRelease:
    """Layout of one python-pickle CIFAR release (as torchvision expects it under ``root``).

    Attributes
    ----------
    folder : str
        Sub-folder of ``root`` that holds the files (``cifar-100-python``).
    train, test : tuple of (file name, md5)
    meta : (file name, md5)
    label_key : str
        Key of the labels in a data file (``fine_labels`` for CIFAR-100).
    names_key : str
        Key of the class names in the meta file.
    num_classes : int
    mean, std : tuple of 3 floats
        Per-channel statistics of the training images (pixels in [0, 1]) used to normalise.
    """

    folder: str
    train: tuple[tuple[str, str], ...]
    test: tuple[tuple[str, str], ...]
    meta: tuple[str, str]
    label_key: str
    names_key: str
    num_classes: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]


#: The two releases; checksums are those of the official archives (as in torchvision).
CIFAR_RELEASES: dict[str, CifarRelease] = {
    "cifar10": CifarRelease(
        folder="cifar-10-batches-py",
        train=(
            ("data_batch_1", "c99cafc152244af753f735de768cd75f"),
            ("data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"),
            ("data_batch_3", "54ebc095f3ab1f0389bbae665268c751"),
            ("data_batch_4", "634d18415352ddfa80567beed471001a"),
            ("data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"),
        ),
        test=(("test_batch", "40351d587109b95175f43aff81a1287e"),),
        meta=("batches.meta", "5ff9c542aee3614f3951f8cda6e48888"),
        label_key="labels",
        names_key="label_names",
        num_classes=10,
        mean=(0.4914, 0.4822, 0.4465),
        std=(0.2470, 0.2435, 0.2616),
    ),
    "cifar100": CifarRelease(
        folder="cifar-100-python",
        train=(("train", "16019d7e3df5f24257cddd939b257f8d"),),
        test=(("test", "f0ef6b0ae62326f3e7ffdfab6717acfc"),),
        meta=("meta", "7973b15100ade9c7d40fb424638fde48"),
        label_key="fine_labels",
        names_key="fine_label_names",
        num_classes=100,
        mean=(0.5071, 0.4865, 0.4409),
        std=(0.2673, 0.2564, 0.2762),
    ),
}


class DatasetError(ValueError):
    """A data set that is missing, incomplete or corrupt where the user said it would be."""


def _release(name: str) -> CifarRelease:
    if name not in CIFAR_RELEASES:
        raise ValueError(f"name must be one of {sorted(CIFAR_RELEASES)}; got name={name!r}")
    return CIFAR_RELEASES[name]


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _resolve_root(release: CifarRelease, root: str | Path) -> Path:
    """``root`` as torchvision wants it (the folder above ``release.folder``); both are accepted."""
    path = Path(root).expanduser()
    return path.parent if path.name == release.folder else path


def _check_release(release: CifarRelease, root: Path, name: str) -> None:
    """Raise :class:`DatasetError` listing every expected file that is missing or corrupt."""
    folder = root / release.folder
    problems = []
    for fname, md5 in (*release.train, *release.test, release.meta):
        path = folder / fname
        if not path.is_file():
            problems.append(f"missing: {path}")
        elif _md5(path) != md5:
            problems.append(f"corrupt (md5 differs from the release's {md5}): {path}")
    if problems:
        expected = ", ".join(f for f, _ in (*release.train, *release.test, release.meta))
        raise DatasetError(
            f"{name} not found or corrupt under data_root={str(root)!r}: expected the python "
            f"release's folder {release.folder}/ with {expected}.\n  "
            + "\n  ".join(problems)
            + f"\nExtract {release.folder.replace('-batches', '')}.tar.gz there, or pass "
            "download=True (--download) on a machine with internet access."
        )


@functools.cache
def _torchvision_datasets():
    """``torchvision.datasets``, or None when torchvision is missing or fails to import."""
    try:
        from torchvision import datasets
    except (ImportError, RuntimeError, OSError):
        return None
    return datasets


def _torchvision_class(name: str, release: CifarRelease):
    """The torchvision dataset class for ``name`` with this module's file table, or None.

    None when torchvision is not installed or its package fails to import (a CPU-only torch with
    the CUDA build of torchvision raises at import time).
    """
    datasets = _torchvision_datasets()
    if datasets is None:
        return None
    base = datasets.CIFAR100 if name == "cifar100" else datasets.CIFAR10
    table = {
        "base_folder": release.folder,
        "train_list": [list(f) for f in release.train],
        "test_list": [list(f) for f in release.test],
        "meta": {"filename": release.meta[0], "key": release.names_key, "md5": release.meta[1]},
    }
    return type(base.__name__, (base,), table)


def _unpickle(path: Path, name: str) -> dict:
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh, encoding="latin1")
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as err:
        raise DatasetError(f"{name}: cannot read {path} as a CIFAR pickle ({err})") from err


def _read_release(release: CifarRelease, root: Path, train: bool, name: str):
    """Images ``(N, 32, 32, 3)`` uint8 and labels ``(N,)`` int64 of one split, read directly."""
    images, labels = [], []
    for fname, _ in release.train if train else release.test:
        path = root / release.folder / fname
        entry = _unpickle(path, name)
        try:
            data = np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
            labels.append(np.asarray(entry[release.label_key], dtype=np.int64).reshape(-1))
        except (KeyError, ValueError) as err:
            raise DatasetError(
                f"{name}: {path} lacks 'data' (N x 3072 uint8) or {release.label_key!r} ({err})"
            ) from err
        if len(labels[-1]) != len(data):
            raise DatasetError(
                f"{name}: {path} has {len(data)} images but {len(labels[-1])} labels"
            )
        images.append(data.transpose(0, 2, 3, 1))
    return np.concatenate(images), np.concatenate(labels)


def read_cifar(
    name: str, root: str | Path, train: bool = True, download: bool = False
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """One split of CIFAR-10/100 from the python-pickle release under ``root``.

    Parameters
    ----------
    name : {"cifar10", "cifar100"}
    root : path
        Folder holding ``cifar-10-batches-py/`` or ``cifar-100-python/`` (that folder itself is
        accepted too).
    train : bool
        Training split (50000 images) or test split (10000).
    download : bool
        Let torchvision fetch and extract the archive first if the files are not there (needs
        the internet and an importable torchvision).

    Returns
    -------
    images : numpy.ndarray, uint8, shape (N, 32, 32, 3)
    labels : numpy.ndarray, int64, shape (N,)
    classes : list of str
        Class names from the meta file.

    Raises
    ------
    DatasetError
        Naming every missing or corrupt file and where it was expected.
    """
    release = _release(name)
    base = _resolve_root(release, root)
    cls = _torchvision_class(name, release)
    if download:
        if cls is None:
            raise DatasetError(
                f"download=True needs torchvision, which is not importable here; download "
                f"{release.folder} by hand and pass its parent folder as data_root"
            )
        base.mkdir(parents=True, exist_ok=True)
        cls(str(base), train=train, download=True)
    _check_release(release, base, name)
    if cls is not None:
        try:
            ds = cls(str(base), train=train, download=False)
        except (RuntimeError, pickle.UnpicklingError, EOFError, KeyError, ValueError) as err:
            raise DatasetError(
                f"{name} under {base}: torchvision could not read it ({err})"
            ) from err
        images = np.asarray(ds.data, dtype=np.uint8)
        labels = np.asarray(ds.targets, dtype=np.int64)
        classes = list(ds.classes)
    else:
        images, labels = _read_release(release, base, train, name)
        meta = _unpickle(base / release.folder / release.meta[0], name)
        if release.names_key not in meta:
            raise DatasetError(f"{name}: the meta file lacks {release.names_key!r}")
        classes = list(meta[release.names_key])
    if labels.size and (labels.min() < 0 or labels.max() >= release.num_classes):
        raise DatasetError(
            f"{name}: labels outside range({release.num_classes}) in the "
            f"{'train' if train else 'test'} split under {base}"
        )
    return images, labels, classes


def normalise_cifar(images: np.ndarray, name: str) -> torch.Tensor:
    """uint8 ``(N, 32, 32, 3)`` images as normalised float32 ``(N, 3, 32, 32)`` tensors.

    ``x = (pixel / 255 - mean_c) / std_c`` with the per-channel statistics of the training set
    (:data:`CIFAR_RELEASES`), as ``transforms.Normalize`` in the paper's training scripts.
    """
    release = _release(name)
    x = torch.as_tensor(np.ascontiguousarray(images)).permute(0, 3, 1, 2).to(torch.float32) / 255.0
    mean = torch.tensor(release.mean).view(1, 3, 1, 1)
    std = torch.tensor(release.std).view(1, 3, 1, 1)
    return (x - mean) / std


def augment_cifar(
    x: torch.Tensor, name: str, generator: torch.Generator | None = None, padding: int = 4
) -> torch.Tensor:
    """The paper's augmentation of a normalised batch: random crop with zero padding, random flip.

    The equivalent of ``RandomCrop(32, padding=4)`` and ``RandomHorizontalFlip()`` before
    ``Normalize``: the padding is black (pixel 0, so ``-mean/std`` after normalisation).

    Parameters
    ----------
    x : torch.Tensor, shape (B, 3, H, W)
        Normalised images (:func:`normalise_cifar`).
    name : {"cifar10", "cifar100"}
        Picks the normalisation of the padding.
    generator : torch.Generator, optional
        Source of the crop offsets and flips (CPU generator).
    padding : int
        Pixels of padding on each side.

    Returns
    -------
    torch.Tensor, same shape, dtype and device as ``x``
    """
    release = _release(name)
    b, _, h, w = x.shape
    fill = (-torch.tensor(release.mean) / torch.tensor(release.std)).to(x.dtype).to(x.device)
    padded = fill.view(1, 3, 1, 1).expand(b, 3, h + 2 * padding, w + 2 * padding).clone()
    padded[:, :, padding : padding + h, padding : padding + w] = x
    di = torch.randint(0, 2 * padding + 1, (b,), generator=generator).to(x.device)
    dj = torch.randint(0, 2 * padding + 1, (b,), generator=generator).to(x.device)
    flip = (torch.rand(b, generator=generator) < 0.5).to(x.device)
    rows = (di[:, None] + torch.arange(h, device=x.device)[None, :])[:, None, :, None]
    cols = dj[:, None] + torch.arange(w, device=x.device)[None, :]
    cols = torch.where(flip[:, None], cols.flip(1), cols)[:, None, None, :]
    batch = torch.arange(b, device=x.device)[:, None, None, None]
    chan = torch.arange(3, device=x.device)[None, :, None, None]
    return padded[batch, chan, rows, cols]


def load_cifar_tensors(
    name: str,
    root: str | Path,
    download: bool = False,
    n_train: int | None = None,
    n_test: int | None = None,
) -> TensorSplit:
    """CIFAR-10/100 from disk as normalised tensors (:func:`read_cifar`, :func:`normalise_cifar`).

    Parameters
    ----------
    name : {"cifar10", "cifar100"}
    root : path
        See :func:`read_cifar`.
    download : bool
        See :func:`read_cifar`.
    n_train, n_test : int, optional
        Keep only the first samples of each split (all by default).

    Returns
    -------
    TensorSplit
        ``x_*`` float32 of shape ``(n, 3, 32, 32)``; ``feature_mean``/``feature_scale`` hold the
        per-channel normalisation.
    """
    release = _release(name)
    parts = []
    for train, limit in ((True, n_train), (False, n_test)):
        images, labels, _ = read_cifar(name, root, train=train, download=download)
        if limit is not None:
            images, labels = images[: int(limit)], labels[: int(limit)]
        parts += [normalise_cifar(images, name), torch.as_tensor(labels)]
    return TensorSplit(
        *parts,
        num_classes=release.num_classes,
        feature_mean=np.asarray(release.mean),
        feature_scale=np.asarray(release.std),
    )
