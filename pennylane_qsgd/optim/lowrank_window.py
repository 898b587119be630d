"""The ideal fidelity for an order-2 window whose level-2 Carleman block is kept low rank.

The window's flow comes matrix-free from
:func:`~pennylane_qsgd.optim.third_derivatives.closure_order2_flow` (Hessian-vector and
third-derivative products, centred at the window start) and is integrated by
:func:`~pennylane_qsgd.core.lowrank_carleman.solve_euler_lowrank`; neither :math:`T_3`, :math:`F_2`
nor the Carleman matrix is formed. The download is modelled as for the matrix-free order-1 window
(:func:`~pennylane_qsgd.optim.matrix_free_window.solve_linear_window_matrix_free`): tomography of the final
weights beside a reference coordinate equal to :math:`\\|\\bar\\theta\\|`.
"""

from __future__ import annotations

from pennylane_qsgd.circuits.solver_layout import required_wires
from pennylane_qsgd.circuits.solver_policy import default_idle
from pennylane_qsgd.core.lowrank_carleman import LowRankEulerSolution, solve_euler_lowrank
from pennylane_qsgd.optim.third_derivatives import Order2Flow
from pennylane_qsgd.optim.window import WindowSolution, weights_solution

__all__ = ["solve_order2_window_lowrank"]


def solve_order2_window_lowrank(
    flow: Order2Flow,
    T: float,
    steps: int,
    *,
    tol: float,
    max_rank: int | None = None,
    shots: int | None = None,
    seed: int | None = None,
) -> tuple[WindowSolution, LowRankEulerSolution]:
    """Euler–Carleman at level 2 with a low-rank level-2 block, then the download.

    Parameters
    ----------
    flow : Order2Flow
        The window's flow on S (``s`` weights).
    T : float
        Window length in gradient steps (one step is one unit of time).
    steps : int
        Euler steps ``m``; the idle copies are ``default_idle(m)``, as in the dense window.
    tol : float
        Relative eigenvalue tolerance of the level-2 truncation.
    max_rank : int, optional
        Rank cap; exceeding it raises
        :class:`~pennylane_qsgd.core.lowrank_carleman.RankCapError`.
    shots : int, optional
        Download shots; None reads the final weights exactly.
    seed : int, optional
        Seed of the shot sampling.

    Returns
    -------
    WindowSolution
        ``u_final`` and ``solver_output`` are weights on S, shape (s,); ``kappa`` is nan (no
        linear system is formed) and ``encoding`` is ``"none"``.
    LowRankEulerSolution
        The solve (ranks, discarded level-2 mass per step, products spent).
    """
    idle = default_idle(steps)
    sol = solve_euler_lowrank(
        flow.F0, flow.F1, flow.f2, flow.u_in, T, steps, idle, level=2, tol=tol, max_rank=max_rank
    )
    weights = flow.weights(sol.u_final)
    # Tomography of the weights with a reference coordinate, as the matrix-free order-1 window.
    window = weights_solution(
        weights,
        flow.theta_bar,
        sol.success_probability,
        shots,
        seed,
        steps=steps,
        idle=idle,
        qubits=required_wires(flow.size + 1, 2, steps, idle),
    )
    return window, sol
