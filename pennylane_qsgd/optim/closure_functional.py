"""An optimizer closure as a function of the weights on the support, for ``torch.func``.

:class:`~pennylane_qsgd.optim.qsgd.QSGD` sees parameters and a closure, not a module, so its
dense order-2 coefficients went through reverse-over-reverse-over-reverse autograd
(:func:`~pennylane_qsgd.optim.closure_taylor.closure_taylor_coefficients`): one backward pass
through the whole double-backward graph per few entries of :math:`T_3`. Here the closure is turned
into ``f(theta_S) -> loss`` by a :class:`~torch.overrides.TorchFunctionMode` that, while the
closure runs, replaces every support parameter by the same tensor with ``theta_S`` scattered into
it; ``loss.backward()`` inside the closure is skipped (``f`` is differentiated by the caller).
``f`` composes with ``torch.func`` (``grad``, ``jvp``, ``vmap``), so ``g``, ``H`` and ``T3`` come
from the module route's forward-over-forward-over-reverse products
(:func:`~pennylane_qsgd.optim.taylor.taylor_coefficients`' helpers), batched over directions.

The substitution sees a parameter only where it is handed to a torch function (``F.linear``,
``conv2d``, ``weight_orig * mask``, ...). A closure that reads ``p.data`` or updates state in
place under a transform is not functional: :func:`fast_closure_coefficients` checks the loss and
the gradient of ``f`` against the closure's own and falls back to the closure route otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch.func import grad_and_value
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_map

from pennylane_qsgd.optim.closure_taylor import (
    Closure,
    SupportEntry,
    closure_taylor_coefficients,
    differentiate,
    gather_values,
    on_support,
)
from pennylane_qsgd.optim.taylor import (
    HessianVectorProduct,
    TaylorCoefficients,
    dense_hessian,
    dense_third_derivative,
    not_out_of_memory,
)

CHECK_RTOL = 1e-4
"""Relative agreement of ``f``'s loss and gradient with the closure's that accepts the route
(float32 models round at ~1e-7)."""


_GRAD_ACCESS = {torch.Tensor.grad.__get__, torch.Tensor.grad.__set__, torch.Tensor.grad.__delete__}


class _Substitute(TorchFunctionMode):
    """Replace tensors by identity in every torch call; skip ``Tensor.backward``."""

    def __init__(self, table: dict[int, torch.Tensor]) -> None:
        super().__init__()
        self.table = table

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func is torch.Tensor.backward:
            return None
        if func in _GRAD_ACCESS:  # zero_grad and friends act on the real parameters
            return func(*args, **(kwargs or {}))

        def swap(x):
            return self.table.get(id(x), x) if isinstance(x, torch.Tensor) else x

        return func(*tree_map(swap, tuple(args)), **tree_map(swap, dict(kwargs or {})))


def closure_support_loss(
    closure: Closure, entries: Sequence[SupportEntry]
) -> Callable[[torch.Tensor], torch.Tensor]:
    """The closure's loss as ``f(theta_S)``, the parameters outside S held at their values.

    Parameters
    ----------
    closure : callable
        Re-evaluates the model and returns the loss; it may call ``loss.backward()`` (skipped).
    entries : sequence of SupportEntry
        The support S, ``s`` weights in this order.

    Returns
    -------
    callable
        ``f(theta_S)`` for ``theta_S`` of shape (s,), composable with ``torch.func``. The
        parameters are not modified.
    """
    entries = list(entries)
    ends = np.cumsum([0] + [int(e.index.numel()) for e in entries])
    s = int(ends[-1])

    def f(theta: torch.Tensor) -> torch.Tensor:
        if theta.shape != (s,):
            raise ValueError(f"theta must have shape ({s},); got {tuple(theta.shape)}")
        table: dict[int, torch.Tensor] = {}
        for e, lo, hi in zip(entries, ends[:-1], ends[1:], strict=True):
            base = table.get(id(e.param), e.param.detach())
            flat = base.reshape(-1).scatter(0, e.index, theta[lo:hi].to(base.dtype))
            table[id(e.param)] = flat.reshape(base.shape)
        with torch.enable_grad(), _Substitute(table):
            loss = closure()
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise TypeError("the closure must return a scalar loss tensor")
        return loss.reshape(())

    return f


def _functional_coefficients(
    closure: Closure, entries: list[SupportEntry], weight_decay: float, loss: torch.Tensor
) -> TaylorCoefficients | None:
    """g, H, T3 by ``torch.func`` on :func:`closure_support_loss`; None if ``f`` disagrees with
    the closure (not functional) or forward mode is unavailable."""
    theta = gather_values(entries).to(entries[0].param.dtype)
    f = closure_support_loss(closure, entries)
    try:
        g_t, value = grad_and_value(f)(theta)
    except (RuntimeError, NotImplementedError, TypeError) as err:
        if isinstance(err, RuntimeError) and not not_out_of_memory(err):
            raise
        return None
    reference = on_support(
        differentiate(loss, [e.param for e in entries], retain_graph=True), entries
    )
    scale = max(float(reference.abs().max()), 1e-30)
    if abs(float(value.detach()) - float(loss.detach())) > CHECK_RTOL * max(
        abs(float(loss.detach())), 1.0
    ) or (float((g_t.detach().double() - reference.double()).abs().max()) > CHECK_RTOL * scale):
        return None
    hvp = HessianVectorProduct(f, theta, 0.0, "forward")
    s = theta.numel()
    try:
        H = dense_hessian(hvp, s).detach().cpu().numpy().astype(np.float64)
        T3 = dense_third_derivative(hvp, None)
    except (RuntimeError, NotImplementedError) as err:
        if not not_out_of_memory(err):
            raise
        return None
    theta_np = theta.detach().cpu().numpy().astype(np.float64)
    wd = float(weight_decay)
    for name, value_np in (("Hessian", H), ("third-derivative tensor", T3)):
        if not np.all(np.isfinite(value_np)):
            raise FloatingPointError(f"the {name} on the support contains NaN or Inf")
    return TaylorCoefficients(
        theta_bar=theta_np,
        loss=float(loss.detach()) + 0.5 * wd * float(theta_np @ theta_np),
        g=g_t.detach().cpu().numpy().astype(np.float64) + wd * theta_np,
        H=H + wd * np.eye(s),
        T3=T3,
        weight_decay=wd,
    )


def fast_closure_coefficients(
    closure: Closure,
    entries: Sequence[SupportEntry],
    weight_decay: float,
    loss: torch.Tensor,
    *,
    progress: bool = False,
) -> tuple[TaylorCoefficients, str]:
    """Order-2 coefficients ``g, H, T3`` of a closure on S, by the cheapest route that works.

    Forward-over-forward-over-reverse products on :func:`closure_support_loss` (batched with
    ``vmap``) when ``f`` reproduces the closure's loss and gradient (:data:`CHECK_RTOL`); the
    reverse-mode closure route
    (:func:`~pennylane_qsgd.optim.closure_taylor.closure_taylor_coefficients`) otherwise.

    Parameters
    ----------
    closure : callable
        The (signed) closure of the window.
    entries : sequence of SupportEntry
    weight_decay : float
    loss : torch.Tensor
        The closure's loss at the window start, graph intact.
    progress : bool
        Progress bar of the closure route.

    Returns
    -------
    (TaylorCoefficients, str)
        The coefficients and the route, ``"functional"`` or ``"closure"``.
    """
    entries = list(entries)
    coeffs = _functional_coefficients(closure, entries, weight_decay, loss)
    if coeffs is not None:
        return coeffs, "functional"
    coeffs, _ = closure_taylor_coefficients(
        None, entries, 2, weight_decay, loss=loss, progress=progress
    )
    return coeffs, "closure"


__all__ = ["CHECK_RTOL", "closure_support_loss", "fast_closure_coefficients"]
