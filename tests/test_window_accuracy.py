"""Window models against gradient descent where the truth is known in closed form."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from pennylane_qsgd.diagnostics.window_accuracy import MODELS, window_accuracy
from pennylane_qsgd.optim.support import Support

pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning"
)


class Cubic(nn.Module):
    """Loss 1/2 |w|^2 + c . w^3 / 6 + b . w: its cubic Taylor model is exact."""

    def __init__(self, c: float):
        super().__init__()
        self.w = nn.Parameter(torch.tensor([0.3, -0.2, 0.1], dtype=torch.float64))
        self.c = c

    def forward(self, b):
        return 0.5 * (self.w**2).sum() + self.c * (self.w**3).sum() / 6 + (b * self.w).sum()


def _run(c: float, steps: int = 12):
    net = Cubic(c)
    b = torch.tensor([0.5, -1.0, 0.2], dtype=torch.float64)
    return window_accuracy(net, lambda out, _: out, (b, None), Support.all(net), 0.2, steps)


def test_quadratic_loss_every_model_is_exact():
    result = _run(0.0)
    for model in MODELS:
        np.testing.assert_allclose(result.distance[model], 0.0, atol=1e-13)
    assert np.all(result.travelled > 0)


def test_cubic_loss_order2_model_is_exact_and_carleman_beats_order1():
    result = _run(3.0)
    np.testing.assert_allclose(result.distance["order2"], 0.0, atol=1e-12)
    # GD by hand: w <- w - eta (w + c w^2 / 2 + b)
    w = np.array([0.3, -0.2, 0.1])
    start = w.copy()
    for _ in range(12):
        w = w - 0.2 * (w + 1.5 * w**2 + np.array([0.5, -1.0, 0.2]))
    np.testing.assert_allclose(result.travelled[-1], np.linalg.norm(w - start), rtol=1e-12)
    assert result.distance["order1"][0] == pytest.approx(0.0, abs=1e-14)  # one step is exact
    assert np.all(result.distance["carleman2"][3:] < result.distance["order1"][3:])
    assert "carleman2" in result.table()
    # N = 1 in absolute coordinates: F1 = -eta (H - T3[w0, .]) = -eta I and F0 = -eta b here,
    # i.e. gradient descent on 1/2 |w|^2 + b . w.
    v = np.array([0.3, -0.2, 0.1])
    for _ in range(12):
        v = v - 0.2 * (v + np.array([0.5, -1.0, 0.2]))
    np.testing.assert_allclose(result.distance["carleman1"][-1], np.linalg.norm(v - w), rtol=1e-10)
