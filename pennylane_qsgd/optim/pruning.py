"""Magnitude pruning of torch models and helpers to find what was pruned.

The paper's pipeline (arXiv:2303.03428, "Methods") prunes a pre-trained dense model by global
unstructured L1 pruning of 90% of its convolution and linear weights, except the last layer, and
trains only the surviving weights. ``torch.nn.utils.prune`` realises a pruned tensor ``w`` as a
parameter ``w_orig``, a buffer ``w_mask`` and a forward pre-hook that sets
``w = w_orig * w_mask`` before every forward pass; the helpers here read that structure so that
the rest of the package can update ``w_orig`` on the mask's support (a pruned entry must stay exactly zero, so only the mask's support is trained).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils import prune

__all__ = [
    "PRUNABLE_LAYERS",
    "PrunedTensor",
    "SparsityReport",
    "global_l1_prune",
    "masked_parameters",
    "prunable_layers",
    "pruned_tensors",
    "recording_pruning_masks",
    "remove_pruning",
    "sparsity",
]

#: Layer types pruned by :func:`global_l1_prune` by default (the paper's "conv and linear").
PRUNABLE_LAYERS: tuple[type[nn.Module], ...] = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)


@dataclass(frozen=True, eq=False)
class PrunedTensor:
    """One tensor pruned by ``torch.nn.utils.prune``.

    Attributes
    ----------
    module_name : str
        Qualified name of the submodule that owns the tensor (``""`` for the root module).
    tensor_name : str
        Name of the pruned tensor on that submodule, e.g. ``"weight"``.
    module : torch.nn.Module
        The submodule itself.
    """

    module_name: str
    tensor_name: str
    module: nn.Module

    @property
    def orig_name(self) -> str:
        """Qualified name of the trainable parameter, e.g. ``"fc.weight_orig"``."""
        return _qualify(self.module_name, self.tensor_name + "_orig")

    @property
    def orig(self) -> torch.nn.Parameter:
        """The trainable parameter ``<tensor>_orig``."""
        return getattr(self.module, self.tensor_name + "_orig")

    @property
    def mask(self) -> torch.Tensor:
        """The mask buffer ``<tensor>_mask`` (1 = kept, 0 = pruned)."""
        return getattr(self.module, self.tensor_name + "_mask")

    def effective(self) -> torch.Tensor:
        """The tensor the forward pass uses, ``orig * mask`` (detached)."""
        return (self.orig * self.mask).detach()

    def refresh(self) -> None:
        """Recompute the plain attribute ``<tensor> = orig * mask`` as the forward pre-hook does."""
        setattr(self.module, self.tensor_name, self.orig * self.mask)


def _qualify(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def pruned_tensors(module: nn.Module) -> list[PrunedTensor]:
    """All tensors of ``module`` pruned by ``torch.nn.utils.prune``, in module order.

    Parameters
    ----------
    module : torch.nn.Module
        Any module.

    Returns
    -------
    list of PrunedTensor
        One entry per pruned tensor (several pruning rounds on one tensor give one entry).
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module; got {type(module).__name__}")
    found = []
    for name, sub in module.named_modules():
        seen = set()
        for hook in sub._forward_pre_hooks.values():
            if isinstance(hook, prune.BasePruningMethod) and hook._tensor_name not in seen:
                seen.add(hook._tensor_name)
                found.append(PrunedTensor(name, hook._tensor_name, sub))
    return found


@contextmanager
def recording_pruning_masks(found: dict[int, torch.Tensor]) -> Iterator[dict[int, torch.Tensor]]:
    """While active, record the pruning masks of every module that runs a forward pass.

    A global forward pre-hook (``torch.nn.modules.module.register_module_forward_pre_hook``)
    reads each module's ``torch.nn.utils.prune`` hooks, so the masks of a pruned model are found
    from a closure call alone, without the module being passed in.

    Parameters
    ----------
    found : dict
        Filled in place with ``id(<tensor>_orig) -> <tensor>_mask`` (the live buffers).

    Yields
    ------
    dict
        ``found``.
    """

    def hook(module: nn.Module, args) -> None:
        for method in module._forward_pre_hooks.values():
            if isinstance(method, prune.BasePruningMethod):
                orig = getattr(module, method._tensor_name + "_orig", None)
                mask = getattr(module, method._tensor_name + "_mask", None)
                if orig is not None and mask is not None:
                    found[id(orig)] = mask

    handle = nn.modules.module.register_module_forward_pre_hook(hook)
    try:
        yield found
    finally:
        handle.remove()


def masked_parameters(module: nn.Module) -> dict[str, torch.Tensor]:
    """Map each pruned parameter's qualified ``*_orig`` name to its mask buffer.

    Examples
    --------
    >>> import torch
    >>> from torch.nn.utils import prune
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 2))
    >>> _ = prune.l1_unstructured(net[0], "weight", amount=0.5)
    >>> list(masked_parameters(net))
    ['0.weight_orig']
    """
    return {p.orig_name: p.mask for p in pruned_tensors(module)}


def prunable_layers(
    module: nn.Module, layer_types: tuple[type[nn.Module], ...] = PRUNABLE_LAYERS
) -> list[tuple[str, nn.Module]]:
    """Submodules of the given types that own a ``weight``, in registration order."""
    return [
        (name, sub)
        for name, sub in module.named_modules()
        if isinstance(sub, layer_types) and getattr(sub, "weight", None) is not None
    ]


def global_l1_prune(
    module: nn.Module,
    amount: float | int = 0.9,
    exclude: Iterable[str] = (),
    *,
    exclude_last: bool = True,
    layer_types: tuple[type[nn.Module], ...] = PRUNABLE_LAYERS,
) -> list[str]:
    """Global unstructured L1 (magnitude) pruning of convolution and linear weights, in place.

    The fraction ``amount`` of smallest :math:`|w|` among all selected weights, pooled across
    layers, is masked to zero (``torch.nn.utils.prune.global_unstructured`` with
    ``L1Unstructured``), as in the paper's setup: "global unstructured L1 pruning at 90% of conv and linear weights except
    the last layer" (arXiv:2303.03428, Methods). Biases are not pruned.

    Parameters
    ----------
    module : torch.nn.Module
        Model to prune; modified in place (``weight`` becomes ``weight_orig`` + ``weight_mask``).
    amount : float or int, default 0.9
        Fraction in [0, 1] of the pooled weights to prune, or an absolute number of weights.
    exclude : iterable of str, default ()
        Qualified submodule names to leave dense.
    exclude_last : bool, default True
        Also leave dense the last prunable layer in registration order (the classifier head of
        the usual ``nn.Sequential`` and ResNet definitions).
    layer_types : tuple of module classes
        Layer types whose ``weight`` is pruned.

    Returns
    -------
    list of str
        Qualified names of the pruned parameters (``"<layer>.weight_orig"``).

    Raises
    ------
    ValueError
        If ``amount`` is out of range, an excluded name does not exist or nothing is left to
        prune.
    """
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        raise TypeError(f"amount must be a float fraction or an int count; got {amount!r}")
    if isinstance(amount, float) and not 0.0 <= amount <= 1.0:
        raise ValueError(f"amount as a fraction must lie in [0, 1]; got {amount}")
    if isinstance(amount, int) and amount < 0:
        raise ValueError(f"amount as a count must be non-negative; got {amount}")
    exclude = set([exclude] if isinstance(exclude, str) else exclude)
    names = {name for name, _ in module.named_modules()}
    unknown = sorted(exclude - names)
    if unknown:
        raise ValueError(f"exclude names submodules that do not exist: {unknown}")
    layers = prunable_layers(module, layer_types)
    if exclude_last and layers:
        exclude.add(layers[-1][0])
    chosen = [(name, sub) for name, sub in layers if name not in exclude]
    if not chosen:
        raise ValueError("no prunable layer is left after the exclusions")
    total = sum(sub.weight.numel() for _, sub in chosen)
    if isinstance(amount, int) and amount > total:
        raise ValueError(f"amount={amount} exceeds the {total} prunable weights")
    prune.global_unstructured(
        [(sub, "weight") for _, sub in chosen],
        pruning_method=prune.L1Unstructured,
        amount=amount,
    )
    return [_qualify(name, "weight_orig") for name, _ in chosen]


@dataclass(frozen=True)
class SparsityReport:
    """Zero counts of a module's parameters (pruned tensors counted as ``orig * mask``).

    Attributes
    ----------
    layers : dict of str to (int, int)
        Qualified tensor name (``"fc.weight"`` for a pruned ``fc.weight_orig``) to
        ``(zeros, total)``.
    pruned : tuple of str
        The names in ``layers`` that carry a pruning mask.
    """

    layers: dict[str, tuple[int, int]]
    pruned: tuple[str, ...]

    @property
    def overall(self) -> float:
        """Fraction of zero entries over all parameters."""
        zeros = sum(z for z, _ in self.layers.values())
        total = sum(n for _, n in self.layers.values())
        return zeros / total if total else 0.0

    @property
    def pruned_fraction(self) -> float:
        """Fraction of zero entries over the pruned tensors only (0 when nothing is pruned)."""
        counts = [self.layers.get(k, (0, 0)) for k in self.pruned]
        zeros = sum(z for z, _ in counts)
        total = sum(n for _, n in counts)
        return zeros / total if total else 0.0

    def __str__(self) -> str:
        width = max((len(k) for k in self.layers), default=4)
        rows = [f"{'tensor':<{width}}  {'zeros':>9}  {'total':>9}  sparsity"]
        for name, (zeros, total) in self.layers.items():
            tag = " (pruned)" if name in self.pruned else ""
            rows.append(f"{name:<{width}}  {zeros:>9}  {total:>9}  {zeros / total:8.2%}{tag}")
        rows.append(
            f"overall sparsity {self.overall:.2%}, pruned tensors {self.pruned_fraction:.2%}"
        )
        return "\n".join(rows)


def sparsity(module: nn.Module) -> SparsityReport:
    """Count the zero entries of every parameter of ``module``.

    Pruned tensors are reported under their forward name (``weight``) with the zeros of
    ``weight_orig * weight_mask``; other parameters with their exact zeros.
    """
    masked = {p.orig_name: p for p in pruned_tensors(module)}
    layers: dict[str, tuple[int, int]] = {}
    pruned = []
    with torch.no_grad():
        for name, param in module.named_parameters():
            if name in masked:
                tensor = masked[name].effective()
                name = name.removesuffix("_orig")
                pruned.append(name)
            else:
                tensor = param
            layers[name] = (int((tensor == 0).sum()), int(tensor.numel()))
    return SparsityReport(layers, tuple(pruned))


def remove_pruning(module: nn.Module) -> int:
    """Make every pruning of ``module`` permanent (``weight = weight_orig * weight_mask``).

    After this call the module has plain ``weight`` parameters again (with zeros at the pruned
    entries) and no masks, so later updates may fill the zeros.

    Returns
    -------
    int
        Number of tensors un-reparametrised.
    """
    found = pruned_tensors(module)
    for p in found:
        prune.remove(p.module, p.tensor_name)
    return len(found)
