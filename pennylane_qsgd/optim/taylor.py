"""Taylor coefficients of a torch model's loss on a support, and the gradient-flow ODE they define.

A window of the paper's algorithm (arXiv:2303.03428, Methods) replaces the
gradient of the loss on the support S by its Taylor model around the window start
:math:`\\bar\\theta`,

.. math::

    \\nabla L(\\bar\\theta + d) \\approx g + H d + \\tfrac12 T_3[d, d],

and runs gradient descent with learning rate :math:`\\eta` as the flow
:math:`du/dt = -\\eta \\nabla L(u)` in the variable :math:`u = \\theta_S`. **Time unit:** one
gradient step is one unit of time, so ``T`` steps of GD with learning rate ``eta`` correspond to
the flow up to ``t = T`` (forward Euler with step ``h = 1`` is exactly GD on the Taylor model).

Derivatives are computed with ``torch.func`` (``functional_call``, ``grad``, ``jvp``, ``vmap``)
on a copy of the parameters, so the module is never modified. Where an operation of the model
lacks forward-mode AD (or ``torch.func`` support altogether), the computation falls back once to
double backward with ``torch.autograd`` and remembers that choice.

Batch contract: ``batch = (inputs, targets)``, the loss is ``loss_fn(module(*inputs), targets)``
(``inputs`` a tensor or a tuple of positional tensors) and must be a scalar. The module is run in
its current mode (``train()`` / ``eval()``); buffers such as batch-norm running statistics are
copied before each call and never updated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import torch
from torch import nn
from torch.func import functional_call, grad, grad_and_value, jvp, vmap

from pennylane_qsgd.core.memory import check_memory
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.optim.pruning import pruned_tensors
from pennylane_qsgd.optim.support import Support

__all__ = [
    "FORWARD",
    "HessianVectorProduct",
    "LossFn",
    "REVERSE",
    "StochasticForcing",
    "TaylorCoefficients",
    "build_problem",
    "gradient_on_support",
    "hessian_operator",
    "hessian_vector_product",
    "stochastic_forcing",
    "support_loss",
    "taylor_coefficients",
]

LossFn = Callable[[Any, Any], torch.Tensor]

FORWARD = "forward-over-reverse"
REVERSE = "reverse-over-reverse"
_MODES = {"auto": None, "forward": FORWARD, "reverse": REVERSE, FORWARD: FORWARD, REVERSE: REVERSE}


def _split_batch(batch: Any) -> tuple[tuple, Any]:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise TypeError(
            "batch must be a pair (inputs, targets); got "
            f"{type(batch).__name__}{'' if not hasattr(batch, '__len__') else f' of length {len(batch)}'}"
        )
    inputs, targets = batch
    args = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    return args, targets


def not_out_of_memory(err: BaseException) -> bool:
    return not isinstance(err, torch.OutOfMemoryError)


def support_point(support: Support, module: nn.Module, at: Any) -> torch.Tensor:
    """The evaluation point on S: ``at`` if given, else the module's current values (float64)."""
    current = support.gather(module)
    if at is None:
        return current
    theta = torch.as_tensor(at, dtype=torch.float64, device=current.device).detach()
    if theta.shape != (support.size,):
        raise ValueError(f"at must have shape ({support.size},); got {tuple(theta.shape)}")
    return theta


def _check_weight_decay(weight_decay: float) -> float:
    wd = float(weight_decay)
    if not np.isfinite(wd) or wd < 0:
        raise ValueError(f"weight_decay must be a finite non-negative number; got {weight_decay}")
    return wd


def support_loss(
    module: nn.Module,
    loss_fn: LossFn,
    batch: Any,
    support: Support,
    forward_dtype: torch.dtype | None = None,
) -> Callable[[torch.Tensor], torch.Tensor]:
    """The loss as a function of the values on the support, everything else held fixed.

    Parameters
    ----------
    module : torch.nn.Module
        The model; not modified (pruned modules included: ``weight = weight_orig * mask`` is
        recomputed from the substituted ``weight_orig`` and the module's attribute restored).
    loss_fn : callable
        ``loss_fn(outputs, targets) -> scalar tensor``.
    batch : (inputs, targets)
        One minibatch (see the module docstring for the contract).
    support : Support
        The selected weights S.
    forward_dtype : {None, torch.bfloat16, torch.float16}
        Mixed precision for the model's forward pass only: ``module(*inputs)`` runs under
        ``torch.autocast`` with this dtype, its outputs are cast back to float32 before
        ``loss_fn``. Default: the module's own precision.

    Returns
    -------
    callable
        ``f(theta_S) -> loss``, ``theta_S`` a tensor of shape (s,) (any float dtype; it is cast to
        each parameter's dtype), composable with ``torch.func`` transforms and with
        ``torch.autograd``, also inside ``torch.no_grad()`` (as in ``Optimizer.step``).

    Notes
    -----
    The parameters outside S are read from the module without a copy: changing the module in
    place later changes ``f``. Precision is that of the module's dtype.
    """
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable; got {loss_fn!r}")
    _check_forward_dtype(forward_dtype)
    support.validate(module)
    args, targets = _split_batch(batch)
    params = {name: p.detach() for name, p in module.named_parameters()}
    buffers = {name: b.detach() for name, b in module.named_buffers()}
    pruned = pruned_tensors(module)
    plan = [
        (name, idx.to(params[name].device), sl)
        for (name, idx), sl in zip(support.entries, support.slices(), strict=True)
    ]
    s = support.size

    def loss_on_support(theta: torch.Tensor) -> torch.Tensor:
        if theta.shape != (s,):
            raise ValueError(f"theta must have shape ({s},); got {tuple(theta.shape)}")
        tensors = dict(params)
        for name, idx, sl in plan:
            base = params[name]
            flat = base.reshape(-1).scatter(0, idx, theta[sl].to(base.dtype))
            tensors[name] = flat.reshape(base.shape)
        # copies: batch-norm in train mode updates its running statistics in place
        tensors.update({name: b.clone() for name, b in buffers.items()})
        saved = [(p.module, p.tensor_name, p.module.__dict__.get(p.tensor_name)) for p in pruned]
        try:
            loss = loss_fn(_module_forward(module, tensors, args, forward_dtype), targets)
        finally:
            # the pruning pre-hook stores weight = orig * mask on the module: undo it
            for sub, attr, value in saved:
                if value is None:
                    sub.__dict__.pop(attr, None)
                else:
                    sub.__dict__[attr] = value
        if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
            shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
            raise ValueError(f"loss_fn must return a scalar tensor; got {shape}")
        return loss

    return loss_on_support


def _check_forward_dtype(forward_dtype: torch.dtype | None) -> None:
    if forward_dtype not in (None, torch.bfloat16, torch.float16):
        raise ValueError(
            "forward_dtype must be None, torch.bfloat16 or torch.float16; "
            f"got forward_dtype={forward_dtype!r}"
        )


def _module_forward(
    module: nn.Module, tensors: dict, args: tuple, forward_dtype: torch.dtype | None
):
    """``module(*args)`` with ``tensors``; under autocast when ``forward_dtype`` is set."""
    if forward_dtype is None:
        return functional_call(module, tensors, args)
    device_type = next(iter(tensors.values())).device.type
    with torch.autocast(device_type, dtype=forward_dtype):
        out = functional_call(module, tensors, args)
    return out.float() if isinstance(out, torch.Tensor) and out.is_floating_point() else out


def _finite_or_raise(value: torch.Tensor | np.ndarray, what: str) -> None:
    arr = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"{what} is not finite (NaN or Inf) at the expansion point; check the learning rate, "
            "the data and the loss function"
        )


def _reverse_value_and_grad(
    f: Callable[[torch.Tensor], torch.Tensor], theta: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Loss, gradient (with graph) and the leaf variable, by ``torch.autograd``."""
    leaf = theta.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        loss = f(leaf)
        (g,) = torch.autograd.grad(loss, leaf, create_graph=True)
    return loss, g, leaf


def gradient_on_support(
    module: nn.Module,
    loss_fn: LossFn,
    batch: Any,
    support: Support,
    *,
    weight_decay: float = 0.0,
    at: Any = None,
) -> torch.Tensor:
    """Gradient :math:`g = \\nabla_S L(\\theta) + w_d \\theta_S` on the support.

    Parameters
    ----------
    module, loss_fn, batch, support
        As in :func:`support_loss`.
    weight_decay : float, default 0
        Coefficient ``wd`` of the decoupled ``wd * theta`` term (as in ``torch.optim.SGD``).
    at : array_like, shape (s,), optional
        Values on S at which to differentiate; default the module's current values.

    Returns
    -------
    torch.Tensor, shape (s,), float64

    Raises
    ------
    ValueError
        If the loss or the gradient is NaN/Inf.
    """
    wd = _check_weight_decay(weight_decay)
    theta = support_point(support, module, at)
    f = support_loss(module, loss_fn, batch, support)
    try:
        g, loss = grad_and_value(f)(theta)
    except (RuntimeError, NotImplementedError) as err:
        if not not_out_of_memory(err):
            raise
        loss, g, _ = _reverse_value_and_grad(f, theta)
        g = g.detach()
    _finite_or_raise(loss, "the loss")
    _finite_or_raise(g, "the gradient")
    return g.detach().to(torch.float64) + wd * theta


class HessianVectorProduct:
    """Matrix-free product :math:`v \\mapsto (H + w_d I) v` with the Hessian on S at a fixed point.

    Forward-over-reverse (``torch.func.jvp`` of ``torch.func.grad``) by default; on the first
    failure of forward-mode AD it switches for good to double backward with ``torch.autograd``
    (reverse-over-reverse). ``mode`` tells which one is in use (``None`` before the first call
    in ``"auto"`` mode).

    Parameters
    ----------
    f : callable
        Loss on the support (:func:`support_loss`).
    theta : torch.Tensor, shape (s,)
        Expansion point.
    weight_decay : float, default 0
        Adds ``weight_decay * v``.
    mode : {"auto", "forward", "reverse"}
        Differentiation scheme; ``"auto"`` tries forward first.
    """

    def __init__(
        self,
        f: Callable[[torch.Tensor], torch.Tensor],
        theta: torch.Tensor,
        weight_decay: float = 0.0,
        mode: str = "auto",
    ) -> None:
        if mode not in _MODES:
            raise ValueError(f"mode must be one of 'auto', 'forward', 'reverse'; got {mode!r}")
        self._f = f
        self._grad = grad(f)
        self.theta = theta.detach()
        self.weight_decay = _check_weight_decay(weight_decay)
        self.mode: str | None = _MODES[mode]
        self._auto = mode == "auto"
        self._reverse_state: tuple[torch.Tensor, torch.Tensor] | None = None

    @property
    def size(self) -> int:
        """Dimension ``s``."""
        return int(self.theta.numel())

    def _forward(self, v: torch.Tensor) -> torch.Tensor:
        return jvp(self._grad, (self.theta,), (v,))[1]

    def _reverse(self, v: torch.Tensor) -> torch.Tensor:
        if self._reverse_state is None:
            _, g, leaf = _reverse_value_and_grad(self._f, self.theta)
            self._reverse_state = (g, leaf)
        g, leaf = self._reverse_state
        if not g.requires_grad:  # the gradient does not depend on theta: H = 0
            return torch.zeros_like(v)
        with torch.enable_grad():
            (hv,) = torch.autograd.grad(g, leaf, v, retain_graph=True)
        return hv

    def __call__(self, v: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Return :math:`(H + w_d I) v`, shape (s,), dtype of ``theta``."""
        v = torch.as_tensor(v, dtype=self.theta.dtype, device=self.theta.device)
        if v.shape != self.theta.shape:
            raise ValueError(f"v must have shape ({self.size},); got {tuple(v.shape)}")
        if self.mode in (None, FORWARD):
            try:
                out = self._forward(v)
                self.mode = FORWARD
            except (RuntimeError, NotImplementedError) as err:
                if not (self._auto and not_out_of_memory(err)):
                    raise
                self.mode = REVERSE
        if self.mode == REVERSE:
            out = self._reverse(v)
        return out.detach() + self.weight_decay * v


def hessian_vector_product(
    module: nn.Module,
    loss_fn: LossFn,
    batch: Any,
    support: Support,
    *,
    weight_decay: float = 0.0,
    at: Any = None,
    mode: str = "auto",
    forward_dtype: torch.dtype | None = None,
) -> HessianVectorProduct:
    """The Hessian-vector product on S at the module's current values (or ``at``).

    ``forward_dtype`` (see :func:`support_loss`) runs the forward pass in mixed precision; the
    products are then taken by double backward (forward-mode AD does not pass through
    autocast's casts), so ``mode="forward"`` is refused with it.

    Returns
    -------
    HessianVectorProduct
        Callable ``v (s,) -> (H + wd I) v (s,)``, float64 tensors.
    """
    if forward_dtype is not None:
        if mode not in ("auto", "reverse", REVERSE):
            raise ValueError(
                f"mode={mode!r} cannot be combined with forward_dtype={forward_dtype}: "
                "mixed-precision products are taken by double backward (mode='reverse')"
            )
        mode = "reverse"
    theta = support_point(support, module, at)
    f = support_loss(module, loss_fn, batch, support, forward_dtype)
    return HessianVectorProduct(f, theta, weight_decay, mode)


def hessian_operator(
    module: nn.Module,
    loss_fn: LossFn,
    batch: Any,
    support: Support,
    *,
    weight_decay: float = 0.0,
    at: Any = None,
    mode: str = "auto",
) -> spla.LinearOperator:
    """The Hessian on S as a symmetric float64 ``scipy.sparse.linalg.LinearOperator``.

    For matrix-free solvers and eigensolvers (``eigsh``, Lanczos) when ``s`` is too large to
    form ``H``. Each ``matvec`` costs one Hessian-vector product (about two gradients).
    """
    hvp = hessian_vector_product(
        module, loss_fn, batch, support, weight_decay=weight_decay, at=at, mode=mode
    )
    s = hvp.size

    def matvec(x: np.ndarray) -> np.ndarray:
        vec = np.asarray(x, dtype=np.float64).reshape(s)
        return hvp(torch.from_numpy(vec.copy())).cpu().numpy().astype(np.float64)

    return spla.LinearOperator((s, s), matvec=matvec, rmatvec=matvec, dtype=np.float64)


def batched_map(fn: Callable[[torch.Tensor], torch.Tensor], vectors: torch.Tensor, chunk: int):
    """``stack([fn(v) for v in vectors])``, vectorised with ``vmap`` when the model allows."""
    try:
        return vmap(fn, chunk_size=chunk)(vectors)
    except (RuntimeError, NotImplementedError) as err:
        if not not_out_of_memory(err):
            raise
        return torch.stack([fn(v) for v in vectors])


def dense_hessian(hvp: HessianVectorProduct, chunk: int) -> torch.Tensor:
    """Dense Hessian (without weight decay), columns by Hessian-vector products."""
    s = hvp.size
    eye = torch.eye(s, dtype=hvp.theta.dtype, device=hvp.theta.device)
    hvp(eye[0])  # settles the differentiation mode (and builds the reverse graph once)
    if hvp.mode == FORWARD:
        H = batched_map(hvp._forward, eye, chunk)
    else:
        g, leaf = hvp._reverse_state
        if not g.requires_grad:
            return torch.zeros((s, s), dtype=eye.dtype, device=eye.device)
        H = torch.cat([_batched_grad(g, leaf, eye[i : i + chunk]) for i in range(0, s, chunk)])
    return 0.5 * (H + H.T)


def _batched_grad(out: torch.Tensor, leaf: torch.Tensor, vectors: torch.Tensor) -> torch.Tensor:
    """Rows ``v^T d(out)/d(leaf)`` for each row ``v`` of ``vectors`` (graph retained)."""
    with torch.enable_grad():
        try:
            (rows,) = torch.autograd.grad(
                out, leaf, vectors, retain_graph=True, is_grads_batched=True, allow_unused=True
            )
        except (RuntimeError, NotImplementedError) as err:
            if not not_out_of_memory(err):
                raise
            parts = [
                torch.autograd.grad(out, leaf, v, retain_graph=True, allow_unused=True)[0]
                for v in vectors
            ]
            rows = torch.stack([torch.zeros_like(leaf) if p is None else p for p in parts])
    return torch.zeros_like(vectors) if rows is None else rows


def symmetrise3(T: np.ndarray) -> np.ndarray:
    """Average of ``T`` over the 6 index permutations, symmetric to the last bit."""
    B = 0.5 * (T + np.transpose(T, (0, 2, 1)))  # exactly symmetric in the last two indices
    # the three terms below form the same multiset for every permutation of (a, b, c):
    # summing them in sorted order makes the result exactly symmetric
    terms = np.stack([B, np.transpose(B, (1, 0, 2)), np.transpose(B, (1, 2, 0))])
    return np.sort(terms, axis=0).sum(axis=0) / 3.0


def dense_third_derivative(hvp: HessianVectorProduct, chunk: int | None) -> np.ndarray:
    """The symmetric tensor :math:`T_3[a, b, c] = \\partial_a \\partial_b \\partial_c L` on S."""
    s = hvp.size
    theta = hvp.theta
    eye = torch.eye(s, dtype=theta.dtype, device=theta.device)
    T = torch.zeros((s, s, s), dtype=theta.dtype, device=theta.device)
    if hvp.mode == FORWARD:
        grad_f = hvp._grad
        rows, cols = torch.triu_indices(s, s)

        def d3(pair: torch.Tensor) -> torch.Tensor:
            # T3[:, b, c] = d/dtheta_c (H e_b): forward derivative of a forward-over-reverse HVP
            v, w = pair[0], pair[1]
            return jvp(lambda th: jvp(grad_f, (th,), (v,))[1], (theta,), (w,))[1]

        try:
            pairs = torch.stack([eye[rows], eye[cols]], dim=1)
            cols_bc = batched_map(d3, pairs, chunk if chunk is not None else 4 * s)
            T[:, rows, cols] = cols_bc.T
            T[:, cols, rows] = cols_bc.T
            return symmetrise3(T.detach().cpu().numpy().astype(np.float64))
        except (RuntimeError, NotImplementedError) as err:
            if not not_out_of_memory(err):
                raise
            T.zero_()
    # double backward: T3[a, b, :] = d/dtheta (H e_b)_a for a >= b, in batches of a
    chunk = s if chunk is None else chunk
    _, g, leaf = _reverse_value_and_grad(hvp._f, theta)
    for b in range(s if g.requires_grad else 0):
        with torch.enable_grad():
            (hb,) = torch.autograd.grad(g, leaf, eye[b], create_graph=True)
        if not hb.requires_grad:  # this column of H does not depend on theta
            continue
        for start in range(b, s, chunk):
            rows = _batched_grad(hb, leaf, eye[start : start + chunk])
            T[start : start + rows.shape[0], b] = rows
            T[b, start : start + rows.shape[0]] = rows
    return symmetrise3(T.detach().cpu().numpy().astype(np.float64))


@dataclass(frozen=True)
class TaylorCoefficients:
    """Derivatives of the loss on S at the window start.

    The Taylor model of the gradient is
    :math:`\\nabla L(\\bar\\theta + d) \\approx g + H d + \\tfrac12 T_3[d, d]`, with
    :math:`T_3[d, d]_a = \\sum_{bc} T_3[a, b, c] d_b d_c`.

    Attributes
    ----------
    theta_bar : ndarray, shape (s,)
        Expansion point (the weights on S at the window start).
    loss : float
        :math:`L(\\bar\\theta) + \\tfrac{w_d}{2} \\|\\bar\\theta_S\\|^2`, the objective whose
        derivatives ``g``, ``H``, ``T3`` are.
    g : ndarray, shape (s,)
        Gradient, including ``wd * theta_bar``.
    H : ndarray, shape (s, s) or None
        Hessian (symmetric), including ``wd * I``; None for ``order=0``.
    T3 : ndarray, shape (s, s, s) or None
        Third-derivative tensor (fully symmetric); only for ``order=2``.
    weight_decay : float
        The ``wd`` included above.
    """

    theta_bar: np.ndarray
    loss: float
    g: np.ndarray
    H: np.ndarray | None = None
    T3: np.ndarray | None = None
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        theta = np.asarray(self.theta_bar, dtype=np.float64)
        if theta.ndim != 1 or theta.size == 0:
            raise ValueError(f"theta_bar must have shape (s,) with s >= 1; got {theta.shape}")
        s = theta.size
        arrays = {"theta_bar": theta}
        for name, shape in (("g", (s,)), ("H", (s, s)), ("T3", (s, s, s))):
            value = getattr(self, name)
            if value is None:
                if name == "g":
                    raise ValueError("g is required")
                continue
            arr = np.asarray(value, dtype=np.float64)
            if arr.shape != shape:
                raise ValueError(f"{name} must have shape {shape}; got {arr.shape}")
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{name} contains NaN or Inf entries")
            arrays[name] = arr
        if arrays.get("T3") is not None and self.H is None:
            raise ValueError("T3 without H: an order-2 model needs the Hessian too")
        for name, perms in (("H", [(1, 0)]), ("T3", [(0, 2, 1), (1, 0, 2)])):
            arr = arrays.get(name)
            if arr is None:
                continue
            scale = max(1.0, float(np.abs(arr).max()))
            for perm in perms:
                if np.abs(arr - np.transpose(arr, perm)).max() > 1e-8 * scale:
                    raise ValueError(f"{name} must be symmetric (a derivative tensor)")
        for name, arr in arrays.items():
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "loss", float(self.loss))
        object.__setattr__(self, "weight_decay", _check_weight_decay(self.weight_decay))

    @property
    def size(self) -> int:
        """Number ``s`` of weights on the support."""
        return int(self.theta_bar.shape[0])

    @property
    def order(self) -> int:
        """Order of the Taylor model of the gradient: 0 (g), 1 (g, H) or 2 (g, H, T3)."""
        return 0 if self.H is None else (1 if self.T3 is None else 2)

    def model_gradient(self, theta: np.ndarray) -> np.ndarray:
        """The Taylor model :math:`g + H d + \\tfrac12 T_3[d, d]` at ``theta``, ``d = theta - theta_bar``."""
        d = np.asarray(theta, dtype=np.float64) - self.theta_bar
        out = self.g.copy()
        if self.H is not None:
            out = out + self.H @ d
        if self.T3 is not None:
            out = out + 0.5 * np.einsum("abc,b,c->a", self.T3, d, d)
        return out


def taylor_coefficients(
    module: nn.Module,
    loss_fn: LossFn,
    batch: Any,
    support: Support,
    order: int = 2,
    weight_decay: float = 0.0,
    *,
    mode: str = "auto",
    chunk_size: int | None = None,
) -> TaylorCoefficients:
    """Gradient, Hessian and third-derivative tensor of the loss on S at the current weights.

    Parameters
    ----------
    module, loss_fn, batch, support
        As in :func:`support_loss`; the expansion point is ``support.gather(module)``.
    order : {0, 1, 2}, default 2
        Order of the Taylor model of the gradient: 1 gives ``H`` (linear ODE), 2 adds ``T3``
        (the Carleman case).
    weight_decay : float, default 0
        Adds ``wd * theta_bar`` to ``g`` and ``wd * I`` to ``H`` (and ``wd/2 |theta_bar|^2``
        to ``loss``).
    mode : {"auto", "forward", "reverse"}
        Differentiation scheme (see :class:`HessianVectorProduct`).
    chunk_size : int, optional
        Number of directions evaluated together by ``vmap`` (memory ~ ``chunk_size`` forward
        passes). Default ``s`` for ``H`` and ``4 s`` direction pairs for ``T3``.

    Returns
    -------
    TaylorCoefficients
        float64 numpy arrays. Precision is that of the module's dtype.

    Raises
    ------
    ValueError
        For a bad ``order``, a NaN/Inf loss or derivative.
    pennylane_qsgd.core.memory.MemoryBudgetError
        If ``H`` (``8 s^2`` bytes) or ``T3`` (``8 s^3`` bytes) exceeds the memory limit.
    """
    if isinstance(order, bool) or order not in (0, 1, 2):
        raise ValueError(f"order must be 0, 1 or 2; got {order!r}")
    wd = _check_weight_decay(weight_decay)
    support.validate(module)
    s = support.size
    if chunk_size is not None and (isinstance(chunk_size, bool) or int(chunk_size) < 1):
        raise ValueError(f"chunk_size must be a positive int; got {chunk_size!r}")
    chunk_size = None if chunk_size is None else int(chunk_size)
    if order == 2:
        check_memory(
            8 * s**3,
            f"third-derivative tensor T3 of shape ({s}, {s}, {s})",
            "Use a smaller support (Support.top_k) or order=1.",
        )
    if order >= 1:
        check_memory(
            8 * s**2,
            f"Hessian H of shape ({s}, {s})",
            "Use a smaller support or the matrix-free hessian_operator.",
        )
    theta = support.gather(module)
    f = support_loss(module, loss_fn, batch, support)
    hvp = HessianVectorProduct(f, theta, 0.0, mode)
    loss_t = g_t = None
    if hvp.mode != REVERSE:
        try:
            g_t, loss_t = grad_and_value(f)(theta)
        except (RuntimeError, NotImplementedError) as err:
            if not not_out_of_memory(err):
                raise
    if g_t is None:
        loss_t, g_t, _ = _reverse_value_and_grad(f, theta)
    _finite_or_raise(loss_t, "the loss")
    theta_np = theta.detach().cpu().numpy().astype(np.float64)
    loss = float(loss_t.detach()) + 0.5 * wd * float(theta_np @ theta_np)
    g = g_t.detach().cpu().numpy().astype(np.float64) + wd * theta_np
    _finite_or_raise(g, "the gradient")
    H = T3 = None
    if order >= 1:
        H = dense_hessian(hvp, chunk_size or s).detach().cpu().numpy().astype(np.float64)
        H = H + wd * np.eye(s)
        _finite_or_raise(H, "the Hessian")
    if order == 2:
        T3 = dense_third_derivative(hvp, chunk_size)
        _finite_or_raise(T3, "the third-derivative tensor")
    return TaylorCoefficients(theta_np, loss, g, H, T3, wd)


def constant_terms(coeffs: TaylorCoefficients) -> tuple[np.ndarray, np.ndarray]:
    """``(-H theta_bar + 1/2 T3[theta_bar, theta_bar], H - T3[theta_bar, .])`` of section 2."""
    s = coeffs.size
    tb = coeffs.theta_bar
    H = np.zeros((s, s)) if coeffs.H is None else coeffs.H
    shift = -H @ tb
    lin = H.copy()
    if coeffs.T3 is not None:
        t_theta = coeffs.T3 @ tb  # T3[a, b, c] theta_c: the matrix T3[theta_bar, .]
        shift = shift + 0.5 * t_theta @ tb
        lin = lin - t_theta
    return shift, lin


def check_lr(lr: float) -> float:
    eta = float(lr)
    if not np.isfinite(eta) or eta <= 0:
        raise ValueError(f"lr must be a positive finite number; got {lr}")
    return eta


class StochasticForcing(NamedTuple):
    """Piecewise-constant forcing of a stochastic window: row ``k`` acts on ``[k, k+1)``."""

    F0: np.ndarray
    forcing_times: np.ndarray


def build_problem(
    coeffs: TaylorCoefficients,
    lr: float,
    centre: np.ndarray | None = None,
    forcing: StochasticForcing | tuple | np.ndarray | None = None,
) -> PolynomialODE:
    """The gradient flow of the Taylor model as a quadratic ODE.

    With :math:`u = \\theta_S` and :math:`\\nabla L(u) \\approx g + H(u - \\bar\\theta) +
    \\tfrac12 T_3[u - \\bar\\theta, u - \\bar\\theta]`, the flow :math:`du/dt = -\\eta \\nabla L(u)`
    is :math:`du/dt = F_0 + F_1 u + F_2 (u \\otimes u)` with

    .. math::

        F_2 = -\\tfrac{\\eta}{2} \\operatorname{mat}(T_3), \\quad
        F_1 = -\\eta (H - T_3[\\bar\\theta, \\cdot]), \\quad
        F_0 = -\\eta (g - H\\bar\\theta + \\tfrac12 T_3[\\bar\\theta, \\bar\\theta]),

    :math:`\\operatorname{mat}(T_3)[a, b s + c] = T_3[a, b, c]` (``np.kron`` order), and
    :math:`u(0) = \\bar\\theta`. Order 1 gives ``F2 = 0`` (a linear ODE). One gradient step is one
    unit of time: ``T`` GD steps of learning rate ``lr`` correspond to ``t = T``.

    Parameters
    ----------
    coeffs : TaylorCoefficients
        From :func:`taylor_coefficients`.
    lr : float
        Learning rate :math:`\\eta > 0`.
    centre : array_like, shape (s,), optional
        Solve for :math:`u = \\theta_S - c` instead (``PolynomialODE.shifted``);
        ``u_in = theta_bar - c``.
    forcing : StochasticForcing, (F0, forcing_times) or array (K, s), optional
        Replaces ``F0`` by a piecewise-constant forcing (:func:`stochastic_forcing`, which must
        have been built with the same ``lr``); an array gets ``forcing_times = 0, 1, ..., K-1``.

    Returns
    -------
    PolynomialODE
    """
    eta = check_lr(lr)
    s = coeffs.size
    shift, lin = constant_terms(coeffs)
    F0 = -eta * (coeffs.g + shift)
    F1 = -eta * lin
    if coeffs.T3 is None:
        F2 = sp.csr_array((s, s * s))
    else:
        F2 = -0.5 * eta * coeffs.T3.reshape(s, s * s)
    times = None
    if forcing is not None:
        if isinstance(forcing, tuple):
            F0, times = forcing
        else:
            F0 = np.asarray(forcing, dtype=np.float64)
            if F0.ndim == 2:
                times = np.arange(F0.shape[0], dtype=np.float64)
    problem = PolynomialODE(F0, F1, F2, coeffs.theta_bar, times)
    if centre is not None:
        problem = problem.shifted(centre)
    return problem


def stochastic_forcing(
    module: nn.Module,
    loss_fn: LossFn,
    batches: Iterable[Any] | Sequence[Any],
    support: Support,
    coeffs: TaylorCoefficients,
    lr: float,
) -> StochasticForcing:
    """Piecewise-constant forcing of a stochastic window, one piece per minibatch (SGD step).

    Step ``k`` of SGD uses the gradient of minibatch ``k``. Its Taylor model keeps ``H`` and
    ``T3`` of the window's expansion batch (``coeffs``) and replaces ``g`` by the minibatch
    gradient :math:`g_k` at :math:`\\bar\\theta` (weight decay ``coeffs.weight_decay`` included):

    .. math::

        F_0^{(k)} = -\\eta (g_k - H\\bar\\theta + \\tfrac12 T_3[\\bar\\theta, \\bar\\theta]),
        \\qquad t \\in [k, k+1).

    The dissipation ratio ``R`` and the Euler error bound then use the largest
    :math:`\\|F_0^{(k)}\\|` over the minibatches (``||F0||`` is the maximum over t);
    the Euler bound's :math:`\\|F_0'\\|` term is where the jumps between pieces enter.

    Parameters
    ----------
    module, loss_fn, support
        As in :func:`taylor_coefficients`; ``support`` must be the one ``coeffs`` was built on.
    batches : iterable of (inputs, targets)
        The ``K`` minibatches of the window, in step order.
    coeffs : TaylorCoefficients
        Expansion of the window (its ``theta_bar``, ``H``, ``T3``).
    lr : float
        Learning rate; pass the same to :func:`build_problem`.

    Returns
    -------
    StochasticForcing
        ``F0`` of shape (K, s) and ``forcing_times = 0, 1, ..., K-1``.
    """
    eta = check_lr(lr)
    if support.size != coeffs.size:
        raise ValueError(
            f"support has {support.size} entries but coeffs has {coeffs.size}: build both on "
            "the same support"
        )
    shift, _ = constant_terms(coeffs)
    rows = []
    for batch in batches:
        g_k = gradient_on_support(
            module,
            loss_fn,
            batch,
            support,
            weight_decay=coeffs.weight_decay,
            at=coeffs.theta_bar,
        )
        rows.append(-eta * (g_k.cpu().numpy().astype(np.float64) + shift))
    if not rows:
        raise ValueError("batches is empty: a stochastic window needs at least one minibatch")
    return StochasticForcing(np.stack(rows), np.arange(len(rows), dtype=np.float64))
