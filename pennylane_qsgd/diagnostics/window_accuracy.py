"""How far a window's model of gradient descent drifts from true gradient descent, step by step.

A window of the paper's algorithm replaces ``T`` gradient steps on the support S by the flow of a
Taylor model of the gradient around the window start :math:`\\bar\\theta`, then by its Carleman
truncation at level ``N`` and forward Euler. With one Euler step per gradient step (``h = 1``),
every model below is itself an iteration, so one run of ``T_max`` steps gives all horizons
``T = 1..T_max``:

* ``gd``: true gradient descent on S (the other weights fixed),
  :math:`\\theta_{k+1} = \\theta_k - \\eta \\nabla L(\\theta_k)`, the reference;
* ``order1``: gradient descent on the quadratic model, :math:`\\nabla L \\approx g + H d`
  (the order-1 window; also Carleman level ``N = 1`` of the order-2 model in the coordinate
  :math:`u = \\theta_S - \\bar\\theta`, which drops :math:`F_2`);
* ``carleman1``: the order-2 model at Carleman level ``N = 1`` in the absolute coordinate
  :math:`u = \\theta_S` of the dense window (:func:`~pennylane_qsgd.optim.taylor.build_problem`):
  a linear ODE with :math:`F_1 = -\\eta(H - T_3[\\bar\\theta, \\cdot\\,])` and
  :math:`F_0 = -\\eta(g - H\\bar\\theta + \\tfrac12 T_3[\\bar\\theta, \\bar\\theta])`, which differs
  from ``order1`` because truncating :math:`u^{\\otimes 2}` depends on the origin of ``u``;
* ``carleman2``: the order-2 model at Carleman level ``N = 2``, solved by
  :func:`~pennylane_qsgd.core.lowrank_carleman.solve_euler_lowrank` with third-derivative
  products;
* ``order2``: gradient descent on the cubic model itself,
  :math:`\\nabla L \\approx g + H d + \\tfrac12 T_3[d, d]` (Carleman ``N \\to \\infty``), which
  separates the Taylor error from the Carleman truncation error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.func import grad

from pennylane_qsgd.core.lowrank_carleman import (
    DEFAULT_TOLERANCE,
    DivergedEulerError,
    solve_euler_lowrank,
)
from pennylane_qsgd.optim.support import Support
from pennylane_qsgd.optim.taylor import LossFn, support_loss
from pennylane_qsgd.optim.third_derivatives import order2_flow

MODELS = ("order1", "carleman1", "carleman2", "order2")


@dataclass(frozen=True)
class WindowAccuracy:
    """Distances between true gradient descent and the window models after ``T`` steps.

    Attributes
    ----------
    horizons : ndarray of int, shape (n,)
        ``T = 1..T_max``.
    distance : dict of str to ndarray, shape (n,)
        :math:`\\|\\theta^{\\rm model}_T - \\theta^{\\rm GD}_T\\|` on S for each name in ``MODELS``.
    travelled : ndarray, shape (n,)
        :math:`\\|\\theta^{\\rm GD}_T - \\bar\\theta\\|`, the scale of the distances.
    ranks : ndarray of int, shape (n,)
        Rank of the level-2 block after each step of ``carleman2`` (0 after it overflowed; a
        model that overflows has distance ``inf`` from there on).
    truncation_error : float
        Level-2 mass dropped by the low-rank solve over the whole run.
    lr : float
        Learning rate.
    """

    horizons: np.ndarray
    distance: dict[str, np.ndarray]
    travelled: np.ndarray
    ranks: np.ndarray
    truncation_error: float
    lr: float

    def relative(self, model: str) -> np.ndarray:
        """``distance[model] / travelled`` (``nan`` where nothing moved)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.distance[model] / self.travelled

    def table(self, every: int = 5) -> str:
        """A plain-text table of the relative distances at ``T = 1`` and every ``every`` steps."""
        rows = [f"{'T':>4} {'|GD - start|':>13} " + " ".join(f"{m:>11}" for m in MODELS)]
        for i, T in enumerate(self.horizons):
            if T == 1 or T % every == 0:
                cells = " ".join(f"{self.relative(m)[i]:11.2e}" for m in MODELS)
                rows.append(f"{T:>4} {self.travelled[i]:13.3e} {cells}")
        return "\n".join(rows)


def _descend(step, theta: np.ndarray, steps: int) -> np.ndarray:
    """Path ``theta, theta - step(theta), ...`` of ``steps`` updates, shape (steps + 1, s).

    A path that diverges (the cubic model is unbounded below) is ``inf`` from there on.
    """
    path = [theta]
    for _ in range(steps):
        nxt = np.full_like(theta, np.inf)
        if np.all(np.isfinite(path[-1])):
            try:
                with np.errstate(over="ignore", invalid="ignore"):
                    nxt = path[-1] - step(path[-1])
            except FloatingPointError:
                pass
        path.append(nxt if np.all(np.isfinite(nxt)) else np.full_like(theta, np.inf))
    return np.stack(path)


def _euler_path(flow, T: int, **kwargs) -> tuple[np.ndarray, object]:
    """Weights after each of ``T`` unit Euler steps, shape (T + 1, s); ``inf`` from the first
    step where the iterate overflows (the steps before it are re-run on the same grid)."""
    s = flow.size
    try:
        sol = solve_euler_lowrank(
            flow.F0, flow.F1, flow.f2, flow.u_in, T, T, store_path=True, **kwargs
        )
    except DivergedEulerError as err:
        if err.step == 1:
            return np.vstack([flow.weights(flow.u_in), np.full((T, s), np.inf)]), None
        sol = solve_euler_lowrank(
            flow.F0,
            flow.F1,
            flow.f2,
            flow.u_in,
            err.step - 1,
            err.step - 1,
            store_path=True,
            **kwargs,
        )
    path = flow.weights(sol.u_path)
    return np.vstack([path, np.full((T + 1 - path.shape[0], s), np.inf)]), sol


def window_accuracy(
    module: nn.Module,
    loss_fn: LossFn,
    batch: Any,
    support: Support,
    lr: float,
    max_steps: int = 50,
    *,
    tol: float = DEFAULT_TOLERANCE,
) -> WindowAccuracy:
    """Distance after ``T = 1..max_steps`` steps between gradient descent and the window models.

    Parameters
    ----------
    module, loss_fn, batch, support
        As in :func:`~pennylane_qsgd.optim.taylor.support_loss`; the window starts at the
        module's current values on S (the module is not modified).
    lr : float
        Learning rate :math:`\\eta` (one Euler step of size 1 per gradient step).
    max_steps : int, default 50
        Largest horizon ``T``.
    tol : float
        Truncation tolerance of the low-rank level 2.

    Returns
    -------
    WindowAccuracy
    """
    if isinstance(max_steps, bool) or int(max_steps) < 1:
        raise ValueError(f"max_steps must be a positive int; got {max_steps!r}")
    T = int(max_steps)
    flow = order2_flow(module, loss_fn, batch, support, lr)
    eta, theta_bar = flow.lr, flow.theta_bar
    f = support_loss(module, loss_fn, batch, support)
    grad_f = grad(f)
    dtype = flow.t3.theta.dtype

    def gd_step(theta: np.ndarray) -> np.ndarray:
        return eta * grad_f(torch.from_numpy(theta).to(dtype)).detach().numpy().astype(float)

    def cubic_step(theta: np.ndarray) -> np.ndarray:
        d = theta - theta_bar
        quadratic = -0.5 * eta * flow.t3(d, d).numpy()  # F2 (d x d)
        return -(flow.F0 + flow.F1.matvec(d) + quadratic)

    gd = _descend(gd_step, theta_bar, T)
    cubic = _descend(cubic_step, theta_bar, T)
    order1, _ = _euler_path(flow, T, level=1)
    absolute = order2_flow(module, loss_fn, batch, support, lr, centre=np.zeros(flow.size))
    carleman1, _ = _euler_path(absolute, T, level=1)
    carleman2, carleman = _euler_path(flow, T, tol=tol)
    paths = {"order1": order1, "carleman1": carleman1, "carleman2": carleman2, "order2": cubic}
    ranks = np.zeros(T, dtype=int)
    if carleman is not None:
        ranks[: carleman.ranks.size] = carleman.ranks
    with np.errstate(invalid="ignore"):
        distance = {k: np.linalg.norm(v[1:] - gd[1:], axis=1) for k, v in paths.items()}
    return WindowAccuracy(
        horizons=np.arange(1, T + 1),
        distance=distance,
        travelled=np.linalg.norm(gd[1:] - theta_bar, axis=1),
        ranks=ranks,
        truncation_error=0.0 if carleman is None else carleman.truncation_error,
        lr=eta,
    )
