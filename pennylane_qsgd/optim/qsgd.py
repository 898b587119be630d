"""``QSGD``: a torch optimizer whose every step runs a window of gradient steps on ``qsgd.sim``.

Each ``step(closure)`` is one window of ``T`` gradient steps on the support S (Liu et al., Nature
Communications 15, 434 (2024)): Taylor coefficients of the loss on S, the gradient flow as a
quadratic ODE (of the state :math:`(\\theta, v)` with momentum, :mod:`.heavy_ball`), a dissipation
check, the Euler–Carleman solve by a quantum linear solver simulated on ``qsgd.sim``, a
tomographic download, and the write-back into the parameters and momentum buffers.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from pennylane_qsgd.circuits.encoding import encoding_class
from pennylane_qsgd.circuits.solver_layout import required_wires
from pennylane_qsgd.circuits.solver_policy import default_idle
from pennylane_qsgd.core.almost_dissipative import (
    WindowClass,
    classify_from_norms,
    classify_window,
)
from pennylane_qsgd.core.bounds import condition_number_bound, lemma_bounds
from pennylane_qsgd.core.dissipation import dissipation
from pennylane_qsgd.core.lanczos import lanczos_extremes, ritz_extremes
from pennylane_qsgd.core.lowrank_carleman import RankCapError, check_dense_route
from pennylane_qsgd.core.memory import MemoryBudgetError, check_memory
from pennylane_qsgd.core.polynomials import inverse_polynomial_degree
from pennylane_qsgd.core.reference import integrate_ode
from pennylane_qsgd.device.simulate import FIDELITIES
from pennylane_qsgd.optim.closure_functional import fast_closure_coefficients
from pennylane_qsgd.optim.closure_taylor import (
    Closure,
    ClosureHessian,
    SupportEntry,
    closure_gradient,
    closure_taylor_coefficients,
    differentiate,
    evaluate_closure,
    gather_values,
    scatter_values,
    support_size,
)
from pennylane_qsgd.optim.heavy_ball import fresh_velocity, momentum_problem, sgd_step
from pennylane_qsgd.optim.lowrank_window import solve_order2_window_lowrank
from pennylane_qsgd.optim.matrix_free_window import solve_linear_window_matrix_free
from pennylane_qsgd.optim.pruning import pruned_tensors, recording_pruning_masks
from pennylane_qsgd.optim.report import WindowReport
from pennylane_qsgd.optim.taylor import StochasticForcing, build_problem, constant_terms
from pennylane_qsgd.optim.third_derivatives import closure_order2_flow
from pennylane_qsgd.optim.window import solve_window
from pennylane_qsgd.optim.window_routes import (
    LCHSFallbackWarning,
    check_route,
    solve_window_routed,
)

__all__ = [
    "ACTIONS",
    "ContinuousFlowWarning",
    "DENSE_HESSIAN_LIMIT",
    "LOWRANK_SUPPORT_THRESHOLD",
    "NonDissipativeWarning",
    "NonDissipativeWindowError",
    "ORDER2_ROUTES",
    "QSGD",
    "QSGDWarning",
    "RankCapError",
    "SlowWindowWarning",
]

logger = logging.getLogger(__name__)

ACTIONS = ("run", "classical", "raise")
DENSE_HESSIAN_LIMIT = 2048
"""Largest support whose Hessian is formed; above it order-1 windows go matrix-free (ideal fidelity)."""
ORDER2_ROUTES = ("auto", "dense", "lowrank")
LOWRANK_SUPPORT_THRESHOLD = 128
"""Above this support ``order2_route="auto"`` takes the low-rank route (ideal fidelity): the dense
route's third-derivative tensor costs ``s**2`` double-backward passes and ``s**3`` numbers, the
low-rank route ``O(r)`` products per Euler step and ``O(s r)`` numbers."""
LANCZOS_STEPS = 8
"""Hessian-vector products spent estimating the extreme eigenvalues of a matrix-free window."""
MEASURE_ODE_LIMIT = 256
"""Largest support for which each report measures the Taylor-model flow with scipy."""
SLOW_WINDOW_SECONDS = 60.0
"""A gates-fidelity window estimated to take longer than this gets a :class:`SlowWindowWarning`."""
GATES_SECONDS_PER_AMPLITUDE = 3e-5
"""Rough cost of the gates fidelity: seconds per state amplitude per block-encoding call, fitted to
windows of 7 to 11 qubits (0.1 to 20 s on one CPU core; within a factor of 2 to 3). The estimate
uses ``m = euler_steps or window``, a lower bound of the default grid."""

NO_CLOSURE = """QSGD.step() needs a closure: QSGD re-evaluates and differentiates the loss itself and \
does not read p.grad. Write, as for torch.optim.LBFGS:

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()  # optional for QSGD
        return loss

    optimizer.step(closure)
"""

SGD_KEYS = ("lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize")
"""The update options shared with ``torch.optim.SGD`` (taken from an SGD state dict)."""
NO_OP_KEYS = ("foreach", "differentiable", "fused")
"""``torch.optim.SGD`` implementation switches: accepted for compatibility, with no effect."""


class NonDissipativeWindowError(RuntimeError):
    """A window's flow is not dissipative and ``on_nondissipative="raise"`` was chosen."""


class QSGDWarning(UserWarning):
    """Base class of the warnings QSGD emits (each at most once per optimizer)."""


class NonDissipativeWarning(QSGDWarning):
    """A window's flow is not dissipative (``Re lambda_1 >= 0``)."""


class ContinuousFlowWarning(QSGDWarning):
    """The default Euler grid is finer than the gradient steps: the window follows the flow."""


class SlowWindowWarning(QSGDWarning):
    """A window at the gates fidelity is estimated to take minutes."""


def _masks_by_param(masks: nn.Module | Mapping | None) -> dict[int, torch.Tensor]:
    """Map ``id(parameter) -> mask`` from a pruned module or an explicit mapping."""
    if masks is None or masks is False:
        return {}
    if isinstance(masks, nn.Module):
        return {id(t.orig): t.mask for t in pruned_tensors(masks)}
    if not isinstance(masks, Mapping):
        raise TypeError(
            f"masks must be None, False, a pruned nn.Module or a mapping; got {type(masks).__name__}"
        )
    out = {}
    for param, mask in masks.items():
        if not isinstance(param, torch.Tensor):
            raise TypeError("masks must map parameter tensors to mask tensors")
        if mask.shape != param.shape:
            raise ValueError(
                f"a mask of shape {tuple(mask.shape)} for a parameter of shape {tuple(param.shape)}"
            )
        out[id(param)] = mask
    return out


def _positive_int(name: str, value: Any, allow_none: bool = False, minimum: int = 1) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")


def _finite(name: str, value: Any, minimum: float | None = None, strict: bool = False) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok and minimum is not None:
        ok = value > minimum if strict else value >= minimum
    if not ok:
        bound = "" if minimum is None else (" > " if strict else " >= ") + f"{minimum:g}"
        raise ValueError(f"{name} must be a finite number{bound}; got {value!r}")


def validate_group(group: Mapping) -> None:
    """Check the options of one parameter group (raises ValueError naming the option)."""
    _finite("lr", group["lr"], 0.0, strict=True)
    _finite("momentum", group["momentum"], 0.0)
    _finite("dampening", group["dampening"])
    _finite("weight_decay", group["weight_decay"], 0.0)
    if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
        raise ValueError("Nesterov momentum requires a momentum and zero dampening")
    if not isinstance(group["maximize"], bool):
        raise ValueError(f"maximize must be a bool; got {group['maximize']!r}")
    if group["differentiable"]:
        raise ValueError(
            "differentiable=True is not supported: a QSGD step runs through a quantum linear "
            "solver and a measurement, which autograd cannot differentiate"
        )
    if group["fused"]:
        raise ValueError("fused=True is not supported: QSGD has no fused kernel (use fused=None)")
    _positive_int("window", group["window"])
    if group["order"] not in (1, 2) or isinstance(group["order"], bool):
        raise ValueError(f"order must be 1 or 2; got {group['order']!r}")
    _positive_int("carleman_level", group["carleman_level"], allow_none=True)
    _positive_int("euler_steps", group["euler_steps"], allow_none=True)
    if group["fidelity"] not in FIDELITIES:
        raise ValueError(f"fidelity must be one of {FIDELITIES}; got {group['fidelity']!r}")
    if group["encoding"] != "auto":
        encoding_class(group["encoding"])  # raises ValueError naming the registered encodings
    _finite("precision", group["precision"], 0.0, strict=True)
    _positive_int("shots", group["shots"], allow_none=True, minimum=2)
    _positive_int("max_support", group["max_support"], allow_none=True)
    if group["on_nondissipative"] not in ACTIONS:
        raise ValueError(
            f"on_nondissipative must be one of {ACTIONS}; got {group['on_nondissipative']!r}"
        )
    _positive_int("seed", group["seed"], allow_none=True, minimum=0)
    if group["order2_route"] not in ORDER2_ROUTES:
        raise ValueError(
            f"order2_route must be one of {ORDER2_ROUTES}; got {group['order2_route']!r}"
        )
    _finite("rank_tol", group["rank_tol"], 0.0)
    _positive_int("max_rank", group["max_rank"], allow_none=True)
    if group["order2_route"] == "lowrank":
        if group["order"] != 2 or group["fidelity"] != "ideal":
            raise ValueError("order2_route='lowrank' needs order=2 and fidelity='ideal'")
        if group["carleman_level"] not in (None, 2):
            raise ValueError(
                f"order2_route='lowrank' solves at carleman_level 2; got {group['carleman_level']}"
            )
        if group["momentum"] or group["stochastic"]:
            raise ValueError(
                "order2_route='lowrank' with momentum or stochastic=True is not implemented; use "
                "momentum=0 and stochastic=False, or order2_route='dense'"
            )
    if group["matrix_free"]:
        if group["order"] != 1 or group["fidelity"] != "ideal":
            raise ValueError("matrix_free=True needs order=1 and fidelity='ideal'")
        if group["momentum"]:
            raise ValueError(
                "matrix_free=True with momentum is not implemented; use momentum=0 or a support "
                f"of at most {DENSE_HESSIAN_LIMIT} weights (max_support)"
            )
    check_route(group)


def _runs_matrix_free(group: Mapping, s: int) -> bool:
    """Whether a window on ``s`` weights runs matrix-free (``matrix_free=None``: order 1 and
    ``s > DENSE_HESSIAN_LIMIT``)."""
    if group["matrix_free"] is None:
        return group["order"] == 1 and s > DENSE_HESSIAN_LIMIT
    return bool(group["matrix_free"])


def _caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside QSGD and torch."""
    import os
    import sys

    inside = (os.path.dirname(os.path.dirname(__file__)), os.path.dirname(torch.__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(inside):
        frame, level = frame.f_back, level + 1
    return level


_NO_SOLVE_FIELDS = dict(
    euler_steps=0,
    idle_steps=0,
    kappa=float("nan"),
    kappa_bound=float("nan"),
    success_probability=float("nan"),
    amplification_rounds=0,
    shots=0,
    solver_calls=0.0,
    download_error=0.0,
    qubits=0,
    polynomial_degree=0,
    encoding="none",
)
"""The solver fields of a window that ran classically (no solve, no download)."""


def _class_fields(wc: WindowClass, certified: bool | None = None) -> dict:
    """The report fields of a window's classification (dissipative / almost / divergent)."""
    return dict(
        window_class=wc.kind,
        shift_c=float(wc.shift.c),
        shift_penalty=float(wc.penalty),
        shifted_R=float(wc.shift.ratio),
        certified=wc.certified if certified is None else certified,
    )


def _class_text(wc: WindowClass) -> str:
    """The classification for a warning: class and the shift's price, or why there is none."""
    if wc.kind == "divergent":
        return "divergent: no shift u = e^{ct} v brings the ratio below 1"
    return f"{wc.kind}: shift c = {wc.shift.c:.3g}, penalty e^(cT) = {wc.penalty:.3g}"


def _solution_fields(sol) -> dict:
    """The report fields that come from a window's solve and download."""
    return dict(
        euler_steps=sol.steps,
        idle_steps=sol.idle,
        kappa=sol.kappa,
        kappa_bound=sol.kappa_bound,
        success_probability=sol.success_probability,
        amplification_rounds=sol.rounds,
        shots=sol.shots,
        solver_calls=sol.solver_calls,
        download_error=sol.download_error,
        qubits=sol.qubits,
        polynomial_degree=sol.degree,
        encoding=sol.encoding,
        solver_route=sol.route,
        lchs_log_norm=sol.lchs_log_norm,
        lchs_shift=sol.lchs_shift,
    )


class QSGD(torch.optim.Optimizer):
    """Windows of gradient descent solved by Carleman linearisation on the ``qsgd.sim`` device.

    The first arguments are those of :class:`torch.optim.SGD`, with the same meaning; a window
    with ``euler_steps=window`` on a quadratic loss lands where ``window`` steps of
    ``torch.optim.SGD`` with the same options land.

    Parameters
    ----------
    params : iterable
        Parameters or parameter groups, as for :class:`torch.optim.SGD`. A group may override
        any option below except ``masks`` and ``verbose``; an unknown option raises.
    lr : float
        Learning rate :math:`\\eta` of the gradient steps the window stands for.
    momentum : float
        Momentum factor :math:`\\mu` (default 0). With momentum the window's state is
        :math:`(\\theta, v)` of size ``2 s`` (:mod:`pennylane_qsgd.optim.heavy_ball`); the buffer
        ``v`` is ``self.state[p]["momentum_buffer"]``, as in SGD.
    dampening : float
        Dampening :math:`\\tau` of the momentum (default 0).
    weight_decay : float
        L2 penalty :math:`w_d`, added to the gradient as :math:`w_d \\theta`.
    nesterov : bool
        Nesterov momentum (needs ``momentum > 0`` and ``dampening = 0``).
    maximize : bool
        Maximise the closure's value instead of minimising it.
    foreach, differentiable, fused
        Accepted for compatibility with ``torch.optim.SGD``: ``foreach`` has no effect;
        ``differentiable=True`` and ``fused=True`` raise (a QSGD step is neither).
    window : int
        Gradient steps ``T`` per ``step()`` call.
    order : {1, 2}
        Taylor order of the gradient model on S: 1 (Hessian, a linear ODE) or 2 (third
        derivatives, the Carleman case).
    carleman_level : int, optional
        Truncation level N (default: ``order``).
    euler_steps : int, optional
        Euler steps ``m`` per window (default ``T / min(1, 1/(N ||F1||))``; ``m = T`` reproduces
        ``T`` gradient steps on the Taylor model). A default ``m > T`` follows the continuous
        flow instead of the discrete steps (:class:`ContinuousFlowWarning`).
    fidelity : {"native", "gates", "ideal"}
        Fidelity of ``qsgd.sim`` (default ``"native"``; order-1 windows with
        ``s > DENSE_HESSIAN_LIMIT`` run matrix-free at the ideal fidelity).
    encoding : str
        Block encoding of :math:`L` in the windows' solver: ``"auto"`` (default,
        :func:`~pennylane_qsgd.optim.window.choose_encoding`), ``"dense"``, ``"structured"`` or any
        registered name.
    precision : float
        Relative accuracy of the inversion polynomial.
    shots : int, optional
        Download shots per window; None (default) reads the solver's output state exactly.
    max_support : int, optional
        Keep only the ``max_support`` largest-magnitude unpruned weights in S (order 2 needs a
        small s: its coefficients hold ``s**3`` numbers).
    stochastic : bool
        Call the closure once per gradient step of the window and use each call's gradient as
        the forcing of that step (the paper's stochastic variant); F1, F2 come from the first
        call. R and the Euler bound then use the largest forcing over the window.
    on_nondissipative : {"run", "classical", "raise"}
        What to do when the window's flow is not dissipative (``Re lambda_1 >= 0``, i.e. the
        Hessian on S has a negative eigenvalue for ``order=1``). ``"run"`` (default) still
        solves it on the device and records it (the solver is exact, only the paper's cost
        guarantee is lost); ``"classical"`` runs ``T`` steps of SGD on S instead; ``"raise"``
        raises :class:`NonDissipativeWindowError` with the parameters unchanged. The first two
        warn once (:class:`NonDissipativeWarning`).
    masks : nn.Module, mapping or False, optional
        Pruning masks: a module pruned with ``torch.nn.utils.prune`` (its ``weight_orig``
        parameters are matched to their ``weight_mask``) or ``{parameter: mask}``. Masked
        entries are outside S and stay pruned. Default None: the masks of pruned parameters are
        detected when the closure runs the model (a forward pre-hook reads their pruning
        hooks); ``False`` turns detection off.
    seed : int, optional
        Seed of the download shots (window ``k`` uses ``seed + k``).
    matrix_free : bool, optional
        Order 1 only: never form the Hessian, one Hessian-vector product per Euler step, at the
        ideal fidelity. Default: when ``s > DENSE_HESSIAN_LIMIT``.
    order2_route : {"auto", "dense", "lowrank"}
        How an order-2 window at ``fidelity="ideal"`` is solved: ``"dense"`` forms :math:`T_3`
        and the Carleman matrix; ``"lowrank"`` uses Hessian and third-derivative products and
        keeps the level-2 block low rank
        (:func:`~pennylane_qsgd.core.lowrank_carleman.solve_euler_lowrank`, centred at the
        window start; no momentum, not stochastic). ``"auto"`` (default) takes the low-rank
        route when ``s > LOWRANK_SUPPORT_THRESHOLD`` or the dense route would not fit in memory.
    rank_tol : float
        Relative eigenvalue tolerance of the low-rank level-2 block (default 1e-8).
    max_rank : int, optional
        Rank cap of the low-rank level-2 block; exceeding it raises
        :class:`~pennylane_qsgd.core.lowrank_carleman.RankCapError` with the parameters unchanged.
    route : {"euler", "lchs"}
        Solver of a window whose Hessian (order 1) or Carleman matrix (order 2) is formed:
        ``"euler"`` (default) forward Euler and the linear solver; ``"lchs"`` linear combination
        of Hamiltonian simulation of the Carleman system with its forcing
        (:mod:`~pennylane_qsgd.optim.lchs_window`; fidelities ``"native"`` and ``"ideal"``, no
        stochastic forcing, ``precision`` is its quadrature target). A window whose rescaled
        Carleman matrix has a positive log-norm :math:`c` is shifted (LCHS of :math:`A - cI`,
        success probability times :math:`e^{-2cT}`) while :math:`e^{cT} \\le 10`, and runs on
        the Euler route with a warning beyond; the report records the log-norm
        (``lchs_log_norm``), the shift (``lchs_shift``) and the route taken (``solver_route``).
    verbose : bool
        Log a summary of each window at INFO level (logger ``pennylane_qsgd.optim.qsgd``) and
        show progress bars inside long windows.

    Notes
    -----
    ``step`` needs a closure, like :class:`torch.optim.LBFGS`. torch's usual closure
    (``zero_grad``, loss, ``loss.backward()``, ``return loss``) works as it is; a closure that
    only returns the loss works too. QSGD never reads ``p.grad``: it differentiates the returned
    loss itself. After ``step`` each ``p.grad`` holds the gradient of the loss at the window's
    start (so ``clip_grad_norm_`` and logging see what the window started from).

    One gradient step is one unit of time of the flow. All per-run state lives in
    :attr:`state` and round-trips through ``state_dict()`` / ``load_state_dict()``: the window
    counter and reports in ``state["qsgd"]``, the momentum buffers in
    ``state[p]["momentum_buffer"]``. A ``torch.optim.SGD`` state dict loads too (its
    momentum buffers carried over). :attr:`reports` lists the windows'
    :class:`~pennylane_qsgd.optim.report.WindowReport`.

    Examples
    --------
    >>> model = torch.nn.Linear(3, 1)
    >>> x, y = torch.randn(8, 3), torch.randn(8, 1)
    >>> opt = QSGD(model.parameters(), lr=0.1, momentum=0.9, window=4, fidelity="ideal")
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = torch.nn.functional.mse_loss(model(x), y)
    ...     loss.backward()
    ...     return loss
    >>> loss = opt.step(closure)
    >>> opt.reports[-1].steps
    4
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 0.01,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
        window: int = 10,
        order: int = 1,
        carleman_level: int | None = None,
        euler_steps: int | None = None,
        fidelity: str = "native",
        encoding: str = "auto",
        precision: float = 1e-6,
        shots: int | None = None,
        max_support: int | None = None,
        stochastic: bool = False,
        on_nondissipative: str = "run",
        masks: nn.Module | Mapping | bool | None = None,
        seed: int | None = None,
        matrix_free: bool | None = None,
        order2_route: str = "auto",
        rank_tol: float = 1e-8,
        max_rank: int | None = None,
        route: str = "euler",
        verbose: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
            window=window,
            order=order,
            carleman_level=carleman_level,
            euler_steps=euler_steps,
            fidelity=fidelity,
            encoding=encoding,
            precision=precision,
            shots=shots,
            max_support=max_support,
            stochastic=stochastic,
            on_nondissipative=on_nondissipative,
            seed=seed,
            matrix_free=matrix_free,
            order2_route=order2_route,
            rank_tol=rank_tol,
            max_rank=max_rank,
            route=route,
        )
        validate_group(defaults)
        super().__init__(params, defaults)
        self._masks = _masks_by_param(masks)
        self._detect_masks = masks is None
        self._detected: dict[int, torch.Tensor] = {}
        self._warned: set[type] = set()
        self.verbose = bool(verbose)
        self.state["qsgd"] = {"windows": 0, "reports": []}

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a parameter group; options QSGD does not implement raise ValueError."""
        unknown = set(param_group) - set(self.defaults) - {"params", "param_names"}
        if unknown:
            raise ValueError(
                f"QSGD does not implement the param-group option(s) {sorted(unknown)}; its "
                f"options are {sorted(self.defaults)}"
            )
        super().add_param_group(param_group)
        validate_group(self.param_groups[-1])

    @property
    def reports(self) -> list[WindowReport]:
        """The reports of every window so far (from ``state["qsgd"]["reports"]``)."""
        return [WindowReport.from_dict(r) for r in self.state["qsgd"]["reports"]]

    # -- support -------------------------------------------------------------------------------

    def support(self, group: int = 0) -> list[SupportEntry]:
        """The support S of the next window of parameter group ``group``.

        Pruning masks detected from the model (``masks=None``) are known after the first
        ``step``; pass ``masks=model`` to have them before.

        Returns
        -------
        list of SupportEntry
            ``(param, index)`` pairs: the flat indices of the unpruned, trainable entries of each
            parameter (after ``max_support``), in the order of the window's weight vector ``u``.
        """
        return self._support(self._group(group))

    @torch.no_grad()
    def gradient_descent_reference(self, closure: Closure, group: int = 0) -> np.ndarray:
        """What ``torch.optim.SGD`` would do with the next window, for comparison.

        Runs ``window`` SGD steps (momentum, weight decay, ``maximize`` included, starting from
        the current momentum buffers) on the support of ``group`` from the current weights,
        then restores the weights exactly; the buffers are not changed.

        Returns
        -------
        ndarray, shape (s,)
            The weights on S after the steps (float64, in the order of :meth:`support`).
        """
        options = self._group(group)
        entries = self._support(options)
        start = gather_values(entries)
        try:
            self._sgd_steps(self._signed(closure, options), entries, options)
            return gather_values(entries).cpu().numpy().astype(np.float64)
        finally:
            scatter_values(entries, start)

    def _group(self, group: int) -> dict:
        if isinstance(group, bool) or not isinstance(group, int):
            raise TypeError(f"group must be an integer index; got {group!r}")
        if not 0 <= group < len(self.param_groups):
            raise IndexError(
                f"group {group} out of range: the optimizer has {len(self.param_groups)} groups"
            )
        return self.param_groups[group]

    @staticmethod
    def _signed(closure: Closure, group: dict) -> Closure:
        """The closure of the minimised objective (``-loss`` with ``maximize``)."""
        return (lambda: -closure()) if group["maximize"] else closure

    def _start_velocity(self, entries: list[SupportEntry], gradient: np.ndarray, group: dict):
        """:math:`v_0` on S: the momentum buffers, or the fresh-buffer state where there is none."""
        parts, offset = [], 0
        for e in entries:
            k = int(e.index.numel())
            buf = self.state.get(e.param, {}).get("momentum_buffer")
            if buf is None:
                g = gradient[offset : offset + k]
                parts.append(fresh_velocity(g, group["momentum"], group["dampening"]))
            else:
                parts.append(gather_values([SupportEntry(buf, e.index)]).cpu().numpy())
            offset += k
        return np.concatenate(parts)

    def _write_velocity(self, entries: list[SupportEntry], velocity: np.ndarray) -> None:
        targets = []
        for e in entries:
            state = self.state[e.param]
            if state.get("momentum_buffer") is None:
                state["momentum_buffer"] = torch.zeros_like(e.param).detach()
            targets.append(SupportEntry(state["momentum_buffer"], e.index))
        scatter_values(targets, torch.as_tensor(velocity))

    def _sgd_steps(self, closure: Closure, entries: list[SupportEntry], group: dict):
        """``window`` steps of ``torch.optim.SGD`` on S, in place; returns the final velocity."""
        lr, wd = group["lr"], group["weight_decay"]
        mu, tau, nesterov = group["momentum"], group["dampening"], group["nesterov"]
        theta = gather_values(entries).cpu().numpy()
        velocity = None
        steps = tqdm(
            range(group["window"]), desc="SGD steps", disable=not self.verbose, leave=False
        )
        for k in steps:
            with torch.enable_grad():
                g, _ = closure_gradient(closure, entries)
            G = g + wd * theta
            if k == 0 and mu:
                velocity = self._start_velocity(entries, G, group)
            theta, velocity = sgd_step(theta, velocity, G, lr, mu, tau, nesterov)
            scatter_values(entries, torch.as_tensor(theta))
        return velocity

    def _mask_of(self, p: torch.Tensor) -> torch.Tensor | None:
        mask = self._masks.get(id(p))
        if mask is None and self._detect_masks:
            mask = self._detected.get(id(p))
        return mask

    def _support(self, group: dict) -> list[SupportEntry]:
        entries = []
        for p in group["params"]:
            if not p.requires_grad:
                continue
            mask = self._mask_of(p)
            flat = (
                torch.ones(p.numel(), dtype=torch.bool, device=p.device)
                if mask is None
                else mask.reshape(-1).to(p.device) != 0
            )
            entries.append(SupportEntry(p, torch.nonzero(flat).reshape(-1)))
        k = group["max_support"]
        if k is not None and support_size(entries) > k:
            values = gather_values(entries).abs()
            keep = torch.zeros(values.numel(), dtype=torch.bool, device=values.device)
            keep[torch.topk(values, k).indices] = True
            trimmed, offset = [], 0
            for e in entries:
                n = e.index.numel()
                trimmed.append(SupportEntry(e.param, e.index[keep[offset : offset + n]]))
                offset += n
            entries = trimmed
        entries = [e for e in entries if e.index.numel() > 0]
        if not entries:
            raise ValueError("the support is empty: every parameter is pruned or frozen")
        return entries

    @staticmethod
    def _order2_route(s: int, group: dict) -> str:
        """``"dense"`` or ``"lowrank"`` for an order-2 window on ``s`` weights (``"none"``: order 1)."""
        if group["order"] != 2:
            return "none"
        route = group["order2_route"]
        if route != "auto":
            return route
        if group["fidelity"] != "ideal" or (group["carleman_level"] or 2) != 2:
            return "dense"
        if s > LOWRANK_SUPPORT_THRESHOLD:
            return "lowrank"
        try:
            check_dense_route(s, 2)
        except MemoryBudgetError:
            return "lowrank"
        return "dense"

    def _check_size(self, s: int, group: dict) -> None:
        if self._order2_route(s, group) == "lowrank":
            return  # O(s r) memory, checked by the solve's rank cap
        if group["order"] == 2:
            check_memory(
                8 * s**3,
                f"the third-derivative tensor on a support of s = {s} weights",
                "Lower max_support (order 2 stores s**3 numbers), or use order=1.",
            )
        elif s > DENSE_HESSIAN_LIMIT and group["fidelity"] != "ideal":
            raise ValueError(
                f"a support of s = {s} weights is too large for fidelity={group['fidelity']!r} "
                f"(the Hessian and the solver register grow with s); use fidelity='ideal' "
                f"(matrix-free, order 1) or set max_support <= {DENSE_HESSIAN_LIMIT}"
            )
        elif not _runs_matrix_free(group, s):  # matrix-free windows never form the Hessian
            check_memory(
                8 * s**2 * (4 if group["momentum"] else 1),
                f"the Hessian on a support of s = {s} weights",
                "Lower max_support.",
            )

    def _warn(self, category: type[QSGDWarning], message: str) -> None:
        """One warning of each kind per optimizer; later ones go to the log."""
        if category in self._warned:
            logger.info(message)
            return
        self._warned.add(category)
        warnings.warn(message, category, stacklevel=_caller_stacklevel())

    # -- the window ----------------------------------------------------------------------------

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor:  # type: ignore[override]
        """Run one window of ``T`` gradient steps on S for every parameter group.

        Parameters
        ----------
        closure : callable
            Re-evaluates the model and returns the loss. Required (see the class notes). With
            ``stochastic=True`` it is called once per gradient step and may draw a new
            minibatch each time.

        Returns
        -------
        torch.Tensor
            The loss at the window start.

        Raises
        ------
        ValueError, FloatingPointError, MemoryError, NonDissipativeWindowError
            With every parameter and momentum buffer left exactly as it was.
        """
        if closure is None:
            graded = any(p.grad is not None for g in self.param_groups for p in g["params"])
            hint = (
                "\n(p.grad is set: loss.backward() ran before step(); QSGD ignores it. Move the "
                "forward and backward into the closure.)"
                if graded
                else ""
            )
            raise ValueError(NO_CLOSURE + hint)
        params = [p for g in self.param_groups for p in g["params"]]
        snapshot = [p.detach().clone() for p in params]
        buffers = {
            id(p): (
                None
                if self.state.get(p, {}).get("momentum_buffer") is None
                else self.state[p]["momentum_buffer"].clone()
            )
            for p in params
        }
        start_grads = []
        try:
            loss = None
            for index, group in enumerate(self.param_groups):
                report, loss, grads = self._run_window(closure, group, index)
                start_grads.append(grads)
                self.state["qsgd"]["reports"].append(report.to_dict())
                self._log(report)
            self.state["qsgd"]["windows"] += 1
        except BaseException:
            for p, saved in zip(params, snapshot, strict=True):
                p.copy_(saved)
                buf = buffers[id(p)]
                if buf is None:
                    self.state.get(p, {}).pop("momentum_buffer", None)
                else:
                    self.state[p]["momentum_buffer"].copy_(buf)
            raise
        for group, grads in zip(self.param_groups, start_grads, strict=True):
            trainable = [p for p in group["params"] if p.requires_grad]
            for p, g in zip(trainable, grads, strict=True):
                p.grad = None if g is None else g.detach()
        return loss

    def _log(self, report: WindowReport) -> None:
        level = logging.INFO if self.verbose else logging.DEBUG
        if logger.isEnabledFor(level):
            logger.log(
                level,
                "window %d group %d: %s, s = %d, loss %.6g, R %.3g, lambda_min %s, m = %d, "
                "qubits %d, %.2f s",
                report.window,
                report.group,
                report.action,
                report.support_size,
                report.loss,
                report.R,
                report.lambda_min,
                report.euler_steps,
                report.qubits,
                report.wall_time,
            )

    def _first_evaluation(self, closure: Closure, group: dict):
        """The closure's loss at the window start (graph kept), pruning masks recorded, and the
        gradient of that loss for every trainable parameter (``p.grad`` after the step)."""
        with recording_pruning_masks(self._detected):
            loss = evaluate_closure(closure)
        trainable = [p for p in group["params"] if p.requires_grad]
        grads = differentiate(loss, trainable, retain_graph=True) if trainable else ()
        return loss, grads

    def _estimate_gates_seconds(self, size: int, level: int, group: dict) -> float:
        """A lower bound on the seconds of one gates-fidelity solve (``m >= window``)."""
        m = group["euler_steps"] or group["window"]
        p = default_idle(m)
        wires = required_wires(size + 1, level, m, p)  # + the reference coordinate
        degree = inverse_polynomial_degree(condition_number_bound(m, p), group["precision"])
        return GATES_SECONDS_PER_AMPLITUDE * degree * 2.0**wires

    def _run_window(self, closure, group: dict, index: int):
        start = time.perf_counter()
        validate_group(group)  # schedulers may have changed lr or momentum
        loss, start_grads = self._first_evaluation(closure, group)
        entries = self._support(group)
        s = support_size(entries)
        self._check_size(s, group)
        T = group["window"]
        order = group["order"]
        N = group["carleman_level"] or order
        lr, wd, mu = group["lr"], group["weight_decay"], group["momentum"]
        window_index = self.state["qsgd"]["windows"]
        seed = None if group["seed"] is None else group["seed"] + window_index
        signed = self._signed(closure, group)
        with torch.enable_grad():
            objective = -loss if group["maximize"] else loss
        if _runs_matrix_free(group, s):
            if mu:
                raise ValueError(
                    f"a support of s = {s} > {DENSE_HESSIAN_LIMIT} weights runs matrix-free, "
                    "which is not implemented with momentum; set max_support <= "
                    f"{DENSE_HESSIAN_LIMIT} or momentum=0"
                )
            report, _ = self._run_matrix_free(signed, group, index, entries, start, objective)
            return report, loss.detach(), start_grads
        if self._order2_route(s, group) == "lowrank":
            report = self._run_lowrank(signed, group, index, entries, start, float(loss.detach()))
            return report, loss.detach(), start_grads
        stages = tqdm(total=3, desc=f"window {window_index}", disable=not self.verbose, leave=False)
        with torch.enable_grad():
            if order == 2:  # forward-mode products on the closure made functional, if it is
                coeffs, _ = fast_closure_coefficients(
                    signed, entries, wd, objective, progress=self.verbose
                )
            else:
                coeffs, _ = closure_taylor_coefficients(
                    None, entries, order, wd, loss=objective, progress=self.verbose
                )
            rows = (
                self._stochastic_rows(signed, entries, coeffs, T) if group["stochastic"] else None
            )
        stages.update()
        if mu:
            velocity = self._start_velocity(entries, coeffs.g, group)
            problem = momentum_problem(
                coeffs, lr, mu, group["dampening"], group["nesterov"], velocity, rows
            )
        else:
            forcing = None
            if rows is not None:
                forcing = StochasticForcing(-lr * rows, np.arange(T, dtype=np.float64))
            problem = build_problem(coeffs, lr, forcing=forcing)
        info = dissipation(problem)
        wclass = classify_window(problem, float(T), info=info)
        eigs = np.linalg.eigvalsh(coeffs.H)
        header = dict(
            window=window_index,
            group=index,
            steps=T,
            support_size=s,
            order=order,
            carleman_level=N,
            loss=float(loss.detach()),
            R=info.R,
            re_lambda1=info.re_lambda1,
            lambda_min=float(eigs[0]),
            negative_fraction=float(np.mean(eigs < 0)),
            **_class_fields(wclass),
        )
        action = "quantum"
        if not info.is_dissipative:
            message = (
                f"window {window_index}: the flow is not dissipative (Re lambda_1 = "
                f"{info.re_lambda1:.3g} >= 0; smallest Hessian eigenvalue {eigs[0]:.3g}); "
                f"{_class_text(wclass)}"
            )
            if group["on_nondissipative"] == "raise":
                raise NonDissipativeWindowError(
                    message + "; choose on_nondissipative='run' or 'classical'"
                )
            action = "quantum-nondissipative"
            if group["on_nondissipative"] == "classical":
                self._warn(NonDissipativeWarning, message + ": ran plain SGD steps instead")
                # The fallback: T steps of SGD on S.
                velocity = self._sgd_steps(signed, entries, group)
                if velocity is not None:
                    self._write_velocity(entries, velocity)
                report = WindowReport(
                    **header,
                    action="classical",
                    truncation_bound=None,
                    euler_bound=None,
                    taylor_model_error=None,
                    **_NO_SOLVE_FIELDS,
                    wall_time=time.perf_counter() - start,
                )
                stages.close()
                return report, loss.detach(), start_grads
            self._warn(
                NonDissipativeWarning,
                message + ": solved anyway, without the cost guarantee of the paper",
            )
        if group["fidelity"] == "gates":
            estimate = self._estimate_gates_seconds(problem.size, N, group)
            if estimate > SLOW_WINDOW_SECONDS:
                self._warn(
                    SlowWindowWarning,
                    f"window {window_index} at fidelity='gates' is estimated to take at least "
                    f"{estimate / 60:.1f} minutes (state size {problem.size}, level {N}); "
                    "fidelity='native' gives the same state much faster",
                )
        try:
            sol = solve_window_routed(
                problem,
                float(T),
                N,
                group["route"],
                lambda message: self._warn(LCHSFallbackWarning, message),
                euler=lambda: solve_window(
                    problem,
                    float(T),
                    N,
                    fidelity=group["fidelity"],
                    steps=group["euler_steps"],
                    encoding=group["encoding"],
                    precision=group["precision"],
                    shots=group["shots"],
                    seed=seed,
                ),
                fidelity=group["fidelity"],
                eps=group["precision"],
                shots=group["shots"],
                seed=seed,
            )
        except MemoryBudgetError as err:
            raise MemoryBudgetError(
                f"QSGD window {window_index} (lr = {lr}, window = {T}, euler_steps = "
                f"{group['euler_steps']}, order = {order}, ||F1|| = {info.norm_F1:.3g}): {err} "
                "For a QSGD window: a smaller lr, more euler_steps (default: h <= 1/(N ||F1||)), "
                "a smaller max_support or order=1 shrink it."
            ) from err
        stages.update()
        if not np.all(np.isfinite(sol.u_final)):
            raise FloatingPointError("the downloaded weights contain NaN or Inf")
        if group["euler_steps"] is None and sol.route == "euler":
            self._check_grid(lr, T, sol.steps, float(np.max(np.abs(eigs))))
        scatter_values(entries, torch.as_tensor(sol.u_final[:s]))
        if mu:
            self._write_velocity(entries, sol.u_final[s:])
        measured = None
        if s <= MEASURE_ODE_LIMIT:
            exact = integrate_ode(problem, float(T))
            measured = float(np.linalg.norm(sol.solver_output - exact))
        lemmas = lemma_bounds(problem, N, float(T), T / max(sol.steps, 1), info)
        report = WindowReport(
            **header,
            action=action,
            truncation_bound=None if lemmas is None else lemmas.truncation,
            euler_bound=None if lemmas is None or sol.route != "euler" else lemmas.euler,
            taylor_model_error=measured,
            **_solution_fields(sol),
            wall_time=time.perf_counter() - start,
            order2_route="dense" if order == 2 else "none",
        )
        stages.update()
        stages.close()
        return report, loss.detach(), start_grads

    def _check_grid(self, lr: float, T: int, m: int, lam_max: float) -> None:
        """Warn when the default Euler grid is finer than the gradient steps (``m > T``)."""
        if m > T:
            self._warn(
                ContinuousFlowWarning,
                f"lr = {lr:g}: the default Euler grid takes m = {m} steps for the window's {T} "
                f"gradient steps (h = {T / m:.3g} < 1), so the window follows the continuous "
                "gradient flow, not the discrete SGD steps (lr * max|Hessian eigenvalue| = "
                f"{lr * lam_max:.3g}; plain SGD is unstable above 2). Pass euler_steps=window to "
                "reproduce SGD's steps.",
            )

    def _stochastic_rows(self, closure, entries, coeffs, T: int) -> np.ndarray:
        """Constant terms :math:`c_k` of the gradient model, one closure call (minibatch) per step.

        Row 0 is the window's own expansion; row ``k`` replaces its gradient by the gradient of
        the ``k``-th call at the window start (weight decay included). Shape (T, s).
        """
        shift, _ = constant_terms(coeffs)
        rows = [coeffs.g + shift]
        steps = tqdm(range(1, T), desc="minibatches", disable=not self.verbose, leave=False)
        for _ in steps:
            g_k, _ = closure_gradient(closure, entries)
            rows.append(g_k + coeffs.weight_decay * coeffs.theta_bar + shift)
        return np.stack(rows)

    def _run_matrix_free(self, closure, group, index, entries, start, loss):
        """Order 1 with a support too large for a dense Hessian: ideal fidelity, HVP per Euler step."""
        if group["fidelity"] != "ideal":
            raise ValueError("matrix-free windows run at fidelity='ideal' only")
        lr, T, wd = group["lr"], group["window"], group["weight_decay"]
        with torch.enable_grad():
            op = ClosureHessian(closure, entries, wd, loss=loss)
        s = op.size
        theta, gradient = op.theta.cpu().numpy(), op.gradient
        window_index = self.state["qsgd"]["windows"]
        seed = None if group["seed"] is None else group["seed"] + window_index

        def solve(steps: int, record=None):
            return solve_linear_window_matrix_free(
                op.matvec,
                gradient,
                theta,
                lr,
                float(T),
                steps,
                shots=group["shots"],
                seed=seed,
                record=record,
            )

        # The Euler steps' own products give the eigenvalue estimates (Rayleigh-Ritz on their
        # Krylov space of the gradient); Lanczos when they are fewer than its own budget (short
        # windows, T = 1, g = 0), where Ritz values would be poorer than before.
        products: list = []
        sol = solve(group["euler_steps"] or T, products)
        extremes = (
            ritz_extremes(np.stack([d for d, _ in products]), np.stack([w for _, w in products]))
            if len(products) >= min(s, LANCZOS_STEPS)
            else None
        )
        lam_min, lam_max = extremes or lanczos_extremes(op.matvec, s, steps=LANCZOS_STEPS)
        re_lambda1 = -lr * lam_min
        if group["euler_steps"] is None:
            steps = max(T, int(np.ceil(T * lr * max(abs(lam_max), abs(lam_min)))))
            self._check_grid(lr, T, steps, max(abs(lam_max), abs(lam_min)))
            if steps > T:  # the grid of h = 1 was too coarse for the flow: solve again
                sol = solve(steps)
        action = "quantum" if re_lambda1 < 0 else "quantum-nondissipative"
        if re_lambda1 >= 0:
            message = (
                f"the flow is not dissipative (smallest Hessian eigenvalue {lam_min:.3g} <= 0)"
            )
            if group["on_nondissipative"] == "raise":
                raise NonDissipativeWindowError(message)
            self._warn(NonDissipativeWarning, message + ": solved anyway")
        # Before the write-back: the retained graph refers to the parameters' current values.
        norm_u = float(np.linalg.norm(theta))
        norm_F0 = float(np.linalg.norm(lr * (gradient - op.matvec(theta))))
        scatter_values(entries, torch.as_tensor(sol.u_final))
        R = (norm_F0 / norm_u) / abs(re_lambda1) if re_lambda1 < 0 and norm_u > 0 else float("inf")
        # F2 = 0; Lanczos' Ritz value bounds lambda_min from above, so this is no certificate.
        wclass = classify_from_norms(re_lambda1, norm_F0, 0.0, norm_u, float(T))
        report = WindowReport(
            window=window_index,
            group=index,
            steps=T,
            action=action,
            support_size=s,
            order=1,
            carleman_level=1,
            loss=float(op.loss.detach()) * (-1.0 if group["maximize"] else 1.0),
            R=R,
            re_lambda1=re_lambda1,
            lambda_min=lam_min,
            negative_fraction=None,
            truncation_bound=0.0,
            euler_bound=None,
            taylor_model_error=None,
            **_solution_fields(sol),
            **_class_fields(wclass, certified=False),
            wall_time=time.perf_counter() - start,
        )
        return report, op.loss.detach()

    def _run_lowrank(self, closure, group, index, entries, start, loss: float) -> WindowReport:
        """Order 2 at the ideal fidelity by products: no T3, no Carleman matrix, level 2 low rank."""
        lr, T, wd = group["lr"], group["window"], group["weight_decay"]
        if group["momentum"] or group["stochastic"]:
            raise ValueError(
                f"a support of s = {support_size(entries)} weights takes the low-rank order-2 "
                "route, which is not implemented with momentum or stochastic=True; set "
                f"max_support <= {LOWRANK_SUPPORT_THRESHOLD}, order2_route='dense', or momentum=0 "
                "and stochastic=False"
            )
        with torch.enable_grad():
            flow = closure_order2_flow(closure, entries, lr, weight_decay=wd)
        s = flow.size
        lam_min, lam_max = lanczos_extremes(flow.hvp.matvec, s, steps=LANCZOS_STEPS)
        re_lambda1 = -lr * lam_min  # F1 = -lr H at the window start (u = 0)
        # The dense window's default grid: h = min(1, 1/(N ||F1||)) with N = 2.
        norm_F1 = lr * max(abs(lam_max), abs(lam_min))
        steps = group["euler_steps"] or max(1, math.ceil(T * max(1.0, 2 * norm_F1) - 1e-12))
        if group["euler_steps"] is None:
            self._check_grid(lr, T, steps, max(abs(lam_max), abs(lam_min)))
        window_index = self.state["qsgd"]["windows"]
        action = "quantum" if re_lambda1 < 0 else "quantum-nondissipative"
        if re_lambda1 >= 0:
            message = (
                f"window {window_index}: the flow is not dissipative (smallest Hessian eigenvalue "
                f"{lam_min:.3g} <= 0, Lanczos estimate)"
            )
            if group["on_nondissipative"] == "raise":
                raise NonDissipativeWindowError(message)
            self._warn(NonDissipativeWarning, message + ": solved anyway (low-rank route)")
        seed = None if group["seed"] is None else group["seed"] + window_index
        # A RankCapError propagates; step() restores the parameters. Grad mode: each F2 product
        # differentiates a Hessian-vector product (step() runs under no_grad).
        with torch.enable_grad():
            sol, lowrank = solve_order2_window_lowrank(
                flow,
                float(T),
                steps,
                tol=group["rank_tol"],
                max_rank=group["max_rank"],
                shots=group["shots"],
                seed=seed,
            )
        if not np.all(np.isfinite(sol.u_final)):
            raise FloatingPointError("the downloaded weights contain NaN or Inf")
        scatter_values(entries, torch.as_tensor(sol.u_final))
        return WindowReport(
            window=window_index,
            group=index,
            steps=T,
            action=action,
            support_size=s,
            order=2,
            carleman_level=2,
            loss=loss,
            R=float("nan"),
            re_lambda1=re_lambda1,
            lambda_min=lam_min,
            negative_fraction=None,
            truncation_bound=None,
            euler_bound=None,
            taylor_model_error=None,
            **_solution_fields(sol),
            wall_time=time.perf_counter() - start,
            order2_route="lowrank",
            level2_discarded=lowrank.truncation_error,
            level2_rank=lowrank.max_rank_reached,
        )

    # -- state -----------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """torch's state dict; ``state["qsgd"]`` is copied so later windows do not change it."""
        out = super().state_dict()
        run = out["state"].get("qsgd")
        if run is not None:
            out["state"]["qsgd"] = {"windows": run["windows"], "reports": list(run["reports"])}
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the optimizer: window counter, reports, momentum buffers, group options.

        A state dict of ``torch.optim.SGD`` loads as well: its momentum buffers and SGD options
        (``lr``, ``momentum``, ...) are taken, QSGD's own options kept. A state dict of another
        optimizer raises ValueError.
        """
        foreign_state = {
            key
            for k, v in state_dict.get("state", {}).items()
            if k != "qsgd" and isinstance(v, Mapping)
            for key in v
            if key != "momentum_buffer"
        }
        saved_groups = state_dict.get("param_groups", [])
        qsgd_keys = set(self.defaults) - set(SGD_KEYS) - set(NO_OP_KEYS)
        from_qsgd = all(qsgd_keys & set(g) for g in saved_groups)
        sgd_like = all("momentum" in g and "lr" in g for g in saved_groups)
        if foreign_state or not (from_qsgd or sgd_like):
            keys = sorted({k for g in saved_groups for k in g} - {"params"})
            raise ValueError(
                "this state_dict was not saved by QSGD or torch.optim.SGD (param-group keys "
                f"{keys}; per-parameter state keys {sorted(foreign_state)}); QSGD can load only "
                "momentum buffers"
            )
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"the state_dict has {len(saved_groups)} parameter groups, this optimizer "
                f"{len(self.param_groups)}"
            )
        # A group missing QSGD's options (an SGD or older QSGD state dict) keeps the current ones.
        merged = [
            {**{k: v for k, v in current.items() if k != "params"}, **saved}
            for current, saved in zip(self.param_groups, saved_groups, strict=True)
        ]
        super().load_state_dict({**state_dict, "param_groups": merged})
        for key, value in self.state.items():
            # QSGD writes buffers in place: never share them with the optimizer saved from
            if isinstance(key, torch.Tensor) and value.get("momentum_buffer") is not None:
                value["momentum_buffer"] = value["momentum_buffer"].clone()
        for group in self.param_groups:
            validate_group(group)
        saved = self.state.get("qsgd") or {"windows": 0, "reports": []}
        self.state["qsgd"] = {"windows": int(saved["windows"]), "reports": list(saved["reports"])}
