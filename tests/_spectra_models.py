"""A small CNN with batch norm and a fixed batch for the spectra tests (float64)."""

from __future__ import annotations

import torch
from torch import nn


def small_cnn(seed: int = 0) -> nn.Module:
    """conv(1->3, 3x3) + BN + ReLU + pool + linear(12 -> 4): 27 + 6 + 52 = 85 parameters."""
    torch.manual_seed(seed)
    net = nn.Sequential(
        nn.Conv2d(1, 3, 3, bias=False),
        nn.BatchNorm2d(3),
        nn.Tanh(),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Linear(12, 4),
    ).double()
    # non-trivial running statistics, so that eval mode differs from train mode
    with torch.no_grad():
        net[1].running_mean.uniform_(-0.5, 0.5)
        net[1].running_var.uniform_(0.5, 2.0)
    return net.eval()


def small_batch(n: int = 8, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 6, 6, generator=gen, dtype=torch.float64)
    y = torch.randint(4, (n,), generator=gen)
    return x, y
