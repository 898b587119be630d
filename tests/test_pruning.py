"""Tests of the pruning helpers against direct counts and a numpy magnitude threshold."""

import numpy as np
import pytest
import torch
from torch import nn

from pennylane_qsgd.optim.pruning import (
    global_l1_prune,
    masked_parameters,
    prunable_layers,
    pruned_tensors,
    remove_pruning,
    sparsity,
)


def mlp(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3)
    ).double()


def small_cnn(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 3, 3),
        nn.BatchNorm2d(3),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(3 * 4 * 4, 7),
        nn.ReLU(),
        nn.Linear(7, 2),
    )


@pytest.mark.parametrize("amount", [0.0, 0.3, 0.5, 0.9, 1.0])
def test_global_prune_keeps_largest_pooled_weights(amount):
    net = mlp()
    dense = {n: p.detach().clone() for n, p in net.named_parameters()}
    pooled = np.concatenate([dense[f"{i}.weight"].numpy().ravel() for i in (0, 2)])
    n_prune = int(round(amount * pooled.size))
    names = global_l1_prune(net, amount)
    assert names == ["0.weight_orig", "2.weight_orig"]
    # the last layer and every bias stay dense
    assert "4.weight" in dict(net.named_parameters())
    assert set(masked_parameters(net)) == {"0.weight_orig", "2.weight_orig"}
    kept = np.concatenate([net[i].weight_mask.numpy().ravel() for i in (0, 2)])
    assert int((kept == 0).sum()) == n_prune
    if 0 < n_prune < pooled.size:
        order = np.sort(np.abs(pooled))
        # every pruned weight is no larger than every surviving one
        assert np.abs(pooled[kept == 0]).max() <= np.abs(pooled[kept == 1]).min()
        assert np.abs(pooled[kept == 0]).max() == order[n_prune - 1]
    for i in (0, 2):
        torch.testing.assert_close(net[i].weight_orig.detach(), dense[f"{i}.weight"])
        torch.testing.assert_close(net[i].weight, dense[f"{i}.weight"] * net[i].weight_mask)
        torch.testing.assert_close(net[i].bias.detach(), dense[f"{i}.bias"])


def test_exclusions_and_last_layer_option():
    net = mlp()
    names = global_l1_prune(net, 0.5, exclude=["0"], exclude_last=False)
    assert names == ["2.weight_orig", "4.weight_orig"]
    net = mlp()
    names = global_l1_prune(net, 0.5, exclude="2")
    assert names == ["0.weight_orig"]


def test_conv_and_linear_are_prunable_batchnorm_is_not():
    net = small_cnn()
    assert [n for n, _ in prunable_layers(net)] == ["0", "4", "6"]
    names = global_l1_prune(net, 0.9)
    assert names == ["0.weight_orig", "4.weight_orig"]
    total = net[0].weight.numel() + net[4].weight.numel()
    zeros = int((net[0].weight == 0).sum() + (net[4].weight == 0).sum())
    assert zeros == round(0.9 * total)
    report = sparsity(net)
    assert report.pruned == ("0.weight", "4.weight")
    assert report.pruned_fraction == pytest.approx(zeros / total)
    assert "1.weight" in report.layers  # batch norm reported, not pruned


def test_absolute_amount():
    net = mlp()
    global_l1_prune(net, 7)
    zeros = sum(int((net[i].weight_mask == 0).sum()) for i in (0, 2))
    assert zeros == 7


def test_sparsity_report_matches_direct_count():
    net = mlp()
    with torch.no_grad():
        net[4].bias.zero_()
    global_l1_prune(net, 0.6)
    report = sparsity(net)
    expected = {}
    for name, mod in [("0", net[0]), ("2", net[2]), ("4", net[4])]:
        for attr in ("weight", "bias"):
            t = getattr(mod, attr).detach()
            expected[f"{name}.{attr}"] = (int((t == 0).sum()), t.numel())
    assert report.layers == expected
    zeros = sum(z for z, _ in expected.values())
    total = sum(n for _, n in expected.values())
    assert report.overall == pytest.approx(zeros / total)
    text = str(report)
    assert "0.weight" in text and "(pruned)" in text


def test_remove_pruning_makes_it_permanent():
    net = mlp()
    global_l1_prune(net, 0.5)
    effective = net[0].weight.detach().clone()
    assert remove_pruning(net) == 2
    assert pruned_tensors(net) == []
    params = dict(net.named_parameters())
    assert "0.weight" in params and "0.weight_orig" not in params
    torch.testing.assert_close(params["0.weight"].detach(), effective)
    assert remove_pruning(net) == 0


def test_bad_arguments():
    with pytest.raises(ValueError, match="amount"):
        global_l1_prune(mlp(), 1.5)
    with pytest.raises(ValueError, match="amount"):
        global_l1_prune(mlp(), -2)
    with pytest.raises(TypeError, match="amount"):
        global_l1_prune(mlp(), "0.9")
    with pytest.raises(ValueError, match="exceeds"):
        global_l1_prune(mlp(), 10_000)
    with pytest.raises(ValueError, match="do not exist"):
        global_l1_prune(mlp(), 0.5, exclude=["nope"])
    with pytest.raises(ValueError, match="no prunable layer"):
        global_l1_prune(nn.Sequential(nn.Linear(2, 2)), 0.5)
    with pytest.raises(TypeError, match="module"):
        pruned_tensors("not a module")
