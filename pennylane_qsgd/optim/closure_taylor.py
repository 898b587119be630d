"""Taylor coefficients on a support from an optimizer closure (reverse-over-reverse autograd).

``torch.optim`` optimizers see parameters and a closure, not a module and a batch, so the module-level
routines of :mod:`pennylane_qsgd.optim.taylor` (``torch.func.functional_call``) do not apply. Here the
closure is evaluated once with a graph, and the gradient is differentiated again along the support:
Hessian rows by batched vector-Jacobian products, third derivatives by differentiating those rows.

The closure may be torch's usual LBFGS closure (``opt.zero_grad(); loss = f(); loss.backward();
return loss``): it is run under :class:`KeepGraph`, a ``TorchFunctionMode`` that turns its
``loss.backward()`` into ``loss.backward(retain_graph=True)``, so the graph the optimizer
differentiates again survives the closure's own backward pass.

Devices: every tensor built here lives on the parameters' device; only the finished float64
coefficients are copied to the host (``.cpu().numpy()``) for the quantum pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.overrides import TorchFunctionMode
from tqdm import tqdm

from pennylane_qsgd.optim.taylor import TaylorCoefficients, symmetrise3

__all__ = [
    "Closure",
    "ClosureHessian",
    "KeepGraph",
    "SupportEntry",
    "closure_gradient",
    "closure_taylor_coefficients",
    "evaluate_closure",
    "gather_values",
    "scatter_values",
    "support_size",
]

Closure = Callable[[], torch.Tensor]

T3_CHUNK = 4
"""Directions per batched third-derivative product (larger batches thrash memory on CPU)."""


@dataclass(frozen=True)
class SupportEntry:
    """The selected flat indices of one parameter (the support S is the concatenation)."""

    param: torch.Tensor
    index: torch.Tensor  # int64, shape (k,)


def support_size(entries: Sequence[SupportEntry]) -> int:
    """Number ``s`` of selected weights."""
    return int(sum(int(e.index.numel()) for e in entries))


def gather_values(entries: Sequence[SupportEntry]) -> torch.Tensor:
    """The weights on S as a float64 vector, shape (s,), on the parameters' device."""
    return torch.cat([e.param.detach().reshape(-1)[e.index].to(torch.float64) for e in entries])


def scatter_values(entries: Sequence[SupportEntry], values: torch.Tensor) -> None:
    """Write a vector of shape (s,) back into the parameters, in place.

    ``values`` may live on any device (a host array from the solver included): each slice is
    moved explicitly to its parameter's device and dtype.
    """
    values = torch.as_tensor(values)
    offset = 0
    with torch.no_grad():
        for e in entries:
            k = int(e.index.numel())
            flat = e.param.view(-1) if e.param.is_contiguous() else e.param.reshape(-1)
            flat[e.index] = values[offset : offset + k].to(
                device=e.param.device, dtype=e.param.dtype
            )
            if not e.param.is_contiguous():
                e.param.copy_(flat.view_as(e.param))
            offset += k


def on_support(
    grads: Sequence[torch.Tensor | None], entries: Sequence[SupportEntry]
) -> torch.Tensor:
    """Concatenate the S-entries of per-parameter gradients (``None`` = unused = zero), shape (s,)."""
    return torch.cat(
        [
            (
                g.reshape(-1)[e.index]
                if g is not None
                else torch.zeros(e.index.numel(), dtype=e.param.dtype, device=e.param.device)
            )
            for g, e in zip(grads, entries, strict=True)
        ]
    )


def _gather_rows(grads: Sequence[torch.Tensor], entries: Sequence[SupportEntry]) -> torch.Tensor:
    """Concatenate the S-entries of per-parameter gradients with a leading batch axis."""
    return torch.cat(
        [g.reshape(g.shape[0], -1)[:, e.index] for g, e in zip(grads, entries, strict=True)],
        dim=1,
    )


def _check_finite(value: torch.Tensor, what: str) -> None:
    if not bool(torch.isfinite(value).all()):
        raise FloatingPointError(f"the {what} on the support contains NaN or Inf")


class KeepGraph(TorchFunctionMode):
    """Run a closure so that its ``loss.backward()`` keeps the autograd graph.

    Inside the mode every ``Tensor.backward`` call gets ``retain_graph=True`` (its other
    arguments untouched, so ``p.grad`` is filled as usual); :attr:`backward_calls` counts them.
    Direct calls of ``torch.autograd.backward`` bypass torch-function dispatch and still free
    the graph; :func:`evaluate_closure` then reports that with a clear error.
    """

    def __init__(self) -> None:
        super().__init__()
        self.backward_calls = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if func is torch.Tensor.backward:
            kwargs["retain_graph"] = True
            self.backward_calls += 1
        return func(*args, **kwargs)


FREED_GRAPH = (
    "the closure freed the autograd graph of its loss (probably with a direct "
    "torch.autograd.backward(loss) call, which QSGD cannot intercept): write loss.backward() "
    "or torch.autograd.backward(loss, retain_graph=True) in the closure, or leave backward out "
    "(QSGD differentiates the returned loss itself)"
)


def evaluate_closure(closure: Closure) -> torch.Tensor:
    """Call the closure under ``enable_grad`` and :class:`KeepGraph`; check its scalar loss.

    Returns
    -------
    torch.Tensor
        The loss, with its autograd graph intact (also when the closure called
        ``loss.backward()``).
    """
    if closure is None:
        raise ValueError("QSGD needs a closure that re-evaluates the model and returns the loss")
    with torch.enable_grad(), KeepGraph():
        loss = closure()
    if loss is None:
        raise ValueError("the closure returned None; it must return the loss tensor")
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise TypeError(f"the closure must return a scalar loss tensor; got {type(loss).__name__}")
    if not bool(torch.isfinite(loss).all()):
        raise FloatingPointError(f"the closure returned a non-finite loss ({loss.detach().item()})")
    if not loss.requires_grad:
        raise ValueError("the loss returned by the closure does not depend on the parameters")
    return loss


def differentiate(loss: torch.Tensor, params: Sequence[torch.Tensor], **kwargs):
    """``torch.autograd.grad(loss, params, allow_unused=True, **kwargs)`` with a clear error when
    the closure already freed the graph."""
    try:
        return torch.autograd.grad(loss, list(params), allow_unused=True, **kwargs)
    except RuntimeError as err:
        if "second time" in str(err):
            raise RuntimeError(FREED_GRAPH) from err
        raise


def _batched_vjp(
    outputs: torch.Tensor, params: list[torch.Tensor], directions: torch.Tensor, create_graph: bool
) -> tuple[torch.Tensor, ...]:
    """Vector-Jacobian products of ``outputs`` (n,) for each row of ``directions`` (B, n)."""
    try:
        return torch.autograd.grad(
            outputs,
            params,
            grad_outputs=directions,
            is_grads_batched=True,
            retain_graph=True,
            create_graph=create_graph,
            allow_unused=True,
        )
    except RuntimeError:
        # Some operations have no batching rule: fall back to one product per direction.
        rows = [
            torch.autograd.grad(
                outputs, params, d, retain_graph=True, create_graph=create_graph, allow_unused=True
            )
            for d in directions
        ]
        return tuple(
            torch.stack([r[i] if r[i] is not None else torch.zeros_like(p) for r in rows])
            for i, p in enumerate(params)
        )


def _fill_unused(grads: Sequence[torch.Tensor | None], params: Sequence[torch.Tensor], batch: int):
    return [
        g if g is not None else torch.zeros((batch, *p.shape), dtype=p.dtype, device=p.device)
        for g, p in zip(grads, params, strict=True)
    ]


def _chunks(n: int, size: int) -> list[tuple[int, int]]:
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def closure_taylor_coefficients(
    closure: Closure,
    entries: Sequence[SupportEntry],
    order: int,
    weight_decay: float = 0.0,
    chunk: int = 1024,
    *,
    loss: torch.Tensor | None = None,
    progress: bool = False,
) -> tuple[TaylorCoefficients, torch.Tensor]:
    """Gradient, Hessian and third-derivative tensor of the closure's loss on S.

    Parameters
    ----------
    closure : callable
        Re-evaluates the model and returns the loss (a scalar tensor).
    entries : sequence of SupportEntry
        The support S.
    order : {1, 2}
        1: ``g`` and ``H``; 2: also ``T3`` (``s**3`` numbers).
    weight_decay : float
        Adds ``wd * theta`` to ``g`` and ``wd * I`` to ``H``.
    chunk : int
        Directions differentiated together (memory ~ ``chunk`` gradients).
    loss : torch.Tensor, optional
        A loss already returned by :func:`evaluate_closure` (its graph intact); the closure is
        then not called again.
    progress : bool
        Show a progress bar over the rows of the third-derivative tensor.

    Returns
    -------
    (TaylorCoefficients, torch.Tensor)
        The coefficients (float64 numpy inside) and the loss tensor of the closure call.
    """
    params = [e.param for e in entries]
    if loss is None:
        loss = evaluate_closure(closure)
    grads = differentiate(loss, params, create_graph=True, retain_graph=True)
    g_S = on_support(grads, entries)
    _check_finite(g_S, "gradient")
    s = int(g_S.numel())
    theta = gather_values(entries)
    device = g_S.device
    H = torch.zeros((s, s), dtype=torch.float64, device=device)
    H_graph = []
    eye = torch.eye(s, dtype=g_S.dtype, device=device)
    for a, b in _chunks(s, chunk):
        rows = _fill_unused(_batched_vjp(g_S, params, eye[a:b], order >= 2), params, b - a)
        block = _gather_rows(rows, entries)
        H_graph.append(block)
        H[a:b] = block.detach().to(torch.float64)
    _check_finite(H, "Hessian")
    T3 = None
    if order >= 2:
        T3 = torch.zeros((s, s, s), dtype=torch.float64, device=device)
        H_rows = torch.cat(H_graph)
        rows = tqdm(range(s), desc="third derivatives", disable=not progress, leave=False)
        for a in rows:
            row = H_rows[a]
            if not row.requires_grad:
                continue  # the loss is quadratic along this row: its third derivatives vanish
            for lo, hi in _chunks(s, T3_CHUNK):
                block = _fill_unused(_batched_vjp(row, params, eye[lo:hi], False), params, hi - lo)
                T3[a, lo:hi] = _gather_rows(block, entries).detach().to(torch.float64)
        _check_finite(T3, "third-derivative tensor")
        # Symmetrise: float32 autograd leaves asymmetries of order 1e-7 relative.
        T3 = symmetrise3(T3.cpu().numpy())
    H = 0.5 * (H + H.T)
    g = g_S.detach().to(torch.float64)
    if weight_decay:
        g = g + weight_decay * theta
        H = H + weight_decay * torch.eye(s, dtype=torch.float64, device=device)
    coeffs = TaylorCoefficients(
        theta_bar=theta.cpu().numpy(),
        loss=float(loss.detach()) + 0.5 * weight_decay * float(theta @ theta),
        g=g.cpu().numpy(),
        H=H.cpu().numpy(),
        T3=T3,
        weight_decay=weight_decay,
    )
    return coeffs, loss


def closure_gradient(closure: Closure, entries: Sequence[SupportEntry]) -> tuple[np.ndarray, float]:
    """The gradient on S (float64, shape (s,)) and the loss of one closure call."""
    params = [e.param for e in entries]
    loss = evaluate_closure(closure)
    grads = differentiate(loss, params)
    g_S = on_support(grads, entries)
    _check_finite(g_S, "gradient")
    return g_S.detach().to(torch.float64).cpu().numpy(), float(loss.detach())


class ClosureHessian:
    """Matrix-free Hessian on S, :math:`v \\mapsto H v`, from one closure evaluation.

    For windows whose support is too large to form ``H`` (order 1). Each product is one
    reverse-mode pass through the retained graph of the gradient.
    """

    def __init__(
        self,
        closure: Closure,
        entries: Sequence[SupportEntry],
        weight_decay: float = 0.0,
        *,
        loss: torch.Tensor | None = None,
    ):
        self.entries = list(entries)
        self.params = [e.param for e in self.entries]
        self.loss = evaluate_closure(closure) if loss is None else loss
        grads = differentiate(self.loss, self.params, create_graph=True, retain_graph=True)
        self.g_S = on_support(grads, self.entries)
        _check_finite(self.g_S, "gradient")
        self.size = int(self.g_S.numel())
        self.weight_decay = weight_decay
        self.theta = gather_values(self.entries)

    @property
    def gradient(self) -> np.ndarray:
        """Gradient on S including weight decay, float64 (s,)."""
        g = self.g_S.detach().to(torch.float64) + self.weight_decay * self.theta
        return g.cpu().numpy()

    def matvec(self, v: np.ndarray) -> np.ndarray:
        """:math:`H v` (weight decay included), float64 (s,)."""
        direction = torch.as_tensor(np.asarray(v), dtype=self.g_S.dtype, device=self.g_S.device)
        out = torch.autograd.grad(
            self.g_S, self.params, direction, retain_graph=True, allow_unused=True
        )
        hv = on_support(out, self.entries)
        return hv.detach().to(torch.float64).cpu().numpy() + self.weight_decay * np.asarray(v)
