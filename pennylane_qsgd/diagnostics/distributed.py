"""Devices and data-parallel Hessian-vector products under ``torch.distributed``.

Launched with ``torchrun --nproc-per-node K`` (which sets ``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``), every rank holds the whole model and the
whole measurement batch, computes the Hessian-vector product of the loss on its shard of the
batch (``batch / K`` samples) and the shards' products are averaged with one ``all_reduce``:

.. math::

    H v = \\frac{1}{K} \\sum_{r=1}^{K} H_r v , \\qquad
    L = \\frac{1}{K} \\sum_r L_r \\quad (L_r \\text{ the mean loss on shard } r),

exact for a loss that is a mean over samples when the shards are equal, hence the requirement
that ``K`` divide the batch. Batch norm must then use its running statistics (``module.eval()``)
during the products: in training mode every shard would normalise with its own statistics and
the Hessian would not be that of the full batch. This is also the choice of the paper's code
(and of PyHessian): the spectra are those of the network as it predicts.

Backends: NCCL for CUDA devices (one GPU per rank, ``cuda:LOCAL_RANK``), gloo on CPUs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from pennylane_qsgd.optim.support import Support
from pennylane_qsgd.optim.taylor import hessian_vector_product


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """The torch device of a ``--device`` option: ``cpu``, ``cuda`` or ``cuda:N``.

    ``None`` picks ``cuda`` when a GPU is available, else ``cpu``; under ``torchrun`` a plain
    ``cuda`` means the rank's ``cuda:LOCAL_RANK``.

    Raises
    ------
    ValueError
        For another device string, or a CUDA device this machine does not have.
    """
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(
            f"device must be 'cpu', 'cuda' or 'cuda:N'; got device={device!r}"
        ) from err
    if dev.type == "cpu":
        return torch.device("cpu")
    if dev.type != "cuda":
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N'; got device={device!r}")
    if not torch.cuda.is_available():
        raise ValueError(f"device={device!r} but torch sees no CUDA GPU here; use --device cpu")
    index = dev.index
    if index is None:  # torchrun's environment, read before the process group exists
        launched = int(os.environ.get("WORLD_SIZE", "1")) > 1
        index = int(os.environ.get("LOCAL_RANK", "0")) if launched else 0
    if index >= torch.cuda.device_count():
        raise ValueError(
            f"device={device!r}: this machine has {torch.cuda.device_count()} CUDA device(s)"
        )
    return torch.device("cuda", index)


def configure_cuda_precision(device: torch.device, allow_tf32: bool = False) -> None:
    """Full float32 on a CUDA device: no TF32 in matrix products and convolutions.

    TF32 (the default for cuDNN convolutions on Ampere and later) keeps 10 mantissa bits, a
    relative error of about 1e-3 per product that Lanczos would see as noise in the spectrum;
    the spectra are computed in float32 throughout. No-op for other devices.
    """
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = allow_tf32
        torch.backends.cudnn.allow_tf32 = allow_tf32


def world_size() -> int:
    """Number of processes of the initialised process group, 1 without one."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    """Rank of this process, 0 without a process group."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def init_from_env(device: torch.device) -> bool:
    """Join the process group that ``torchrun`` describes in the environment, if any.

    Does nothing (returns False) when ``WORLD_SIZE`` is unset or 1, or when a group already
    exists. The backend is NCCL for a CUDA ``device`` (and ``torch.cuda.set_device``), gloo
    otherwise.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or not dist.is_available():
        return False
    if dist.is_initialized():
        return False
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend=backend)
    return True


def shard_batch(batch: Any, rank_: int, world: int) -> tuple[Any, Any]:
    """Rank ``rank_``'s contiguous ``1/world`` of a batch ``(inputs, targets)``.

    Raises
    ------
    ValueError
        When ``world`` does not divide the batch size (unequal shards would weight the samples
        unequally in the averaged product).
    """
    inputs, targets = batch
    n = len(targets)
    if n % world != 0:
        raise ValueError(
            f"the world size {world} does not divide the batch of {n} samples: choose a "
            f"measurement batch that is a multiple of {world} (e.g. {max(world, n - n % world)})"
        )
    size = n // world
    sl = slice(rank_ * size, (rank_ + 1) * size)
    if isinstance(inputs, (tuple, list)):
        return type(inputs)(x[sl] for x in inputs), targets[sl]
    return inputs[sl], targets[sl]


def _has_batch_norm(module: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


class ShardedHessian:
    """Hessian-vector product on a support, data-parallel over the ranks of a process group.

    Without a process group (or with one rank) it is the plain
    :func:`~pennylane_qsgd.optim.taylor.hessian_vector_product` of the whole batch.

    Parameters
    ----------
    module : torch.nn.Module
        The same model on every rank (see :func:`broadcast_module`).
    loss_fn : callable
        ``loss_fn(outputs, targets)``, a **mean** over the samples.
    batch : (inputs, targets)
        The whole batch (the same on every rank); each rank keeps its shard.
    support : Support
    mode : {"auto", "forward", "reverse"}
        Differentiation scheme (:class:`~pennylane_qsgd.optim.taylor.HessianVectorProduct`).
    forward_dtype : {None, torch.bfloat16, torch.float16}
        Mixed precision for the forward pass only (:func:`~pennylane_qsgd.optim.taylor.support_loss`);
        check it first with :func:`~pennylane_qsgd.diagnostics.mixed_precision.check_forward_precision`.

    Raises
    ------
    ValueError
        If the world size does not divide the batch, or if batch norm is in training mode with
        more than one rank (the shards' statistics would differ from the full batch's).
    """

    def __init__(
        self,
        module: nn.Module,
        loss_fn: Callable,
        batch: Any,
        support: Support,
        mode: str = "auto",
        forward_dtype: torch.dtype | None = None,
    ) -> None:
        self.world = world_size()
        if self.world > 1 and module.training and _has_batch_norm(module):
            raise ValueError(
                "batch norm in training mode normalises each rank's shard with its own "
                "statistics; put the module in eval mode (module.eval()) for distributed "
                "Hessian-vector products"
            )
        local = shard_batch(batch, rank(), self.world) if self.world > 1 else batch
        self._hvp = hessian_vector_product(
            module, loss_fn, local, support, mode=mode, forward_dtype=forward_dtype
        )
        self.size = self._hvp.size
        self.device = self._hvp.theta.device

    @property
    def mode(self) -> str | None:
        """The differentiation scheme in use (``HessianVectorProduct.mode``)."""
        return self._hvp.mode

    def __call__(self, v: torch.Tensor) -> torch.Tensor:
        """:math:`H v` of the whole batch, float64, on every rank."""
        hv = self._hvp(v)
        if self.world > 1:
            hv = hv / self.world
            dist.all_reduce(hv)
        return hv


def broadcast_module(module: nn.Module, src: int = 0) -> None:
    """Copy rank ``src``'s parameters and buffers to every rank (no-op without a group)."""
    if world_size() <= 1:
        return
    with torch.no_grad():
        for tensor in [*module.parameters(), *module.buffers()]:
            dist.broadcast(tensor.data, src)
