"""Classical reference solutions: the ODE by scipy, and the gradient-descent map it approximates."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.integrate import solve_ivp

from pennylane_qsgd.core.carleman import as_count
from pennylane_qsgd.core.problem import PolynomialODE

_IMPLICIT = {"Radau", "BDF", "LSODA"}


def integrate_ode(
    problem: PolynomialODE,
    T: float,
    t_eval: np.ndarray | None = None,
    rtol: float = 1e-12,
    atol: float = 1e-14,
    method: str = "DOP853",
    forcing: Callable[[float], np.ndarray] | None = None,
) -> np.ndarray:
    """Integrate :math:`du/dt = F_0(t) + F_1 u + F_2 (u\\otimes u)` with ``scipy.integrate.solve_ivp``.

    A piecewise-constant forcing is integrated piece by piece, restarting the solver at every
    jump, so the high-order method never steps across a discontinuity.

    Parameters
    ----------
    problem : PolynomialODE
    T : float
        Final time, ``>= 0``.
    t_eval : array_like, shape (n,), optional
        Times in ``[0, T]`` at which to return the state (any order).
    rtol, atol : float
        Tolerances passed to ``solve_ivp``.
    method : str
        ``solve_ivp`` method; the Jacobian is supplied to the implicit ones.
    forcing : callable, optional
        A continuous-time forcing ``forcing(t) -> (s,)`` used instead of the problem's pieces
        (e.g. the source of PNAS Fig. 1, which the Euler steps sample); integrated in one run.

    Returns
    -------
    ndarray
        Shape (n, s) with the state at each ``t_eval``, or (s,) with :math:`u(T)` when
        ``t_eval`` is None.

    Raises
    ------
    ValueError
        For a negative ``T`` or ``t_eval`` outside ``[0, T]``.
    RuntimeError
        When the integrator fails (e.g. blow-up).
    """
    T = float(T)
    if not np.isfinite(T) or T < 0:
        raise ValueError(f"T must be a finite non-negative time; got {T}")
    times = None if t_eval is None else np.asarray(t_eval, dtype=np.float64).reshape(-1)
    if times is not None and (
        np.any(times < 0) or np.any(times > T) or not np.all(np.isfinite(times))
    ):
        raise ValueError(f"t_eval must lie in [0, T] = [0, {T}]")
    result = np.full((0 if times is None else times.size, problem.size), np.nan)
    filled = np.zeros(result.shape[0], dtype=bool)
    u = problem.u_in.copy()
    if times is not None:
        at_zero = times == 0.0
        result[at_zero] = u
        filled |= at_zero

    segments = problem.forcing_segments(T) if forcing is None else [(0.0, T, 0)]
    for start, end, piece in segments:
        if end <= start:
            continue

        def rhs(t: float, x: np.ndarray, f: np.ndarray = problem.F0[piece]) -> np.ndarray:
            f = f if forcing is None else forcing(t)
            return f + problem.F1 @ x + problem.F2 @ np.kron(x, x)

        options = {}
        if method in _IMPLICIT:
            options["jac"] = lambda _t, x: problem.jacobian(x).toarray()
        inside = np.zeros(0, dtype=np.intp)
        if times is not None:
            inside = np.flatnonzero(~filled & (times >= start) & (times <= end))
        # Always stop at ``end`` so that the next piece starts from the right state.
        points = np.unique(np.append(times[inside], end)) if inside.size else np.array([end])
        sol = solve_ivp(
            rhs, (start, end), u, method=method, rtol=rtol, atol=atol, t_eval=points, **options
        )
        if not sol.success:
            raise RuntimeError(f"solve_ivp failed on [{start}, {end}]: {sol.message}")
        if inside.size:
            result[inside] = sol.y.T[np.searchsorted(points, times[inside])]
            filled[inside] = True
        u = sol.y[:, -1]
    if times is None:
        return u
    return result


def gradient_descent_map(problem: PolynomialODE, steps: int) -> np.ndarray:
    """Iterate the discrete map :math:`x_{k+1} = x_k + F_0(k) + F_1 x_k + F_2 (x_k \\otimes x_k)`.

    This is gradient descent with unit step in the variables of the problem (the learning rate
    is already inside :math:`F_0, F_1, F_2`); the ODE is its gradient-flow limit. Step ``k`` reads
    the forcing at time ``k`` (one unit of ``t`` per step), matching forward Euler with ``h = 1``.

    Parameters
    ----------
    problem : PolynomialODE
    steps : int
        Number of steps ``>= 0``.

    Returns
    -------
    ndarray, shape (steps + 1, s)
        The trajectory, row 0 being :math:`u_{\\rm in}`.
    """
    steps = as_count(steps, "steps", minimum=0)
    out = np.empty((steps + 1, problem.size))
    x = problem.u_in.copy()
    out[0] = x
    for k in range(steps):
        x = x + problem.rhs(float(k), x)
        out[k + 1] = x
    return out
