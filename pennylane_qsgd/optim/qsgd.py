"""``QSGD``: a torch optimizer whose every step runs a window of gradient steps on ``qsgd.sim``.

Each ``step(closure)`` is one window of ``T`` gradient steps on the support S (Liu et al., Nature
Communications 15, 434 (2024)): Taylor coefficients of the loss on S, the gradient flow as a
quadratic ODE, a dissipation check, the Euler–Carleman solve by a quantum linear solver simulated on
``qsgd.sim``, a tomographic download, and the write-back into the parameters.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from pennylane_qsgd.circuits.encoding import encoding_class
from pennylane_qsgd.core.bounds import lemma_bounds
from pennylane_qsgd.core.dissipation import dissipation
from pennylane_qsgd.core.lanczos import lanczos_extremes
from pennylane_qsgd.core.memory import check_memory
from pennylane_qsgd.core.reference import integrate_ode
from pennylane_qsgd.device.simulate import FIDELITIES
from pennylane_qsgd.optim.closure_taylor import (
    Closure,
    ClosureHessian,
    SupportEntry,
    closure_gradient,
    closure_taylor_coefficients,
    gather_values,
    scatter_values,
    support_size,
)
from pennylane_qsgd.optim.pruning import pruned_tensors
from pennylane_qsgd.optim.report import WindowReport
from pennylane_qsgd.optim.taylor import StochasticForcing, _constant_terms, build_problem
from pennylane_qsgd.optim.window import (
    solve_linear_window_matrix_free,
    solve_window,
)

ACTIONS = ("run", "classical", "raise")
DENSE_HESSIAN_LIMIT = 2048
"""Largest support whose Hessian is formed; above it order-1 windows go matrix-free (ideal fidelity)."""
LANCZOS_STEPS = 8
"""Hessian-vector products spent estimating the extreme eigenvalues of a matrix-free window."""
MEASURE_ODE_LIMIT = 256
"""Largest support for which each report measures the Taylor-model flow with scipy."""


class NonDissipativeWindowError(RuntimeError):
    """A window's flow is not dissipative and ``on_nondissipative="raise"`` was chosen."""


def _masks_by_param(masks: nn.Module | Mapping | None) -> dict[int, torch.Tensor]:
    """Map ``id(parameter) -> mask`` from a pruned module or an explicit mapping."""
    if masks is None:
        return {}
    if isinstance(masks, nn.Module):
        return {id(t.orig): t.mask for t in pruned_tensors(masks)}
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
    )


class QSGD(torch.optim.Optimizer):
    """Windows of gradient descent solved by Carleman linearisation on the ``qsgd.sim`` device.

    Parameters
    ----------
    params : iterable
        Parameters or parameter groups, as for :class:`torch.optim.SGD`.
    lr : float
        Learning rate :math:`\\eta` of the gradient steps the window stands for.
    window : int
        Gradient steps ``T`` per ``step()`` call.
    order : {1, 2}
        Taylor order of the gradient model on S: 1 (Hessian, a linear ODE) or 2 (third
        derivatives, the Carleman case).
    carleman_level : int, optional
        Truncation level N (default: ``order``).
    euler_steps : int, optional
        Euler steps ``m`` per window (default ``T / min(1, 1/(N ||F1||))``; ``m = T`` reproduces
        ``T`` gradient steps on the Taylor model when ``order=1``).
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
    weight_decay : float
        L2 penalty :math:`w_d`, added to the gradient as :math:`w_d \\theta`.
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
        guarantee is lost); ``"classical"`` runs ``T`` plain gradient steps on S instead;
        ``"raise"`` raises :class:`NonDissipativeWindowError` with the parameters unchanged.
    masks : nn.Module or mapping, optional
        Pruning masks: a module pruned with ``torch.nn.utils.prune`` (its ``weight_orig``
        parameters are matched to their ``weight_mask``) or ``{parameter: mask}``. Masked
        entries are outside S and stay pruned.
    seed : int, optional
        Seed of the download shots (window ``k`` uses ``seed + k``).
    matrix_free : bool, optional
        Order 1 only: never form the Hessian, one Hessian-vector product per Euler step, at the
        ideal fidelity. Default: when ``s > DENSE_HESSIAN_LIMIT``.

    Notes
    -----
    ``step`` needs a closure, like :class:`torch.optim.LBFGS`: it re-evaluates the model and
    returns the loss (it need not call ``backward``; derivatives are taken from the returned
    loss). One gradient step is one unit of time of the flow. The report of each window is
    appended to :attr:`reports` (:class:`~pennylane_qsgd.optim.report.WindowReport`).

    Examples
    --------
    >>> model = torch.nn.Linear(3, 1)
    >>> x, y = torch.randn(8, 3), torch.randn(8, 1)
    >>> opt = QSGD(model.parameters(), lr=0.1, window=4, fidelity="ideal")
    >>> loss = opt.step(lambda: torch.nn.functional.mse_loss(model(x), y))
    >>> opt.reports[-1].steps
    4
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 0.01,
        *,
        window: int = 10,
        order: int = 1,
        carleman_level: int | None = None,
        euler_steps: int | None = None,
        fidelity: str = "native",
        encoding: str = "auto",
        precision: float = 1e-6,
        shots: int | None = None,
        weight_decay: float = 0.0,
        max_support: int | None = None,
        stochastic: bool = False,
        on_nondissipative: str = "run",
        masks: nn.Module | Mapping | None = None,
        seed: int | None = None,
        matrix_free: bool | None = None,
    ) -> None:
        if not (isinstance(lr, int | float) and np.isfinite(lr) and lr > 0):
            raise ValueError(f"lr must be a positive number; got {lr!r}")
        if not isinstance(window, int) or isinstance(window, bool) or window < 1:
            raise ValueError(f"window must be a positive integer; got {window!r}")
        if order not in (1, 2):
            raise ValueError(f"order must be 1 or 2; got {order!r}")
        if fidelity not in FIDELITIES:
            raise ValueError(f"fidelity must be one of {FIDELITIES}; got {fidelity!r}")
        if encoding != "auto":
            encoding_class(encoding)
        if on_nondissipative not in ACTIONS:
            raise ValueError(
                f"on_nondissipative must be one of {ACTIONS}; got {on_nondissipative!r}"
            )
        if shots is not None and (not isinstance(shots, int) or shots < 2):
            raise ValueError(f"shots must be None or an integer >= 2; got {shots!r}")
        if weight_decay < 0:
            raise ValueError(f"weight_decay must be non-negative; got {weight_decay}")
        if max_support is not None and max_support < 1:
            raise ValueError(f"max_support must be positive; got {max_support}")
        defaults = dict(
            lr=lr,
            window=window,
            order=order,
            carleman_level=carleman_level,
            euler_steps=euler_steps,
            fidelity=fidelity,
            encoding=encoding,
            precision=precision,
            shots=shots,
            weight_decay=weight_decay,
            max_support=max_support,
            stochastic=stochastic,
            on_nondissipative=on_nondissipative,
            matrix_free=matrix_free,
        )
        if matrix_free and (order != 1 or fidelity != "ideal"):
            raise ValueError("matrix_free=True needs order=1 and fidelity='ideal'")
        super().__init__(params, defaults)
        self._masks = _masks_by_param(masks)
        self.seed = seed
        self.reports: list[WindowReport] = []
        self.state["qsgd"] = {"windows": 0, "reports": []}

    # -- support -------------------------------------------------------------------------------

    def support(self, group: int = 0) -> list[SupportEntry]:
        """The support S of the next window of parameter group ``group``.

        Returns
        -------
        list of SupportEntry
            ``(param, index)`` pairs: the flat indices of the unpruned, trainable entries of each
            parameter (after ``max_support``), in the order of the window's weight vector ``u``.
        """
        return self._support(self._group(group))

    @torch.no_grad()
    def gradient_descent_reference(self, closure: Closure, group: int = 0) -> np.ndarray:
        """What plain gradient descent would do with the next window, for comparison.

        Runs ``window`` gradient steps of size ``lr`` (weight decay included) on the support of
        ``group`` from the current weights, then restores the weights exactly.

        Returns
        -------
        ndarray, shape (s,)
            The weights on S after the steps (float64, in the order of :meth:`support`).
        """
        options = self._group(group)
        entries = self._support(options)
        start = gather_values(entries)
        try:
            self._gradient_steps(closure, entries, options)
            return gather_values(entries).numpy().astype(np.float64)
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
    def _gradient_steps(closure: Closure, entries: list[SupportEntry], group: dict) -> None:
        """``window`` plain gradient steps on S, in place."""
        lr, wd = group["lr"], group["weight_decay"]
        for _ in range(group["window"]):
            with torch.enable_grad():
                g, _ = closure_gradient(closure, entries)
            theta = gather_values(entries).numpy()
            scatter_values(entries, torch.as_tensor(theta - lr * (g + wd * theta)))

    def _support(self, group: dict) -> list[SupportEntry]:
        entries = []
        for p in group["params"]:
            if not p.requires_grad:
                continue
            mask = self._masks.get(id(p))
            flat = (
                torch.ones(p.numel(), dtype=torch.bool) if mask is None else mask.reshape(-1) != 0
            )
            entries.append(SupportEntry(p, torch.nonzero(flat).reshape(-1)))
        k = group["max_support"]
        if k is not None and support_size(entries) > k:
            values = gather_values(entries).abs()
            keep = torch.zeros(values.numel(), dtype=torch.bool)
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

    def _check_size(self, s: int, group: dict) -> None:
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

    # -- the window ----------------------------------------------------------------------------

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor]) -> torch.Tensor:  # type: ignore[override]
        """Run one window of ``T`` gradient steps on S for every parameter group.

        Parameters
        ----------
        closure : callable
            Re-evaluates the model and returns the loss. Required. With ``stochastic=True`` it
            is called once per gradient step and may draw a new minibatch each time.

        Returns
        -------
        torch.Tensor
            The loss at the window start.

        Raises
        ------
        ValueError, FloatingPointError, MemoryError, NonDissipativeWindowError
            With every parameter left exactly as it was.
        """
        if closure is None:
            raise ValueError(
                "QSGD.step needs a closure that re-evaluates the model and returns the loss"
            )
        snapshot = [p.detach().clone() for g in self.param_groups for p in g["params"]]
        try:
            loss = None
            for index, group in enumerate(self.param_groups):
                report, loss = self._run_window(closure, group, index)
                self.reports.append(report)
                self.state["qsgd"]["reports"].append(report.to_dict())
            self.state["qsgd"]["windows"] += 1
        except BaseException:
            params = [p for g in self.param_groups for p in g["params"]]
            for p, saved in zip(params, snapshot, strict=True):
                p.copy_(saved)
            raise
        return loss

    def _run_window(self, closure, group: dict, index: int) -> tuple[WindowReport, torch.Tensor]:
        start = time.perf_counter()
        entries = self._support(group)
        s = support_size(entries)
        self._check_size(s, group)
        T = group["window"]
        order = group["order"]
        N = group["carleman_level"] or order
        lr = group["lr"]
        wd = group["weight_decay"]
        window_index = self.state["qsgd"]["windows"]
        seed = None if self.seed is None else self.seed + window_index
        matrix_free = group["matrix_free"]
        if matrix_free is None:
            matrix_free = order == 1 and s > DENSE_HESSIAN_LIMIT
        if matrix_free:
            return self._run_matrix_free(closure, group, index, entries, start)
        with torch.enable_grad():
            coeffs, loss = closure_taylor_coefficients(closure, entries, order, wd)
            forcing = (
                self._stochastic_forcing(closure, entries, coeffs, lr, T)
                if group["stochastic"]
                else None
            )
        problem = build_problem(coeffs, lr, forcing=forcing)
        info = dissipation(problem)
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
        )
        action = "quantum"
        if not info.is_dissipative:
            if group["on_nondissipative"] == "raise":
                raise NonDissipativeWindowError(
                    f"window {window_index}: the flow is not dissipative (Re lambda_1 = "
                    f"{info.re_lambda1:.3g} >= 0; smallest Hessian eigenvalue {eigs[0]:.3g}); "
                    "choose on_nondissipative='run' or 'classical'"
                )
            action = "quantum-nondissipative"
            if group["on_nondissipative"] == "classical":
                # The fallback: T plain gradient steps on S.
                self._gradient_steps(closure, entries, group)
                report = WindowReport(
                    **header,
                    action="classical",
                    truncation_bound=None,
                    euler_bound=None,
                    taylor_model_error=None,
                    **_NO_SOLVE_FIELDS,
                    wall_time=time.perf_counter() - start,
                )
                return report, loss.detach()
        sol = solve_window(
            problem,
            float(T),
            N,
            fidelity=group["fidelity"],
            steps=group["euler_steps"],
            encoding=group["encoding"],
            precision=group["precision"],
            shots=group["shots"],
            seed=seed,
        )
        if not np.all(np.isfinite(sol.u_final)):
            raise FloatingPointError("the downloaded weights contain NaN or Inf")
        scatter_values(entries, torch.as_tensor(sol.u_final))
        measured = None
        if s <= MEASURE_ODE_LIMIT:
            exact = integrate_ode(problem, float(T))
            measured = float(np.linalg.norm(sol.solver_output - exact))
        lemmas = lemma_bounds(problem, N, float(T), T / sol.steps, info)
        report = WindowReport(
            **header,
            action=action,
            truncation_bound=None if lemmas is None else lemmas.truncation,
            euler_bound=None if lemmas is None else lemmas.euler,
            taylor_model_error=measured,
            **_solution_fields(sol),
            wall_time=time.perf_counter() - start,
        )
        return report, loss.detach()

    def _stochastic_forcing(self, closure, entries, coeffs, lr: float, T: int) -> StochasticForcing:
        """Forcing pieces ``F0^(k)`` from one closure call (one minibatch) per gradient step."""
        shift, _ = _constant_terms(coeffs)
        rows = [-lr * (coeffs.g + shift)]
        for _ in range(1, T):
            g_k, _ = closure_gradient(closure, entries)
            rows.append(-lr * (g_k + coeffs.weight_decay * coeffs.theta_bar + shift))
        return StochasticForcing(np.stack(rows), np.arange(T, dtype=np.float64))

    def _run_matrix_free(self, closure, group, index, entries, start):
        """Order 1 with a support too large for a dense Hessian: ideal fidelity, HVP per Euler step."""
        if group["fidelity"] != "ideal":
            raise ValueError("matrix-free windows run at fidelity='ideal' only")
        lr, T, wd = group["lr"], group["window"], group["weight_decay"]
        with torch.enable_grad():
            op = ClosureHessian(closure, entries, wd)
        s = op.size
        # A short Lanczos run: the window's own cost is T products, so the estimate stays cheap.
        lam_min, lam_max = lanczos_extremes(op.matvec, s, steps=LANCZOS_STEPS)
        re_lambda1 = -lr * lam_min
        steps = group["euler_steps"] or max(
            T, int(np.ceil(T * lr * max(abs(lam_max), abs(lam_min))))
        )
        action = "quantum" if re_lambda1 < 0 else "quantum-nondissipative"
        if re_lambda1 >= 0 and group["on_nondissipative"] == "raise":
            raise NonDissipativeWindowError(
                f"the flow is not dissipative (smallest Hessian eigenvalue {lam_min:.3g} <= 0)"
            )
        theta = op.theta.numpy()
        # Before the write-back: the retained graph refers to the parameters' current values.
        norm_u = float(np.linalg.norm(theta))
        norm_F0 = float(np.linalg.norm(lr * (op.gradient - op.matvec(theta))))
        window_index = self.state["qsgd"]["windows"]
        seed = None if self.seed is None else self.seed + window_index
        sol = solve_linear_window_matrix_free(
            op.matvec, op.gradient, theta, lr, float(T), steps, shots=group["shots"], seed=seed
        )
        scatter_values(entries, torch.as_tensor(sol.u_final))
        R = (norm_F0 / norm_u) / abs(re_lambda1) if re_lambda1 < 0 and norm_u > 0 else float("inf")
        report = WindowReport(
            window=window_index,
            group=index,
            steps=T,
            action=action,
            support_size=s,
            order=1,
            carleman_level=1,
            loss=float(op.loss.detach()),
            R=R,
            re_lambda1=re_lambda1,
            lambda_min=lam_min,
            negative_fraction=None,
            truncation_bound=0.0,
            euler_bound=None,
            taylor_model_error=None,
            **_solution_fields(sol),
            wall_time=time.perf_counter() - start,
        )
        return report, op.loss.detach()

    # -- state -----------------------------------------------------------------------------------

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the optimizer, including the window counter and the reports."""
        super().load_state_dict(state_dict)
        saved = self.state.get("qsgd", {"windows": 0, "reports": []})
        self.state["qsgd"] = {"windows": int(saved["windows"]), "reports": list(saved["reports"])}
        self.reports = [WindowReport.from_dict(r) for r in self.state["qsgd"]["reports"]]
