"""One training window by linear combination of Hamiltonian simulation (``route="lchs"``).

The Euler route (:func:`~pennylane_qsgd.optim.window.solve_window`) inverts the forward-Euler
matrix of the Carleman system, whose condition number grows like :math:`T^2/\\varepsilon`. The
LCHS route evolves the same Carleman system :math:`dy/dt = Ay + b` directly,

.. math::

    y(T) = e^{AT}y_0 + \\int_0^T e^{A(T - s)}\\,b\\,ds,

with :math:`A` the Carleman matrix of the window's flow (:math:`F_1` itself for an order-1
window) and :math:`b = [F_0; 0; \\dots]`, after the same reference coordinate and PNAS rescaling
(:func:`~pennylane_qsgd.core.dissipation.rescale_to_unit_ball`) as the Euler route. LCHS needs a
non-positive log-norm, :math:`\\mu(A) = \\lambda_{\\max}((A + A^T)/2) \\le 0`: for an order-1
window that is a positive semi-definite Hessian on S; for an order-2 window it is checked on the
rescaled Carleman matrix. :func:`~pennylane_qsgd.optim.lchs_window_system.lchs_window_system`
reports :math:`\\mu(A)`; :func:`solve_window_lchs` shifts a small positive one and raises
:class:`LCHSNotApplicableError` beyond :data:`MAX_SHIFT_PENALTY`;
:func:`~pennylane_qsgd.optim.window_routes.solve_window_routed` then falls back to the Euler route
with a warning.

Fidelities: ``"ideal"`` is the exact flow of the linear system (``expm_multiply``); ``"native"``
is LCHS's classical twin (:func:`~pennylane_qsgd.core.lchs_twins.lchs_solve`: the same :math:`k`-grid
and Duhamel rule, so the quadrature's own error is in the result). The success probability is that
of the LCU: the state :math:`\\sum_r \\sqrt{c_r/C}|r\\rangle|v_r\\rangle` over the homogeneous
branch (:math:`c_0 = \\|y_0\\|`) and the Duhamel nodes (:math:`c_r = \\omega_r\\|b\\|`), the
:math:`k`-LCU of scale :math:`s/(2\\|w\\|_1)`, then the level-1 block:
:math:`p = (s\\,\\|y_1(T)\\| / (2\\|w\\|_1 C))^2` with :math:`C = \\|y_0\\| + T\\|b\\|`.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from pennylane_qsgd.circuits.hamiltonian_simulation import DEFAULT_SCALE
from pennylane_qsgd.circuits.reference_coordinate import (
    from_reference_coordinate,
)
from pennylane_qsgd.core.lchs import lchs_quadrature
from pennylane_qsgd.core.lchs_cost import jacobi_anger_degree
from pennylane_qsgd.core.lchs_twins import duhamel_quadrature, lchs_solve
from pennylane_qsgd.core.problem import PolynomialODE
from pennylane_qsgd.optim.lchs_window_system import LCHSWindowSystem, lchs_window_system
from pennylane_qsgd.optim.window import WindowSolution, amplification_cost, download_direction

LCHS_FIDELITIES = ("native", "ideal")
"""Fidelities of the LCHS route."""

MAX_SHIFT_PENALTY = 10.0
"""Largest :math:`e^{cT}` the LCHS route pays for the shift of a non-dissipative window (its
success probability drops by the square); beyond, the window falls back to the Euler route."""


class LCHSNotApplicableError(ValueError):
    """The window's (rescaled) generator has a positive log-norm: LCHS does not apply.

    Attributes
    ----------
    log_norm : float
        :math:`\\mu(A)` of the window.
    """

    def __init__(self, message: str, log_norm: float) -> None:
        super().__init__(message)
        self.log_norm = log_norm


def exact_linear_flow(A: np.ndarray, b: np.ndarray, y0: np.ndarray, T: float) -> np.ndarray:
    """:math:`e^{AT}y_0 + \\int_0^T e^{A(T-s)}b\\,ds`, exactly (``expm_multiply`` of the generator
    :math:`[[A, b], [0, 0]]` on :math:`[y_0; 1]`), shape (Δ,)."""
    n = A.shape[0]
    aug = sp.bmat([[sp.csr_array(A), sp.csr_array(b.reshape(n, 1))], [None, sp.csr_array((1, 1))]])
    start = np.concatenate([np.asarray(y0, dtype=float), [1.0]])
    return spla.expm_multiply(T * sp.csc_array(aug), start)[:n]


def lchs_success_probability(
    y_final: np.ndarray, system: LCHSWindowSystem, T: float, l1_norm: float, shift: float = 0.0
) -> float:
    """:math:`(s\\|y_1(T)\\|/(2\\|w\\|_1 C))^2`, :math:`C = \\|y_0\\| + T\\|b\\|` (module docstring).

    With a shift :math:`c` the LCU prepares :math:`v(T) = e^{-cT}y(T)` from the branches
    :math:`c_0 = \\|y_0\\|`, :math:`c_r = \\omega_re^{-cs_r}\\|b\\|`: the amplitude carries
    :math:`e^{-cT}` and :math:`C = \\|y_0\\| + \\|b\\|(1 - e^{-cT})/c`.
    """
    x = shift * T
    weight = T if x == 0 else -np.expm1(-x) / shift
    C = float(np.linalg.norm(system.y0) + weight * np.linalg.norm(system.b))
    norm = float(np.linalg.norm(y_final[: system.size])) * np.exp(-x)
    return min(DEFAULT_SCALE * norm / (2 * l1_norm * C), 1.0) ** 2


def lchs_qubits(system: LCHSWindowSystem, nodes: int, branches: int) -> int:
    """Node register, ``l, r, a``, branch register (homogeneous + Duhamel nodes) and system."""
    return (
        max(1, math.ceil(math.log2(nodes)))
        + 3
        + max(1, math.ceil(math.log2(branches)))
        + max(1, math.ceil(math.log2(system.A.shape[0])))
    )


def solve_window_lchs(
    problem: PolynomialODE,
    T: float,
    level: int,
    *,
    fidelity: str = "native",
    eps: float = 1e-6,
    shots: int | None = None,
    seed: int | None = None,
    kernel: str = "acl",
) -> WindowSolution:
    """Run one window by LCHS and download the result (module docstring).

    Parameters
    ----------
    problem : PolynomialODE
        The window's flow (constant forcing), ``u(0)`` = the weights on S.
    T : float
        Window length in gradient steps.
    level : int
        Carleman truncation level N (1 for an order-1 window).
    fidelity : {"native", "ideal"}
    eps : float
        Target of the quadratures: the result errs by at most ``eps (||y0|| + T ||b||)`` in the
        rescaled units (native fidelity).
    shots, seed
        Download shots (None: exact) and their seed.
    kernel : {"acl", "low-somma"}
        LCHS kernel (:mod:`~pennylane_qsgd.core.lchs_kernels`): sets the grid and the query count.

    Raises
    ------
    LCHSNotApplicableError
        When :math:`\\mu(A) > 0` after the rescaling and the shift :math:`c = \\mu(A)` would cost
        more than :data:`MAX_SHIFT_PENALTY` (:math:`e^{cT}`). A smaller :math:`\\mu(A) > 0` is
        paid by the shift: LCHS of :math:`A - cI`, success probability times :math:`e^{-2cT}`.
    """
    if fidelity not in LCHS_FIDELITIES:
        raise ValueError(f"route='lchs' runs at fidelity {LCHS_FIDELITIES}; got {fidelity!r}")
    if problem.F0.shape[0] > 1:
        raise ValueError("route='lchs' needs a constant forcing (stochastic=False)")
    system = lchs_window_system(problem, level)
    shift = 0.0 if system.dissipative else system.log_norm
    if shift * T > np.log(MAX_SHIFT_PENALTY):
        raise LCHSNotApplicableError(
            f"LCHS needs the rescaled Carleman matrix to have a non-positive log-norm "
            f"(Hermitian part <= 0); this window has lambda_max((A + A^T)/2) = "
            f"{system.log_norm:.3e} (level {level}, gamma = {system.gamma:.3g}), and the shift by "
            f"it would cost e^(cT) = {np.exp(min(shift * T, 700)):.3g} > {MAX_SHIFT_PENALTY:g}",
            system.log_norm,
        )
    norm_L = system.norm_L + shift  # L_{A - cI} = L_A + cI
    if fidelity == "ideal":
        y = exact_linear_flow(system.A, system.b, system.y0, T)
        grid = lchs_quadrature(T, norm_L, eps / 2, kernel=kernel)
        rule = duhamel_quadrature(T, system.norm_A, eps / 2)
    else:
        solved = lchs_solve(system.A, system.y0, T, eps, b=system.b, shift=shift, kernel=kernel)
        y, grid = np.real_if_close(solved.u, tol=1e6).real, solved.quadrature
        rule = solved.duhamel  # the s-rule the solve used
    probability = lchs_success_probability(y, system, T, grid.l1_norm, shift)
    level1 = y[: system.size]
    norm = float(np.linalg.norm(level1))
    direction = level1 / norm if norm > 0 else level1
    estimate, used = download_direction(direction, shots, seed)
    reference_v = system.reference * np.exp(-system.decay * T) / system.gamma
    u_exact = system.gamma * from_reference_coordinate(direction, reference_v)
    u_final = system.gamma * from_reference_coordinate(estimate, reference_v)
    rounds, per_success = amplification_cost(probability)
    alpha = grid.cutoff * norm_L + system.norm_H
    return WindowSolution(
        u_final=u_final,
        solver_output=u_exact,
        euler=None,
        steps=0,
        idle=0,
        kappa=float("nan"),
        kappa_bound=float("nan"),
        success_probability=float(probability),
        rounds=int(rounds),
        shots=used,
        solver_calls=float(used * per_success),
        download_error=float(np.linalg.norm(u_final - u_exact)),
        qubits=lchs_qubits(system, grid.num_nodes, rule.nodes.size + 1),
        degree=jacobi_anger_degree(alpha * T, eps / (4 * grid.l1_norm)),
        gamma=float(system.gamma),
        encoding="lchs",
        route="lchs",
        lchs_log_norm=system.log_norm,
        lchs_shift=float(shift),
    )


__all__ = [
    "LCHS_FIDELITIES",
    "MAX_SHIFT_PENALTY",
    "LCHSNotApplicableError",
    "exact_linear_flow",
    "lchs_success_probability",
    "solve_window_lchs",
]
