"""The combined Carleman + Euler error over time, the quantity plotted in PNAS Fig. 1.

For each truncation level N, forward Euler on the level-N Carleman system gives
:math:`y_1(t_k) \\approx u(t_k)` at every step :math:`t_k = k h`; the figure plots
:math:`\\varepsilon_N(t_k) = \\|y_1(t_k) - u(t_k)\\|_2` against :math:`t_k` and its maximum over time
against N, with :math:`u` a tight-tolerance integration of the quadratic ODE.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from pennylane_qsgd.core.euler import solve_euler
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.core.reference import integrate_ode


@dataclass(frozen=True, eq=False)
class ErrorCurve:
    """Combined error of one truncation level.

    Attributes
    ----------
    level : int
        Truncation level N.
    times : ndarray, shape (m+1,)
        :math:`t_k = k h`.
    trajectory : ndarray, shape (m+1, s)
        Level-1 Euler-Carleman states :math:`y_1(t_k)`.
    error : ndarray, shape (m+1,)
        :math:`\\|y_1(t_k) - u(t_k)\\|_2` in the problem's units.
    seconds : float
        Wall time of the Euler run.
    """

    level: int
    times: np.ndarray
    trajectory: np.ndarray
    error: np.ndarray
    seconds: float

    @property
    def max_error(self) -> float:
        """:math:`\\max_k \\varepsilon_N(t_k)`."""
        return float(np.max(self.error))

    @property
    def final_error(self) -> float:
        """:math:`\\varepsilon_N(T)`."""
        return float(self.error[-1])


def reference_trajectory(
    problem: PolynomialODE,
    T: float,
    steps: int,
    forcing: Callable[[float], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:math:`u(t_k)` at the Euler times by ``solve_ivp`` (DOP853, rtol 1e-12).

    Parameters
    ----------
    problem : PolynomialODE
    T : float
        Final time.
    steps : int
        Euler steps ``m``; the times are ``k T / m``, ``k = 0..m``.
    forcing : callable, optional
        Continuous-time forcing to integrate instead of the problem's pieces (see
        :func:`~pennylane_qsgd.core.reference.integrate_ode`).

    Returns
    -------
    times : ndarray, shape (m+1,)
    states : ndarray, shape (m+1, s)
    """
    times = np.arange(steps + 1) * (T / steps)
    times[-1] = T
    return times, integrate_ode(problem, T, t_eval=times, forcing=forcing)


def error_curves(
    problem: PolynomialODE,
    levels: Iterable[int],
    T: float,
    steps: int,
    reference: np.ndarray | None = None,
    forcing: Callable[[float], np.ndarray] | None = None,
    progress: bool = False,
) -> list[ErrorCurve]:
    """Euler-Carleman error curves of several levels against one reference trajectory.

    Parameters
    ----------
    problem : PolynomialODE
    levels : iterable of int
        Truncation levels N.
    T : float
        Final time.
    steps : int
        Euler steps ``m`` (``h = T/m``); each reads the forcing piece active at its start.
    reference : ndarray, shape (m+1, s), optional
        :math:`u(t_k)`; computed by :func:`reference_trajectory` when omitted.
    forcing : callable, optional
        Continuous forcing for the reference (ignored when ``reference`` is given).
    progress : bool
        Show a progress bar over the levels.

    Returns
    -------
    list of ErrorCurve
    """
    times = np.arange(steps + 1) * (T / steps)
    times[-1] = T
    if reference is None:
        reference = reference_trajectory(problem, T, steps, forcing)[1]
    reference = np.asarray(reference, dtype=np.float64)
    if reference.shape != (steps + 1, problem.size):
        raise ValueError(
            f"reference must have shape ({steps + 1}, {problem.size}); got {reference.shape}"
        )
    curves = []
    for level in tqdm(list(levels), desc="Carleman levels", disable=not progress):
        start = time.perf_counter()
        solution = solve_euler(problem, level, T, steps, idle=0, store_trajectory=True)
        seconds = time.perf_counter() - start
        trajectory = solution.trajectory
        error = np.linalg.norm(trajectory - reference, axis=1)
        curves.append(ErrorCurve(level, times, trajectory, error, seconds))
    return curves
