"""Data that needs no network: scikit-learn's bundled digits and generated CIFAR-shaped images."""

from __future__ import annotations

from dataclasses import dataclass

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
