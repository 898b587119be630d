"""The support S of a window: which weights of a torch model the quantum solver updates.

A window of the paper's algorithm (arXiv:2303.03428, Methods) evolves only
the selected weights :math:`\\theta_S \\in \\mathbb{R}^s`, usually the unpruned ones, or the ``s``
largest of them when the window must stay small. :class:`Support` fixes the order of those
``s`` entries once: entry ``i`` of every vector of length ``s`` in the package (the gradient
``g``, the rows of ``H`` and ``T3``, the state ``u`` of the ODE) refers to the same weight.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from pennylane_qsgd.optim.pruning import masked_parameters, pruned_tensors

__all__ = [
    "IndexLike",
    "Support",
]

IndexLike = Sequence[int] | np.ndarray | torch.Tensor


def _as_index(indices: Any, name: str) -> torch.Tensor:
    """Return ``indices`` as a 1-D int64 CPU tensor, accepting integral floats (state dicts)."""
    if isinstance(indices, torch.Tensor):
        arr = indices.detach().cpu().reshape(-1)
        if arr.is_floating_point():
            if not bool(torch.all(arr == torch.round(arr))):
                raise ValueError(f"indices of {name!r} must be integers; got {arr.tolist()}")
        elif arr.dtype == torch.bool:
            raise TypeError(f"indices of {name!r} must be integers, not a boolean mask")
        return arr.to(torch.int64)
    arr = np.asarray(indices)
    if arr.dtype == bool:
        raise TypeError(f"indices of {name!r} must be integers, not a boolean mask")
    if arr.size and not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"indices of {name!r} must be integers; got dtype {arr.dtype}")
    arr = arr.reshape(-1)
    if arr.size and np.issubdtype(arr.dtype, np.floating) and not np.all(arr == np.round(arr)):
        raise ValueError(f"indices of {name!r} must be integers; got {arr.tolist()}")
    return torch.as_tensor(arr.astype(np.int64))


def _unpruned_index(mask: torch.Tensor) -> torch.Tensor:
    """Flat indices (int64, CPU) where a pruning mask keeps the weight (mask != 0)."""
    return torch.nonzero(mask.detach().reshape(-1).cpu() != 0).reshape(-1)


@dataclass(frozen=True, eq=False)
class Support:
    """An ordered selection of ``s`` scalar weights of a module.

    Parameters
    ----------
    entries : sequence of (str, index tensor)
        Qualified parameter names (as in ``module.named_parameters()``; ``"<layer>.weight_orig"``
        for a pruned weight) with the flat (row-major) indices selected in each. Entry order
        is the order of the ``s`` coordinates; indices are stored as sorted int64 CPU tensors.

    Raises
    ------
    ValueError
        If no index is selected, a name repeats, an index list is empty, negative or has
        duplicates.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Linear(3, 2)
    >>> support = Support.from_indices(net, {"weight": [0, 4], "bias": [1]})
    >>> support.size
    3
    >>> support.gather(net).shape
    torch.Size([3])
    """

    entries: tuple[tuple[str, torch.Tensor], ...]

    def __init__(self, entries: Iterable[tuple[str, IndexLike]]) -> None:
        clean = []
        seen = set()
        for item in entries:
            if not (isinstance(item, (tuple, list)) and len(item) == 2):
                raise TypeError(f"each support entry must be a (name, indices) pair; got {item!r}")
            name, indices = item
            if not isinstance(name, str):
                raise TypeError(f"parameter names must be strings; got {name!r}")
            if name in seen:
                raise ValueError(f"parameter {name!r} appears twice in the support")
            seen.add(name)
            idx = _as_index(indices, name)
            if idx.numel() == 0:
                raise ValueError(f"parameter {name!r} has an empty index list")
            if int(idx.min()) < 0:
                raise ValueError(f"indices of {name!r} must be non-negative; got {int(idx.min())}")
            idx = torch.sort(idx).values
            if idx.numel() > 1 and bool(torch.any(idx[1:] == idx[:-1])):
                raise ValueError(f"indices of {name!r} contain duplicates")
            clean.append((name, idx))
        if not clean:
            raise ValueError("the support is empty: select at least one weight")
        object.__setattr__(self, "entries", tuple(clean))

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_indices(
        cls,
        module: nn.Module,
        indices: Mapping[str, IndexLike],
        *,
        allow_pruned: bool = False,
    ) -> Support:
        """Select the given flat indices of named parameters.

        Parameters
        ----------
        module : torch.nn.Module
            Module whose parameters are named.
        indices : mapping of str to sequence of int
            Parameter name to flat indices. The forward name of a pruned weight (``"fc.weight"``)
            is accepted for its parameter ``"fc.weight_orig"``.
        allow_pruned : bool, default False
            Accept indices where the pruning mask is 0 (their value stays 0 after
            :meth:`scatter_`).

        Raises
        ------
        ValueError
            For unknown names, indices out of range, pruned indices (unless allowed) or an empty
            selection.
        """
        params = dict(module.named_parameters())
        entries = []
        for name, idx in indices.items():
            if name not in params and name + "_orig" in params:
                name = name + "_orig"
            entries.append((name, idx))
        support = cls(entries)
        support.validate(module)
        if not allow_pruned:
            masks = masked_parameters(module)
            for name, idx in support.entries:
                if name in masks:
                    mask = masks[name].detach().reshape(-1).cpu()
                    bad = idx[mask[idx] == 0]
                    if bad.numel():
                        raise ValueError(
                            f"indices {bad.tolist()[:10]} of {name!r} are pruned (mask 0); "
                            "pass allow_pruned=True to select them anyway"
                        )
        return support

    @classmethod
    def from_masks(cls, module: nn.Module, include_unmasked: bool = False) -> Support:
        """The unpruned entries of the pruned parameters of ``module``.

        Each ``torch.nn.utils.prune`` mask contributes the entries of ``<tensor>_orig`` where
        ``<tensor>_mask == 1`` (the mask is the natural support: pruned entries stay exactly zero).

        Parameters
        ----------
        module : torch.nn.Module
            A module pruned with ``torch.nn.utils.prune`` (e.g. by
            :func:`~pennylane_qsgd.optim.pruning.global_l1_prune`).
        include_unmasked : bool, default False
            Also add every entry of the trainable parameters that carry no mask (biases,
            normalisation layers, a head excluded from pruning).

        Raises
        ------
        ValueError
            If the module has no mask and ``include_unmasked`` is False, or every entry is pruned.
        """
        masks = masked_parameters(module)
        if not masks and not include_unmasked:
            raise ValueError(
                "module has no pruning mask (weight_mask buffers); prune it first or pass "
                "include_unmasked=True"
            )
        entries = []
        for name, param in module.named_parameters():
            if name in masks:
                idx = _unpruned_index(masks[name])
            elif include_unmasked and param.requires_grad:
                idx = torch.arange(param.numel())
            else:
                continue
            if idx.numel():
                entries.append((name, idx))
        if not entries:
            raise ValueError("every masked entry of the module is pruned: the support is empty")
        return cls(entries)

    @classmethod
    def all(cls, module: nn.Module, *, respect_masks: bool = True) -> Support:
        """Every entry of every trainable parameter of ``module``.

        With ``respect_masks`` (default) the pruned entries of masked parameters are left out,
        so that on a pruned module this equals ``from_masks(module, include_unmasked=True)``.
        """
        masks = masked_parameters(module) if respect_masks else {}
        entries = []
        for name, param in module.named_parameters():
            if not param.requires_grad:
                continue
            if name in masks:
                idx = _unpruned_index(masks[name])
            else:
                idx = torch.arange(param.numel())
            if idx.numel():
                entries.append((name, idx))
        if not entries:
            raise ValueError("module has no trainable (unpruned) parameter entry")
        return cls(entries)

    @classmethod
    def top_k(
        cls,
        module: nn.Module,
        k: int,
        by: str = "magnitude",
        within: Support | Mapping[str, torch.Tensor] | None = None,
    ) -> Support:
        """The ``k`` entries of largest magnitude ``|w|`` among the candidates.

        This is how a window of a given size is chosen, e.g. ``s = 64`` for an order-2 window
        whose third-derivative tensor has ``s**3`` entries.

        Parameters
        ----------
        module : torch.nn.Module
            The model.
        k : int
            Number of entries to keep, ``1 <= k <= number of candidates``.
        by : {"magnitude"}
            Ranking criterion: absolute value of the current weight.
        within : Support or mapping of str to bool tensor, optional
            Candidates: a support, or boolean masks shaped like the named parameters. Default:
            every unpruned trainable entry (:meth:`all`).

        Returns
        -------
        Support
            Entries in the candidates' parameter order, indices sorted within each parameter.
            Ties are broken by ``torch.topk``.
        """
        if by != "magnitude":
            raise ValueError(f"by must be 'magnitude'; got {by!r}")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"k must be an int; got {k!r}")
        if within is None:
            candidates = cls.all(module)
        elif isinstance(within, Support):
            candidates = within
        elif isinstance(within, Mapping):
            candidates = cls(
                (name, torch.nonzero(torch.as_tensor(m).reshape(-1).cpu()).reshape(-1))
                for name, m in within.items()
                if bool(torch.as_tensor(m).any())
            )
        else:
            raise TypeError(f"within must be a Support, a mapping of masks or None; got {within!r}")
        candidates.validate(module)
        if not 1 <= k <= candidates.size:
            raise ValueError(f"k must lie in [1, {candidates.size}] (the candidates); got {k}")
        scores = candidates.gather(module).abs().cpu()
        chosen = torch.zeros(candidates.size, dtype=torch.bool)
        chosen[torch.topk(scores, int(k)).indices] = True
        entries = []
        for (name, idx), sl in zip(candidates.entries, candidates.slices(), strict=True):
            keep = idx[chosen[sl]]
            if keep.numel():
                entries.append((name, keep))
        return cls(entries)

    # ------------------------------------------------------------------ description

    @property
    def size(self) -> int:
        """Number ``s`` of selected weights."""
        return int(sum(idx.numel() for _, idx in self.entries))

    def __len__(self) -> int:
        return self.size

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Qualified names of the parameters touched, in entry order."""
        return tuple(name for name, _ in self.entries)

    def slices(self) -> list[slice]:
        """Position of each entry's values inside a vector of length ``s``."""
        out, start = [], 0
        for _, idx in self.entries:
            out.append(slice(start, start + idx.numel()))
            start += idx.numel()
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Support):
            return NotImplemented
        return len(self.entries) == len(other.entries) and all(
            n1 == n2 and torch.equal(i1, i2)
            for (n1, i1), (n2, i2) in zip(self.entries, other.entries, strict=True)
        )

    def __hash__(self) -> int:
        return hash(tuple((n, tuple(i.tolist())) for n, i in self.entries))

    def __repr__(self) -> str:
        parts = ", ".join(f"{n}: {i.numel()}" for n, i in self.entries)
        return f"Support(size={self.size}, {{{parts}}})"

    def validate(self, module: nn.Module) -> None:
        """Check that every name is a parameter of ``module`` and every index is in range.

        Raises
        ------
        ValueError
            Naming the first unknown parameter or out-of-range index.
        """
        params = dict(module.named_parameters())
        for name, idx in self.entries:
            if name not in params:
                raise ValueError(
                    f"support names parameter {name!r}, which the module does not have "
                    f"(parameters: {sorted(params)[:20]})"
                )
            numel = params[name].numel()
            if int(idx.max()) >= numel:
                raise ValueError(
                    f"index {int(idx.max())} of {name!r} is out of range for its {numel} entries"
                )

    # ------------------------------------------------------------------ values

    def gather(self, module: nn.Module) -> torch.Tensor:
        """Current values of the selected weights.

        Returns
        -------
        torch.Tensor, shape (s,), float64
            A copy, on the parameters' device, detached from autograd.
        """
        self.validate(module)
        params = dict(module.named_parameters())
        parts = []
        for name, idx in self.entries:
            flat = params[name].detach().reshape(-1)
            parts.append(flat[idx.to(flat.device)].to(torch.float64))
        return torch.cat(parts)

    def scatter_(self, module: nn.Module, values: torch.Tensor | np.ndarray) -> None:
        """Write ``values`` into the selected weights of ``module`` in place.

        Pruned weights are written into ``<tensor>_orig``; entries whose mask is 0 receive 0, so
        pruned weights stay exactly zero, and the forward attribute ``<tensor> = orig * mask``
        is refreshed at once.

        Parameters
        ----------
        module : torch.nn.Module
            The module the support was built for.
        values : tensor or ndarray, shape (s,)
            New values, cast to each parameter's dtype.

        Raises
        ------
        ValueError
            If ``values`` has the wrong shape or NaN/Inf entries.
        """
        self.validate(module)
        vals = torch.as_tensor(values).detach()
        if vals.shape != (self.size,):
            raise ValueError(f"values must have shape ({self.size},); got {tuple(vals.shape)}")
        if not bool(torch.all(torch.isfinite(vals))):
            raise ValueError("values contain NaN or Inf entries")
        params = dict(module.named_parameters())
        masks = masked_parameters(module)
        with torch.no_grad():
            for (name, idx), sl in zip(self.entries, self.slices(), strict=True):
                param = params[name]
                dev_idx = idx.to(param.device)
                new = vals[sl].to(device=param.device, dtype=param.dtype)
                if name in masks:
                    new = new * masks[name].reshape(-1)[dev_idx].to(param.dtype)
                if param.is_contiguous():
                    param.view(-1)[dev_idx] = new
                else:  # e.g. channels-last: flat indices follow the logical row-major order
                    full = param.detach().reshape(-1).clone()
                    full[dev_idx] = new
                    param.copy_(full.view(param.shape))
        touched = set(self.parameter_names)
        for pruned in pruned_tensors(module):
            if pruned.orig_name in touched:
                with torch.no_grad():
                    pruned.refresh()

    def to_masks(self, module: nn.Module) -> dict[str, torch.Tensor]:
        """Boolean masks shaped like the named parameters, True on the support."""
        self.validate(module)
        params = dict(module.named_parameters())
        out = {}
        for name, idx in self.entries:
            mask = torch.zeros(params[name].numel(), dtype=torch.bool)
            mask[idx] = True
            out[name] = mask.reshape(params[name].shape)
        return out

    # ------------------------------------------------------------------ serialisation

    def to_state(self) -> dict[str, dict[str, list[int]]]:
        """A JSON-serialisable description: ``{"entries": {name: [int, ...], ...}}``.

        Made to survive ``torch.optim.Optimizer.load_state_dict``, which casts every tensor of the
        state to the parameter's float dtype and rebuilds every iterable value with its type
        (a ``str`` value comes back as the text of a generator): indices are plain Python ints
        and names are only ever dictionary keys, whose order the round trip keeps.
        """
        return {"entries": {name: [int(i) for i in idx.tolist()] for name, idx in self.entries}}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Support:
        """Rebuild a support from :meth:`to_state` output (integral floats are accepted)."""
        if not isinstance(state, Mapping) or "entries" not in state:
            raise ValueError(f"state must be a mapping with an 'entries' key; got {state!r}")
        entries = state["entries"]
        if isinstance(entries, Mapping):
            return cls(entries.items())
        return cls((name, idx) for name, idx in entries)
