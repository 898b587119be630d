"""Third-derivative products on a support, and the order-2 gradient flow they define, matrix-free.

The order-2 window needs the third-derivative tensor
:math:`T_3[a, b, c] = \\partial_a \\partial_b \\partial_c L` on the support only through products
:math:`T_3[a, b, \\cdot\\,]` (an ``s``-vector), since
:math:`F_2 (a \\otimes b) = -\\tfrac{\\eta}{2} T_3[a, b, \\cdot\\,]`. One product costs a few
gradients, against :math:`s^2/2` such products (and :math:`s^3` numbers) for the dense tensor.

* :class:`ThirdDerivativeProduct` differentiates a functional loss on the support
  (:func:`~pennylane_qsgd.optim.taylor.support_loss`) forward-over-forward-over-reverse,
  :math:`T_3[a, b, \\cdot\\,] = \\partial_\\epsilon \\partial_\\delta \\nabla L(\\theta + \\epsilon a +
  \\delta b)`, two ``torch.func.jvp`` of ``torch.func.grad``, batched over pairs with ``vmap``;
  where forward mode is unavailable it falls back to triple reverse mode.
* :class:`ClosureThirdDerivative` works from an optimizer closure (no module or batch known):
  double backward gives :math:`H a` with its graph, one more backward along ``b`` gives
  :math:`T_3[a, b, \\cdot\\,]`.
* :func:`order2_flow` assembles the window's flow :math:`du/dt = F_0 + F_1 u + F_2(u \\otimes u)`
  with :math:`F_1` a Hessian-vector product operator and :math:`F_2` a pair product, the
  inputs of :func:`~pennylane_qsgd.core.lowrank_carleman.solve_euler_lowrank`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse.linalg as spla
import torch
from torch import nn
from torch.func import grad, jvp, vmap

from pennylane_qsgd.core.lowrank_carleman import PairProduct
from pennylane_qsgd.optim.closure_taylor import (
    Closure,
    ClosureHessian,
    SupportEntry,
    evaluate_closure,
    gather_values,
    on_support,
)
from pennylane_qsgd.optim.support import Support
from pennylane_qsgd.optim.taylor import (
    FORWARD,
    REVERSE,
    HessianVectorProduct,
    LossFn,
    batched_map,
    check_lr,
    gradient_on_support,
    not_out_of_memory,
    support_loss,
    support_point,
)

DEFAULT_CHUNK = 8
"""Direction pairs per ``vmap`` call (memory ~ this many forward passes with two tangents)."""


def _nonfinite_message(value: torch.Tensor, names: Sequence[tuple[str, slice]]) -> str:
    """Name the parameters whose entries of ``value`` (last axis = support) are NaN/Inf."""
    bad = ~torch.isfinite(value.reshape(-1, value.shape[-1])).all(dim=0)
    hit = [name for name, sl in names if bool(bad[sl].any())]
    where = ", ".join(hit) if hit else "the support"
    return (
        f"the third-derivative product is not finite (NaN or Inf) in {where}; check the "
        "learning rate, the data and the loss function"
    )


class ThirdDerivativeProduct:
    """Products :math:`T_3[a, b, \\cdot\\,]` of a loss on the support at a fixed point.

    Parameters
    ----------
    f : callable
        Loss on the support, ``f(theta_S) -> scalar`` (:func:`~pennylane_qsgd.optim.taylor.support_loss`).
    theta : torch.Tensor, shape (s,)
        Expansion point.
    mode : {"auto", "forward", "reverse"}
        ``"forward"``: forward-over-forward-over-reverse (``torch.func``); ``"reverse"``:
        triple reverse mode (``torch.autograd``); ``"auto"`` tries forward once and keeps
        reverse for good if the model lacks forward-mode support.
    chunk_size : int, optional
        Pairs per ``vmap`` call in :meth:`batched` (default ``DEFAULT_CHUNK``).
    names : sequence of (str, slice), optional
        Parameter name of each slice of the support, to name it in errors.

    Examples
    --------
    >>> f = lambda th: (th**4).sum() / 24
    >>> t3 = ThirdDerivativeProduct(f, torch.tensor([1.0, 2.0], dtype=torch.float64))
    >>> t3(torch.tensor([1.0, 0.0]), torch.tensor([1.0, 1.0]))  # T3[a, b, c] = theta_a if a=b=c
    tensor([1., 0.], dtype=torch.float64)
    """

    def __init__(
        self,
        f: Callable[[torch.Tensor], torch.Tensor],
        theta: torch.Tensor,
        mode: str = "auto",
        chunk_size: int | None = None,
        names: Sequence[tuple[str, slice]] = (),
    ) -> None:
        if mode not in ("auto", "forward", "reverse"):
            raise ValueError(f"mode must be one of 'auto', 'forward', 'reverse'; got {mode!r}")
        if chunk_size is not None and (isinstance(chunk_size, bool) or int(chunk_size) < 1):
            raise ValueError(f"chunk_size must be a positive int; got {chunk_size!r}")
        self._f = f
        self._grad = grad(f)
        self.theta = theta.detach()
        self.mode: str | None = {"auto": None, "forward": FORWARD, "reverse": REVERSE}[mode]
        self._auto = mode == "auto"
        self.chunk_size = DEFAULT_CHUNK if chunk_size is None else int(chunk_size)
        self.names = tuple(names)
        self._graph: tuple[torch.Tensor, torch.Tensor] | None = None
        self.products = 0

    @property
    def size(self) -> int:
        """Dimension ``s``."""
        return int(self.theta.numel())

    def _forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        def hvp(th: torch.Tensor) -> torch.Tensor:
            return jvp(self._grad, (th,), (a,))[1]

        return jvp(hvp, (self.theta,), (b,))[1]

    def _reverse(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if self._graph is None:
            leaf = self.theta.clone().requires_grad_(True)
            with torch.enable_grad():
                (g,) = torch.autograd.grad(self._f(leaf), leaf, create_graph=True)
            self._graph = (g, leaf)
        g, leaf = self._graph
        with torch.enable_grad():
            if not g.requires_grad:  # the loss is linear on S
                return torch.zeros_like(a)
            (ha,) = torch.autograd.grad(g, leaf, a, retain_graph=True, create_graph=True)
            if not ha.requires_grad:  # quadratic along a
                return torch.zeros_like(a)
            (out,) = torch.autograd.grad(ha, leaf, b, retain_graph=True)
        return out

    def _cast(self, v: Any, name: str, ndim: int) -> torch.Tensor:
        v = torch.as_tensor(v, dtype=self.theta.dtype, device=self.theta.device)
        if v.ndim != ndim or v.shape[-1] != self.size:
            want = f"({self.size},)" if ndim == 1 else f"(k, {self.size})"
            raise ValueError(f"{name} must have shape {want}; got {tuple(v.shape)}")
        return v

    def _checked(self, out: torch.Tensor) -> torch.Tensor:
        out = out.detach()
        if not bool(torch.isfinite(out).all()):
            raise FloatingPointError(_nonfinite_message(out, self.names))
        return out

    def __call__(self, a: Any, b: Any) -> torch.Tensor:
        """:math:`T_3[a, b, \\cdot\\,]`, shape (s,), dtype of ``theta``."""
        a, b = self._cast(a, "a", 1), self._cast(b, "b", 1)
        self.products += 1
        if self.mode in (None, FORWARD):
            try:
                out = self._forward(a, b)
                self.mode = FORWARD
                return self._checked(out)
            except (RuntimeError, NotImplementedError) as err:
                if not (self._auto and not_out_of_memory(err)):
                    raise
                self.mode = REVERSE
        return self._checked(self._reverse(a, b))

    def batched(self, A: Any, B: Any) -> torch.Tensor:
        """Rows :math:`T_3[A_j, B_j, \\cdot\\,]` for the pairs of rows of ``A``, ``B`` (k, s).

        Vectorised with ``vmap`` in chunks of ``chunk_size`` pairs in forward mode; one pair at
        a time in reverse mode.
        """
        A, B = self._cast(A, "A", 2), self._cast(B, "B", 2)
        if A.shape != B.shape:
            raise ValueError(f"A and B must have the same shape; got {A.shape} and {B.shape}")
        if A.shape[0] == 0:
            return torch.zeros_like(A)
        if self.mode is None:
            first = self(A[0], B[0])  # settles the mode
            if A.shape[0] == 1:
                return first[None]
        if self.mode == FORWARD:
            pairs = torch.stack([A, B], dim=1)
            out = batched_map(lambda pair: self._forward(pair[0], pair[1]), pairs, self.chunk_size)
        else:
            out = torch.stack([self._reverse(a, b) for a, b in zip(A, B, strict=True)])
        self.products += A.shape[0]
        return self._checked(out)


def third_derivative_product(
    module: nn.Module,
    loss_fn: LossFn,
    batch: Any,
    support: Support,
    *,
    at: Any = None,
    mode: str = "auto",
    chunk_size: int | None = None,
) -> ThirdDerivativeProduct:
    """:class:`ThirdDerivativeProduct` of the loss on ``support`` at the module's values (or ``at``).

    Arguments as in :func:`~pennylane_qsgd.optim.taylor.hessian_vector_product`; the module is
    not modified. Errors for non-finite products name the parameter.
    """
    theta = support_point(support, module, at)
    f = support_loss(module, loss_fn, batch, support)
    names = list(zip(support.parameter_names, support.slices(), strict=True))
    return ThirdDerivativeProduct(f, theta, mode, chunk_size, names)


class ClosureThirdDerivative:
    """Products :math:`T_3[a, b, \\cdot\\,]` on S from an optimizer closure (reverse mode).

    The closure is evaluated once; its gradient is kept with its graph. Each product is two more
    backward passes: :math:`H a` with a graph (double backward), then its derivative along
    ``b``. For ``torch.optim``-style callers that know parameters and a closure, not a module.

    Parameters
    ----------
    closure : callable
        Re-evaluates the model and returns the loss.
    entries : sequence of SupportEntry
        The support S.
    """

    def __init__(self, closure: Closure, entries: Sequence[SupportEntry]) -> None:
        self.entries = list(entries)
        self.params = [e.param for e in self.entries]
        # Under torch.no_grad (as inside Optimizer.step) the graphs would be dropped and every
        # product would read as an exact zero: build them with grad mode on.
        with torch.enable_grad():
            self.loss = evaluate_closure(closure)
            grads = torch.autograd.grad(
                self.loss, self.params, create_graph=True, allow_unused=True
            )
            self.g_S = on_support(grads, self.entries)
        self.theta = gather_values(self.entries)
        self.size = int(self.g_S.numel())
        ends = np.cumsum([0] + [int(e.index.numel()) for e in self.entries])
        self.names = [
            (f"parameter {i} of shape {tuple(e.param.shape)}", slice(ends[i], ends[i + 1]))
            for i, e in enumerate(self.entries)
        ]
        self.products = 0

    def __call__(self, a: Any, b: Any) -> torch.Tensor:
        """:math:`T_3[a, b, \\cdot\\,]`, float64 (s,)."""
        a = torch.as_tensor(np.asarray(a), dtype=self.g_S.dtype)
        b = torch.as_tensor(np.asarray(b), dtype=self.g_S.dtype)
        for name, v in (("a", a), ("b", b)):
            if v.shape != (self.size,):
                raise ValueError(f"{name} must have shape ({self.size},); got {tuple(v.shape)}")
        self.products += 1
        with torch.enable_grad():
            return self._product(a, b)

    def _product(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if not self.g_S.requires_grad:
            return torch.zeros(self.size, dtype=torch.float64)
        ha = torch.autograd.grad(
            self.g_S, self.params, a, retain_graph=True, create_graph=True, allow_unused=True
        )
        ha_S = on_support(ha, self.entries)
        if not ha_S.requires_grad:
            return torch.zeros(self.size, dtype=torch.float64)
        out = torch.autograd.grad(ha_S, self.params, b, retain_graph=True, allow_unused=True)
        out = on_support(out, self.entries).detach().to(torch.float64)
        if not bool(torch.isfinite(out).all()):
            raise FloatingPointError(_nonfinite_message(out, self.names))
        return out

    def batched(self, A: Any, B: Any) -> torch.Tensor:
        """Rows :math:`T_3[A_j, B_j, \\cdot\\,]`, shape (k, s)."""
        rows = [self(a, b) for a, b in zip(np.asarray(A), np.asarray(B), strict=True)]
        return torch.stack(rows) if rows else torch.zeros((0, self.size), dtype=torch.float64)


def f2_pair_product(t3: ThirdDerivativeProduct | ClosureThirdDerivative, lr: float) -> PairProduct:
    """:math:`(A, B) \\mapsto F_2 (A_j \\otimes B_j) = -\\tfrac{\\eta}{2} T_3[A_j, B_j, \\cdot\\,]`.

    Parameters
    ----------
    t3 : ThirdDerivativeProduct or ClosureThirdDerivative
    lr : float
        Learning rate :math:`\\eta`.

    Returns
    -------
    callable
        ``f2(A, B)`` on float64 numpy arrays of shape (s, k) (columns are the vectors), returning
        (s, k): the contract of :func:`~pennylane_qsgd.core.lowrank_carleman.solve_euler_lowrank`.
    """
    eta = check_lr(lr)

    def f2(A: np.ndarray, B: np.ndarray) -> np.ndarray:
        rows = t3.batched(torch.from_numpy(np.ascontiguousarray(A.T)), np.ascontiguousarray(B.T))
        return -0.5 * eta * rows.detach().cpu().numpy().astype(np.float64).T

    return f2


@dataclass(frozen=True, eq=False)
class Order2Flow:
    """The order-2 gradient flow of a window, matrix-free, in the coordinate :math:`u = \\theta_S - c`.

    :math:`du/dt = F_0 + F_1 u + F_2 (u \\otimes u)` with (:math:`\\delta = c - \\bar\\theta`)

    .. math::

        F_0 = -\\eta (g + H\\delta + \\tfrac12 T_3[\\delta, \\delta]), \\quad
        F_1 = -\\eta (H + T_3[\\delta, \\cdot\\,]), \\quad
        F_2 = -\\tfrac{\\eta}{2} \\operatorname{mat}(T_3),

    ``g`` and ``H`` including weight decay, :math:`u(0) = \\bar\\theta - c`. The centre
    :math:`c = \\bar\\theta` (default) gives :math:`u(0) = 0`; :math:`c = 0` gives the absolute
    coordinates of :func:`~pennylane_qsgd.optim.taylor.build_problem`.

    Attributes
    ----------
    F0 : ndarray, shape (s,)
    F1 : scipy.sparse.linalg.LinearOperator, shape (s, s)
        Hessian-vector products (plus one third-derivative product per column when
        :math:`\\delta \\ne 0`); ``matmat`` batches the columns with ``vmap``.
    f2 : callable
        Pair product ``(A, B) -> F2 (A_j (x) B_j)`` on (s, k) arrays.
    u_in : ndarray, shape (s,)
    theta_bar, centre : ndarray, shape (s,)
    lr : float
    hvp : HessianVectorProduct or ClosureHessian
    t3 : ThirdDerivativeProduct or ClosureThirdDerivative
    """

    F0: np.ndarray
    F1: spla.LinearOperator
    f2: PairProduct
    u_in: np.ndarray
    theta_bar: np.ndarray
    centre: np.ndarray
    lr: float
    hvp: HessianVectorProduct | ClosureHessian
    t3: ThirdDerivativeProduct | ClosureThirdDerivative

    @property
    def size(self) -> int:
        """Number ``s`` of weights on the support."""
        return int(self.theta_bar.shape[0])

    def weights(self, u: np.ndarray) -> np.ndarray:
        """Weights on S, :math:`\\theta_S = c + u`, for a state ``u`` of this flow."""
        return self.centre + np.asarray(u, dtype=np.float64)


def _hessian_columns(hvp: HessianVectorProduct, V: torch.Tensor, chunk: int) -> torch.Tensor:
    """Rows :math:`(H + w_d I) v_j` for the rows of ``V`` (k, s), vmapped where possible."""
    if hvp.mode is None:
        first = hvp(V[0])  # settles the differentiation mode
        if V.shape[0] == 1:
            return first[None]
    if hvp.mode == FORWARD:
        try:
            return vmap(hvp, chunk_size=chunk)(V)
        except (RuntimeError, NotImplementedError) as err:
            if not not_out_of_memory(err):
                raise
    return torch.stack([hvp(v) for v in V])


def order2_flow(
    module: nn.Module,
    loss_fn: LossFn,
    batch: Any,
    support: Support,
    lr: float,
    *,
    weight_decay: float = 0.0,
    centre: Any = None,
    mode: str = "auto",
    chunk_size: int | None = None,
) -> Order2Flow:
    """The window's order-2 flow with :math:`F_1`, :math:`F_2` as products (nothing ``s^2``-sized).

    Parameters
    ----------
    module, loss_fn, batch, support
        As in :func:`~pennylane_qsgd.optim.taylor.support_loss`; the expansion point
        :math:`\\bar\\theta` is the module's current values on S.
    lr : float
        Learning rate :math:`\\eta`; one gradient step is one unit of time.
    weight_decay : float, default 0
        Adds ``wd * theta`` to the gradient and ``wd * I`` to the Hessian.
    centre : array_like, shape (s,), optional
        Origin :math:`c` of the flow's coordinate; default :math:`\\bar\\theta` (``u(0) = 0``).
    mode : {"auto", "forward", "reverse"}
        Differentiation scheme of the products.
    chunk_size : int, optional
        Directions per ``vmap`` call.

    Returns
    -------
    Order2Flow
        Feed ``flow.F0, flow.F1, flow.f2, flow.u_in`` to
        :func:`~pennylane_qsgd.core.lowrank_carleman.solve_euler_lowrank`; the weights at the end
        are ``flow.weights(solution.u_final)``.
    """
    eta = check_lr(lr)
    theta = support_point(support, module, None)
    f = support_loss(module, loss_fn, batch, support)
    hvp = HessianVectorProduct(f, theta, weight_decay, mode)
    names = list(zip(support.parameter_names, support.slices(), strict=True))
    t3 = ThirdDerivativeProduct(f, theta, mode, chunk_size, names)
    chunk = t3.chunk_size
    theta_np = theta.cpu().numpy().astype(np.float64)
    c = theta_np.copy() if centre is None else np.asarray(centre, dtype=np.float64)
    if c.shape != theta_np.shape:
        raise ValueError(f"centre must have shape ({support.size},); got {c.shape}")
    delta = torch.from_numpy(c - theta_np).to(theta.dtype)
    shifted = bool(torch.any(delta != 0))
    g = gradient_on_support(module, loss_fn, batch, support, weight_decay=weight_decay)
    drift = g + hvp(delta) + 0.5 * t3(delta, delta) if shifted else g
    s = support.size

    def matmat(X: np.ndarray) -> np.ndarray:
        V = torch.from_numpy(np.ascontiguousarray(np.asarray(X, dtype=np.float64).T)).to(theta)
        if V.shape[0] == 0:
            return np.zeros((s, 0))
        out = _hessian_columns(hvp, V, chunk)
        if shifted:
            out = out + t3.batched(delta.expand_as(V), V)
        return -eta * out.detach().cpu().numpy().astype(np.float64).T

    F1 = spla.LinearOperator(
        (s, s), matvec=lambda x: matmat(np.reshape(x, (s, 1)))[:, 0], matmat=matmat, dtype=float
    )
    return Order2Flow(
        F0=-eta * drift.detach().cpu().numpy().astype(np.float64),
        F1=F1,
        f2=f2_pair_product(t3, eta),
        u_in=theta_np - c,
        theta_bar=theta_np,
        centre=c,
        lr=eta,
        hvp=hvp,
        t3=t3,
    )


def closure_order2_flow(
    closure: Closure, entries: Sequence[SupportEntry], lr: float, *, weight_decay: float = 0.0
) -> Order2Flow:
    """:func:`order2_flow` for an optimizer closure, centred at the window start (``u(0) = 0``).

    ``F1`` applies :class:`~pennylane_qsgd.optim.closure_taylor.ClosureHessian` column by column
    and ``f2`` uses :class:`ClosureThirdDerivative`; the closure is evaluated twice (once per
    retained graph). The parameters are not modified.

    Parameters
    ----------
    closure : callable
        Re-evaluates the model and returns the loss.
    entries : sequence of SupportEntry
        The support S.
    lr : float
        Learning rate :math:`\\eta`.
    weight_decay : float, default 0
        Adds ``wd * theta`` to the gradient and ``wd * I`` to the Hessian.

    Returns
    -------
    Order2Flow
        With ``centre = theta_bar``.
    """
    eta = check_lr(lr)
    hessian = ClosureHessian(closure, entries, weight_decay)
    t3 = ClosureThirdDerivative(closure, entries)
    theta = hessian.theta.numpy().astype(np.float64)
    s = hessian.size

    def matmat(X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64).reshape(s, -1)
        return -eta * np.column_stack([hessian.matvec(x) for x in X.T]).reshape(s, X.shape[1])

    F1 = spla.LinearOperator(
        (s, s), matvec=lambda x: matmat(np.reshape(x, (s, 1)))[:, 0], matmat=matmat, dtype=float
    )
    return Order2Flow(
        F0=-eta * hessian.gradient,
        F1=F1,
        f2=f2_pair_product(t3, eta),
        u_in=np.zeros(s),
        theta_bar=theta,
        centre=theta.copy(),
        lr=eta,
        hvp=hessian,
        t3=t3,
    )
