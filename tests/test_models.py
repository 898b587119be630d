"""Models: architectures, parameter counts against an analytic count from layer shapes."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qsgd.models import (
    ARCHITECTURES,
    build_model,
    cifar_resnet,
    mlp,
    parameter_count,
)


def _conv(c_in, c_out, k):
    return c_in * c_out * k * k


def _bn(c):
    return 2 * c  # weight and bias; running statistics are buffers


def analytic_resnet_count(n, k, classes, block):
    """Parameter count of the paper's ResNet layout, from the layer shapes alone."""
    total = _conv(3, 64, 3) + _bn(64)
    c = 64
    for stage, mult in enumerate((16, 32, 64)):
        w = mult * k
        for j in range(n):
            stride = 2 if stage > 0 and j == 0 else 1
            if block == "basic":
                out = w
                total += _conv(c, w, 3) + _bn(w) + _conv(w, w, 3) + _bn(w)
            else:
                out = 4 * w
                total += _conv(c, w, 1) + _bn(w) + _conv(w, w, 3) + _bn(w)
                total += _conv(w, out, 1) + _bn(out)
            if c != out or stride != 1:
                total += _conv(c, out, 1) + _bn(out)
            c = out
    return total + c * classes + classes


def test_paper_model_sizes():
    with torch.device("meta"):
        small = build_model("resnet32-4")
        large = build_model("resnet422-4")
    n_small, n_large = parameter_count(small), parameter_count(large)
    assert n_small == analytic_resnet_count(5, 4, 100, "basic")
    assert n_large == analytic_resnet_count(70, 4, 100, "bottleneck")
    # "about 7.45M" and "about 103.3M"
    assert round(n_small / 1e6, 2) == 7.45
    assert round(n_large / 1e5) / 10 == 103.3


@settings(max_examples=12, deadline=None)
@given(
    n=st.integers(1, 3),
    k=st.integers(1, 3),
    classes=st.integers(2, 20),
    block=st.sampled_from(["basic", "bottleneck"]),
)
def test_counts_match_analytic(n, k, classes, block):
    with torch.device("meta"):
        model = cifar_resnet(6 * n + 2, k, classes, block=block)
    assert parameter_count(model) == analytic_resnet_count(n, k, classes, block)


def test_default_block_choice():
    with torch.device("meta"):
        assert type(cifar_resnet(32).stages[0][0]).__name__ == "BasicBlock"
        assert type(cifar_resnet(116).stages[0][0]).__name__ == "Bottleneck"


@pytest.mark.parametrize("block", ["basic", "bottleneck"])
def test_forward_shapes(block):
    torch.manual_seed(0)
    model = cifar_resnet(8, widen_factor=1, num_classes=7, block=block)
    out = model(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 7)
    # stride 2 in stages 2 and 3: 32 -> 16 -> 8 spatial
    feats = model.stages(model.stem(torch.randn(1, 3, 32, 32)))
    assert feats.shape[-2:] == (8, 8)
    assert feats.shape[1] == 64 * (4 if block == "bottleneck" else 1)


def test_mlp_count_and_shape():
    net = mlp(64, (32,), 10)
    assert parameter_count(net) == 64 * 32 + 32 + 32 * 10 + 10
    assert net(torch.zeros(5, 64)).shape == (5, 10)
    assert parameter_count(mlp(4, (), 3)) == 4 * 3 + 3
    assert (
        parameter_count(build_model("mlp", hidden=(8, 8))) == 64 * 8 + 8 + 8 * 8 + 8 + 8 * 10 + 10
    )


def test_trainable_only():
    net = mlp(3, (2,), 2)
    net[0].weight.requires_grad_(False)
    assert parameter_count(net, trainable_only=True) == parameter_count(net) - 6


@pytest.mark.parametrize(
    "kwargs",
    [
        {"depth": 33},
        {"depth": 2},
        {"depth": 32, "block": "dense"},
        {"depth": 32, "widen_factor": 0},
    ],
)
def test_resnet_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=next(iter(k for k in kwargs if k != "depth"), "depth")):
        cifar_resnet(**kwargs)


def test_build_model_errors():
    with pytest.raises(ValueError, match="name"):
        build_model("vgg16")
    with pytest.raises(ValueError, match="hidden"):
        mlp(4, (0,), 2)
    assert set(ARCHITECTURES) == {"mlp", "resnet32-4", "resnet422-4"}
