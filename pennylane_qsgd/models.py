"""Models of the experiments: a small MLP for the bundled digits and the paper's CIFAR ResNets.

The ResNets follow the layout behind the 7.45M- and 103.3M-parameter
models of Liu et al., Nat. Commun. 15, 434 (2024) (arXiv:2303.03428):

- stem: 3x3 convolution from 3 to 64 channels, batch norm, ReLU;
- three stages of width ``16k``, ``32k``, ``64k`` (``k = widen_factor``), strides 1, 2, 2;
- ``n = (depth - 2) / 6`` residual blocks per stage, either basic blocks (two 3x3 convolutions)
  or bottleneck blocks (1x1, 3x3, 1x1 with expansion 4, so a stage of width ``w`` outputs
  ``4w`` channels);
- a projection shortcut (1x1 convolution + batch norm) wherever a block changes shape;
- global average pooling and a linear head with bias.

Convolutions carry no bias (batch norm follows each). The depth is named as in the paper, two
layers per block whatever the block, so ``depth = 422`` means 70 bottleneck blocks per stage
(632 weighted layers).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

#: Deepest depth for which ``block=None`` picks basic blocks (ResNet-110 of He et al. 2016).
_MAX_BASIC_DEPTH = 110


def mlp(
    in_features: int = 64, hidden: Sequence[int] = (32,), num_classes: int = 10
) -> nn.Sequential:
    """Fully connected ReLU network: ``in_features``, the ``hidden`` widths, ``num_classes``.

    Parameters
    ----------
    in_features : int
        Input dimension (64 for the 8x8 digits).
    hidden : sequence of int
        Widths of the hidden layers, each followed by a ReLU. May be empty (logistic regression).
    num_classes : int
        Number of output logits.

    Returns
    -------
    torch.nn.Sequential
        Maps ``(batch, in_features)`` to logits ``(batch, num_classes)``.
    """
    widths = [_positive_int(in_features, "in_features")]
    widths += [_positive_int(h, "hidden") for h in hidden]
    layers: list[nn.Module] = []
    for a, b in zip(widths[:-1], widths[1:], strict=True):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(widths[-1], _positive_int(num_classes, "num_classes")))
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and an identity or projection shortcut."""

    expansion = 1

    def __init__(self, in_channels: int, width: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.shortcut = _shortcut(in_channels, width, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (carrying the stride), 1x1 expand by 4, with a shortcut."""

    expansion = 4

    def __init__(self, in_channels: int, width: int, stride: int = 1) -> None:
        super().__init__()
        out_channels = width * self.expansion
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.shortcut = _shortcut(in_channels, out_channels, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = torch.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return torch.relu(out + self.shortcut(x))


def _shortcut(in_channels: int, out_channels: int, stride: int) -> nn.Module:
    if stride == 1 and in_channels == out_channels:
        return nn.Identity()
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
        nn.BatchNorm2d(out_channels),
    )


class CifarResNet(nn.Module):
    """CIFAR-style wide ResNet of the paper; see the module docstring for the layout.

    Maps images ``(batch, 3, H, W)`` (32x32 for CIFAR) to logits ``(batch, num_classes)``.
    """

    def __init__(
        self,
        block: type[BasicBlock] | type[Bottleneck],
        blocks_per_stage: int,
        widen_factor: int,
        num_classes: int,
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU()
        )
        stages = []
        channels = 64
        for i, mult in enumerate((16, 32, 64)):
            width = mult * widen_factor
            blocks = []
            for j in range(blocks_per_stage):
                stride = 2 if (i > 0 and j == 0) else 1
                blocks.append(block(channels, width, stride))
                channels = width * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.stages(self.stem(x))
        return self.head(torch.flatten(self.pool(out), 1))


def cifar_resnet(
    depth: int, widen_factor: int = 4, num_classes: int = 100, block: str | None = None
) -> CifarResNet:
    """The paper's CIFAR ResNet of a given depth and widening factor.

    Parameters
    ----------
    depth : int
        ``6n + 2`` with ``n`` blocks per stage (the paper's naming for both block types).
    widen_factor : int
        ``k``: the stages have widths ``16k, 32k, 64k``.
    num_classes : int
        Number of logits (100 for CIFAR-100).
    block : {"basic", "bottleneck"} or None
        Residual block. ``None`` picks basic blocks up to depth 110 and bottleneck blocks above.

    Returns
    -------
    CifarResNet
        ``cifar_resnet(32)`` has 7,451,044 parameters and ``cifar_resnet(422)`` 103,338,916
        (the "7.45M" and "103.3M" models of arXiv:2303.03428).
    """
    depth = _positive_int(depth, "depth")
    if depth < 8 or (depth - 2) % 6 != 0:
        raise ValueError(f"depth must be 6n + 2 with n >= 1; got depth={depth}")
    if block is None:
        block = "basic" if depth <= _MAX_BASIC_DEPTH else "bottleneck"
    blocks = {"basic": BasicBlock, "bottleneck": Bottleneck}
    if block not in blocks:
        raise ValueError(f"block must be 'basic', 'bottleneck' or None; got block={block!r}")
    return CifarResNet(
        blocks[block],
        (depth - 2) // 6,
        _positive_int(widen_factor, "widen_factor"),
        _positive_int(num_classes, "num_classes"),
    )


def parameter_count(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of scalar parameters of ``model`` (batch-norm running statistics excluded).

    For a pruned module (``torch.nn.utils.prune``) the ``weight_orig`` tensors are counted, so the
    count does not change with pruning; use ``pennylane_qsgd.optim.pruning.sparsity`` for that.
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


#: Named architectures: name -> (builder, default keyword arguments).
ARCHITECTURES = {
    "mlp": (mlp, {}),
    "resnet32-4": (cifar_resnet, {"depth": 32, "widen_factor": 4, "num_classes": 100}),
    "resnet422-4": (cifar_resnet, {"depth": 422, "widen_factor": 4, "num_classes": 100}),
}


def build_model(name: str, **kwargs) -> nn.Module:
    """Build a named architecture (``"mlp"``, ``"resnet32-4"``, ``"resnet422-4"``).

    Keyword arguments override the defaults of the builder (e.g. ``num_classes=10``).
    """
    if name not in ARCHITECTURES:
        raise ValueError(f"name must be one of {sorted(ARCHITECTURES)}; got name={name!r}")
    builder, defaults = ARCHITECTURES[name]
    return builder(**{**defaults, **kwargs})


def _positive_int(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {name}={value!r}")
    return value


def _plain_state(state: dict) -> dict:
    """A state_dict without wrapper, ``module.`` prefixes or pruning re-parametrisation.

    Accepts ``{"state_dict": ...}`` / ``{"model": ...}`` wrappers, the ``module.`` prefix of
    ``DataParallel``/``DistributedDataParallel``, and pruned tensors (``w_orig * w_mask``).
    """
    for key in ("state_dict", "model"):
        if key in state and isinstance(state[key], dict):
            state = state[key]
    if state and all(k.startswith("module.") for k in state):
        state = {k[len("module.") :]: v for k, v in state.items()}
    out = {}
    for key, value in state.items():
        if key.endswith("_mask") and key[: -len("_mask")] + "_orig" in state:
            continue
        if key.endswith("_orig") and key[: -len("_orig")] + "_mask" in state:
            base = key[: -len("_orig")]
            out[base] = value * state[base + "_mask"]
        else:
            out[key] = value
    return out


def load_pretrained(model: nn.Module, path: str, max_listed: int = 10) -> nn.Module:
    """Load a user's checkpoint (a ``state_dict``) into an unpruned ``model``, strictly.

    Parameters
    ----------
    model : torch.nn.Module
        The architecture the checkpoint should fit (unpruned).
    path : str
        A file written by ``torch.save(model.state_dict(), path)`` (wrappers, ``module.``
        prefixes and pruned ``weight_orig``/``weight_mask`` pairs are accepted).
    max_listed : int
        How many mismatching keys of each kind the error lists.

    Returns
    -------
    torch.nn.Module
        ``model``, loaded in place.

    Raises
    ------
    ValueError
        If the file cannot be read, or its keys or shapes do not match the architecture (the
        message lists the missing, unexpected and mis-shaped keys).
    """
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError) as err:
        raise ValueError(f"pretrained={path!r}: cannot read a state_dict ({err})") from err
    if not isinstance(raw, dict):
        raise ValueError(f"pretrained={path!r} holds a {type(raw).__name__}, not a state_dict")
    state = _plain_state(raw)
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    shapes = [
        f"{k} {tuple(state[k].shape)} != {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and hasattr(state[k], "shape") and tuple(state[k].shape) != tuple(v.shape)
    ]
    if missing or unexpected or shapes:

        def listed(title: str, keys: list[str]) -> str:
            more = f" (+{len(keys) - max_listed} more)" if len(keys) > max_listed else ""
            return f"\n  {title} ({len(keys)}): " + ", ".join(keys[:max_listed]) + more

        raise ValueError(
            f"pretrained={path!r} does not match the architecture ({type(model).__name__}, "
            f"{len(expected)} entries):"
            + (listed("missing", missing) if missing else "")
            + (listed("unexpected", unexpected) if unexpected else "")
            + (listed("wrong shape (file != model)", shapes) if shapes else "")
        )
    model.load_state_dict(state)
    return model
